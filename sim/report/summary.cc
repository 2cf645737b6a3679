#include "sim/report/summary.h"

#include <fmt/compile.h>
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string_view>

#include "sim/core/check.h"
#include "sim/report/version.h"

namespace servesim {
namespace {

// No sample, no statistic: null rather than a perfect 0.
void PutLatency(nlohmann::ordered_json& j, const std::string& name, const LatencyStats& st) {
  const auto value = [&](double v) {
    return st.count > 0 ? nlohmann::ordered_json(v) : nlohmann::ordered_json();
  };
  j["mean_" + name + "_ms"] = value(st.mean_ms);
  j["median_" + name + "_ms"] = value(st.median_ms);
  j["p90_" + name + "_ms"] = value(st.p90_ms);
  j["p99_" + name + "_ms"] = value(st.p99_ms);
  j["max_" + name + "_ms"] = value(st.max_ms);
}

nlohmann::ordered_json AutoscalingJson(const Summary::Autoscaling& a, bool slo) {
  nlohmann::ordered_json j;
  j["policy"] = a.policy;
  j["min_replicas"] = a.min_replicas;
  j["max_replicas"] = a.max_replicas;
  j["gpus_per_replica"] = a.gpus_per_replica;
  j["scale_up_delay_s"] = a.scale_up_delay_s;
  j["cold_start_s"] = a.cold_start_s;
  j["weight_load_s"] = a.weight_load_s;
  j["scale_ups"] = a.scale_ups;
  j["scale_downs"] = a.scale_downs;
  j["cold_starts"] = a.cold_starts;
  j["gpu_hours"] = a.gpu_hours;
  j["static_gpu_hours"] = a.static_gpu_hours;
  if (a.static_cost_usd > 0) {
    j["cost_usd"] = a.cost_usd;
    j["static_cost_usd"] = a.static_cost_usd;
  }
  j["mean_replicas"] = a.mean_replicas;
  j["peak_replicas"] = a.peak_replicas;
  nlohmann::ordered_json timeline = nlohmann::ordered_json::array();
  for (const Summary::Autoscaling::Point& p : a.timeline) {
    timeline.push_back(
        {{"t_s", static_cast<double>(p.at) / 1e9}, {"replicas", p.replicas}, {"active", p.active}});
  }
  j["replica_timeline"] = timeline;
  j["window_s"] = a.window_s;
  nlohmann::ordered_json windows = nlohmann::ordered_json::array();
  for (const Summary::Autoscaling::Window& w : a.windows) {
    nlohmann::ordered_json o;
    o["start_s"] = w.start_s;
    o["completed"] = w.completed;
    if (slo) o["slo_attainment"] = w.slo_attainment;
    o["p99_ttft_ms"] = w.p99_ttft_ms;
    o["mean_replicas"] = w.mean_replicas;
    o["gpu_hours"] = w.gpu_hours;
    windows.push_back(o);
  }
  j["windows"] = windows;
  return j;
}

void PrintAutoscaling(const Summary::Autoscaling& a, bool slo, std::ostream& out) {
  fmt::print(out, "Autoscaling ({}): {} to {} replicas of {} GPU{}\n", a.policy, a.min_replicas,
             a.max_replicas, a.gpus_per_replica, a.gpus_per_replica > 1 ? "s" : "");
  fmt::print(out, "  {:<32}{:>14.2f}  (cold start {:.2f} + weights {:.2f})\n",
             "Scale-up delay (s):", a.scale_up_delay_s, a.cold_start_s, a.weight_load_s);
  fmt::print(out, "  {:<32}{:>10.2f} / {}\n", "Replicas booked (mean / peak):", a.mean_replicas,
             a.peak_replicas);
  fmt::print(out, "  {:<32}{:>10} / {}\n", "Scale-ups / scale-downs:", a.scale_ups, a.scale_downs);
  const double saved = a.static_gpu_hours > 0 ? 1 - a.gpu_hours / a.static_gpu_hours : 0;
  fmt::print(out, "  {:<32}{:>14.3f}  (static peak {:.3f}: {:.1f}% less)\n",
             "GPU-hours:", a.gpu_hours, a.static_gpu_hours, 100.0 * saved);
  if (a.static_cost_usd > 0) {
    fmt::print(out, "  {:<32}{:>14.2f}  (static peak {:.2f})\n", "Cost (USD):", a.cost_usd,
               a.static_cost_usd);
  }
  fmt::print(out, "  {:>10}{:>11}{:>8}{:>15}{:>10}\n", "window (s)", "completed",
             slo ? "SLO %" : "", "p99 TTFT (ms)", "replicas");
  for (const Summary::Autoscaling::Window& w : a.windows) {
    // Only windows in which requests arrived are listed: every one has completions.
    const std::string att = slo ? fmt::format("{:.1f}", 100.0 * w.slo_attainment) : "";
    fmt::print(out, "  {:>10.0f}{:>11}{:>8}{:>15.1f}{:>10.2f}\n", w.start_s, w.completed, att,
               w.p99_ttft_ms, w.mean_replicas);
  }
}

void PrintKvOffload(const Summary::KvOffload& o, int64_t input_tokens, std::ostream& out) {
  const double gpu_rate =
      input_tokens > 0 ? static_cast<double>(o.gpu_hit_tokens) / static_cast<double>(input_tokens)
                       : 0.0;
  fmt::print(out, "{:<34}{:>9.1f}% / {:.1f}%\n", "Prefix hits (GPU / host tier):", 100.0 * gpu_rate,
             100.0 * o.host_hit_rate);
  fmt::print(out, "{:<34}{:>14}  ({:.1f} GiB per GPU, {} blocks per replica)\n",
             "Blocks offloaded to host:", o.blocks_offloaded, o.host_offload_gib, o.host_blocks);
  fmt::print(out, "{:<34}{:>10} / {}\n", "Blocks loaded / host evictions:", o.blocks_loaded,
             o.host_evictions);
  fmt::print(out, "{:<34}{:>14.3f}  (mean {:.2f} ms per loading step, {:.3f} s exposed)\n",
             "KV load time (s):", o.load_s, o.mean_load_ms, o.load_exposed_s);
}

}  // namespace

nlohmann::ordered_json SummaryToJson(const Summary& s) {
  nlohmann::ordered_json j;
  j["completed"] = s.completed;
  j["failed"] = s.failed;
  j["duration"] = s.duration_s;
  j["total_input_tokens"] = s.total_input_tokens;
  j["total_output_tokens"] = s.total_output_tokens;
  j["request_throughput"] = s.request_throughput;
  j["output_throughput"] = s.output_throughput;
  j["total_token_throughput"] = s.total_token_throughput;
  PutLatency(j, "ttft", s.ttft);
  PutLatency(j, "tpot", s.tpot);
  PutLatency(j, "itl", s.itl);
  PutLatency(j, "e2el", s.e2el);
  if (s.slo_ttft_ms || s.slo_tpot_ms) {
    if (s.slo_ttft_ms) j["slo_ttft_ms"] = *s.slo_ttft_ms;
    if (s.slo_tpot_ms) j["slo_tpot_ms"] = *s.slo_tpot_ms;
    j["slo_attainment"] = s.slo_attainment;
    j["goodput"] = s.goodput;
  }
  j["num_steps"] = s.num_steps;
  j["mean_batch_size"] = s.mean_batch_size;
  j["max_batch_size"] = s.max_batch_size;
  j["mean_kv_utilization"] = s.mean_kv_utilization;
  j["max_kv_utilization"] = s.max_kv_utilization;
  j["preemptions"] = s.preemptions;
  if (s.prefix_caching) {
    j["prefix_cache_hit_tokens"] = s.prefix_cache_hit_tokens;
    j["prefix_cache_hit_rate"] = s.prefix_cache_hit_rate;
  }
  if (s.kv_offload) {
    const Summary::KvOffload& o = *s.kv_offload;
    j["kv_offload"] = {{"host_offload_gib", o.host_offload_gib},
                       {"host_blocks", o.host_blocks},
                       {"gpu_hit_tokens", o.gpu_hit_tokens},
                       {"host_hit_tokens", o.host_hit_tokens},
                       {"host_hit_rate", o.host_hit_rate},
                       {"blocks_offloaded", o.blocks_offloaded},
                       {"host_evictions", o.host_evictions},
                       {"blocks_loaded", o.blocks_loaded},
                       {"load_steps", o.load_steps},
                       {"load_s", o.load_s},
                       {"mean_load_ms", o.mean_load_ms},
                       {"load_exposed_s", o.load_exposed_s}};
  }
  if (s.speculative) {
    const Summary::Speculation& sp = *s.speculative;
    j["speculative"] = {{"method", sp.method},
                        {"num_tokens", sp.num_tokens},
                        {"expected_tokens_per_step", sp.expected_tokens_per_step},
                        {"sequence_steps", sp.sequence_steps},
                        {"drafts_proposed", sp.drafts_proposed},
                        {"drafts_accepted", sp.drafts_accepted},
                        {"acceptance_rate", sp.acceptance_rate},
                        {"tokens_per_step", sp.tokens_per_step}};
  }
  j["mfu"] = s.mfu;
  j["memory_bandwidth_utilization"] = s.memory_bandwidth_utilization;
  j["busy_fraction"] = s.busy_fraction;
  if (s.pp > 1) j["pipeline_bubble_fraction"] = s.pipeline_bubble_fraction;
  j["step_time_s"] = {{"gemm", s.gemm_s},
                      {"attention", s.attention_s},
                      {"communication", s.communication_s},
                      {"other", s.other_s},
                      {"host", s.host_s}};
  if (s.coverage) {
    const CoverageLedger& c = *s.coverage;
    const double total = c.Total() > 0 ? c.Total() : 1.0;
    nlohmann::ordered_json worst = nlohmann::ordered_json::array();
    for (const auto& e : c.worst) {
      worst.push_back(
          {{"op", e.op}, {"point", e.point}, {"factor", e.factor}, {"time_s", e.time_s}});
    }
    j["calibration_coverage"] = {{"measured", c.measured_s / total},
                                 {"interpolated", c.interpolated_s / total},
                                 {"extrapolated", c.extrapolated_s / total},
                                 {"roofline", c.roofline_s / total},
                                 {"worst_extrapolations", worst}};
  }
  if (!s.pools.empty()) {
    nlohmann::ordered_json pools = nlohmann::ordered_json::array();
    for (const Summary::PoolStats& p : s.pools) {
      pools.push_back({{"role", p.role},
                       {"gpu", p.gpu},
                       {"num_gpus", p.num_gpus},
                       {"replicas", p.replicas},
                       {"tp", p.tp},
                       {"pp", p.pp},
                       {"kv_cache_blocks", p.kv_cache_blocks},
                       {"busy_fraction", p.busy_fraction},
                       {"mean_batch_size", p.mean_batch_size}});
    }
    j["pools"] = pools;
    j["kv_transfer"] = {{"count", s.kv_transfer.count},
                        {"total_gb", s.kv_transfer.total_gb},
                        {"mean_ms", s.kv_transfer.mean_ms},
                        {"p99_ms", s.kv_transfer.p99_ms},
                        {"mean_queue_ms", s.kv_transfer.mean_queue_ms}};
  }
  if (s.autoscaling)
    j["autoscaling"] = AutoscalingJson(*s.autoscaling, s.slo_ttft_ms || s.slo_tpot_ms);
  j["scenario"] = s.scenario;
  j["model"] = s.model;
  j["gpu"] = s.gpu;
  j["num_gpus"] = s.num_gpus;
  j["tp"] = s.tp;
  j["pp"] = s.pp;
  if (s.ep > 1) j["ep"] = s.ep;
  j["num_replicas"] = s.num_replicas;
  if (s.num_replicas > 1) {
    j["router"] = s.router;
    nlohmann::ordered_json per = nlohmann::ordered_json::array();
    for (const Summary::ReplicaStats& r : s.replicas) {
      per.push_back({{"steps", r.steps},
                     {"mean_batch_size", r.mean_batch_size},
                     {"busy_fraction", r.busy_fraction}});
    }
    j["replicas"] = per;
  }
  j["scheduler"] = s.scheduler;
  if (!s.preset.empty()) j["preset"] = s.preset;
  j["kv_cache_blocks"] = s.kv_cache_blocks;
  j["kv_cache_tokens"] = s.kv_cache_tokens;
  j["seed"] = s.seed;
  return j;
}

nlohmann::ordered_json RunJson(const Summary& s) {
  nlohmann::ordered_json j = SummaryToJson(s);
  StampVersion(&j);
  return j;
}

void PrintSummary(const Summary& s, std::ostream& out) {
  // "vllm" or "vllm-v1 preset".
  const std::string engine = s.preset.empty() ? s.scheduler : s.preset + " preset";
  if (s.pools.empty()) {
    fmt::print(out, "servesim: {} on {} x{} (tp {}, pp {}, {}{} replica{}, {}), seed {}\n", s.model,
               s.gpu, s.num_gpus, s.tp, s.pp, s.ep > 1 ? fmt::format("ep {}, ", s.ep) : "",
               s.num_replicas, s.num_replicas > 1 ? "s" : "", engine, s.seed);
  } else {
    fmt::print(out, "servesim: {} disaggregated ({}), seed {}\n", s.model, engine, s.seed);
    for (const Summary::PoolStats& p : s.pools) {
      fmt::print(out, "  {:<8} {} x {} (tp {}, pp {}): busy {:.1f}%, mean batch {:.1f}\n", p.role,
                 p.num_gpus, p.gpu, p.tp, p.pp, 100.0 * p.busy_fraction, p.mean_batch_size);
    }
    fmt::print(out,
               "  KV transfers: {}, {:.1f} GB, mean {:.2f} ms (queued {:.2f}), p99 {:.2f} ms\n",
               s.kv_transfer.count, s.kv_transfer.total_gb, s.kv_transfer.mean_ms,
               s.kv_transfer.mean_queue_ms, s.kv_transfer.p99_ms);
  }
  fmt::print(out, "{:<34}{:>14}\n", "Completed requests:", s.completed);
  if (s.completed == 0) {
    fmt::print(out, "No request completed: there are no latencies (null in the JSON).\n");
  }
  if (s.failed > 0) fmt::print(out, "{:<34}{:>14}\n", "Failed (too long):", s.failed);
  fmt::print(out, "{:<34}{:>14.2f}\n", "Duration (s):", s.duration_s);
  fmt::print(out, "{:<34}{:>14.2f}\n", "Request throughput (req/s):", s.request_throughput);
  fmt::print(out, "{:<34}{:>14.1f}\n", "Output throughput (tok/s):", s.output_throughput);
  fmt::print(out, "{:<34}{:>14.1f}\n", "Total token throughput (tok/s):", s.total_token_throughput);
  fmt::print(out, "{:<14}{:>10}{:>10}{:>10}{:>10}\n", "latency (ms)", "mean", "median", "p99",
             "max");
  // Columns stay apart when a value outgrows its width (latencies of hours in ms).
  const auto row = [&](const char* name, const LatencyStats& st) {
    const auto v = [&](double ms) { return st.count > 0 ? fmt::format("{:.2f}", ms) : "-"; };
    fmt::print(out, "{:<14}{:>10} {:>9} {:>9} {:>9}\n", name, v(st.mean_ms), v(st.median_ms),
               v(st.p99_ms), v(st.max_ms));
  };
  row("TTFT", s.ttft);
  row("TPOT", s.tpot);
  row("ITL", s.itl);
  row("E2E", s.e2el);
  if (s.slo_ttft_ms || s.slo_tpot_ms) {
    fmt::print(out, "{:<34}{:>13.1f}%\n", "SLO attainment:", 100.0 * s.slo_attainment);
    fmt::print(out, "{:<34}{:>14.2f}\n", "Goodput (req/s):", s.goodput);
  }
  fmt::print(out, "{:<34}{:>10.1f} / {}\n", "Batch size (mean / max):", s.mean_batch_size,
             s.max_batch_size);
  fmt::print(out, "{:<34}{:>9.1f}% / {:.1f}%\n",
             "KV cache use (mean / max):", 100.0 * s.mean_kv_utilization,
             100.0 * s.max_kv_utilization);
  fmt::print(out, "{:<34}{:>14}\n", "Preemptions:", s.preemptions);
  if (s.prefix_caching) {
    fmt::print(out, "{:<34}{:>13.1f}%\n",
               "Prefix cache hit rate:", 100.0 * s.prefix_cache_hit_rate);
  }
  if (s.kv_offload) PrintKvOffload(*s.kv_offload, s.total_input_tokens, out);
  if (s.speculative) {
    const Summary::Speculation& sp = *s.speculative;
    fmt::print(out, "{:<34}{:>14}\n",
               "Speculative decoding:", fmt::format("{}, {} drafts", sp.method, sp.num_tokens));
    fmt::print(out, "{:<34}{:>13.1f}%\n", "Draft acceptance:", 100.0 * sp.acceptance_rate);
    fmt::print(out, "{:<34}{:>14.2f}\n", "Tokens per sequence-step:", sp.tokens_per_step);
  }
  if (s.pp > 1) {
    fmt::print(out, "{:<34}{:>13.1f}%\n", "Pipeline bubbles:", 100.0 * s.pipeline_bubble_fraction);
  }
  fmt::print(out, "{:<34}{:>9.1f}% / {:.1f}%\n", "MFU / bandwidth utilisation:", 100.0 * s.mfu,
             100.0 * s.memory_bandwidth_utilization);
  const double total = s.gemm_s + s.attention_s + s.communication_s + s.other_s + s.host_s;
  if (total > 0) {
    fmt::print(out,
               "Step time: gemm {:.0f}%, attention {:.0f}%, comm {:.0f}%, other {:.0f}%, "
               "host {:.0f}%\n",
               100 * s.gemm_s / total, 100 * s.attention_s / total, 100 * s.communication_s / total,
               100 * s.other_s / total, 100 * s.host_s / total);
  }
  if (s.autoscaling) PrintAutoscaling(*s.autoscaling, s.slo_ttft_ms || s.slo_tpot_ms, out);
}

namespace {

constexpr char kTwoDigits[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// v in decimal at p; returns the end. Written back to front, two digits at a time.
char* WriteUnsigned(uint64_t v, char* p) {
  int digits = 1;
  for (uint64_t power = 10; digits < 20 && v >= power; power *= 10) ++digits;
  char* const end = p + digits;
  char* q = end;
  while (v >= 100) {
    q -= 2;
    std::memcpy(q, kTwoDigits + 2 * (v % 100), 2);
    v /= 100;
  }
  if (v >= 10) {
    std::memcpy(q - 2, kTwoDigits + 2 * v, 2);
  } else {
    q[-1] = static_cast<char>('0' + v);
  }
  return end;
}

// The low `digits` (6 or 9) decimal digits of f, zero-padded, at p; returns the end.
char* WriteFraction(uint64_t f, int digits, char* p) {
  int i = digits;
  for (; i >= 2; i -= 2, f /= 100) std::memcpy(p + i - 2, kTwoDigits + 2 * (f % 100), 2);
  if (i == 1) p[0] = static_cast<char>('0' + f % 10);
  return p + digits;
}

char* WriteInteger(int64_t v, char* p) {
  if (v >= 0) return WriteUnsigned(static_cast<uint64_t>(v), p);
  *p++ = '-';
  return WriteUnsigned(uint64_t{0} - static_cast<uint64_t>(v), p);
}

// AppendNsFixed's text at p; returns the end. At most 20 characters.
char* WriteNsFixed(SimTime ns, int decimals, char* p) {
  SERVESIM_CHECK(ns >= 0 && (decimals == 9 || decimals == 6));
  if (ns >= kExactFixedNs) {
    return decimals == 9 ? fmt::format_to(p, FMT_COMPILE("{:.9f}"), SimTimeToSeconds(ns))
                         : fmt::format_to(p, FMT_COMPILE("{:.6f}"), SimTimeToMs(ns));
  }
  // ns is the value in units of 10^-decimals (s or ms) exactly: whole part, point, fraction.
  const uint64_t scale = decimals == 9 ? 1'000'000'000 : 1'000'000;
  const uint64_t u = static_cast<uint64_t>(ns);
  p = WriteUnsigned(u / scale, p);
  *p++ = '.';
  return WriteFraction(u % scale, decimals, p);
}

__extension__ typedef unsigned __int128 Uint128;  // GCC and Clang

// Doubles WriteFixed6 rounds itself: 0 <= x < 9e12, below 2^44 (a latency in ms, < 285 years).
bool OwnFixed6(double x) { return x >= 0 && x < 9e12; }

// x with 6 decimals as fmt's "{:.6f}" writes it: rounded half to even from x's exact binary
// value when OwnFixed6(x); anything else goes through fmt, which writes at most 20 characters
// for x <= 2^63 ns in ms (the callers' bound).
char* WriteFixed6(double x, char* p) {
  if (!OwnFixed6(x)) return fmt::format_to(p, FMT_COMPILE("{:.6f}"), x);
  int e = 0;
  const double f = std::frexp(x, &e);  // x = f 2^e, f in [0.5, 1) (0 for x = 0)
  const uint64_t m = static_cast<uint64_t>(std::ldexp(f, 53));  // exactly: x = m 2^(e - 53)
  const int shift = 53 - e;  // x 10^6 = m 10^6 / 2^shift, shift >= 10 since x < 2^44
  uint64_t q = 0;
  if (shift < 128) {
    const Uint128 n = static_cast<Uint128>(m) * 1'000'000;
    q = static_cast<uint64_t>(n >> shift);
    const Uint128 rest = n & ((Uint128{1} << shift) - 1), half = Uint128{1} << (shift - 1);
    if (rest > half || (rest == half && (q & 1) != 0)) ++q;
  }
  p = WriteUnsigned(q / 1'000'000, p);
  *p++ = '.';
  return WriteFraction(q % 1'000'000, 6, p);
}

}  // namespace

void AppendNsFixed(SimTime ns, int decimals, std::string* out) {
  char text[32];
  out->append(text, WriteNsFixed(ns, decimals, text));
}

void AppendFixed6(double x, std::string* out) {
  if (!OwnFixed6(x)) {  // fmt's own path, of any length
    fmt::format_to(std::back_inserter(*out), FMT_COMPILE("{:.6f}"), x);
    return;
  }
  char text[32];
  out->append(text, WriteFixed6(x, text));
}

std::string RequestsCsv(const RequestTable& requests) {
  static constexpr char kHeader[] =
      "id,arrival_s,scheduled_s,first_token_s,finish_s,input_tokens,output_tokens,"
      "preemptions,ttft_ms,tpot_ms,e2el_ms,status\n";
  // A row is at most 214 characters: an index (19 digits), four times and three latencies
  // (20 each: fmt's fixed notation of the largest SimTime), three 32-bit counts (11), the longest
  // status (10), 11 commas and the newline. The rows are written into one buffer sized for the
  // worst case: a fresh page costs more than writing it (docs/performance.md), and pages never
  // written are never touched.
  constexpr size_t kMaxRow = 256;
  const size_t capacity = sizeof kHeader + requests.size() * kMaxRow;
  const std::unique_ptr<char[]> buffer(new char[capacity]);
  char* p = buffer.get();
  std::memcpy(p, kHeader, sizeof kHeader - 1);
  p += sizeof kHeader - 1;
  for (size_t i = 0; i < requests.size(); ++i) {
    const Request& r = requests[i];
    char* const row = p;
    const bool done = r.finish >= 0;
    p = WriteUnsigned(i, p);
    *p++ = ',';
    for (const SimTime t : {r.arrival, r.scheduled, r.first_token, r.finish}) {
      if (t >= 0) p = WriteNsFixed(t, 9, p);  // empty for an event that did not happen
      *p++ = ',';
    }
    for (const int64_t n :
         {int64_t{r.input_tokens}, int64_t{r.output_tokens}, int64_t{r.preemptions}}) {
      p = WriteInteger(n, p);
      *p++ = ',';
    }
    if (done) {
      p = WriteNsFixed(r.first_token - r.arrival, 6, p);
      *p++ = ',';
      if (r.output_tokens > 1) {
        p = WriteFixed6(
            SimTimeToMs(r.finish - r.first_token) / static_cast<double>(r.output_tokens - 1), p);
      }
      *p++ = ',';
      p = WriteNsFixed(r.finish - r.arrival, 6, p);
      *p++ = ',';
    } else {
      std::memcpy(p, ",,,", 3);
      p += 3;
    }
    // Warm-up requests (closed loop) are served but not in the statistics: marked, not dropped.
    const std::string_view status =
        r.rejected ? "rejected" : (!done ? "unfinished" : (r.warmup ? "warmup" : "completed"));
    std::memcpy(p, status.data(), status.size());
    p += status.size();
    *p++ = '\n';
    SERVESIM_CHECK(static_cast<size_t>(p - row) <= kMaxRow);
  }
  return std::string(buffer.get(), p);
}

}  // namespace servesim

#include "sim/report/summary.h"

#include <fmt/compile.h>
#include <fmt/format.h>
#include <fmt/ostream.h>

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
}

void AppendNsFixed(SimTime ns, int decimals, std::string* out) {
  SERVESIM_CHECK(ns >= 0 && (decimals == 9 || decimals == 6));
  if (ns >= kExactFixedNs) {
    if (decimals == 9) {
      fmt::format_to(std::back_inserter(*out), FMT_COMPILE("{:.9f}"), SimTimeToSeconds(ns));
    } else {
      fmt::format_to(std::back_inserter(*out), FMT_COMPILE("{:.6f}"), SimTimeToMs(ns));
    }
    return;
  }
  // ns is the value in units of 10^-decimals (s or ms) exactly: whole part, point, fraction.
  const int64_t scale = decimals == 9 ? 1'000'000'000 : 1'000'000;
  const fmt::format_int whole(ns / scale);
  out->append(whole.data(), whole.size());
  char frac[10];
  int64_t f = ns % scale;
  for (int i = decimals; i > 0; --i, f /= 10) frac[i] = static_cast<char>('0' + f % 10);
  frac[0] = '.';
  out->append(frac, static_cast<size_t>(decimals) + 1);
}

std::string RequestsCsv(const RequestTable& requests) {
  std::string csv;
  // One allocation: a row is 100-150 bytes (times of up to 1e5 s). Growing a large string
  // copies it into fresh pages, and a fresh page costs more than writing it (docs/performance.md);
  // capacity never written is never touched.
  csv.reserve(128 + requests.size() * 160);
  const auto integer = [&csv](int64_t v) {
    const fmt::format_int f(v);
    csv.append(f.data(), f.size());
    csv.push_back(',');
  };
  const auto seconds = [&csv](SimTime t) {  // empty for an event that did not happen
    if (t >= 0) AppendNsFixed(t, 9, &csv);
    csv.push_back(',');
  };
  csv +=
      "id,arrival_s,scheduled_s,first_token_s,finish_s,input_tokens,output_tokens,"
      "preemptions,ttft_ms,tpot_ms,e2el_ms,status\n";
  for (size_t i = 0; i < requests.size(); ++i) {
    const Request& r = requests[i];
    const bool done = r.finish >= 0;
    // Warm-up requests (closed loop) are served but not in the statistics: marked, not dropped.
    const char* status =
        r.rejected ? "rejected" : (!done ? "unfinished" : (r.warmup ? "warmup" : "completed"));
    integer(static_cast<int64_t>(i));
    seconds(r.arrival);
    seconds(r.scheduled);
    seconds(r.first_token);
    seconds(r.finish);
    integer(r.input_tokens);
    integer(r.output_tokens);
    integer(r.preemptions);
    if (done) {
      AppendNsFixed(r.first_token - r.arrival, 6, &csv);
      csv.push_back(',');
      if (r.output_tokens > 1) {
        fmt::format_to(
            std::back_inserter(csv), FMT_COMPILE("{:.6f}"),
            SimTimeToMs(r.finish - r.first_token) / static_cast<double>(r.output_tokens - 1));
      }
      csv.push_back(',');
      AppendNsFixed(r.finish - r.arrival, 6, &csv);
      csv.push_back(',');
    } else {
      csv += ",,,";
    }
    csv += status;
    csv.push_back('\n');
  }
  return csv;
}

}  // namespace servesim

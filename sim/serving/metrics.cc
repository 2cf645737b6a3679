#include "sim/serving/metrics.h"

#include <algorithm>
#include <cmath>

#include "sim/core/check.h"
#include "sim/serving/radix_sort.h"

namespace servesim {

double Percentile(const std::vector<double>& sorted, double q) {
  SERVESIM_CHECK(!sorted.empty() && q >= 0 && q <= 100);
  const double idx = q / 100.0 * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(idx));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (idx - static_cast<double>(lo));
}

namespace {

LatencyStats StatsMs(std::vector<double> values_ms) {
  LatencyStats st;
  if (values_ms.empty()) return st;
  SortNonNegative(&values_ms);  // exactly std::sort's order, in linear time
  double sum = 0;
  for (double v : values_ms) sum += v;
  st.count = static_cast<int64_t>(values_ms.size());
  st.mean_ms = sum / static_cast<double>(values_ms.size());
  st.median_ms = Percentile(values_ms, 50);
  st.p90_ms = Percentile(values_ms, 90);
  st.p99_ms = Percentile(values_ms, 99);
  st.max_ms = values_ms.back();
  return st;
}

// Value at 0-based rank `k` of the expanded weighted sample. `cum[i]` = samples up to i.
double ValueAtRank(const std::vector<std::pair<SimTime, int64_t>>& s,
                   const std::vector<int64_t>& cum, int64_t k) {
  const size_t i = std::upper_bound(cum.begin(), cum.end(), k) - cum.begin();
  return SimTimeToMs(s[i].first);
}

double WeightedPercentile(const std::vector<std::pair<SimTime, int64_t>>& s,
                          const std::vector<int64_t>& cum, double q) {
  const double idx = q / 100.0 * static_cast<double>(cum.back() - 1);
  const int64_t lo = static_cast<int64_t>(std::floor(idx));
  const int64_t hi = std::min(lo + 1, cum.back() - 1);
  const double a = ValueAtRank(s, cum, lo);
  const double b = ValueAtRank(s, cum, hi);
  return a + (b - a) * (idx - static_cast<double>(lo));
}

}  // namespace

LatencyStats WeightedStatsMs(std::vector<std::pair<SimTime, int64_t>> samples) {
  LatencyStats st;
  std::sort(samples.begin(), samples.end());
  std::vector<int64_t> cum;
  cum.reserve(samples.size());
  int64_t total = 0;
  double sum_ms = 0;
  for (const auto& [value, count] : samples) {
    total += count;
    cum.push_back(total);
    sum_ms += SimTimeToMs(value) * static_cast<double>(count);
  }
  if (total == 0) return st;
  st.count = total;
  st.mean_ms = sum_ms / static_cast<double>(total);
  st.median_ms = WeightedPercentile(samples, cum, 50);
  st.p90_ms = WeightedPercentile(samples, cum, 90);
  st.p99_ms = WeightedPercentile(samples, cum, 99);
  st.max_ms = SimTimeToMs(samples.back().first);
  return st;
}

Metrics::Metrics(const RequestTable* table, int num_replicas)
    : table_(table), replicas_(static_cast<size_t>(num_replicas)) {
  SERVESIM_CHECK(num_replicas >= 1);
}

void Metrics::OnStep(int replica, SimTime /*start*/, SimTime /*latency*/, const BatchShape& batch,
                     const StepCost& cost) {
  ++num_steps_;
  const int64_t seqs = batch.NumSeqs();
  sum_batch_ += static_cast<double>(seqs);
  max_batch_ = std::max(max_batch_, seqs);
  PerReplica& r = replicas_[static_cast<size_t>(replica)];
  ++r.steps;
  r.sum_batch += static_cast<double>(seqs);
  flops_ += cost.flops;
  bytes_ += cost.bytes;
  time_.gemm_s += cost.breakdown.gemm_s;
  time_.attention_s += cost.breakdown.attention_s;
  time_.communication_s += cost.breakdown.communication_s;
  time_.other_s += cost.breakdown.other_s;
  time_.host_s += cost.breakdown.host_s;
  time_.kv_load_s += cost.breakdown.kv_load_s;
  if (batch.host_load_tokens > 0) {
    ++load_steps_;
    load_s_ += cost.kv_load_transfer_s;
  }
}

void Metrics::OnKvUsage(int replica, SimTime now, int64_t used_blocks, int64_t total_blocks) {
  PerReplica& r = replicas_[static_cast<size_t>(replica)];
  SERVESIM_CHECK(now >= r.kv_since && used_blocks >= 0 && used_blocks <= total_blocks);
  r.kv_integral += r.kv_held * SimTimeToSeconds(now - r.kv_since);
  r.kv_held = static_cast<double>(used_blocks) / static_cast<double>(total_blocks);
  r.kv_since = now;
  max_kv_ = std::max(max_kv_, r.kv_held);
}

void Metrics::OnBusy(int replica, SimTime duration) {
  replicas_[static_cast<size_t>(replica)].busy += duration;
}

void Metrics::OnStageWork(int replica, double stage_seconds) {
  replicas_[static_cast<size_t>(replica)].stage_work_s += stage_seconds;
}

void Metrics::OnFirstToken(RequestId, SimTime) { ++first_tokens_; }

void Metrics::OnTokenGaps(SimTime gap, int64_t count) {
  token_gaps_.Add(gap, count);
  later_tokens_ += count;
}

void Metrics::OnFinish(RequestId id, SimTime now) {
  const Request& r = (*table_)[id];
  if (r.generated < r.output_tokens) {  // a prefill-only replica's hand-off
    SERVESIM_CHECK(on_handoff_ != nullptr);
    on_handoff_(id);
    return;
  }
  ++completed_;
  if (r.warmup) ++warmups_completed_;
  last_finish_ = std::max(last_finish_, now);
  if (on_finish_) on_finish_(id, now);
}

void Metrics::OnPreempt(RequestId, SimTime) { ++preemptions_; }

void Metrics::OnDrafts(int64_t sequences, int64_t proposed, int64_t accepted) {
  draft_sequence_steps_ += sequences;
  drafts_proposed_ += proposed;
  drafts_accepted_ += accepted;
  later_tokens_ += accepted;  // streamed with their step's chunk: no inter-token gap of their own
}

void Metrics::OnMeasureStart(SimTime t) {
  SERVESIM_CHECK(t >= measure_start_);
  measure_start_ = t;
  token_gaps_ = TokenGapLog();
}

void Metrics::SummarizeRequests(const SloTargets& slo, Summary* s) {
  std::vector<double> ttft, tpot, e2el;
  int64_t good = 0;
  for (const Request& r : *table_) {
    if (r.warmup) continue;
    if (r.rejected) ++s->failed;
    if (r.finish < 0) continue;
    s->total_input_tokens += r.input_tokens;
    s->total_output_tokens += r.output_tokens;
    s->prefix_cache_hit_tokens += r.prefix_hit_tokens;
    if (s->kv_offload) {
      s->kv_offload->host_hit_tokens += r.host_hit_tokens;
      s->kv_offload->gpu_hit_tokens += r.prefix_hit_tokens - r.host_hit_tokens;
    }
    const double ttft_ms = SimTimeToMs(r.first_token - r.arrival);
    const double e2el_ms = SimTimeToMs(r.finish - r.arrival);
    ttft.push_back(ttft_ms);
    e2el.push_back(e2el_ms);
    double tpot_ms = 0;
    if (r.output_tokens > 1) {
      tpot_ms = (e2el_ms - ttft_ms) / static_cast<double>(r.output_tokens - 1);
      tpot.push_back(tpot_ms);
    }
    const bool ok =
        (!slo.ttft_ms || ttft_ms <= *slo.ttft_ms) && (!slo.tpot_ms || tpot_ms <= *slo.tpot_ms);
    good += ok ? 1 : 0;
  }
  const int64_t completed = completed_ - warmups_completed_;
  s->completed = completed;
  if (s->total_input_tokens > 0) {
    s->prefix_cache_hit_rate = static_cast<double>(s->prefix_cache_hit_tokens) /
                               static_cast<double>(s->total_input_tokens);
    if (s->kv_offload) {
      s->kv_offload->host_hit_rate = static_cast<double>(s->kv_offload->host_hit_tokens) /
                                     static_cast<double>(s->total_input_tokens);
    }
  }
  s->duration_s = SimTimeToSeconds(last_finish_ - measure_start_);
  const double d = s->duration_s > 0 ? s->duration_s : 1.0;
  s->request_throughput = s->duration_s > 0 ? completed / d : 0;
  s->output_throughput = s->duration_s > 0 ? s->total_output_tokens / d : 0;
  s->total_token_throughput =
      s->duration_s > 0 ? (s->total_input_tokens + s->total_output_tokens) / d : 0;
  s->ttft = StatsMs(std::move(ttft));
  s->tpot = StatsMs(std::move(tpot));
  s->e2el = StatsMs(std::move(e2el));
  s->itl = token_gaps_.Stats();
  s->slo_ttft_ms = slo.ttft_ms;
  s->slo_tpot_ms = slo.tpot_ms;
  s->slo_attainment = completed > 0 ? static_cast<double>(good) / completed : 0;
  s->goodput = s->duration_s > 0 ? good / d : 0;
}

void Metrics::SummarizeEngine(const Capacity& capacity, Summary* s) const {
  // Engine-side statistics cover the whole run, warm-up included.
  const double run_s = SimTimeToSeconds(last_finish_);
  const double d = run_s > 0 ? run_s : 1.0;
  const double n = static_cast<double>(replicas_.size());
  const double gpus = static_cast<double>(capacity.num_gpus);
  s->num_steps = num_steps_;
  s->mean_batch_size = num_steps_ > 0 ? sum_batch_ / num_steps_ : 0;
  s->max_batch_size = max_batch_;
  s->preemptions = preemptions_;
  if (s->kv_offload) {
    Summary::KvOffload& o = *s->kv_offload;
    o.load_steps = load_steps_;
    o.load_s = load_s_;
    o.mean_load_ms = load_steps_ > 0 ? 1e3 * load_s_ / static_cast<double>(load_steps_) : 0.0;
    o.load_exposed_s = time_.kv_load_s;
  }
  if (s->speculative) {
    Summary::Speculation& sp = *s->speculative;
    sp.sequence_steps = draft_sequence_steps_;
    sp.drafts_proposed = drafts_proposed_;
    sp.drafts_accepted = drafts_accepted_;
    const auto ratio = [](int64_t a, int64_t b) {
      return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
    };
    sp.acceptance_rate = ratio(drafts_accepted_, drafts_proposed_);
    sp.tokens_per_step =
        draft_sequence_steps_ > 0 ? 1 + ratio(drafts_accepted_, draft_sequence_steps_) : 0.0;
  }
  s->max_kv_utilization = max_kv_;
  double kv = 0, busy = 0, stage_work = 0;
  s->replicas.clear();
  for (const PerReplica& r : replicas_) {
    const double held_to_end = r.kv_held * SimTimeToSeconds(last_finish_ - r.kv_since);
    kv += r.kv_integral + (last_finish_ > r.kv_since ? held_to_end : 0);
    busy += SimTimeToSeconds(r.busy);
    stage_work += r.stage_work_s;
    s->replicas.push_back({r.steps, r.steps > 0 ? r.sum_batch / r.steps : 0,
                           run_s > 0 ? SimTimeToSeconds(r.busy) / d : 0});
  }
  if (run_s <= 0) return;
  s->mean_kv_utilization = kv / (d * n);
  s->mfu = flops_ / (d * capacity.peak_flops_per_gpu * gpus);
  s->memory_bandwidth_utilization = bytes_ / (d * capacity.bandwidth_bytes_per_s_per_gpu * gpus);
  s->busy_fraction = busy / (d * n);
  // Pipeline bubbles: the share of stage time idle while the pipeline had work in flight.
  if (capacity.pp > 1 && busy > 0) {
    s->pipeline_bubble_fraction = 1.0 - stage_work / (busy * static_cast<double>(capacity.pp));
  }
  s->gemm_s = time_.gemm_s;
  s->attention_s = time_.attention_s;
  s->communication_s = time_.communication_s;
  s->other_s = time_.other_s;
  s->host_s = time_.host_s;
}

void Metrics::Summarize(const SloTargets& slo, const Capacity& capacity, Summary* s) {
  SummarizeRequests(slo, s);
  SummarizeEngine(capacity, s);
}

}  // namespace servesim

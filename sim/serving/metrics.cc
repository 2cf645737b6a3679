#include "sim/serving/metrics.h"

#include <algorithm>
#include <cmath>

#include "sim/core/check.h"

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
  std::sort(values_ms.begin(), values_ms.end());
  double sum = 0;
  for (double v : values_ms) sum += v;
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
  st.mean_ms = sum_ms / static_cast<double>(total);
  st.median_ms = WeightedPercentile(samples, cum, 50);
  st.p90_ms = WeightedPercentile(samples, cum, 90);
  st.p99_ms = WeightedPercentile(samples, cum, 99);
  st.max_ms = SimTimeToMs(samples.back().first);
  return st;
}

void Metrics::OnStep(SimTime /*start*/, SimTime duration, const BatchShape& batch,
                     const StepCost& cost, int64_t kv_used_blocks, int64_t kv_total_blocks) {
  ++num_steps_;
  const int64_t seqs = batch.NumSeqs();
  sum_batch_ += static_cast<double>(seqs);
  max_batch_ = std::max(max_batch_, seqs);
  const double kv = static_cast<double>(kv_used_blocks) / static_cast<double>(kv_total_blocks);
  kv_time_integral_ += kv * SimTimeToSeconds(duration);
  max_kv_ = std::max(max_kv_, kv);
  busy_ += duration;
  flops_ += cost.flops;
  bytes_ += cost.bytes;
  time_.gemm_s += cost.breakdown.gemm_s;
  time_.attention_s += cost.breakdown.attention_s;
  time_.communication_s += cost.breakdown.communication_s;
  time_.other_s += cost.breakdown.other_s;
  time_.host_s += cost.breakdown.host_s;
}

void Metrics::OnFirstToken(RequestId, SimTime) {}

void Metrics::OnTokenGaps(SimTime gap, int64_t count) {
  // Consecutive steps of equal length merge into one sample: steady decode costs O(1) memory.
  if (!token_gaps_.empty() && token_gaps_.back().first == gap) {
    token_gaps_.back().second += count;
  } else {
    token_gaps_.emplace_back(gap, count);
  }
}

void Metrics::OnFinish(RequestId id, SimTime now) {
  ++completed_;
  last_finish_ = std::max(last_finish_, now);
  if (on_finish_) on_finish_(id, now);
}

void Metrics::OnPreempt(RequestId, SimTime) { ++preemptions_; }

void Metrics::Summarize(const SloTargets& slo, double peak_flops, double bandwidth_bytes_per_s,
                        Summary* s) const {
  std::vector<double> ttft, tpot, e2el;
  int64_t good = 0;
  for (const Request& r : *table_) {
    if (r.rejected) ++s->failed;
    if (r.finish < 0) continue;
    s->total_input_tokens += r.input_tokens;
    s->total_output_tokens += r.output_tokens;
    const double ttft_ms = SimTimeToMs(r.first_token - r.arrival);
    const double e2el_ms = SimTimeToMs(r.finish - r.arrival);
    ttft.push_back(ttft_ms);
    e2el.push_back(e2el_ms);
    double tpot_ms = 0;
    if (r.output_tokens > 1) {
      tpot_ms = (e2el_ms - ttft_ms) / static_cast<double>(r.output_tokens - 1);
      tpot.push_back(tpot_ms);
    }
    const bool ok = (!slo.ttft_ms || ttft_ms <= *slo.ttft_ms) &&
                    (!slo.tpot_ms || tpot_ms <= *slo.tpot_ms);
    good += ok ? 1 : 0;
  }
  s->completed = completed_;
  s->duration_s = SimTimeToSeconds(last_finish_);
  const double d = s->duration_s > 0 ? s->duration_s : 1.0;
  s->request_throughput = s->duration_s > 0 ? completed_ / d : 0;
  s->output_throughput = s->duration_s > 0 ? s->total_output_tokens / d : 0;
  s->total_token_throughput =
      s->duration_s > 0 ? (s->total_input_tokens + s->total_output_tokens) / d : 0;
  s->ttft = StatsMs(std::move(ttft));
  s->tpot = StatsMs(std::move(tpot));
  s->e2el = StatsMs(std::move(e2el));
  s->itl = WeightedStatsMs(token_gaps_);
  s->slo_ttft_ms = slo.ttft_ms;
  s->slo_tpot_ms = slo.tpot_ms;
  s->slo_attainment = completed_ > 0 ? static_cast<double>(good) / completed_ : 0;
  s->goodput = s->duration_s > 0 ? good / d : 0;
  s->num_steps = num_steps_;
  s->mean_batch_size = num_steps_ > 0 ? sum_batch_ / num_steps_ : 0;
  s->max_batch_size = max_batch_;
  s->mean_kv_utilization = s->duration_s > 0 ? kv_time_integral_ / d : 0;
  s->max_kv_utilization = max_kv_;
  s->preemptions = preemptions_;
  s->mfu = s->duration_s > 0 ? flops_ / (d * peak_flops) : 0;
  s->memory_bandwidth_utilization = s->duration_s > 0 ? bytes_ / (d * bandwidth_bytes_per_s) : 0;
  s->busy_fraction = s->duration_s > 0 ? SimTimeToSeconds(busy_) / d : 0;
  s->gemm_s = time_.gemm_s;
  s->attention_s = time_.attention_s;
  s->communication_s = time_.communication_s;
  s->other_s = time_.other_s;
  s->host_s = time_.host_s;
}

}  // namespace servesim

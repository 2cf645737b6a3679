#include "sim/studies/study_replications.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <cmath>

namespace servesim {

StudyReplications ReplicateStudy(
    int64_t replications, uint64_t base_seed, int jobs, const std::optional<ResidualNoise>& noise,
    const std::function<nlohmann::ordered_json(uint64_t seed, const StepTimeAdjust& adjust)>& run) {
  StudyReplications r;
  if (noise) r.noise_source = noise->source;
  r.stats = Replicate(replications, base_seed, jobs, [&](uint64_t seed) {
    StepTimeAdjust adjust;
    adjust.noise = noise;
    adjust.noise_seed = seed;
    return run(seed, adjust);
  });
  return r;
}

std::pair<double, double> PredictionInterval(const MetricInterval& m, int64_t count) {
  const double half = (m.ci95_high - m.mean) * std::sqrt(static_cast<double>(count) + 1.0);
  return {m.mean - half, m.mean + half};
}

nlohmann::ordered_json StudyReplicationsToJson(const StudyReplications& r) {
  nlohmann::ordered_json j = ReplicationsToJson(r.stats);
  if (!r.noise_source) return j;
  j["step_time_noise"] = *r.noise_source;
  const auto count = static_cast<int64_t>(r.stats.seeds.size());
  for (const MetricInterval& m : r.stats.metrics) {
    const auto [low, high] = PredictionInterval(m, count);
    j["metrics"][m.key]["pi95_low"] = low;
    j["metrics"][m.key]["pi95_high"] = high;
  }
  return j;
}

void PrintStudyReplications(const StudyReplications& r, std::ostream& out) {
  PrintReplications(r.stats, out);
  if (!r.noise_source) return;
  fmt::print(out, "\nstep times perturbed by calibration residuals ({});\n", *r.noise_source);
  fmt::print(out, "95% prediction interval of one more replication:\n");
  fmt::print(out, "{:<34}{:>14}{:>14}\n", "metric", "pi95_low", "pi95_high");
  const auto count = static_cast<int64_t>(r.stats.seeds.size());
  for (const MetricInterval& m : r.stats.metrics) {
    if (m.ci95_low == m.ci95_high) continue;
    const auto [low, high] = PredictionInterval(m, count);
    fmt::print(out, "{:<34}{:>14.6g}{:>14.6g}\n", m.key, low, high);
  }
}

}  // namespace servesim

// Replications of a whole study (scaling, plan) under R seeds (sim/studies/replication.h), and,
// when the scenario's step times come from a calibration profile, prediction intervals: each
// replication then also perturbs step times by the profile's residuals
// (sim/studies/residual_noise.h), and every metric gets, besides the 95% confidence interval of
// its mean, the 95% prediction interval of one more replication,
//   mean +- t(0.975, R - 1) x s x sqrt(1 + 1/R)  ==  mean +- (ci95_high - mean) x sqrt(R + 1).
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>

#include "sim/studies/replication.h"
#include "sim/studies/residual_noise.h"
#include "sim/studies/study_step_times.h"

namespace servesim {

struct StudyReplications {
  ReplicationStats stats;
  std::optional<std::string> noise_source;  // set when step times were perturbed
};

// Runs `run(seed, step_times)` for the R seeds; `step_times` carries the residual noise of
// `noise` (when given) with the replication's seed.
StudyReplications ReplicateStudy(
    int64_t replications, uint64_t base_seed, int jobs, const std::optional<ResidualNoise>& noise,
    const std::function<nlohmann::ordered_json(uint64_t seed, const StepTimeAdjust& adjust)>& run);

// The 95% prediction interval of `m` over `count` replications: {low, high}.
std::pair<double, double> PredictionInterval(const MetricInterval& m, int64_t count);

// ReplicationsToJson plus, with noise, "step_time_noise" and per metric "pi95_low"/"pi95_high".
nlohmann::ordered_json StudyReplicationsToJson(const StudyReplications& r);
void PrintStudyReplications(const StudyReplications& r, std::ostream& out);

}  // namespace servesim

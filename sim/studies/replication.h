// Replications: the same study under R seeds, seed, seed + 1, ..., seed + R - 1 (replication k
// is exactly `--seed <seed + k>`, so any one can be rerun alone), reported as the mean and a 95%
// confidence interval (Student t with R - 1 degrees of freedom) for every numeric metric.
// Replications run on threads; the statistics depend only on the seeds, not on the thread count.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace servesim {

struct MetricInterval {
  std::string key;  // flattened JSON key, e.g. "p99_ttft_ms" or "step_time_s.gemm"
  double mean = 0;
  double ci95_low = 0;
  double ci95_high = 0;
};

struct ReplicationStats {
  std::vector<uint64_t> seeds;
  std::vector<MetricInterval> metrics;  // in the key order of the first replication
};

// The two-sided 95% quantile of Student's t with `df` degrees of freedom. REQUIRES: df >= 1.
double StudentT975(int64_t df);

// Mean and 95% CI of `values`. REQUIRES: at least two values.
MetricInterval Interval(const std::string& key, const std::vector<double>& values);

// Statistics over result objects (one per replication): every numeric leaf present in all of
// them, except identifiers ("seed"). REQUIRES: at least two results.
std::vector<MetricInterval> SummarizeReplications(
    const std::vector<nlohmann::ordered_json>& results);

// Most replications one study runs (each is a whole simulation).
inline constexpr int64_t kMaxReplications = 10'000;

// Runs `run(seed)` for the R seeds on up to `jobs` threads and summarises the results.
// Throws InputError when replications < 2 or > kMaxReplications.
ReplicationStats Replicate(int64_t replications, uint64_t base_seed, int jobs,
                           const std::function<nlohmann::ordered_json(uint64_t seed)>& run);

// {"count": R, "seeds": [...], "metrics": {key: {"mean", "ci95_low", "ci95_high"}}}.
nlohmann::ordered_json ReplicationsToJson(const ReplicationStats& stats);
// One row per metric that varies across replications (constant ones are counted, not listed).
void PrintReplications(const ReplicationStats& stats, std::ostream& out);

}  // namespace servesim

#include "sim/studies/replication.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <map>

#include "sim/config/input_error.h"
#include "sim/core/check.h"
#include "sim/studies/ordered_parallel.h"
#include "sim/studies/table_text.h"

namespace servesim {

double StudentT975(int64_t df) {
  SERVESIM_CHECK(df >= 1);
  const boost::math::students_t dist(static_cast<double>(df));
  return boost::math::quantile(dist, 0.975);
}

MetricInterval Interval(const std::string& key, const std::vector<double>& values) {
  SERVESIM_CHECK(values.size() >= 2);
  if (std::all_of(values.begin(), values.end(), [&](double v) { return v == values[0]; })) {
    return {key, values[0], values[0], values[0]};  // exact: no rounding noise in a constant
  }
  const auto n = static_cast<double>(values.size());
  double sum = 0;
  for (double v : values) sum += v;
  const double mean = sum / n;
  double ss = 0;
  for (double v : values) ss += (v - mean) * (v - mean);
  const double half =
      StudentT975(static_cast<int64_t>(values.size()) - 1) * std::sqrt(ss / (n - 1)) / std::sqrt(n);
  return {key, mean, mean - half, mean + half};
}

std::vector<MetricInterval> SummarizeReplications(
    const std::vector<nlohmann::ordered_json>& results) {
  SERVESIM_CHECK(results.size() >= 2);
  std::vector<std::map<std::string, double>> flat(results.size());
  for (size_t r = 0; r < results.size(); ++r) {
    for (const auto& [key, value] : FlattenJson(results[r])) {
      if (value.is_number() && key != "seed") flat[r][key] = value.get<double>();
    }
  }
  std::vector<MetricInterval> out;
  for (const auto& [key, value] : FlattenJson(results[0])) {
    if (!flat[0].count(key)) continue;
    std::vector<double> values;
    for (const auto& f : flat) {
      const auto it = f.find(key);
      if (it != f.end()) values.push_back(it->second);
    }
    if (values.size() == results.size()) out.push_back(Interval(key, values));
  }
  return out;
}

ReplicationStats Replicate(int64_t replications, uint64_t base_seed, int jobs,
                           const std::function<nlohmann::ordered_json(uint64_t seed)>& run) {
  if (replications < 2) {
    throw InputError(
        fmt::format("--replications {}: need at least 2 for a confidence interval", replications));
  }
  if (replications > kMaxReplications) {
    throw InputError(
        fmt::format("--replications {}: must be <= {}", replications, kMaxReplications));
  }
  ReplicationStats stats;
  for (int64_t k = 0; k < replications; ++k) stats.seeds.push_back(base_seed + k);
  std::vector<nlohmann::ordered_json> results(stats.seeds.size());
  RunOrdered(
      replications, jobs,
      [&](int64_t k) {
        results[static_cast<size_t>(k)] = run(stats.seeds[static_cast<size_t>(k)]);
      },
      [](int64_t) {});
  stats.metrics = SummarizeReplications(results);
  return stats;
}

nlohmann::ordered_json ReplicationsToJson(const ReplicationStats& stats) {
  nlohmann::ordered_json j;
  j["count"] = stats.seeds.size();
  j["seeds"] = stats.seeds;
  nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
  for (const MetricInterval& m : stats.metrics) {
    metrics[m.key] = {{"mean", m.mean}, {"ci95_low", m.ci95_low}, {"ci95_high", m.ci95_high}};
  }
  j["metrics"] = std::move(metrics);
  return j;
}

void PrintReplications(const ReplicationStats& stats, std::ostream& out) {
  fmt::print(out, "\n{} replications (seeds {}..{}), mean and 95% confidence interval:\n",
             stats.seeds.size(), stats.seeds.front(), stats.seeds.back());
  fmt::print(out, "{:<34}{:>14}{:>14}{:>14}\n", "metric", "mean", "ci95_low", "ci95_high");
  int64_t constant = 0;
  for (const MetricInterval& m : stats.metrics) {
    if (m.ci95_low == m.ci95_high) {
      ++constant;
      continue;
    }
    fmt::print(out, "{:<34}{:>14.6g}{:>14.6g}{:>14.6g}\n", m.key, m.mean, m.ci95_low, m.ci95_high);
  }
  if (constant > 0) fmt::print(out, "({} metrics are the same in every replication)\n", constant);
}

}  // namespace servesim

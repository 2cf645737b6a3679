#include "sim/studies/sweep_runner.h"

#include <filesystem>
#include <optional>

#include "sim/config/scenario.h"
#include "sim/runner.h"
#include "sim/studies/ordered_parallel.h"
#include "sim/studies/progress.h"
#include "sim/studies/result_table.h"
#include "sim/studies/sweep_spec.h"

namespace servesim {
namespace {

std::vector<int64_t> ShardPoints(int64_t num_points, const ShardSpec& shard) {
  std::vector<int64_t> points;
  for (int64_t p = shard.index; p < num_points; p += shard.count) points.push_back(p);
  return points;
}

ResultRow RunPoint(const SweepSpec& spec, const ResultTable& table, int64_t index) {
  const SweepPoint point = PointAt(spec, index);
  const Scenario scenario = ParseScenario(PointDocument(spec, point), std::nullopt);
  return table.Render(index, point.overrides, RunScenario(scenario).summary);
}

}  // namespace

std::string DefaultSweepOutDir(const std::string& sweep_path, const ShardSpec& shard) {
  std::filesystem::path dir =
      std::filesystem::path("sweep-out") / std::filesystem::path(sweep_path).stem();
  if (shard.count > 1) dir /= "shard-" + std::to_string(shard.index);
  return dir.string();
}

SweepReport RunSweep(const SweepOptions& options, std::ostream& err) {
  const SweepSpec spec = LoadSweepSpec(options.sweep_path);
  const std::vector<int64_t> points = ShardPoints(spec.NumPoints(), options.shard);
  ValidateSweepPoints(spec, points);
  const ResultTable table(spec.InputKeys());
  SweepStore store(options.out_dir, MakeManifest(spec, options.shard), table.CsvHeader(), points,
                   options.resume);
  const std::vector<int64_t> todo(points.begin() + store.NumDone(), points.end());

  SweepReport report;
  report.num_points = spec.NumPoints();
  report.shard_points = static_cast<int64_t>(points.size());
  report.reused = store.NumDone();
  Progress progress("points", report.shard_points, options.progress, options.progress_in_place,
                    err);
  progress.Update(report.reused);
  std::vector<std::optional<ResultRow>> rows(todo.size());
  const auto n = static_cast<int64_t>(todo.size());
  RunOrdered(
      n, options.jobs,
      [&](int64_t i) { rows[static_cast<size_t>(i)] = RunPoint(spec, table, todo[i]); },
      [&](int64_t i) {
        store.Append(*rows[static_cast<size_t>(i)]);
        rows[static_cast<size_t>(i)].reset();
        ++report.computed;
        progress.Update(report.reused + report.computed);
      });
  progress.Finish();
  return report;
}

}  // namespace servesim

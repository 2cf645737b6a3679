#include "sim/studies/merge.h"

#include <fmt/format.h>

#include <filesystem>
#include <optional>

#include "sim/config/input_error.h"
#include "sim/report/atomic_file.h"
#include "sim/studies/sweep_store.h"

namespace servesim {
namespace {

constexpr size_t kListedMissing = 20;

void CheckSameSweep(const SweepManifest& first, const std::string& first_dir,
                    const SweepManifest& m, const std::string& dir) {
  if (m.fingerprint != first.fingerprint || m.num_points != first.num_points ||
      m.input_keys != first.input_keys) {
    throw InputError(fmt::format(
        "{}: results of another sweep than {} (fingerprint {} vs {}, {} vs {} points)", dir,
        first_dir, m.fingerprint, first.fingerprint, m.num_points, first.num_points));
  }
}

void CheckComplete(const std::vector<std::optional<ResultRow>>& rows) {
  std::vector<int64_t> missing;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i]) missing.push_back(static_cast<int64_t>(i));
  }
  if (missing.empty()) return;
  std::string list;
  for (size_t i = 0; i < missing.size() && i < kListedMissing; ++i) {
    list += fmt::format("{}{}", i ? ", " : "", missing[i]);
  }
  if (missing.size() > kListedMissing) list += ", ...";
  throw InputError(fmt::format(
      "merge: {} of {} points missing: {} (rerun their shards with --resume, then merge again)",
      missing.size(), rows.size(), list));
}

// Rows gathered from the directories so far, by point.
struct Collected {
  std::string header;
  std::vector<std::optional<ResultRow>> rows;
  std::vector<std::string> owner;  // the directory each row came from
};

void Collect(const std::string& dir, const std::string& first_dir, Collected* c) {
  StoredResults stored = ReadStoredResults(dir);
  if (stored.csv_header.empty()) return;  // a shard that never finished a point
  if (!c->header.empty() && stored.csv_header != c->header) {
    throw InputError(fmt::format("{}: its columns differ from those of {}", dir, first_dir));
  }
  c->header = stored.csv_header;
  for (ResultRow& row : stored.rows) {
    if (row.point >= static_cast<int64_t>(c->rows.size())) {
      throw InputError(fmt::format("{}: point {} is out of range (the sweep has {} points)",
                                   ResultsJsonlPath(dir), row.point, c->rows.size()));
    }
    const auto p = static_cast<size_t>(row.point);
    if (c->rows[p]) {
      throw InputError(
          fmt::format("merge: point {} is in both {} and {}", row.point, c->owner[p], dir));
    }
    c->owner[p] = dir;
    c->rows[p] = std::move(row);
  }
}

}  // namespace

MergeReport MergeSweeps(const std::vector<std::string>& dirs, const std::string& out_dir) {
  if (dirs.empty()) throw InputError("merge: no result directories given");
  const SweepManifest first = ReadManifest(dirs[0]);
  Collected c;
  c.rows.resize(static_cast<size_t>(first.num_points));
  c.owner.resize(c.rows.size());
  for (const std::string& dir : dirs) {
    CheckSameSweep(first, dirs[0], ReadManifest(dir), dir);
    Collect(dir, dirs[0], &c);
  }
  CheckComplete(c.rows);
  SweepManifest merged = first;
  merged.shard = ShardSpec{};
  std::string csv = c.header, jsonl;
  for (const std::optional<ResultRow>& r : c.rows) {
    csv += r->csv;
    jsonl += r->jsonl;
  }
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) throw InputError(fmt::format("{}: cannot create directory: {}", out_dir, ec.message()));
  WriteFilesAtomically({{ManifestPath(out_dir), merged.ToJson().dump(2) + "\n"},
                        {ResultsJsonlPath(out_dir), jsonl},
                        {ResultsCsvPath(out_dir), csv}});
  return {first.num_points, static_cast<int64_t>(dirs.size())};
}

}  // namespace servesim

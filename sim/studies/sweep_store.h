// SweepStore: the output directory of a sweep, or of one shard of it.
//   DIR/sweep.json     what ran: sweep file, base, fingerprint, point count, shard, input keys
//   DIR/results.csv    header + one row per finished point, in point order
//   DIR/results.jsonl  one JSON object per finished point, in point order
// Rows are appended whole (JSON line first, then CSV row), each flushed at once, so a kill leaves
// at most one torn line at the end of a file. --resume keeps the longest run of points that are
// complete in both files, rewrites the files to exactly those rows (atomically) and appends the
// rest: never a torn or duplicated row. (Flushes reach the OS, not the disk: a power loss is not
// covered.)
#pragma once

#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/studies/result_table.h"
#include "sim/studies/sweep_spec.h"

namespace servesim {

// `--shard i/N`: this process runs the points whose index % N == i. 0 <= i < N.
struct ShardSpec {
  int64_t index = 0;
  int64_t count = 1;
  bool Contains(int64_t point) const { return point % count == index; }
  std::string ToString() const;
};
// Parses "i/N"; InputError "--shard X: ..." otherwise.
ShardSpec ParseShard(const std::string& text);

struct SweepManifest {
  std::string sweep_file;
  std::string base_path;
  std::string fingerprint;  // of the base text and every override value (not of comments)
  int64_t num_points = 0;
  ShardSpec shard;
  std::vector<std::string> input_keys;

  nlohmann::ordered_json ToJson() const;
  // Throws InputError naming `where` for a malformed manifest.
  static SweepManifest FromJson(const nlohmann::json& j, const std::string& where);
};

SweepManifest MakeManifest(const SweepSpec& spec, const ShardSpec& shard);
SweepManifest ReadManifest(const std::string& dir);  // DIR/sweep.json

class SweepStore {
 public:
  // Opens DIR for writing the points of `manifest`. Fresh (resume false): DIR must hold no
  // results yet. Resume: DIR must hold this very sweep and shard (else InputError); its complete
  // rows are kept. `points` lists the shard's points in order.
  SweepStore(const std::string& dir, const SweepManifest& manifest, const std::string& csv_header,
             const std::vector<int64_t>& points, bool resume);

  // How many of `points` (a prefix) are already in the files.
  int64_t NumDone() const { return num_done_; }
  // Appends one row. REQUIRES: rows arrive in point order.
  void Append(const ResultRow& row);

 private:
  void Resume(const std::string& csv_header, const std::vector<int64_t>& points);

  std::string dir_;
  int64_t num_done_ = 0;
  std::ofstream csv_;
  std::ofstream jsonl_;
};

// The rows of one results directory: complete lines only (a torn last line is dropped).
struct StoredResults {
  std::string csv_header;       // with its '\n'
  std::vector<ResultRow> rows;  // rows complete in both files, in file order
};
StoredResults ReadStoredResults(const std::string& dir);

std::string ResultsCsvPath(const std::string& dir);
std::string ResultsJsonlPath(const std::string& dir);
std::string ManifestPath(const std::string& dir);

}  // namespace servesim

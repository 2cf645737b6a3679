// MergeSweeps: combines the result directories of the shards of one sweep (servesim sweep
// --shard i/N) into one directory whose results.csv and results.jsonl are byte-identical to
// those of an unsharded run. Refuses directories of different sweeps, a point found twice, and
// any missing point (listing them), writing nothing in that case.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace servesim {

struct MergeReport {
  int64_t num_points = 0;
  int64_t num_dirs = 0;
};

MergeReport MergeSweeps(const std::vector<std::string>& dirs, const std::string& out_dir);

}  // namespace servesim

// RunSweep: `servesim sweep`. Expands the sweep file, validates every point of this shard before
// running any, then simulates the points still missing from the output directory on `jobs`
// threads and appends their rows in point order (sim/studies/sweep_store.h), so the files are
// byte-identical for any thread count, any shard split (after merge) and any number of resumes.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "sim/studies/sweep_store.h"

namespace servesim {

struct SweepOptions {
  std::string sweep_path;
  std::string out_dir;
  int jobs = 1;
  bool resume = false;
  ShardSpec shard;
  bool progress = true;            // points done, rate and ETA on `err`
  bool progress_in_place = false;  // a terminal: one line rewritten in place
};

struct SweepReport {
  int64_t num_points = 0;    // in the whole sweep
  int64_t shard_points = 0;  // in this shard
  int64_t reused = 0;        // already in the output directory (--resume)
  int64_t computed = 0;
};

SweepReport RunSweep(const SweepOptions& options, std::ostream& err);

// The default output directory for a sweep file: "sweep-out/<file stem>", and
// "sweep-out/<file stem>/shard-<i>" for shard i of a sharded run (so that shards sharing a working
// directory never collide).
std::string DefaultSweepOutDir(const std::string& sweep_path, const ShardSpec& shard = {});

}  // namespace servesim

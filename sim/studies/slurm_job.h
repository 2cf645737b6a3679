// `servesim sweep SWEEP.yaml --emit-slurm DIR --shards N`: a ready-to-submit Slurm job directory.
//   DIR/bin/servesim                   a copy of the running binary (every task runs the same
//   build) DIR/share/servesim/configs/        a copy of its model and GPU zoo (found by the copy,
//   see
//                                      ConfigRoot), so no node needs the source tree
//   DIR/sweep.sbatch                   the job array: task i runs `--shard auto` (= shard i of N)
//                                      with --resume into DIR/results/shard-i
//   DIR/merge.sbatch                   merges the shards into DIR/results/merged
//   DIR/submit.sh                      submits both, the merge with --dependency=afterok:<array>
//   DIR/logs/                          Slurm's per-task output (Slurm does not create it)
// Every point is validated before anything is written; DIR is built under a temporary name and
// renamed into place, so a failure leaves nothing behind. The sweep file (and the scenario and
// traces it names) are referenced by absolute path: they must be readable from the nodes, as any
// job's inputs (a shared file system).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace servesim {

struct SlurmJobOptions {
  std::string sweep_path;  // as given on the command line
  std::string job_dir;     // DIR (must be absent or empty)
  int64_t shards = 1;      // array tasks, 1 <= shards <= number of points
  int cpus_per_task = 1;   // sweep -j and #SBATCH --cpus-per-task
  std::vector<std::string>
      sbatch_options;           // extra "#SBATCH --<option>" lines, e.g. "partition=cpu"
  std::string servesim_binary;  // the binary to copy into DIR/bin
  std::string config_root;      // the zoo to copy (ConfigRoot())
};

struct SlurmJobScripts {
  std::string sweep_sbatch;
  std::string merge_sbatch;
  std::string submit_sh;
};

// The three scripts for absolute `job_dir` and `sweep_file`, `num_points` points. Pure (tests).
SlurmJobScripts MakeSlurmJobScripts(const SlurmJobOptions& options, const std::string& job_dir,
                                    const std::string& sweep_file, const std::string& sweep_name,
                                    int64_t num_points);

// Validates the sweep and options (InputError naming the flag or file and the rule), then writes
// DIR as above. Returns the number of points of the sweep.
int64_t EmitSlurmJob(const SlurmJobOptions& options);

// `text` as one shell word (single-quoted when it holds anything but [A-Za-z0-9_./=:+,@%-]).
std::string ShellQuote(const std::string& text);

}  // namespace servesim

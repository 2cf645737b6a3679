// `servesim sweep` and `servesim merge`: the CLI side of sim/studies/sweep_runner.h and
// sim/studies/merge.h.
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <filesystem>
#include <iostream>
#include <optional>
#include <thread>

#include "sim/cli/commands.h"
#include "sim/cli/study_flags.h"
#include "sim/config/input_error.h"
#include "sim/config/zoo.h"
#include "sim/studies/merge.h"
#include "sim/studies/shard_env.h"
#include "sim/studies/slurm_job.h"
#include "sim/studies/sweep_runner.h"

namespace servesim {
namespace po = boost::program_options;

namespace {

// `--emit-slurm DIR`: writes the job directory instead of running the sweep.
int EmitSlurm(const po::variables_map& vm, const std::string& sweep, std::ostream& out) {
  for (const char* flag : {"out", "resume", "shard"}) {
    if (vm.count(flag) && !vm[flag].defaulted()) {
      throw InputError(fmt::format(
          "--emit-slurm: --{} does not apply (each task's --out, --resume and --shard are written "
          "into sweep.sbatch)",
          flag));
    }
  }
  if (!vm.count("shards")) {
    throw InputError("--emit-slurm needs --shards N (the number of array tasks)");
  }
  SlurmJobOptions o;
  o.sweep_path = sweep;
  o.job_dir = vm["emit-slurm"].as<std::string>();
  o.shards = vm["shards"].as<int64_t>();
  o.cpus_per_task = vm.count("jobs") ? StudyJobs(vm) : 1;
  if (vm.count("sbatch")) o.sbatch_options = vm["sbatch"].as<std::vector<std::string>>();
  std::error_code ec;
  o.servesim_binary = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec)
    throw InputError(fmt::format("--emit-slurm: cannot find the running binary: {}", ec.message()));
  o.config_root = ConfigRoot();
  const int64_t points = EmitSlurmJob(o);
  fmt::print(out,
             "sweep: Slurm job for {} points in {} tasks of -j {} written to {}\n"
             "submit with: sh {}/submit.sh   (merged results: {}/results/merged)\n",
             points, o.shards, o.cpus_per_task, o.job_dir, o.job_dir, o.job_dir);
  return 0;
}

}  // namespace

int CommandSweep(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description desc("sweep options");
  desc.add_options()("sweep", po::value<std::string>(), "sweep YAML")(
      "jobs,j", po::value<int64_t>(),
      "threads (default: all cores; with --emit-slurm: per task, default 1)")(
      "out", po::value<std::string>(),
      "output directory (default: sweep-out/<sweep name>, or .../shard-i for a shard)")(
      "resume", po::bool_switch(), "keep the finished points in --out, run only the others")(
      "shard", po::value<std::string>(),
      "i/N: run only the points whose index % N == i; auto: i and N from Slurm's "
      "SLURM_ARRAY_TASK_* or a Kubernetes Indexed Job's JOB_COMPLETION_INDEX (with --shards)")(
      "shards", po::value<int64_t>(), "N: the number of shards, for --shard auto and --emit-slurm")(
      "emit-slurm", po::value<std::string>(),
      "DIR: write a Slurm job directory (sweep.sbatch, merge.sbatch, submit.sh) instead of "
      "running")(
      "sbatch", po::value<std::vector<std::string>>()->composing(),
      "KEY=VALUE: an extra #SBATCH --KEY=VALUE line for --emit-slurm, e.g. partition=cpu "
      "(repeatable)")("quiet", po::bool_switch(), "no progress on stderr");
  po::positional_options_description positional;
  positional.add("sweep", 1);
  const po::variables_map vm = ParseCommandLine("sweep", args, desc, positional);
  if (!vm.count("sweep"))
    throw InputError(fmt::format("servesim sweep: missing SWEEP.yaml\n{}", UsageText()));
  const std::string sweep = vm["sweep"].as<std::string>();
  if (vm.count("jobs")) StudyJobs(vm);  // checked before anything else
  if (vm.count("emit-slurm")) return EmitSlurm(vm, sweep, out);
  if (vm.count("sbatch")) throw InputError("--sbatch applies only with --emit-slurm DIR");

  SweepOptions o;
  o.sweep_path = sweep;
  const std::string shard_text = vm.count("shard") ? vm["shard"].as<std::string>() : "";
  const std::optional<int64_t> shards =
      vm.count("shards") ? std::optional<int64_t>(vm["shards"].as<int64_t>()) : std::nullopt;
  if (shard_text == "auto") {
    const AutoShard a = ShardFromEnvironment(ProcessEnv, shards);
    o.shard = a.shard;
    fmt::print(std::cerr, "sweep: shard {} from {}\n", o.shard.ToString(), a.source);
  } else {
    if (shards) throw InputError("--shards N applies only with --shard auto or --emit-slurm DIR");
    if (!shard_text.empty()) o.shard = ParseShard(shard_text);
  }
  o.out_dir = vm.count("out") ? vm["out"].as<std::string>() : DefaultSweepOutDir(sweep, o.shard);
  o.jobs = StudyJobs(vm);
  o.resume = vm["resume"].as<bool>();
  o.progress = !vm["quiet"].as<bool>();
  o.progress_in_place = isatty(STDERR_FILENO) != 0;
  const SweepReport r = RunSweep(o, std::cerr);
  if (o.progress) {
    fmt::print(
        out, "sweep: {} points{}: {} computed, {} already done; results in {}\n", r.shard_points,
        o.shard.count > 1 ? fmt::format(" (shard {} of {})", o.shard.ToString(), r.num_points) : "",
        r.computed, r.reused, o.out_dir);
  }
  return 0;
}

int CommandMerge(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description desc("merge options");
  desc.add_options()("dirs", po::value<std::vector<std::string>>(), "shard result directories")(
      "out", po::value<std::string>(), "merged output directory");
  po::positional_options_description positional;
  positional.add("dirs", -1);
  const po::variables_map vm = ParseCommandLine("merge", args, desc, positional);
  if (!vm.count("dirs") || !vm.count("out")) {
    throw InputError(fmt::format("servesim merge: need DIR... and --out DIR\n{}", UsageText()));
  }
  const std::string out_dir = vm["out"].as<std::string>();
  const MergeReport r = MergeSweeps(vm["dirs"].as<std::vector<std::string>>(), out_dir);
  fmt::print(out, "merge: {} points from {} directories into {}\n", r.num_points, r.num_dirs,
             out_dir);
  return 0;
}

}  // namespace servesim

// `servesim sweep` and `servesim merge`: the CLI side of sim/studies/sweep_runner.h and
// sim/studies/merge.h.
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <iostream>
#include <thread>

#include "sim/cli/commands.h"
#include "sim/config/input_error.h"
#include "sim/studies/merge.h"
#include "sim/studies/sweep_runner.h"

namespace servesim {
namespace po = boost::program_options;

int CommandSweep(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description desc("sweep options");
  desc.add_options()("sweep", po::value<std::string>(), "sweep YAML")(
      "jobs,j", po::value<int>(), "threads (default: all cores)")(
      "out", po::value<std::string>(), "output directory (default: sweep-out/<sweep name>)")(
      "resume", po::bool_switch(), "keep the finished points in --out, run only the others")(
      "shard", po::value<std::string>(), "i/N: run only the points whose index % N == i")(
      "quiet", po::bool_switch(), "no progress on stderr");
  po::positional_options_description positional;
  positional.add("sweep", 1);
  const po::variables_map vm = ParseCommandLine("sweep", args, desc, positional);
  if (!vm.count("sweep"))
    throw InputError(fmt::format("servesim sweep: missing SWEEP.yaml\n{}", UsageText()));
  SweepOptions o;
  o.sweep_path = vm["sweep"].as<std::string>();
  o.out_dir = vm.count("out") ? vm["out"].as<std::string>() : DefaultSweepOutDir(o.sweep_path);
  o.jobs = vm.count("jobs") ? vm["jobs"].as<int>()
                            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (o.jobs < 1) throw InputError(fmt::format("-j {}: must be >= 1", o.jobs));
  o.resume = vm["resume"].as<bool>();
  if (vm.count("shard")) o.shard = ParseShard(vm["shard"].as<std::string>());
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

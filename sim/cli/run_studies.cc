#include "sim/cli/run_studies.h"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include <iostream>
#include <thread>

#include "sim/config/run_estimate.h"
#include "sim/report/version.h"
#include "sim/studies/chrome_trace.h"
#include "sim/studies/progress.h"

namespace servesim {
namespace po = boost::program_options;

void AddRunStudyOptions(po::options_description* desc) {
  desc->add_options()("replications", po::value<int64_t>(),
                      "also run seeds seed..seed+R-1: mean and 95% CI of every metric")(
      "chrome-trace", po::value<std::string>(),
      "write every step as a Trace Event JSON timeline (Perfetto, chrome://tracing)")(
      "no-fast-forward", po::bool_switch(),
      "one event per engine step (slower; the results are identical: docs/performance.md)");
}

namespace {

// Before a long run: its size and a rough time on stderr ("servesim: about 1e+08 requests on 1
// replica: about 47.7 GiB of memory and very roughly 8m20s"), when that time is over 10 s.
void PrintEstimate(const Scenario& scenario, std::ostream& err) {
  const std::optional<double> requests = ExpectedRequests(scenario.workload);
  if (!requests) return;
  const double seconds = *requests * kRunSecondsPerRequest +
                         static_cast<double>(scenario.replicas) * kRunSecondsPerReplica;
  if (seconds < 10) return;
  fmt::print(err,
             "servesim: about {:g} requests on {} replica{}: about {} of memory and very "
             "roughly {} to simulate\n",
             *requests, scenario.replicas, scenario.replicas == 1 ? "" : "s",
             FormatBytes(EstimatedRunBytes(*requests, scenario.replicas)),
             FormatEta(seconds).substr(4));
}

}  // namespace

RunStudies RunWithStudies(const Scenario& scenario, const po::variables_map& vm) {
  RunStudies r;
  RunOptions options;
  options.fast_forward = !(vm.count("no-fast-forward") && vm["no-fast-forward"].as<bool>());
  // Progress with an ETA on stderr once a run has taken 3 s (--quiet: none).
  const bool quiet = vm.count("quiet") && vm["quiet"].as<bool>();
  if (!quiet) PrintEstimate(scenario, std::cerr);
  const std::optional<double> expected = ExpectedRequests(scenario.workload);
  Progress progress("requests", expected ? static_cast<int64_t>(*expected) : 0, !quiet,
                    isatty(STDERR_FILENO) != 0, std::cerr, /*delay_s=*/3);
  options.on_progress = [&progress](int64_t finished) { progress.Update(finished); };
  if (vm.count("chrome-trace")) {
    ChromeTrace trace;
    r.base = RunScenario(scenario, &trace, options);
    r.chrome_trace_path = vm["chrome-trace"].as<std::string>();
    const nlohmann::ordered_json meta = {{"scenario", scenario.name},
                                         {"seed", scenario.seed},
                                         {"servesim_version", kServesimVersion},
                                         {"num_steps", r.base.summary.num_steps}};
    r.chrome_trace = trace.ToJson(meta).dump() + "\n";
  } else {
    r.base = RunScenario(scenario, nullptr, options);
  }
  progress.Update(r.base.summary.completed);
  progress.Finish();
  options.on_progress = nullptr;  // replications run in parallel, silently
  if (vm.count("replications")) {
    const int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    r.replications =
        Replicate(vm["replications"].as<int64_t>(), scenario.seed, jobs, [&](uint64_t seed) {
          Scenario s = scenario;
          s.seed = seed;
          return SummaryToJson(RunScenario(s, nullptr, options).summary);
        });
  }
  return r;
}

nlohmann::ordered_json RunStudies::SummaryJson() const {
  nlohmann::ordered_json j = RunJson(base.summary);
  if (replications) j["replications"] = ReplicationsToJson(*replications);
  return j;
}

void RunStudies::AddFiles(std::vector<std::pair<std::string, std::string>>* files) const {
  if (!chrome_trace_path.empty()) files->emplace_back(chrome_trace_path, chrome_trace);
}

void RunStudies::Print(std::ostream& out) const {
  if (replications) PrintReplications(*replications, out);
}

}  // namespace servesim

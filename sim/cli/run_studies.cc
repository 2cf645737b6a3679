#include "sim/cli/run_studies.h"

#include <thread>

#include "sim/report/version.h"
#include "sim/studies/chrome_trace.h"

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

RunStudies RunWithStudies(const Scenario& scenario, const po::variables_map& vm) {
  RunStudies r;
  RunOptions options;
  options.fast_forward = !(vm.count("no-fast-forward") && vm["no-fast-forward"].as<bool>());
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

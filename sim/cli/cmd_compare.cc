// `servesim compare`: the CLI side of sim/validation/compare.h. Simulates a scenario with the
// workload of a vLLM benchmark_serving result file and prints measured vs predicted per metric.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <boost/program_options.hpp>

#include "sim/cli/commands.h"
#include "sim/config/input_error.h"
#include "sim/config/scenario.h"
#include "sim/report/atomic_file.h"
#include "sim/report/version.h"
#include "sim/runner.h"
#include "sim/validation/compare.h"

namespace servesim {
namespace po = boost::program_options;

namespace {

std::string ArrivalText(const WorkloadConfig& w) {
  if (w.ClosedLoop()) return fmt::format("closed loop, concurrency {}", w.concurrency);
  if (w.rate_schedule) return "rate schedule: " + w.rate_schedule->Describe();
  switch (w.process) {
    case ArrivalProcess::kBurst:
      return "all at t=0";
    case ArrivalProcess::kPoisson:
      return fmt::format("poisson {:g} req/s", w.rate_per_s);
    case ArrivalProcess::kGamma:
      return fmt::format("gamma {:g} req/s, cv {:.3g}", w.rate_per_s, w.cv);
    case ArrivalProcess::kConstant:
      return fmt::format("constant {:g} req/s", w.rate_per_s);
  }
  return "";
}

void PrintWorkload(const Scenario& s, const MeasuredRun& run, std::ostream& out) {
  const WorkloadConfig& w = s.workload;
  const char* from_file = " (from the measurement)";
  fmt::print(out, "measured:  {}\n", run.path);
  fmt::print(out, "simulated: {} on {} x {}, scheduler {}, seed {}\n", s.model.name, s.num_gpus,
             s.hardware.name, s.engine.scheduler, s.seed);
  fmt::print(out, "workload:  {} requests{}; input {}{}; output {}{}; {}{}\n",
             w.num_requests ? fmt::format("{}", *w.num_requests) : std::string("-"),
             run.num_requests ? from_file : "",
             w.input_tokens ? w.input_tokens->Describe() : std::string("from the trace"),
             run.input_tokens ? from_file : "",
             w.output_tokens ? w.output_tokens->Describe() : std::string("from the trace"),
             run.output_tokens ? from_file : "", ArrivalText(w), run.request_rate ? from_file : "");
  for (const std::string& note : run.notes) fmt::print(out, "note: {}\n", note);
}

void PrintMetrics(const std::vector<ComparedMetric>& metrics, std::ostream& out) {
  fmt::print(out, "{:<24} {:>14} {:>14} {:>9}\n", "metric", "measured", "predicted", "error");
  for (const ComparedMetric& m : metrics) {
    fmt::print(out, "{:<24} {:>14.2f} {:>14.2f} {:>9}\n", m.key, m.measured, m.predicted,
               m.rel_error ? fmt::format("{:+.1f}%", 100 * *m.rel_error) : std::string("-"));
  }
}

nlohmann::ordered_json CompareJson(const Scenario& s, const MeasuredRun& run,
                                   const std::vector<ComparedMetric>& metrics) {
  nlohmann::ordered_json j;
  j["scenario"] = s.name;
  j["measured_file"] = run.path;
  j["seed"] = s.seed;
  j["notes"] = run.notes;
  j["metrics"] = nlohmann::ordered_json::array();
  for (const ComparedMetric& m : metrics) {
    nlohmann::ordered_json e;
    e["key"] = m.key;
    e["measured"] = m.measured;
    e["predicted"] = m.predicted;
    e["rel_error"] = m.rel_error ? nlohmann::ordered_json(*m.rel_error) : nullptr;
    j["metrics"].push_back(e);
  }
  return j;
}

}  // namespace

int CommandCompare(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description desc("compare options");
  desc.add_options()("scenario", po::value<std::string>(), "scenario YAML")(
      "measured", po::value<std::string>(), "vLLM benchmark_serving result JSON")(
      "set", po::value<std::vector<std::string>>()->composing(), "dotted.key=value override")(
      "json", po::value<std::string>(), "write the comparison as JSON here");
  const po::variables_map vm = ParseCommandLine("compare", args, desc, {});
  if (!vm.count("scenario") || !vm.count("measured")) {
    throw InputError(fmt::format(
        "servesim compare: need --scenario SCENARIO.yaml and --measured RESULT.json\n{}",
        UsageText()));
  }
  const MeasuredRun run = ReadMeasuredRun(vm["measured"].as<std::string>());
  std::vector<Override> overrides = MeasuredWorkloadOverrides(run);
  if (vm.count("set")) {
    for (const std::string& set : vm["set"].as<std::vector<std::string>>()) {
      const size_t eq = set.find('=');
      if (eq == std::string::npos || eq == 0) {
        throw InputError(fmt::format("--set {}: expected dotted.key=value", set));
      }
      overrides.push_back({set.substr(0, eq), set.substr(eq + 1), ""});
    }
  }
  const ConfigNode doc = ConfigNode::LoadFile(vm["scenario"].as<std::string>());
  const Scenario scenario = ParseScenario(ApplyLocatedOverrides(doc, overrides), std::nullopt);
  const RunResult result = RunScenario(scenario);
  const std::vector<ComparedMetric> metrics = CompareWithSummary(run, result.summary);
  if (vm.count("json")) {
    nlohmann::ordered_json doc = CompareJson(scenario, run, metrics);
    StampVersion(&doc);
    WriteFileAtomically(vm["json"].as<std::string>(), doc.dump(2) + "\n");
  }
  PrintWorkload(scenario, run, out);
  PrintMetrics(metrics, out);
  return 0;
}

}  // namespace servesim

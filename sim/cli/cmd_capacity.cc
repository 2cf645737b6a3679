// `servesim capacity`: the CLI side of sim/studies/capacity_study.h.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <boost/program_options.hpp>
#include <iostream>
#include <thread>

#include "sim/cli/commands.h"
#include "sim/cli/study_flags.h"
#include "sim/config/input_error.h"
#include "sim/report/atomic_file.h"
#include "sim/report/version.h"
#include "sim/studies/capacity_study.h"
#include "sim/studies/replication.h"
#include "sim/studies/trust.h"

namespace servesim {
namespace po = boost::program_options;
namespace {

po::options_description CapacityOptionsDescription() {
  po::options_description desc("capacity options");
  desc.add_options()("scenario", po::value<std::string>(), "scenario YAML")(
      "slo", po::value<std::string>(), "key=limit_ms,... e.g. ttft_p99_ms=2000,tpot_p99_ms=100")(
      "attainment", po::value<double>(), "fraction of requests that must meet the targets")(
      "tolerance", po::value<double>()->default_value(0.01), "relative bracket width at the end")(
      "start-rate", po::value<double>(), "first rate tried, req/s (default: the scenario's)")(
      "replications", po::value<int64_t>(), "also search under R seeds: mean and 95% CI")(
      "set", po::value<std::vector<std::string>>()->composing(), "dotted.key=value override")(
      "seed", po::value<std::string>(), "run seed (overrides `seed:`)")(
      "json", po::value<std::string>(), "write the result JSON here ('-' for stdout)")(
      "csv", po::value<std::string>(), "write one CSV row per simulated rate ('-' for stdout)")(
      "quiet", po::bool_switch(), "no progress on stderr (the result is still printed)");
  return desc;
}

CapacityOptions SearchOptions(const po::variables_map& vm, const Scenario& scenario) {
  CapacityOptions o;
  o.tolerance = vm["tolerance"].as<double>();
  if (!(o.tolerance > 0 && o.tolerance < 1)) {
    throw InputError(fmt::format("--tolerance {}: must be in (0, 1)", o.tolerance));
  }
  o.start_rate =
      vm.count("start-rate") ? vm["start-rate"].as<double>() : DefaultStartRate(scenario);
  if (!(o.start_rate >= o.min_rate && o.start_rate <= o.max_rate)) {
    throw InputError(
        fmt::format("--start-rate {}: must be in [{}, {}]", o.start_rate, o.min_rate, o.max_rate));
  }
  return o;
}

ReplicationStats CapacityReplications(int64_t r, const Scenario& scenario, const CapacitySlo& slo,
                                      const CapacityOptions& options) {
  const int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return Replicate(r, scenario.seed, jobs, [&](uint64_t seed) {
    Scenario s = scenario;
    s.seed = seed;
    const CapacityResult c = RunCapacity(s, slo, options);
    nlohmann::ordered_json j;
    j["max_rate"] = c.max_rate;
    j["goodput"] = c.at_max.goodput;
    j["summary"] = SummaryToJson(c.at_max);
    return j;
  });
}

}  // namespace

int CommandCapacity(const std::vector<std::string>& args, std::ostream& out) {
  po::positional_options_description positional;
  positional.add("scenario", 1);
  const po::variables_map vm =
      ParseCommandLine("capacity", args, CapacityOptionsDescription(), positional);
  if (!vm.count("scenario") || !vm.count("slo")) {
    throw InputError(
        fmt::format("servesim capacity: need SCENARIO.yaml and --slo\n{}", UsageText()));
  }
  CheckStudyOutputFlags(vm);
  std::optional<double> attainment;
  if (vm.count("attainment")) attainment = vm["attainment"].as<double>();
  const CapacitySlo slo = ParseCapacitySlo(vm["slo"].as<std::string>(), attainment);
  std::vector<std::string> sets;
  if (vm.count("set")) sets = vm["set"].as<std::vector<std::string>>();
  const Scenario scenario = LoadScenario(vm["scenario"].as<std::string>(), sets, StudySeed(vm));
  CheckCapacityScenario(scenario);
  const CapacityOptions options = SearchOptions(vm, scenario);
  const bool quiet = vm["quiet"].as<bool>();
  std::optional<ReplicationStats> reps;
  if (vm.count("replications")) {
    reps = CapacityReplications(vm["replications"].as<int64_t>(), scenario, slo, options);
  }
  const CapacityResult result = RunCapacity(scenario, slo, options, quiet ? nullptr : &std::cerr);
  const Trust trust = TrustOf(scenario);
  nlohmann::ordered_json j = CapacityToJson(result, slo, options);
  j["trust"] = TrustToJson(trust);
  if (reps) j["replications"] = ReplicationsToJson(*reps);
  StampVersion(&j);
  const std::string json = j.dump(2) + "\n";
  const std::string to_stdout =
      WriteStudyOutputs(vm, json, CapacityCsvColumns(slo), CapacityCsvRows(result, slo));
  if (!to_stdout.empty()) {
    out << to_stdout;
  } else {
    PrintCapacity(result, slo, options, out);
    fmt::print(out, "Trust: {}\n", DescribeTrust(trust));
    if (reps) PrintReplications(*reps, out);
  }
  return 0;
}

}  // namespace servesim

// `servesim scaling`: the CLI side of sim/studies/scaling.h.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <boost/program_options.hpp>
#include <iostream>

#include "sim/cli/commands.h"
#include "sim/cli/study_flags.h"
#include "sim/config/input_error.h"
#include "sim/report/version.h"
#include "sim/studies/scaling.h"
#include "sim/studies/scaling_report.h"
#include "sim/studies/study_replications.h"

namespace servesim {
namespace po = boost::program_options;
namespace {

po::options_description ScalingOptionsDescription() {
  po::options_description desc("scaling options");
  desc.add_options()("scenario", po::value<std::string>(), "scenario YAML")(
      "gpus", po::value<std::string>(), "GPU counts, ascending, e.g. 1,2,4,8")(
      "strategies", po::value<std::string>()->default_value("tp,pp,dp,ep"),
      "parallelism the deployments may use")(
      "slo", po::value<std::string>(), "key=limit_ms,... e.g. ttft_p99_ms=2000,tpot_p99_ms=100")(
      "attainment", po::value<double>(), "fraction of requests that must meet the targets")(
      "tolerance", po::value<double>()->default_value(0.01), "relative bracket width at the end")(
      "fixed-requests", po::bool_switch(),
      "every count serves the scenario's num_requests (default: x N / smallest count)")(
      "set", po::value<std::vector<std::string>>()->composing(), "dotted.key=value override");
  AddStudyFlags(&desc);
  return desc;
}

ScalingOptions Options(const po::variables_map& vm) {
  ScalingOptions o;
  o.gpu_counts = ParseGpuCounts(vm["gpus"].as<std::string>());
  o.strategies = ParseStrategies(vm["strategies"].as<std::string>());
  std::optional<double> attainment;
  if (vm.count("attainment")) attainment = vm["attainment"].as<double>();
  o.slo = ParseCapacitySlo(vm["slo"].as<std::string>(), attainment);
  o.tolerance = vm["tolerance"].as<double>();
  if (!(o.tolerance > 0 && o.tolerance < 1)) {
    throw InputError(fmt::format("--tolerance {}: must be in (0, 1)", o.tolerance));
  }
  o.scale_requests = !vm["fixed-requests"].as<bool>();
  o.jobs = StudyJobs(vm);
  return o;
}

StudyReplications ScalingReplications(int64_t count, const StudyBase& base,
                                      const ScalingOptions& options,
                                      const std::optional<ResidualNoise>& noise) {
  return ReplicateStudy(count, base.scenario.seed, options.jobs, noise,
                        [&](uint64_t seed, const StepTimeAdjust& adjust) {
                          StudyBase b = base;
                          b.scenario.seed = seed;
                          ScalingOptions o = options;
                          o.jobs = 1;
                          o.step_times = adjust;
                          return ScalingReplicationMetrics(RunScaling(b, o));
                        });
}

}  // namespace

int CommandScaling(const std::vector<std::string>& args, std::ostream& out) {
  po::positional_options_description positional;
  positional.add("scenario", 1);
  const po::variables_map vm =
      ParseCommandLine("scaling", args, ScalingOptionsDescription(), positional);
  if (!vm.count("scenario") || !vm.count("gpus") || !vm.count("slo")) {
    throw InputError(
        fmt::format("servesim scaling: need SCENARIO.yaml, --gpus and --slo\n{}", UsageText()));
  }
  CheckStudyOutputFlags(vm);
  const ScalingOptions options = Options(vm);
  const std::optional<int64_t> replications = StudyReplicationCount(vm);
  std::vector<std::string> sets;
  if (vm.count("set")) sets = vm["set"].as<std::vector<std::string>>();
  const StudyBase base = LoadStudyBase(vm["scenario"].as<std::string>(), sets, StudySeed(vm));
  std::optional<ResidualNoise> noise;  // checked before the first simulation
  if (replications) noise = ScenarioResiduals(base.scenario);
  const bool quiet = vm["quiet"].as<bool>();
  const ScalingResult result = RunScaling(base, options, quiet ? nullptr : &std::cerr);
  std::optional<StudyReplications> reps;
  if (replications) reps = ScalingReplications(*replications, base, options, noise);
  nlohmann::ordered_json j = ScalingToJson(result, base, options);
  if (reps) j["replications"] = StudyReplicationsToJson(*reps);
  StampVersion(&j);
  const std::string json = j.dump(2) + "\n";
  const std::string to_stdout = WriteStudyOutputs(vm, json, ScalingCsvColumns(), ScalingCsvRows(j));
  if (!to_stdout.empty()) {
    out << to_stdout;
  } else {
    PrintScaling(result, base, options, out);
    if (reps) PrintStudyReplications(*reps, out);
  }
  return 0;
}

}  // namespace servesim

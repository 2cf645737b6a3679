// `servesim plan`: the CLI side of sim/studies/plan.h.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <boost/program_options.hpp>
#include <iostream>

#include "sim/cli/commands.h"
#include "sim/cli/study_flags.h"
#include "sim/config/input_error.h"
#include "sim/report/version.h"
#include "sim/studies/plan.h"
#include "sim/studies/plan_report.h"
#include "sim/studies/study_replications.h"

namespace servesim {
namespace po = boost::program_options;

int CommandPlan(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description desc("plan options");
  desc.add_options()("plan", po::value<std::string>(), "plan YAML")(
      "set", po::value<std::vector<std::string>>()->composing(),
      "dotted.key=value override of the plan's scenario");
  AddStudyFlags(&desc);
  po::positional_options_description positional;
  positional.add("plan", 1);
  const po::variables_map vm = ParseCommandLine("plan", args, desc, positional);
  if (!vm.count("plan")) {
    throw InputError(fmt::format("servesim plan: missing PLAN.yaml\n{}", UsageText()));
  }
  CheckStudyOutputFlags(vm);
  const PlanSpec spec = LoadPlan(vm["plan"].as<std::string>());
  std::vector<std::string> sets;
  if (vm.count("set")) sets = vm["set"].as<std::vector<std::string>>();
  const StudyBase base = LoadStudyBase(spec.scenario_path, sets, StudySeed(vm));
  const std::optional<int64_t> replications = StudyReplicationCount(vm);
  std::optional<ResidualNoise> noise;  // checked before the first simulation
  if (replications) noise = ScenarioResiduals(base.scenario);
  const bool quiet = vm["quiet"].as<bool>();
  PlanRunOptions run;
  run.jobs = StudyJobs(vm);
  run.progress = quiet ? nullptr : &std::cerr;
  const PlanResult result = RunPlan(spec, base, run);
  std::optional<StudyReplications> reps;
  if (replications) {
    reps = ReplicateStudy(*replications, base.scenario.seed, run.jobs, noise,
                          [&](uint64_t seed, const StepTimeAdjust& adjust) {
                            StudyBase b = base;
                            b.scenario.seed = seed;
                            PlanRunOptions o;
                            o.step_times = adjust;
                            o.sensitivity = false;
                            return PlanReplicationMetrics(RunPlan(spec, b, o));
                          });
  }
  nlohmann::ordered_json j = PlanToJson(result, spec);
  if (reps) j["replications"] = StudyReplicationsToJson(*reps);
  StampVersion(&j);
  const std::string json = j.dump(2) + "\n";
  const std::string to_stdout = WriteStudyOutputs(vm, json, PlanCsvColumns(), PlanCsvRows(j));
  if (!to_stdout.empty()) {
    out << to_stdout;
  } else {
    PrintPlan(result, spec, out);
    if (reps) PrintStudyReplications(*reps, out);
  }
  return 0;
}

}  // namespace servesim

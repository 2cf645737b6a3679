#include "sim/studies/deployment_space.h"

#include <fmt/format.h>

#include <set>

#include "sim/config/input_error.h"

namespace servesim {
namespace {

const std::vector<std::string> kStrategyNames = {"tp", "pp", "dp", "ep"};

std::vector<int64_t> PowersOfTwoUpTo(int64_t max) {
  std::vector<int64_t> out;
  for (int64_t v = 1; v <= max; v *= 2) out.push_back(v);
  return out;
}

std::vector<Override> ParallelOverrides(const Deployment& d) {
  const std::string origin = fmt::format("deployment {}", d.Name());
  return {{"parallel.tp", std::to_string(d.tp), origin},
          {"parallel.pp", std::to_string(d.pp), origin},
          {"parallel.ep", std::to_string(d.ep), origin},
          {"parallel.replicas", std::to_string(d.replicas), origin},
          {"hardware.num_gpus", std::to_string(d.NumGpus()), origin}};
}

// Why the study's own rules exclude `d` (before any scenario validation), or "".
std::string RuleViolation(const Scenario& base, const Deployment& d) {
  const int64_t per_node = base.hardware.topology.gpus_per_node;
  if (d.tp > per_node) {
    return fmt::format("tp {} > {} GPUs per node of {}: tensor parallelism stays inside a node",
                       d.tp, per_node, base.hardware.name);
  }
  if (base.model.num_layers % d.pp != 0) {
    return fmt::format("pp {} does not divide the model's {} layers into equal stages", d.pp,
                       base.model.num_layers);
  }
  return "";
}

}  // namespace

std::string Deployment::Name() const {
  std::string name = fmt::format("tp{}-pp{}-dp{}", tp, pp, replicas);
  if (ep > 1) name += fmt::format("-ep{}", ep);
  return name;
}

Strategies ParseStrategies(const std::string& text) {
  Strategies s{false, false, false, false};
  std::set<std::string> seen;
  for (size_t start = 0;;) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma - start);
    if (item.empty()) {
      throw InputError(
          fmt::format("--strategies {}: empty item (expected a comma-separated list "
                      "of tp, pp, dp, ep)",
                      text));
    }
    if (!seen.insert(item).second) {
      throw InputError(fmt::format("--strategies {}: '{}' given twice", text, item));
    }
    if (item == "tp") {
      s.tp = true;
    } else if (item == "pp") {
      s.pp = true;
    } else if (item == "dp") {
      s.dp = true;
    } else if (item == "ep") {
      s.ep = true;
    } else {
      throw InputError(
          fmt::format("--strategies {}: unknown strategy '{}'{} (expected tp, pp, "
                      "dp, ep)",
                      text, item, DidYouMean(item, kStrategyNames)));
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return s;
}

std::string DescribeStrategies(const Strategies& s) {
  std::string out;
  const std::pair<bool, const char*> items[] = {
      {s.tp, "tp"}, {s.pp, "pp"}, {s.dp, "dp"}, {s.ep, "ep"}};
  for (const auto& [on, name] : items) {
    if (on) out += fmt::format("{}{}", out.empty() ? "" : ",", name);
  }
  return out;
}

StudyBase LoadStudyBase(const std::string& path, const std::vector<std::string>& sets,
                        std::optional<uint64_t> seed) {
  StudyBase base{ConfigNode::LoadFile(path), {}, {}};
  for (const std::string& set : sets) {
    const size_t eq = set.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw InputError(fmt::format("--set {}: expected dotted.key=value", set));
    }
    base.sets.push_back({set.substr(0, eq), set.substr(eq + 1), ""});
  }
  const ConfigNode root = ApplyLocatedOverrides(base.doc, base.sets);
  base.scenario = ParseScenario(root, seed);
  if (base.scenario.disaggregation) {
    root.Child("disaggregation")
        .Fail(
            "the scaling and plan studies enumerate colocated deployments (tp, pp, replicas); "
            "remove disaggregation");
  }
  if (base.scenario.workload.ClosedLoop()) {
    root.Child("workload")
        .Child("concurrency")
        .Fail(
            "the study varies the arrival rate, so it needs open-loop arrivals "
            "(workload.arrival), not a closed loop");
  }
  return base;
}

Scenario DeploymentScenario(const StudyBase& base, const Deployment& d,
                            const std::vector<Override>& extra) {
  std::vector<Override> all = base.sets;
  all.insert(all.end(), extra.begin(), extra.end());
  for (Override& o : ParallelOverrides(d)) all.push_back(std::move(o));
  return ParseScenario(ApplyLocatedOverrides(base.doc, all), base.scenario.seed);
}

std::vector<DeploymentCandidate> EnumerateDeployments(const StudyBase& base, int64_t num_gpus,
                                                      const Strategies& strategies,
                                                      const std::vector<Override>& extra) {
  const Scenario& b = base.scenario;
  const std::vector<int64_t> tps =
      strategies.tp ? PowersOfTwoUpTo(num_gpus) : std::vector<int64_t>{b.engine.shape.tp};
  const std::vector<int64_t> pps =
      strategies.pp ? PowersOfTwoUpTo(num_gpus) : std::vector<int64_t>{b.pp};
  std::vector<DeploymentCandidate> out;
  for (int64_t tp : tps) {
    for (int64_t pp : pps) {
      if (num_gpus % (tp * pp) != 0) continue;
      const int64_t replicas = num_gpus / (tp * pp);
      if (!strategies.dp && replicas != 1) continue;
      std::vector<int64_t> eps = {b.engine.shape.ep};
      if (strategies.ep && b.model.IsMoe()) eps = PowersOfTwoUpTo(tp);
      for (int64_t ep : eps) {
        DeploymentCandidate c;
        c.deployment = {tp, pp, ep, replicas};
        c.skipped = RuleViolation(b, c.deployment);
        if (c.skipped.empty()) {
          try {
            c.scenario = DeploymentScenario(base, c.deployment, extra);
          } catch (const InputError& e) {
            c.skipped = e.what();
          }
        }
        out.push_back(std::move(c));
      }
    }
  }
  return out;
}

}  // namespace servesim

#include "sim/studies/deployment_space.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "models/topology.h"
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

// Why `d` is not a deployment of `base`'s model and hardware: the study's own rules (tensor
// parallelism inside a node, equal pipeline stages) and every rule of the scenario validation that
// depends on the shape (heads, experts, ranges, a network between nodes), so that a scenario error
// left after these is about the settings, not the shape. "" when none applies.
std::string RuleViolation(const Scenario& base, const Deployment& d) {
  const ModelSpec& m = base.model;
  const int64_t per_node = base.hardware.topology.gpus_per_node;
  if (d.tp > per_node) {
    return fmt::format("tp {} > {} GPUs per node of {}: tensor parallelism stays inside a node",
                       d.tp, per_node, base.hardware.name);
  }
  if (d.tp > 1024 || d.pp > 1024 || d.ep > 1024) {
    return fmt::format("tp, pp and ep are at most 1024 (parallel.*), got tp {}, pp {}, ep {}", d.tp,
                       d.pp, d.ep);
  }
  if (m.num_layers % d.pp != 0) {
    return fmt::format("pp {} does not divide the model's {} layers into equal stages", d.pp,
                       m.num_layers);
  }
  if (const std::string tp_rule = m.TensorParallelViolation(d.tp); !tp_rule.empty()) {
    return fmt::format("parallel.tp: {}", tp_rule);
  }
  if (d.ep > 1 && (!m.IsMoe() || m.moe_num_experts % d.ep != 0 || d.tp % d.ep != 0)) {
    return fmt::format("ep {} must divide tp ({}) and the model's {} experts", d.ep, d.tp,
                       m.moe_num_experts);
  }
  const double factor = base.engine.cost.moe_imbalance_factor;
  if (d.ep > 1 &&
      factor > std::min(static_cast<double>(d.ep), static_cast<double>(m.moe_num_experts) /
                                                       static_cast<double>(m.moe_top_k))) {
    return fmt::format("engine.moe_imbalance_factor {} is more than ep {} allows", factor, d.ep);
  }
  if (d.replicas > kMaxReplicas || d.NumGpus() > kMaxGpus) {
    return fmt::format("at most {} replicas and {} GPUs (hardware.num_gpus, parallel.replicas)",
                       kMaxReplicas, kMaxGpus);
  }
  const Topology topo = TopologyFor(base.hardware);
  if (topo.NodesFor(d.GpusPerReplica()) > 1 && topo.scale_out.bandwidth_bytes_per_s <= 0) {
    return fmt::format("a replica of {} GPUs spans nodes, but {} has no network between nodes",
                       d.GpusPerReplica(), base.hardware.name);
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
  if (base.scenario.autoscaler) {
    root.Child("autoscaler")
        .Fail(
            "the scaling and plan studies enumerate fixed deployments (tp, pp, replicas); remove "
            "the autoscaler (or run the autoscaled load with servesim run)");
  }
  if (base.scenario.workload.ClosedLoop()) {
    root.Child("workload")
        .Child("concurrency")
        .Fail(
            "the study varies the arrival rate, so it needs open-loop arrivals "
            "(workload.arrival), not a closed loop");
  }
  if (base.scenario.workload.rate_schedule) {
    root.Child("workload")
        .Child("arrival")
        .Child("rate_schedule")
        .Fail(
            "the study varies one constant arrival rate; remove the schedule (or run the "
            "scheduled load with servesim run)");
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
          } catch (const DeploymentError& e) {
            // Memory and KV capacity depend on the shape; a precision the GPU lacks does not,
            // and neither does any other error left after RuleViolation: those are bad input.
            if (!e.depends_on_shape()) throw;
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

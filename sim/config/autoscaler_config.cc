#include "sim/config/autoscaler_config.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "sim/config/scenario.h"

namespace servesim {
namespace {

constexpr double kMaxSeconds = 1e9;

const std::vector<std::string> kKeys = {
    "policy",           "min_replicas",       "max_replicas",
    "initial_replicas", "interval_s",         "scale_down_cooldown_s",
    "cold_start_s",     "target_per_replica", "target_kv_usage",
    "schedule",         "report_window_s",    "tolerance"};

// Keys that only some policies read: given with another policy, they are an error rather than
// silently ignored.
struct PolicyKey {
  const char* key;
  std::vector<AutoscalerPolicy> policies;
  const char* which;
};
const std::vector<PolicyKey> kPolicyKeys = {
    {"interval_s",
     {AutoscalerPolicy::kQueueDepth, AutoscalerPolicy::kUtilization},
     "queue_depth or utilization"},
    {"scale_down_cooldown_s",
     {AutoscalerPolicy::kQueueDepth, AutoscalerPolicy::kUtilization},
     "queue_depth or utilization"},
    {"tolerance",
     {AutoscalerPolicy::kQueueDepth, AutoscalerPolicy::kUtilization},
     "queue_depth or utilization"},
    {"target_per_replica", {AutoscalerPolicy::kQueueDepth}, "queue_depth"},
    {"target_kv_usage", {AutoscalerPolicy::kUtilization}, "utilization"},
    {"schedule", {AutoscalerPolicy::kSchedule}, "schedule"},
};

SimTime Seconds(const ConfigNode& node, double def, Range range) {
  return SecondsToSimTime(node.Defined() ? node.AsDouble(range) : def);
}

// schedule: [{at_s, replicas}, ...], at_s strictly increasing, replicas in [min, max].
std::vector<AutoscalerConfig::Step> ParseSchedule(const ConfigNode& node, int64_t lo, int64_t hi) {
  if (!node.IsSequence() || node.Elements().empty()) {
    node.Fail("expected a non-empty list of {at_s, replicas}");
  }
  std::vector<AutoscalerConfig::Step> steps;
  for (const ConfigNode& step : node.Elements()) {
    step.CheckKeys({"at_s", "replicas"});
    const ConfigNode at = step.Require("at_s");
    const SimTime t = SecondsToSimTime(at.AsDouble(Between(0, kMaxSeconds)));
    if (!steps.empty() && t <= steps.back().at) {
      at.Fail(fmt::format("steps must be in increasing order of at_s: {} after {:g}", at.AsString(),
                          SimTimeToSeconds(steps.back().at)));
    }
    const ConfigNode replicas = step.Require("replicas");
    const int64_t n = replicas.AsInt(Between(1, static_cast<double>(kMaxReplicas)));
    if (n < lo || n > hi) {
      replicas.Fail(
          fmt::format("must be within [min_replicas, max_replicas] = [{}, {}], got {}", lo, hi, n));
    }
    steps.push_back({t, n});
  }
  return steps;
}

void ParseReplicaBounds(const ConfigNode& node, const Scenario& s, AutoscalerConfig* c) {
  const int64_t most = s.replicas;
  const ConfigNode max = node.Child("max_replicas");
  c->max_replicas = max.Defined() ? max.AsInt(Between(1, static_cast<double>(kMaxReplicas))) : most;
  if (c->max_replicas > most) {
    max.Fail(fmt::format(
        "must be <= the {} replicas the hardware gives (hardware.num_gpus / (tp x pp) = {} / {}), "
        "got {}",
        most, s.num_gpus, s.engine.shape.tp * s.pp, c->max_replicas));
  }
  c->min_replicas = node.GetInt("min_replicas", 1, Between(1, static_cast<double>(kMaxReplicas)));
  if (c->min_replicas > c->max_replicas) {
    node.Child("min_replicas")
        .Fail(
            fmt::format("must be <= max_replicas ({}), got {}", c->max_replicas, c->min_replicas));
  }
}

}  // namespace

std::optional<AutoscalerConfig> ParseAutoscaler(const ConfigNode& root, const Scenario& s) {
  const ConfigNode node = root.Child("autoscaler");
  if (!node.Defined()) return std::nullopt;
  if (s.disaggregation) {
    node.Fail(
        "not with disaggregation: the autoscaler scales one colocated pool of replicas; remove "
        "one of the two sections");
  }
  node.CheckKeys(kKeys);
  AutoscalerConfig c;
  const ConfigNode policy = node.Require("policy");
  const std::string name = policy.AsEnum(AutoscalerPolicyNames());
  for (size_t i = 0; i < AutoscalerPolicyNames().size(); ++i) {
    if (AutoscalerPolicyNames()[i] == name) c.policy = static_cast<AutoscalerPolicy>(i);
  }
  for (const PolicyKey& k : kPolicyKeys) {
    if (!node.Has(k.key)) continue;
    bool used = false;
    for (const AutoscalerPolicy p : k.policies) used = used || p == c.policy;
    if (!used) {
      node.Child(k.key).Fail(fmt::format("only with policy {}; policy is {}", k.which, name));
    }
  }
  ParseReplicaBounds(node, s, &c);
  switch (c.policy) {
    case AutoscalerPolicy::kQueueDepth:
      c.target_per_replica = node.Require("target_per_replica").AsDouble(Between(1e-3, 1e9));
      break;
    case AutoscalerPolicy::kUtilization:
      c.target_kv_usage = node.Require("target_kv_usage").AsDouble(Fraction());
      break;
    case AutoscalerPolicy::kSchedule:
      c.schedule = ParseSchedule(node.Require("schedule"), c.min_replicas, c.max_replicas);
      break;
  }
  // Without initial_replicas a schedule starts with its step at 0, if it has one.
  int64_t initial = c.min_replicas;
  if (!c.schedule.empty() && c.schedule.front().at == 0) initial = c.schedule.front().replicas;
  c.initial_replicas =
      node.GetInt("initial_replicas", initial, Between(1, static_cast<double>(kMaxReplicas)));
  if (c.initial_replicas < c.min_replicas || c.initial_replicas > c.max_replicas) {
    node.Child("initial_replicas")
        .Fail(fmt::format("must be within [min_replicas, max_replicas] = [{}, {}], got {}",
                          c.min_replicas, c.max_replicas, c.initial_replicas));
  }
  c.interval = Seconds(node.Child("interval_s"), 30, Between(0.1, 86400));
  c.scale_down_cooldown =
      Seconds(node.Child("scale_down_cooldown_s"), 300, Between(0, kMaxSeconds));
  c.tolerance = node.GetDouble("tolerance", 0.1, Between(0, 1));
  c.cold_start = Seconds(node.Child("cold_start_s"), kDefaultColdStartS, Between(0, 86400));
  c.report_window = Seconds(node.Child("report_window_s"), 3600, Between(1, kMaxSeconds));
  // Weights come into each GPU of the replica over its host link, one direction of it (the zoo
  // gives the bidirectional figure), all GPUs at once.
  c.weight_load =
      SecondsToSimTime(s.memory.weight_bytes / (s.hardware.host_link_bandwidth_bytes_per_s / 2));
  return c;
}

}  // namespace servesim

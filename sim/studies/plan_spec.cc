#include "sim/studies/plan_spec.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "sim/config/input_error.h"
#include "sim/config/zoo.h"
#include "sim/studies/sweep_spec.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kPlanKeys = {
    "description",          "scenario",   "slo",         "target", "redundancy", "horizon_years",
    "max_gpus_per_replica", "strategies", "sensitivity", "verify", "tolerance",  "search",
    "candidates",           "autoscale"};
const std::vector<std::string> kCandidateKeys = {
    "name", "gpu",         "set",    "price",     "power_w",
    "pue",  "usd_per_kwh", "search", "unit_gpus", "amortisation_years"};

std::string Origin(const ConfigNode& node) {
  const YAML::Mark m = node.Raw().Mark();
  return fmt::format("{}:{}:{}", node.Source().file, m.line + 1, m.column + 1);
}

std::string ScenarioPath(const ConfigNode& node) {
  if (node.IsMap()) {
    node.Fail(
        "give the path of a scenario file (relative to this plan file), not an inline "
        "scenario");
  }
  fs::path p(node.AsString());
  if (p.is_relative()) p = fs::path(node.Source().file).parent_path() / p;
  const std::string resolved = p.lexically_normal().string();
  if (!fs::is_regular_file(resolved)) {
    node.Fail(fmt::format("cannot open scenario file '{}'", resolved));
  }
  return resolved;
}

CapacitySlo ParseSlo(const ConfigNode& node) {
  std::vector<std::string> keys = SloKeys();
  keys.push_back("attainment");
  node.CheckKeys(keys);
  std::optional<double> attainment;
  if (node.Has("attainment")) attainment = node.Child("attainment").AsDouble(Fraction());
  std::string text;
  for (const std::string& key : node.Keys()) {
    if (key == "attainment") continue;
    const double limit = node.Child(key).AsDouble(Positive());
    text += fmt::format("{}{}={}", text.empty() ? "" : ",", key, limit);
  }
  if (text.empty()) node.Fail("give at least one limit, e.g. ttft_p99_ms: 2000");
  try {
    return ParseCapacitySlo(text, attainment);
  } catch (const InputError& e) {
    const std::string what = e.what();  // "--slo KEY: rule"
    node.Fail(what.substr(what.find(' ') + 1));
  }
}

void ParseTarget(const ConfigNode& node, PlanSpec* plan) {
  node.CheckKeys({"request_rate", "output_tokens_per_s", "peak_factor"});
  const bool rate = node.Has("request_rate"), tokens = node.Has("output_tokens_per_s");
  if (rate == tokens) node.Fail("give exactly one of request_rate (req/s) and output_tokens_per_s");
  if (rate) plan->request_rate = node.Child("request_rate").AsDouble(Between(1e-6, 1e9));
  if (tokens) {
    plan->output_tokens_per_s = node.Child("output_tokens_per_s").AsDouble(Between(1e-6, 1e12));
  }
  plan->peak_factor = node.GetDouble("peak_factor", 1.0, Between(1, 1000));
}

Strategies ParsePlanStrategies(const ConfigNode& node) {
  Strategies s;
  try {
    s = ParseStrategies(node.AsString());
  } catch (const InputError& e) {
    const std::string what = e.what();  // "--strategies TEXT: rule"
    node.Fail(what.substr(what.find(": ") + 2));
  }
  if (s.dp) node.Fail("dp is not a choice here: the plan sizes the number of replicas itself");
  return s;
}

std::vector<double> ParseScales(const ConfigNode& node) {
  node.CheckKeys({"step_time_scales"});
  const ConfigNode list = node.Child("step_time_scales");
  if (!list.Defined()) return {0.9, 1.1};
  if (!list.IsSequence()) list.Fail("expected a list of factors, e.g. [0.9, 1.1]");
  std::vector<double> scales;
  for (const ConfigNode& v : list.Elements()) {
    scales.push_back(v.AsDouble(Between(0.1, 10)));
    if (scales.back() == 1.0) v.Fail("1 is the plan itself; list other factors");
  }
  return scales;
}

GpuPrice ParsePrice(const ConfigNode& c, const HardwareSpec& hw, double horizon_years) {
  GpuPrice p;
  const ConfigNode price = c.Child("price");
  if (price.Defined()) {
    price.CheckKeys({"purchase_usd", "per_hour_usd"});
    p.purchase_usd = price.GetDouble("purchase_usd", 0, Between(0, 1e9));
    p.per_hour_usd = price.GetDouble("per_hour_usd", 0, Between(0, 1e6));
  }
  const bool priced = price.Has("purchase_usd") || price.Has("per_hour_usd");
  if (!priced) {
    if (hw.price_per_gpu_hour_usd <= 0) {
      c.Child("gpu").Fail(fmt::format(
          "{} has no price in its hardware file; give price.per_hour_usd or price.purchase_usd",
          hw.name));
    }
    p.per_hour_usd = hw.price_per_gpu_hour_usd;
    p.source = fmt::format("hardware file of {}: {}", hw.name, hw.price_source);
  } else {
    p.source = Origin(price);
  }
  p.power_w = c.GetDouble("power_w", hw.tdp_w, Between(0, 1e5));
  p.pue = c.GetDouble("pue", 1.0, Between(1, 5));
  p.usd_per_kwh = c.GetDouble("usd_per_kwh", 0, Between(0, 100));
  if (p.purchase_usd > 0 && !c.Has("usd_per_kwh")) {
    price.Child("purchase_usd")
        .Fail("a purchased GPU's energy is yours to pay: give usd_per_kwh (0 to leave it out)");
  }
  if (c.Has("usd_per_kwh") && p.power_w <= 0) {
    c.Child("usd_per_kwh")
        .Fail(fmt::format("{} has no tdp_w in its hardware file; give power_w", hw.name));
  }
  p.amortisation_years = c.GetDouble("amortisation_years", horizon_years, Between(0.01, 50));
  if (c.Has("amortisation_years") && p.purchase_usd <= 0) {
    c.Child("amortisation_years").Fail("only with price.purchase_usd");
  }
  return p;
}

std::string SearchKey(const std::string& knob) { return "engine." + knob; }

// One value of a searched knob, validated like the scenario key it sets.
std::string SearchValue(const ConfigNode& v, const std::string& knob) {
  if (knob == "precision") return v.AsEnum(PrecisionNames());
  const double hi = knob == "max_num_seqs" ? 1e6 : 1e8;
  return std::to_string(v.AsInt(Between(1, hi)));
}

// `search:` as a list of knobs (their default values) or a mapping knob -> list of values.
std::vector<SearchDimension> ParseSearch(const ConfigNode& node) {
  std::vector<SearchDimension> dims;
  std::set<std::string> seen;
  const auto add = [&](const ConfigNode& at, const std::string& knob) {
    if (std::find(SearchKnobs().begin(), SearchKnobs().end(), knob) == SearchKnobs().end()) {
      at.Fail(
          fmt::format("unknown engine knob '{}' to search; expected one of precision, "
                      "max_num_seqs, max_num_batched_tokens{}",
                      knob, DidYouMean(knob, SearchKnobs())));
    }
    if (!seen.insert(knob).second) at.Fail(fmt::format("'{}' is listed twice", knob));
    dims.push_back({knob, SearchKey(knob), {}, Origin(at)});
  };
  if (node.IsSequence()) {
    for (const ConfigNode& item : node.Elements()) {
      add(item, item.AsString());
      dims.back().values = DefaultSearchValues(dims.back().knob);
    }
  } else if (node.IsMap()) {
    node.CheckKeys(SearchKnobs());
    for (const std::string& knob : node.Keys()) {
      const ConfigNode list = node.Child(knob);
      add(list, knob);
      if (!list.IsSequence() || list.Elements().empty()) {
        list.Fail("expected a non-empty list of values to try, e.g. [128, 256, 512]");
      }
      std::set<std::string> values;
      for (const ConfigNode& v : list.Elements()) {
        dims.back().values.push_back(SearchValue(v, knob));
        if (!values.insert(dims.back().values.back()).second) v.Fail("listed twice");
      }
    }
  } else {
    node.Fail(
        "expected a list of engine knobs ([precision, max_num_seqs]) or a mapping of knob to "
        "values ({max_num_seqs: [128, 256]})");
  }
  if (dims.empty()) node.Fail("expected at least one engine knob");
  return dims;
}

PlanCandidate ParseCandidate(const ConfigNode& c, double horizon_years) {
  c.ExpectMap();
  c.CheckKeys(kCandidateKeys);
  PlanCandidate out;
  const ConfigNode gpu = c.Require("gpu");
  const HardwareSpec hw = LoadHardware(gpu);
  const std::string text = gpu.AsString();
  out.gpu = text.find('/') == std::string::npos && fs::path(text).extension() != ".yaml"
                ? text
                : fs::absolute(ResolvePath(gpu, text)).lexically_normal().string();
  out.name = c.GetString("name", hw.name);
  out.sets.push_back({"hardware.gpu", out.gpu, Origin(gpu)});
  const ConfigNode set = c.Child("set");
  if (set.Defined()) {
    set.ExpectMap();
    for (const std::string& key : set.Keys()) {
      if (key == "hardware.gpu" || key.rfind("parallel", 0) == 0) {
        set.Child(key).Fail("the plan chooses the GPU and the parallelism itself");
      }
      const std::string value = FlowYaml(set.Child(key).Raw());
      out.sets.push_back({key, value, Origin(set.Child(key))});
    }
  }
  out.price = ParsePrice(c, hw, horizon_years);
  out.unit_gpus = c.GetInt("unit_gpus", 1, Between(1, 1024));
  if (c.Has("search")) out.search = ParseSearch(c.Child("search"));
  return out;
}

// A searched knob the candidate's `set:` (or the search) also fixes would be overridden.
void CheckSearchAgainstSets(const PlanCandidate& c) {
  for (const SearchDimension& d : c.search) {
    for (const Override& o : c.sets) {
      if (o.key == d.key) {
        throw InputError(
            fmt::format("{}: search.{}: candidate '{}' also sets {} (at {}); search it or set it, "
                        "not both",
                        d.origin, d.knob, c.name, d.key, o.origin));
      }
    }
  }
}

void ParseCandidates(const ConfigNode& list, PlanSpec* plan) {
  if (!list.IsSequence() || list.Elements().empty()) {
    list.Fail("expected a non-empty list of candidates ({gpu: NAME, price: {...}})");
  }
  std::set<std::string> names;
  for (const ConfigNode& c : list.Elements()) {
    plan->candidates.push_back(ParseCandidate(c, plan->horizon_years));
    PlanCandidate& added = plan->candidates.back();
    if (!c.Has("search")) added.search = plan->search;
    CheckSearchAgainstSets(added);
    if (!names.insert(plan->candidates.back().name).second) {
      c.Fail(fmt::format("candidate name '{}' is used twice (give each a distinct name:)",
                         plan->candidates.back().name));
    }
  }
}

}  // namespace

const std::vector<std::string>& SearchKnobs() {
  static const std::vector<std::string> knobs = {"precision", "max_num_seqs",
                                                 "max_num_batched_tokens"};
  return knobs;
}

std::vector<std::string> DefaultSearchValues(const std::string& knob) {
  if (knob == "precision") return {"bf16", "fp8"};  // fp8 only where the GPU has it
  if (knob == "max_num_seqs") return {"64", "128", "256", "512"};
  return {"2048", "4096", "8192", "16384"};
}

// `autoscale:` (an empty mapping takes every default). The daily sine has the target as its mean
// and target x peak_factor as its peak, so its trough is target x (2 - peak_factor) >= 0.
static PlanAutoscale ParseAutoscale(const ConfigNode& root, double peak_factor) {
  const ConfigNode node = root.Child("autoscale");
  if (!node.IsMap()) node.Fail("expected a mapping (empty for the defaults: autoscale: {})");
  node.CheckKeys({"period_s", "peak_at_s", "step_s", "cold_start_s"});
  PlanAutoscale a;
  a.period_s = node.GetDouble("period_s", a.period_s, Between(60, 1e7));
  a.peak_at_s = node.GetDouble("peak_at_s", a.period_s * 7 / 12, Between(0, a.period_s));
  a.step_s = node.GetDouble("step_s", std::min(a.step_s, a.period_s), Between(1, a.period_s));
  a.cold_start_s = node.GetDouble("cold_start_s", a.cold_start_s, Between(0, 86400));
  if (peak_factor > 2) {
    node.Fail(fmt::format(
        "the daily load is a sine with the target as its mean and target x peak_factor as its "
        "peak; target.peak_factor {} would need a negative trough (at most 2)",
        peak_factor));
  }
  return a;
}

PlanSpec LoadPlan(const std::string& path) {
  const ConfigNode root = ConfigNode::LoadFile(path);
  root.ExpectMap();
  root.CheckKeys(kPlanKeys);
  PlanSpec plan;
  plan.path = path;
  plan.scenario_path = ScenarioPath(root.Require("scenario"));
  plan.slo = ParseSlo(root.Require("slo"));
  plan.slo_origin = Origin(root.Child("slo"));
  ParseTarget(root.Require("target"), &plan);
  if (root.Has("redundancy")) {
    const ConfigNode r = root.Child("redundancy");
    r.CheckKeys({"n_plus"});
    plan.n_plus = r.GetInt("n_plus", 0, Between(0, 1000));
  }
  plan.horizon_years = root.GetDouble("horizon_years", 1.0, Between(0.01, 50));
  plan.max_gpus_per_replica = root.GetInt("max_gpus_per_replica", 0, Between(1, 1024));
  if (root.Has("strategies")) plan.strategies = ParsePlanStrategies(root.Child("strategies"));
  if (root.Has("sensitivity")) plan.sensitivity_scales = ParseScales(root.Child("sensitivity"));
  plan.verify = root.GetBool("verify", true);
  plan.tolerance = root.GetDouble("tolerance", 0.01, Between(1e-4, 0.5));
  if (root.Has("search")) plan.search = ParseSearch(root.Child("search"));
  ParseCandidates(root.Require("candidates"), &plan);
  if (root.Has("autoscale")) plan.autoscale = ParseAutoscale(root, plan.peak_factor);
  return plan;
}

}  // namespace servesim

#include "sim/studies/plan_report.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cmath>

#include "sim/studies/json_csv.h"
#include "sim/studies/scaling_report.h"
#include "sim/studies/slo.h"
#include "sim/studies/trust.h"

namespace servesim {
namespace {

using Json = nlohmann::ordered_json;

Json PriceJson(const GpuPrice& p) {
  return {{"purchase_usd", p.purchase_usd},
          {"amortisation_years", p.amortisation_years},
          {"per_hour_usd", p.per_hour_usd},
          {"power_w", p.power_w},
          {"pue", p.pue},
          {"usd_per_kwh", p.usd_per_kwh},
          {"amortised_per_hour_usd", p.AmortisedPerHourUsd()},
          {"energy_per_hour_usd", p.EnergyPerHourUsd()},
          {"source", p.source}};
}

Json EngineJson(const Scenario& s) {
  const EngineConfig& e = s.engine;
  return {{"scheduler", e.scheduler},
          {"precision", PrecisionName(e.shape.weight_precision)},
          {"kv_cache_precision", PrecisionName(e.shape.kv_precision)},
          {"max_num_seqs", e.batching.max_num_seqs},
          {"max_num_batched_tokens", e.batching.max_num_batched_tokens},
          {"max_model_len", e.max_model_len}};
}

Json ShapeJson(const PlanOption& o, const ShapeCost& s) {
  Json j;
  j["deployment"] = DeploymentToJson(s.shape);
  const std::string& variant = o.variants[static_cast<size_t>(s.variant)].name;
  if (!variant.empty()) j["engine_variant"] = variant;
  if (!s.skipped.empty()) {
    j["skipped"] = s.skipped;
    return j;
  }
  j["replica_capacity"] = s.replica_capacity;
  j["serving_replicas"] = s.serving_replicas;
  j["units"] = s.units;
  j["num_gpus"] = s.num_gpus;
  j["cost_per_hour"] = s.cost_per_hour;
  j["simulations"] = s.simulations;
  j["steady_state"] = s.steady ? SteadyStateToJson(*s.steady) : Json();
  return j;
}

Json VariantsJson(const PlanOption& o) {
  Json list = Json::array();
  for (const EngineVariant& v : o.variants) {
    Json j = {{"name", v.name}};
    Json sets = Json::object();
    for (const Override& x : v.sets) sets[x.key] = x.value;
    j["set"] = std::move(sets);
    if (!v.skipped.empty()) j["skipped"] = v.skipped;
    list.push_back(std::move(j));
  }
  return list;
}

Json VerificationJson(const Verification& v) {
  if (!v.done) return Json();
  const Summary& s = v.summary;
  return {{"holds", v.holds},
          {"replicas_added", v.replicas_added},
          {"rate", s.request_throughput},
          {"p99_ttft_ms", s.ttft.p99_ms},
          {"p99_tpot_ms", s.tpot.p99_ms},
          {"slo_attainment", s.slo_attainment},
          {"steady_state", SteadyStateToJson(v.steady)}};
}

// The autoscaled alternative: its cost, and the schedule as `autoscaler.schedule` entries of the
// deployment's replicas (scale-ups started the scale-up delay before their step; entries that
// would not be strictly increasing merge into the later one).
Json AutoscaledJson(const AutoscaledCost& a) {
  Json schedule = Json::array();
  int64_t previous = -1;
  for (const AutoscaledCost::Step& s : a.steps) {
    if (s.replicas == previous) continue;
    const double at = std::max(
        0.0, s.replicas > previous && previous >= 0 ? s.at_s - a.scale_up_delay_s : s.at_s);
    while (!schedule.empty() && schedule.back()["at_s"].get<double>() >= at)
      schedule.erase(schedule.size() - 1);
    schedule.push_back({{"at_s", at}, {"replicas", s.replicas}});
    previous = s.replicas;
  }
  return {{"scale_up_delay_s", a.scale_up_delay_s},
          {"min_units", a.min_units},
          {"max_units", a.max_units},
          {"mean_gpus", a.mean_gpus},
          {"gpu_hours_per_day", a.gpu_hours_per_day},
          {"static_gpu_hours_per_day", a.static_gpu_hours_per_day},
          {"cost_per_hour", a.cost_per_hour},
          {"static_cost_per_hour", a.static_cost_per_hour},
          {"savings", a.Savings()},
          {"schedule", std::move(schedule)}};
}

Json OptionJson(const PlanOption& o, const PlanSpec& spec, int rank) {
  Json j;
  j["rank"] = o.Feasible() ? Json(rank) : Json();
  j["name"] = o.name;
  j["gpu"] = o.gpu;
  j["feasible"] = o.Feasible();
  const PlanCandidate* c = nullptr;
  for (const PlanCandidate& x : spec.candidates) {
    if (x.name == o.name) c = &x;
  }
  j["unit_gpus"] = o.unit_gpus;
  if (o.Feasible()) {
    j["num_gpus"] = o.num_gpus;
    j["units"] = o.units;
    j["idle_gpus"] = o.num_gpus - o.deployment.NumGpus();
    j["deployment"] = DeploymentToJson(o.deployment);
    j["serving_replicas"] = o.serving_replicas;
    j["redundancy_replicas"] = spec.n_plus;
    j["engine"] = EngineJson(o.ChosenScenario());
    const std::string& variant = o.variants[static_cast<size_t>(o.Best().variant)].name;
    j["engine_variant"] = variant.empty() ? Json() : Json(variant);
    j["replica_capacity"] = o.Best().replica_capacity;
    j["capacity"] = o.capacity;
    j["headroom"] = o.headroom;
    j["cost_per_gpu_hour"] = o.cost_per_gpu_hour;
    j["cost_per_hour"] = o.cost_per_hour;
    j["cost_per_million_tokens"] = o.cost_per_million_tokens;
    j["total_cost"] = o.total_cost;
    j["verified"] = VerificationJson(o.verification);
    j["trust"] = TrustToJson(TrustOf(o.ChosenScenario(), o.deployment));
    if (o.autoscaled) j["autoscaled"] = AutoscaledJson(*o.autoscaled);
  }
  if (c) j["price"] = PriceJson(c->price);
  if (o.variants.size() > 1 || !o.variants[0].name.empty()) j["engine_variants"] = VariantsJson(o);
  Json shapes = Json::array();
  for (const ShapeCost& s : o.shapes) shapes.push_back(ShapeJson(o, s));
  j["shapes"] = std::move(shapes);
  return j;
}

std::vector<std::string> Ranking(const std::vector<PlanOption>& options) {
  std::vector<std::string> names;
  for (const PlanOption& o : options) {
    if (o.Feasible()) names.push_back(o.name);
  }
  return names;
}

Json SensitivityJson(const PlanResult& r, bool* changes) {
  Json list = Json::array();
  *changes = false;
  for (const PlanResult::Sensitivity& s : r.sensitivity) {
    Json options = Json::array();
    for (const PlanOption& o : s.options) {
      if (!o.Feasible()) continue;
      options.push_back({{"name", o.name},
                         {"num_gpus", o.num_gpus},
                         {"deployment", DeploymentToJson(o.deployment)},
                         {"cost_per_hour", o.cost_per_hour},
                         {"cost_per_million_tokens", o.cost_per_million_tokens}});
    }
    const std::vector<std::string> ranking = Ranking(s.options);
    *changes = *changes || ranking != Ranking(r.options);
    list.push_back(
        {{"step_time_scale", s.scale}, {"ranking", ranking}, {"options", std::move(options)}});
  }
  return list;
}

const PlanOption* Find(const std::vector<PlanOption>& options, const std::string& name) {
  for (const PlanOption& o : options) {
    if (o.name == name && o.Feasible()) return &o;
  }
  return nullptr;
}

}  // namespace

Json PlanToJson(const PlanResult& r, const PlanSpec& spec) {
  Json j;
  j["plan"] = spec.path;
  j["scenario"] = spec.scenario_path;
  j["slo"] = SloToJson(spec.slo);
  j["target"] = {{"request_rate", r.target_rate},
                 {"output_tokens_per_s", r.target_rate * r.mean_output_tokens},
                 {"mean_output_tokens", r.mean_output_tokens},
                 {"peak_factor", spec.peak_factor},
                 {"peak_rate", r.peak_rate}};
  j["redundancy"] = {{"n_plus", spec.n_plus}};
  j["horizon_years"] = spec.horizon_years;
  Json options = Json::array();
  int rank = 0;
  for (const PlanOption& o : r.options) options.push_back(OptionJson(o, spec, ++rank));
  j["options"] = std::move(options);
  bool changes = false;
  j["sensitivity"] = SensitivityJson(r, &changes);
  j["ranking_changes"] = changes;
  return j;
}

Json PlanReplicationMetrics(const PlanResult& r) {
  Json options = Json::object();
  for (const PlanOption& o : r.options) {
    if (!o.Feasible()) continue;
    options[o.name] = {{"num_gpus", o.num_gpus},
                       {"replica_capacity", o.Best().replica_capacity},
                       {"cost_per_hour", o.cost_per_hour},
                       {"cost_per_million_tokens", o.cost_per_million_tokens}};
  }
  return {{"options", std::move(options)}};
}

std::vector<std::string> PlanCsvColumns() {
  Json probe = {{"rank", 1}, {"name", ""}, {"gpu", ""}, {"feasible", true}};
  probe["infeasible_reason"] = "";
  probe["unit_gpus"] = 1;
  probe["num_gpus"] = 1;
  probe["units"] = 1;
  probe["idle_gpus"] = 0;
  probe["deployment"] = DeploymentToJson(Deployment{});
  probe["serving_replicas"] = 1;
  probe["redundancy_replicas"] = 0;
  probe["engine"] = EngineJson(Scenario{});
  probe["engine_variant"] = "";
  for (const char* key : {"replica_capacity", "capacity", "headroom", "cost_per_gpu_hour",
                          "cost_per_hour", "cost_per_million_tokens", "total_cost"}) {
    probe[key] = 0.0;
  }
  Verification verified;
  verified.done = true;
  probe["verified"] = VerificationJson(verified);
  Trust trust;  // every key TrustToJson writes: validated (note), reasons, error bands
  trust.validated = true;
  trust.reasons = {"probe"};
  trust.bands.resize(1);
  probe["trust"] = TrustToJson(trust);
  probe["price"] = PriceJson(GpuPrice{});
  return CsvColumnsOf(probe);
}

std::vector<Json> PlanCsvRows(const Json& doc) {
  std::vector<Json> rows;
  for (const Json& o : doc["options"]) {
    Json row;
    for (const auto& [key, value] : o.items()) {
      if (key != "shapes" && key != "engine_variants") row[key] = value;
    }
    if (!o["feasible"].get<bool>()) {
      // Why: the distinct reasons its shapes (and engine variants) were skipped.
      std::vector<std::string> reasons;
      for (const char* list : {"engine_variants", "shapes"}) {
        if (!o.contains(list)) continue;
        for (const Json& e : o[list]) {
          if (!e.contains("skipped")) continue;
          const std::string why = e["skipped"].get<std::string>();
          if (std::find(reasons.begin(), reasons.end(), why) == reasons.end()) {
            reasons.push_back(why);
          }
        }
      }
      std::string text = "no deployment meets the SLO";
      for (size_t i = 0; i < reasons.size(); ++i) text += (i ? "; " : ": ") + reasons[i];
      row["infeasible_reason"] = text;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

static void PrintAutoscaled(const AutoscaledCost& a, int64_t unit_gpus, std::ostream& out) {
  const std::string gpus =
      a.min_units == a.max_units
          ? fmt::format("{} GPUs all day (whole units of {})", a.max_units * unit_gpus, unit_gpus)
          : fmt::format("{}-{} GPUs over the day (mean {:.1f})", a.min_units * unit_gpus,
                        a.max_units * unit_gpus, a.mean_gpus);
  double change = 100 * (a.cost_per_hour / a.static_cost_per_hour - 1);
  if (std::fabs(change) < 0.5) change = 0;  // no "-0%"
  fmt::print(out,
             "{:>4}  {:<18}autoscaled: {}, {:.0f} GPU-h/day vs {:.0f} static; ${:.2f}/h vs "
             "${:.2f}/h ({:+.0f}%)\n",
             "", "", gpus, a.gpu_hours_per_day, a.static_gpu_hours_per_day, a.cost_per_hour,
             a.static_cost_per_hour, change);
}

void PrintPlan(const PlanResult& r, const PlanSpec& spec, std::ostream& out) {
  fmt::print(out, "servesim plan: {} ({} candidates)\n", spec.path, spec.candidates.size());
  fmt::print(out,
             "target: {:.4g} req/s ({:.4g} output tok/s) x peak factor {} = {:.4g} req/s; SLO: {}; "
             "N+{}; horizon {} years\n\n",
             r.target_rate, r.target_rate * r.mean_output_tokens, spec.peak_factor, r.peak_rate,
             spec.slo.Describe(), spec.n_plus, spec.horizon_years);
  if (spec.autoscale) {
    const PlanAutoscale& a = *spec.autoscale;
    fmt::print(out,
               "autoscaled alternative: the load follows a {:g} s day from {:.4g} to {:.4g} req/s "
               "(peak at {:g} s), replicas booked per {:g} s step, {:g} s cold start (an "
               "estimate, not simulated; docs/studies.md)\n\n",
               a.period_s, r.target_rate * (2 - spec.peak_factor), r.peak_rate, a.peak_at_s,
               a.step_s, a.cold_start_s);
  }
  fmt::print(out, "{:>4}  {:<18}{:>10}  {:<16}{:>10}{:>10}{:>11}{:>10}{:>14}\n", "rank",
             "candidate", "GPUs", "deployment", "headroom", "$/hour", "$/M tok", "verified",
             "total $");
  int rank = 0;
  for (const PlanOption& o : r.options) {
    if (!o.Feasible()) {
      fmt::print(out, "{:>4}  {:<18}  no deployment meets the SLO (see --json shapes)\n", "-",
                 o.name);
      continue;
    }
    const std::string verified =
        !o.verification.done ? "-"
        : o.verification.holds
            ? (o.verification.replicas_added > 0 ? fmt::format("+{}", o.verification.replicas_added)
                                                 : "yes")
            : "FAILS";
    const std::string gpus = o.unit_gpus > 1
                                 ? fmt::format("{} ({}x{})", o.num_gpus, o.units, o.unit_gpus)
                                 : fmt::format("{}", o.num_gpus);
    fmt::print(out, "{:>4}  {:<18}{:>10}  {:<16}{:>9.0f}%{:>10.2f}{:>11.3f}{:>10}{:>14.0f}\n",
               ++rank, o.name, gpus, o.deployment.Name(), 100 * o.headroom, o.cost_per_hour,
               o.cost_per_million_tokens, verified, o.total_cost);
    const std::string& variant = o.variants[static_cast<size_t>(o.Best().variant)].name;
    if (!variant.empty()) fmt::print(out, "{:>4}  {:<18}engine: {}\n", "", "", variant);
    const Trust trust = TrustOf(o.ChosenScenario(), o.deployment);
    fmt::print(out, "{:>4}  {:<18}trust: {}\n", "", "", DescribeTrust(trust));
    if (o.num_gpus > o.deployment.NumGpus()) {
      fmt::print(out, "{:>4}  {:<18}{} of the {} GPUs paid for idle (whole units of {})\n", "", "",
                 o.num_gpus - o.deployment.NumGpus(), o.num_gpus, o.unit_gpus);
    }
    if (o.autoscaled) PrintAutoscaled(*o.autoscaled, o.unit_gpus, out);
  }
  for (const PlanResult::Sensitivity& s : r.sensitivity) {
    fmt::print(out, "\nstep times x{}:", s.scale);
    for (const PlanOption& o : s.options) {
      if (!o.Feasible()) continue;
      const PlanOption* base = Find(r.options, o.name);
      fmt::print(out, "  {} {} GPUs ${:.2f}/h{}", o.name, o.num_gpus, o.cost_per_hour,
                 base
                     ? fmt::format(" ({:+.0f}%)", 100 * (o.cost_per_hour / base->cost_per_hour - 1))
                     : "");
    }
    fmt::print(
        out, "{}\n",
        Ranking(s.options) == Ranking(r.options) ? "; ranking unchanged" : "; RANKING CHANGES");
  }
}

}  // namespace servesim

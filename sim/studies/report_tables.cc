#include "sim/studies/report_tables.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "sim/studies/report_plots.h"
#include "sim/studies/report_sweep_plots.h"
#include "sim/studies/report_text.h"
#include "sim/studies/scaling_loss.h"

namespace servesim {
namespace {

using Json = nlohmann::ordered_json;

double Get(const Json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>()
                                                                : std::nan("");
}

TableCell Num(double v) {
  if (!std::isfinite(v)) return {"–", std::nullopt, ""};
  return {Number(v), v, ""};
}
TableCell Pct(double fraction) {
  if (!std::isfinite(fraction)) return {"–", std::nullopt, ""};
  return {Percent(fraction), 100 * fraction, ""};
}
TableCell Usd(double v, int decimals) {
  if (!std::isfinite(v)) return {"–", std::nullopt, ""};
  return {Dollars(v, decimals), v, ""};
}
TableCell Text(const std::string& s) { return {s, std::nullopt, ""}; }

TableCell Trust(const Json& trust) {
  if (!trust.is_object()) return Text("–");
  std::string reasons;
  if (trust.contains("reasons")) {
    for (const Json& r : trust["reasons"]) {
      reasons += (reasons.empty() ? "" : "; ") + (r.is_string() ? r.get<std::string>() : r.dump());
    }
  }
  const bool ok = trust.value("validated", false);
  return {ok ? "validated" : "outside", std::nullopt,
          ok ? "in validated territory (docs/validation.md)" : reasons};
}

std::string Yes(bool b) { return b ? "yes" : "no"; }

}  // namespace

std::string RenderTable(const HtmlTable& t) {
  std::string h = fmt::format("<table class=\"sortable\" id=\"{}\">\n<caption>{}</caption>\n",
                              Html(t.id), Html(t.caption));
  h += "<thead><tr>";
  for (const std::string& col : t.headers) {
    h += fmt::format("<th title=\"click to sort\">{}</th>", Html(col));
  }
  h += "</tr></thead>\n<tbody>\n";
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const std::string& cls = r < t.row_class.size() ? t.row_class[r] : "";
    h += cls.empty() ? "<tr>" : fmt::format("<tr class=\"{}\">", Html(cls));
    for (const TableCell& c : t.rows[r]) {
      h += "<td";
      if (c.sort) h += fmt::format(" data-v=\"{}\"", *c.sort);
      if (!c.title.empty()) h += fmt::format(" title=\"{}\"", Html(c.title));
      h += fmt::format(">{}</td>", Html(c.text));
    }
    h += "</tr>\n";
  }
  return h + "</tbody></table>\n";
}

HtmlTable CapacitySummaryTable(const CapacityCurve& c, int index) {
  const Json& d = c.doc;
  const Json slo = d.contains("slo") ? d["slo"] : Json();
  HtmlTable t;
  t.id = fmt::format("capacity{}-summary", index);
  t.caption = fmt::format(
      "The highest Poisson arrival rate at which {} held in a steady state (search tolerance "
      "{}%), and what the deployment delivers there.",
      SloText(slo), Number(100 * Get(d, "tolerance")));
  t.headers = {"max rate (req/s)", "fails at (req/s)", "goodput (req/s)",
               "output throughput (tok/s)"};
  std::vector<TableCell> row = {Num(Get(d, "max_rate")), Num(Get(d, "fail_rate")),
                                Num(Get(d, "goodput")),
                                Num(Get(d.value("summary", Json()), "output_throughput"))};
  for (const auto& [key, limit] : SloLimits(slo)) {
    t.headers.push_back(fmt::format("{} (ms, limit {})", SloStatName(key), Number(limit)));
    row.push_back(Num(Get(d.value("summary", Json()), SummaryKeyOfSlo(key).c_str())));
  }
  t.headers.insert(t.headers.end(), {"steady state", "trust"});
  const Json steady = d.value("steady_state", Json());
  row.push_back(Text(steady.is_object() ? Yes(steady.value("steady", false)) : "–"));
  row.push_back(Trust(d.value("trust", Json())));
  t.rows.push_back(std::move(row));
  return t;
}

HtmlTable CapacityCurveTable(const CapacityCurve& c, int index) {
  const Json& d = c.doc;
  const Json slo = d.contains("slo") ? d["slo"] : Json();
  HtmlTable t;
  t.id = fmt::format("capacity{}-curve", index);
  t.caption =
      "The simulations around the capacity, one per offered rate. \"holds\" means the SLO was met "
      "and the backlog did not grow (steady state); the highlighted row is the capacity, and the "
      "row marked \"fails\" the lowest rate found to miss it (which statistic is over its "
      "limit says why).";
  t.headers = {"arrival rate (req/s)", "holds", "throughput (req/s)", "goodput (req/s)",
               "SLO attainment (%)"};
  const auto limits = SloLimits(slo);
  for (const auto& [key, limit] : limits) {
    t.headers.push_back(fmt::format("{} (ms)", SloStatName(key)));
  }
  // The curve, plus the search's failing point when the curve does not hold it, by rate.
  std::vector<Json> points(d["curve"].begin(), d["curve"].end());
  const double fail = Get(d, "fail_rate");
  const auto at_fail = [&](const Json& p) { return std::isfinite(fail) && Get(p, "rate") == fail; };
  if (std::none_of(points.begin(), points.end(), at_fail) && d.contains("search")) {
    for (const Json& p : d["search"]) {
      if (at_fail(p)) {
        points.push_back(p);
        break;
      }
    }
    std::stable_sort(points.begin(), points.end(),
                     [](const Json& a, const Json& b) { return Get(a, "rate") < Get(b, "rate"); });
  }
  for (const Json& p : points) {
    const Json m = p.value("metrics", Json());
    const bool holds = p.value("holds", false), met = p.value("slo_met", false);
    const bool fails = at_fail(p);
    std::vector<TableCell> row = {
        Num(Get(p, "rate")),
        Text(holds ? "yes" : (fails ? "fails" : (met ? "no (not steady)" : "no"))),
        Num(Get(m, "request_throughput")), Num(Get(m, "goodput")), Pct(Get(m, "slo_attainment"))};
    for (const auto& [key, limit] : limits)
      row.push_back(Num(Get(m, SummaryKeyOfSlo(key).c_str())));
    t.rows.push_back(std::move(row));
    t.row_class.push_back(Get(p, "rate") == Get(d, "max_rate") ? "best" : "");
  }
  return t;
}

HtmlTable ScalingTable(const StudyJson& scaling, int index) {
  const Json& d = scaling.doc;
  HtmlTable t;
  t.id = fmt::format("scaling{}", index);
  const Json base = d.value("baseline", Json());
  const Json usl = d.value("usl", Json());
  t.caption = fmt::format(
      "The best deployment per GPU count and its capacity at {}. Linear = GPUs × {} req/s per "
      "GPU (the best deployment at {} GPUs); efficiency = capacity / linear. The lost columns "
      "split linear − capacity by cause and sum to it (negative: a gain).",
      d.contains("slo") ? SloText(d["slo"]) : "the SLO", Number(Get(base, "capacity_per_gpu")),
      Number(Get(base, "num_gpus")));
  if (usl.is_object()) {
    t.caption += fmt::format(" Universal Scalability Law fit: λ {} req/s, σ {}, κ {} (R² {}).",
                             Number(Get(usl, "lambda")), Number(Get(usl, "sigma")),
                             Number(Get(usl, "kappa")), Number(Get(usl, "r_squared")));
  }
  if (d.contains("extrapolated") && !d["extrapolated"].empty()) {
    t.caption += " Greyed rows are the fit's extrapolation, not simulations.";
  } else if (d.contains("extrapolation_withheld") && d["extrapolation_withheld"].is_string()) {
    t.caption += " Not extrapolated: " + d["extrapolation_withheld"].get<std::string>() + ".";
  }
  t.headers = {"GPUs", "deployment", "capacity (req/s)", "linear (req/s)", "efficiency (%)"};
  for (const std::string& cause : LossCauses()) {
    t.headers.push_back(fmt::format("lost: {} (req/s)", cause));
  }
  t.headers.insert(t.headers.end(), {"goodput (req/s)", "trust"});
  for (const Json& p : d["points"]) {
    const Json dep = p.value("deployment", Json());
    std::vector<TableCell> row = {
        Num(Get(p, "num_gpus")),
        Text(dep.is_object() ? dep.value("name", "") : "none meets the SLO"),
        Num(Get(p, "capacity")), Num(Get(p, "linear")), Pct(Get(p, "efficiency"))};
    for (const std::string& cause : LossCauses()) {
      row.push_back(Num(Get(p.value("loss", Json()), cause.c_str())));
    }
    row.push_back(Num(Get(p, "goodput")));
    row.push_back(Trust(p.value("trust", Json())));
    t.rows.push_back(std::move(row));
    t.row_class.push_back("");
  }
  for (const Json& e : d.value("extrapolated", Json::array())) {
    std::vector<TableCell> row = {Num(Get(e, "num_gpus")), Text("USL extrapolation"),
                                  Num(Get(e, "capacity")), Num(Get(e, "linear")),
                                  Pct(Get(e, "efficiency"))};
    for (size_t i = 0; i < LossCauses().size() + 2; ++i) row.push_back(Text("–"));
    t.rows.push_back(std::move(row));
    t.row_class.push_back("muted");
  }
  return t;
}

HtmlTable PlanTable(const StudyJson& plan, int index) {
  const Json& d = plan.doc;
  const Json target = d.value("target", Json()), red = d.value("redundancy", Json());
  HtmlTable t;
  t.id = fmt::format("plan{}", index);
  t.caption = fmt::format(
      "Candidate GPUs ranked by cost per hour, each with the cheapest deployment that serves {} "
      "req/s × peak factor {} = {} req/s at {}, with N+{} spare replicas, over {} years "
      "(highlighted: the cheapest). Verified: all the serving replicas simulated together at the "
      "peak rate (yes, +k replicas added, or FAILS); the p99 columns and the attainment are "
      "measured in that run. Trust: whether the deployment lies in validated territory "
      "(docs/validation.md; hover for the reasons).",
      Number(Get(target, "request_rate")), Number(Get(target, "peak_factor")),
      Number(Get(target, "peak_rate")), d.contains("slo") ? SloText(d["slo"]) : "the SLO",
      Number(Get(red, "n_plus")), Number(Get(d, "horizon_years")));
  if (d.contains("ranking_changes") && d["ranking_changes"].is_boolean()) {
    t.caption += d["ranking_changes"].get<bool>()
                     ? " The ranking CHANGES when the step times are scaled (see the markers in "
                       "the plots): treat it as uncertain."
                     : " The ranking holds when the step times are scaled.";
  }
  t.headers = {"rank",
               "candidate",
               "GPUs",
               "deployment",
               "engine settings",
               "headroom (%)",
               "$/hour",
               "$/M output tokens",
               "total $ (horizon)",
               "verified",
               "p99 TTFT at peak (ms)",
               "p99 TPOT at peak (ms)",
               "SLO attainment at peak (%)",
               "trust"};
  for (const Json& o : d["options"]) {
    const bool feasible = o.value("feasible", false);
    const Json v = o.value("verified", Json()), dep = o.value("deployment", Json());
    std::string gpus = Number(Get(o, "num_gpus"));
    if (Get(o, "unit_gpus") > 1) {
      gpus += fmt::format(" ({}x{})", Number(Get(o, "units")), Number(Get(o, "unit_gpus")));
    }
    std::string verified = "–";
    if (v.is_object()) {
      const double added = Get(v, "replicas_added");
      verified = !v.value("holds", false) ? "FAILS"
                 : added > 0              ? fmt::format("+{} replicas", Number(added))
                                          : "yes";
    }
    const std::string variant = o.contains("engine_variant") && o["engine_variant"].is_string()
                                    ? o["engine_variant"].get<std::string>()
                                    : "as configured";
    t.rows.push_back(
        {Num(Get(o, "rank")), Text(o.value("name", "")),
         feasible ? TableCell{gpus, Get(o, "num_gpus"), ""} : Text("–"),
         Text(feasible && dep.is_object() ? dep.value("name", "") : "no deployment meets the SLO"),
         Text(feasible ? variant : "–"), Pct(Get(o, "headroom")), Usd(Get(o, "cost_per_hour"), 2),
         Usd(Get(o, "cost_per_million_tokens"), 3), Usd(Get(o, "total_cost"), 0), Text(verified),
         Num(Get(v, "p99_ttft_ms")), Num(Get(v, "p99_tpot_ms")), Pct(Get(v, "slo_attainment")),
         Trust(o.value("trust", Json()))});
    t.row_class.push_back(feasible && Get(o, "rank") == 1 ? "best" : (feasible ? "" : "muted"));
  }
  return t;
}

}  // namespace servesim

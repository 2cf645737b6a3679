#include "sim/studies/report_study_plots.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sim/studies/report_text.h"
#include "sim/studies/scaling_loss.h"

namespace servesim {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kUslSamples = 60;
// One colour per loss cause (in LossCauses() order), colour-blind safe (Okabe & Ito, 2008).
const char* const kCauseColours[] = {"#0072B2", "#E69F00", "#009E73",
                                     "#D55E00", "#CC79A7", "#56B4E9"};

double Num(const Json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : std::nan("");
}

// USL throughput X(n) from the "usl" object.
double Usl(const Json& usl, double n) {
  const double l = Num(usl, "lambda"), s = Num(usl, "sigma"), k = Num(usl, "kappa");
  return l * n / (1 + s * (n - 1) + k * n * (n - 1));
}

// Geometric samples of the USL curve over [lo, hi].
PlotSeries UslSeries(const Json& usl, double lo, double hi, const std::string& title,
                     const std::string& style) {
  PlotSeries s{title, {}, style};
  for (int i = 0; i <= kUslSamples; ++i) {
    const double n = lo * std::pow(hi / lo, static_cast<double>(i) / kUslSamples);
    s.points.emplace_back(n, Usl(usl, n));
  }
  return s;
}

Plot CapacityPlot(const Json& doc) {
  Plot p;
  p.title = fmt::format("capacity at the SLO vs GPUs ({} on {})", doc.value("model", ""),
                        doc.value("gpu", ""));
  p.xlabel = "GPUs";
  p.ylabel = "capacity (req/s)";
  p.logx = true;
  PlotSeries measured{"best deployment (simulated)", {}, "linespoints pt 7"};
  PlotSeries linear{"linear (N x per-GPU capacity at the smallest count)", {}, "lines dashtype 2"};
  double lo = INFINITY, hi = 0;
  for (const Json& pt : doc["points"]) {
    const double n = Num(pt, "num_gpus");
    linear.points.emplace_back(n, Num(pt, "linear"));
    if (pt["capacity"].is_number()) {
      measured.points.emplace_back(n, Num(pt, "capacity"));
      lo = std::min(lo, n);
      hi = std::max(hi, n);
    }
  }
  for (const Json& e : doc["extrapolated"])
    linear.points.emplace_back(Num(e, "num_gpus"), Num(e, "linear"));
  p.series = {measured, linear};
  const Json& usl = doc["usl"];
  if (usl.is_object() && hi > lo) {
    p.series.push_back(UslSeries(usl, lo, hi, "USL fit", "lines"));
    double top = hi;
    PlotSeries extra{"extrapolated (USL, not simulated)", {}, "points pt 6 ps 1.5"};
    for (const Json& e : doc["extrapolated"]) {
      extra.points.emplace_back(Num(e, "num_gpus"), Num(e, "capacity"));
      top = std::max(top, Num(e, "num_gpus"));
    }
    if (top > hi) {
      p.series.push_back(UslSeries(usl, hi, top, "USL extrapolation", "lines dashtype 3"));
      p.series.push_back(extra);
    }
  }
  return p;
}

// Stacked bars: for each cause, its positive part stacked upwards from 0 and its negative part
// downwards, cause by cause. Boxes start at 0, so each stack is drawn as cumulative heights, the
// tallest first, and the shorter ones overdraw it.
Plot LossPlot(const Json& doc) {
  Plot p;
  p.title = "lost throughput by cause (linear - capacity; negative = gain)";
  p.xlabel = "GPUs";
  p.ylabel = "lost throughput (req/s)";
  p.boxwidth = 0.6;
  std::vector<const Json*> points;
  for (const Json& pt : doc["points"]) {
    if (pt["loss"].is_object()) points.push_back(&pt);
  }
  const std::vector<std::string>& causes = LossCauses();
  std::vector<PlotSeries> up(causes.size()), down(causes.size());
  PlotSeries total{"total lost", {}, "points pt 7 ps 1.2 lc rgb 'black'"};
  for (size_t i = 0; i < points.size(); ++i) {
    const auto x = static_cast<double>(i + 1);
    p.xtics.emplace_back(x, fmt::format("{}", (*points[i])["num_gpus"].get<int64_t>()));
    double pos = 0, neg = 0;
    for (size_t c = 0; c < causes.size(); ++c) {
      const double v = Num((*points[i])["loss"], causes[c].c_str());
      if (v > 0) pos += v;
      if (v < 0) neg += v;
      up[c].points.emplace_back(x, pos);
      down[c].points.emplace_back(x, neg);
    }
    total.points.emplace_back(x, Num(*points[i], "linear") - Num(*points[i], "capacity"));
  }
  p.xrange = std::make_pair(0.4, static_cast<double>(points.size()) + 0.6);
  for (size_t k = causes.size(); k-- > 0;) {
    const std::string style = fmt::format("boxes fs solid 0.85 lc rgb '{}'", kCauseColours[k]);
    up[k].title = causes[k];
    up[k].style = style;
    down[k].style = style;  // untitled: one key entry per cause
    p.series.push_back(std::move(up[k]));
  }
  for (size_t k = causes.size(); k-- > 0;) p.series.push_back(std::move(down[k]));
  p.series.push_back(std::move(total));
  p.hlines.push_back({0, "0"});
  return p;
}

Plot CostPlot(const Json& doc, const char* key, const std::string& title,
              const std::string& ylabel) {
  Plot p;
  p.title = title;
  p.xlabel = "candidate (ranked)";
  p.ylabel = ylabel;
  p.boxwidth = 0.6;
  p.ymin = 0;
  PlotSeries bars{"cheapest deployment", {}, "boxes fs solid 0.85 lc rgb '#0072B2'"};
  std::vector<std::string> names;
  for (const Json& o : doc["options"]) {
    if (!o.value("feasible", false)) continue;
    names.push_back(o["name"].get<std::string>());
    const auto x = static_cast<double>(names.size());
    p.xtics.emplace_back(x, names.back());
    bars.points.emplace_back(x, Num(o, key));
  }
  p.xrange = std::make_pair(0.4, static_cast<double>(names.size()) + 0.6);
  p.series.push_back(std::move(bars));
  const std::string sens_key = std::string(key);
  for (const Json& s : doc["sensitivity"]) {
    PlotSeries pts{fmt::format("step times x{}", Num(s, "step_time_scale")), {}, "points ps 1.5"};
    for (const Json& o : s["options"]) {
      const auto it = std::find(names.begin(), names.end(), o["name"].get<std::string>());
      if (it == names.end()) continue;
      pts.points.emplace_back(static_cast<double>(it - names.begin() + 1), Num(o, key));
    }
    if (!pts.points.empty()) p.series.push_back(std::move(pts));
  }
  if (names.empty()) p.series.clear();
  return p;
}

}  // namespace

std::vector<NamedPlot> ScalingPlots(const StudyJson& scaling, int index) {
  const Json& doc = scaling.doc;
  const std::string slo = doc.contains("slo") ? SloText(doc["slo"]) : "the SLO";
  return {{fmt::format("scaling{}_capacity.svg", index), CapacityPlot(doc),
           fmt::format("Capacity at the SLO ({}) of the best deployment found for each GPU count "
                       "(log GPU axis), against linear scaling from the smallest count (dashed). "
                       "The gap between the two is what the extra GPUs lose; the USL curve is a "
                       "fit through the simulated points, and hollow circles are its "
                       "extrapolation, not simulations.",
                       slo)},
          {fmt::format("scaling{}_loss.svg", index), LossPlot(doc),
           "For each GPU count, linear minus simulated capacity (req/s) split by cause: bars "
           "above zero are lost throughput, below zero gains over the baseline; the black dot is "
           "the net loss. See the table for the numbers."}};
}

std::vector<NamedPlot> PlanPlots(const StudyJson& plan, int index) {
  const Json& doc = plan.doc;
  const std::string sens =
      doc.contains("sensitivity") && !doc["sensitivity"].empty()
          ? " Markers show the same candidate when every step time is scaled (what if the cost "
            "model is off): a marker far from its bar means the answer is sensitive."
          : "";
  return {{fmt::format("plan{}_cost_per_hour.svg", index),
           CostPlot(doc, "cost_per_hour", "cost per hour of the cheapest deployment", "$/hour"),
           "Cost per hour of the cheapest deployment of each candidate GPU that serves the "
           "target peak load at the SLO, spares and whole purchase units included, cheapest "
           "first." +
               sens},
          {fmt::format("plan{}_cost_per_million_tokens.svg", index),
           CostPlot(doc, "cost_per_million_tokens",
                    "cost per million output tokens at the target load", "$ / M output tokens"),
           "The same deployments priced per million output tokens at the average (not peak) "
           "target load: the hourly cost divided by the tokens it serves." +
               sens}};
}

}  // namespace servesim

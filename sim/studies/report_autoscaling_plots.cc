#include "sim/studies/report_autoscaling_plots.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "sim/studies/report_text.h"

namespace servesim {
namespace {

// The replica timeline as two step lines (booked, active), each carried on to the run's end.
Plot ReplicaPlot(const nlohmann::ordered_json& a, double end_s) {
  Plot p;
  p.title = "replicas over time";
  p.xlabel = "simulated time (s)";
  p.ylabel = "replicas";
  p.ymin = 0;
  p.ymax = a.value("max_replicas", 1.0) + 0.5;
  PlotSeries booked{"booked (loading, active, draining)", {}, "steps"};
  PlotSeries active{"active (routed to)", {}, "steps"};
  for (const auto& point : a["replica_timeline"]) {
    const double t = point.value("t_s", 0.0);
    booked.points.emplace_back(t, point.value("replicas", 0.0));
    active.points.emplace_back(t, point.value("active", 0.0));
  }
  if (!booked.points.empty() && end_s > booked.points.back().first) {
    booked.points.emplace_back(end_s, booked.points.back().second);
    active.points.emplace_back(end_s, active.points.back().second);
  }
  p.series.push_back(std::move(booked));
  p.series.push_back(std::move(active));
  p.hlines.push_back({a.value("max_replicas", 1.0), "max_replicas (static peak)"});
  return p;
}

// Per report window: SLO attainment (with an SLO) or p99 TTFT, at the window's middle.
Plot WindowPlot(const nlohmann::ordered_json& a, bool slo) {
  Plot p;
  const double w = a.value("window_s", 3600.0);
  p.title = slo ? "SLO attainment per window" : "p99 TTFT per window";
  p.xlabel = "arrival time (s)";
  p.ylabel = slo ? "requests within the SLO (%)" : "p99 time to first token (ms)";
  p.ymin = 0;
  if (slo) p.ymax = 100;
  PlotSeries s{"", {}, "linespoints"};
  for (const auto& window : a["windows"]) {
    const char* key = slo ? "slo_attainment" : "p99_ttft_ms";
    if (!window.contains(key) || !window[key].is_number()) continue;
    const double v = window[key].get<double>();
    s.points.emplace_back(window.value("start_s", 0.0) + w / 2, slo ? 100 * v : v);
  }
  p.series.push_back(std::move(s));
  return p;
}

}  // namespace

std::vector<NamedPlot> AutoscalingPlots(const StudyJson& run, int index) {
  if (!run.doc.contains("autoscaling")) return {};
  const nlohmann::ordered_json& a = run.doc["autoscaling"];
  if (!a.contains("replica_timeline") || !a["replica_timeline"].is_array()) return {};
  const double end_s = run.doc.value("duration", 0.0);
  const bool slo = run.doc.contains("slo_attainment");
  std::vector<NamedPlot> plots;
  plots.push_back(
      {fmt::format("autoscaling{}_replicas.svg", index), ReplicaPlot(a, end_s),
       fmt::format("Replicas over the run: booked ones hold GPUs (loading for {} s after a "
                   "scale-up decision, then active, then draining until empty), active ones take "
                   "new requests. {} GPU-hours booked against {} for max_replicas all along.",
                   Number(a.value("scale_up_delay_s", 0.0)), Number(a.value("gpu_hours", 0.0)),
                   Number(a.value("static_gpu_hours", 0.0)))});
  plots.push_back(
      {fmt::format("autoscaling{}_windows.svg", index), WindowPlot(a, slo),
       fmt::format("{} of the requests arriving in each {} s window: it drops where the load "
                   "rises faster than replicas start.",
                   slo ? "The share within the SLO" : "The 99th percentile TTFT",
                   Number(a.value("window_s", 3600.0)))});
  return plots;
}

}  // namespace servesim

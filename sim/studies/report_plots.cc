#include "sim/studies/report_plots.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "sim/studies/report_text.h"

namespace servesim {
namespace {

constexpr size_t kMaxCdfPoints = 1000;
constexpr size_t kMaxTimelinePoints = 3000;

// Keeps at most `max` points, evenly strided, always with the last.
std::vector<std::pair<double, double>> Thin(std::vector<std::pair<double, double>> pts,
                                            size_t max) {
  if (pts.size() <= max) return pts;
  const size_t stride = (pts.size() + max - 1) / max;
  std::vector<std::pair<double, double>> out;
  for (size_t i = 0; i < pts.size(); i += stride) out.push_back(pts[i]);
  if (out.back() != pts.back()) out.push_back(pts.back());
  return out;
}

PlotSeries CurveSeries(const CapacityCurve& c, const std::string& metric, const std::string& title,
                       double scale = 1) {
  PlotSeries s;
  s.title = title;
  for (const auto& p : c.doc["curve"]) {
    const auto& m = p["metrics"];
    if (m.contains(metric) && m[metric].is_number()) {
      s.points.emplace_back(p["rate"].get<double>(), scale * m[metric].get<double>());
    }
  }
  return s;
}

}  // namespace

std::string SummaryKeyOfSlo(const std::string& slo_key) {
  const size_t a = slo_key.find('_'), b = slo_key.rfind("_ms");
  if (a == std::string::npos || b == std::string::npos || b <= a) return slo_key;
  return fmt::format("{}_{}_ms", slo_key.substr(a + 1, b - a - 1), slo_key.substr(0, a));
}

std::vector<std::pair<std::string, double>> SloLimits(const nlohmann::ordered_json& slo) {
  std::vector<std::pair<std::string, double>> out;
  if (!slo.is_object()) return out;
  for (const auto& [key, value] : slo.items()) {
    if (key != "attainment" && value.is_number()) out.emplace_back(key, value.get<double>());
  }
  return out;
}

void AutoLogY(Plot* p) {
  double lo = INFINITY, hi = 0;
  for (const PlotSeries& s : p->series) {
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(y)) continue;
      lo = std::min(lo, y);
      hi = std::max(hi, y);
    }
  }
  for (const PlotLine& l : p->hlines) lo = std::min(lo, l.value);
  p->logy = lo > 0 && hi > 30 * lo;
}

std::vector<NamedPlot> CapacityPlots(const CapacityCurve& c, int index) {
  std::vector<NamedPlot> plots;
  const nlohmann::ordered_json slo =
      c.doc.contains("slo") ? c.doc["slo"] : nlohmann::ordered_json();
  const double knee = c.doc["max_rate"].get<double>();
  const PlotLine knee_line{knee, fmt::format("max {:.3g} req/s", knee)};
  for (const auto& [key, limit] : SloLimits(slo)) {
    const std::string label = MetricLabel(SummaryKeyOfSlo(key));
    Plot p;
    p.title = fmt::format("{} vs offered load", SloStatName(key));
    p.xlabel = "arrival rate (req/s)";
    p.ylabel = label;
    p.series.push_back(CurveSeries(c, SummaryKeyOfSlo(key), label));
    p.hlines.push_back({limit, fmt::format("SLO limit {} ms", Number(limit))});
    p.vlines.push_back(knee_line);
    AutoLogY(&p);
    plots.push_back(
        {fmt::format("capacity{}_{}.svg", index, key), std::move(p),
         fmt::format("{} of the simulations around the capacity, against the offered Poisson "
                     "arrival rate. The dashed horizontal line is the SLO limit ({} ms), the red "
                     "vertical line the highest rate at which the whole SLO ({}) held in a steady "
                     "state ({} req/s). Points above the limit fail the SLO.",
                     SloStatName(key), Number(limit), SloText(slo), Number(knee))});
  }
  Plot g;
  g.title = "throughput and goodput vs offered load";
  g.xlabel = "arrival rate (req/s)";
  g.ylabel = "requests per second (req/s)";
  g.series.push_back(CurveSeries(c, "request_throughput", "throughput (all completed requests)"));
  g.series.push_back(CurveSeries(c, "goodput", "goodput (requests within the SLO targets)"));
  g.vlines.push_back(knee_line);
  plots.push_back(
      {fmt::format("capacity{}_goodput.svg", index), std::move(g),
       fmt::format(
           "Completed requests per second (throughput) and those that met their TTFT and "
           "TPOT targets (goodput) against the offered rate. While the deployment keeps up, "
           "throughput follows the offered rate; past the capacity ({} req/s, red line) it "
           "flattens and goodput falls as queues grow.",
           Number(knee))});
  return plots;
}

std::vector<NamedPlot> CdfPlots(const std::vector<RequestLatencies>& files) {
  std::vector<NamedPlot> plots;
  struct Metric {
    const char* name;
    const char* short_name;
    const char* words;
    std::vector<double> RequestLatencies::*member;
  };
  const Metric metrics[] = {
      {"ttft", "TTFT", "time to first token (TTFT)", &RequestLatencies::ttft_ms},
      {"tpot", "TPOT", "time per output token (TPOT)", &RequestLatencies::tpot_ms},
      {"e2el", "end-to-end latency", "end-to-end latency", &RequestLatencies::e2el_ms}};
  for (const auto& [name, short_name, words, member] : metrics) {
    Plot p;
    p.title = fmt::format("{} CDF", short_name);
    p.xlabel = fmt::format("{} (ms)", words);
    p.ylabel = "fraction of requests";
    p.ymin = 0;
    p.ymax = 1;
    bool positive = true;
    for (const RequestLatencies& f : files) {
      std::vector<double> v = f.*member;
      if (v.empty()) continue;
      std::sort(v.begin(), v.end());
      positive = positive && v.front() > 0;
      PlotSeries s{f.path, {}, "lines"};
      for (size_t i = 0; i < v.size(); ++i) {
        s.points.emplace_back(v[i], static_cast<double>(i + 1) / static_cast<double>(v.size()));
      }
      s.points = Thin(std::move(s.points), kMaxCdfPoints);
      p.series.push_back(std::move(s));
    }
    p.logx = positive;
    if (p.series.empty()) continue;
    plots.push_back(
        {fmt::format("cdf_{}.svg", name), std::move(p),
         fmt::format("Cumulative distribution of the {} over the completed requests, one line "
                     "per requests file{}. Read a percentile off the y axis: where a line "
                     "crosses 0.99, 99% of requests were at least that fast.",
                     words, positive ? " (log x axis)" : "")});
  }
  return plots;
}

namespace {

constexpr size_t kMinRequestsOverTime = 200;
constexpr int kTargetWindows = 60;

// A window length of 1, 2 or 5 x 10^k seconds giving about kTargetWindows windows over `span`.
double WindowSeconds(double span) {
  const double raw = span / kTargetWindows;
  const double decade = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * decade >= raw) return m * decade;
  }
  return 10 * decade;
}

// The 99th percentile (nearest rank) of `v`, which it sorts. REQUIRES: !v.empty().
double P99(std::vector<double>& v) {
  std::sort(v.begin(), v.end());
  const size_t rank = static_cast<size_t>(std::ceil(0.99 * static_cast<double>(v.size())));
  return v[std::max<size_t>(rank, 1) - 1];
}

}  // namespace

std::vector<NamedPlot> LoadOverTimePlots(const std::vector<RequestLatencies>& files) {
  Plot rate, ttft;
  rate.title = "arrival rate over time";
  rate.xlabel = "arrival time (s)";
  rate.ylabel = "requests per second";
  rate.ymin = 0;
  ttft.title = "p99 TTFT over time";
  ttft.xlabel = "arrival time (s)";
  ttft.ylabel = "p99 time to first token (ms)";
  ttft.ymin = 0;
  double window_shown = 0;
  for (const RequestLatencies& f : files) {
    if (f.arrival_s.size() < kMinRequestsOverTime) continue;
    const auto [lo, hi] = std::minmax_element(f.arrival_s.begin(), f.arrival_s.end());
    const double span = *hi;
    if (!(span > 0) || *lo < 0) continue;
    const double w = WindowSeconds(span);
    const size_t n = static_cast<size_t>(std::floor(span / w)) + 1;
    std::vector<int64_t> arrivals(n, 0);
    std::vector<std::vector<double>> ttfts(n);
    for (double a : f.arrival_s) ++arrivals[std::min(n - 1, static_cast<size_t>(a / w))];
    for (const auto& [a, t] : f.ttft_by_arrival) {
      ttfts[std::min(n - 1, static_cast<size_t>(a / w))].push_back(t);
    }
    PlotSeries r{f.path, {}, "linespoints"}, t{f.path, {}, "linespoints"};
    for (size_t i = 0; i < n; ++i) {
      // The last window is cut at the last arrival: its rate would read low.
      if (i + 1 == n && n > 1) break;
      const double mid = (static_cast<double>(i) + 0.5) * w;
      r.points.emplace_back(mid, static_cast<double>(arrivals[i]) / w);
      if (!ttfts[i].empty()) t.points.emplace_back(mid, P99(ttfts[i]));
    }
    rate.series.push_back(std::move(r));
    ttft.series.push_back(std::move(t));
    window_shown = w;
  }
  if (rate.series.empty()) return {};
  AutoLogY(&ttft);
  return {{"load_rate.svg", std::move(rate),
           fmt::format("Requests arriving per second in windows of {} s, one line per requests "
                       "file: the offered load over the run (a rate schedule, a trace's bursts).",
                       Number(window_shown))},
          {"load_ttft.svg", std::move(ttft),
           fmt::format("The 99th percentile of the time to first token of the requests arriving "
                       "in each {} s window. It rises where arrivals outpace the deployment and "
                       "queues build up, and falls as they drain; compare it with the arrival rate "
                       "above.",
                       Number(window_shown))}};
}

std::vector<NamedPlot> TimelinePlots(const StepTimeline& t, int index) {
  std::map<int, PlotSeries> batch, kv;
  for (const TracedStep& s : t.steps) {
    batch[s.replica].points.emplace_back(s.start_s, static_cast<double>(s.batch_seqs));
    kv[s.replica].points.emplace_back(s.start_s, s.kv_utilization);
  }
  Plot b;
  b.title = "batch size over time";
  b.xlabel = "simulated time (s)";
  b.ylabel = "sequences per step";
  b.ymin = 0.0;
  Plot k;
  k.title = "KV cache utilisation over time";
  k.xlabel = "simulated time (s)";
  k.ylabel = "used / total KV blocks";
  k.ymin = 0.0;
  k.ymax = 1.0;
  for (auto* m : {&batch, &kv}) {
    for (auto& [replica, s] : *m) {
      s.title = fmt::format("replica {}", replica);
      s.style = "steps";
      s.points = Thin(std::move(s.points), kMaxTimelinePoints);
      (m == &batch ? b : k).series.push_back(std::move(s));
    }
  }
  return {{fmt::format("timeline{}_batch.svg", index), std::move(b),
           "Sequences in each engine step over the run, one line per replica. A batch pinned "
           "at a flat top is the scheduler's limit (max_num_seqs) or the KV cache."},
          {fmt::format("timeline{}_kv.svg", index), std::move(k),
           "Fraction of the KV cache blocks in use at each step, one line per replica. Near 1 "
           "the engine cannot admit more requests and may preempt running ones."}};
}

}  // namespace servesim

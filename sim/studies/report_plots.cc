#include "sim/studies/report_plots.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace servesim {
namespace {

constexpr size_t kMaxCdfPoints = 1000;
constexpr size_t kMaxTimelinePoints = 3000;

double Num(const std::string& cell) {
  try {
    return std::stod(cell);
  } catch (const std::exception&) {
    return std::nan("");
  }
}

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

// SLO keys of a capacity result ("slo": {key: limit, ..., "attainment": a}).
std::vector<std::pair<std::string, double>> SloLimits(const CapacityCurve& c) {
  std::vector<std::pair<std::string, double>> out;
  if (!c.doc.contains("slo")) return out;
  for (const auto& [key, value] : c.doc["slo"].items()) {
    if (key != "attainment" && value.is_number()) out.emplace_back(key, value.get<double>());
  }
  return out;
}

PlotSeries CurveSeries(const CapacityCurve& c, const std::string& metric,
                       const std::string& title) {
  PlotSeries s;
  s.title = title;
  for (const auto& p : c.doc["curve"]) {
    const auto& m = p["metrics"];
    if (m.contains(metric)) s.points.emplace_back(p["rate"].get<double>(), m[metric].get<double>());
  }
  return s;
}

// Other varying inputs of a sweep row, as a series label ("engine.max_num_seqs=64").
std::string GroupLabel(const SweepResults& s, const std::vector<int>& group_cols,
                       const std::vector<std::string>& row) {
  std::string label;
  for (int c : group_cols)
    label += fmt::format("{}{}={}", label.empty() ? "" : ", ", s.columns[c], row[c]);
  return label.empty() ? "sweep" : label;
}

std::vector<int> VaryingInputs(const SweepResults& s, const std::string& except) {
  std::vector<int> cols;
  for (const std::string& key : s.input_keys) {
    const int c = s.Column(key);
    std::set<std::string> values;
    for (const auto& row : s.rows) values.insert(row[c]);
    if (key != except && values.size() > 1) cols.push_back(c);
  }
  return cols;
}

// Log y when the values (and reference lines) are positive and span more than 30x: latency
// near and past the knee grows by orders of magnitude.
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

}  // namespace

std::string SummaryKeyOfSlo(const std::string& slo_key) {
  const size_t a = slo_key.find('_'), b = slo_key.rfind("_ms");
  if (a == std::string::npos || b == std::string::npos || b <= a) return slo_key;
  return fmt::format("{}_{}_ms", slo_key.substr(a + 1, b - a - 1), slo_key.substr(0, a));
}

std::vector<NamedPlot> CapacityPlots(const CapacityCurve& c, int index) {
  std::vector<NamedPlot> plots;
  const double knee = c.doc["max_rate"].get<double>();
  const PlotLine knee_line{knee, fmt::format("max {:.3g} req/s", knee)};
  for (const auto& [key, limit] : SloLimits(c)) {
    Plot p;
    p.title = fmt::format("{} vs offered load", key);
    p.xlabel = "arrival rate (req/s)";
    p.ylabel = key;
    p.series.push_back(CurveSeries(c, SummaryKeyOfSlo(key), key));
    p.hlines.push_back({limit, fmt::format("SLO {}", limit)});
    p.vlines.push_back(knee_line);
    AutoLogY(&p);
    plots.push_back({fmt::format("capacity{}_{}.svg", index, key), std::move(p)});
  }
  Plot g;
  g.title = "throughput and goodput vs offered load";
  g.xlabel = "arrival rate (req/s)";
  g.ylabel = "req/s";
  g.series.push_back(CurveSeries(c, "request_throughput", "throughput"));
  g.series.push_back(CurveSeries(c, "goodput", "goodput"));
  g.vlines.push_back(knee_line);
  plots.push_back({fmt::format("capacity{}_goodput.svg", index), std::move(g)});
  return plots;
}

std::vector<NamedPlot> SweepPlots(const SweepResults& s, const CapacityCurve* slo, int index) {
  const bool by_rate = s.Column("workload.arrival.rate") >= 0;
  const std::string x_key = by_rate ? "workload.arrival.rate" : "request_throughput";
  std::vector<std::pair<std::string, std::optional<double>>> metrics;
  if (slo) {
    for (const auto& [key, limit] : SloLimits(*slo)) metrics.emplace_back(key, limit);
  }
  if (metrics.empty()) metrics = {{"ttft_p99_ms", std::nullopt}, {"tpot_p99_ms", std::nullopt}};
  const std::vector<int> groups = VaryingInputs(s, x_key);
  std::vector<NamedPlot> plots;
  for (const auto& [key, limit] : metrics) {
    Plot p;
    p.title = fmt::format("{} vs load ({})", key, s.path);
    p.xlabel = by_rate ? "arrival rate (req/s)" : "request throughput (req/s)";
    p.ylabel = key;
    const int x = s.Column(x_key), y = s.Column(SummaryKeyOfSlo(key));
    if (x < 0 || y < 0) continue;
    std::map<std::string, size_t> index_of;  // series in the order of their first point
    for (const auto& row : s.rows) {
      const std::string label = GroupLabel(s, groups, row);
      if (!index_of.count(label)) {
        index_of[label] = p.series.size();
        p.series.push_back({label, {}, "linespoints"});
      }
      p.series[index_of[label]].points.emplace_back(Num(row[x]), Num(row[y]));
    }
    for (PlotSeries& ser : p.series) std::sort(ser.points.begin(), ser.points.end());
    if (limit) p.hlines.push_back({*limit, fmt::format("SLO {}", *limit)});
    if (slo && by_rate) {
      const double knee = slo->doc["max_rate"].get<double>();
      p.vlines.push_back({knee, fmt::format("max {:.3g} req/s", knee)});
    }
    AutoLogY(&p);
    plots.push_back({fmt::format("sweep{}_{}.svg", index, key), std::move(p)});
  }
  return plots;
}

std::vector<NamedPlot> CdfPlots(const std::vector<RequestLatencies>& files) {
  std::vector<NamedPlot> plots;
  const std::pair<const char*, std::vector<double> RequestLatencies::*> metrics[] = {
      {"ttft", &RequestLatencies::ttft_ms},
      {"tpot", &RequestLatencies::tpot_ms},
      {"e2el", &RequestLatencies::e2el_ms}};
  for (const auto& [name, member] : metrics) {
    Plot p;
    p.title = fmt::format("{} CDF", name);
    p.xlabel = fmt::format("{} (ms)", name);
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
    if (!p.series.empty()) plots.push_back({fmt::format("cdf_{}.svg", name), std::move(p)});
  }
  return plots;
}

std::vector<NamedPlot> TimelinePlots(const StepTimeline& t, int index) {
  std::map<int, PlotSeries> batch, kv;
  for (const TracedStep& s : t.steps) {
    batch[s.replica].points.emplace_back(s.start_s, static_cast<double>(s.batch_seqs));
    kv[s.replica].points.emplace_back(s.start_s, s.kv_utilization);
  }
  Plot b;
  b.title = "batch size over time";
  b.xlabel = "time (s)";
  b.ylabel = "sequences per step";
  b.ymin = 0.0;
  Plot k;
  k.title = "KV cache utilisation over time";
  k.xlabel = "time (s)";
  k.ylabel = "used / total blocks";
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
  return {{fmt::format("timeline{}_batch.svg", index), std::move(b)},
          {fmt::format("timeline{}_kv.svg", index), std::move(k)}};
}

}  // namespace servesim

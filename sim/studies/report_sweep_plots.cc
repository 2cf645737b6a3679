#include "sim/studies/report_sweep_plots.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "sim/studies/report_text.h"

namespace servesim {
namespace {

constexpr const char* kRate = "workload.arrival.rate";

bool HasNumbers(const SweepResults& s, int column) {
  if (column < 0) return false;
  for (const auto& row : s.rows) {
    if (std::isfinite(SweepNumber(row[column]))) return true;
  }
  return false;
}

std::string Join(const SweepResults& s, const std::vector<int>& columns, bool with_keys,
                 const std::vector<std::string>& row) {
  std::string out;
  for (int c : columns) {
    out += (out.empty() ? "" : ", ") +
           (with_keys ? fmt::format("{}={}", s.columns[c], row[c]) : row[c]);
  }
  return out;
}

std::string KeyNames(const SweepResults& s, const std::vector<int>& columns) {
  std::string out;
  for (int c : columns) out += (out.empty() ? "" : ", ") + s.columns[c];
  return out;
}

// Where the plots' x comes from: the swept rate, else the measured request throughput.
struct LoadAxis {
  bool by_rate;
  int column;
  std::string label, words;
};

LoadAxis AxisOf(const SweepResults& s) {
  if (s.Column(kRate) >= 0 && HasNumbers(s, s.Column(kRate))) {
    return {true, s.Column(kRate), "arrival rate (req/s)", "the offered arrival rate"};
  }
  return {false, s.Column("request_throughput"), "request throughput (req/s)",
          "the measured request throughput"};
}

// One series per combination of the varying inputs other than the load, sorted by x. When each
// series is a single point they are drawn as large markers (no lines to follow).
std::vector<PlotSeries> LoadSeries(const SweepResults& s, const LoadAxis& axis, int y_column,
                                   double scale) {
  std::vector<int> groups;
  for (int c : VaryingInputs(s)) {
    if (c != axis.column) groups.push_back(c);
  }
  std::vector<PlotSeries> series;
  std::map<std::string, size_t> index_of;  // series in the order of their first point
  for (const auto& row : s.rows) {
    std::string label = Join(s, groups, true, row);
    if (label.empty()) label = "sweep";
    if (!index_of.count(label)) {
      index_of[label] = series.size();
      series.push_back({label, {}, "linespoints"});
    }
    series[index_of[label]].points.emplace_back(SweepNumber(row[axis.column]),
                                                scale * SweepNumber(row[y_column]));
  }
  bool single = true;
  for (PlotSeries& ser : series) {
    std::sort(ser.points.begin(), ser.points.end());
    single = single && ser.points.size() == 1;
  }
  if (single) {
    for (PlotSeries& ser : series) ser.style = "points ps 1.8";
  }
  return series;
}

std::string SeriesWords(const SweepResults& s, const LoadAxis& axis, const Plot& p) {
  std::vector<int> groups;
  for (int c : VaryingInputs(s)) {
    if (c != axis.column) groups.push_back(c);
  }
  if (groups.empty()) return "";
  const bool single = !p.series.empty() && p.series[0].style.rfind("points", 0) == 0;
  return single ? fmt::format(" Each marker is one sweep point ({}).", KeyNames(s, groups))
                : fmt::format(" One line per combination of {}.", KeyNames(s, groups));
}

NamedPlot LatencyPlot(const SweepResults& s, const LoadAxis& axis, const std::string& slo_key,
                      std::optional<double> limit, const CapacityCurve* slo, int index) {
  const std::string key = SummaryKeyOfSlo(slo_key);
  Plot p;
  p.title = fmt::format("{} vs load", SloStatName(slo_key));
  p.xlabel = axis.label;
  p.ylabel = MetricLabel(key);
  p.series = LoadSeries(s, axis, s.Column(key), 1);
  std::string caption =
      fmt::format("{} of every sweep point against {}.", SloStatName(slo_key), axis.words);
  caption += SeriesWords(s, axis, p);
  if (limit && slo) {
    p.hlines.push_back({*limit, fmt::format("SLO limit {} ms", Number(*limit))});
    caption += fmt::format(" The dashed line is the limit of {} ({}): points above it fail.",
                           slo->path, SloText(slo->doc["slo"]));
  }
  if (slo && axis.by_rate) {
    const double knee = slo->doc["max_rate"].get<double>();
    p.vlines.push_back({knee, fmt::format("max {:.3g} req/s", knee)});
    caption += fmt::format(" The red line is that result's capacity, {} req/s.", Number(knee));
  }
  AutoLogY(&p);
  if (p.logy) caption += " Log y axis: past the knee latency grows by orders of magnitude.";
  return {fmt::format("sweep{}_{}.svg", index, slo_key), std::move(p), caption};
}

std::vector<NamedPlot> RatePlots(const SweepResults& s, const LoadAxis& axis, int index) {
  std::vector<NamedPlot> plots;
  const std::string slo_words = SweepSloText(s);
  if (axis.by_rate && HasNumbers(s, s.Column("request_throughput"))) {
    Plot p;
    p.title = "throughput vs offered load";
    p.xlabel = axis.label;
    p.ylabel = MetricLabel("request_throughput");
    p.series = LoadSeries(s, axis, s.Column("request_throughput"), 1);
    PlotSeries diagonal{"served = offered", {}, "lines dashtype 2 lc rgb '#888888'"};
    for (const auto& row : s.rows) {
      const double x = SweepNumber(row[axis.column]);
      diagonal.points.emplace_back(x, x);
    }
    std::sort(diagonal.points.begin(), diagonal.points.end());
    p.series.push_back(std::move(diagonal));
    std::string caption = "Completed requests per second against the offered arrival rate." +
                          SeriesWords(s, axis, p) +
                          " On the dashed diagonal the deployment serves all that arrives; where "
                          "a line bends below it, requests arrive faster than they are served.";
    plots.push_back({fmt::format("sweep{}_throughput.svg", index), std::move(p), caption});
  }
  if (HasNumbers(s, s.Column("goodput"))) {
    Plot p;
    p.title = "goodput vs load";
    p.xlabel = axis.label;
    p.ylabel = MetricLabel("goodput");
    p.ymin = 0;
    p.series = LoadSeries(s, axis, s.Column("goodput"), 1);
    std::string caption =
        fmt::format("Goodput, the requests per second that met their targets ({}), against {}.",
                    slo_words, axis.words) +
        SeriesWords(s, axis, p) +
        " The highest point is the most useful work a setting delivers at this SLO.";
    plots.push_back({fmt::format("sweep{}_goodput.svg", index), std::move(p), caption});
  }
  if (HasNumbers(s, s.Column("slo_attainment"))) {
    Plot p;
    p.title = "SLO attainment vs load";
    p.xlabel = axis.label;
    p.ylabel = MetricLabel("slo_attainment");
    p.ymin = 0;
    p.ymax = 100;
    p.series = LoadSeries(s, axis, s.Column("slo_attainment"), 100);
    std::string caption =
        fmt::format("Share of the completed requests that met their targets ({}), against {}.",
                    slo_words, axis.words) +
        SeriesWords(s, axis, p) + " A typical objective asks for 99%.";
    plots.push_back({fmt::format("sweep{}_attainment.svg", index), std::move(p), caption});
  }
  return plots;
}

NamedPlot HeatmapPlot(const SweepResults& s, const SweepGrid& g, const std::string& key,
                      bool high_is_good, int index) {
  Plot p;
  p.title =
      fmt::format("{} over the grid", MetricLabel(key).substr(0, MetricLabel(key).find(" (")));
  const auto axis_label = [&](const std::vector<int>& cols) {
    return cols.size() == 1 ? MetricLabel(s.columns[cols[0]]) : KeyNames(s, cols);
  };
  p.xlabel = axis_label(g.x_columns);
  p.ylabel = axis_label(g.y_columns);
  Heatmap h;
  h.x_values = g.x_values;
  h.y_values = g.y_values;
  h.zlabel = MetricLabel(key);
  h.high_is_good = high_is_good;
  const int column = s.Column(key);
  double lo = INFINITY, hi = 0;
  for (const auto& cells : g.row) {
    h.z.emplace_back();
    for (size_t r : cells) {
      const double v = SweepNumber(s.rows[r][column]);
      h.z.back().push_back(v);
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
  }
  h.logz = lo > 0 && hi > 30 * lo;
  p.heatmap = std::move(h);
  const std::string caption = fmt::format(
      "{} of every sweep point, {} across and {} up; each cell is labelled with its value, and "
      "{} colours are better{}.",
      MetricLabel(key), p.xlabel, p.ylabel, high_is_good ? "brighter" : "darker",
      p.heatmap->logz ? " (log colour scale)" : "");
  return {fmt::format("sweep{}_heatmap_{}.svg", index, key), std::move(p), caption};
}

}  // namespace

double SweepNumber(const std::string& cell) {
  if (cell.empty()) return std::nan("");
  try {
    size_t used = 0;
    const double v = std::stod(cell, &used);
    return used == cell.size() ? v : std::nan("");
  } catch (const std::exception&) {
    return std::nan("");
  }
}

std::vector<int> VaryingInputs(const SweepResults& s) {
  std::vector<int> cols;
  for (const std::string& key : s.input_keys) {
    const int c = s.Column(key);
    std::set<std::string> values;
    for (const auto& row : s.rows) values.insert(row[c]);
    if (values.size() > 1) cols.push_back(c);
  }
  return cols;
}

std::optional<SweepGrid> FindSweepGrid(const SweepResults& s) {
  const std::vector<int> varying = VaryingInputs(s);
  // Columns that determine each other (a zip group) are one dimension.
  const auto linked = [&](int a, int b) {
    std::map<std::string, std::string> ab, ba;
    for (const auto& row : s.rows) {
      if (ab.emplace(row[a], row[b]).first->second != row[b]) return false;
      if (ba.emplace(row[b], row[a]).first->second != row[a]) return false;
    }
    return true;
  };
  std::vector<std::vector<int>> dims;
  for (int c : varying) {
    auto it = std::find_if(dims.begin(), dims.end(),
                           [&](const std::vector<int>& d) { return linked(d[0], c); });
    if (it == dims.end()) {
      dims.push_back({c});
    } else {
      it->push_back(c);
    }
  }
  if (dims.size() != 2) return std::nullopt;
  // x: the dimension with the rate, else the one with more values (the fastest varying on a tie).
  SweepGrid g;
  const auto values_of = [&](const std::vector<int>& cols) {
    std::vector<std::string> values;
    for (const auto& row : s.rows) {
      const std::string v = Join(s, cols, false, row);
      if (std::find(values.begin(), values.end(), v) == values.end()) values.push_back(v);
    }
    return values;
  };
  const int rate = s.Column(kRate);
  const bool first_has_rate = std::find(dims[0].begin(), dims[0].end(), rate) != dims[0].end();
  const bool x_first =
      first_has_rate || (std::find(dims[1].begin(), dims[1].end(), rate) == dims[1].end() &&
                         values_of(dims[0]).size() > values_of(dims[1]).size());
  g.x_columns = x_first ? dims[0] : dims[1];
  g.y_columns = x_first ? dims[1] : dims[0];
  g.x_values = values_of(g.x_columns);
  g.y_values = values_of(g.y_columns);
  if (g.x_values.size() * g.y_values.size() != s.rows.size()) return std::nullopt;
  constexpr size_t kNone = static_cast<size_t>(-1);
  g.row.assign(g.y_values.size(), std::vector<size_t>(g.x_values.size(), kNone));
  for (size_t r = 0; r < s.rows.size(); ++r) {
    const auto pos = [&](const std::vector<std::string>& values, const std::vector<int>& cols) {
      return static_cast<size_t>(
          std::find(values.begin(), values.end(), Join(s, cols, false, s.rows[r])) -
          values.begin());
    };
    size_t& cell = g.row[pos(g.y_values, g.y_columns)][pos(g.x_values, g.x_columns)];
    if (cell != kNone) return std::nullopt;  // a combination twice
    cell = r;
  }
  return g;
}

std::string SweepSloText(const SweepResults& s) {
  const int ttft = s.Column("slo_ttft_ms"), tpot = s.Column("slo_tpot_ms");
  std::set<std::string> seen;
  std::string text;
  for (const auto& row : s.rows) {
    std::string t;
    for (const auto& [col, name] : {std::pair{ttft, "TTFT"}, std::pair{tpot, "TPOT"}}) {
      if (col >= 0 && std::isfinite(SweepNumber(row[col]))) {
        t += fmt::format("{}{} ≤ {} ms", t.empty() ? "" : " and ", name,
                         Number(SweepNumber(row[col])));
      }
    }
    seen.insert(t);
    text = t;
  }
  if (seen.size() > 1) return "each point's own targets, columns slo_ttft_ms and slo_tpot_ms";
  return text.empty() ? "" : text + " per request";
}

std::vector<NamedPlot> SweepPlots(const SweepResults& s, const CapacityCurve* slo, int index) {
  const LoadAxis axis = AxisOf(s);
  std::vector<NamedPlot> plots;
  if (axis.column < 0) return plots;
  std::vector<std::pair<std::string, std::optional<double>>> metrics;
  if (slo && slo->doc.contains("slo")) {
    for (const auto& [key, limit] : SloLimits(slo->doc["slo"])) metrics.emplace_back(key, limit);
  }
  if (metrics.empty()) metrics = {{"ttft_p99_ms", std::nullopt}, {"tpot_p99_ms", std::nullopt}};
  for (const auto& [key, limit] : metrics) {
    if (!HasNumbers(s, s.Column(SummaryKeyOfSlo(key)))) continue;
    plots.push_back(LatencyPlot(s, axis, key, limit, slo, index));
  }
  for (NamedPlot& p : RatePlots(s, axis, index)) plots.push_back(std::move(p));
  if (const std::optional<SweepGrid> grid = FindSweepGrid(s)) {
    if (HasNumbers(s, s.Column("goodput"))) {
      plots.push_back(HeatmapPlot(s, *grid, "goodput", true, index));
    }
    if (HasNumbers(s, s.Column("p99_ttft_ms"))) {
      plots.push_back(HeatmapPlot(s, *grid, "p99_ttft_ms", false, index));
    }
  }
  return plots;
}

}  // namespace servesim

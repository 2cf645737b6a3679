#include "sim/studies/gnuplot.h"

#include <fmt/format.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "sim/config/input_error.h"
#include "sim/report/atomic_file.h"
#include "sim/studies/table_text.h"

namespace servesim {
namespace {

// A gnuplot string literal (single quotes; a quote is doubled).
std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

constexpr int kWidthPx = 720;
constexpr int kHeightPx = 420;
constexpr int kKeyRowPx = 21;

// The key entries of a plot: titled series and reference lines.
std::vector<std::string> KeyTitles(const Plot& p) {
  std::vector<std::string> titles;
  for (const PlotSeries& s : p.series) {
    if (!s.title.empty()) titles.push_back(s.title);
  }
  for (const PlotLine& l : p.hlines) titles.push_back(l.label);
  return titles;
}

// The width of a key column: about 9 px a character at 14 pt, plus the sample and the gaps.
int KeyColumnPx(const std::vector<std::string>& titles) {
  size_t longest = 0;
  for (const std::string& t : titles) longest = std::max(longest, t.size());
  return static_cast<int>(longest) * 9 + 100;
}

// The canvas: wide enough for the longest key entry, tall enough for the plot and the key rows
// below it (gnuplot fills the width with as many columns as fit).
std::pair<int, int> CanvasPx(const Plot& p) {
  const std::vector<std::string> titles = KeyTitles(p);
  if (p.heatmap || titles.empty()) return {kWidthPx, kHeightPx};
  const int column_px = KeyColumnPx(titles);
  const int width = std::max(kWidthPx, column_px + 20);
  const int columns = std::max(1, std::min(static_cast<int>(titles.size()), width / column_px));
  const int rows = (static_cast<int>(titles.size()) + columns - 1) / columns;
  return {width, kHeightPx + rows * kKeyRowPx};
}

std::string Header(const Plot& p, const std::string& svg_file) {
  const auto [width, height] = CanvasPx(p);
  std::string s = fmt::format(
      "set terminal svg size {},{} dynamic noenhanced font 'Helvetica,14' background "
      "rgb 'white'\n",
      width, height);
  s += fmt::format("set output {}\n", Quote(svg_file));
  s += fmt::format("set title {}\nset xlabel {}\nset ylabel {}\n", Quote(p.title), Quote(p.xlabel),
                   Quote(p.ylabel));
  s += "set datafile missing 'nan'\n";
  if (p.heatmap) return s;
  s += "set grid\nset key outside below center horizontal Left reverse noautotitle\n";
  if (p.logx) s += "set logscale x\n";
  if (p.logy) s += "set logscale y\n";
  if (!p.xtics.empty()) {
    std::string tics;
    for (const auto& [x, label] : p.xtics) {
      tics += fmt::format("{}{} {}", tics.empty() ? "" : ", ", Quote(label), x);
    }
    s += fmt::format("set xtics ({})\n", tics);
  }
  if (p.boxwidth) s += fmt::format("set boxwidth {}\n", *p.boxwidth);
  if (p.xrange) s += fmt::format("set xrange [{}:{}]\n", p.xrange->first, p.xrange->second);
  if (p.ymin || p.ymax) {
    s += fmt::format("set yrange [{}:{}]\n", p.ymin ? fmt::format("{}", *p.ymin) : "*",
                     p.ymax ? fmt::format("{}", *p.ymax) : "*");
  }
  return s;
}

// With vertical lines, an x range that shows them as well as the data (autoscale ignores them).
std::string XRange(const Plot& p) {
  if (p.vlines.empty()) return "";
  double lo = p.vlines[0].value, hi = lo;
  const auto include = [&](double x) {
    if (!std::isfinite(x)) return;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  };
  for (const PlotSeries& s : p.series) {
    for (const auto& [x, y] : s.points) include(x);
  }
  for (const PlotLine& l : p.vlines) include(l.value);
  if (p.logx) return fmt::format("set xrange [{}:{}]\n", lo / 1.1, hi * 1.1);
  const double pad = hi > lo ? 0.05 * (hi - lo) : 0.05 * std::max(1.0, std::fabs(hi));
  return fmt::format("set xrange [{}:{}]\n", lo - pad, hi + pad);
}

std::string Tics(const char* axis, const std::vector<std::string>& labels) {
  std::string tics;
  for (size_t i = 0; i < labels.size(); ++i) {
    tics += fmt::format("{}{} {}", i ? ", " : "", Quote(labels[i]), i);
  }
  return fmt::format("set {}tics ({})\nset {}range [-0.5:{}]\n", axis, tics, axis,
                     static_cast<double>(labels.size()) - 0.5);
}

// Heatmap cells as boxes coloured through a colour-blind-safe palette (viridis), each labelled
// with its value: white on the dark half of the palette, black on the light half.
std::string HeatmapScript(const Heatmap& h) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& row : h.z) {
    for (double v : row) {
      if (!std::isfinite(v) || (h.logz && v <= 0)) continue;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  std::string s = Tics("x", h.x_values) + Tics("y", h.y_values);
  s += fmt::format("set cblabel {}\nset style fill solid 1.0 noborder\nunset key\n",
                   Quote(h.zlabel));
  s += h.high_is_good ? "set palette defined (0 '#440154', 0.25 '#3b528b', 0.5 '#21918c', "
                        "0.75 '#5ec962', 1 '#fde725')\n"
                      : "set palette defined (0 '#fde725', 0.25 '#5ec962', 0.5 '#21918c', "
                        "0.75 '#3b528b', 1 '#440154')\n";
  const bool logz = h.logz && lo > 0;
  if (logz) s += "set logscale cb\n";
  if (std::isfinite(lo) && hi > lo) s += fmt::format("set cbrange [{}:{}]\n", lo, hi);
  const auto fraction = [&](double v) {
    if (!(hi > lo)) return 0.5;
    return logz ? std::log(v / lo) / std::log(hi / lo) : (v - lo) / (hi - lo);
  };
  std::string cells, dark, light;
  for (size_t j = 0; j < h.z.size(); ++j) {
    for (size_t i = 0; i < h.z[j].size(); ++i) {
      const double v = h.z[j][i];
      if (!std::isfinite(v) || (logz && v <= 0)) {
        light += fmt::format("{} {} \"n/a\"\n", i, j);
        continue;
      }
      cells += fmt::format("{} {} {}\n", i, j, v);
      const double f = h.high_is_good ? fraction(v) : 1 - fraction(v);
      const std::string label =
          std::fabs(v) >= 1000 ? fmt::format("{:.0f}", v) : fmt::format("{:.3g}", v);
      (f < 0.55 ? dark : light) += fmt::format("{} {} \"{}\"\n", i, j, label);
    }
  }
  s += "$cells << EOD\n" + cells + "EOD\n$dark << EOD\n" + dark + "EOD\n$light << EOD\n" + light +
       "EOD\n";
  s += "plot $cells using 1:2:(0.5):(0.5):3 with boxxyerror fillcolor palette, \\\n"
       "     $dark using 1:2:3 with labels textcolor rgb 'white', \\\n"
       "     $light using 1:2:3 with labels textcolor rgb 'black'\n";
  return s;
}

}  // namespace

std::string GnuplotScript(const Plot& plot, const std::string& svg_file) {
  if (plot.heatmap) return Header(plot, svg_file) + HeatmapScript(*plot.heatmap);
  std::string s = Header(plot, svg_file) + XRange(plot);
  for (size_t i = 0; i < plot.series.size(); ++i) {
    s += fmt::format("$d{} << EOD\n", i);
    for (const auto& [x, y] : plot.series[i].points) s += fmt::format("{} {}\n", x, y);
    s += "EOD\n";
  }
  int arrow = 1;
  for (const PlotLine& l : plot.vlines) {
    s += fmt::format(
        "set arrow {} from {}, graph 0 to {}, graph 1 nohead dashtype 2 lw 2 lc rgb '#c0392b'\n",
        arrow++, l.value, l.value);
    s += fmt::format("set label {} at {}, graph 0.95 offset 0.5,0 textcolor rgb '#c0392b'\n",
                     Quote(l.label), l.value);
  }
  std::vector<std::string> items;
  for (size_t i = 0; i < plot.series.size(); ++i) {
    const std::string& title = plot.series[i].title;
    items.push_back(fmt::format("$d{} using 1:2 with {} lw 2 {}", i, plot.series[i].style,
                                title.empty() ? "notitle" : "title " + Quote(title)));
  }
  for (const PlotLine& l : plot.hlines) {
    items.push_back(fmt::format("{} with lines dashtype 2 lw 2 title {}", l.value, Quote(l.label)));
  }
  s += "plot ";
  for (size_t i = 0; i < items.size(); ++i) s += (i ? ", \\\n     " : "") + items[i];
  s += "\n";
  return s;
}

bool GnuplotAvailable() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

void RequireGnuplot() {
  if (GnuplotAvailable()) return;
  throw InputError(
      "report: gnuplot not found; install it with scripts/setup.sh (Debian: apt-get install "
      "gnuplot-nox)");
}

void RenderPlot(const Plot& plot, const std::string& dir, const std::string& svg_file) {
  namespace fs = std::filesystem;
  if (plot.series.empty() && !plot.heatmap) {
    throw InputError(fmt::format("{}: nothing to plot", svg_file));
  }
  RequireGnuplot();
  const std::string script = svg_file + ".gp", log = svg_file + ".log";
  WriteFileAtomically((fs::path(dir) / script).string(), GnuplotScript(plot, svg_file));
  const std::string cmd = fmt::format("cd {} && gnuplot {} >{} 2>&1", ShellQuote(dir),
                                      ShellQuote(script), ShellQuote(log));
  const int status = std::system(cmd.c_str());
  const fs::path log_path = fs::path(dir) / log;
  std::string errors;
  if (fs::exists(log_path)) errors = ReadWholeFile(log_path.string());
  fs::remove(log_path);
  if (status != 0 || !fs::exists(fs::path(dir) / svg_file)) {
    throw InputError(fmt::format("report: gnuplot failed on {}: {}", script, errors));
  }
}

}  // namespace servesim

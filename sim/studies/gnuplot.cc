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

std::string Header(const Plot& p, const std::string& svg_path) {
  std::string s =
      "set terminal svg size 720,420 dynamic noenhanced font 'Helvetica,12' background "
      "rgb 'white'\n";
  s += fmt::format("set output {}\n", Quote(svg_path));
  s += fmt::format("set title {}\nset xlabel {}\nset ylabel {}\n", Quote(p.title), Quote(p.xlabel),
                   Quote(p.ylabel));
  s += "set grid\nset key inside left top box opaque\nset datafile missing 'nan'\n";
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

}  // namespace

std::string GnuplotScript(const Plot& plot, const std::string& svg_path) {
  std::string s = Header(plot, svg_path) + XRange(plot);
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
    items.push_back(fmt::format("$d{} using 1:2 with {} lw 2 title {}", i, plot.series[i].style,
                                Quote(plot.series[i].title)));
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

void RenderPlot(const Plot& plot, const std::string& svg_path) {
  if (plot.series.empty()) throw InputError(fmt::format("{}: nothing to plot", svg_path));
  RequireGnuplot();
  const std::string script = svg_path + ".gp", log = svg_path + ".log";
  WriteFileAtomically(script, GnuplotScript(plot, svg_path));
  const std::string cmd = fmt::format("gnuplot {} >{} 2>&1", ShellQuote(script), ShellQuote(log));
  const int status = std::system(cmd.c_str());
  std::string errors;
  if (std::filesystem::exists(log)) errors = ReadWholeFile(log);
  std::filesystem::remove(log);
  if (status != 0 || !std::filesystem::exists(svg_path)) {
    throw InputError(fmt::format("report: gnuplot failed on {}: {}", script, errors));
  }
}

}  // namespace servesim

// Gnuplot: draws one plot as an SVG file by writing a gnuplot script (data inline) and running
// the `gnuplot` program on it (installed by scripts/setup.sh as gnuplot-nox). servesim has no
// plotting code of its own: a Plot says what to draw, gnuplot draws it.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace servesim {

struct PlotSeries {
  std::string title;
  std::vector<std::pair<double, double>> points;  // (x, y), drawn in this order
  std::string style = "linespoints";              // gnuplot "with" style: lines, steps, ...
};

struct PlotLine {
  double value = 0;
  std::string label;
};

struct Plot {
  std::string title;
  std::string xlabel;
  std::string ylabel;
  bool logx = false;
  bool logy = false;
  std::optional<double> ymin;  // e.g. 0 for utilisation plots
  std::optional<double> ymax;
  std::vector<PlotSeries> series;
  std::vector<PlotLine> hlines;  // horizontal reference lines (SLO limits)
  std::vector<PlotLine> vlines;  // vertical reference lines (the knee)
  // Bar charts: labelled x tics at given positions, the box width, a fixed x range.
  std::vector<std::pair<double, std::string>> xtics;
  std::optional<double> boxwidth;
  std::optional<std::pair<double, double>> xrange;
};

// The gnuplot script that draws `plot` into `svg_path`.
std::string GnuplotScript(const Plot& plot, const std::string& svg_path);

// Whether a `gnuplot` program is on the PATH.
bool GnuplotAvailable();
// Throws InputError (how to install it) when it is not.
void RequireGnuplot();

// Writes `svg_path` (and the script beside it, `svg_path` + ".gp"). Throws InputError when
// gnuplot is missing or fails, with its error output.
void RenderPlot(const Plot& plot, const std::string& svg_path);

}  // namespace servesim

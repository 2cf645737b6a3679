// Gnuplot: draws one plot as an SVG file by writing a gnuplot script (data inline) and running
// the `gnuplot` program on it (installed by scripts/setup.sh as gnuplot-nox). servesim has no
// plotting code of its own: a Plot says what to draw, gnuplot draws it. The script names its
// output relatively, so `cd DIR && gnuplot plot.svg.gp` redraws the SVG wherever DIR has moved.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace servesim {

struct PlotSeries {
  std::string title;                              // "" = no key entry
  std::vector<std::pair<double, double>> points;  // (x, y), drawn in this order
  std::string style = "linespoints";              // gnuplot "with" style: lines, steps, ...
};

struct PlotLine {
  double value = 0;
  std::string label;
};

// A heatmap over two categorical axes: cell (i, j) is x value i, y value j, coloured by z[j][i]
// (NaN: no data, left blank). Each cell is labelled with its value.
struct Heatmap {
  std::vector<std::string> x_values, y_values;  // tic labels, in axis order
  std::vector<std::vector<double>> z;           // [y][x]
  std::string zlabel;                           // colour bar label, with its unit
  bool logz = false;
  bool high_is_good = true;  // the palette: light = good (high goodput, low latency)
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
  std::optional<Heatmap> heatmap;  // when set, drawn instead of the series
};

// The gnuplot script that draws `plot` into `svg_file` (a path relative to where gnuplot runs).
// The key (legend) sits below the plot area, in as many columns as fit, so that it never covers
// data; the canvas grows by its rows.
std::string GnuplotScript(const Plot& plot, const std::string& svg_file);

// Whether a `gnuplot` program is on the PATH.
bool GnuplotAvailable();
// Throws InputError (how to install it) when it is not.
void RequireGnuplot();

// Writes `dir`/`svg_file` and its script beside it (`svg_file` + ".gp"), running gnuplot in
// `dir`. Throws InputError when gnuplot is missing or fails, with its error output.
void RenderPlot(const Plot& plot, const std::string& dir, const std::string& svg_file);

}  // namespace servesim

#include "sim/studies/report.h"

#include <fmt/format.h>

#include <filesystem>

#include "sim/config/input_error.h"
#include "sim/report/atomic_file.h"
#include "sim/studies/report_inputs.h"
#include "sim/studies/report_plots.h"
#include "sim/studies/report_study_plots.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

std::string Html(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Draws `plots` into `dir`, appending <img> tags to `html` and paths to `svgs`.
void Draw(const std::vector<NamedPlot>& plots, const std::string& dir, std::string* html,
          std::vector<std::string>* svgs) {
  for (const NamedPlot& p : plots) {
    if (p.plot.series.empty()) continue;
    const std::string path = (fs::path(dir) / p.file).string();
    RenderPlot(p.plot, path);
    svgs->push_back(path);
    *html += fmt::format("<figure><img src=\"{}\" alt=\"{}\"></figure>\n", Html(p.file),
                         Html(p.plot.title));
  }
}

std::string CapacityTable(const CapacityCurve& c) {
  const auto& d = c.doc;
  std::string slo;
  if (d.contains("slo")) slo = d["slo"].dump();
  return fmt::format(
      "<table><tr><th>max rate (req/s)</th><th>goodput (req/s)</th><th>SLO</th></tr>"
      "<tr><td>{:.4g}</td><td>{:.4g}</td><td><code>{}</code></td></tr></table>\n",
      d.value("max_rate", 0.0), d.value("goodput", 0.0), Html(slo));
}

std::string Sections(const ReportInputs& in, const std::string& dir,
                     std::vector<std::string>* svgs) {
  std::string html;
  const CapacityCurve* slo = in.capacities.empty() ? nullptr : &in.capacities[0];
  for (size_t i = 0; i < in.capacities.size(); ++i) {
    html += fmt::format("<h2>Capacity: {}</h2>\n", Html(in.capacities[i].path));
    html += CapacityTable(in.capacities[i]);
    Draw(CapacityPlots(in.capacities[i], static_cast<int>(i + 1)), dir, &html, svgs);
  }
  for (size_t i = 0; i < in.sweeps.size(); ++i) {
    html += fmt::format("<h2>Sweep: {}</h2>\n", Html(in.sweeps[i].path));
    Draw(SweepPlots(in.sweeps[i], slo, static_cast<int>(i + 1)), dir, &html, svgs);
  }
  if (!in.requests.empty()) {
    html += "<h2>Latency distributions</h2>\n";
    Draw(CdfPlots(in.requests), dir, &html, svgs);
  }
  for (size_t i = 0; i < in.timelines.size(); ++i) {
    html += fmt::format("<h2>Timeline: {}</h2>\n", Html(in.timelines[i].path));
    Draw(TimelinePlots(in.timelines[i], static_cast<int>(i + 1)), dir, &html, svgs);
  }
  for (size_t i = 0; i < in.scalings.size(); ++i) {
    html += fmt::format("<h2>Scaling: {}</h2>\n", Html(in.scalings[i].path));
    Draw(ScalingPlots(in.scalings[i], static_cast<int>(i + 1)), dir, &html, svgs);
  }
  for (size_t i = 0; i < in.plans.size(); ++i) {
    html += fmt::format("<h2>Purchase plan: {}</h2>\n", Html(in.plans[i].path));
    Draw(PlanPlots(in.plans[i], static_cast<int>(i + 1)), dir, &html, svgs);
  }
  return html;
}

}  // namespace

ReportOutput BuildReport(const std::vector<std::string>& inputs, const std::string& out_dir) {
  if (inputs.empty()) throw InputError("report: no result files given");
  ReportInputs in;
  for (const std::string& path : inputs) LoadReportInput(path, &in);
  RequireGnuplot();
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw InputError(fmt::format("{}: cannot create directory: {}", out_dir, ec.message()));
  ReportOutput out;
  const std::string body = Sections(in, out_dir, &out.svgs);
  std::string inputs_list;
  for (const std::string& p : inputs)
    inputs_list += fmt::format("<li><code>{}</code></li>", Html(p));
  const std::string page = fmt::format(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>servesim report</title>\n"
      "<style>body{{font-family:sans-serif;max-width:960px;margin:2em auto}}"
      "img{{max-width:100%}}table{{border-collapse:collapse}}"
      "td,th{{border:1px solid #ccc;padding:4px 8px}}</style></head><body>\n"
      "<h1>servesim report</h1>\n<p>Inputs:</p><ul>{}</ul>\n{}</body></html>\n",
      inputs_list, body);
  out.html = (fs::path(out_dir) / "index.html").string();
  WriteFileAtomically(out.html, page);
  return out;
}

}  // namespace servesim

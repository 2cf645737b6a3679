#include "sim/studies/report.h"

#include <fmt/format.h>

#include <filesystem>

#include "sim/config/input_error.h"
#include "sim/report/atomic_file.h"
#include "sim/studies/report_autoscaling_plots.h"
#include "sim/studies/report_inputs.h"
#include "sim/studies/report_page.h"
#include "sim/studies/report_plots.h"
#include "sim/studies/report_study_plots.h"
#include "sim/studies/report_sweep_plots.h"
#include "sim/studies/report_tables.h"
#include "sim/studies/table_text.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

// Draws `plots` into `dir`, returning those drawn (a plot without data is left out).
std::vector<NamedPlot> Draw(std::vector<NamedPlot> plots, const std::string& dir) {
  std::vector<NamedPlot> drawn;
  for (NamedPlot& p : plots) {
    if (p.plot.series.empty() && !p.plot.heatmap) continue;
    RenderPlot(p.plot, dir, p.file);
    drawn.push_back(std::move(p));
  }
  return drawn;
}

// The sections in reading order: the decisions first (plan, scaling, capacity), then the
// evidence (sweeps, latency distributions, timelines).
std::vector<ReportSection> Sections(const ReportInputs& in, const std::string& dir) {
  std::vector<ReportSection> out;
  const auto add = [&](std::string id, std::string title, std::string intro,
                       std::vector<HtmlTable> tables, std::vector<NamedPlot> plots) {
    out.push_back({std::move(id), std::move(title), std::move(intro), std::move(tables),
                   Draw(std::move(plots), dir)});
  };
  for (size_t i = 0; i < in.plans.size(); ++i) {
    const int n = static_cast<int>(i + 1);
    add(fmt::format("section-plan{}", n), "Purchase plan: " + in.plans[i].path, "",
        {PlanTable(in.plans[i], n)}, PlanPlots(in.plans[i], n));
  }
  for (size_t i = 0; i < in.scalings.size(); ++i) {
    const int n = static_cast<int>(i + 1);
    add(fmt::format("section-scaling{}", n), "Scaling: " + in.scalings[i].path, "",
        {ScalingTable(in.scalings[i], n)}, ScalingPlots(in.scalings[i], n));
  }
  for (size_t i = 0; i < in.capacities.size(); ++i) {
    const int n = static_cast<int>(i + 1);
    add(fmt::format("section-capacity{}", n), "Capacity: " + in.capacities[i].path, "",
        {CapacitySummaryTable(in.capacities[i], n), CapacityCurveTable(in.capacities[i], n)},
        CapacityPlots(in.capacities[i], n));
  }
  for (size_t i = 0; i < in.autoscaled_runs.size(); ++i) {
    const int n = static_cast<int>(i + 1);
    add(fmt::format("section-autoscaling{}", n), "Autoscaling: " + in.autoscaled_runs[i].path, "",
        {}, AutoscalingPlots(in.autoscaled_runs[i], n));
  }
  const CapacityCurve* slo = in.capacities.empty() ? nullptr : &in.capacities[0];
  for (size_t i = 0; i < in.sweeps.size(); ++i) {
    const int n = static_cast<int>(i + 1);
    add(fmt::format("section-sweep{}", n), "Sweep: " + in.sweeps[i].path, "",
        {SweepTable(in.sweeps[i], slo, n)}, SweepPlots(in.sweeps[i], slo, n));
  }
  if (!in.requests.empty()) {
    add("section-latency", "Latency distributions", "", {}, CdfPlots(in.requests));
    const std::vector<NamedPlot> over_time = LoadOverTimePlots(in.requests);
    if (!over_time.empty()) add("section-load-over-time", "Load over time", "", {}, over_time);
  }
  for (size_t i = 0; i < in.timelines.size(); ++i) {
    const int n = static_cast<int>(i + 1);
    add(fmt::format("section-timeline{}", n), "Timeline: " + in.timelines[i].path, "", {},
        TimelinePlots(in.timelines[i], n));
  }
  return out;
}

// Whether `dir` holds a report written by servesim (its index.html carries the marker) and
// nothing a report does not write (no subdirectories).
bool IsReportDirectory(const fs::path& dir) {
  const fs::path index = dir / "index.html";
  if (!fs::is_regular_file(index)) return false;
  const std::string html = ReadWholeFile(index.string());
  if (html.find(kReportGenerator) == std::string::npos &&
      html.find("<title>servesim report</title>") == std::string::npos) {
    return false;
  }
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_directory()) return false;
  }
  return true;
}

// Refuses an output path that is not a fresh, empty or (with --force) previous report directory.
void CheckOutputDirectory(const std::string& out_dir, bool force) {
  fs::path dir = fs::path(out_dir).lexically_normal();
  if (!dir.has_filename()) dir = dir.parent_path();
  const std::string name = dir.filename().string();
  if (name.empty() || name == "." || name == "..") {
    throw InputError(
        fmt::format("{}: --html needs a directory named by its own path (like "
                    "report/), not the current or parent directory",
                    out_dir));
  }
  std::error_code ec;
  if (!fs::exists(dir, ec)) return;
  if (!fs::is_directory(dir)) {
    throw InputError(fmt::format("{}: exists and is not a directory", out_dir));
  }
  if (fs::is_empty(dir)) return;
  if (!force) {
    throw InputError(fmt::format(
        "{}: already exists and is not empty; pass --force to replace the report in it, or "
        "choose another --html directory",
        out_dir));
  }
  if (!IsReportDirectory(dir)) {
    throw InputError(fmt::format(
        "{}: --force replaces only a previous report, and this directory does not hold one (no "
        "index.html written by servesim report, or subdirectories); remove it yourself or choose "
        "another --html directory",
        out_dir));
  }
}

ReportOutput WriteReport(const std::vector<std::string>& inputs, const ReportInputs& in,
                         const fs::path& staging, const std::string& out_dir) {
  ReportOutput out;
  const std::vector<ReportSection> sections = Sections(in, staging.string());
  for (const ReportSection& s : sections) {
    for (const NamedPlot& p : s.plots) out.svgs.push_back((fs::path(out_dir) / p.file).string());
  }
  WriteFileAtomically((staging / "index.html").string(), ReportPage(inputs, sections));
  out.html = (fs::path(out_dir) / "index.html").string();
  return out;
}

}  // namespace

ReportOutput BuildReport(const std::vector<std::string>& inputs, const std::string& out_dir,
                         const ReportOptions& options) {
  if (inputs.empty()) throw InputError("report: no result files given");
  ReportInputs in;
  for (const std::string& path : inputs) LoadReportInput(path, &in);
  RequireGnuplot();
  CheckOutputDirectory(out_dir, options.force);
  ReportOutput out;
  WriteDirectoryAtomically(out_dir, [&](const std::string& staging) {
    out = WriteReport(inputs, in, staging, out_dir);
  });
  return out;
}

}  // namespace servesim

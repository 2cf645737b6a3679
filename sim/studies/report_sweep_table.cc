// SweepTable (sim/studies/report_tables.h): every point of a sweep, with the best point per SLO
// highlighted.
#include <fmt/format.h>

#include <cmath>
#include <map>

#include "sim/studies/report_plots.h"
#include "sim/studies/report_sweep_plots.h"
#include "sim/studies/report_tables.h"
#include "sim/studies/report_text.h"

namespace servesim {
namespace {

// The metric columns shown, with the factor from the CSV's unit to the header's.
struct Shown {
  const char* key;
  double scale;
};
constexpr Shown kShown[] = {{"request_throughput", 1}, {"output_throughput", 1}, {"goodput", 1},
                            {"slo_attainment", 100},   {"p99_ttft_ms", 1},       {"p99_tpot_ms", 1},
                            {"p99_itl_ms", 1},         {"p99_e2el_ms", 1}};

double Cell(const SweepResults& s, size_t row, const std::string& key) {
  const int c = s.Column(key);
  return c < 0 ? std::nan("") : SweepNumber(s.rows[row][c]);
}

// Per SLO the rows ran under (the slo_ttft_ms and slo_tpot_ms cells), the row with the highest
// positive goodput (the first on a tie).
std::map<size_t, std::string> BestGoodput(const SweepResults& s) {
  std::map<std::string, size_t> best;  // SLO cells -> row
  for (size_t r = 0; r < s.rows.size(); ++r) {
    const double g = Cell(s, r, "goodput");
    if (!(g > 0)) continue;
    std::string slo;
    for (const char* key : {"slo_ttft_ms", "slo_tpot_ms"}) {
      if (const int c = s.Column(key); c >= 0) slo += s.rows[r][c] + ",";
    }
    const auto it = best.find(slo);
    if (it == best.end() || g > Cell(s, it->second, "goodput")) best[slo] = r;
  }
  std::map<size_t, std::string> marks;
  for (const auto& [slo, r] : best) marks[r] = "★ best goodput";
  return marks;
}

// With a capacity result's limits: the row with the highest request throughput whose statistics
// all meet them. None when the SLO is per request (attainment): rows hold no per-request data.
std::optional<size_t> BestAtSlo(const SweepResults& s, const CapacityCurve& slo) {
  const nlohmann::ordered_json limits = slo.doc.value("slo", nlohmann::ordered_json());
  if (limits.contains("attainment") && limits["attainment"].is_number()) return std::nullopt;
  std::optional<size_t> best;
  for (size_t r = 0; r < s.rows.size(); ++r) {
    bool meets = true;
    for (const auto& [key, limit] : SloLimits(limits)) {
      const double v = Cell(s, r, SummaryKeyOfSlo(key));
      meets = meets && std::isfinite(v) && v <= limit;
    }
    const double x = Cell(s, r, "request_throughput");
    if (meets && std::isfinite(x) && (!best || x > Cell(s, *best, "request_throughput"))) best = r;
  }
  return best;
}

std::string Caption(const SweepResults& s, const CapacityCurve* slo, bool best_at_slo) {
  std::string fixed;
  for (const std::string& key : s.input_keys) {
    const int c = s.Column(key);
    bool varies = false;
    for (const auto& row : s.rows) varies = varies || row[c] != s.rows[0][c];
    if (!varies && !s.rows.empty())
      fixed += fmt::format("{}{}={}", fixed.empty() ? "" : ", ", key, s.rows[0][c]);
  }
  std::string text = fmt::format(
      "Every point of {}, one row each; click a column header to sort by it (again to reverse).",
      s.path);
  if (!fixed.empty()) text += fmt::format(" Set in every point: {}.", fixed);
  const std::string own = SweepSloText(s);
  if (!own.empty()) {
    text += fmt::format(
        " Highlighted (★): for each SLO the points ran under ({}), the point with the highest "
        "goodput, i.e. the most requests per second that met their targets.",
        own);
  }
  if (slo) {
    const std::string limits = SloText(slo->doc.value("slo", nlohmann::ordered_json()));
    text += best_at_slo ? fmt::format(
                              " Also highlighted (◆): the point with the highest request "
                              "throughput among those that meet the SLO of {} ({}).",
                              slo->path, limits)
                        : fmt::format(" No point meets the SLO of {} ({}).", slo->path, limits);
  }
  return text;
}

}  // namespace

HtmlTable SweepTable(const SweepResults& s, const CapacityCurve* slo, int index) {
  HtmlTable t;
  t.id = fmt::format("sweep{}", index);
  const std::vector<int> varying = VaryingInputs(s);
  t.headers.push_back("point");
  for (int c : varying) t.headers.push_back(s.columns[c]);
  std::vector<Shown> shown;
  for (const Shown& m : kShown) {
    bool any = false;
    for (size_t r = 0; r < s.rows.size(); ++r) any = any || std::isfinite(Cell(s, r, m.key));
    if (!any) continue;
    shown.push_back(m);
    t.headers.push_back(MetricLabel(m.key));
  }
  t.headers.push_back("best");
  std::map<size_t, std::string> marks = BestGoodput(s);
  const std::optional<size_t> at_slo = slo ? BestAtSlo(s, *slo) : std::nullopt;
  if (at_slo) {
    std::string& m = marks[*at_slo];
    m += (m.empty() ? "" : " ") + std::string("◆ best at the SLO");
  }
  for (size_t r = 0; r < s.rows.size(); ++r) {
    std::vector<TableCell> row;
    const double point = Cell(s, r, "point");
    row.push_back(
        {s.rows[r][0], std::isfinite(point) ? std::optional<double>(point) : std::nullopt, ""});
    for (int c : varying) {
      const double v = SweepNumber(s.rows[r][c]);
      row.push_back({s.rows[r][c], std::isfinite(v) ? std::optional<double>(v) : std::nullopt, ""});
    }
    for (const Shown& m : shown) {
      const double v = m.scale * Cell(s, r, m.key);
      row.push_back(std::isfinite(v) ? TableCell{Number(v), v, ""} : TableCell{"–", {}, ""});
    }
    const auto it = marks.find(r);
    row.push_back({it == marks.end() ? "" : it->second, std::nullopt, ""});
    t.rows.push_back(std::move(row));
    t.row_class.push_back(it == marks.end() ? "" : "best");
  }
  t.caption = Caption(s, slo, at_slo.has_value());
  return t;
}

}  // namespace servesim

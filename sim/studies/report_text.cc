#include "sim/studies/report_text.h"

#include <fmt/format.h>

#include <cmath>
#include <map>

namespace servesim {
namespace {

// The latency metric names of the Summary JSON.
std::string MetricName(const std::string& name) {
  static const std::map<std::string, std::string> kNames = {
      {"ttft", "TTFT"}, {"tpot", "TPOT"}, {"itl", "ITL"}, {"e2el", "end-to-end latency"}};
  const auto it = kNames.find(name);
  return it == kNames.end() ? name : it->second;
}

}  // namespace

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

std::string MetricLabel(const std::string& key) {
  static const std::map<std::string, std::string> kLabels = {
      {"request_throughput", "request throughput (req/s)"},
      {"output_throughput", "output throughput (tok/s)"},
      {"total_token_throughput", "total token throughput (tok/s)"},
      {"goodput", "goodput (req/s)"},
      {"slo_attainment", "SLO attainment (%)"},
      {"mean_batch_size", "mean batch size (sequences)"},
      {"mean_kv_utilization", "mean KV cache use (%)"},
      {"preemptions", "preemptions"},
      {"completed", "completed requests"},
      {"workload.arrival.rate", "arrival rate (req/s)"}};
  if (const auto it = kLabels.find(key); it != kLabels.end()) return it->second;
  // "{mean,median,p90,p99,max}_{ttft,tpot,itl,e2el}_ms".
  const size_t a = key.find('_');
  if (a != std::string::npos && key.size() > 3 && key.compare(key.size() - 3, 3, "_ms") == 0) {
    const std::string stat = key.substr(0, a), metric = key.substr(a + 1, key.size() - a - 4);
    if (metric == "ttft" || metric == "tpot" || metric == "itl" || metric == "e2el") {
      return fmt::format("{} {} (ms)", stat, MetricName(metric));
    }
  }
  return key;
}

std::string SloStatName(const std::string& slo_key) {
  // "{ttft,tpot,itl,e2el}_{mean,median,p90,p99}_ms".
  const size_t a = slo_key.find('_'), b = slo_key.rfind("_ms");
  if (a == std::string::npos || b == std::string::npos || b <= a) return slo_key;
  return fmt::format("{} {}", slo_key.substr(a + 1, b - a - 1), MetricName(slo_key.substr(0, a)));
}

std::string SloText(const nlohmann::ordered_json& slo) {
  if (!slo.is_object()) return "none";
  const bool per_request = slo.contains("attainment") && slo["attainment"].is_number();
  std::string limits;
  for (const auto& [key, value] : slo.items()) {
    if (key == "attainment" || !value.is_number()) continue;
    const std::string name =
        per_request ? MetricName(key.substr(0, key.find('_'))) : SloStatName(key);
    limits += fmt::format("{}{} ≤ {} ms", limits.empty() ? "" : " and ", name,
                          Number(value.get<double>()));
  }
  if (limits.empty()) return "none";
  if (!per_request) return limits;
  return fmt::format("at least {}% of requests with {}",
                     Number(100 * slo["attainment"].get<double>()), limits);
}

std::string Number(double v) {
  if (!std::isfinite(v)) return "–";
  const double a = std::fabs(v);
  if (a >= 1000 && a < 1e7) return fmt::format("{:.0f}", v);
  if (a != 0 && (a < 1e-3 || a >= 1e7)) return fmt::format("{:.3e}", v);
  return fmt::format("{:.4g}", v);
}

std::string Dollars(double v, int decimals) {
  if (!std::isfinite(v)) return "–";
  return fmt::format("${:.{}f}", v, decimals);
}

std::string Percent(double fraction) {
  if (!std::isfinite(fraction)) return "–";
  return fmt::format("{:.1f}", 100 * fraction);
}

}  // namespace servesim

#include "sim/studies/slo.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "sim/config/input_error.h"
#include "sim/core/check.h"

namespace servesim {
namespace {

const char* const kMetrics[] = {"ttft", "tpot", "itl", "e2el"};
const char* const kStats[] = {"mean", "median", "p90", "p99"};

const LatencyStats& Stats(const Summary& s, const std::string& metric) {
  if (metric == "ttft") return s.ttft;
  if (metric == "tpot") return s.tpot;
  if (metric == "itl") return s.itl;
  SERVESIM_CHECK(metric == "e2el");
  return s.e2el;
}

double ParseLimit(const std::string& item, const std::string& text) {
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(begin, &end);
  if (text.empty() || end != begin + text.size() || errno == ERANGE || !std::isfinite(v) ||
      v <= 0) {
    throw InputError(
        fmt::format("--slo {}: the limit must be a number > 0 (ms), got '{}'", item, text));
  }
  return v;
}

std::optional<double> TargetOf(const std::vector<SloLimit>& limits, const std::string& metric) {
  for (const SloLimit& l : limits) {
    if (l.key.rfind(metric + "_", 0) == 0) return l.limit_ms;
  }
  return std::nullopt;
}

// With --attainment: only ttft/tpot keys, at most one of each.
void CheckPerRequest(const std::vector<SloLimit>& limits) {
  int ttft = 0, tpot = 0;
  for (const SloLimit& l : limits) {
    const bool is_ttft = l.key.rfind("ttft_", 0) == 0, is_tpot = l.key.rfind("tpot_", 0) == 0;
    if (!is_ttft && !is_tpot) {
      throw InputError(fmt::format(
          "--slo {}: with --attainment only ttft_* and tpot_* keys are allowed (per-request "
          "targets)",
          l.key));
    }
    ttft += is_ttft ? 1 : 0;
    tpot += is_tpot ? 1 : 0;
  }
  if (ttft > 1 || tpot > 1) {
    throw InputError("--slo: with --attainment give at most one ttft_* and one tpot_* key");
  }
}

}  // namespace

std::vector<std::string> SloKeys() {
  std::vector<std::string> keys;
  for (const char* m : kMetrics) {
    for (const char* st : kStats) keys.push_back(fmt::format("{}_{}_ms", m, st));
  }
  return keys;
}

double SloMetricMs(const Summary& s, const std::string& key) {
  const size_t a = key.find('_'), b = key.rfind("_ms");
  SERVESIM_CHECK(a != std::string::npos && b != std::string::npos && b > a);
  const LatencyStats& st = Stats(s, key.substr(0, a));
  const std::string stat = key.substr(a + 1, b - a - 1);
  if (stat == "mean") return st.mean_ms;
  if (stat == "median") return st.median_ms;
  if (stat == "p90") return st.p90_ms;
  SERVESIM_CHECK(stat == "p99");
  return st.p99_ms;
}

CapacitySlo ParseCapacitySlo(const std::string& text, std::optional<double> attainment) {
  CapacitySlo slo;
  const std::vector<std::string> keys = SloKeys();
  for (size_t start = 0; start <= text.size();) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    start = comma + 1;
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw InputError(fmt::format("--slo {}: expected key=limit, e.g. ttft_p99_ms=2000", item));
    }
    const std::string key = item.substr(0, eq);
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      throw InputError(
          fmt::format("--slo {}: unknown key '{}'{}", item, key, DidYouMean(key, keys)));
    }
    for (const SloLimit& l : slo.limits) {
      if (l.key == key) throw InputError(fmt::format("--slo {}: '{}' given twice", item, key));
    }
    slo.limits.push_back({key, ParseLimit(item, item.substr(eq + 1))});
  }
  if (attainment) {
    if (!(*attainment > 0 && *attainment <= 1)) {
      throw InputError(fmt::format("--attainment {}: must be in (0, 1]", *attainment));
    }
    CheckPerRequest(slo.limits);
    slo.attainment = attainment;
  }
  return slo;
}

std::optional<double> CapacitySlo::TtftTargetMs() const { return TargetOf(limits, "ttft"); }
std::optional<double> CapacitySlo::TpotTargetMs() const { return TargetOf(limits, "tpot"); }

bool CapacitySlo::Holds(const Summary& s) const {
  if (s.completed == 0) return false;
  if (attainment) return s.slo_attainment >= *attainment;
  for (const SloLimit& l : limits) {
    if (!(SloMetricMs(s, l.key) <= l.limit_ms)) return false;
  }
  return true;
}

std::string CapacitySlo::Describe() const {
  std::string text;
  for (const SloLimit& l : limits) {
    text += fmt::format("{}{} <= {}", text.empty() ? "" : ", ", l.key, l.limit_ms);
  }
  if (attainment) text += fmt::format(" for >= {}% of requests", 100.0 * *attainment);
  return text;
}

nlohmann::ordered_json SloToJson(const CapacitySlo& slo) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const SloLimit& l : slo.limits) j[l.key] = l.limit_ms;
  if (slo.attainment) j["attainment"] = *slo.attainment;
  return j;
}

}  // namespace servesim

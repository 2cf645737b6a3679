// CapacitySlo: the service-level objective of a capacity search, parsed from
// "--slo ttft_p99_ms=2000,tpot_p99_ms=100 [--attainment 0.99]". Keys name a latency statistic of
// the run's Summary: {ttft,tpot,itl,e2el}_{mean,median,p90,p99}_ms. Without --attainment the SLO
// holds when every statistic is at most its limit. With --attainment A, each ttft_*/tpot_* limit
// is a per-request target and the SLO holds when at least a fraction A of the requests meets all
// of them (itl/e2el keys are refused: they have no per-request target).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sim/report/summary.h"

namespace servesim {

struct SloLimit {
  std::string key;  // e.g. "ttft_p99_ms"
  double limit_ms = 0;
};

struct CapacitySlo {
  std::vector<SloLimit> limits;
  std::optional<double> attainment;

  // Per-request targets for the run's goodput and attainment: the ttft_* / tpot_* limit.
  std::optional<double> TtftTargetMs() const;
  std::optional<double> TpotTargetMs() const;
  // Whether `s` meets the SLO. A run with no completed request never does. The summary must come
  // from a run whose slo targets were TtftTargetMs()/TpotTargetMs() when attainment is set.
  bool Holds(const Summary& s) const;
  // "ttft_p99_ms <= 2000, tpot_p99_ms <= 100" (or "... for >= 99% of requests").
  std::string Describe() const;
};

// {"ttft_p99_ms": 2000, ..., "attainment": 0.99}: the SLO as study JSON files record it.
nlohmann::ordered_json SloToJson(const CapacitySlo& slo);

// Parses "--slo" text. Throws InputError "--slo X: ..." with "did you mean" for unknown keys.
CapacitySlo ParseCapacitySlo(const std::string& text, std::optional<double> attainment);

// The supported keys, in the order `servesim capacity --help` lists them.
std::vector<std::string> SloKeys();
// The value of a supported key in `s`. REQUIRES: key in SloKeys().
double SloMetricMs(const Summary& s, const std::string& key);

}  // namespace servesim

// Words and numbers of a report page (sim/studies/report.h): HTML escaping, metric names with
// their units ("p99_ttft_ms" -> "p99 TTFT (ms)"), SLO limits as a sentence instead of JSON, and
// numbers with as many digits as a reader needs.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace servesim {

// `text` with <, >, & and " escaped.
std::string Html(const std::string& text);

// A Summary JSON key as an axis label or column header with its unit: "p99_ttft_ms" ->
// "p99 TTFT (ms)", "request_throughput" -> "request throughput (req/s)", "slo_attainment" ->
// "SLO attainment (%)". Unknown keys come back unchanged.
std::string MetricLabel(const std::string& summary_key);

// One SLO limit key ("ttft_p99_ms") as words: "p99 TTFT".
std::string SloStatName(const std::string& slo_key);

// The "slo" object of a capacity, scaling or plan result as a sentence: {"ttft_p99_ms": 1000,
// "tpot_p99_ms": 50} -> "p99 TTFT ≤ 1000 ms and p99 TPOT ≤ 50 ms"; with "attainment": 0.99 ->
// "at least 99% of requests with TTFT ≤ 1000 ms and TPOT ≤ 50 ms".
std::string SloText(const nlohmann::ordered_json& slo);

// `v` with 4 significant digits, without an exponent for values from 1e-3 to 1e7 ("18.38",
// "0.775", "370022"); "–" for NaN or infinity.
std::string Number(double v);
// `v` as dollars with cents ("$14.08"), or with 3 decimals below $10 for per-token prices.
std::string Dollars(double v, int decimals = 2);
// A fraction as a percentage with one decimal ("99.1").
std::string Percent(double fraction);

}  // namespace servesim

#include "sim/studies/capacity_study.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <map>

#include "sim/config/input_error.h"
#include "sim/config/run_estimate.h"
#include "sim/runner.h"
#include "sim/studies/json_csv.h"

namespace servesim {
namespace {

// A p99 with `digits` decimals, or "-" for a statistic with no sample.
std::string Ms(const LatencyStats& st, int digits) {
  return st.count > 0 ? fmt::format("{:.{}f}", st.p99_ms, digits) : "-";
}

// The backlog column: its trend over the second half of the arrivals, '!' when not steady.
std::string Backlog(const LoadPoint& p) {
  if (!p.steady || !p.steady->judged) return "-";
  return fmt::format("{:+.0f}{}", p.steady->backlog_trend, p.steady->steady ? "" : "!");
}

void PrintRow(const LoadPoint& p, double max_rate, std::ostream& out) {
  const Summary& s = p.summary;
  const char* verdict = p.holds ? "ok" : !p.slo_met ? "FAIL" : "FAIL (not steady)";
  fmt::print(out, "{:>10.4g}{:>10.4g}{:>11}{:>10}{:>10}{:>11}{:>8.1f}{:>9.4g}{:>9}  {}{}\n", p.rate,
             s.request_throughput, Ms(s.ttft, 1), Ms(s.tpot, 2), Ms(s.itl, 2), Ms(s.e2el, 1),
             100.0 * s.slo_attainment, s.goodput, Backlog(p), verdict,
             p.rate == max_rate ? "  <- max" : "");
}

nlohmann::ordered_json PointJson(const LoadPoint& p, bool metrics) {
  nlohmann::ordered_json j = {{"rate", p.rate}, {"holds", p.holds}, {"slo_met", p.slo_met}};
  j["steady_state"] = p.steady ? SteadyStateToJson(*p.steady) : nlohmann::ordered_json();
  if (metrics) j["metrics"] = SummaryToJson(p.summary);
  return j;
}

}  // namespace

Scenario ScenarioAtRate(const Scenario& base, double rate_per_s, const CapacitySlo& slo) {
  Scenario s = base;
  if (s.workload.trace) s.workload.trace->use_arrivals = false;
  s.workload.process = ArrivalProcess::kPoisson;
  s.workload.rate_per_s = rate_per_s;
  if (slo.attainment) {
    s.slo.ttft_ms = slo.TtftTargetMs();
    s.slo.tpot_ms = slo.TpotTargetMs();
  } else {
    if (slo.TtftTargetMs()) s.slo.ttft_ms = slo.TtftTargetMs();
    if (slo.TpotTargetMs()) s.slo.tpot_ms = slo.TpotTargetMs();
  }
  return s;
}

void ExtendWorkload(int64_t factor, Scenario* scenario) {
  WorkloadConfig& w = scenario->workload;
  if (w.num_requests) *w.num_requests *= factor;
  if (w.duration_s) *w.duration_s *= static_cast<double>(factor);
  if (w.trace) w.trace->repeat *= factor;
}

RateOutcome RunSteadyAtRate(const Scenario& base, double rate, const CapacitySlo& slo,
                            const std::function<RunResult(const Scenario&)>& run) {
  const Scenario at_rate = ScenarioAtRate(base, rate, slo);
  for (int64_t factor = 1;; factor *= 2) {
    Scenario s = at_rate;
    ExtendWorkload(factor, &s);
    const RunResult r = run(s);
    SteadyState steady = AssessSteadyState(r.requests);
    steady.extended = factor;
    const bool settled = steady.steady || steady.long_enough || !slo.Holds(r.summary);
    Scenario longer = at_rate;
    ExtendWorkload(factor * 2, &longer);
    const bool fits =
        MemoryRefusal(ExpectedRequests(longer.workload).value_or(0), longer.replicas).empty();
    if (settled || !fits || factor * 2 > kMaxSteadyStateExtension) return {r.summary, steady};
  }
}

void CheckCapacityScenario(const Scenario& scenario) {
  if (scenario.autoscaler) {
    throw InputError(fmt::format(
        "{}: autoscaler: capacity finds the highest rate a fixed deployment serves; remove the "
        "autoscaler (or run the autoscaled load with servesim run)",
        scenario.file));
  }
  if (scenario.workload.rate_schedule) {
    throw InputError(fmt::format(
        "{}: workload.arrival.rate_schedule: capacity varies one constant arrival rate; remove "
        "the schedule (or run the scheduled load with servesim run)",
        scenario.file));
  }
  if (scenario.workload.ClosedLoop()) {
    throw InputError(fmt::format(
        "{}: workload.concurrency: capacity varies the arrival rate, so it needs open-loop "
        "arrivals (workload.arrival), not a closed loop",
        scenario.file));
  }
}

double DefaultStartRate(const Scenario& scenario) {
  const WorkloadConfig& w = scenario.workload;
  const bool synthetic = !w.trace || !w.trace->use_arrivals;
  if (synthetic && w.process != ArrivalProcess::kBurst && w.rate_per_s > 0) return w.rate_per_s;
  return 1.0;
}

CapacityResult RunCapacity(const Scenario& base, const CapacitySlo& slo,
                           const CapacityOptions& options, std::ostream* progress) {
  CheckCapacityScenario(base);
  int64_t runs = 0;
  const auto evaluate = [&](double rate) {
    RateOutcome o =
        RunSteadyAtRate(base, rate, slo, [](const Scenario& s) { return RunScenario(s); });
    if (progress) {
      const Summary& s = o.summary;
      const bool holds = slo.Holds(s) && o.steady->steady;
      fmt::print(*progress,
                 "capacity: run {}: {:.6g} req/s -> {} (p99 ttft {} ms, p99 tpot {} ms{})\n",
                 ++runs, rate, holds ? "holds" : "fails", Ms(s.ttft, 1), Ms(s.tpot, 2),
                 o.steady->steady ? "" : "; " + o.steady->Reason());
      progress->flush();
    }
    return o;
  };
  return FindCapacity(evaluate, slo, options);
}

nlohmann::ordered_json CapacityToJson(const CapacityResult& r, const CapacitySlo& slo,
                                      const CapacityOptions& options) {
  nlohmann::ordered_json j;
  j["max_rate"] = r.max_rate;
  j["goodput"] = r.at_max.goodput;
  j["fail_rate"] = r.fail_rate;
  j["tolerance"] = options.tolerance;
  j["slo"] = SloToJson(slo);
  j["steady_state"] =
      r.at_max_steady ? SteadyStateToJson(*r.at_max_steady) : nlohmann::ordered_json();
  j["summary"] = SummaryToJson(r.at_max);
  nlohmann::ordered_json curve = nlohmann::ordered_json::array();
  for (const LoadPoint& p : r.curve) curve.push_back(PointJson(p, true));
  j["curve"] = std::move(curve);
  nlohmann::ordered_json search = nlohmann::ordered_json::array();
  // The failing rate's metrics too: the curve around the knee may not hold it, and they say
  // which statistic broke the SLO.
  for (const LoadPoint& p : r.search) search.push_back(PointJson(p, p.rate == r.fail_rate));
  j["search"] = std::move(search);
  return j;
}

namespace {

// "ttft_p99_ms" (an SLO key) -> "p99_ttft_ms" (its Summary JSON key).
std::string SummaryKeyOf(const std::string& slo_key) {
  const size_t a = slo_key.find('_'), b = slo_key.rfind("_ms");
  return slo_key.substr(a + 1, b - a - 1) + "_" + slo_key.substr(0, a) + "_ms";
}

// metrics[key], or null when absent.
nlohmann::ordered_json ValueOf(const nlohmann::ordered_json& metrics, const std::string& key) {
  return metrics.contains(key) ? metrics[key] : nlohmann::ordered_json();
}

// Per SLO term: its limit, the run's value (null without a sample) and whether it passed.
nlohmann::ordered_json SloTermsJson(const CapacitySlo& slo, const nlohmann::ordered_json& metrics) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (slo.attainment) {
    const nlohmann::ordered_json v = ValueOf(metrics, "slo_attainment");
    j["attainment"] = {
        {"limit", *slo.attainment},
        {"value", v},
        {"pass", v.is_null() ? v : nlohmann::ordered_json(v.get<double>() >= *slo.attainment)}};
    return j;
  }
  for (const SloLimit& l : slo.limits) {
    const nlohmann::ordered_json v = ValueOf(metrics, SummaryKeyOf(l.key));
    j[l.key] = {{"limit_ms", l.limit_ms},
                {"value_ms", v},
                {"pass", v.is_null() ? v : nlohmann::ordered_json(v.get<double>() <= l.limit_ms)}};
  }
  return j;
}

nlohmann::ordered_json CapacityCsvRow(const LoadPoint& p, const CapacityResult& r,
                                      const CapacitySlo& slo) {
  nlohmann::ordered_json j = {{"rate", p.rate},
                              {"holds", p.holds},
                              {"slo_met", p.slo_met},
                              {"in_search", false},
                              {"in_curve", false},
                              {"max_rate", p.rate == r.max_rate},
                              {"fail_rate", p.rate == r.fail_rate}};
  const nlohmann::ordered_json metrics = SummaryToJson(p.summary);
  j["slo"] = SloTermsJson(slo, metrics);
  j["steady_state"] = p.steady ? SteadyStateToJson(*p.steady) : nlohmann::ordered_json();
  j["metrics"] = metrics;
  return j;
}

}  // namespace

std::vector<std::string> CapacityCsvColumns(const CapacitySlo& slo) {
  LoadPoint probe;
  probe.steady = SteadyState{};
  probe.summary = FullSummaryProbe();
  return CsvColumnsOf(CapacityCsvRow(probe, CapacityResult{}, slo));
}

std::vector<nlohmann::ordered_json> CapacityCsvRows(const CapacityResult& r,
                                                    const CapacitySlo& slo) {
  std::map<double, nlohmann::ordered_json> by_rate;
  for (const LoadPoint& p : r.search) {
    nlohmann::ordered_json j = CapacityCsvRow(p, r, slo);
    j["in_search"] = true;
    by_rate[p.rate] = std::move(j);
  }
  for (const LoadPoint& p : r.curve) {
    auto it = by_rate.find(p.rate);
    if (it == by_rate.end()) it = by_rate.emplace(p.rate, CapacityCsvRow(p, r, slo)).first;
    it->second["in_curve"] = true;
  }
  std::vector<nlohmann::ordered_json> rows;
  for (auto& [rate, j] : by_rate) rows.push_back(std::move(j));
  return rows;
}

void PrintCapacity(const CapacityResult& r, const CapacitySlo& slo, const CapacityOptions& options,
                   std::ostream& out) {
  const Summary& s = r.at_max;
  fmt::print(out, "servesim capacity: {} on {} x{} ({}), seed {}\n", s.model, s.gpu, s.num_gpus,
             s.scheduler, s.seed);
  fmt::print(out, "SLO: {}; Poisson arrivals; tolerance {}%\n", slo.Describe(),
             100.0 * options.tolerance);
  fmt::print(out, "\nlatency vs load around the knee ({} simulations in the search):\n",
             r.search.size());
  fmt::print(out, "{:>10}{:>10}{:>11}{:>10}{:>10}{:>11}{:>8}{:>9}{:>9}  {}\n", "rate", "thruput",
             "p99 ttft", "p99 tpot", "p99 itl", "p99 e2el", "attain", "goodput", "backlog", "SLO");
  fmt::print(out, "{:>10}{:>10}{:>11}{:>10}{:>10}{:>11}{:>8}{:>9}{:>9}\n", "(req/s)", "(req/s)",
             "(ms)", "(ms)", "(ms)", "(ms)", "(%)", "(req/s)", "(trend)");
  for (const LoadPoint& p : r.curve) PrintRow(p, r.max_rate, out);
  fmt::print(out, "\n{:<34}{:>14.4g}  (fails at {:.4g})\n", "Max rate at SLO (req/s):", r.max_rate,
             r.fail_rate);
  fmt::print(out, "{:<34}{:>14.4g}\n", "Goodput at max rate (req/s):", s.goodput);
  fmt::print(out, "{:<34}{:>14.1f}\n", "Output throughput (tok/s):", s.output_throughput);
  if (r.at_max_steady && r.at_max_steady->judged) {
    const SteadyState& st = *r.at_max_steady;
    fmt::print(out,
               "Steady state at max rate:          backlog {:+.0f} over the second half of the "
               "arrivals (threshold {:.0f}); {} completions for {} arrivals\n",
               st.backlog_trend, st.threshold, st.completions, st.arrivals);
  }
}

}  // namespace servesim

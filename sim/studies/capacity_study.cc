#include "sim/studies/capacity_study.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "sim/config/input_error.h"
#include "sim/runner.h"

namespace servesim {
namespace {

// "12.3" (`digits` decimals), or "-" for a statistic with no sample.
std::string Ms(const LatencyStats& st, int digits) {
  return st.count > 0 ? fmt::format("{:.{}f}", st.p99_ms, digits) : "-";
}

void PrintRow(const LoadPoint& p, double max_rate, std::ostream& out) {
  const Summary& s = p.summary;
  fmt::print(out, "{:>10.4g}{:>10.4g}{:>11}{:>10}{:>10}{:>11}{:>8.1f}{:>9.4g}  {}{}\n", p.rate,
             s.request_throughput, Ms(s.ttft, 1), Ms(s.tpot, 2), Ms(s.itl, 2), Ms(s.e2el, 1),
             100.0 * s.slo_attainment, s.goodput, p.holds ? "ok" : "FAIL",
             p.rate == max_rate ? "  <- max" : "");
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

void CheckCapacityScenario(const Scenario& scenario) {
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
    Summary s = RunScenario(ScenarioAtRate(base, rate, slo)).summary;
    if (progress) {
      fmt::print(*progress,
                 "capacity: run {}: {:.6g} req/s -> {} (p99 ttft {:.1f} ms, p99 tpot {:.2f} ms)\n",
                 ++runs, rate, slo.Holds(s) ? "holds" : "fails", s.ttft.p99_ms, s.tpot.p99_ms);
      progress->flush();
    }
    return s;
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
  j["summary"] = SummaryToJson(r.at_max);
  nlohmann::ordered_json curve = nlohmann::ordered_json::array();
  for (const LoadPoint& p : r.curve) {
    curve.push_back({{"rate", p.rate}, {"holds", p.holds}, {"metrics", SummaryToJson(p.summary)}});
  }
  j["curve"] = std::move(curve);
  nlohmann::ordered_json search = nlohmann::ordered_json::array();
  for (const LoadPoint& p : r.search) search.push_back({{"rate", p.rate}, {"holds", p.holds}});
  j["search"] = std::move(search);
  return j;
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
  fmt::print(out, "{:>10}{:>10}{:>11}{:>10}{:>10}{:>11}{:>8}{:>9}  {}\n", "rate", "thruput",
             "p99 ttft", "p99 tpot", "p99 itl", "p99 e2el", "attain", "goodput", "SLO");
  fmt::print(out, "{:>10}{:>10}{:>11}{:>10}{:>10}{:>11}{:>8}{:>9}\n", "(req/s)", "(req/s)", "(ms)",
             "(ms)", "(ms)", "(ms)", "(%)", "(req/s)");
  for (const LoadPoint& p : r.curve) PrintRow(p, r.max_rate, out);
  fmt::print(out, "\n{:<34}{:>14.4g}  (fails at {:.4g})\n", "Max rate at SLO (req/s):", r.max_rate,
             r.fail_rate);
  fmt::print(out, "{:<34}{:>14.4g}\n", "Goodput at max rate (req/s):", s.goodput);
  fmt::print(out, "{:<34}{:>14.1f}\n", "Output throughput (tok/s):", s.output_throughput);
}

}  // namespace servesim

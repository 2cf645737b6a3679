#include "sim/studies/scaling_report.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>

#include "sim/studies/json_csv.h"
#include "sim/studies/scaling_loss.h"
#include "sim/studies/slo.h"
#include "sim/studies/trust.h"

namespace servesim {
namespace {

nlohmann::ordered_json CandidateJson(const CandidateResult& c) {
  nlohmann::ordered_json j;
  j["deployment"] = DeploymentToJson(c.deployment);
  if (c.skipped.empty()) {
    j["capacity"] = c.capacity;
    j["simulations"] = c.simulations;
  } else {
    j["skipped"] = c.skipped;
    if (c.simulations > 0) j["simulations"] = c.simulations;
  }
  return j;
}

nlohmann::ordered_json PointJson(const ScalingPoint& p, const Scenario& base) {
  nlohmann::ordered_json j;
  j["num_gpus"] = p.num_gpus;
  const CandidateResult* best = p.Best();
  j["deployment"] = best ? DeploymentToJson(best->deployment) : nlohmann::ordered_json();
  j["capacity"] = best ? nlohmann::ordered_json(p.capacity) : nlohmann::ordered_json();
  j["linear"] = p.linear;
  j["efficiency"] = best ? nlohmann::ordered_json(p.efficiency) : nlohmann::ordered_json();
  nlohmann::ordered_json loss = nlohmann::ordered_json::object();
  for (const std::string& cause : LossCauses()) {
    if (best) loss[cause] = p.loss.at(cause);
  }
  j["loss"] = best ? loss : nlohmann::ordered_json();
  if (best) {
    j["goodput"] = best->at_capacity.goodput;
    j["output_throughput"] = best->at_capacity.output_throughput;
    j["steady_state"] = best->steady ? SteadyStateToJson(*best->steady) : nlohmann::ordered_json();
    j["trust"] = TrustToJson(TrustOf(base, best->deployment));
    j["summary"] = SummaryToJson(best->at_capacity);
  }
  nlohmann::ordered_json candidates = nlohmann::ordered_json::array();
  for (const CandidateResult& c : p.candidates) candidates.push_back(CandidateJson(c));
  j["candidates"] = std::move(candidates);
  return j;
}

nlohmann::ordered_json UslJson(const ScalingResult& r) {
  if (!r.usl) return nlohmann::ordered_json();
  const UslFit& f = *r.usl;
  nlohmann::ordered_json j;
  j["lambda"] = f.params.lambda;
  j["sigma"] = f.params.sigma;
  j["kappa"] = f.params.kappa;
  j["r_squared"] = f.r_squared;
  j["rms_relative_error"] = f.rms_relative_error;
  j["num_points"] = f.num_points;
  const std::optional<double> peak = UslPeak(f.params);
  j["peak_num_gpus"] = peak ? nlohmann::ordered_json(*peak) : nlohmann::ordered_json();
  return j;
}

// One line per distinct trust verdict, naming the GPU counts it applies to.
void PrintTrust(const ScalingResult& r, const Scenario& base, std::ostream& out) {
  std::vector<std::pair<std::string, std::string>> lines;  // verdict, counts
  for (const ScalingPoint& p : r.points) {
    if (!p.Best()) continue;
    const std::string verdict = DescribeTrust(TrustOf(base, p.Best()->deployment));
    auto it =
        std::find_if(lines.begin(), lines.end(), [&](const auto& l) { return l.first == verdict; });
    if (it == lines.end()) {
      lines.emplace_back(verdict, std::to_string(p.num_gpus));
    } else {
      it->second += fmt::format(", {}", p.num_gpus);
    }
  }
  for (const auto& [verdict, counts] : lines) {
    fmt::print(out, "Trust ({} GPUs): {}\n", counts, verdict);
  }
}

int64_t Simulations(const ScalingResult& r, int64_t* searched) {
  int64_t n = 0;
  *searched = 0;
  for (const ScalingPoint& p : r.points) {
    for (const CandidateResult& c : p.candidates) {
      n += c.simulations;
      *searched += c.simulations > 0 ? 1 : 0;
    }
  }
  return n;
}

}  // namespace

nlohmann::ordered_json DeploymentToJson(const Deployment& d) {
  return {
      {"name", d.Name()},       {"tp", d.tp}, {"pp", d.pp}, {"ep", d.ep}, {"replicas", d.replicas},
      {"num_gpus", d.NumGpus()}};
}

nlohmann::ordered_json ScalingToJson(const ScalingResult& r, const StudyBase& base,
                                     const ScalingOptions& o) {
  const Scenario& s = base.scenario;
  nlohmann::ordered_json j;
  j["scenario"] = s.name;
  j["model"] = s.model.name;
  j["gpu"] = s.hardware.name;
  j["scheduler"] = s.engine.scheduler;
  j["seed"] = s.seed;
  j["slo"] = SloToJson(o.slo);
  j["strategies"] = DescribeStrategies(o.strategies);
  j["gpus"] = o.gpu_counts;
  j["scale_requests"] = o.scale_requests;
  j["baseline"] = {{"num_gpus", r.baseline_gpus}, {"capacity_per_gpu", r.capacity_per_gpu}};
  nlohmann::ordered_json points = nlohmann::ordered_json::array();
  for (const ScalingPoint& p : r.points) points.push_back(PointJson(p, s));
  j["points"] = std::move(points);
  j["usl"] = UslJson(r);
  nlohmann::ordered_json extra = nlohmann::ordered_json::array();
  for (const ExtrapolatedPoint& e : r.extrapolated) {
    extra.push_back({{"num_gpus", e.num_gpus},
                     {"capacity", e.capacity},
                     {"linear", e.linear},
                     {"efficiency", e.efficiency},
                     {"extrapolated", true}});
  }
  j["extrapolated"] = std::move(extra);
  j["extrapolation_withheld"] = r.extrapolation_withheld.empty()
                                    ? nlohmann::ordered_json()
                                    : nlohmann::ordered_json(r.extrapolation_withheld);
  return j;
}

nlohmann::ordered_json ScalingReplicationMetrics(const ScalingResult& r) {
  nlohmann::ordered_json points = nlohmann::ordered_json::object();
  for (const ScalingPoint& p : r.points) {
    if (!p.Best()) continue;
    nlohmann::ordered_json j = {{"capacity", p.capacity}, {"efficiency", p.efficiency}};
    for (const auto& [cause, value] : p.loss) j["loss"][cause] = value;
    points[std::to_string(p.num_gpus)] = std::move(j);
  }
  nlohmann::ordered_json j;
  j["gpus"] = std::move(points);
  if (r.usl) {
    j["usl"] = {{"lambda", r.usl->params.lambda},
                {"sigma", r.usl->params.sigma},
                {"kappa", r.usl->params.kappa}};
  }
  return j;
}

std::vector<std::string> ScalingCsvColumns() {
  nlohmann::ordered_json probe = {{"num_gpus", 0}, {"extrapolated", false}};
  probe["deployment"] = DeploymentToJson(Deployment{});
  probe["capacity"] = 0.0;
  probe["linear"] = 0.0;
  probe["efficiency"] = 0.0;
  for (const std::string& cause : LossCauses()) probe["loss"][cause] = 0.0;
  probe["goodput"] = 0.0;
  probe["output_throughput"] = 0.0;
  probe["steady_state"] = SteadyStateToJson(SteadyState{});
  Trust trust;  // every key TrustToJson writes: validated (note), reasons, error bands
  trust.validated = true;
  trust.reasons = {"probe"};
  trust.bands.resize(1);
  probe["trust"] = TrustToJson(trust);
  probe["summary"] = SummaryToJson(FullSummaryProbe());
  return CsvColumnsOf(probe);
}

std::vector<nlohmann::ordered_json> ScalingCsvRows(const nlohmann::ordered_json& doc) {
  std::vector<nlohmann::ordered_json> rows;
  for (const auto& p : doc["points"]) {
    nlohmann::ordered_json row = {{"num_gpus", p["num_gpus"]}, {"extrapolated", false}};
    for (const auto& [key, value] : p.items()) {
      if (key != "num_gpus" && key != "candidates") row[key] = value;
    }
    rows.push_back(std::move(row));
  }
  for (const auto& e : doc["extrapolated"]) rows.push_back(e);
  return rows;
}

void PrintScaling(const ScalingResult& r, const StudyBase& base, const ScalingOptions& o,
                  std::ostream& out) {
  const Scenario& s = base.scenario;
  int64_t searched = 0;
  const int64_t sims = Simulations(r, &searched);
  fmt::print(out, "servesim scaling: {} on {} ({}), seed {}\n", s.model.name, s.hardware.name,
             s.engine.scheduler, s.seed);
  fmt::print(out, "SLO: {}; strategies {}; {} deployments searched, {} simulations\n",
             o.slo.Describe(), DescribeStrategies(o.strategies), searched, sims);
  fmt::print(out, "linear = N x {:.4g} req/s per GPU (the best deployment on {} GPUs)\n\n",
             r.capacity_per_gpu, r.baseline_gpus);
  fmt::print(out, "{:>6}  {:<16}{:>10}{:>10}{:>8}  lost req/s by cause\n", "GPUs", "deployment",
             "capacity", "linear", "effic.");
  // Short column names, in LossCauses() order (the JSON has the full ones).
  const char* const kShort[] = {"comm", "bubbles", "kv_batch", "compute", "queueing", "imbalance"};
  std::string header;
  for (const char* c : kShort) header += fmt::format("{:>10}", c);
  fmt::print(out, "{:>6}  {:<16}{:>10}{:>10}{:>8}{}\n", "", "", "(req/s)", "(req/s)", "(%)",
             header);
  for (const ScalingPoint& p : r.points) {
    const CandidateResult* best = p.Best();
    if (!best) {
      fmt::print(out, "{:>6}  {:<16}{:>10}{:>10.4g}  (no feasible deployment)\n", p.num_gpus, "-",
                 "-", p.linear);
      continue;
    }
    std::string losses;
    for (const std::string& c : LossCauses()) losses += fmt::format("{:>10.2f}", p.loss.at(c));
    fmt::print(out, "{:>6}  {:<16}{:>10.4g}{:>10.4g}{:>8.1f}{}\n", p.num_gpus,
               best->deployment.Name(), p.capacity, p.linear, 100 * p.efficiency, losses);
  }
  fmt::print(out,
             "(lost = linear - capacity; negative = gain. comm: communication, bubbles: "
             "pipeline_bubbles, kv_batch:\n kv_limited_batch, compute: compute_saturation, "
             "imbalance: routing_imbalance; docs/studies.md)\n");
  PrintTrust(r, s, out);
  if (!r.usl) {
    fmt::print(out, "\nUSL fit: needs at least three feasible GPU counts\n");
    return;
  }
  const UslFit& f = *r.usl;
  const std::optional<double> peak = UslPeak(f.params);
  fmt::print(out,
             "\nUSL fit: lambda {:.4g} req/s, sigma {:.4g}, kappa {:.4g} (R^2 {:.4f}, rms relative "
             "error {:.2f}%, {} points){}\n",
             f.params.lambda, f.params.sigma, f.params.kappa, f.r_squared,
             100 * f.rms_relative_error, f.num_points,
             peak ? fmt::format("; throughput peaks at {:.0f} GPUs", *peak) : "");
  for (const ExtrapolatedPoint& e : r.extrapolated) {
    fmt::print(out, "{:>6}  {:<16}{:>10.4g}{:>10.4g}{:>8.1f}  EXTRAPOLATED (USL, not simulated)\n",
               e.num_gpus, "-", e.capacity, e.linear, 100 * e.efficiency);
  }
  if (!r.extrapolation_withheld.empty()) {
    fmt::print(out, "not extrapolated: {}\n", r.extrapolation_withheld);
  }
}

}  // namespace servesim

#include "sim/report/collective_validation.h"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <tuple>

#include "sim/config/input_error.h"
#include "sim/config/zoo.h"

namespace servesim {
namespace {

constexpr double kKiB = 1024.0;
constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kSecondsPerMs = 1e-3;
constexpr double kFitMinBytes = kMiB;

const std::vector<std::string> kColumns = {
    "cluster", "collective", "num_gpus", "gpus_per_node", "nodes", "size_field", "time_ms_median"};
const std::vector<std::string> kSizeRanges = {"<64 KiB", "64 KiB-1 MiB", "1-16 MiB", "16-256 MiB",
                                              ">=256 MiB"};

// Splits one CSV line; a field in double quotes may hold commas and "" for a quote.
std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted && ch == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      fields.back() += '"';
      ++i;
    } else if (ch == '"') {
      quoted = !quoted;
    } else if (ch == ',' && !quoted) {
      fields.emplace_back();
    } else if (ch != '\r') {
      fields.back() += ch;
    }
  }
  return fields;
}

struct Reader {
  std::string path;
  int64_t line = 0;
  std::map<std::string, size_t> column;  // name -> index

  [[noreturn]] void Fail(const std::string& message) const {
    throw InputError(fmt::format("{}:{}: {}", path, line, message));
  }
  const std::string& Field(const std::vector<std::string>& f, const std::string& name) const {
    const size_t at = column.at(name);
    if (at >= f.size()) Fail(fmt::format("expected {} fields, got {}", column.size(), f.size()));
    return f[at];
  }
  double Number(const std::vector<std::string>& f, const std::string& name, bool integer) const {
    const std::string& text = Field(f, name);
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) ||
        value <= 0 || (integer && value != std::floor(value))) {
      Fail(fmt::format("column '{}': expected a positive {}, got '{}'", name,
                       integer ? "integer" : "number", text));
    }
    return value;
  }
};

void ReadHeader(const std::string& text, Reader* r) {
  const std::vector<std::string> names = SplitCsv(text);
  for (size_t i = 0; i < names.size(); ++i) r->column[names[i]] = i;
  for (const std::string& name : kColumns) {
    if (!r->column.count(name)) r->Fail(fmt::format("missing column '{}'", name));
  }
}

CollectiveReference ParseRow(const std::vector<std::string>& f, const Reader& r) {
  CollectiveReference ref;
  ref.file = r.path;
  ref.line = r.line;
  ref.cluster = r.Field(f, "cluster");
  const std::string& op = r.Field(f, "collective");
  const std::optional<Collective> parsed = CollectiveFromName(op);
  if (!parsed) r.Fail(fmt::format("column 'collective': unknown collective '{}'", op));
  ref.op = *parsed;
  ref.num_gpus = static_cast<int64_t>(r.Number(f, "num_gpus", true));
  ref.gpus_per_node = static_cast<int64_t>(r.Number(f, "gpus_per_node", true));
  ref.nodes = static_cast<int64_t>(r.Number(f, "nodes", true));
  if (ref.nodes != (ref.num_gpus + ref.gpus_per_node - 1) / ref.gpus_per_node) {
    r.Fail(fmt::format("nodes ({}) must be ceil(num_gpus / gpus_per_node) = ceil({} / {})",
                       ref.nodes, ref.num_gpus, ref.gpus_per_node));
  }
  ref.bytes = r.Number(f, "size_field", false);
  ref.time_s = r.Number(f, "time_ms_median", false) * kSecondsPerMs;
  return ref;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string Span(int64_t nodes) { return nodes == 1 ? "1 node" : fmt::format("{} nodes", nodes); }

// Least squares on relative error of time = a + latency + k x wire (a: launch, k: 1/bandwidth):
// minimise sum(((a + k x_i + latency_i) - t_i) / t_i)^2. Returns (a, 1/k).
std::tuple<double, double> FitLine(const std::vector<double>& t, const std::vector<double>& latency,
                                   const std::vector<double>& wire_s) {
  const Eigen::Index m = static_cast<Eigen::Index>(t.size());
  Eigen::MatrixXd a(m, 2);
  Eigen::VectorXd b(m);
  for (Eigen::Index i = 0; i < m; ++i) {
    a(i, 0) = 1 / t[i];
    a(i, 1) = wire_s[i] / t[i];
    b(i) = (t[i] - latency[i]) / t[i];
  }
  const Eigen::Vector2d x = a.colPivHouseholderQr().solve(b);
  return {x(0), 1 / x(1)};
}

}  // namespace

std::vector<CollectiveReference> LoadCollectiveReference(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(fmt::format("{}: cannot open file", path));
  Reader r{path, 1, {}};
  std::string text;
  if (!std::getline(in, text)) r.Fail("empty file; expected a header row");
  ReadHeader(text, &r);
  std::vector<CollectiveReference> rows;
  while (std::getline(in, text)) {
    ++r.line;
    if (text.empty() || text == "\r") continue;
    rows.push_back(ParseRow(SplitCsv(text), r));
  }
  return rows;
}

std::string ZooGpuForCluster(std::string_view cluster) {
  if (cluster == "h100_dgx") return "h100-sxm-80gb";
  if (cluster == "a100_dgx") return "a100-sxm-80gb";
  return "";
}

CollectiveEvaluation EvaluateCollectives(const std::vector<CollectiveReference>& refs,
                                         const CollectiveParams& params) {
  CollectiveEvaluation out;
  std::map<std::string, Topology> topologies;  // by zoo GPU
  for (const CollectiveReference& ref : refs) {
    const std::string gpu = ZooGpuForCluster(ref.cluster);
    if (gpu.empty()) {
      ++out.skipped[ref.cluster];
      continue;
    }
    if (!topologies.count(gpu)) {
      topologies[gpu] = TopologyFor(LoadHardwareFile(ConfigRoot() + "/hardware/" + gpu + ".yaml"));
    }
    CollectiveComparison c;
    c.ref = ref;
    c.gpu = gpu;
    c.topology = topologies[gpu];
    c.topology.gpus_per_node = ref.gpus_per_node;
    c.predicted = CollectiveTime(c.topology, ref.op, ref.num_gpus, ref.bytes, params);
    c.rel_error = (c.predicted.time_s - ref.time_s) / ref.time_s;
    out.rows.push_back(c);
  }
  return out;
}

std::string SizeRange(double bytes) {
  if (bytes < 64 * kKiB) return kSizeRanges[0];
  if (bytes < kMiB) return kSizeRanges[1];
  if (bytes < 16 * kMiB) return kSizeRanges[2];
  if (bytes < 256 * kMiB) return kSizeRanges[3];
  return kSizeRanges[4];
}

std::vector<ErrorGroup> SummarizeErrors(const std::vector<CollectiveComparison>& rows) {
  // Key: (collective, GPU, nodes, size-range index) orders the groups.
  std::map<std::tuple<int, std::string, int64_t, size_t>, std::vector<double>> errors;
  for (const CollectiveComparison& c : rows) {
    const std::string range = SizeRange(c.ref.bytes);
    const size_t index = static_cast<size_t>(
        std::find(kSizeRanges.begin(), kSizeRanges.end(), range) - kSizeRanges.begin());
    errors[{static_cast<int>(c.ref.op), c.gpu, c.ref.nodes, index}].push_back(c.rel_error);
  }
  std::vector<ErrorGroup> out;
  for (const auto& [key, e] : errors) {
    ErrorGroup g;
    g.collective = std::string(CollectiveName(static_cast<Collective>(std::get<0>(key))));
    g.gpu = std::get<1>(key);
    g.span = Span(std::get<2>(key));
    g.size_range = kSizeRanges[std::get<3>(key)];
    g.count = static_cast<int64_t>(e.size());
    std::vector<double> abs_e;
    for (double x : e) abs_e.push_back(std::abs(x));
    g.median_abs = Median(abs_e);
    g.max_abs = *std::max_element(abs_e.begin(), abs_e.end());
    g.bias = Median(e);
    out.push_back(g);
  }
  return out;
}

double MedianAbsError(const std::vector<CollectiveComparison>& rows, double min_bytes,
                      bool single_node_only, int64_t* count) {
  std::vector<double> abs_e;
  for (const CollectiveComparison& c : rows) {
    if (c.ref.bytes < min_bytes || (single_node_only && c.ref.nodes > 1)) continue;
    abs_e.push_back(std::abs(c.rel_error));
  }
  if (count) *count = static_cast<int64_t>(abs_e.size());
  return Median(abs_e);
}

CollectiveFit FitCollectiveConstants(const CollectiveEvaluation& evaluation) {
  std::vector<double> ring_t, ring_lat, ring_wire, p2p_t, p2p_lat, p2p_wire;
  for (const CollectiveComparison& c : evaluation.rows) {
    if (c.ref.nodes != 1 || c.ref.bytes < kFitMinBytes) continue;
    const Topology& topo = c.topology;
    const double n = static_cast<double>(c.ref.num_gpus);
    if (c.ref.op == Collective::kAllReduce && c.predicted.algorithm == "ring") {
      ring_t.push_back(c.ref.time_s);
      ring_lat.push_back(2 * (n - 1) * topo.scale_up.latency_s);
      ring_wire.push_back(2 * (n - 1) / n * c.ref.bytes / topo.ScaleUpBandwidthFor(c.ref.num_gpus));
    } else if (c.ref.op == Collective::kSendRecv) {
      p2p_t.push_back(c.ref.time_s);
      p2p_lat.push_back(topo.scale_up.latency_s);
      p2p_wire.push_back(c.ref.bytes / topo.ScaleUpBandwidthFor(2));
    }
  }
  CollectiveFit fit;
  fit.ring_rows = static_cast<int64_t>(ring_t.size());
  fit.p2p_rows = static_cast<int64_t>(p2p_t.size());
  if (fit.ring_rows >= 2) {
    std::tie(fit.launch_s, fit.ring_bus_bw_fraction) = FitLine(ring_t, ring_lat, ring_wire);
  }
  if (fit.p2p_rows >= 2) {
    std::tie(fit.p2p_launch_s, fit.p2p_bw_fraction) = FitLine(p2p_t, p2p_lat, p2p_wire);
  }
  return fit;
}

}  // namespace servesim

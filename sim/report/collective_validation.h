// Collective validation: prices every row of a table of measured NCCL timings (the Vidur
// profiling CSV in shared/reference) with models/collectives, summarises the relative errors per
// collective, span and message size, and re-fits the model's fitted constants. Used by
// `servesim collectives` (docs/collectives.md) and its CI test.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "models/collectives.h"
#include "models/topology.h"

namespace servesim {

// One measured row.
struct CollectiveReference {
  std::string file;
  int64_t line = 0;     // 1-based; the header is line 1
  std::string cluster;  // e.g. "h100_dgx"
  Collective op = Collective::kAllReduce;
  int64_t num_gpus = 0;
  int64_t gpus_per_node = 0;
  int64_t nodes = 0;
  double bytes = 0;   // the `size_field` column (bytes, per the CSV's README)
  double time_s = 0;  // the `time_ms_median` column
};

// Reads a CSV with (at least) the columns cluster, collective, num_gpus, gpus_per_node, nodes,
// size_field, time_ms_median; quoted fields may hold commas. Throws InputError "path:LINE: ...".
std::vector<CollectiveReference> LoadCollectiveReference(const std::string& path);

// The zoo GPU whose topology stands for a reference cluster: "h100_dgx" -> "h100-sxm-80gb",
// "a100_dgx" -> "a100-sxm-80gb"; "" when servesim has no topology for it (Vidur's
// "*_pairwise_nvlink" nodes: PCIe cards joined in NVLink-bridged pairs).
std::string ZooGpuForCluster(std::string_view cluster);

struct CollectiveComparison {
  CollectiveReference ref;
  std::string gpu;    // ZooGpuForCluster(ref.cluster)
  Topology topology;  // the GPU's, with gpus_per_node from the row
  CollectiveCost predicted;
  double rel_error = 0;  // (predicted - measured) / measured
};

struct CollectiveEvaluation {
  std::vector<CollectiveComparison> rows;
  std::map<std::string, int64_t> skipped;  // cluster -> rows without a servesim topology
};

CollectiveEvaluation EvaluateCollectives(const std::vector<CollectiveReference>& refs,
                                         const CollectiveParams& params);

// "<64 KiB", "64 KiB-1 MiB", "1-16 MiB", "16-256 MiB", ">=256 MiB".
std::string SizeRange(double bytes);

struct ErrorGroup {
  std::string collective;  // "all_reduce"
  std::string gpu;         // the zoo GPU standing for the measured cluster
  std::string span;        // "1 node", "2 nodes"
  std::string size_range;
  int64_t count = 0;
  double median_abs = 0;  // median |relative error|
  double max_abs = 0;
  double bias = 0;  // median signed relative error (> 0: the model is slow)
};
// Groups ordered by collective, GPU, span, then size.
std::vector<ErrorGroup> SummarizeErrors(const std::vector<CollectiveComparison>& rows);

// Median |relative error| over rows of at least `min_bytes`, all or single-node only; 0 rows -> 0.
double MedianAbsError(const std::vector<CollectiveComparison>& rows, double min_bytes,
                      bool single_node_only, int64_t* count);

// The fitted constants of models/collectives.cc, re-derived by least squares on relative error
// over the single-node rows >= 1 MiB: launch_s and the ring fraction on the all-reduce rows priced
// as a ring, p2p launch and fraction on the send_recv rows.
struct CollectiveFit {
  double launch_s = 0;
  double ring_bus_bw_fraction = 0;
  int64_t ring_rows = 0;
  double p2p_launch_s = 0;
  double p2p_bw_fraction = 0;
  int64_t p2p_rows = 0;
};
CollectiveFit FitCollectiveConstants(const CollectiveEvaluation& evaluation);

}  // namespace servesim

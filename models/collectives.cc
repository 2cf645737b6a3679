#include "models/collectives.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "sim/core/check.h"

namespace servesim {
namespace {

// The constants. Per-step latencies are not here: they belong to the link (LinkSpec::latency_s,
// from the hardware file: NCCL's LL128 hardware latencies). docs/collectives.md has the
// derivations and the error table.
//
// Fitted by weighted least squares (relative error) on the single-node rows >= 1 MiB of the Vidur
// NCCL measurements (shared/reference/nccl_collectives_vidur.csv, A100/H100 DGX), reproduced by
// `servesim collectives --fit`:
//   - launch and ring fraction on the all-reduce rows that the model prices as a ring (A100 at
//     every group size, H100 pairs): 28 rows. The fraction is the ring bus bandwidth over the
//     unidirectional NVLink rate in the 1-64 MiB range of tensor-parallel activations; NCCL
//     reaches ~0.8 only on messages of hundreds of MiB.
//   - p2p launch and fraction on the send_recv rows (14 rows): a copy without a reduction moves
//     more of the link rate than a ring all-reduce, and waits for one peer instead of all.
constexpr double kLaunchS = 30e-6;
constexpr double kRingBusBwFraction = 0.61;
constexpr double kP2pLaunchS = 6.7e-6;
constexpr double kP2pBwFraction = 0.87;
// NVLink SHARP all-reduce: nccl-tests all_reduce busbw 476 GB/s on one 8-GPU H100 node (NCCL
// maintainer, NVIDIA/nccl-tests#290; shared/reference/interconnect_and_collectives.csv). busbw =
// algbw x 2(n-1)/n, so algbw = 476 / 1.75 = 272 GB/s = 0.604 of the 450 GB/s per-direction
// NVLink4 rate. In NVLS each GPU sends and receives the buffer once whatever the group size, so
// the algorithm bandwidth is this fraction of the link rate.
constexpr double kNvlsAlgBwFraction = 476.0 / 1.75 / 450.0;
// Network: "For NDR @ 400Gbps you should see 46-48GB/s per NIC" of nccl-tests busbw (NCCL
// maintainer, NVIDIA/nccl-tests#290): 47 / 50 GB/s line rate. Cross-check: the A100 user report
// in the same CSV (4x HDR 200 Gb/s per node, 100 GB/s) peaks at ~96 GB/s busbw.
constexpr double kNetBwFraction = 47.0 / 50.0;
// Double binary tree: NCCL's tuner prices tree all-reduce bus bandwidth at 0.92 of the ring's
// (src/graph/tuning.cc: `busBw * .92` for NCCL_ALGO_TREE all-reduce).
constexpr double kTreeBwFactor = 0.92;

struct Candidate {
  double time_s;
  const char* algorithm;
};

// Where `n` contiguous ranks land: node count and ranks on the fullest and emptiest node.
struct Placement {
  int64_t ranks = 1;
  int64_t nodes = 1;
  int64_t local_max = 1;
  int64_t local_min = 1;
};

Placement Place(const Topology& topo, int64_t n) {
  Placement p;
  p.ranks = n;
  p.nodes = topo.NodesFor(n);
  p.local_max = std::min(n, topo.gpus_per_node);
  p.local_min = n - (p.nodes - 1) * topo.gpus_per_node;
  return p;
}

double ScaleUpBw(const Topology& topo, int64_t local) {
  const double bw = topo.ScaleUpBandwidthFor(local);
  SERVESIM_CHECK(bw > 0);
  return bw;
}

double NicBw(const Topology& topo) {
  SERVESIM_CHECK(topo.scale_out.bandwidth_bytes_per_s > 0);
  return topo.scale_out.bandwidth_bytes_per_s;
}

// Hierarchical rule for rings and trees: NCCL routes one channel per NIC across each node
// boundary, so with one NIC per GPU the network carries at most local x NIC of bus bandwidth on
// the emptiest node, while every GPU's scale-up link carries the full ring traffic. The ring runs
// at the smaller of the two; a GPU alone on its node uses no scale-up link.
double RingBusBw(const Topology& topo, const Placement& p, const CollectiveParams& c) {
  double bw = std::numeric_limits<double>::infinity();
  if (p.local_max >= 2) {
    const int64_t up_local = p.local_min >= 2 ? p.local_min : p.local_max;
    bw = c.ring_bus_bw_fraction * ScaleUpBw(topo, up_local);
  }
  if (p.nodes > 1) {
    bw = std::min(bw, c.net_bw_fraction * static_cast<double>(p.local_min) * NicBw(topo));
  }
  return bw;
}

// Ring all-reduce: 2(n-1) steps each moving bytes/n (reduce-scatter then all-gather); all-gather
// and reduce-scatter: n-1 such steps. Steps that cross a node boundary pay the network latency.
Candidate Ring(Collective op, const Topology& topo, const Placement& p, double bytes,
               const CollectiveParams& c) {
  const double phases = op == Collective::kAllReduce ? 2 : 1;
  const double n = static_cast<double>(p.ranks);
  const double steps = phases * (n - 1);
  const double inter_steps = phases * static_cast<double>(p.nodes - 1);
  const double latency = c.launch_s + (steps - inter_steps) * topo.scale_up.latency_s +
                         inter_steps * topo.scale_out.latency_s;
  const double wire_bytes = phases * (n - 1) / n * bytes;
  return {latency + wire_bytes / RingBusBw(topo, p, c), "ring"};
}

// Double binary tree all-reduce across nodes (NCCL uses trees between nodes, a chain inside):
// latency grows with log2(nodes) instead of the ring's 2(n-1) steps; each rank moves the buffer
// up and down the tree at kTreeBwFactor of the ring's bus bandwidth (NCCL's algbw = busbw / 2).
Candidate Tree(const Topology& topo, const Placement& p, double bytes, const CollectiveParams& c) {
  const double depth = std::ceil(std::log2(static_cast<double>(p.nodes)));
  const double latency =
      c.launch_s + 2 * (static_cast<double>(p.local_max - 1) * topo.scale_up.latency_s +
                        depth * topo.scale_out.latency_s);
  return {latency + 2 * bytes / (c.tree_bw_factor * RingBusBw(topo, p, c)), "tree"};
}

// NVLink SHARP: the switch reduces and multicasts, so each GPU sends and receives the buffer once
// in two steps (ld_reduce of its slice, multicast store of the result).
Candidate Nvls(const Topology& topo, const Placement& p, double bytes, const CollectiveParams& c) {
  const double latency = c.launch_s + 2 * topo.scale_up.latency_s;
  return {latency + bytes / (c.nvls_alg_bw_fraction * ScaleUpBw(topo, p.local_max)), "nvls"};
}

// All-to-all: n-1 pairwise exchanges of bytes/n, posted together (NCCL groups the sends), so the
// busier of the two paths sets the pace: local peers over scale-up, remote ones over the GPU's
// NIC. It synchronises all ranks like a collective (launch_s) but copies without reducing.
Candidate AllToAll(const Topology& topo, const Placement& p, double bytes,
                   const CollectiveParams& c) {
  const double n = static_cast<double>(p.ranks);
  const double local_peers = static_cast<double>(p.local_max - 1);
  const double remote_peers = static_cast<double>(p.ranks - p.local_min);  // emptiest node
  const double latency = c.launch_s + local_peers * topo.scale_up.latency_s +
                         static_cast<double>(p.ranks - p.local_max) * topo.scale_out.latency_s;
  double transfer_s = 0;
  if (local_peers > 0) {
    transfer_s = local_peers / n * bytes / (c.p2p_bw_fraction * ScaleUpBw(topo, p.local_max));
  }
  if (remote_peers > 0) {
    transfer_s = std::max(transfer_s, remote_peers / n * bytes / (c.net_bw_fraction * NicBw(topo)));
  }
  return {latency + transfer_s, "direct"};
}

// Send/recv: one hop to the next rank, over the network when the group spans nodes.
Candidate SendRecv(const Topology& topo, const Placement& p, double bytes,
                   const CollectiveParams& c) {
  if (p.nodes > 1) {
    return {c.p2p_launch_s + topo.scale_out.latency_s + bytes / (c.net_bw_fraction * NicBw(topo)),
            "direct"};
  }
  return {
      c.p2p_launch_s + topo.scale_up.latency_s + bytes / (c.p2p_bw_fraction * ScaleUpBw(topo, 2)),
      "direct"};
}

std::vector<Candidate> Candidates(const Topology& topo, Collective op, const Placement& p,
                                  double bytes, const CollectiveParams& c) {
  switch (op) {
    case Collective::kAllReduce: {
      std::vector<Candidate> all = {Ring(op, topo, p, bytes, c)};
      if (p.nodes > 1) all.push_back(Tree(topo, p, bytes, c));
      if (p.nodes == 1 && topo.nvls && !topo.scale_up_full_mesh) {
        all.push_back(Nvls(topo, p, bytes, c));
      }
      return all;
    }
    case Collective::kAllGather:
    case Collective::kReduceScatter:
      return {Ring(op, topo, p, bytes, c)};
    case Collective::kAllToAll:
      return {AllToAll(topo, p, bytes, c)};
    case Collective::kSendRecv:
      return {SendRecv(topo, p, bytes, c)};
  }
  SERVESIM_CHECK(false);
  return {};
}

}  // namespace

std::string_view CollectiveName(Collective op) {
  switch (op) {
    case Collective::kAllReduce:
      return "all_reduce";
    case Collective::kAllGather:
      return "all_gather";
    case Collective::kReduceScatter:
      return "reduce_scatter";
    case Collective::kAllToAll:
      return "all_to_all";
    case Collective::kSendRecv:
      return "send_recv";
  }
  SERVESIM_CHECK(false);
  return "";
}

std::optional<Collective> CollectiveFromName(std::string_view name) {
  for (Collective op : {Collective::kAllReduce, Collective::kAllGather, Collective::kReduceScatter,
                        Collective::kAllToAll, Collective::kSendRecv}) {
    if (CollectiveName(op) == name) return op;
  }
  return std::nullopt;
}

const CollectiveParams& DefaultCollectiveParams() {
  static const CollectiveParams params = {kLaunchS,      kRingBusBwFraction, kNvlsAlgBwFraction,
                                          kTreeBwFactor, kP2pLaunchS,        kP2pBwFraction,
                                          kNetBwFraction};
  return params;
}

CollectiveCost CollectiveTime(const Topology& topo, Collective op, int64_t group_size,
                              double bytes) {
  return CollectiveTime(topo, op, group_size, bytes, DefaultCollectiveParams());
}

CollectiveCost CollectiveTime(const Topology& topo, Collective op, int64_t group_size, double bytes,
                              const CollectiveParams& params) {
  SERVESIM_CHECK(group_size >= 1 && bytes >= 0 && std::isfinite(bytes));
  const Placement p = Place(topo, group_size);
  if (group_size == 1 || bytes == 0) return {0, "none", p.nodes};
  const std::vector<Candidate> all = Candidates(topo, op, p, bytes, params);
  // The fastest, as NCCL's tuner picks; on a tie the first listed (the ring).
  const Candidate best = *std::min_element(
      all.begin(), all.end(), [](const auto& a, const auto& b) { return a.time_s < b.time_s; });
  return {best.time_s, best.algorithm, p.nodes};
}

}  // namespace servesim

#include "models/collectives.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace servesim {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiB = 1024.0 * kMiB;

const std::vector<Collective> kAllOps = {Collective::kAllReduce, Collective::kAllGather,
                                         Collective::kReduceScatter, Collective::kAllToAll,
                                         Collective::kSendRecv};

// HGX H100-like, written out here so that the tests pin the formulas, not the zoo files.
Topology Hgx(bool nvls = true) {
  Topology t;
  t.gpus_per_node = 8;
  t.scale_up = {"nvlink4", 450e9, 1.9e-6};
  t.scale_out = {"infiniband-ndr", 50e9, 8.5e-6};
  t.nvls = nvls;
  return t;
}

const CollectiveParams& P() { return DefaultCollectiveParams(); }

TEST(CollectiveTest, GroupOfOneOrNoBytesCostsNothing) {
  for (Collective op : kAllOps) {
    SCOPED_TRACE(std::string(CollectiveName(op)));
    const CollectiveCost one = CollectiveTime(Hgx(), op, 1, 64 * kMiB);
    EXPECT_EQ(one.time_s, 0);
    EXPECT_EQ(one.algorithm, "none");
    EXPECT_EQ(one.nodes, 1);
    EXPECT_EQ(CollectiveTime(Hgx(), op, 8, 0).time_s, 0);
  }
}

TEST(CollectiveTest, NamesRoundTrip) {
  for (Collective op : kAllOps) EXPECT_EQ(CollectiveFromName(CollectiveName(op)), op);
  EXPECT_EQ(CollectiveName(Collective::kAllReduce), "all_reduce");
  EXPECT_FALSE(CollectiveFromName("allreduce").has_value());
}

TEST(CollectiveTest, RingAllReduceIsTwoNMinusOneStepsOfBytesOverN) {
  const Topology t = Hgx(/*nvls=*/false);
  const double bytes = 256 * kMiB;
  const CollectiveCost c = CollectiveTime(t, Collective::kAllReduce, 8, bytes);
  EXPECT_EQ(c.algorithm, "ring");
  const double bw = P().ring_bus_bw_fraction * 450e9;
  const double wire_s = 2.0 * 7 / 8 * bytes / bw;
  EXPECT_NEAR(c.time_s, P().launch_s + 14 * 1.9e-6 + wire_s, 1e-12);
  // Large messages are bandwidth-bound: within 2% of the beta term alone.
  const double big = 4 * kGiB;
  EXPECT_NEAR(CollectiveTime(t, Collective::kAllReduce, 8, big).time_s, 2.0 * 7 / 8 * big / bw,
              0.02 * 2.0 * 7 / 8 * big / bw);
}

TEST(CollectiveTest, AllGatherAndReduceScatterAreHalfARing) {
  const Topology t = Hgx(false);
  const double bytes = 64 * kMiB;
  const double bw = P().ring_bus_bw_fraction * 450e9;
  for (Collective op : {Collective::kAllGather, Collective::kReduceScatter}) {
    const CollectiveCost c = CollectiveTime(t, op, 4, bytes);
    EXPECT_EQ(c.algorithm, "ring");
    EXPECT_NEAR(c.time_s, P().launch_s + 3 * 1.9e-6 + 3.0 / 4 * bytes / bw, 1e-12);
  }
}

TEST(CollectiveTest, AllReduceAcrossTwoNodesCostsMoreThanInsideOne) {
  for (bool nvls : {false, true}) {
    Topology one_node = Hgx(nvls);
    Topology two_nodes = one_node;
    two_nodes.gpus_per_node = 4;
    for (double bytes = 1024; bytes <= kGiB; bytes *= 4) {
      SCOPED_TRACE(bytes);
      const CollectiveCost inside = CollectiveTime(one_node, Collective::kAllReduce, 8, bytes);
      const CollectiveCost across = CollectiveTime(two_nodes, Collective::kAllReduce, 8, bytes);
      EXPECT_EQ(inside.nodes, 1);
      EXPECT_EQ(across.nodes, 2);
      EXPECT_GT(across.time_s, inside.time_s);
    }
  }
}

TEST(CollectiveTest, NvlsBeatsTheRingInsideAnH100NodeButNotAcrossNodes) {
  const double bytes = 256 * kMiB;
  const CollectiveCost nvls = CollectiveTime(Hgx(true), Collective::kAllReduce, 8, bytes);
  const CollectiveCost ring = CollectiveTime(Hgx(false), Collective::kAllReduce, 8, bytes);
  EXPECT_EQ(nvls.algorithm, "nvls");
  EXPECT_EQ(ring.algorithm, "ring");
  EXPECT_LT(nvls.time_s, 0.8 * ring.time_s);
  // nccl-tests busbw of the NVLS all-reduce: 476 GB/s on 8 H100s at large sizes.
  const double busbw = bytes / nvls.time_s * 2 * 7 / 8;
  EXPECT_NEAR(busbw, 476e9, 0.05 * 476e9);
  const CollectiveCost multi = CollectiveTime(Hgx(true), Collective::kAllReduce, 16, bytes);
  EXPECT_EQ(multi.nodes, 2);
  EXPECT_NE(multi.algorithm, "nvls");
  Topology mesh = Hgx(true);
  mesh.scale_up_full_mesh = true;
  EXPECT_NE(CollectiveTime(mesh, Collective::kAllReduce, 8, bytes).algorithm, "nvls");
}

TEST(CollectiveTest, RingAcrossNodesIsLimitedByTheNicsOfANode) {
  Topology t = Hgx(false);
  t.scale_out.bandwidth_bytes_per_s = 10e9;  // 8 NICs x 10 GB/s < NVLink
  const double bytes = 4 * kGiB;
  const CollectiveCost c = CollectiveTime(t, Collective::kAllReduce, 16, bytes);
  EXPECT_EQ(c.algorithm, "ring");
  const double bus = P().net_bw_fraction * 8 * 10e9;
  EXPECT_NEAR(c.time_s, 2.0 * 15 / 16 * bytes / bus, 0.01 * c.time_s);
  // One GPU per node: a single NIC carries the ring.
  t.gpus_per_node = 1;
  const CollectiveCost pair = CollectiveTime(t, Collective::kAllReduce, 2, bytes);
  EXPECT_NEAR(pair.time_s, bytes / (P().net_bw_fraction * 10e9), 0.01 * pair.time_s);
}

TEST(CollectiveTest, TreeWinsForSmallMessagesOnManyNodesRingForLargeOnes) {
  const Topology t = Hgx(false);
  // 64 nodes: the ring's 2(n-1) steps cost ~2 ms of latency, the tree's ~0.1 ms.
  const CollectiveCost small = CollectiveTime(t, Collective::kAllReduce, 512, 4096);
  EXPECT_EQ(small.algorithm, "tree");
  EXPECT_EQ(small.nodes, 64);
  // 8 nodes, 1 GiB: bandwidth decides, and the ring moves less per rank.
  EXPECT_EQ(CollectiveTime(t, Collective::kAllReduce, 64, kGiB).algorithm, "ring");
}

TEST(CollectiveTest, TimeGrowsMonotonicallyWithBytes) {
  std::vector<Topology> topologies = {Hgx(true), Hgx(false)};
  topologies.push_back(Hgx(false));
  topologies.back().scale_up_full_mesh = true;
  for (const Topology& t : topologies) {
    for (Collective op : kAllOps) {
      for (int64_t n : {2, 4, 8, 12, 16, 64}) {
        double previous = 0;
        for (double bytes = 1; bytes <= 8 * kGiB; bytes *= 1.7) {
          const double time_s = CollectiveTime(t, op, n, bytes).time_s;
          ASSERT_GT(time_s, previous) << CollectiveName(op) << " n=" << n << " bytes=" << bytes;
          previous = time_s;
        }
      }
    }
  }
}

TEST(CollectiveTest, AllToAllMovesNMinusOneOverNOfTheBuffer) {
  const Topology t = Hgx();
  const double s = kGiB;
  // Inside a node: (n-1)/n of the buffer over NVLink at the copy fraction.
  const double inside = CollectiveTime(t, Collective::kAllToAll, 8, 2 * s).time_s -
                        CollectiveTime(t, Collective::kAllToAll, 8, s).time_s;
  EXPECT_NEAR(inside, 7.0 / 8 * s / (P().p2p_bw_fraction * 450e9), 1e-9);
  // Two nodes: half of each rank's buffer leaves the node through its own NIC.
  const CollectiveCost across = CollectiveTime(t, Collective::kAllToAll, 16, s);
  EXPECT_EQ(across.algorithm, "direct");
  EXPECT_NEAR(across.time_s, 8.0 / 16 * s / (P().net_bw_fraction * 50e9), 0.01 * across.time_s);
  // More remote peers, more of the buffer on the network.
  EXPECT_GT(CollectiveTime(t, Collective::kAllToAll, 64, s).time_s, across.time_s);
}

TEST(CollectiveTest, SendRecvIsOneHop) {
  const Topology t = Hgx();
  const double bytes = 32 * kMiB;
  const double nvlink = P().p2p_launch_s + 1.9e-6 + bytes / (P().p2p_bw_fraction * 450e9);
  EXPECT_NEAR(CollectiveTime(t, Collective::kSendRecv, 2, bytes).time_s, nvlink, 1e-12);
  EXPECT_NEAR(CollectiveTime(t, Collective::kSendRecv, 8, bytes).time_s, nvlink, 1e-12);
  const CollectiveCost net = CollectiveTime(t, Collective::kSendRecv, 16, bytes);
  EXPECT_EQ(net.algorithm, "direct");
  EXPECT_EQ(net.nodes, 2);
  EXPECT_NEAR(net.time_s, P().p2p_launch_s + 8.5e-6 + bytes / (P().net_bw_fraction * 50e9), 1e-12);
}

TEST(CollectiveTest, FullMeshGroupReachesOnlyItsOwnLinks) {
  Topology mesh = Hgx(false);
  mesh.scale_up_full_mesh = true;
  const double bytes = 64 * kMiB;
  // A pair shares one of the 7 links: 1/7 of the per-GPU bandwidth.
  const double pair = CollectiveTime(mesh, Collective::kSendRecv, 2, bytes).time_s;
  EXPECT_NEAR(pair, P().p2p_launch_s + 1.9e-6 + bytes / (P().p2p_bw_fraction * 450e9 / 7), 1e-12);
  EXPECT_GT(CollectiveTime(mesh, Collective::kAllReduce, 2, bytes).time_s,
            5 * CollectiveTime(Hgx(false), Collective::kAllReduce, 2, bytes).time_s);
  EXPECT_NEAR(CollectiveTime(mesh, Collective::kAllReduce, 8, bytes).time_s,
              CollectiveTime(Hgx(false), Collective::kAllReduce, 8, bytes).time_s, 1e-12);
}

TEST(CollectiveTest, ParamsOverloadUsesTheGivenConstants) {
  CollectiveParams slow = P();
  slow.ring_bus_bw_fraction /= 2;
  const Topology t = Hgx(false);
  EXPECT_GT(CollectiveTime(t, Collective::kAllReduce, 8, kGiB, slow).time_s,
            1.9 * CollectiveTime(t, Collective::kAllReduce, 8, kGiB).time_s);
}

}  // namespace
}  // namespace servesim

#include "sim/report/collective_validation.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "sim/config/input_error.h"
#include "tests/util/missing_data.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

constexpr double kMiB = 1024.0 * 1024.0;
const std::string kReference =
    SERVESIM_SOURCE_DIR "/../shared/reference/nccl_collectives_vidur.csv";
constexpr char kHeader[] =
    "source,cluster,collective,num_gpus,gpus_per_node,nodes,size_field,time_ms_median,notes\n";

class CollectiveValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = (fs::path(::testing::TempDir()) / (std::string("servesim_cv_") + info->name() + ".csv"))
                .string();
  }
  void TearDown() override { fs::remove(path_); }

  std::string Error(const std::string& text) {
    std::ofstream(path_) << text;
    try {
      LoadCollectiveReference(path_);
    } catch (const InputError& e) {
      return std::string(e.what()).replace(0, path_.size(), "ref.csv");
    }
    return "no error";
  }

  std::string path_;
};

TEST_F(CollectiveValidationTest, ReadsRowsWithQuotedCommas) {
  std::ofstream(path_) << kHeader
                       << "x,h100_dgx,all_reduce,8,8,1,1048576,0.034,\"a, \"\"quoted\"\" note\"\n"
                       << "\n"
                       << "x,a100_dgx,send_recv,2,1,2,2048,0.024,plain\r\n";
  const std::vector<CollectiveReference> rows = LoadCollectiveReference(path_);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].line, 2);
  EXPECT_EQ(rows[0].cluster, "h100_dgx");
  EXPECT_EQ(rows[0].op, Collective::kAllReduce);
  EXPECT_EQ(rows[0].num_gpus, 8);
  EXPECT_DOUBLE_EQ(rows[0].bytes, 1048576);
  EXPECT_DOUBLE_EQ(rows[0].time_s, 34e-6);
  EXPECT_EQ(rows[1].line, 4);
  EXPECT_EQ(rows[1].op, Collective::kSendRecv);
  EXPECT_EQ(rows[1].nodes, 2);
}

TEST_F(CollectiveValidationTest, ErrorsArePinned) {
  EXPECT_EQ(Error("cluster,collective\n"), "ref.csv:1: missing column 'num_gpus'");
  EXPECT_EQ(Error(""), "ref.csv:1: empty file; expected a header row");
  EXPECT_EQ(Error(std::string(kHeader) + "x,h100_dgx,allreduce,8,8,1,2048,0.1,n\n"),
            "ref.csv:2: column 'collective': unknown collective 'allreduce'");
  EXPECT_EQ(Error(std::string(kHeader) + "x,h100_dgx,all_reduce,8,8,1,2k,0.1,n\n"),
            "ref.csv:2: column 'size_field': expected a positive number, got '2k'");
  EXPECT_EQ(Error(std::string(kHeader) + "x,h100_dgx,all_reduce,2.5,8,1,2048,0.1,n\n"),
            "ref.csv:2: column 'num_gpus': expected a positive integer, got '2.5'");
  EXPECT_EQ(Error(std::string(kHeader) + "x,h100_dgx,all_reduce,16,8,1,2048,0.1,n\n"),
            "ref.csv:2: nodes (1) must be ceil(num_gpus / gpus_per_node) = ceil(16 / 8)");
  EXPECT_EQ(Error(std::string(kHeader) + "x,h100_dgx\n"), "ref.csv:2: expected 9 fields, got 2");
  try {
    LoadCollectiveReference("/no/such/ref.csv");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "/no/such/ref.csv: cannot open file");
  }
}

TEST_F(CollectiveValidationTest, ClustersMapToZooGpusAndOthersAreSkipped) {
  EXPECT_EQ(ZooGpuForCluster("h100_dgx"), "h100-sxm-80gb");
  EXPECT_EQ(ZooGpuForCluster("a100_dgx"), "a100-sxm-80gb");
  EXPECT_EQ(ZooGpuForCluster("a100_pairwise_nvlink"), "");
  std::ofstream(path_) << kHeader << "x,h100_dgx,all_reduce,8,4,2,67108864,1.0,n\n"
                       << "x,h100_pairwise_nvlink,all_reduce,2,2,1,2048,0.1,n\n";
  const CollectiveEvaluation e =
      EvaluateCollectives(LoadCollectiveReference(path_), DefaultCollectiveParams());
  ASSERT_EQ(e.rows.size(), 1u);
  EXPECT_EQ(e.skipped.at("h100_pairwise_nvlink"), 1);
  EXPECT_EQ(e.rows[0].gpu, "h100-sxm-80gb");
  EXPECT_EQ(e.rows[0].topology.gpus_per_node, 4);  // from the row
  EXPECT_EQ(e.rows[0].predicted.nodes, 2);
  EXPECT_NEAR(e.rows[0].rel_error, e.rows[0].predicted.time_s / 1e-3 - 1, 1e-12);
}

TEST(CollectiveSummaryTest, SizeRangesAndGroups) {
  EXPECT_EQ(SizeRange(65535), "<64 KiB");
  EXPECT_EQ(SizeRange(65536), "64 KiB-1 MiB");
  EXPECT_EQ(SizeRange(kMiB), "1-16 MiB");
  EXPECT_EQ(SizeRange(16 * kMiB), "16-256 MiB");
  EXPECT_EQ(SizeRange(256 * kMiB), ">=256 MiB");
  std::vector<CollectiveComparison> rows(3);
  const double errors[] = {0.1, -0.3, 0.2};
  for (int i = 0; i < 3; ++i) {
    rows[i].gpu = "g";
    rows[i].ref.nodes = 1;
    rows[i].ref.bytes = 2 * kMiB;
    rows[i].rel_error = errors[i];
  }
  rows[2].ref.nodes = 2;
  const std::vector<ErrorGroup> groups = SummarizeErrors(rows);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].span, "1 node");
  EXPECT_EQ(groups[0].size_range, "1-16 MiB");
  EXPECT_EQ(groups[0].count, 2);
  EXPECT_DOUBLE_EQ(groups[0].median_abs, 0.2);
  EXPECT_DOUBLE_EQ(groups[0].max_abs, 0.3);
  EXPECT_DOUBLE_EQ(groups[0].bias, -0.1);
  EXPECT_EQ(groups[1].span, "2 nodes");
  int64_t count = 0;
  EXPECT_DOUBLE_EQ(MedianAbsError(rows, kMiB, true, &count), 0.2);
  EXPECT_EQ(count, 2);
}

// The CI check against measured NCCL times (docs/collectives.md).
class CollectiveReferenceCsvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::is_regular_file(kReference)) {
      SERVESIM_SKIP_OR_FAIL_IN_CI(
          std::string("no reference CSV at ") + kReference +
          " (shared/reference/nccl_collectives_vidur.csv is outside the repo)");
    }
    evaluation_ =
        EvaluateCollectives(LoadCollectiveReference(kReference), DefaultCollectiveParams());
  }
  CollectiveEvaluation evaluation_;
};

// Bounds: single-node rows >= 1 MiB sit at ~10% median error; 20% leaves room for noise in the
// measured medians (some rows are not monotonic in size) but fails if a constant or a formula
// drifts by a quarter. All rows >= 1 MiB: ~18%, pulled up by Vidur's A100 inter-node rows, whose
// network delivers ~6 GB/s per GPU against the 25 GB/s HDR NIC we model (docs/collectives.md).
TEST_F(CollectiveReferenceCsvTest, MedianErrorOfLargeMessagesStaysBounded) {
  int64_t single = 0, all = 0;
  EXPECT_LT(MedianAbsError(evaluation_.rows, kMiB, true, &single), 0.20);
  EXPECT_LT(MedianAbsError(evaluation_.rows, kMiB, false, &all), 0.30);
  EXPECT_GE(single, 50);
  EXPECT_GE(all, 90);
}

TEST_F(CollectiveReferenceCsvTest, FitReproducesTheModelConstants) {
  const CollectiveFit fit = FitCollectiveConstants(evaluation_);
  const CollectiveParams& p = DefaultCollectiveParams();
  EXPECT_EQ(fit.ring_rows, 28);
  EXPECT_EQ(fit.p2p_rows, 14);
  EXPECT_NEAR(fit.launch_s, p.launch_s, 0.5e-6);
  EXPECT_NEAR(fit.ring_bus_bw_fraction, p.ring_bus_bw_fraction, 0.01);
  EXPECT_NEAR(fit.p2p_launch_s, p.p2p_launch_s, 0.5e-6);
  EXPECT_NEAR(fit.p2p_bw_fraction, p.p2p_bw_fraction, 0.01);
}

}  // namespace
}  // namespace servesim

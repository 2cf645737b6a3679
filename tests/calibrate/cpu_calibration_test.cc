// End to end on the CPU: calibrate the tiny test model with the Eigen backend, write the
// profile, simulate a scenario with it, and read the coverage ledger. No timing assertions: the
// test pins structure, checks, coverage and the error paths.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "calibrate/cpu_backend.h"
#include "calibrate/harness.h"
#include "calibrate/profile_io.h"
#include "sim/config/scenario.h"
#include "sim/config/zoo.h"
#include "sim/runner.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

const std::string kTinyModel = ConfigRoot() + "/test-models/tiny-llama-test.yaml";

// A small grid: the tiny model calibrates in well under a second.
CalibrationGrid SmallGrid() {
  CalibrationGrid g;
  g.tokens = {1, 8, 64, 256};
  g.prefill_chunks = {1, 32, 256};
  g.prefill_contexts = {0, 512};
  g.decode_seqs = {1, 16};
  g.decode_kv = {16, 1024};
  g.copy_bytes = {int64_t{8} << 20};
  g.step_prefill = {0, 64};
  g.step_decode = {0, 4};
  g.step_kv = {128};
  g.step_layers = 1;
  return g;
}

class CpuCalibrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    CalibrationRequest r;
    r.model = LoadModelFile(kTinyModel);
    r.grid = SmallGrid();
    r.command_line = "test";
    CpuBackend backend(KernelDimsOf(r.model, r.shape, r.block_size), Timing{0, 1}, 7,
                       int64_t{4} << 20);
    profile_ = new CalibrationProfile(RunCalibration(r, backend, nullptr));
    path_ = (fs::temp_directory_path() /
             ("servesim_cpu_calibration_test_" + std::to_string(getpid()) + ".json"))
                .string();
    SaveProfile(path_, *profile_);
  }
  static void TearDownTestSuite() {
    fs::remove(path_);
    delete profile_;
  }

  // The tiny model on an H100 with the profile, small batches: every step inside the grid.
  static Scenario MakeScenario(const std::string& workload_and_engine) {
    const std::string yaml = "model: " + kTinyModel + "\nhardware: {gpu: h100-sxm-80gb}\n" +
                             workload_and_engine + "calibration: " + path_ + "\nseed: 5\n";
    return ParseScenario(ConfigNode::LoadString(yaml, "cal.yaml"), std::nullopt);
  }

  static CalibrationProfile* profile_;
  static std::string path_;
};
CalibrationProfile* CpuCalibrationTest::profile_ = nullptr;
std::string CpuCalibrationTest::path_;

TEST_F(CpuCalibrationTest, ProfileHasEveryOpCheckedAndFitted) {
  const CalibrationProfile& p = *profile_;
  EXPECT_EQ(p.model, "tiny-llama-test");
  EXPECT_EQ(p.backend, "cpu");
  EXPECT_EQ(p.provenance.device_kind, "cpu");
  EXPECT_EQ(p.provenance.servesim_version, SERVESIM_VERSION);
  EXPECT_EQ(p.provenance.command_line, "test");
  EXPECT_EQ(p.provenance.date.size(), 20u);  // 2026-01-02T03:04:05Z
  EXPECT_EQ(p.ops.size(), 14u);              // 5 GEMMs, 2 attention, 6 elementwise, copy
  for (const OpProfile& op : p.ops) {
    const size_t grid = op.grid[0].size() * std::max<size_t>(op.grid[1].size(), 1);
    EXPECT_EQ(op.points.size(), grid) << OpInfo(op.op).name;
    for (const OpPoint& pt : op.points) {
      EXPECT_GT(pt.time_s, 0);
      EXPECT_LE(pt.check_error, 1e-3) << OpInfo(op.op).name;
    }
    EXPECT_FALSE(op.fit.pieces.empty());
  }
  // Mixed-length decode batches: cycling and one-long for the batch of 16.
  EXPECT_EQ(p.Find(CalOp::kDecodeAttention)->extra_points.size(), 2u);
  EXPECT_EQ(p.steps.size(), 3u);  // (0, 4), (64, 0), (64, 4)
  EXPECT_GT(p.peaks.gemm_flops_per_s, 0);
  EXPECT_EQ(p.peaks_source, "measured: best GEMM FLOP/s and copy bandwidth of this run");
  EXPECT_EQ(ProfileToJson(LoadProfile(path_)), ProfileToJson(p));
}

TEST_F(CpuCalibrationTest, InRangeSimulationIsFullyMeasuredOrInterpolated) {
  const Scenario s = MakeScenario(
      "engine: {max_num_seqs: 16, max_num_batched_tokens: 256}\n"
      "workload:\n  arrival: {rate: 20}\n  num_requests: 60\n"
      "  input_tokens: {dist: uniform, min: 20, max: 300}\n"
      "  output_tokens: {dist: uniform, min: 2, max: 100}\n");
  const RunResult r = RunScenario(s);
  EXPECT_EQ(r.summary.completed, 60);
  ASSERT_TRUE(r.summary.coverage.has_value());
  const CoverageLedger& c = *r.summary.coverage;
  EXPECT_GT(c.Total(), 0);
  EXPECT_NEAR((c.measured_s + c.interpolated_s) / c.Total(), 1.0, 1e-12);
  EXPECT_EQ(c.extrapolated_s, 0);
  EXPECT_EQ(c.roofline_s, 0);
  EXPECT_TRUE(c.worst.empty());
  const nlohmann::ordered_json j = SummaryToJson(r.summary);
  EXPECT_DOUBLE_EQ(j["calibration_coverage"]["extrapolated"].get<double>(), 0.0);
}

TEST_F(CpuCalibrationTest, OutOfRangeBatchesAreReportedAsExtrapolated) {
  const Scenario s = MakeScenario(
      "engine: {max_num_seqs: 64, max_num_batched_tokens: 1024}\n"
      "workload:\n  arrival: {rate: 50}\n  num_requests: 40\n"
      "  input_tokens: {dist: uniform, min: 600, max: 1200}\n  output_tokens: 20\n");
  const RunResult r = RunScenario(s);
  const CoverageLedger& c = *r.summary.coverage;
  EXPECT_GT(c.extrapolated_s, 0);
  ASSERT_FALSE(c.worst.empty());
  EXPECT_GT(c.worst.front().factor, 1);
  EXPECT_NE(c.worst.front().point.find("(measured "), std::string::npos);
}

}  // namespace
}  // namespace servesim

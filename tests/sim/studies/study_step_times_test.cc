// Study step times: scaling every step time (plan sensitivity) and perturbing them by a
// calibration profile's residuals (prediction intervals), on fakes and end to end.
#include "sim/studies/study_step_times.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "calibrate/profile_io.h"
#include "sim/config/input_error.h"
#include "sim/studies/study_replications.h"
#include "tests/calibrate/synthetic_profile.h"
#include "tests/sim/studies/study_test_util.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

class FixedStepModel : public StepModel {
 public:
  StepCost Cost(const BatchShape&) const override {
    StepCost c;
    c.breakdown = {1e-3, 2e-3, 0.5e-3, 0.25e-3, 0.25e-3};
    c.duration_s = c.breakdown.Total();
    c.last_stage_s = c.duration_s;
    c.flops = 1e12;
    c.bytes = 1e9;
    return c;
  }
};

BatchShape Decode(int64_t seqs) {
  BatchShape b;
  b.decode_seqs = seqs;
  b.decode_context_tokens = 100 * seqs;
  return b;
}

CalibrationProfile ProfileWithChecks(std::vector<std::pair<double, double>> measured_predicted) {
  CalibrationProfile p =
      test_profiles::SyntheticProfile(test_profiles::TinyModel(), DeploymentShape{});
  for (const auto& [m, pr] : measured_predicted) p.steps.push_back({64, 4, 128, m, pr});
  return p;
}

TEST(StudyStepTimesTest, ScaleMultipliesEveryTimeButNotTheWork) {
  StepTimeAdjust adjust;
  adjust.scale = 1.1;
  const AdjustedStepModel m(std::make_unique<FixedStepModel>(), adjust);
  const StepCost c = m.Cost(Decode(4));
  EXPECT_DOUBLE_EQ(c.duration_s, 1.1 * 4e-3);
  EXPECT_DOUBLE_EQ(c.breakdown.Total(), c.duration_s);
  EXPECT_DOUBLE_EQ(c.breakdown.communication_s, 1.1 * 0.5e-3);
  EXPECT_DOUBLE_EQ(c.last_stage_s, 1.1 * 4e-3);
  EXPECT_EQ(c.flops, 1e12);
  EXPECT_EQ(c.bytes, 1e9);
  EXPECT_EQ(m.Coverage(), nullptr);
}

TEST(StudyStepTimesTest, ScaledRunIsSlowerByTheFactor) {
  const Scenario s = ParseScenario(ConfigNode::LoadString(testing::kSmallScenario, "s.yaml"), {});
  StepTimeAdjust slow;
  slow.scale = 2.0;
  const Summary base = RunAdjusted(s, {}).summary, twice = RunAdjusted(s, slow).summary;
  EXPECT_EQ(base.completed, twice.completed);
  // Slower steps batch more sequences each, so the total step time grows by less than 2x; the
  // time per token does double.
  EXPECT_GT(twice.busy_fraction, base.busy_fraction);
  EXPECT_GT(twice.mean_batch_size, base.mean_batch_size);
  EXPECT_GT(twice.tpot.median_ms, 1.8 * base.tpot.median_ms);
  EXPECT_LT(twice.tpot.median_ms, 2.2 * base.tpot.median_ms);
}

TEST(ResidualNoiseTest, ResidualsComeFromTheWholeStepChecks) {
  const ResidualNoise n =
      ResidualsOf(ProfileWithChecks({{1.1, 1.0}, {0.8, 1.0}, {2, 2}}), "p.json");
  ASSERT_EQ(n.relative_errors.size(), 3u);
  EXPECT_NEAR(n.relative_errors[0], 0.1, 1e-12);
  EXPECT_NEAR(n.relative_errors[1], -0.2, 1e-12);
  EXPECT_EQ(n.relative_errors[2], 0.0);
  EXPECT_EQ(n.source, "p.json: 3 whole-step checks");
  try {
    ResidualsOf(ProfileWithChecks({{1.1, 1.0}}), "p.json");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "p.json: calibration: the profile has 1 whole-step checks (step_check); prediction "
              "intervals need at least 2 (a projected profile has none: calibrate on the target "
              "GPU)");
  }
}

TEST(ResidualNoiseTest, OneDrawPerStepClassAndSeedDeterministic) {
  const ResidualNoise n =
      ResidualsOf(ProfileWithChecks({{1.1, 1.0}, {0.8, 1.0}, {1.3, 1.0}, {0.95, 1.0}}), "p");
  EXPECT_EQ(ResidualNoiseStream::ClassOf(Decode(5)), "decode/2^2");
  BatchShape mixed = Decode(2);
  mixed.prefills.push_back({100, 0, true});
  EXPECT_EQ(ResidualNoiseStream::ClassOf(mixed), "mixed/2^6");
  const std::set<double> allowed = {1.1, 0.8, 1.3, 0.95};
  std::set<double> seen;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    ResidualNoiseStream a(n, seed), b(n, seed);
    const double f = a.Factor(Decode(5));
    EXPECT_EQ(f, a.Factor(Decode(6)));  // same class, same draw for the whole run
    EXPECT_EQ(f, b.Factor(Decode(7)));  // same seed, same draw
    bool found = false;
    for (double x : allowed) found = found || std::fabs(x - f) < 1e-12;
    EXPECT_TRUE(found) << f;
    seen.insert(f);
  }
  EXPECT_GE(seen.size(), 3u);  // seeds draw different residuals
}

class PredictionIntervalTest : public testing::ScratchDirTest {};

TEST_F(PredictionIntervalTest, CalibratedScalingReplicationsReportPredictionIntervals) {
  const fs::path profile = dir_ / "profile.json";
  SaveProfile(profile.string(),
              ProfileWithChecks({{1.2, 1.0}, {0.85, 1.0}, {1.05, 1.0}, {0.9, 1.0}}));
  const fs::path scenario =
      Write("cal.yaml", "model: " + std::string(SERVESIM_SOURCE_DIR) +
                            "/configs/test-models/tiny-llama-test.yaml\n"
                            "hardware: {gpu: h100-sxm-80gb}\n"
                            "engine: {max_num_seqs: 16, max_num_batched_tokens: 512}\n"
                            "workload:\n"
                            "  arrival: {process: poisson, rate: 50}\n"
                            "  num_requests: 150\n"
                            "  input_tokens: {dist: uniform, min: 16, max: 256}\n"
                            "  output_tokens: {dist: uniform, min: 8, max: 64}\n"
                            "calibration: profile.json\nseed: 2\n");
  const std::string json = (dir_ / "out.json").string();
  const auto o = Servesim("scaling " + scenario.string() +
                          " --gpus 1,2 --strategies dp --slo ttft_p99_ms=200,tpot_p99_ms=20"
                          " --tolerance 0.05 --replications 3 -j 2 --quiet --json " +
                          json);
  ASSERT_EQ(o.code, 0) << o.err;
  const auto j = nlohmann::json::parse(testing::Slurp(json));
  const auto& reps = j["replications"];
  EXPECT_EQ(reps["count"], 3);
  EXPECT_EQ(reps["step_time_noise"], profile.string() + ": 4 whole-step checks");
  const auto& cap = reps["metrics"]["gpus.1.capacity"];
  ASSERT_TRUE(cap.is_object()) << reps.dump();
  const double mean = cap["mean"].get<double>();
  EXPECT_LE(cap["pi95_low"].get<double>(), cap["ci95_low"].get<double>());
  EXPECT_GE(cap["pi95_high"].get<double>(), cap["ci95_high"].get<double>());
  EXPECT_NEAR((cap["pi95_high"].get<double>() - mean),
              (cap["ci95_high"].get<double>() - mean) * 2.0, 1e-9 * mean);  // sqrt(R + 1) = 2
}

}  // namespace
}  // namespace servesim

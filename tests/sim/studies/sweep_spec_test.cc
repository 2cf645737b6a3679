// Sweep files: grid and zip expansion order, located errors in the sweep file and in the values
// it puts into the scenario.
#include "sim/studies/sweep_spec.h"

#include <gtest/gtest.h>

#include "sim/config/input_error.h"
#include "sim/config/scenario.h"
#include "tests/sim/studies/study_test_util.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

using testing::ScratchDirTest;

class SweepSpecTest : public ScratchDirTest {
 protected:
  void SetUp() override {
    ScratchDirTest::SetUp();
    Write("base.yaml", testing::kSmallScenario);
  }
  SweepSpec Parse(const std::string& text) {
    return ParseSweepSpec(ConfigNode::LoadString(text, (dir_ / "sw.yaml").string()));
  }
  std::string ErrorOf(const std::string& text) {
    try {
      const SweepSpec spec = Parse(text);
      std::vector<int64_t> all;
      for (int64_t i = 0; i < spec.NumPoints(); ++i) all.push_back(i);
      ValidateSweepPoints(spec, all);
    } catch (const InputError& e) {
      std::string what = e.what();
      const std::string prefix = dir_.string() + "/";
      if (what.rfind(prefix, 0) == 0) what = what.substr(prefix.size());
      return what;
    }
    return "no error";
  }
  static std::string Describe(const SweepPoint& p) {
    std::string s;
    for (const Override& o : p.overrides) s += o.key + "=" + o.value + " ";
    return s;
  }
};

TEST_F(SweepSpecTest, GridIsAProductWithTheLastKeyFastest) {
  const SweepSpec spec = Parse(
      "base: base.yaml\n"
      "set: {workload.num_requests: 20}\n"
      "grid:\n"
      "  engine.max_num_seqs: [8, 16]\n"
      "  workload.arrival.rate: [1, 2, 3]\n");
  ASSERT_EQ(spec.NumPoints(), 6);
  EXPECT_EQ(spec.InputKeys(),
            (std::vector<std::string>{"workload.num_requests", "engine.max_num_seqs",
                                      "workload.arrival.rate"}));
  EXPECT_EQ(Describe(PointAt(spec, 0)),
            "workload.num_requests=20 engine.max_num_seqs=8 workload.arrival.rate=1 ");
  EXPECT_EQ(Describe(PointAt(spec, 1)),
            "workload.num_requests=20 engine.max_num_seqs=8 workload.arrival.rate=2 ");
  EXPECT_EQ(Describe(PointAt(spec, 3)),
            "workload.num_requests=20 engine.max_num_seqs=16 workload.arrival.rate=1 ");
  EXPECT_EQ(Describe(PointAt(spec, 5)),
            "workload.num_requests=20 engine.max_num_seqs=16 workload.arrival.rate=3 ");
  EXPECT_EQ(PointAt(spec, 5).index, 5);
}

TEST_F(SweepSpecTest, ZipVariesTogetherAndMultipliesTheGrid) {
  const SweepSpec spec = Parse(
      "base: base.yaml\n"
      "grid: {engine.max_num_seqs: [8, 16]}\n"
      "zip:\n"
      "  workload.input_tokens: [100, {dist: uniform, min: 1, max: 9}, 300]\n"
      "  workload.output_tokens: [10, 20, 30]\n");
  ASSERT_EQ(spec.NumPoints(), 6);
  EXPECT_EQ(Describe(PointAt(spec, 1)),
            "engine.max_num_seqs=8 workload.input_tokens={dist: uniform, min: 1, max: 9} "
            "workload.output_tokens=20 ");
  EXPECT_EQ(Describe(PointAt(spec, 5)),
            "engine.max_num_seqs=16 workload.input_tokens=300 workload.output_tokens=30 ");
  // Each value is located at its place in the sweep file.
  EXPECT_EQ(PointAt(spec, 5).overrides[1].origin, (dir_ / "sw.yaml").string() + ":4:65");
}

TEST_F(SweepSpecTest, NoAxesIsOnePoint) {
  const SweepSpec spec = Parse("base: base.yaml\n");
  EXPECT_EQ(spec.NumPoints(), 1);
  EXPECT_TRUE(PointAt(spec, 0).overrides.empty());
  EXPECT_EQ(ParseScenario(PointDocument(spec, PointAt(spec, 0)), std::nullopt).name, "small");
}

TEST_F(SweepSpecTest, ErrorsInTheSweepFileAreLocated) {
  EXPECT_EQ(ErrorOf("base: base.yaml\ngird: {a.b: [1]}\n"),
            "sw.yaml:2:1: gird: unknown key (did you mean 'grid'?)");
  EXPECT_EQ(ErrorOf("grid: {a.b: [1]}\n"), "sw.yaml:1:1: base: missing required key");
  EXPECT_EQ(ErrorOf("base: nothere.yaml\n"), "sw.yaml:1:7: base: cannot open scenario file '" +
                                                 (dir_ / "nothere.yaml").string() + "'");
  EXPECT_EQ(ErrorOf("base: base.yaml\ngrid: {engine.max_num_seqs: 8}\n"),
            "sw.yaml:2:29: grid.engine.max_num_seqs: expected a list of values (write a single "
            "value under set:)");
  EXPECT_EQ(ErrorOf("base: base.yaml\ngrid: {engine.max_num_seqs: []}\n"),
            "sw.yaml:2:29: grid.engine.max_num_seqs: expected a non-empty list of values");
  EXPECT_EQ(ErrorOf("base: base.yaml\nzip:\n  seed: [1, 2]\n  engine.max_num_seqs: [8]\n"),
            "sw.yaml:4:24: zip.engine.max_num_seqs: zip lists must have equal lengths: 1 values "
            "here, 2 in 'seed'");
  EXPECT_EQ(ErrorOf("base: base.yaml\nset: {seed: 1}\ngrid: {seed: [1, 2]}\n"),
            "sw.yaml:3:14: grid.seed: 'seed' is already swept or set at " +
                (dir_ / "sw.yaml").string() + ":2:13");
  EXPECT_EQ(ErrorOf("base: base.yaml\ngrid: {engine..x: [1]}\n"),
            "sw.yaml:2:19: grid.engine..x: expected a dotted scenario key such as "
            "engine.max_num_seqs");
  // A block scalar becomes one quoted string ("a\nb\n"): no line break reaches the results.
  EXPECT_EQ(ErrorOf("base: base.yaml\nset:\n  workload.input_tokens: |\n    a\n    b\n"),
            "sw.yaml:3:26: workload.input_tokens: expected an integer, got 'a\nb\n'");
}

TEST_F(SweepSpecTest, ScenarioErrorsPointAtTheSweptValue) {
  EXPECT_EQ(ErrorOf("base: base.yaml\ngrid:\n  engine.max_num_seqs: [8, -3]\n"),
            "sw.yaml:3:28: engine.max_num_seqs: must be in [1, 1000000], got -3");
  EXPECT_EQ(ErrorOf("base: base.yaml\ngrid:\n  engine.max_num_seq: [8]\n"),
            "sw.yaml:3:24: engine.max_num_seq: unknown key (did you mean 'max_num_seqs'?)");
  EXPECT_EQ(ErrorOf("base: base.yaml\nset: {model.name: x}\n"),
            "sw.yaml:2:19: model.name: 'model' is a single value, not a mapping");
}

TEST_F(SweepSpecTest, FlowYamlKeepsQuotedScalarsStrings) {
  EXPECT_EQ(FlowYaml(YAML::Load("'128'")), "\"128\"");
  EXPECT_EQ(FlowYaml(YAML::Load("128")), "128");
  EXPECT_EQ(FlowYaml(YAML::Load("{a: 1, b: [x, y]}")), "{a: 1, b: [x, y]}");
}

}  // namespace
}  // namespace servesim

// Sweeps end to end: results are identical for any thread count, after a kill and --resume, and
// after sharding and merging; the output directory refuses to mix sweeps.
#include "sim/studies/sweep_runner.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "sim/config/input_error.h"
#include "sim/studies/merge.h"
#include "tests/sim/studies/study_test_util.h"

namespace servesim {
namespace {

using testing::ScratchDirTest;
using testing::Slurp;
namespace fs = std::filesystem;

const char* kSweep =
    "base: base.yaml\n"
    "set: {slo.ttft_ms: 500}\n"
    "grid:\n"
    "  engine.max_num_seqs: [16, 64]\n"
    "  workload.arrival.rate: [4, 8, 16]\n"
    "zip:\n"
    "  workload.input_tokens: [256, {dist: uniform, min: 64, max: 512}]\n"
    "  workload.output_tokens: [32, 64]\n";

class SweepRunTest : public ScratchDirTest {
 protected:
  void SetUp() override {
    ScratchDirTest::SetUp();
    Write("base.yaml", testing::kSmallScenario);
    sweep_ = Write("sw.yaml", kSweep);
  }
  SweepReport Run(const std::string& out, int jobs, bool resume = false, ShardSpec shard = {}) {
    SweepOptions o;
    o.sweep_path = sweep_.string();
    o.out_dir = (dir_ / out).string();
    o.jobs = jobs;
    o.resume = resume;
    o.shard = shard;
    o.progress = false;
    std::ostringstream err;
    return RunSweep(o, err);
  }
  void ExpectSameResults(const std::string& a, const std::string& b) {
    for (const char* f : {"results.csv", "results.jsonl"}) {
      EXPECT_EQ(Slurp(dir_ / a / f), Slurp(dir_ / b / f)) << f << " of " << a << " vs " << b;
    }
  }
  fs::path sweep_;
};

TEST_F(SweepRunTest, WritesOneRowPerPointWithInputsAndMetrics) {
  const SweepReport r = Run("out", 2);
  EXPECT_EQ(r.num_points, 12);
  EXPECT_EQ(r.computed, 12);
  std::istringstream csv(Slurp(dir_ / "out/results.csv"));
  std::string header, line;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("point,slo.ttft_ms,engine.max_num_seqs,workload.arrival.rate,"
                         "workload.input_tokens,workload.output_tokens,completed,",
                         0),
            0u)
      << header;
  std::getline(csv, line);
  EXPECT_EQ(line.rfind("0,500,16,4,256,32,80,", 0), 0u) << line;
  std::istringstream jsonl(Slurp(dir_ / "out/results.jsonl"));
  int n = 0;
  while (std::getline(jsonl, line)) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["point"], n);
    EXPECT_TRUE(j["metrics"].contains("p99_ttft_ms"));
    EXPECT_EQ(j["inputs"]["workload.input_tokens"].is_object(), n % 2 == 1);
    ++n;
  }
  EXPECT_EQ(n, 12);
  const auto manifest = nlohmann::json::parse(Slurp(dir_ / "out/sweep.json"));
  EXPECT_EQ(manifest["servesim_version"], SERVESIM_VERSION);
  EXPECT_EQ(manifest["num_points"], 12);
  EXPECT_EQ(manifest["shard"], "0/1");
}

TEST_F(SweepRunTest, ResultsAreIdenticalForOneAndTwoThreads) {
  Run("j1", 1);
  Run("j2", 2);
  Run("j5", 5);
  ExpectSameResults("j1", "j2");
  ExpectSameResults("j1", "j5");
}

TEST_F(SweepRunTest, ResumeAfterAKillMidLineEqualsAnUninterruptedRun) {
  Run("full", 2);
  const std::string csv = Slurp(dir_ / "full/results.csv");
  const std::string jsonl = Slurp(dir_ / "full/results.jsonl");
  // A kill between the two writes of a row: the JSON line of point 5 is complete, its CSV row
  // and everything after are cut mid-line.
  const size_t jsonl_cut = [&] {
    size_t pos = 0;
    for (int i = 0; i < 6; ++i) pos = jsonl.find('\n', pos) + 1;
    return pos + 40;
  }();
  const size_t csv_cut = [&] {
    size_t pos = 0;
    for (int i = 0; i < 6; ++i) pos = csv.find('\n', pos) + 1;  // header + points 0..4
    return pos + 17;
  }();
  fs::create_directories(dir_ / "killed");
  fs::copy_file(dir_ / "full/sweep.json", dir_ / "killed/sweep.json");
  testing::Spit(dir_ / "killed/results.csv", csv.substr(0, csv_cut));
  testing::Spit(dir_ / "killed/results.jsonl", jsonl.substr(0, jsonl_cut));
  const SweepReport r = Run("killed", 2, /*resume=*/true);
  EXPECT_EQ(r.reused, 5);
  EXPECT_EQ(r.computed, 7);
  ExpectSameResults("full", "killed");
  // Resuming a complete directory computes nothing and changes nothing.
  EXPECT_EQ(Run("killed", 2, true).computed, 0);
  ExpectSameResults("full", "killed");
}

TEST_F(SweepRunTest, ResumeOfAFreshDirectoryRunsEverything) {
  EXPECT_EQ(Run("fresh", 2, /*resume=*/true).computed, 12);
  ExpectSameResults("fresh", "fresh");
}

TEST_F(SweepRunTest, ExistingResultsAreNotOverwrittenOrMixed) {
  Run("out", 2);
  try {
    Run("out", 2);
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              (dir_ / "out").string() +
                  ": already holds sweep results; pass --resume to continue them, or choose "
                  "another --out");
  }
  Write("sw.yaml", std::string(kSweep) + "  workload.num_requests: [40, 50]\n");
  EXPECT_THROW(Run("out", 2, true), InputError);  // another sweep: refused
  EXPECT_THROW(Run("out", 2, true, ShardSpec{1, 2}), InputError);
}

TEST_F(SweepRunTest, ShardsMergeIntoTheUnshardedResults) {
  Run("all", 2);
  for (int64_t i = 0; i < 3; ++i) {
    const SweepReport r = Run("shard" + std::to_string(i), 1, false, ShardSpec{i, 3});
    EXPECT_EQ(r.shard_points, 4);
  }
  const MergeReport m = MergeSweeps(
      {(dir_ / "shard2").string(), (dir_ / "shard0").string(), (dir_ / "shard1").string()},
      (dir_ / "merged").string());
  EXPECT_EQ(m.num_points, 12);
  ExpectSameResults("all", "merged");
  EXPECT_EQ(Slurp(dir_ / "all/sweep.json"), Slurp(dir_ / "merged/sweep.json"));
}

TEST_F(SweepRunTest, MergeReportsMissingAndDuplicatedPoints) {
  Run("s0", 1, false, ShardSpec{0, 3});
  Run("s1", 1, false, ShardSpec{1, 3});
  const std::string s0 = (dir_ / "s0").string(), s1 = (dir_ / "s1").string();
  const std::string out = (dir_ / "m").string();
  try {
    MergeSweeps({s0, s1}, out);
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "merge: 4 of 12 points missing: 2, 5, 8, 11 (rerun their shards with --resume, "
              "then merge again)");
  }
  try {
    MergeSweeps({s0, s1, s1}, out);
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "merge: point 1 is in both " + s1 + " and " + s1);
  }
  EXPECT_FALSE(fs::exists(dir_ / "m"));
}

TEST(SweepShardTest, ParsesAndRejects) {
  EXPECT_EQ(ParseShard("2/8").index, 2);
  EXPECT_EQ(ParseShard("2/8").count, 8);
  EXPECT_TRUE(ParseShard("1/3").Contains(7));
  EXPECT_FALSE(ParseShard("1/3").Contains(6));
  const auto error = [](const std::string& text) {
    try {
      ParseShard(text);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error("3/3"), "--shard 3/3: need 0 <= i < N (shards are numbered from 0)");
  EXPECT_EQ(error("1-3"), "--shard 1-3: expected i/N, e.g. 0/4");
  EXPECT_EQ(error("a/3"), "--shard a/3: expected i/N with integers, e.g. 0/4");
}

TEST_F(SweepRunTest, CommandLineSweepAndMerge) {
  const std::string out = (dir_ / "cli").string();
  auto o = Servesim("sweep " + sweep_.string() + " -j 2 --quiet --out " + out);
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.err, "");
  o = Servesim("sweep " + sweep_.string() + " --out " + out);
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("already holds sweep results"), std::string::npos) << o.err;
  o = Servesim("sweep " + sweep_.string() + " --shard 0/2 --quiet --out " + out + "0");
  ASSERT_EQ(o.code, 0) << o.err;
  o = Servesim("merge " + out + "0 --out " + out + "m");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("merge: 6 of 12 points missing: 1, 3, 5"), std::string::npos) << o.err;
  o = Servesim("sweep " + sweep_.string() + " --shard 1/2 --out " + out + "1");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.err.find("6/6 points done"), std::string::npos) << o.err;
  o = Servesim("merge " + out + "0 " + out + "1 --out " + out + "m");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(Slurp(out + "/results.csv"), Slurp(out + "m/results.csv"));
}

TEST_F(SweepRunTest, BadFlagsAreRejected) {
  auto o = Servesim("sweep " + sweep_.string() + " -j 0");
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err, "servesim: error: -j 0: must be in [1, 4096]\n");
  o = Servesim("sweep " + sweep_.string() + " --shard 2/2");
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err, "servesim: error: --shard 2/2: need 0 <= i < N (shards are numbered from 0)\n");
  o = Servesim("merge --out " + (dir_ / "m").string());
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("servesim merge: need DIR... and --out DIR"), std::string::npos) << o.err;
}

// The example sweep files in configs/sweeps/ stay valid and quick.
class SweepExamplesTest : public ScratchDirTest {};

TEST_F(SweepExamplesTest, EveryExampleSweepRuns) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(fs::path(SERVESIM_SOURCE_DIR) / "configs/sweeps")) {
    if (e.path().extension() != ".yaml") continue;
    SweepOptions o;
    o.sweep_path = e.path().string();
    o.out_dir = (dir_ / e.path().stem()).string();
    o.jobs = 2;
    o.progress = false;
    std::ostringstream err;
    const SweepReport r = RunSweep(o, err);
    EXPECT_EQ(r.computed, r.num_points) << e.path();
    EXPECT_GT(r.num_points, 1) << e.path();
    ++n;
  }
  EXPECT_GE(n, 2);
}

}  // namespace
}  // namespace servesim

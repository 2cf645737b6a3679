// Sweeps on batch systems: the shard taken from Slurm's and Kubernetes' environment
// (--shard auto), the emitted Slurm job directory (--emit-slurm), run here task by task as Slurm
// would run it, and the installed layout the job directory relies on. (tests/slurm/ runs the same
// job directory on a real one-node Slurm.)
#include "sim/studies/slurm_job.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "sim/config/input_error.h"
#include "sim/studies/shard_env.h"
#include "tests/sim/studies/study_test_util.h"
#include "tests/util/binary_test.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;
using test_util::Outcome;
using test_util::Slurp;

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string ErrorOf(const EnvLookup& env, std::optional<int64_t> shards) {
  try {
    ShardFromEnvironment(env, shards);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(ShardFromEnvironmentTest, SlurmArrayFromZero) {
  const AutoShard a = ShardFromEnvironment(Env({{"SLURM_ARRAY_TASK_ID", "3"},
                                                {"SLURM_ARRAY_TASK_COUNT", "16"},
                                                {"SLURM_ARRAY_TASK_MIN", "0"},
                                                {"SLURM_ARRAY_TASK_MAX", "15"}}),
                                           std::nullopt);
  EXPECT_EQ(a.shard.index, 3);
  EXPECT_EQ(a.shard.count, 16);
  EXPECT_EQ(a.source, "SLURM_ARRAY_TASK_ID=3 (an array of 16 tasks from 0 step 1)");
}

TEST(ShardFromEnvironmentTest, SlurmArrayWithOffsetAndStepIsNumberedFromZero) {
  // --array=10-18:4 -> task ids 10, 14, 18 = shards 0, 1, 2 of 3.
  const auto env = [](const std::string& id) {
    return Env({{"SLURM_ARRAY_TASK_ID", id},
                {"SLURM_ARRAY_TASK_MIN", "10"},
                {"SLURM_ARRAY_TASK_MAX", "18"},
                {"SLURM_ARRAY_TASK_STEP", "4"},
                {"SLURM_ARRAY_TASK_COUNT", "3"}});
  };
  EXPECT_EQ(ShardFromEnvironment(env("10"), std::nullopt).shard.ToString(), "0/3");
  EXPECT_EQ(ShardFromEnvironment(env("14"), std::nullopt).shard.ToString(), "1/3");
  EXPECT_EQ(ShardFromEnvironment(env("18"), std::nullopt).shard.ToString(), "2/3");
  EXPECT_NE(ErrorOf(env("12"), std::nullopt).find("not on the array's range 10..18 step 4"),
            std::string::npos);
}

TEST(ShardFromEnvironmentTest, SlurmCountFromMinMaxWhenCountIsAbsent) {
  const AutoShard a = ShardFromEnvironment(Env({{"SLURM_ARRAY_TASK_ID", "5"},
                                                {"SLURM_ARRAY_TASK_MIN", "1"},
                                                {"SLURM_ARRAY_TASK_MAX", "8"}}),
                                           std::nullopt);
  EXPECT_EQ(a.shard.ToString(), "4/8");
}

TEST(ShardFromEnvironmentTest, RefusesSparseArraysAndMismatchedShards) {
  // --array=1,4,9: COUNT 3 but MIN..MAX spans 9.
  EXPECT_NE(ErrorOf(Env({{"SLURM_ARRAY_TASK_ID", "4"},
                         {"SLURM_ARRAY_TASK_MIN", "1"},
                         {"SLURM_ARRAY_TASK_MAX", "9"},
                         {"SLURM_ARRAY_TASK_COUNT", "3"}}),
                    std::nullopt)
                .find("sparse array"),
            std::string::npos);
  const auto env = Env({{"SLURM_ARRAY_TASK_ID", "0"}, {"SLURM_ARRAY_TASK_COUNT", "4"}});
  EXPECT_EQ(ShardFromEnvironment(env, 8).shard.ToString(), "0/8");  // --shards: the id is the shard
  EXPECT_NE(ErrorOf(Env({{"SLURM_ARRAY_TASK_ID", "8"}, {"SLURM_ARRAY_TASK_COUNT", "9"}}), 8)
                .find("SLURM_ARRAY_TASK_ID=8 is not a shard (0..7)"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Env({{"SLURM_ARRAY_TASK_ID", "0"}}), std::nullopt).find("not a job array"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf(Env({{"SLURM_ARRAY_TASK_ID", "x1"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}), std::nullopt)
          .find("SLURM_ARRAY_TASK_ID='x1': expected a whole number"),
      std::string::npos);
  EXPECT_NE(
      ErrorOf(Env({{"SLURM_ARRAY_TASK_ID", "4"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}), std::nullopt)
          .find("task 4 of an array of 4"),
      std::string::npos);
}

TEST(ShardFromEnvironmentTest, KubernetesIndexedJobNeedsShards) {
  const auto env = Env({{"JOB_COMPLETION_INDEX", "7"}});
  const AutoShard a = ShardFromEnvironment(env, 16);
  EXPECT_EQ(a.shard.ToString(), "7/16");
  EXPECT_EQ(a.source, "JOB_COMPLETION_INDEX=7 (--shards 16)");
  EXPECT_NE(ErrorOf(env, std::nullopt).find("pass --shards N"), std::string::npos);
  EXPECT_NE(ErrorOf(env, 7).find("must be below 7"), std::string::npos);
}

TEST(ShardFromEnvironmentTest, RefusesNoBatchSystemAndBoth) {
  EXPECT_NE(ErrorOf(Env({}), 4).find("neither SLURM_ARRAY_TASK_ID"), std::string::npos);
  EXPECT_NE(ErrorOf(Env({{"SLURM_ARRAY_TASK_ID", "0"},
                         {"SLURM_ARRAY_TASK_COUNT", "2"},
                         {"JOB_COMPLETION_INDEX", "1"}}),
                    2)
                .find("both"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Env({{"JOB_COMPLETION_INDEX", "0"}}), 0).find("--shards 0: must be in"),
            std::string::npos);
}

TEST(ShellQuoteTest, QuotesOnlyWhatTheShellWouldSplitOrExpand) {
  EXPECT_EQ(ShellQuote("/a/b-c_d.yaml"), "/a/b-c_d.yaml");
  EXPECT_EQ(ShellQuote("/a b/$x"), "'/a b/$x'");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote(""), "''");
}

TEST(SlurmJobScriptsTest, ArrayMergeAndSubmitAgree) {
  SlurmJobOptions o;
  o.shards = 4;
  o.cpus_per_task = 8;
  o.sbatch_options = {"partition=cpu", "time=02:00:00"};
  const SlurmJobScripts s =
      MakeSlurmJobScripts(o, "/scratch/job", "/home/u/sweeps/big.yaml", "big", 10);
  for (const char* line :
       {"#SBATCH --job-name=servesim-big\n", "#SBATCH --array=0-3\n", "#SBATCH --cpus-per-task=8\n",
        "#SBATCH --output=/scratch/job/logs/sweep-%A_%a.out\n",
        "#SBATCH --partition=cpu\n#SBATCH --time=02:00:00\n",
        "exec /scratch/job/bin/servesim sweep /home/u/sweeps/big.yaml --shard auto --shards 4 ",
        "--resume --out /scratch/job/results/shard-\"$SLURM_ARRAY_TASK_ID\"\n",
        "task i runs shard i: points i, i+4, ... (3 at most, of 10)\n"}) {
    EXPECT_NE(s.sweep_sbatch.find(line), std::string::npos) << line << "\n" << s.sweep_sbatch;
  }
  EXPECT_NE(s.merge_sbatch.find("for ((i = 0; i < 4; i++)); do shards+=(/scratch/job/results/"
                                "shard-\"$i\"); done\n"),
            std::string::npos)
      << s.merge_sbatch;
  EXPECT_NE(s.merge_sbatch.find("--out /scratch/job/results/merged\n"), std::string::npos);
  EXPECT_NE(s.submit_sh.find("--dependency=afterok:\"$array\" merge.sbatch"), std::string::npos);
  // Every #SBATCH line comes before the first command, or sbatch ignores it.
  for (const std::string* text : {&s.sweep_sbatch, &s.merge_sbatch}) {
    EXPECT_LT(text->rfind("#SBATCH"), text->find("set -euo pipefail")) << *text;
  }
}

const char* kSweep =
    "base: base.yaml\n"
    "grid:\n"
    "  engine.max_num_seqs: [16, 64]\n"
    "  workload.arrival.rate: [4, 8, 12]\n";

class SlurmJobTest : public test_util::BinaryTest {
 protected:
  void SetUp() override {
    BinaryTest::SetUp();
    Write("base.yaml", testing::kSmallScenario);
    sweep_ = Write("sw.yaml", kSweep).string();
  }
  // Runs `command` in bash with `env` prepended (as Slurm would export it).
  int Bash(const std::string& env, const fs::path& script) {
    const std::string cmd = "cd " + dir_.string() + " && env " + env + " bash " + script.string() +
                            " >>" + (dir_ / "bash.log").string() + " 2>&1";
    return WEXITSTATUS(std::system(cmd.c_str()));
  }
  std::string sweep_;
};

TEST_F(SlurmJobTest, EmittedJobRunTaskByTaskMatchesALocalRun) {
  const Outcome e =
      Run("sweep " + sweep_ + " --emit-slurm " + (dir_ / "job").string() + " --shards 3 -j 1");
  ASSERT_EQ(e.code, 0) << e.err;
  EXPECT_NE(e.out.find("Slurm job for 6 points in 3 tasks of -j 1"), std::string::npos) << e.out;
  for (const char* f : {"bin/servesim", "sweep.sbatch", "merge.sbatch", "submit.sh"}) {
    EXPECT_EQ(fs::status(dir_ / "job" / f).permissions() & fs::perms::owner_exec,
              fs::perms::owner_exec)
        << f;
  }
  EXPECT_TRUE(fs::is_regular_file(dir_ / "job/share/servesim/configs/models/llama-3.1-8b.yaml"));
  EXPECT_TRUE(fs::is_directory(dir_ / "job/logs"));
  // Tasks 0 and 2 of --array=0-2 run; task 1 "failed" and is resubmitted alone (--array=1),
  // whose environment describes an array of one task.
  for (int i : {0, 2}) {
    const std::string env = "SLURM_ARRAY_TASK_ID=" + std::to_string(i) +
                            " SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_MAX=2 "
                            "SLURM_ARRAY_TASK_COUNT=3 SLURM_CPUS_PER_TASK=1";
    ASSERT_EQ(Bash(env, dir_ / "job/sweep.sbatch"), 0) << Slurp(dir_ / "bash.log");
  }
  ASSERT_EQ(Bash("SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=1 "
                 "SLURM_ARRAY_TASK_COUNT=1 SLURM_CPUS_PER_TASK=1",
                 dir_ / "job/sweep.sbatch"),
            0)
      << Slurp(dir_ / "bash.log");
  ASSERT_EQ(Bash("", dir_ / "job/merge.sbatch"), 0) << Slurp(dir_ / "bash.log");
  EXPECT_NE(
      Slurp(dir_ / "bash.log").find("sweep: shard 1/3 from SLURM_ARRAY_TASK_ID=1 (--shards 3)"),
      std::string::npos);
  const Outcome local = Run("sweep " + sweep_ + " -j 2 --quiet --out " + (dir_ / "local").string());
  ASSERT_EQ(local.code, 0) << local.err;
  for (const char* f : {"results.csv", "results.jsonl"}) {
    EXPECT_EQ(Slurp(dir_ / "job/results/merged" / f), Slurp(dir_ / "local" / f)) << f;
  }
}

TEST_F(SlurmJobTest, RefusesBadRequestsAndWritesNothing) {
  const std::string job = (dir_ / "job").string();
  struct Case {
    std::string args, message;
  };
  const std::vector<Case> cases = {
      {"--emit-slurm " + job, "--emit-slurm needs --shards N"},
      {"--emit-slurm " + job + " --shards 7", "--shards 7: must be in [1, 6]"},
      {"--emit-slurm " + job + " --shards 2 --sbatch array=0-9", "servesim writes --array itself"},
      {"--emit-slurm " + job + " --shards 2 --sbatch '--time=1:00'", "expected KEY=VALUE"},
      {"--emit-slurm " + job + " --shards 2 --resume", "--resume does not apply"},
      {"--emit-slurm '" + (dir_ / "a b").string() + "' --shards 2", "may not contain blanks"},
      {"--shards 2", "--shards N applies only with --shard auto"},
      {"--sbatch partition=x", "--sbatch applies only with --emit-slurm"},
  };
  for (const Case& c : cases) {
    const Outcome o = Run("sweep " + sweep_ + " " + c.args);
    EXPECT_EQ(o.code, 2) << c.args;
    EXPECT_NE(o.err.find(c.message), std::string::npos) << c.args << "\n" << o.err;
    EXPECT_FALSE(fs::exists(dir_ / "job")) << c.args;
    EXPECT_FALSE(fs::exists(dir_ / "a b")) << c.args;
  }
  // An existing non-empty directory is never overwritten.
  fs::create_directories(dir_ / "job");
  Write("job/keep.txt", "mine");
  const Outcome o = Run("sweep " + sweep_ + " --emit-slurm " + job + " --shards 2");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("already exists and is not an empty directory"), std::string::npos);
  EXPECT_EQ(Slurp(dir_ / "job/keep.txt"), "mine");
  EXPECT_FALSE(fs::exists(dir_ / "job/sweep.sbatch"));
}

TEST_F(SlurmJobTest, ShardAutoOutsideABatchJobIsRefused) {
  const Outcome o = Run("sweep " + sweep_ + " --shard auto --shards 2");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("neither SLURM_ARRAY_TASK_ID"), std::string::npos) << o.err;
}

TEST_F(SlurmJobTest, KubernetesIndexSelectsTheShardAndTheDefaultDirectory) {
  const std::string cmd = "cd " + dir_.string() + " && JOB_COMPLETION_INDEX=1 " + SERVESIM_BINARY +
                          " sweep " + sweep_ + " --shard auto --shards 2 -j 1 >out.txt 2>err.txt";
  ASSERT_EQ(WEXITSTATUS(std::system(cmd.c_str())), 0) << Slurp(dir_ / "err.txt");
  EXPECT_NE(
      Slurp(dir_ / "err.txt").find("sweep: shard 1/2 from JOB_COMPLETION_INDEX=1 (--shards 2)"),
      std::string::npos);
  // A shard's default directory is per shard: shards sharing a directory never collide.
  EXPECT_NE(Slurp(dir_ / "out.txt").find("results in sweep-out/sw/shard-1"), std::string::npos);
  const std::string csv = Slurp(dir_ / "sweep-out/sw/shard-1/results.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 3);  // header + points 1, 3, 5
}

TEST_F(SlurmJobTest, InstalledBinaryFindsItsZooWithoutTheSourceTree) {
  // <prefix>/bin/servesim with <prefix>/share/servesim/configs: a model that exists only there.
  fs::create_directories(dir_ / "prefix/bin");
  fs::copy_file(SERVESIM_BINARY, dir_ / "prefix/bin/servesim");
  fs::create_directories(dir_ / "prefix/share/servesim/configs/models");
  fs::copy(fs::path(SERVESIM_SOURCE_DIR) / "configs/hardware",
           dir_ / "prefix/share/servesim/configs/hardware", fs::copy_options::recursive);
  std::string model = Slurp(fs::path(SERVESIM_SOURCE_DIR) / "configs/models/llama-3.1-8b.yaml");
  model.replace(model.find("name: llama-3.1-8b"), 18, "name: only-installed");
  Write("prefix/share/servesim/configs/models/only-installed.yaml", model);
  Write("s.yaml", std::string(testing::kSmallScenario)
                      .replace(std::string(testing::kSmallScenario).find("llama-3.1-8b"), 12,
                               "only-installed"));
  const std::string cmd = (dir_ / "prefix/bin/servesim").string() + " run " +
                          (dir_ / "s.yaml").string() + " --quiet --json - >" +
                          (dir_ / "out.json").string() + " 2>" + (dir_ / "err.txt").string();
  EXPECT_EQ(WEXITSTATUS(std::system(cmd.c_str())), 0) << Slurp(dir_ / "err.txt");
  // The source tree's binary does not know it; SERVESIM_CONFIG_DIR points anywhere.
  EXPECT_EQ(Run("run " + (dir_ / "s.yaml").string() + " --quiet").code, 2);
  const std::string env_cmd =
      "SERVESIM_CONFIG_DIR=" + (dir_ / "prefix/share/servesim/configs").string() + " " +
      SERVESIM_BINARY + " run " + (dir_ / "s.yaml").string() + " --quiet >/dev/null 2>&1";
  EXPECT_EQ(WEXITSTATUS(std::system(env_cmd.c_str())), 0);
  const std::string bad = "SERVESIM_CONFIG_DIR=/nonexistent " + std::string(SERVESIM_BINARY) +
                          " run " + (dir_ / "s.yaml").string() + " --quiet 2>" +
                          (dir_ / "err.txt").string();
  EXPECT_EQ(WEXITSTATUS(std::system(bad.c_str())), 2);
  EXPECT_NE(Slurp(dir_ / "err.txt")
                .find("SERVESIM_CONFIG_DIR=/nonexistent: not a zoo directory: no models/*.yaml"),
            std::string::npos);
  // The source tree's root is not a zoo (its configs/ is): refused before any output.
  const std::string root_cmd = std::string(SERVESIM_BINARY) + " --config-root " +
                               SERVESIM_SOURCE_DIR + " models >" + (dir_ / "out.txt").string() +
                               " 2>" + (dir_ / "err.txt").string();
  EXPECT_EQ(WEXITSTATUS(std::system(root_cmd.c_str())), 2);
  EXPECT_EQ(Slurp(dir_ / "out.txt"), "");
  EXPECT_NE(Slurp(dir_ / "err.txt").find("not a zoo directory: no models/*.yaml"),
            std::string::npos);
}

}  // namespace
}  // namespace servesim

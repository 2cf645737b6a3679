// `servesim collectives`: the table, Markdown, the fit, and its usage errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "sim/cli/commands.h"
#include "sim/config/input_error.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

class CollectiveCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (fs::path(::testing::TempDir()) / "servesim_collectives_cmd.csv").string();
    std::ofstream(path_)
        << "cluster,collective,num_gpus,gpus_per_node,nodes,size_field,time_ms_median\n"
        << "h100_dgx,all_reduce,8,8,1,67108864,0.322\n"
        << "h100_dgx,send_recv,2,1,2,2048,0.017\n"
        << "a100_pairwise_nvlink,all_reduce,2,2,1,2048,0.007\n";
  }
  void TearDown() override { fs::remove(path_); }

  std::string Run(std::vector<std::string> args) {
    std::ostringstream out;
    EXPECT_EQ(CommandCollectives(args, out), 0);
    return out.str();
  }

  std::string path_;
};

TEST_F(CollectiveCommandTest, PrintsTheErrorTable) {
  const std::string out = Run({"--reference", path_});
  EXPECT_NE(out.find("3 rows, 2 priced; skipped 1 rows of a100_pairwise_nvlink (no servesim "
                     "topology)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("collective  gpu            span     size"), std::string::npos) << out;
  EXPECT_NE(out.find("all_reduce  h100-sxm-80gb  1 node   16-256 MiB        1"), std::string::npos)
      << out;
  EXPECT_NE(out.find("send_recv   h100-sxm-80gb  2 nodes  <64 KiB"), std::string::npos) << out;
}

TEST_F(CollectiveCommandTest, MarkdownAndFit) {
  const std::string out = Run({"--reference", path_, "--markdown", "--fit"});
  EXPECT_NE(out.find("| collective | GPU | span | size | rows | median abs error | max abs error "
                     "| bias |\n|---|---|---|---|---:|---:|---:|---:|\n| all_reduce | "
                     "h100-sxm-80gb | 1 node | 16-256 MiB | 1 |"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("least-squares fit"), std::string::npos) << out;
}

TEST_F(CollectiveCommandTest, UsageErrors) {
  std::ostringstream out;
  try {
    CommandCollectives({"--reference", "/no/such.csv"}, out);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "/no/such.csv: cannot open file");
  }
  try {
    CommandCollectives({"--markdwn"}, out);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(
        std::string(e.what()).rfind("servesim collectives: unrecognised option '--markdwn'", 0), 0u)
        << e.what();
  }
}

}  // namespace
}  // namespace servesim

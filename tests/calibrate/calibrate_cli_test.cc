// servesim-calibrate's command line: usage and input errors with exact messages (exit code 2 from
// the binary), a CPU calibration and a projection written as profiles.
#include "calibrate/calibrate_cli.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "calibrate/profile_io.h"
#include "sim/config/input_error.h"
#include "sim/config/zoo.h"
#include "sim/report/build_info.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

const std::string kTiny = ConfigRoot() + "/test-models/tiny-llama-test.yaml";
// Grid flags small enough for a sub-second CPU calibration.
const std::vector<std::string> kSmall = {
    "--tokens",       "1,16,64", "--prefill-chunks", "1,64",   "--prefill-contexts", "0,128",
    "--decode-seqs",  "1,4",     "--decode-kv",      "16,256", "--copy-bytes",       "4194304",
    "--step-prefill", "0,32",    "--step-decode",    "0,2",    "--step-kv",          "64",
    "--warmup",       "0",       "--repeats",        "1"};

std::string ErrorOf(std::vector<std::string> args) {
  std::ostringstream out;
  try {
    RunCalibrateCli(args, out);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

std::vector<std::string> With(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(CalibrateCliTest, InputErrorsNameTheFlag) {
  const std::vector<std::string> base = {"--model", kTiny, "--backend", "cpu", "--out", "/tmp/x"};
  EXPECT_EQ(ErrorOf({"--model", kTiny, "--out", "x.json"}),
            "servesim-calibrate: missing --backend\n" + CalibrateUsage());
  EXPECT_EQ(ErrorOf({"--model", "llama-3.1-8c", "--backend", "cpu", "--out", "x"}).substr(0, 48),
            "--model: unknown model 'llama-3.1-8c'; known: fa");
  EXPECT_NE(ErrorOf({"--model", "llama-3.1-8c", "--backend", "cpu", "--out", "x"})
                .find("(did you mean 'llama-3.1-8b'?)"),
            std::string::npos);
  EXPECT_EQ(ErrorOf({"--model", kTiny, "--backend", "cuda", "--out", "x"}),
            "--backend: this build has no CUDA backend (configure with -DSERVESIM_WITH_CUDA=ON on "
            "a machine with the CUDA toolkit)");
  EXPECT_EQ(ErrorOf({"--model", kTiny, "--backend", "cpx", "--out", "x"}),
            "--backend: unknown backend 'cpx'; this build has: cpu (did you mean 'cpu'?)");
  EXPECT_EQ(ErrorOf(With(base, {"--precision", "fp8"})),
            "--precision: the cpu backend measures bf16 and fp16 only (it computes in fp32)");
  EXPECT_EQ(ErrorOf(With(base, {"--precision", "bf17"})),
            "--precision: must be one of bf16, fp16, fp8, got 'bf17' (did you mean 'bf16'?)");
  EXPECT_EQ(ErrorOf(With(base, {"--tp", "9"})),
            "--tp: must divide the model's 8 attention heads, got 9");
  EXPECT_EQ(ErrorOf(With(base, {"--tp", "2000"})), "--tp: must be in [1, 1024], got 2000");
  // Issue 13: tp 3 passed the old range check and aborted on an internal check. It is now refused
  // by the rules `servesim run` applies to parallel.tp.
  EXPECT_EQ(ErrorOf({"--model", "llama-3.1-8b", "--backend", "cpu", "--out", "x", "--tp", "3"}),
            "--tp: must divide the model's 32 attention heads, got 3");
  EXPECT_EQ(ErrorOf({"--model", "llama-3.1-8b", "--backend", "cpu", "--out", "x", "--tp", "12"}),
            "--tp: must divide the model's 32 attention heads, got 12");
  EXPECT_EQ(ErrorOf(With(base, {"--tokens", "1,8,4"})),
            "--tokens: values must increase strictly, got 4 after 8");
  EXPECT_EQ(ErrorOf(With(base, {"--decode-kv", "16,x"})),
            "--decode-kv: 'x' is not an integer (expected a list like 1,2,4)");
  EXPECT_EQ(ErrorOf(With(base, {"--decode-kv", "4096"})),
            "--decode-kv: 4096 is out of range [1, 2048]");
  EXPECT_EQ(ErrorOf({"--model", "mixtral-8x7b", "--backend", "cpu", "--out", "x"}),
            "--model: mixtral-8x7b is a mixture-of-experts model; servesim-calibrate measures "
            "dense models only");
  EXPECT_EQ(ErrorOf({"--model", "gpt-j-6b", "--backend", "cpu", "--out", "x"}),
            "--model: gpt-j-6b has a plain (GELU) MLP; servesim-calibrate measures gated (SwiGLU) "
            "MLPs only");
  EXPECT_EQ(ErrorOf(With(base, {"--gpu", "h100"})).substr(0, 32),
            "--gpu: unknown GPU 'h100'; known");
}

TEST(CalibrateCliTest, VersionIsTheProjects) {
  std::ostringstream out;
  EXPECT_EQ(RunCalibrateCli({"--version"}, out), 0);
  EXPECT_EQ(out.str(),
            std::string("servesim-calibrate ") + SERVESIM_VERSION + " (git " + GitCommit() + ")\n");
}

TEST(CalibrateCliTest, CalibratesThenProjects) {
  const fs::path dir =
      fs::temp_directory_path() / ("servesim_calibrate_cli_test_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string measured = (dir / "cpu.json").string(),
                    projected = (dir / "h200.json").string();
  std::ostringstream out;
  EXPECT_EQ(
      RunCalibrateCli(
          With({"--model", kTiny, "--backend", "cpu", "--out", measured, "--quiet"}, kSmall), out),
      0);
  EXPECT_EQ(out.str(), "");
  const CalibrationProfile p = LoadProfile(measured);
  EXPECT_EQ(p.Find(CalOp::kGemmQkv)->grid[0], (std::vector<double>{1, 16, 64}));
  EXPECT_EQ(p.provenance.command_line.substr(0, 27), "servesim-calibrate --model ");
  std::ostringstream summary;
  RunCalibrateCli({"summary", measured}, summary);
  EXPECT_EQ(summary.str().substr(0, 8 + measured.size()), "profile " + measured);
  EXPECT_NE(summary.str().find("\ngemm.qkv "), std::string::npos);
  EXPECT_NE(summary.str().find("whole-step check (2 layers, 3 steps)"), std::string::npos);

  EXPECT_EQ(
      ErrorOf({"project", measured, "--to", "h200-sxm-141gb", "--out", projected}),
      "--model: unknown model 'tiny-llama-test'; known: " +
          ErrorOf({"--model", "tiny-llama-test", "--backend", "cpu", "--out", "x"}).substr(49));
  std::ostringstream pout;
  RunCalibrateCli(
      {"project", measured, "--to", "h200-sxm-141gb", "--out", projected, "--model", kTiny}, pout);
  const CalibrationProfile q = LoadProfile(projected);
  EXPECT_EQ(q.hardware, "h200-sxm-141gb");
  EXPECT_EQ(q.projected->source_profile, measured);
  EXPECT_NE(pout.str().find("note: the source profile's peaks were measured"), std::string::npos);

  // Projection prices the same ops as calibration: a plain (GELU) MLP copy is refused.
  fs::create_directories(dir / "plain");
  const fs::path plain = dir / "plain" / "tiny-llama-test.yaml";
  {
    std::ifstream in(kTiny);
    std::ofstream o(plain);
    o << in.rdbuf() << "\nmlp: plain\n";
  }
  EXPECT_EQ(ErrorOf({"project", measured, "--to", "h200-sxm-141gb", "--out", projected, "--model",
                     plain.string()}),
            "--model: tiny-llama-test has a plain (GELU) MLP; servesim-calibrate measures gated "
            "(SwiGLU) MLPs only");
  fs::remove_all(dir);
}

TEST(CalibrateCliTest, BinaryExitsWithTwoOnBadInput) {
  const fs::path err =
      fs::temp_directory_path() / ("servesim_calibrate_stderr_" + std::to_string(getpid()));
  const std::string cmd = std::string(SERVESIM_CALIBRATE_BINARY) + " --model " + kTiny +
                          " --backend cpu --out /tmp/x.json --tp 0 2>" + err.string();
  const int status = std::system(cmd.c_str());
  EXPECT_EQ(WEXITSTATUS(status), 2);
  std::ifstream in(err);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "servesim-calibrate: error: --tp: must be in [1, 1024], got 0\n");
  fs::remove(err);
}

}  // namespace
}  // namespace servesim

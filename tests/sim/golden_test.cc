// Golden runs: every configs/scenarios/NAME.yaml with a tests/golden/NAME.json must reproduce that
// JSON byte for byte. An intended change of results regenerates them with
// scripts/update_goldens.sh in the same commit, with the reason in the message.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/config/input_error.h"
#include "sim/config/scenario.h"
#include "sim/runner.h"
#include "tests/util/missing_data.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, ScenarioReproducesItsGoldenJson) {
  const fs::path root = SERVESIM_SOURCE_DIR;
  const fs::path scenario = root / "configs/scenarios" / (GetParam() + ".yaml");
  Scenario s;
  try {
    s = LoadScenario(scenario.string(), {});
  } catch (const InputError& e) {
    const std::string what = e.what();
    if (what.find("cannot open trace") != std::string::npos) {
      SERVESIM_SKIP_OR_FAIL_IN_CI("trace not available (run scripts/download_traces.sh): " + what);
    }
    throw;
  }
  const std::string json = RunJson(RunScenario(s).summary).dump(2) + "\n";
  const std::string golden = ReadFile(root / "tests/golden" / (GetParam() + ".json"));
  if (json == golden) return;
  // Show the first differing line rather than two whole documents.
  std::istringstream a(json), b(golden);
  std::string la, lb;
  int line = 0;
  while (true) {
    const bool more_a = static_cast<bool>(std::getline(a, la));
    const bool more_b = static_cast<bool>(std::getline(b, lb));
    ++line;
    if (!more_a && !more_b) break;
    if (la != lb || more_a != more_b) break;
  }
  ADD_FAILURE() << "results of " << scenario << " changed at line " << line << ":\n  now:    " << la
                << "\n  golden: " << lb
                << "\nif intended, run scripts/update_goldens.sh and say why in the commit";
}

std::vector<std::string> GoldenNames() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(fs::path(SERVESIM_SOURCE_DIR) / "tests/golden")) {
    if (e.path().extension() == ".json") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param;
  for (char& c : n) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Scenarios, GoldenTest, ::testing::ValuesIn(GoldenNames()), TestName);

TEST(GoldenSetTest, EveryExampleScenarioHasAGolden) {
  const fs::path root = SERVESIM_SOURCE_DIR;
  for (const auto& e : fs::directory_iterator(root / "configs/scenarios")) {
    if (e.path().extension() != ".yaml") continue;
    EXPECT_TRUE(fs::exists(root / "tests/golden" / (e.path().stem().string() + ".json")))
        << e.path() << " has no golden output";
  }
}

}  // namespace
}  // namespace servesim

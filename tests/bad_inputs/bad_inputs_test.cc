// The bad-input table (tests/bad_inputs/cases.yaml): every row is a servesim command line that
// must fail with exit code 2, print exactly the row's message on stderr (plus the usage text for
// usage errors), print nothing on stdout, and write nothing: the test's scratch directory, where
// every output flag of the table points, and tests/bad_inputs/files/ must be unchanged.
#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "sim/cli/commands.h"
#include "tests/util/binary_test.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

const fs::path kRoot = SERVESIM_SOURCE_DIR;
const char* kFiles = "tests/bad_inputs/files";  // relative to kRoot, as messages show it

struct BadInputCase {
  std::string name;
  std::string args;     // after "servesim"; {files} and {tmp} are substituted
  std::string message;  // stderr after "servesim: error: "; same substitutions
  bool usage = false;   // the usage text follows the message
};

void PrintTo(const BadInputCase& c, std::ostream* os) { *os << c.name << ": servesim " << c.args; }

std::vector<BadInputCase> LoadCases() {
  std::vector<BadInputCase> cases;
  for (const YAML::Node& row : YAML::LoadFile((kRoot / "tests/bad_inputs/cases.yaml").string())) {
    BadInputCase c;
    c.name = row["name"].as<std::string>();
    c.args = row["args"].as<std::string>();
    c.message = row["stderr"].as<std::string>();
    c.usage = row["usage"] && row["usage"].as<bool>();
    cases.push_back(c);
  }
  return cases;
}

std::string Substitute(std::string text, const std::string& tmp) {
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"{files}", kFiles},
                                   std::pair<std::string, std::string>{"{tmp}", tmp}}) {
    for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at)) {
      text.replace(at, key.size(), value);
      at += value.size();
    }
  }
  return text;
}

std::set<std::string> Listing(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    names.insert(fs::relative(e.path(), dir).string());
  }
  return names;
}

class BadInputTest : public test_util::BinaryTest,
                     public ::testing::WithParamInterface<BadInputCase> {
 protected:
  void SetUp() override {
    // BinaryTest's directory name would hold the '/' of a parameterized test's name.
    dir_ = fs::temp_directory_path() /
           ("servesim_bad_inputs_" + GetParam().name + "_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    cwd_ = fs::current_path();
    fs::current_path(kRoot);  // the table's paths and messages are relative to the source tree
  }
  void TearDown() override {
    fs::current_path(cwd_);
    BinaryTest::TearDown();
  }
  fs::path cwd_;
};

TEST_P(BadInputTest, FailsWithExitCode2TheExactMessageAndNoOutput) {
  const BadInputCase& c = GetParam();
  const std::set<std::string> files_before = Listing(kRoot / kFiles);
  const test_util::Outcome o = Run(Substitute(c.args, dir_.string()));
  EXPECT_EQ(o.code, 2) << c.args;
  std::string expected = "servesim: error: " + Substitute(c.message, dir_.string()) + "\n";
  if (c.usage) expected += UsageText() + "\n";
  EXPECT_EQ(o.err, expected);
  EXPECT_EQ(o.out, "");
  // Run() itself writes only these two; anything else is output a failing command left behind.
  EXPECT_EQ(Listing(dir_), (std::set<std::string>{"stderr", "stdout"}));
  EXPECT_EQ(Listing(kRoot / kFiles), files_before);
}

std::string CaseName(const ::testing::TestParamInfo<BadInputCase>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(Table, BadInputTest, ::testing::ValuesIn(LoadCases()), CaseName);

TEST(BadInputTableTest, NamesAreUniqueAndEveryFileIsUsed) {
  const std::vector<BadInputCase> cases = LoadCases();
  std::set<std::string> names;
  std::string all_args;
  for (const BadInputCase& c : cases) {
    EXPECT_TRUE(names.insert(c.name).second) << "duplicate case name " << c.name;
    all_args += c.args + " ";
  }
  EXPECT_GE(cases.size(), 40u);
  // A file nobody runs is a case somebody forgot to write. A file read only through another one
  // (a trace named by a scenario, a sweep's base) counts when that other file is run.
  for (const auto& e : fs::directory_iterator(kRoot / kFiles)) {
    const std::string name = e.path().filename().string();
    bool used = all_args.find("{files}/" + name) != std::string::npos;
    for (const auto& other : fs::directory_iterator(kRoot / kFiles)) {
      if (used) break;
      std::ifstream in(other.path());
      const std::string text((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
      used = other.path() != e.path() && text.find(name) != std::string::npos &&
             all_args.find("{files}/" + other.path().filename().string()) != std::string::npos;
    }
    EXPECT_TRUE(used) << name << " is not used by any case of tests/bad_inputs/cases.yaml";
  }
}

}  // namespace
}  // namespace servesim

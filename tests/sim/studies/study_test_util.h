// Helpers shared by the studies tests: a scratch directory per test, file I/O, a small fast
// scenario, the servesim binary, and an XML well-formedness check for the SVG plots.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace servesim::testing {

namespace fs = std::filesystem;

// 80 requests of random lengths at 6 req/s on one H100: a few milliseconds to simulate.
inline const char* kSmallScenario =
    "name: small\n"
    "model: llama-3.1-8b\n"
    "hardware: {gpu: h100-sxm-80gb}\n"
    "workload:\n"
    "  arrival: {process: poisson, rate: 6}\n"
    "  num_requests: 80\n"
    "  input_tokens: {dist: uniform, min: 64, max: 1024}\n"
    "  output_tokens: {dist: uniform, min: 16, max: 256}\n"
    "seed: 3\n";

inline std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void Spit(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

// A fresh directory named after the running test and process (two checkouts' suites running at
// once never share one), removed afterwards.
class ScratchDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / (std::string("servesim_") + info->test_suite_name() + "_" +
                                        info->name() + "_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path Write(const std::string& name, const std::string& text) {
    Spit(dir_ / name, text);
    return dir_ / name;
  }

  struct Outcome {
    int code;
    std::string out;
    std::string err;
  };
  // Runs the servesim binary with `args` (shell syntax).
  Outcome Servesim(const std::string& args) {
    const std::string cmd = std::string(SERVESIM_BINARY) + " " + args + " >" +
                            (dir_ / "stdout").string() + " 2>" + (dir_ / "stderr").string();
    const int status = std::system(cmd.c_str());
    return {WEXITSTATUS(status), Slurp(dir_ / "stdout"), Slurp(dir_ / "stderr")};
  }

  fs::path dir_;
};

// Checks that `text` is well-formed XML: one root element, balanced and properly nested tags,
// quoted attributes, comments / processing instructions / CDATA / DOCTYPE closed. Returns "" or
// what is wrong.
inline std::string XmlProblem(const std::string& text) {
  std::vector<std::string> open;
  int roots = 0;
  for (size_t i = 0; i < text.size();) {
    if (text[i] != '<') {
      const size_t next = text.find('<', i);
      if (open.empty() && text.find_first_not_of(" \t\r\n", i) < std::min(next, text.size())) {
        return "text outside the root element";
      }
      i = next == std::string::npos ? text.size() : next;
      continue;
    }
    const auto skip = [&](const char* start, const char* end) -> int {
      if (text.compare(i, std::strlen(start), start) != 0) return 0;
      const size_t e = text.find(end, i + std::strlen(start));
      if (e == std::string::npos) return -1;
      i = e + std::strlen(end);
      return 1;
    };
    int r;
    if ((r = skip("<!--", "-->")) || (r = skip("<?", "?>")) || (r = skip("<![CDATA[", "]]>")) ||
        (r = skip("<!DOCTYPE", ">"))) {
      if (r < 0) return "unterminated markup at " + std::to_string(i);
      continue;
    }
    size_t end = i + 1;
    char quote = 0;
    for (; end < text.size() && (quote || text[end] != '>'); ++end) {
      if (quote && text[end] == quote)
        quote = 0;
      else if (!quote && (text[end] == '"' || text[end] == '\''))
        quote = text[end];
    }
    if (end >= text.size()) return "unterminated tag at " + std::to_string(i);
    const std::string tag = text.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.empty()) return "empty tag";
    const bool closing = tag[0] == '/', empty = tag.back() == '/';
    const std::string name =
        tag.substr(closing ? 1 : 0, tag.find_first_of(" \t\r\n/", 1) - (closing ? 1 : 0));
    if (closing) {
      if (open.empty() || open.back() != name) return "mismatched </" + name + ">";
      open.pop_back();
    } else if (!empty) {
      if (open.empty()) ++roots;
      open.push_back(name);
    } else if (open.empty()) {
      ++roots;
    }
  }
  if (!open.empty()) return "unclosed <" + open.back() + ">";
  return roots == 1 ? "" : "expected one root element, got " + std::to_string(roots);
}

}  // namespace servesim::testing

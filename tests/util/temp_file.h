// A file with the given contents in the temporary directory, removed when the object goes out of
// scope. Its name carries the running test's name and the process id, so tests running in
// parallel (ctest -j) never share one.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace servesim::test_util {

class TempFile {
 public:
  // `prefix` and `suffix` frame the name: servesim_<prefix>_<test>_<pid><suffix>.
  TempFile(const std::string& contents, const std::string& prefix, const std::string& suffix) {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = (std::filesystem::temp_directory_path() /
             ("servesim_" + prefix + "_" + std::string(test->name()) + "_" +
              std::to_string(getpid()) + suffix))
                .string();
    std::ofstream(path_, std::ios::binary) << contents;
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace servesim::test_util

// Atomic output files: complete content or the old file, never a temporary left behind, and every
// file of a group or none.
#include "sim/report/atomic_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "sim/config/input_error.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("servesim_atomic_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
            std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::set<std::string> Names() {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.insert(e.path().filename().string());
    return names;
  }
  std::string ErrorOf(const std::vector<std::pair<std::string, std::string>>& files) {
    try {
      WriteFilesAtomically(files);
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  }

  fs::path dir_;
};

TEST_F(AtomicFileTest, WritesAndReplacesWithoutLeavingTemporaries) {
  const std::string path = (dir_ / "out.json").string();
  WriteFileAtomically(path, "first\n");
  EXPECT_EQ(Read(path), "first\n");
  WriteFileAtomically(path, std::string(1 << 20, 'x'));
  EXPECT_EQ(Read(path), std::string(1 << 20, 'x'));
  WriteFileAtomically(path, "");
  EXPECT_EQ(Read(path), "");
  EXPECT_EQ(Names(), (std::set<std::string>{"out.json"}));
}

TEST_F(AtomicFileTest, OneUnwritableFileMeansNoneIsWritten) {
  const std::string a = (dir_ / "a.json").string(), b = (dir_ / "missing/b.csv").string();
  EXPECT_EQ(ErrorOf({{a, "a"}, {b, "b"}}), b + ": cannot write file (No such file or directory)");
  EXPECT_EQ(Names(), (std::set<std::string>{}));
}

TEST_F(AtomicFileTest, ADirectoryInTheWayIsRefusedBeforeAnythingIsWritten) {
  const std::string a = (dir_ / "a.json").string(), taken = (dir_ / "taken").string();
  WriteFileAtomically(a, "old");
  fs::create_directories(taken);
  EXPECT_EQ(ErrorOf({{a, "new"}, {taken, "new"}}), taken + ": cannot write file (Is a directory)");
  EXPECT_EQ(Read(a), "old");
  EXPECT_EQ(Names(), (std::set<std::string>{"a.json", "taken"}));
}

TEST_F(AtomicFileTest, AnExistingFileNamedLikeATemporaryIsNotTouched) {
  const std::string path = (dir_ / "out.json").string();
  std::ofstream(path + ".tmp") << "mine";
  WriteFileAtomically(path, "content");
  EXPECT_EQ(Read(path + ".tmp"), "mine");
  EXPECT_EQ(Read(path), "content");
}

TEST_F(AtomicFileTest, ADirectoryIsBuiltAsideAndRenamedOrLeftAsItWas) {
  const std::string out = (dir_ / "out").string();
  const auto fill = [&](const std::string& text) {
    return
        [text](const std::string& staging) { std::ofstream(fs::path(staging) / "f.txt") << text; };
  };
  WriteDirectoryAtomically(out + "/", fill("one"));  // absent: created
  EXPECT_EQ(Read(dir_ / "out/f.txt"), "one");
  WriteDirectoryAtomically(out, fill("two"));  // present: replaced
  EXPECT_EQ(Read(dir_ / "out/f.txt"), "two");
  EXPECT_THROW(WriteDirectoryAtomically(out,
                                        [](const std::string& staging) {
                                          std::ofstream(fs::path(staging) / "f.txt") << "three";
                                          throw InputError("fill failed");
                                        }),
               InputError);
  EXPECT_EQ(Read(dir_ / "out/f.txt"), "two");        // a failed fill changes nothing
  EXPECT_EQ(Names(), std::set<std::string>{"out"});  // and leaves no staging directory
}

}  // namespace
}  // namespace servesim

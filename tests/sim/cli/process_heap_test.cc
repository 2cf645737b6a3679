#include "sim/cli/process_heap.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

namespace servesim {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;  // ASan's allocator ignores glibc's knobs
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

// The VmFlags of every [heap] mapping of this process, one string each.
std::vector<std::string> HeapFlags() {
  std::ifstream smaps("/proc/self/smaps");
  std::vector<std::string> flags;
  std::string line;
  bool in_heap = false;
  while (std::getline(smaps, line)) {
    const size_t dash = line.find('-'), space = line.find(' ');
    if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) &&
        dash != std::string::npos && dash < space) {  // "start-end perms offset dev inode path"
      in_heap = line.size() >= 6 && line.compare(line.size() - 6, 6, "[heap]") == 0;
    } else if (in_heap && line.rfind("VmFlags:", 0) == 0) {
      flags.push_back(line);
    }
  }
  return flags;
}

TEST(ProcessHeapTest, AdvisesTheHeapForHugePagesAndAllocationStillWorks) {
#if !defined(__linux__) || !defined(__GLIBC__)
  GTEST_SKIP() << "the heap is tuned on Linux with glibc only";
#endif
  if (kSanitized) GTEST_SKIP() << "sanitizer allocator";
  if (!std::filesystem::exists("/sys/kernel/mm/transparent_hugepage/enabled")) {
    GTEST_SKIP() << "kernel without transparent huge pages";
  }
  if (std::getenv("SERVESIM_PLAIN_HEAP") != nullptr) GTEST_SKIP() << "SERVESIM_PLAIN_HEAP set";
  TuneProcessHeap();
  bool advised = false;
  for (const std::string& f : HeapFlags()) advised = advised || f.find(" hg") != std::string::npos;
  EXPECT_TRUE(advised) << "no [heap] mapping carries the hg (MADV_HUGEPAGE) flag";
  // Blocks on both sides of the 32 MiB mmap threshold, written and read back.
  for (const size_t n : {size_t{1} << 20, size_t{8} << 20, size_t{40} << 20}) {
    std::vector<uint64_t> v(n / sizeof(uint64_t));
    std::iota(v.begin(), v.end(), uint64_t{1});
    const uint64_t count = v.size();
    EXPECT_EQ(std::accumulate(v.begin(), v.end(), uint64_t{0}), count * (count + 1) / 2);
  }
}

}  // namespace
}  // namespace servesim

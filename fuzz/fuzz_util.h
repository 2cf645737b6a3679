// Helpers shared by the libFuzzer targets in fuzz/: turning the fuzzer's bytes into text, and a
// per-process scratch file for parsers that only read from a path. A target treats InputError as
// the expected outcome of bad input; anything else (a crash, SERVESIM_CHECK, a sanitizer report,
// a leak, a hang) is a bug to fix at the boundary.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace servesim::fuzz {

inline std::string Text(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Lines "#set dotted.key=value" of a YAML document (comments to YAML): --set overrides for the
// scenario target, so that the fuzzer also reaches the override path.
inline std::vector<std::string> SetLines(const std::string& text) {
  std::vector<std::string> sets;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (text.compare(start, 5, "#set ") == 0)
      sets.push_back(text.substr(start + 5, end - start - 5));
    start = end + 1;
  }
  return sets;
}

// A file of this process under /tmp, rewritten with `content` on each call and removed at exit.
// Its name is stable for the process, so messages are too.
inline const char* ScratchFile(const std::string& content) {
  static char path[64] = "";
  if (path[0] == '\0') {
    std::snprintf(path, sizeof(path), "/tmp/servesim_fuzz_%d.csv", static_cast<int>(getpid()));
    std::atexit([] { std::remove(path); });
  }
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  return path;
}

}  // namespace servesim::fuzz

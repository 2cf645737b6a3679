#include "sim/report/atomic_file.h"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "sim/config/input_error.h"

namespace servesim {
namespace {

std::string TempPath(const std::string& path) { return path + ".tmp"; }

// Writes the temporary; false on failure (and nothing left behind).
bool WriteTemp(const std::string& path, const std::string& content) {
  const std::string tmp = TempPath(path);
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) return false;
  out << content;
  out.flush();
  if (out) return true;
  out.close();
  std::remove(tmp.c_str());
  return false;
}

}  // namespace

void WriteFilesAtomically(const std::vector<std::pair<std::string, std::string>>& files) {
  for (size_t i = 0; i < files.size(); ++i) {
    if (WriteTemp(files[i].first, files[i].second)) continue;
    for (size_t j = 0; j < i; ++j) std::remove(TempPath(files[j].first).c_str());
    throw InputError(fmt::format("{}: cannot write file", files[i].first));
  }
  for (const auto& [path, content] : files) {
    std::error_code ec;
    std::filesystem::rename(TempPath(path), path, ec);
    if (ec) {
      std::remove(TempPath(path).c_str());
      throw InputError(fmt::format("{}: cannot write file: {}", path, ec.message()));
    }
  }
}

void WriteFileAtomically(const std::string& path, const std::string& content) {
  WriteFilesAtomically({{path, content}});
}

}  // namespace servesim

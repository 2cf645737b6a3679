#include "sim/report/atomic_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "sim/config/input_error.h"

namespace servesim {
namespace {

// A temporary beside `path` (same directory, so the rename cannot cross file systems) whose name
// no other writer uses: the process id and a per-process counter keep two concurrent writers of
// the same target (two sweeps, two threads) from sharing one.
std::string TempPath(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return fmt::format("{}.tmp.{}.{}", path, static_cast<int64_t>(getpid()), counter++);
}

// Writes `content` to a new file `tmp` and flushes it to disk; returns 0 or the errno of the
// failure (and then nothing is left behind).
int WriteTemp(const std::string& tmp, const std::string& content) {
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) return errno;
  int error = 0;
  for (size_t done = 0; done < content.size() && error == 0;) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n >= 0) {
      done += static_cast<size_t>(n);
    } else if (errno != EINTR) {
      error = errno;
    }
  }
  // Data on disk before the rename makes the new name visible: a crash leaves the old file or the
  // whole new one, never an empty one.
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0) std::remove(tmp.c_str());
  return error;
}

[[noreturn]] void ThrowCannotWrite(const std::string& path, const std::string& reason) {
  throw InputError(fmt::format("{}: cannot write file ({})", path, reason));
}

}  // namespace

void WriteFilesAtomically(const std::vector<std::pair<std::string, std::string>>& files) {
  // A directory in the way is the one rename failure that can be foreseen: refuse it before
  // anything is written, so that it cannot strike after an earlier file was renamed.
  for (const auto& file : files) {
    std::error_code ec;
    if (std::filesystem::is_directory(file.first, ec)) {
      ThrowCannotWrite(file.first, std::strerror(EISDIR));
    }
  }
  std::vector<std::string> temps;
  for (const auto& [path, content] : files) {
    temps.push_back(TempPath(path));
    const int error = WriteTemp(temps.back(), content);
    if (error == 0) continue;
    temps.pop_back();
    for (const std::string& t : temps) std::remove(t.c_str());
    ThrowCannotWrite(path, std::strerror(error));
  }
  for (size_t i = 0; i < files.size(); ++i) {
    std::error_code ec;
    std::filesystem::rename(temps[i], files[i].first, ec);
    if (!ec) continue;
    for (size_t j = i; j < files.size(); ++j) std::remove(temps[j].c_str());
    ThrowCannotWrite(files[i].first, ec.message());
  }
}

void WriteFileAtomically(const std::string& path, const std::string& content) {
  WriteFilesAtomically({{path, content}});
}

namespace {

// A sibling of `dir` for staging or retiring: ".NAME.servesim-TAG-PID".
std::filesystem::path Sibling(const std::filesystem::path& dir, const char* tag) {
  return dir.parent_path() / fmt::format(".{}.servesim-{}-{}", dir.filename().string(), tag,
                                         static_cast<long>(getpid()));
}

// Moves the finished `staging` directory to `dir`, replacing what was there.
void Commit(const std::filesystem::path& staging, const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(dir) || (fs::is_directory(dir, ec) && fs::is_empty(dir, ec))) {
    fs::remove(dir, ec);  // an empty directory: nothing to keep
    fs::rename(staging, dir, ec);
    if (ec) {
      throw InputError(fmt::format("{}: cannot create directory ({})", dir.string(), ec.message()));
    }
    return;
  }
  const fs::path old = Sibling(dir, "old");
  fs::remove_all(old, ec);
  fs::rename(dir, old, ec);
  if (ec) throw InputError(fmt::format("{}: cannot replace ({})", dir.string(), ec.message()));
  fs::rename(staging, dir, ec);
  if (ec) {
    std::error_code undo;
    fs::rename(old, dir, undo);
    throw InputError(fmt::format("{}: cannot replace ({})", dir.string(), ec.message()));
  }
  fs::remove_all(old, ec);
}

}  // namespace

void WriteDirectoryAtomically(const std::string& dir_text,
                              const std::function<void(const std::string& staging)>& fill) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(dir_text).lexically_normal();
  if (!dir.has_filename()) dir = dir.parent_path();  // "out/" -> "out"
  std::error_code ec;
  if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
  const fs::path staging = Sibling(dir, "new");
  fs::remove_all(staging, ec);
  if (!ec) fs::create_directory(staging, ec);
  if (ec) {
    throw InputError(fmt::format("{}: cannot create directory ({})", dir_text, ec.message()));
  }
  try {
    fill(staging.string());
    Commit(staging, dir);
  } catch (...) {
    fs::remove_all(staging, ec);
    throw;
  }
}

}  // namespace servesim

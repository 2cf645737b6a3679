// Atomic output files: content is written to a temporary file beside the target (a name of its
// own: "<target>.tmp.<pid>.<n>"), flushed to disk and renamed over the target only when complete,
// so a failed, killed or concurrent run never leaves a torn or partial output. Several files are
// written all-or-nothing as far as the file system allows: every temporary is written before any
// is renamed. Errors read "<path>: cannot write file (<reason>)".
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace servesim {

// Writes `content` to `path` atomically. Throws InputError if the directory is not writable.
void WriteFileAtomically(const std::string& path, const std::string& content);

// Writes each (path, content); if any temporary cannot be written, nothing is renamed and every
// temporary is removed. Throws InputError naming the failing path.
void WriteFilesAtomically(const std::vector<std::pair<std::string, std::string>>& files);

// Builds directory `dir` all or nothing: `fill` writes into a staging sibling
// (".NAME.servesim-new-PID", created empty), which is renamed to `dir` once `fill` returns; an
// existing `dir` is replaced (and put back if the rename fails). When `fill` throws, or the
// rename fails, the staging directory is removed and `dir` is as it was. Errors read
// "<dir>: cannot create directory (<reason>)" or "<dir>: cannot replace (<reason>)".
// REQUIRES: `dir` names a directory by its own path (not "." or "..").
void WriteDirectoryAtomically(const std::string& dir,
                              const std::function<void(const std::string& staging)>& fill);

}  // namespace servesim

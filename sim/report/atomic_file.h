// Atomic output files: content is written to a temporary file beside the target (a name of its
// own: "<target>.tmp.<pid>.<n>"), flushed to disk and renamed over the target only when complete,
// so a failed, killed or concurrent run never leaves a torn or partial output. Several files are
// written all-or-nothing as far as the file system allows: every temporary is written before any
// is renamed. Errors read "<path>: cannot write file (<reason>)".
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace servesim {

// Writes `content` to `path` atomically. Throws InputError if the directory is not writable.
void WriteFileAtomically(const std::string& path, const std::string& content);

// Writes each (path, content); if any temporary cannot be written, nothing is renamed and every
// temporary is removed. Throws InputError naming the failing path.
void WriteFilesAtomically(const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace servesim

// Atomic output files: content is written to a temporary file beside the target and renamed over
// it only when complete, so a failed or killed run never leaves a torn or partial output.
#pragma once

#include <string>

namespace servesim {

// Writes `content` to `path` atomically. Throws InputError if the directory is not writable.
void WriteFileAtomically(const std::string& path, const std::string& content);

}  // namespace servesim

// The build's git commit (`git describe --always --dirty` of the source tree when it was built,
// "unknown" outside a checkout), for `servesim --version`. Kept out of the JSON outputs, whose
// `servesim_version` is the release version only, so that results do not change with commits.
#pragma once

namespace servesim {

const char* GitCommit();

}  // namespace servesim

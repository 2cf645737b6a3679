#include "sim/report/build_info.h"

#include "servesim_build_info.h"  // generated into the build tree by scripts/build_info.cmake

namespace servesim {

const char* GitCommit() { return SERVESIM_GIT_COMMIT; }

}  // namespace servesim

// The per-request record stays compact: a million requests must fit well inside 1 GiB together
// with everything else a run keeps (docs/performance.md).
#include <gtest/gtest.h>

#include "sim/serving/request.h"

namespace servesim {
namespace {

TEST(RequestSizeTest, RecordIsAtMost144Bytes) { EXPECT_LE(sizeof(Request), 144u); }

}  // namespace
}  // namespace servesim

// RunOrdered: runs items 0..n-1 on `jobs` threads and hands each finished item to a consumer on
// the calling thread in index order, so that what the consumer writes is identical for any
// thread count. If an item throws, no new item starts, the items before it are still consumed,
// and its exception is rethrown.
#pragma once

#include <cstdint>
#include <functional>

namespace servesim {

// `compute(i)` runs on a worker thread and may touch only the caller's storage for item i (items
// must be independent, as simulation runs are). `consume(i)` runs on the calling thread, in index
// order, after compute(i) returned; it may read that storage.
void RunOrdered(int64_t n, int jobs, const std::function<void(int64_t)>& compute,
                const std::function<void(int64_t)>& consume);

}  // namespace servesim

// HostPool: random floats (never zero: |x| in [0.1, 1), random sign) handed out in blocks that
// walk through a buffer larger than the last-level cache, so that successive kernel calls read
// memory the previous call did not leave in cache (as in a real step, where each layer reads
// its own weights).
#pragma once

#include <cstdint>
#include <vector>

#include "sim/core/rng.h"

namespace servesim {

class HostPool {
 public:
  // `rotate_bytes`: how much memory successive blocks walk through before reuse.
  HostPool(int64_t rotate_bytes, uint64_t seed, const char* stream);

  // Makes room for blocks of n floats in all (one kernel call) beyond the rotation. Invalidates
  // blocks taken earlier; call before taking a call's blocks.
  void Reserve(int64_t n);
  // A block of n floats (64-byte aligned); contents are random unless a caller wrote to it.
  // REQUIRES: the blocks of one call fit in what Reserve made room for.
  float* Take(int64_t n);
  int64_t SizeFloats() const { return static_cast<int64_t>(data_.size()); }

 private:
  void Fill(size_t from);

  std::vector<float> data_;
  size_t cursor_ = 0;
  int64_t rotate_floats_;
  Rng rng_;
};

// Last-level cache size in bytes (sysconf / sysfs); 32 MiB if unknown.
int64_t LastLevelCacheBytes();

}  // namespace servesim

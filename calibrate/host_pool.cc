#include "calibrate/host_pool.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "sim/core/check.h"

namespace servesim {

HostPool::HostPool(int64_t rotate_bytes, uint64_t seed, const char* stream)
    : rotate_floats_(std::max<int64_t>(rotate_bytes / 4, 1 << 20)), rng_(seed, stream) {
  data_.resize(static_cast<size_t>(rotate_floats_));
  Fill(0);
}

void HostPool::Fill(size_t from) {
  for (size_t i = from; i < data_.size(); ++i) {
    const uint64_t bits = rng_.NextU64();
    const float magnitude = 0.1f + 0.9f * static_cast<float>(bits >> 40) / 16777216.0f;
    data_[i] = (bits & 1) ? magnitude : -magnitude;
  }
}

void HostPool::Reserve(int64_t n) {
  const size_t want = static_cast<size_t>(n + rotate_floats_) + 1024;  // + alignment padding
  if (want <= data_.size()) return;
  const size_t old = data_.size();
  data_.resize(want);
  Fill(old);
  cursor_ = 0;
}

float* HostPool::Take(int64_t n) {
  constexpr size_t kAlign = 16;  // floats: 64 bytes
  const size_t need = (static_cast<size_t>(n) + kAlign - 1) / kAlign * kAlign;
  SERVESIM_CHECK(need <= data_.size());
  if (cursor_ + need > data_.size()) cursor_ = 0;
  float* block = data_.data() + cursor_;
  cursor_ += need;
  return block;
}

// sysfs first: it describes the cache one core sees (sysconf may report a whole socket's L3,
// summed over core complexes, e.g. 320 MiB on a 32 MiB-per-CCX EPYC).
int64_t LastLevelCacheBytes() {
  for (const char* index : {"index3", "index2"}) {
    std::ifstream in(std::string("/sys/devices/system/cpu/cpu0/cache/") + index + "/size");
    int64_t kib = 0;
    if (in >> kib && kib > 0) return kib * 1024;
  }
#ifdef _SC_LEVEL3_CACHE_SIZE
  const long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
  if (l3 > 0) return std::min<int64_t>(l3, int64_t{256} << 20);
#endif
  return int64_t{32} << 20;
}

}  // namespace servesim

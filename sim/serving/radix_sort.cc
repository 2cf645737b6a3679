#include "sim/serving/radix_sort.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "sim/core/check.h"

namespace servesim {
namespace {

// Below this, std::sort beats the histogram passes.
constexpr size_t kSmall = 4096;

}  // namespace

void RadixSortBytes(std::vector<uint64_t>* words, int first_byte) {
  SERVESIM_CHECK(first_byte >= 0 && first_byte < 8);
  if (words->empty()) return;
  std::array<std::array<size_t, 256>, 8> count{};
  for (uint64_t w : *words) {
    for (int d = first_byte; d < 8; ++d) ++count[d][(w >> (8 * d)) & 0xff];
  }
  std::vector<uint64_t> buffer(words->size());
  for (int d = first_byte; d < 8; ++d) {
    if (count[d][((*words)[0] >> (8 * d)) & 0xff] == words->size()) continue;  // all agree
    size_t offset = 0;
    for (size_t& c : count[d]) {
      const size_t n = c;
      c = offset;
      offset += n;
    }
    for (uint64_t w : *words) buffer[count[d][(w >> (8 * d)) & 0xff]++] = w;
    words->swap(buffer);
  }
}

void SortNonNegative(std::vector<double>* values) {
  if (values->size() < kSmall) {
    std::sort(values->begin(), values->end());
    return;
  }
  std::vector<uint64_t> bits(values->size());
  for (size_t i = 0; i < values->size(); ++i) {
    const double v = (*values)[i];
    SERVESIM_CHECK(v >= 0 && !std::signbit(v));
    std::memcpy(&bits[i], &v, sizeof v);
  }
  RadixSortBytes(&bits, 0);
  for (size_t i = 0; i < values->size(); ++i) std::memcpy(&(*values)[i], &bits[i], sizeof(double));
}

}  // namespace servesim

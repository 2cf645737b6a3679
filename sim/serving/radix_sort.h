// Linear-time sorts for the end-of-run statistics of large runs (millions of latencies and
// token-gap samples), where std::sort's n log n dominated. Results are exactly std::sort's.
#pragma once

#include <cstdint>
#include <vector>

namespace servesim {

// Sorts 64-bit words ascending by bytes [first_byte, 8) only, stably (an LSD radix sort that
// skips bytes on which every word agrees). first_byte == 0 sorts by the whole word.
void RadixSortBytes(std::vector<uint64_t>* words, int first_byte);

// Sorts values ascending, exactly as std::sort. REQUIRES: every value >= +0.0 (no NaN, no -0.0):
// their bit patterns then order like the values.
void SortNonNegative(std::vector<double>* values);

}  // namespace servesim

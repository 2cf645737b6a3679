// The per-request CSV: times written from integer nanoseconds are the characters fmt writes for
// the same values as doubles (so the faster writer changed no byte), and the rows' columns.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "sim/core/time.h"
#include "sim/report/summary.h"

namespace servesim {
namespace {

std::string Fixed(SimTime ns, int decimals) {
  std::string s;
  AppendNsFixed(ns, decimals, &s);
  return s;
}

TEST(RequestsCsvTest, IntegerTimesMatchFmtOfTheDoubles) {
  std::mt19937_64 rng(7);
  std::vector<SimTime> values = {0,
                                 1,
                                 9,
                                 999'999,
                                 1'000'000,
                                 999'999'999,
                                 1'000'000'000,
                                 kExactFixedNs - 1,
                                 kExactFixedNs,
                                 kExactFixedNs + 12'345,
                                 int64_t{1} << 60};
  for (int i = 0; i < 200'000; ++i) {
    const int bits = 1 + static_cast<int>(rng() % 52);  // spread over every magnitude
    values.push_back(static_cast<SimTime>(rng() >> (64 - bits)));
  }
  for (const SimTime ns : values) {
    ASSERT_EQ(Fixed(ns, 9), fmt::format("{:.9f}", SimTimeToSeconds(ns))) << ns;
    ASSERT_EQ(Fixed(ns, 6), fmt::format("{:.6f}", SimTimeToMs(ns))) << ns;
  }
}

TEST(RequestsCsvTest, RowsCarryTheStatusAndEmptyCellsForEventsThatDidNotHappen) {
  RequestTable table(3);
  table[0].arrival = 1'500'000'000;
  table[0].scheduled = 1'600'000'000;
  table[0].first_token = 1'750'000'000;
  table[0].finish = 2'750'000'001;
  table[0].input_tokens = 100;
  table[0].output_tokens = 11;
  table[1].arrival = 2;
  table[1].input_tokens = 5;
  table[1].output_tokens = 1;
  table[1].rejected = true;
  table[2].arrival = 3;
  table[2].scheduled = 4;
  table[2].input_tokens = 7;
  table[2].output_tokens = 2;
  table[2].preemptions = 1;
  EXPECT_EQ(RequestsCsv(table),
            "id,arrival_s,scheduled_s,first_token_s,finish_s,input_tokens,output_tokens,"
            "preemptions,ttft_ms,tpot_ms,e2el_ms,status\n"
            "0,1.500000000,1.600000000,1.750000000,2.750000001,100,11,0,250.000000,100.000000,"
            "1250.000001,completed\n"
            "1,0.000000002,,,,5,1,0,,,,rejected\n"
            "2,0.000000003,0.000000004,,,7,2,1,,,,unfinished\n");
}

// The writer sizes its buffer for the longest possible row: the largest times (formatted through
// doubles beyond 2^48 ns), 32-bit counts at their limits, a long status.
TEST(RequestsCsvTest, TheLongestRowsFitAndMatchFmt) {
  constexpr SimTime kMax = std::numeric_limits<SimTime>::max();
  RequestTable table(2);
  for (Request& r : table) {
    r.arrival = 0;
    r.scheduled = kMax - 2;
    r.first_token = kMax - 1;
    r.finish = kMax;
    r.input_tokens = std::numeric_limits<int32_t>::max();
    r.output_tokens = 2;
    r.preemptions = std::numeric_limits<int32_t>::max();
  }
  table[1].finish = -1;  // unfinished: the longest status
  const std::string csv = RequestsCsv(table);
  const std::string first =
      csv.substr(csv.find('\n') + 1, csv.find('\n', csv.find('\n') + 1) - csv.find('\n') - 1);
  const std::string expected = fmt::format(
      "0,0.000000000,{:.9f},{:.9f},{:.9f},2147483647,2,2147483647,{:.6f},{:.6f},{:.6f},"
      "completed",
      SimTimeToSeconds(kMax - 2), SimTimeToSeconds(kMax - 1), SimTimeToSeconds(kMax),
      SimTimeToMs(kMax - 1), SimTimeToMs(1) / 1.0, SimTimeToMs(kMax));
  EXPECT_EQ(first, expected);
  EXPECT_LE(first.size() + 1, 256u);
  EXPECT_NE(csv.find("\n1,0.000000000,"), std::string::npos);
  EXPECT_EQ(csv.back(), '\n');
  EXPECT_NE(csv.find(",,,unfinished\n"), std::string::npos);
}

// The tpot column: doubles written with 6 decimals exactly as fmt does, ties (exact binary halves
// such as 1/128 = 0.0078125) rounded to even, over every magnitude a latency in ms can have.
TEST(RequestsCsvTest, SixDecimalsMatchFmtIncludingTies) {
  std::mt19937_64 rng(11);
  std::vector<double> values = {0,   1e-300, 4.9e-7,      5e-7,        5.1e-7, 0.0078125, 0.0234375,
                                0.5, 1,      123.4567885, 8.999999e12, 9e12,   1e13,      1e300};
  for (int k = 1; k < 4096; k += 2) values.push_back(k / 128.0);  // 1/128 steps: ties
  for (int i = 0; i < 200'000; ++i) {
    const SimTime ns = static_cast<SimTime>(rng() >> (64 - 1 - static_cast<int>(rng() % 50)));
    const int64_t tokens = 2 + static_cast<int64_t>(rng() % 4000);
    values.push_back(SimTimeToMs(ns) / static_cast<double>(tokens - 1));  // as the CSV computes
    values.push_back(std::ldexp(static_cast<double>(rng() >> 11), -static_cast<int>(rng() % 90)));
  }
  for (const double x : values) {
    std::string s;
    AppendFixed6(x, &s);
    ASSERT_EQ(s, fmt::format("{:.6f}", x)) << fmt::format("{:a}", x);
  }
}

}  // namespace
}  // namespace servesim

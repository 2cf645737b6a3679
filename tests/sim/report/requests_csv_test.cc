// The per-request CSV: times written from integer nanoseconds are the characters fmt writes for
// the same values as doubles (so the faster writer changed no byte), and the rows' columns.
#include <fmt/format.h>
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace servesim

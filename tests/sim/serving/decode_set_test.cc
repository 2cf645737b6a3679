#include "sim/serving/decode_set.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "sim/core/rng.h"

namespace servesim {
namespace {

// Naive reference: every member tracked individually, touched every step.
struct NaiveMember {
  int64_t computed;
  int64_t remaining;
};

TEST(DecodeSetTest, MatchesPerRequestReferenceUnderRandomChurn) {
  constexpr int64_t kBlock = 16;
  RequestTable table(400);
  DecodeSet set(&table, kBlock);
  std::map<RequestId, NaiveMember> naive;
  Rng rng(7, "decode_set_test");
  RequestId next = 0;
  uint64_t seq = 1;
  std::vector<RequestId> finished;
  for (int step = 0; step < 3000; ++step) {
    // Join: a random number of new members with random KV lengths and outputs.
    while (next < static_cast<RequestId>(table.size()) && rng.Uniform01() < 0.15) {
      Request& r = table[next];
      r.output_tokens = rng.UniformInt(2, 200);
      r.generated = 1;
      r.computed = rng.UniformInt(1, 3000);
      r.admit_seq = seq++;
      set.Add(next);
      naive[next] = {r.computed, r.output_tokens - r.generated};
      ++next;
    }
    // Leave: occasionally remove the last admitted (as preemption does).
    if (!naive.empty() && rng.Uniform01() < 0.02) {
      const RequestId victim = set.LastAdmitted();
      ASSERT_NE(victim, kNoRequest);
      RequestId expected = naive.begin()->first;
      for (const auto& [id, m] : naive) {
        if (table[id].admit_seq > table[expected].admit_seq) expected = id;
      }
      EXPECT_EQ(victim, expected);
      set.Remove(victim);
      EXPECT_EQ(table[victim].computed, naive[victim].computed);
      EXPECT_EQ(table[victim].output_tokens - table[victim].generated, naive[victim].remaining);
      naive.erase(victim);
    }
    // Aggregates equal the per-request sums.
    int64_t sum = 0, need = 0;
    for (const auto& [id, m] : naive) {
      sum += m.computed;
      need += (m.computed % kBlock == 0) ? 1 : 0;
      EXPECT_EQ(set.ComputedOf(id), m.computed);
    }
    ASSERT_EQ(set.Size(), static_cast<int64_t>(naive.size()));
    ASSERT_EQ(set.SumComputed(), sum);
    ASSERT_EQ(set.NewBlocksNextStep(), need);
    // Advance one step in both.
    finished.clear();
    set.Advance(&finished);
    std::vector<RequestId> naive_finished;
    for (auto it = naive.begin(); it != naive.end();) {
      ++it->second.computed;
      if (--it->second.remaining == 0) {
        naive_finished.push_back(it->first);
        it = naive.erase(it);
      } else {
        ++it;
      }
    }
    std::vector<RequestId> sorted = finished;
    std::sort(sorted.begin(), sorted.end());
    ASSERT_EQ(sorted, naive_finished) << "step " << step;
    for (RequestId id : finished) {
      EXPECT_EQ(table[id].generated, table[id].output_tokens);
      EXPECT_FALSE(table[id].in_decode_set);
    }
  }
  EXPECT_GT(next, 300);  // the test exercised many members
}

TEST(DecodeSetTest, FinishedComeOutInAdmissionOrder) {
  RequestTable table(3);
  DecodeSet set(&table, 16);
  for (RequestId id : {2, 0, 1}) {
    table[id].output_tokens = 3;
    table[id].generated = 1;
    table[id].computed = 10;
    table[id].admit_seq = static_cast<uint64_t>(10 - id);  // 2 admitted first
    set.Add(id);
  }
  std::vector<RequestId> finished;
  set.Advance(&finished);
  EXPECT_TRUE(finished.empty());
  set.Advance(&finished);
  EXPECT_EQ(finished, (std::vector<RequestId>{2, 1, 0}));
  EXPECT_TRUE(set.Empty());
  EXPECT_EQ(table[0].computed, 12);
}

}  // namespace
}  // namespace servesim

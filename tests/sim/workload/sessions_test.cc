// Prefix sharing in the workload: the shared system prompt, multi-turn sessions and the trace's
// session/prefix columns.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "sim/config/input_error.h"
#include "sim/workload/workload.h"
#include "tests/util/workload_yaml.h"

namespace servesim {
namespace {

WorkloadConfig Parse(const std::string& yaml) { return test_util::ParseWorkloadYaml(yaml); }
std::string ErrorOf(const std::string& yaml) { return test_util::WorkloadErrorOf(yaml); }

std::string TempTrace(const std::string& contents) {
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string path =
      (std::filesystem::temp_directory_path() /
       ("servesim_sessions_" + std::string(test->name()) + "_" + std::to_string(getpid()) + ".csv"))
          .string();
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

const std::string kLengths = "  input_tokens: 100\n  output_tokens: 50\n";

TEST(SessionsParseTest, KeysAndDefaults) {
  const WorkloadConfig c = Parse(
      "  arrival: {rate: 2}\n  sessions: {num_sessions: 5, turns: 3, think_time_s: 2}\n"
      "  shared_prefix_tokens: 64\n" +
      kLengths);
  ASSERT_TRUE(c.sessions);
  EXPECT_EQ(c.sessions->num_sessions, 5);  // enough to know when to stop
  EXPECT_EQ(c.sessions->turns->Describe(), "fixed 3");
  EXPECT_EQ(c.sessions->think_time_s, 2.0);
  EXPECT_EQ(c.shared_prefix_tokens, 64);
  const WorkloadConfig d = Parse("  arrival: {rate: 2}\n  num_requests: 3\n" + kLengths);
  EXPECT_FALSE(d.sessions);
  EXPECT_EQ(d.shared_prefix_tokens, 0);
}

TEST(SessionsParseTest, Errors) {
  const std::string open = "  arrival: {rate: 2}\n  num_requests: 9\n";
  EXPECT_EQ(ErrorOf(open + "  sessions: {turn: 3}\n" + kLengths),
            "s.yaml:4:14: workload.sessions.turn: unknown key (did you mean 'turns'?)");
  EXPECT_EQ(ErrorOf(open + "  sessions: {think_time_s: 1}\n" + kLengths),
            "s.yaml:4:13: workload.sessions.turns: missing required key");
  EXPECT_EQ(ErrorOf(open + "  sessions: {turns: 2, num_sessions: 0}\n" + kLengths),
            "s.yaml:4:38: workload.sessions.num_sessions: must be in [1, 1000000000], got 0");
  EXPECT_EQ(ErrorOf(open + "  sessions: {turns: 2, think_time_s: -1}\n" + kLengths),
            "s.yaml:4:38: workload.sessions.think_time_s: must be in [0, 1000000000], got -1");
  EXPECT_EQ(ErrorOf(open + "  shared_prefix_tokens: -5\n" + kLengths),
            "s.yaml:4:25: workload.shared_prefix_tokens: must be in [0, 1000000000], got -5");
  EXPECT_EQ(ErrorOf("  arrival: {rate: 2}\n  sessions: {turns: 2}\n" + kLengths),
            "s.yaml:2:3: workload: needs num_requests or duration_s (or a trace) to know when to "
            "stop");
  const std::string trace = TempTrace("arrival_s,input_tokens,output_tokens,session_id\n0,5,5,1\n");
  EXPECT_EQ(ErrorOf("  trace: {path: " + trace + "}\n  sessions: {turns: 2}\n"),
            "s.yaml:3:13: workload.sessions: not allowed with workload.trace (give the trace a "
            "session_id column instead)");
  const std::string prefixed =
      TempTrace("arrival_s,input_tokens,output_tokens,session_id,prefix_tokens\n0,5,5,,2\n");
  EXPECT_EQ(ErrorOf("  trace: {path: " + prefixed + "}\n  shared_prefix_tokens: 3\n"),
            "s.yaml:3:25: workload.shared_prefix_tokens: not allowed with a trace that has a "
            "prefix_tokens column");
  std::filesystem::remove(trace);
  std::filesystem::remove(prefixed);
}

TEST(SessionsGeneratorTest, ATurnIsThePreviousConversationPlusANewMessage) {
  const WorkloadConfig c = Parse(
      "  arrival: {process: constant, rate: 1}\n"
      "  sessions: {num_sessions: 2, turns: 3, think_time_s: 0.5}\n" +
      kLengths);
  RequestGenerator gen(c, 1);
  const std::optional<RequestSpec> a = gen.NextArrival(), b = gen.NextArrival();
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(gen.NextArrival());  // num_sessions started; their later turns follow completions
  EXPECT_EQ(a->session, 0);
  EXPECT_EQ(b->session, 1);
  EXPECT_EQ(b->arrival, kNsPerSecond);
  EXPECT_EQ(a->input_tokens, 100);
  const std::optional<RequestSpec> a2 = gen.NextTurn(0, 3 * kNsPerSecond);
  ASSERT_TRUE(a2);
  EXPECT_EQ(a2->session, 0);
  EXPECT_EQ(a2->arrival, 3 * kNsPerSecond + kNsPerSecond / 2);  // completion + think time
  EXPECT_EQ(a2->input_tokens, 100 + 50 + 100);
  EXPECT_EQ(a2->output_tokens, 50);
  const std::optional<RequestSpec> a3 = gen.NextTurn(0, 5 * kNsPerSecond);
  ASSERT_TRUE(a3);
  EXPECT_EQ(a3->input_tokens, 250 + 50 + 100);
  EXPECT_FALSE(gen.NextTurn(0, 6 * kNsPerSecond));  // three turns done
  const std::optional<RequestSpec> b2 = gen.NextTurn(1, 2 * kNsPerSecond);
  ASSERT_TRUE(b2);
  EXPECT_EQ(b2->input_tokens, 250);
}

TEST(SessionsGeneratorTest, TheSharedPrefixIsClippedToThePromptOrPrecedesAConversation) {
  const WorkloadConfig c = Parse(
      "  arrival: {rate: 5}\n  num_requests: 200\n  shared_prefix_tokens: 100\n"
      "  input_tokens: {dist: uniform, min: 10, max: 200}\n  output_tokens: 5\n");
  RequestGenerator gen(c, 3);
  int clipped = 0;
  while (std::optional<RequestSpec> r = gen.NextArrival()) {
    EXPECT_EQ(r->prefix_group, 0);
    EXPECT_EQ(r->prefix_tokens, std::min<int64_t>(100, r->input_tokens));
    EXPECT_EQ(r->session, -1);
    clipped += r->input_tokens < 100 ? 1 : 0;
  }
  EXPECT_GT(clipped, 0);
  const WorkloadConfig s = Parse(
      "  arrival: {rate: 5}\n  sessions: {num_sessions: 1, turns: 2}\n"
      "  shared_prefix_tokens: 100\n  input_tokens: 40\n  output_tokens: 5\n");
  RequestGenerator sg(s, 3);
  // In a conversation input_tokens is each new message; the system prompt comes before the first.
  const std::optional<RequestSpec> turn1 = sg.NextArrival();
  EXPECT_EQ(turn1->input_tokens, 100 + 40);
  EXPECT_EQ(turn1->prefix_tokens, 100);
  const std::optional<RequestSpec> turn2 = sg.NextTurn(0, kNsPerSecond);
  ASSERT_TRUE(turn2);
  EXPECT_EQ(turn2->input_tokens, 140 + 5 + 40);
  EXPECT_EQ(turn2->prefix_tokens, 100);
  EXPECT_EQ(turn2->prefix_group, 0);
}

TEST(SessionsGeneratorTest, LimitsEndSessions) {
  const WorkloadConfig c =
      Parse("  arrival: {rate: 1}\n  sessions: {turns: 5}\n  num_requests: 3\n" + kLengths);
  RequestGenerator gen(c, 1);
  ASSERT_TRUE(gen.NextArrival());
  ASSERT_TRUE(gen.NextTurn(0, 1));
  ASSERT_TRUE(gen.NextTurn(0, 2));
  EXPECT_FALSE(gen.NextTurn(0, 3));  // num_requests issued
  EXPECT_FALSE(gen.NextArrival());
  // The engine's context limit: turn 3 would need 400 + 50 tokens.
  const WorkloadConfig d =
      Parse("  arrival: {rate: 1}\n  sessions: {turns: 5}\n  num_requests: 30\n" + kLengths);
  RequestGenerator limited(d, 1);
  limited.SetContextLimit(400, 0);
  ASSERT_TRUE(limited.NextArrival());
  ASSERT_TRUE(limited.NextTurn(0, 1));
  EXPECT_FALSE(limited.NextTurn(0, 2));
}

TEST(SessionsGeneratorTest, ClosedLoopStartsANewSessionPerSlot) {
  const WorkloadConfig c =
      Parse("  concurrency: 2\n  sessions: {num_sessions: 3, turns: 2}\n" + kLengths);
  RequestGenerator gen(c, 1);
  EXPECT_EQ(gen.NextClosedLoop(0, false)->session, 0);
  EXPECT_EQ(gen.NextClosedLoop(0, false)->session, 1);
  EXPECT_EQ(gen.NextTurn(0, 10)->session, 0);
  EXPECT_EQ(gen.NextClosedLoop(20, true)->session, 2);
  EXPECT_FALSE(gen.NextClosedLoop(30, true));
}

TEST(SessionsGeneratorTest, TraceColumnsCarrySessionsAndPrefixes) {
  const std::string path = TempTrace(
      "arrival_s,input_tokens,output_tokens,session_id,prefix_tokens,prefix_id\n"
      "0,100,5,3,64,2\n1,50,5,,0,0\n2,80,5,3,64,2\n");
  const WorkloadConfig c = Parse("  trace: {path: " + path + "}\n");
  RequestGenerator gen(c, 1);
  const std::optional<RequestSpec> a = gen.NextArrival(), b = gen.NextArrival();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->session, 3);
  EXPECT_EQ(a->prefix_group, 2);
  EXPECT_EQ(a->prefix_tokens, 64);
  EXPECT_EQ(b->session, -1);
  EXPECT_EQ(b->prefix_group, -1);
  EXPECT_EQ(b->prefix_tokens, 0);
  std::filesystem::remove(path);
  // Without prefix columns, workload.shared_prefix_tokens applies to every row.
  const std::string plain = TempTrace("arrival_s,input_tokens,output_tokens\n0,100,5\n");
  const WorkloadConfig d = Parse("  trace: {path: " + plain + "}\n  shared_prefix_tokens: 30\n");
  RequestGenerator dg(d, 1);
  EXPECT_EQ(dg.NextArrival()->prefix_tokens, 30);
  std::filesystem::remove(plain);
}

}  // namespace
}  // namespace servesim

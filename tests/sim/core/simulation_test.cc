#include "sim/core/simulation.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/util/event_recorder.h"

namespace servesim {
namespace {

using Recorder = test_util::EventRecorder;

TEST(SimulationTest, NextEventTimeAndInlineAdvance) {
  Simulation sim;
  Recorder r;
  EXPECT_EQ(sim.NextEventTime(), Simulation::kNever);
  sim.ScheduleAt(50, &r, 1);
  sim.ScheduleAt(20, &r, 2);
  EXPECT_EQ(sim.NextEventTime(), 20);
  sim.AdvanceInline(19);  // strictly before the next event
  EXPECT_EQ(sim.Now(), 19);
  EXPECT_EQ(sim.EventsInlined(), 1u);
  sim.Run();
  EXPECT_EQ(r.seen, (std::vector<std::pair<SimTime, uint64_t>>{{20, 2}, {50, 1}}));
  EXPECT_EQ(sim.EventsProcessed(), 2u);
}

TEST(SimulationDeathTest, InlineAdvanceMayNotReachThePendingEventOrGoBack) {
  Simulation sim;
  Recorder r;
  sim.ScheduleAt(20, &r);
  EXPECT_DEATH(sim.AdvanceInline(20), "check failed");
  sim.AdvanceInline(10);
  EXPECT_DEATH(sim.AdvanceInline(5), "check failed");
}

}  // namespace
}  // namespace servesim

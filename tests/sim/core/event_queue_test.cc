#include "sim/core/event_queue.h"

#include <gtest/gtest.h>

#include <vector>

#include "sim/core/simulation.h"
#include "tests/util/event_recorder.h"

namespace servesim {
namespace {

using Recorder = test_util::EventRecorder;

TEST(EventQueueTest, OrdersByTimeThenInsertionFifoOnTies) {
  EventQueue q;
  Recorder r;
  q.Push(30, &r, 1);
  q.Push(10, &r, 2);
  q.Push(30, &r, 3);
  q.Push(10, &r, 4);
  q.Push(20, &r, 5);
  std::vector<uint64_t> order;
  while (!q.Empty()) order.push_back(q.Pop().payload);
  EXPECT_EQ(order, (std::vector<uint64_t>{2, 4, 5, 1, 3}));
}

TEST(EventQueueTest, ManyEqualTimesStayFifo) {
  EventQueue q;
  Recorder r;
  for (uint64_t i = 0; i < 1000; ++i) q.Push(7, &r, i);
  for (uint64_t i = 0; i < 1000; ++i) EXPECT_EQ(q.Pop().payload, i);
}

// A handler that schedules a follow-up at the same time: it runs after events already queued
// for that time (FIFO), and the clock never moves backwards.
class Chain : public EventHandler {
 public:
  explicit Chain(Simulation* sim) : sim_(sim) {}
  void OnEvent(SimTime now, uint64_t payload) override {
    order.push_back(payload);
    EXPECT_EQ(sim_->Now(), now);
    if (payload == 1) sim_->ScheduleAt(now, this, 3);
    if (payload == 3) sim_->ScheduleIn(5, this, 4);
  }
  Simulation* sim_;
  std::vector<uint64_t> order;
};

TEST(SimulationTest, SameTimeFollowUpsRunAfterQueuedEvents) {
  Simulation sim;
  Chain c(&sim);
  sim.ScheduleAt(10, &c, 1);
  sim.ScheduleAt(10, &c, 2);
  sim.Run();
  EXPECT_EQ(c.order, (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(sim.Now(), 15);
  EXPECT_EQ(sim.EventsProcessed(), 4u);
}

TEST(SimulationTest, SchedulingIntoThePastIsABug) {
  Simulation sim;
  Recorder r;
  sim.ScheduleAt(10, &r, 0);
  sim.Run();
  EXPECT_DEATH(sim.ScheduleAt(5, &r, 0), "check failed: at >= now_");
}

}  // namespace
}  // namespace servesim

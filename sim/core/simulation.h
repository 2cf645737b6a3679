// Simulation: the clock and the event loop. Entities schedule events on it and are called back
// in (time, sequence) order. Time never goes backwards; scheduling into the past is a bug.
// Fast-forward: an entity whose own next event would be the very next one to fire (strictly
// before every pending event) may process it inline instead of queueing it; AdvanceInline moves
// the clock there. The order of everything else is unchanged, so results are identical.
#pragma once

#include <cstdint>
#include <limits>

#include "sim/core/event_queue.h"
#include "sim/core/time.h"

namespace servesim {

class Simulation {
 public:
  SimTime Now() const { return now_; }

  // Schedules handler->OnEvent(at, payload). REQUIRES: at >= Now().
  void ScheduleAt(SimTime at, EventHandler* handler, uint64_t payload = 0);
  void ScheduleIn(SimTime delay, EventHandler* handler, uint64_t payload = 0) {
    ScheduleAt(now_ + delay, handler, payload);
  }

  // Runs events until the queue is empty or Stop() is called.
  void Run();
  void Stop() { stopped_ = true; }

  // Time of the earliest pending event; kNever when the queue is empty.
  static constexpr SimTime kNever = std::numeric_limits<SimTime>::max();
  SimTime NextEventTime() const { return queue_.Empty() ? kNever : queue_.Top().time; }
  // Processes an event of the caller's inline at `t`, as if it had been queued and popped.
  // REQUIRES: Now() <= t < NextEventTime().
  void AdvanceInline(SimTime t) {
    SERVESIM_CHECK(t >= now_ && t < NextEventTime());
    now_ = t;
    ++events_inlined_;
  }

  // Events popped from the queue, and events processed inline (fast-forward).
  uint64_t EventsProcessed() const { return events_processed_; }
  uint64_t EventsInlined() const { return events_inlined_; }

 private:
  EventQueue queue_;
  SimTime now_ = 0;
  bool stopped_ = false;
  uint64_t events_processed_ = 0;
  uint64_t events_inlined_ = 0;
};

}  // namespace servesim

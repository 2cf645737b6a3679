// Simulation: the clock and the event loop. Entities schedule events on it and are called back
// in (time, sequence) order. Time never goes backwards; scheduling into the past is a bug.
#pragma once

#include <cstdint>

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

  uint64_t EventsProcessed() const { return events_processed_; }

 private:
  EventQueue queue_;
  SimTime now_ = 0;
  bool stopped_ = false;
  uint64_t events_processed_ = 0;
};

}  // namespace servesim

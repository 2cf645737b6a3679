#include "sim/core/simulation.h"

namespace servesim {

void Simulation::ScheduleAt(SimTime at, EventHandler* handler, uint64_t payload) {
  SERVESIM_CHECK(at >= now_);
  queue_.Push(at, handler, payload);
}

void Simulation::Run() {
  stopped_ = false;
  while (!stopped_ && !queue_.Empty()) {
    Event e = queue_.Pop();
    SERVESIM_CHECK(e.time >= now_);  // time is monotone
    now_ = e.time;
    ++events_processed_;
    e.handler->OnEvent(now_, e.payload);
  }
}

}  // namespace servesim

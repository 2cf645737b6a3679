// EventQueue: pending events ordered by (time, insertion sequence), FIFO among equal times.
// Events carry a handler pointer and a 64-bit payload instead of closures, so scheduling an event
// allocates nothing beyond the heap's own storage. The queue does not own handlers.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/core/time.h"

namespace servesim {

class EventHandler {
 public:
  virtual ~EventHandler() = default;
  // Called when an event scheduled for this handler fires; `now` is the event's time.
  virtual void OnEvent(SimTime now, uint64_t payload) = 0;
};

struct Event {
  SimTime time;
  uint64_t seq;  // insertion order; breaks ties so equal-time events run FIFO
  EventHandler* handler;
  uint64_t payload;
};

class EventQueue {
 public:
  void Push(SimTime time, EventHandler* handler, uint64_t payload);
  // REQUIRES: !Empty().
  Event Pop();
  const Event& Top() const { return heap_.front(); }
  bool Empty() const { return heap_.empty(); }
  size_t Size() const { return heap_.size(); }

 private:
  std::vector<Event> heap_;
  uint64_t next_seq_ = 0;
};

}  // namespace servesim

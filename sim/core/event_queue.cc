#include "sim/core/event_queue.h"

#include <algorithm>

namespace servesim {
namespace {

// std::push_heap builds a max-heap, so "less" means "fires later".
struct FiresLater {
  bool operator()(const Event& a, const Event& b) const {
    if (a.time != b.time) return a.time > b.time;
    return a.seq > b.seq;
  }
};

}  // namespace

void EventQueue::Push(SimTime time, EventHandler* handler, uint64_t payload) {
  SERVESIM_CHECK(handler != nullptr);
  heap_.push_back(Event{time, next_seq_++, handler, payload});
  std::push_heap(heap_.begin(), heap_.end(), FiresLater{});
}

Event EventQueue::Pop() {
  SERVESIM_CHECK(!heap_.empty());
  std::pop_heap(heap_.begin(), heap_.end(), FiresLater{});
  Event e = heap_.back();
  heap_.pop_back();
  return e;
}

}  // namespace servesim

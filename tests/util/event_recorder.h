// An EventHandler that records every event it receives: (time, payload) in delivery order.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "sim/core/simulation.h"

namespace servesim::test_util {

class EventRecorder : public EventHandler {
 public:
  void OnEvent(SimTime now, uint64_t payload) override { seen.emplace_back(now, payload); }
  std::vector<std::pair<SimTime, uint64_t>> seen;
};

}  // namespace servesim::test_util

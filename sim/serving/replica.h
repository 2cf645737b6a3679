// Replica: one model instance (one engine) that runs steps back to back while it has work.
// Each step: the scheduler plans a batch, the StepModel prices it, the replica schedules the
// step's end on the simulation clock, and at that end the scheduler commits it.
#pragma once

#include <cstdint>

#include "models/batch.h"
#include "models/step_model.h"
#include "sim/core/simulation.h"
#include "sim/serving/metrics.h"
#include "sim/serving/scheduler.h"

namespace servesim {

class Replica : public EventHandler {
 public:
  Replica(Simulation* sim, const SchedulerConfig& config, RequestTable* table,
          const StepModel* step_model, Metrics* metrics);

  // Hands a request to this replica's scheduler at the current time.
  void Submit(RequestId id);
  void OnEvent(SimTime now, uint64_t payload) override;

  const Scheduler& scheduler() const { return scheduler_; }

 private:
  enum Payload : uint64_t { kStepEnd = 0, kWake = 1 };
  void StartStep(SimTime now);

  Simulation* sim_;
  Scheduler scheduler_;
  const StepModel* step_model_;
  Metrics* metrics_;
  BatchShape batch_;
  bool busy_ = false;         // a step is running
  bool wake_pending_ = false;  // a kWake event is queued
  SimTime step_duration_ = 0;
};

}  // namespace servesim

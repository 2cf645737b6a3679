#include "sim/serving/replica.h"

#include <algorithm>

namespace servesim {

Replica::Replica(Simulation* sim, const SchedulerConfig& config, RequestTable* table,
                 const StepModel* step_model, Metrics* metrics)
    : sim_(sim), scheduler_(config, table), step_model_(step_model), metrics_(metrics) {}

void Replica::Submit(RequestId id) {
  scheduler_.Enqueue(id);
  if (busy_ || wake_pending_) return;
  // Start on a wake event at the same time rather than now, so that every request arriving at
  // this instant joins the first step (events at equal times run in scheduling order).
  wake_pending_ = true;
  sim_->ScheduleAt(sim_->Now(), this, kWake);
}

void Replica::OnEvent(SimTime now, uint64_t payload) {
  if (payload == kWake) {
    wake_pending_ = false;
    if (!busy_) StartStep(now);
    return;
  }
  scheduler_.Commit(now, step_duration_, metrics_);
  busy_ = false;
  StartStep(now);
}

void Replica::StartStep(SimTime now) {
  if (!scheduler_.Plan(now, &batch_, metrics_)) return;
  const StepCost cost = step_model_->Cost(batch_);
  step_duration_ = std::max<SimTime>(1, SecondsToSimTime(cost.duration_s));
  metrics_->OnStep(now, step_duration_, batch_, cost, scheduler_.Blocks().Used(),
                   scheduler_.Blocks().NumBlocks());
  busy_ = true;
  sim_->ScheduleIn(step_duration_, this, kStepEnd);
}

}  // namespace servesim

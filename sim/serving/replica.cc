#include "sim/serving/replica.h"

#include <algorithm>
#include <string>

#include "sim/core/check.h"

namespace servesim {

Replica::Replica(int index, Simulation* sim, const SchedulerConfig& config, int64_t pp,
                 RequestTable* table, const StepModel* step_model, Metrics* metrics)
    : index_(index),
      sim_(sim),
      step_model_(step_model),
      metrics_(metrics),
      stage_free_(static_cast<size_t>(pp), 0) {
  SERVESIM_CHECK(pp >= 1 && config.num_blocks >= pp);
  SchedulerConfig per_engine = config;
  per_engine.num_blocks = config.num_blocks / pp;  // vLLM splits the cache over virtual engines
  per_engine.host_offload_blocks = config.host_offload_blocks / pp;
  for (int64_t v = 0; v < pp; ++v) {
    // Each engine draws its accepted drafts from its own stream of the run seed.
    per_engine.speculative.stream =
        "speculative/replica" + std::to_string(index) + "/engine" + std::to_string(v);
    engines_.push_back(std::make_unique<Engine>(per_engine, table));
  }
}

Scheduler& Replica::LeastLoadedEngine() {
  size_t best = 0;
  for (size_t v = 1; v < engines_.size(); ++v) {
    const Scheduler& s = engines_[v]->scheduler;
    const Scheduler& b = engines_[best]->scheduler;
    if (s.NumWaiting() + s.NumRunning() < b.NumWaiting() + b.NumRunning()) best = v;
  }
  return engines_[best]->scheduler;
}

void Replica::Submit(RequestId id) {
  const LoadMark mark(this);
  LeastLoadedEngine().Enqueue(id);
  // Launch on a wake event at this same time rather than now, so that every request arriving at
  // this instant joins the first step (events at equal times run in scheduling order).
  ScheduleWake(sim_->Now());
}

void Replica::SubmitPrefilled(RequestId id) {
  const LoadMark mark(this);
  LeastLoadedEngine().EnqueuePrefilled(id);
  ScheduleWake(sim_->Now());
}

void Replica::ScheduleWake(SimTime at) {
  if (wake_at_ >= 0 && wake_at_ <= at) return;  // an earlier or equal wake will look anyway
  wake_at_ = at;
  sim_->ScheduleAt(at, this, kWake);
}

void Replica::OnEvent(SimTime now, uint64_t payload) {
  const LoadMark mark(this);
  if (payload == kWake) {
    if (wake_at_ == now) wake_at_ = -1;
    TryLaunch(now);
    return;
  }
  const size_t v = payload - kFirstEngineDone;
  Complete(now, v, fast_forward_ && engines_[v]->scheduler.InFlightIsPlainDecode());
  TryLaunch(now);
}

void Replica::Complete(SimTime now, size_t v, bool plain) {
  Engine& e = *engines_[v];
  SERVESIM_CHECK(e.in_flight);
  if (plain) {
    e.scheduler.CommitPlainDecode(now, metrics_);
  } else {
    e.scheduler.Commit(now, metrics_);
  }
  e.in_flight = false;
  if (--in_flight_ == 0) metrics_->OnBusy(index_, now - busy_since_);
  ReportKv(now);
  if (on_idle_ && Idle()) on_idle_(now);
}

void Replica::TryLaunch(SimTime now) {
  // Stage 0 takes one micro-batch at a time; engines are tried round robin. With one engine the
  // stage frees when its step completes, and the completion launches the next step itself.
  if (stage_free_[0] > now) {
    if (engines_.size() > 1) ScheduleWake(stage_free_[0]);
    return;
  }
  for (size_t tried = 0; tried < engines_.size(); ++tried) {
    const size_t v = (next_engine_ + tried) % engines_.size();
    if (engines_[v]->in_flight || !Launch(now, v)) continue;
    next_engine_ = (v + 1) % engines_.size();
    if (engines_.size() > 1) ScheduleWake(stage_free_[0]);
    return;
  }
}

bool Replica::Launch(SimTime now, size_t v) {
  Engine& e = *engines_[v];
  if (!(fast_forward_ && e.scheduler.PlanPlainDecode(&e.batch)) &&
      !e.scheduler.Plan(now, &e.batch, metrics_)) {
    return false;
  }
  SimTime done = Start(now, v);
  // With one engine nothing else happens in this replica before the step ends, so when that
  // end comes before every pending event the replica may as well get there at once.
  if (fast_forward_ && engines_.size() == 1) done = RunAhead(done, v);
  if (done >= 0) sim_->ScheduleAt(done, this, kFirstEngineDone + v);
  return true;
}

SimTime Replica::Start(SimTime now, size_t v) {
  Engine& e = *engines_[v];
  const StepCost cost = step_model_->Cost(e.batch);
  const SimTime done = Schedule(now, cost);
  e.in_flight = true;
  if (in_flight_++ == 0) busy_since_ = now;
  metrics_->OnStep(index_, now, done - now, e.batch, cost);
  ReportKv(now);
  if (step_trace_) {
    step_trace_->OnStep(index_, now, done - now, e.batch, KvBlocksUsed(), KvBlocksTotal());
  }
  return done;
}

SimTime Replica::RunAhead(SimTime done, size_t v) {
  Engine& e = *engines_[v];
  // Strictly before the next event: an event at the same time might have been queued first.
  while (done < sim_->NextEventTime()) {
    sim_->AdvanceInline(done);
    const SimTime now = done;
    // Exactly what OnEvent does for this completion (pp == 1: stage 0 is free now, so
    // TryLaunch launches at once), with the O(1) plain-decode forms where they apply.
    const bool plain = e.scheduler.InFlightIsPlainDecode();
    Complete(now, v, plain);
    if (!e.scheduler.PlanPlainDecode(&e.batch) && !e.scheduler.Plan(now, &e.batch, metrics_)) {
      return -1;  // idle until the next submission wakes it
    }
    done = Start(now, v);
  }
  return done;
}

SimTime Replica::Schedule(SimTime now, const StepCost& cost) {
  const size_t pp = stage_free_.size();
  if (pp == 1) {  // one engine: the step occupies the GPUs for its whole duration
    stage_free_[0] = now + std::max<SimTime>(1, SecondsToSimTime(cost.duration_s));
    return stage_free_[0];
  }
  // The host prepares the step, then the micro-batch crosses the stages in order, each stage
  // serving one micro-batch at a time.
  SimTime t = now + SecondsToSimTime(cost.breakdown.host_s);
  for (size_t s = 0; s < pp; ++s) {
    const double stage_s = s + 1 == pp ? cost.last_stage_s : cost.stage_s;
    const SimTime start = std::max(t, stage_free_[s]);
    stage_free_[s] = std::max<SimTime>(start + SecondsToSimTime(stage_s), now + 1);
    t = stage_free_[s] + (s + 1 < pp ? SecondsToSimTime(cost.p2p_s) : 0);
  }
  metrics_->OnStageWork(index_,
                        cost.breakdown.host_s + (pp - 1) * cost.stage_s + cost.last_stage_s);
  return stage_free_[pp - 1];
}

HostTierCounts Replica::HostTier() const {
  HostTierCounts sum;
  for (const auto& e : engines_) {
    const HostTierCounts c = e->scheduler.Blocks().HostCounts();
    sum.offloaded += c.offloaded;
    sum.evictions += c.evictions;
    sum.loads += c.loads;
  }
  return sum;
}

void Replica::ReportKv(SimTime now) {
  metrics_->OnKvUsage(index_, now, KvBlocksUsed(), KvBlocksTotal());
}

int64_t Replica::Outstanding() const {
  int64_t n = 0;
  for (const auto& e : engines_) n += e->scheduler.NumWaiting() + e->scheduler.NumRunning();
  return n;
}

int64_t Replica::KvBlocksUsed() const {
  int64_t n = 0;
  for (const auto& e : engines_) n += e->scheduler.Blocks().Used();
  return n;
}

int64_t Replica::KvBlocksTotal() const {
  int64_t n = 0;
  for (const auto& e : engines_) n += e->scheduler.Blocks().NumBlocks();
  return n;
}

double Replica::KvUsage() const {
  return static_cast<double>(KvBlocksUsed()) / static_cast<double>(KvBlocksTotal());
}

bool Replica::Idle() const {
  for (const auto& e : engines_) {
    if (!e->scheduler.Idle() || e->in_flight) return false;
  }
  return true;
}

}  // namespace servesim

#include "sim/serving/autoscaler.h"

#include <algorithm>
#include <cmath>

#include "sim/core/check.h"

namespace servesim {

const std::vector<std::string>& AutoscalerPolicyNames() {
  static const std::vector<std::string> names = {"queue_depth", "utilization", "schedule"};
  return names;
}

Autoscaler::Autoscaler(const AutoscalerConfig& config, Simulation* sim,
                       std::vector<Replica*> replicas)
    : config_(config),
      sim_(sim),
      replicas_(std::move(replicas)),
      state_(replicas_.size(), State::kOff),
      ready_at_(replicas_.size(), -1) {
  SERVESIM_CHECK(static_cast<int64_t>(replicas_.size()) == config_.max_replicas);
  SERVESIM_CHECK(config_.min_replicas >= 1 && config_.min_replicas <= config_.initial_replicas &&
                 config_.initial_replicas <= config_.max_replicas);
  for (size_t i = 0; i < replicas_.size(); ++i) {
    if (static_cast<int64_t>(i) < config_.initial_replicas) {
      state_[i] = State::kActive;
      ++active_;
    } else {
      replicas_[i]->SetRoutable(false);
    }
    replicas_[i]->SetOnIdle([this, i](SimTime now) { OnReplicaIdle(i, now); });
  }
  timeline_.push_back({0, active_, active_});
}

void Autoscaler::Start() {
  if (config_.policy == AutoscalerPolicy::kSchedule) {
    for (size_t k = 0; k < config_.schedule.size(); ++k) {
      sim_->ScheduleAt(config_.schedule[k].at, this, Payload(kScheduleStep, k));
    }
    return;
  }
  sim_->ScheduleAt(config_.interval, this, Payload(kEvaluate, 0));
}

void Autoscaler::AdvanceIntegral(SimTime now) {
  in_system_integral_ += static_cast<double>(in_system_) * SimTimeToSeconds(now - integral_since_);
  integral_since_ = now;
}

void Autoscaler::OnArrive(SimTime now) {
  AdvanceIntegral(now);
  ++in_system_;
}

void Autoscaler::OnLeave(SimTime now) {
  SERVESIM_CHECK(in_system_ > 0);
  AdvanceIntegral(now);
  --in_system_;
}

void Autoscaler::OnEvent(SimTime now, uint64_t payload) {
  const size_t index = static_cast<size_t>(payload >> 2);
  switch (static_cast<Kind>(payload & 3)) {
    case kEvaluate:
      Evaluate(now);
      // Nothing else pending: no request can arrive or run any more, and the run ends here.
      if (sim_->NextEventTime() != Simulation::kNever) {
        sim_->ScheduleAt(now + config_.interval, this, Payload(kEvaluate, 0));
      }
      break;
    case kReady:
      // A replica whose loading was cancelled (and maybe restarted since) ignores the event.
      if (state_[index] == State::kLoading && ready_at_[index] == now) Activate(index, now);
      break;
    case kScheduleStep:
      ScaleTo(now, config_.schedule[index].replicas, /*allow_down=*/true);
      break;
  }
  Record(now);
  CheckInvariants();
}

int64_t Autoscaler::Recommend(SimTime now) {
  double wanted = 0;
  if (config_.policy == AutoscalerPolicy::kQueueDepth) {
    // The mean number of requests in the system since the last decision.
    AdvanceIntegral(now);
    const double mean = in_system_integral_ / SimTimeToSeconds(config_.interval);
    in_system_integral_ = 0;
    wanted = mean / config_.target_per_replica;
  } else {
    double used = 0;  // KV-cache use summed over the active replicas, now
    for (size_t i = 0; i < replicas_.size(); ++i) {
      if (state_[i] == State::kActive) used += replicas_[i]->KvUsage();
    }
    wanted = used / config_.target_kv_usage;
  }
  // Within the tolerance of what serves now, nothing changes (Kubernetes HPA's tolerance): a
  // load hovering at a boundary between two counts does not start and stop a replica each time.
  const double current = static_cast<double>(active_ + loading_);
  wanted = std::abs(wanted / current - 1) <= config_.tolerance ? current : std::ceil(wanted);
  const double lo = static_cast<double>(config_.min_replicas);
  const double hi = static_cast<double>(config_.max_replicas);
  return static_cast<int64_t>(std::clamp(wanted, lo, hi));
}

void Autoscaler::Evaluate(SimTime now) {
  const int64_t wanted = Recommend(now);
  // Scale up at once; scale down only to the highest recommendation of the last cooldown, so
  // that a short lull does not release replicas the next burst needs.
  recent_.emplace_back(now, wanted);
  while (recent_.front().first <= now - config_.scale_down_cooldown && recent_.size() > 1) {
    recent_.pop_front();
  }
  int64_t down_to = 0;
  for (const auto& [at, n] : recent_) down_to = std::max(down_to, n);
  const int64_t current = active_ + loading_;
  if (wanted > current) {
    ScaleTo(now, wanted, false);
  } else if (down_to < current) {
    ScaleTo(now, down_to, true);
  }
}

void Autoscaler::ScaleTo(SimTime now, int64_t desired, bool allow_down) {
  const int64_t current = active_ + loading_;
  if (desired > current) ScaleUp(now, desired - current);
  if (desired < current && allow_down) ScaleDown(now, current - desired);
}

void Autoscaler::ScaleUp(SimTime now, int64_t n) {
  // A draining replica still holds its weights: it takes requests again at once.
  for (size_t i = 0; i < replicas_.size() && n > 0; ++i) {
    if (state_[i] != State::kDraining) continue;
    --draining_;
    state_[i] = State::kActive;
    ++active_;
    replicas_[i]->SetRoutable(true);
    ++scale_ups_;
    --n;
  }
  for (size_t i = 0; i < replicas_.size() && n > 0; ++i) {
    if (state_[i] != State::kOff) continue;
    state_[i] = State::kLoading;
    ++loading_;
    ready_at_[i] = now + config_.ScaleUpDelay();
    sim_->ScheduleAt(ready_at_[i], this, Payload(kReady, i));
    ++scale_ups_;
    ++cold_starts_;
    --n;
  }
  SERVESIM_CHECK(n == 0);
}

void Autoscaler::ScaleDown(SimTime now, int64_t n) {
  // First cancel the loading replicas that would be ready last (they serve nothing yet) ...
  while (n > 0 && loading_ > 0) {
    size_t pick = replicas_.size();
    for (size_t i = 0; i < replicas_.size(); ++i) {
      if (state_[i] == State::kLoading &&
          (pick == replicas_.size() || ready_at_[i] >= ready_at_[pick])) {
        pick = i;
      }
    }
    state_[pick] = State::kOff;
    --loading_;
    ++scale_downs_;
    --n;
  }
  // ... then drain the active replicas with the fewest requests (ties: the highest index).
  while (n > 0) {
    size_t pick = replicas_.size();
    for (size_t i = 0; i < replicas_.size(); ++i) {
      if (state_[i] == State::kActive &&
          (pick == replicas_.size() ||
           replicas_[i]->Outstanding() <= replicas_[pick]->Outstanding())) {
        pick = i;
      }
    }
    SERVESIM_CHECK(pick < replicas_.size() && active_ > 1);
    state_[pick] = State::kDraining;
    --active_;
    ++draining_;
    replicas_[pick]->SetRoutable(false);
    ++scale_downs_;
    --n;
    if (replicas_[pick]->Idle()) Release(pick, now);
  }
}

void Autoscaler::Activate(size_t i, SimTime /*now*/) {
  state_[i] = State::kActive;
  --loading_;
  ++active_;
  replicas_[i]->SetRoutable(true);
}

void Autoscaler::Release(size_t i, SimTime /*now*/) {
  SERVESIM_CHECK(state_[i] == State::kDraining && replicas_[i]->Idle());
  state_[i] = State::kOff;
  --draining_;
}

void Autoscaler::OnReplicaIdle(size_t i, SimTime now) {
  if (state_[i] != State::kDraining) return;
  Release(i, now);
  Record(now);
}

void Autoscaler::Record(SimTime now) {
  const Point p{now, active_ + loading_ + draining_, active_};
  Point& last = timeline_.back();
  if (last.booked == p.booked && last.active == p.active) return;
  if (last.at == now) {
    last = p;
    // Back where the point before was: the change took no time.
    if (timeline_.size() > 1 && timeline_[timeline_.size() - 2].booked == p.booked &&
        timeline_[timeline_.size() - 2].active == p.active) {
      timeline_.pop_back();
    }
    return;
  }
  timeline_.push_back(p);
}

void Autoscaler::CheckInvariants() const {
  int64_t counts[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < state_.size(); ++i) {
    ++counts[static_cast<int>(state_[i])];
    SERVESIM_CHECK(replicas_[i]->Routable() == (state_[i] == State::kActive));
    SERVESIM_CHECK(state_[i] != State::kOff || replicas_[i]->Idle());
  }
  SERVESIM_CHECK(counts[1] == loading_ && counts[2] == active_ && counts[3] == draining_);
  SERVESIM_CHECK(active_ >= 1 && active_ + loading_ <= config_.max_replicas);
}

double Autoscaler::BookedReplicaSeconds(SimTime from, SimTime to) const {
  double sum = 0;
  for (size_t k = 0; k < timeline_.size(); ++k) {
    const SimTime start = std::max(from, timeline_[k].at);
    const SimTime end = k + 1 < timeline_.size() ? std::min(to, timeline_[k + 1].at) : to;
    if (end > start)
      sum += static_cast<double>(timeline_[k].booked) * SimTimeToSeconds(end - start);
  }
  return sum;
}

}  // namespace servesim

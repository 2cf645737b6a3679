// Autoscaler: decides how many replicas of a colocated pool serve, from the load it observes
// (queue_depth, utilization) or from a fixed schedule, and moves each replica through
// off -> loading -> active -> draining -> off. Only active replicas are routable (Replica::
// Routable). Decisions are simulation events, so fast-forward stays exact. A replica is booked
// (its GPUs are paid for) from the decision that starts it to its release; a draining replica
// finishes what it holds and is released when it runs empty. docs/design.md#autoscaling.
#pragma once

#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "sim/core/simulation.h"
#include "sim/serving/autoscaler_config.h"
#include "sim/serving/replica.h"

namespace servesim {

class Autoscaler : public EventHandler {
 public:
  enum class State { kOff, kLoading, kActive, kDraining };
  // One point of the replica timeline: from `at` on, `booked` replicas hold GPUs (loading,
  // active or draining) of which `active` take new requests.
  struct Point {
    SimTime at = 0;
    int64_t booked = 0;
    int64_t active = 0;
  };

  // Replicas [0, initial_replicas) start active; the rest start off (never routed to).
  // REQUIRES: replicas.size() == config.max_replicas.
  Autoscaler(const AutoscalerConfig& config, Simulation* sim, std::vector<Replica*> replicas);

  // Schedules the first decision (or the schedule's steps).
  void Start();
  // A request entered the cluster / finished (the queue_depth policy's load signal).
  void OnArrive(SimTime now);
  void OnLeave(SimTime now);
  void OnEvent(SimTime now, uint64_t payload) override;

  const std::vector<Point>& timeline() const { return timeline_; }
  State state(size_t replica) const { return state_[replica]; }
  int64_t scale_ups() const { return scale_ups_; }      // replicas added (started or reclaimed)
  int64_t scale_downs() const { return scale_downs_; }  // replicas removed (drained or cancelled)
  int64_t cold_starts() const { return cold_starts_; }  // replicas started from off
  const AutoscalerConfig& config() const { return config_; }
  // Booked replica x seconds over [from, to).
  double BookedReplicaSeconds(SimTime from, SimTime to) const;

 private:
  enum Kind : uint64_t { kEvaluate = 0, kReady = 1, kScheduleStep = 2 };
  static uint64_t Payload(Kind kind, size_t index) { return kind | (index << 2); }

  void AdvanceIntegral(SimTime now);
  void Evaluate(SimTime now);
  int64_t Recommend(SimTime now);
  void ScaleTo(SimTime now, int64_t desired, bool allow_down);
  void ScaleUp(SimTime now, int64_t n);
  void ScaleDown(SimTime now, int64_t n);
  void Activate(size_t i, SimTime now);
  void Release(size_t i, SimTime now);
  void OnReplicaIdle(size_t i, SimTime now);
  void Record(SimTime now);
  void CheckInvariants() const;

  AutoscalerConfig config_;
  Simulation* sim_;
  std::vector<Replica*> replicas_;
  std::vector<State> state_;
  std::vector<SimTime> ready_at_;  // loading replicas: when they become active
  int64_t active_ = 0, loading_ = 0, draining_ = 0;
  std::vector<Point> timeline_;
  // queue_depth: requests in the system, and their integral (request x s) since the last
  // decision.
  int64_t in_system_ = 0;
  double in_system_integral_ = 0;
  SimTime integral_since_ = 0;
  // Recommendations of the last scale_down_cooldown (time, replicas): a scale-down goes to their
  // highest (Kubernetes HPA's scale-down stabilization window).
  std::deque<std::pair<SimTime, int64_t>> recent_;
  int64_t scale_ups_ = 0, scale_downs_ = 0, cold_starts_ = 0;
};

}  // namespace servesim

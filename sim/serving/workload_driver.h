// WorkloadDriver: turns the workload's requests into arrival events and hands them to the
// cluster. Open loop: one pending arrival at a time (a trace is streamed). Closed loop: a new
// request each time one leaves. Requests the engine would refuse (longer than max_model_len, or
// a prompt beyond the token budget without chunking) are marked rejected and never served.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "sim/core/simulation.h"
#include "sim/serving/request.h"
#include "sim/workload/workload.h"

namespace servesim {

class WorkloadDriver : public EventHandler {
 public:
  WorkloadDriver(Simulation* sim, RequestGenerator* gen, RequestTable* table,
                 std::function<void(RequestId)> submit, int64_t max_model_len,
                 int64_t max_prompt_len);

  void Start();
  // When the measured run began: 0, or when the last warm-up request completed.
  SimTime MeasureStart() const { return measure_start_; }
  // Called when the measured run starts after warm-up (metrics discard what came before).
  void SetOnMeasureStart(std::function<void(SimTime)> fn) { on_measure_start_ = std::move(fn); }
  // Called when request `id` leaves the system (finished or rejected): a closed loop issues the
  // next request, a session its next turn.
  void OnRequestDone(RequestId id, SimTime now);
  void OnEvent(SimTime now, uint64_t payload) override;

 private:
  static constexpr uint64_t kOpenLoop = 0;
  static constexpr uint64_t kFirstId = 1;  // closed-loop payloads are id + 1

  RequestId NewRequest(const RequestSpec& spec);
  void IssueClosedLoop(SimTime now, bool after_completion);
  void IssueWarmup(SimTime now, bool after_completion);
  void Schedule(const RequestSpec& spec);
  // A warm-up request left: the next one, or (after the last) the measured run's first wave.
  void OnWarmupDone(SimTime now);
  void Admit(RequestId id, SimTime now);

  Simulation* sim_;
  RequestGenerator* gen_;
  RequestTable* table_;
  std::function<void(RequestId)> submit_;
  int64_t max_model_len_;
  int64_t max_prompt_len_;
  std::optional<RequestSpec> pending_;
  int64_t warmups_issued_ = 0;
  int64_t warmups_done_ = 0;
  SimTime measure_start_ = 0;
  // Called when the measured run starts after warm-up (metrics discard what came before).
  std::function<void(SimTime)> on_measure_start_;
};

}  // namespace servesim

#include "sim/serving/workload_driver.h"

#include <algorithm>

#include "sim/core/check.h"

namespace servesim {

WorkloadDriver::WorkloadDriver(Simulation* sim, RequestGenerator* gen, RequestTable* table,
                               std::function<void(RequestId)> submit, int64_t max_model_len,
                               int64_t max_prompt_len)
    : sim_(sim),
      gen_(gen),
      table_(table),
      submit_(std::move(submit)),
      max_model_len_(max_model_len),
      max_prompt_len_(max_prompt_len) {
  // A conversation ends before a turn the engine would refuse.
  gen_->SetContextLimit(max_model_len, max_prompt_len);
}

void WorkloadDriver::Start() {
  const WorkloadConfig& c = gen_->config();
  if (c.ClosedLoop()) {
    if (c.warmup_requests > 0) {
      for (int64_t i = 0; i < std::min(c.concurrency, c.warmup_requests); ++i) {
        IssueWarmup(0, false);
      }
      return;
    }
    for (int64_t i = 0; i < c.concurrency; ++i) IssueClosedLoop(0, false);
    return;
  }
  pending_ = gen_->NextArrival();
  if (pending_) sim_->ScheduleAt(pending_->arrival, this, kOpenLoop);
}

void WorkloadDriver::OnRequestDone(RequestId id, SimTime now) {
  const Request& r = (*table_)[id];
  if (r.warmup) {
    OnWarmupDone(now);
    return;
  }
  if (gen_->config().sessions && r.session >= 0) {
    // The session's next turn follows this one; a closed loop starts a new session only when
    // this one is over.
    if (const std::optional<RequestSpec> next = gen_->NextTurn(r.session, now)) {
      const RequestId turn = NewRequest(*next);
      sim_->ScheduleAt(next->arrival, this, static_cast<uint64_t>(turn) + kFirstId);
      return;
    }
  }
  if (gen_->config().ClosedLoop()) IssueClosedLoop(now, true);
}

void WorkloadDriver::OnEvent(SimTime now, uint64_t payload) {
  if (payload != kOpenLoop) {
    Admit(static_cast<RequestId>(payload - kFirstId), now);
    return;
  }
  // Admit every request that arrives at this instant, then wait for the next one.
  while (pending_ && pending_->arrival == now) {
    Admit(NewRequest(*pending_), now);
    pending_ = gen_->NextArrival();
  }
  if (pending_) {
    SERVESIM_CHECK(pending_->arrival > now);
    sim_->ScheduleAt(pending_->arrival, this, kOpenLoop);
  }
}

RequestId WorkloadDriver::NewRequest(const RequestSpec& spec) {
  // Lengths are validated to at most 1e9 tokens (configs, traces), so they fit the compact
  // 32-bit fields, and so does input + output.
  constexpr int64_t kMaxTokens = 1'000'000'000;
  SERVESIM_CHECK(spec.input_tokens >= 1 && spec.input_tokens <= kMaxTokens);
  SERVESIM_CHECK(spec.output_tokens >= 1 && spec.output_tokens <= kMaxTokens);
  SERVESIM_CHECK(spec.prefix_group >= -1 && spec.prefix_group <= kMaxTokens);
  SERVESIM_CHECK(spec.prefix_tokens >= 0 && spec.prefix_tokens <= spec.input_tokens);
  Request r;
  r.arrival = spec.arrival;
  r.input_tokens = static_cast<int32_t>(spec.input_tokens);
  r.output_tokens = static_cast<int32_t>(spec.output_tokens);
  r.session = spec.session;
  r.prefix_group = static_cast<int32_t>(spec.prefix_group);
  r.prefix_tokens = static_cast<int32_t>(spec.prefix_tokens);
  r.warmup = spec.warmup;
  table_->push_back(r);
  return static_cast<RequestId>(table_->size() - 1);
}

void WorkloadDriver::IssueClosedLoop(SimTime now, bool after_completion) {
  const std::optional<RequestSpec> spec = gen_->NextClosedLoop(now, after_completion);
  if (spec) Schedule(*spec);
}

void WorkloadDriver::IssueWarmup(SimTime now, bool after_completion) {
  ++warmups_issued_;
  Schedule(gen_->NextWarmup(now, after_completion));
}

void WorkloadDriver::Schedule(const RequestSpec& spec) {
  const RequestId id = NewRequest(spec);
  sim_->ScheduleAt(spec.arrival, this, static_cast<uint64_t>(id) + kFirstId);
}

void WorkloadDriver::OnWarmupDone(SimTime now) {
  const WorkloadConfig& c = gen_->config();
  ++warmups_done_;
  if (warmups_issued_ < c.warmup_requests) {
    IssueWarmup(now, true);
    return;
  }
  if (warmups_done_ < c.warmup_requests) return;
  // The last warm-up request completed: the measured clients start together (or ramp up).
  measure_start_ = now;
  if (on_measure_start_) on_measure_start_(now);
  for (int64_t i = 0; i < c.concurrency; ++i) IssueClosedLoop(now, false);
}

void WorkloadDriver::Admit(RequestId id, SimTime now) {
  Request& r = (*table_)[id];
  // Like vLLM, a request whose prompt plus max_tokens exceeds max_model_len is refused; like
  // TensorRT-LLM without chunked context, so is a prompt longer than the token budget.
  if (r.input_tokens + r.output_tokens > max_model_len_ || r.input_tokens > max_prompt_len_) {
    r.rejected = true;
    OnRequestDone(id, now);
    return;
  }
  submit_(id);
}

}  // namespace servesim

// Workload: what requests arrive and when. Parsed from the scenario's `workload:` section into a
// WorkloadConfig, then turned into a RequestGenerator that streams requests in arrival order
// (open loop, trace replay) or issues one per completion (closed loop with `concurrency`).
// Traces are read row by row, never loaded whole. Optional prefix sharing: a system prompt shared
// by every request (`shared_prefix_tokens`) and multi-turn sessions (`sessions`), whose next turn
// is issued when the previous one completes (see docs/design.md, "Sessions").
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "sim/config/config_node.h"
#include "sim/core/rng.h"
#include "sim/core/time.h"
#include "sim/workload/rate_schedule.h"

namespace servesim {

struct RequestSpec {
  SimTime arrival = 0;
  int64_t input_tokens = 0;   // >= 1
  int64_t output_tokens = 0;  // >= 1
  int64_t session = -1;       // conversation id (multi-turn workloads); -1: none
  // The first prefix_tokens prompt tokens are those of prefix group prefix_group (-1: none).
  int64_t prefix_group = -1;
  int64_t prefix_tokens = 0;
  bool warmup = false;  // a closed loop's warm-up request: served, not in the statistics
};

// A distribution of token counts. Samples are integers >= 1.
class LengthDistribution {
 public:
  virtual ~LengthDistribution() = default;
  virtual int64_t Sample(Rng& rng) const = 0;
  virtual double Mean() const = 0;
  // The smallest length a sample can have.
  virtual int64_t Min() const = 0;
  virtual std::string Describe() const = 0;  // e.g. "fixed 128", "uniform [64, 512]"
};

// A plain integer is a fixed length; a mapping {dist: uniform|normal|lognormal, ...} a
// distribution (see docs/config.md).
std::unique_ptr<LengthDistribution> ParseLengthDistribution(const ConfigNode& node);

enum class ArrivalProcess { kPoisson, kGamma, kConstant, kBurst };

struct TraceConfig {
  std::string path;          // resolved
  std::string format;        // "azure" (TIMESTAMP,ContextTokens,GeneratedTokens) or "csv"
  double rate_scale = 1.0;   // 2.0 replays twice as fast
  bool use_arrivals = true;  // false: lengths from the trace, arrivals from workload.arrival
  int64_t repeat = 1;        // the trace is replayed this many times back to back (TraceReplay)
};

// Multi-turn conversations (workload.sessions). Turn 1's prompt is the system prompt
// (shared_prefix_tokens, if any) plus a new message (input_tokens); turn k+1's prompt is the whole
// conversation so far (turn k's prompt and output) plus a new message, and it arrives
// think_time_s after turn k completed.
struct SessionConfig {
  std::optional<int64_t> num_sessions;              // sessions started in all; unset: no limit
  std::shared_ptr<const LengthDistribution> turns;  // turns per session
  double think_time_s = 0;
};

struct WorkloadConfig {
  ArrivalProcess process = ArrivalProcess::kPoisson;
  double rate_per_s = 0;  // poisson, gamma, constant (0 with a rate_schedule)
  // arrival.rate_schedule: a time-varying rate instead of rate_per_s
  // (sim/workload/rate_schedule.h).
  std::shared_ptr<const RateSchedule> rate_schedule;
  double cv = 1.0;          // gamma: coefficient of variation of inter-arrival times
  int64_t concurrency = 0;  // > 0: closed loop with this many requests in flight
  double think_time_s = 0;  // closed loop: pause between a completion and the next request
  // Closed loop: client i of the first wave (of the measured run) starts at
  // i x ramp_up_s / concurrency instead of all at once.
  double ramp_up_s = 0;
  // Closed loop: requests served before the measured run, with the same concurrency; the
  // measured clients start when the last of them completed. Not counted in num_requests.
  int64_t warmup_requests = 0;
  std::optional<int64_t> num_requests;
  std::optional<double> duration_s;
  std::shared_ptr<const LengthDistribution> input_tokens;  // null when lengths come from a trace
  std::shared_ptr<const LengthDistribution> output_tokens;
  std::optional<TraceConfig> trace;
  int64_t shared_prefix_tokens = 0;  // every prompt starts with this system prompt (group 0)
  std::optional<SessionConfig> sessions;

  bool ClosedLoop() const { return concurrency > 0; }
  // Expected open-loop arrivals in [0, seconds] of a synthetic process (rate x time, or the
  // schedule's integral). REQUIRES: not burst.
  double ExpectedArrivals(double seconds) const {
    return rate_schedule ? rate_schedule->Cumulative(seconds) : rate_per_s * seconds;
  }
};

// Validates the `workload:` mapping (keys, types, ranges, combinations) and resolves paths.
WorkloadConfig ParseWorkload(const ConfigNode& workload);

class TraceReplay;  // sim/workload/trace_reader.h
struct TraceRow;

class RequestGenerator {
 public:
  // Opens the trace, if any (InputError if it cannot be read). Random streams are derived from
  // `seed` with the names "workload.arrival", "workload.input_tokens", "workload.output_tokens".
  RequestGenerator(const WorkloadConfig& config, uint64_t seed);
  ~RequestGenerator();

  // Open loop and trace replay: the next request in arrival order, or nullopt when the workload
  // is over (num_requests issued, next arrival past duration_s, or end of trace).
  // Malformed trace rows throw InputError "file:line: ...".
  std::optional<RequestSpec> NextArrival();

  // Closed loop: the request issued because a slot freed at `now` (arrival = now + think time;
  // for the first wave, after_completion = false, arrival = now), or nullopt when num_requests
  // have been issued or the arrival would be past duration_s.
  std::optional<RequestSpec> NextClosedLoop(SimTime now, bool after_completion = true);
  // Closed loop: a warm-up request issued at `now` (the first wave, after_completion = false,
  // spread over ramp_up_s like the measured one) or after a completion at `now`; lengths from the
  // same streams as measured requests; not counted toward num_requests.
  RequestSpec NextWarmup(SimTime now, bool after_completion);

  // Sessions: the next turn of `session`, whose previous turn completed (or was refused) at
  // `now`, arriving think_time_s later; nullopt when the session is over (its turns are done, the
  // next turn would not fit the context limit, num_requests are issued or it would arrive past
  // duration_s). Open loop: NextArrival gives first turns; closed loop (concurrency = sessions
  // in flight): NextClosedLoop does.
  std::optional<RequestSpec> NextTurn(int64_t session, SimTime now);
  // A session ends before a turn whose prompt + output exceeds `max_total_tokens` or whose
  // prompt exceeds `max_prompt_tokens` (the engine's limits; by default none).
  void SetContextLimit(int64_t max_total_tokens, int64_t max_prompt_tokens);

  // The most requests this workload can put in the request table (warm-up requests included),
  // when a bound is cheap to know: num_requests, or a trace's data lines x repeat (one pass over
  // the file counting newlines; blank lines make it an over-estimate); nullopt otherwise. Used to
  // size the table once instead of growing it.
  std::optional<int64_t> MaxRequests() const;

  const WorkloadConfig& config() const { return config_; }

 private:
  // Poisson and gamma: the first arrival is one inter-arrival time after 0, and each gap is
  // rounded to whole nanoseconds before it is added (so the sequence depends only on the seed).
  // Constant: request i arrives at exactly i / rate (the first at 0, no drift). Burst: all at 0.
  // With a rate_schedule the same processes run at unit rate in operational time (Poisson and
  // gamma gaps of mean 1, constant: request i at u = i) and each arrival goes to the time t with
  // Cumulative(t) = u, rounded to the nanosecond.
  std::optional<RequestSpec> FromTraceRow();
  std::optional<SimTime> NextSyntheticArrival();
  std::optional<SimTime> NextScheduledArrival();
  // base + seconds, or nullopt if that is past every possible duration_s. Throws InputError
  // when arrivals run past the simulator's horizon with no duration_s to stop them.
  std::optional<SimTime> Offset(SimTime base, double seconds) const;
  // Closed loop: the ramp-up offset of the next first-wave client (seconds).
  double FirstWaveOffset();
  // Checks duration_s, fills lengths and counts the request; nullopt (and done) otherwise.
  std::optional<RequestSpec> Issue(SimTime arrival);
  std::optional<RequestSpec> Lengths(SimTime arrival);
  // Sessions: numbers a new request as the first turn of a new session (sessions.cc).
  void StartSession(RequestSpec* spec);
  // The shared system prompt of workload.shared_prefix_tokens, clipped to the prompt.
  void ApplySharedPrefix(RequestSpec* spec) const;
  // A trace row's prefix columns, or the shared system prompt when it has none.
  void FromRowPrefix(const TraceRow& row, RequestSpec* spec) const;
  bool Done() const;
  std::nullopt_t Finish();

  WorkloadConfig config_;
  Rng arrival_rng_;
  Rng input_rng_;
  Rng output_rng_;
  Rng turns_rng_;
  std::unique_ptr<TraceReplay> trace_;
  std::optional<SimTime> duration_;  // duration_s in ns
  int64_t issued_ = 0;
  int64_t first_wave_ = 0;  // first-wave requests issued (ramp-up); reset for the measured run
  SimTime last_arrival_ = 0;
  double operational_time_ = 0;  // rate_schedule: the last arrival's Cumulative(t)
  bool finished_ = false;
  struct SessionState {
    int64_t turns_left = 0;      // turns still to issue after the current one
    int64_t context_tokens = 0;  // the current turn's prompt + output
    int64_t prefix_tokens = 0;   // shared system prompt tokens (the same for every turn)
  };
  std::unordered_map<int64_t, SessionState> sessions_;  // sessions in progress; never iterated
  int64_t sessions_started_ = 0;
  int64_t max_total_tokens_ = 0;   // 0: no limit
  int64_t max_prompt_tokens_ = 0;  // 0: no limit
};

}  // namespace servesim

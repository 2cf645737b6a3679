// Prefix sharing in the workload: a system prompt shared by every request and multi-turn
// sessions (closed loop per session). See docs/design.md, "Sessions".
#include "sim/workload/sessions.h"

#include <fmt/format.h>

#include "sim/core/check.h"
#include "sim/workload/trace_reader.h"

namespace servesim {
namespace {

constexpr double kMaxSeconds = 1e9;
constexpr double kMaxSessions = 1e9;

void ParseSessions(const ConfigNode& s, WorkloadConfig& config) {
  s.CheckKeys({"num_sessions", "turns", "think_time_s"});
  if (config.trace) {
    s.Fail("not allowed with workload.trace (give the trace a session_id column instead)");
  }
  SessionConfig sessions;
  if (s.Has("num_sessions")) {
    sessions.num_sessions = s.Child("num_sessions").AsInt(Between(1, kMaxSessions));
  }
  sessions.turns = ParseLengthDistribution(s.Require("turns"));
  sessions.think_time_s = s.GetDouble("think_time_s", 0, Between(0, kMaxSeconds));
  config.sessions = std::move(sessions);
}

}  // namespace

void ParsePrefixSharing(const ConfigNode& w, WorkloadConfig& config) {
  if (w.Has("shared_prefix_tokens")) {
    const ConfigNode n = w.Child("shared_prefix_tokens");
    config.shared_prefix_tokens = n.AsInt(Between(0, static_cast<double>(kMaxTraceTokens)));
    if (config.trace && TraceReader(config.trace->path, config.trace->format).HasPrefixes()) {
      n.Fail("not allowed with a trace that has a prefix_tokens column");
    }
  }
  if (w.Has("sessions")) ParseSessions(w.Child("sessions"), config);
}

void RequestGenerator::ApplySharedPrefix(RequestSpec* spec) const {
  if (config_.shared_prefix_tokens <= 0) return;
  spec->prefix_group = 0;
  spec->prefix_tokens = std::min(config_.shared_prefix_tokens, spec->input_tokens);
}

void RequestGenerator::StartSession(RequestSpec* spec) {
  const int64_t id = sessions_started_++;
  spec->session = id;
  SessionState st;
  st.turns_left = config_.sessions->turns->Sample(turns_rng_) - 1;
  st.context_tokens = spec->input_tokens + spec->output_tokens;
  st.prefix_tokens = spec->prefix_tokens;
  sessions_.emplace(id, st);
}

void RequestGenerator::SetContextLimit(int64_t max_total_tokens, int64_t max_prompt_tokens) {
  SERVESIM_CHECK(max_total_tokens >= 0 && max_prompt_tokens >= 0);
  max_total_tokens_ = max_total_tokens;
  max_prompt_tokens_ = max_prompt_tokens;
}

std::optional<RequestSpec> RequestGenerator::NextTurn(int64_t session, SimTime now) {
  SERVESIM_CHECK(config_.sessions && now >= 0);
  const auto it = sessions_.find(session);
  SERVESIM_CHECK(it != sessions_.end());
  SessionState st = it->second;
  sessions_.erase(it);
  if (st.turns_left == 0 || (config_.num_requests && issued_ >= *config_.num_requests)) {
    return std::nullopt;
  }
  const std::optional<SimTime> arrival = Offset(now, config_.sessions->think_time_s);
  if (!arrival || (duration_ && *arrival > *duration_)) return std::nullopt;
  RequestSpec spec;
  spec.arrival = *arrival;
  spec.session = session;
  spec.input_tokens = st.context_tokens + config_.input_tokens->Sample(input_rng_);
  spec.output_tokens = config_.output_tokens->Sample(output_rng_);
  spec.prefix_group = st.prefix_tokens > 0 ? 0 : -1;
  spec.prefix_tokens = st.prefix_tokens;
  const bool too_long =
      (max_total_tokens_ > 0 && spec.input_tokens + spec.output_tokens > max_total_tokens_) ||
      (max_prompt_tokens_ > 0 && spec.input_tokens > max_prompt_tokens_);
  if (too_long) return std::nullopt;  // the conversation is full: the session ends
  ++issued_;
  st.turns_left -= 1;
  st.context_tokens = spec.input_tokens + spec.output_tokens;
  sessions_.emplace(session, st);
  return spec;
}

}  // namespace servesim

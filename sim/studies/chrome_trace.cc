#include "sim/studies/chrome_trace.h"

#include <fmt/format.h>

#include <map>

#include "sim/config/input_error.h"

namespace servesim {
namespace {

double Us(SimTime t) { return static_cast<double>(t) * 1e-3; }

nlohmann::ordered_json NameEvent(const char* what, int pid, int tid, const std::string& name) {
  nlohmann::ordered_json e;
  e["name"] = what;
  e["ph"] = "M";
  e["pid"] = pid;
  e["tid"] = tid;
  e["args"] = {{"name", name}};
  return e;
}

nlohmann::ordered_json Counter(const char* name, int pid, SimTime ts, nlohmann::ordered_json args) {
  nlohmann::ordered_json e;
  e["name"] = name;
  e["ph"] = "C";
  e["pid"] = pid;
  e["ts"] = Us(ts);
  e["args"] = std::move(args);
  return e;
}

const char* Kind(int64_t decode_seqs, int64_t prefill_seqs) {
  if (prefill_seqs == 0) return "decode";
  return decode_seqs == 0 ? "prefill" : "mixed";
}

}  // namespace

void ChromeTrace::OnStep(int replica, SimTime start, SimTime duration, const BatchShape& batch,
                         int64_t kv_used_blocks, int64_t kv_total_blocks) {
  steps_.push_back({replica, start, duration, batch.decode_seqs, batch.decode_context_tokens,
                    static_cast<int64_t>(batch.prefills.size()), batch.PrefillTokens(),
                    kv_used_blocks, kv_total_blocks});
}

nlohmann::ordered_json ChromeTrace::StepEvent(const Step& s, int lane) {
  const double kv = s.kv_total_blocks > 0 ? static_cast<double>(s.kv_used_blocks) /
                                                static_cast<double>(s.kv_total_blocks)
                                          : 0.0;
  nlohmann::ordered_json e;
  e["name"] = Kind(s.decode_seqs, s.prefill_seqs);
  e["cat"] = "step";
  e["ph"] = "X";
  e["pid"] = s.replica;
  e["tid"] = lane;
  e["ts"] = Us(s.start);
  e["dur"] = Us(s.duration);
  e["args"] = {{"decode_seqs", s.decode_seqs},
               {"decode_context_tokens", s.decode_context_tokens},
               {"prefill_seqs", s.prefill_seqs},
               {"prefill_tokens", s.prefill_tokens},
               {"kv_used_blocks", s.kv_used_blocks},
               {"kv_total_blocks", s.kv_total_blocks},
               {"kv_utilization", kv}};
  return e;
}

nlohmann::ordered_json ChromeTrace::ToJson(const nlohmann::ordered_json& metadata) const {
  nlohmann::ordered_json events = nlohmann::ordered_json::array();
  std::map<int, std::vector<SimTime>> lanes;  // replica -> end time of each lane's last step
  for (const Step& s : steps_) {
    std::vector<SimTime>& ends = lanes[s.replica];
    if (ends.empty()) {
      events.push_back(
          NameEvent("process_name", s.replica, 0, fmt::format("replica {}", s.replica)));
    }
    size_t lane = 0;
    while (lane < ends.size() && ends[lane] > s.start) ++lane;
    if (lane == ends.size()) {
      ends.push_back(0);
      events.push_back(NameEvent("thread_name", s.replica, static_cast<int>(lane),
                                 fmt::format("steps (lane {})", lane)));
    }
    ends[lane] = s.start + s.duration;
    nlohmann::ordered_json step = StepEvent(s, static_cast<int>(lane));
    const double kv = step["args"]["kv_utilization"].get<double>();
    events.push_back(std::move(step));
    events.push_back(Counter(
        "batch", s.replica, s.start,
        {{"seqs", s.decode_seqs + s.prefill_seqs}, {"tokens", s.decode_seqs + s.prefill_tokens}}));
    events.push_back(Counter("kv_utilization", s.replica, s.start, {{"used", kv}}));
  }
  nlohmann::ordered_json j;
  j["traceEvents"] = std::move(events);
  j["displayTimeUnit"] = "ms";
  j["metadata"] = metadata;
  return j;
}

std::vector<TracedStep> ReadTracedSteps(const nlohmann::ordered_json& trace,
                                        const std::string& where) {
  if (!trace.is_object() || !trace.contains("traceEvents") || !trace["traceEvents"].is_array()) {
    throw InputError(fmt::format("{}: not a trace (no \"traceEvents\" list)", where));
  }
  std::vector<TracedStep> steps;
  for (const nlohmann::ordered_json& e : trace["traceEvents"]) {
    if (!e.is_object() || e.value("ph", "") != "X" || e.value("cat", "") != "step") continue;
    try {
      const nlohmann::ordered_json& a = e.at("args");
      TracedStep s;
      s.replica = e.at("pid").get<int>();
      s.start_s = e.at("ts").get<double>() * 1e-6;
      s.duration_s = e.at("dur").get<double>() * 1e-6;
      s.batch_seqs = a.at("decode_seqs").get<int64_t>() + a.at("prefill_seqs").get<int64_t>();
      s.batch_tokens = a.at("decode_seqs").get<int64_t>() + a.at("prefill_tokens").get<int64_t>();
      s.kv_utilization = a.at("kv_utilization").get<double>();
      steps.push_back(s);
    } catch (const nlohmann::json::exception& ex) {
      throw InputError(fmt::format("{}: malformed step event: {}", where, ex.what()));
    }
  }
  return steps;
}

}  // namespace servesim

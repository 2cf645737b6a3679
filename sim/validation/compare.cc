#include "sim/validation/compare.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <sstream>
#include <utility>

#include "sim/config/input_error.h"
#include "sim/validation/error_stats.h"

namespace servesim {
namespace {

using Getter = std::function<double(const Summary&)>;

// vLLM's result keys that a Summary also has, in report order.
const std::vector<std::pair<std::string, Getter>>& ComparableMetrics() {
  static const std::vector<std::pair<std::string, Getter>> metrics = [] {
    std::vector<std::pair<std::string, Getter>> m = {
        {"completed", [](const Summary& s) { return static_cast<double>(s.completed); }},
        {"duration", [](const Summary& s) { return s.duration_s; }},
        {"total_input_tokens",
         [](const Summary& s) { return static_cast<double>(s.total_input_tokens); }},
        {"total_output_tokens",
         [](const Summary& s) { return static_cast<double>(s.total_output_tokens); }},
        {"request_throughput", [](const Summary& s) { return s.request_throughput; }},
        {"output_throughput", [](const Summary& s) { return s.output_throughput; }},
        {"total_token_throughput", [](const Summary& s) { return s.total_token_throughput; }},
    };
    const std::vector<std::pair<std::string, LatencyStats Summary::*>> latencies = {
        {"ttft", &Summary::ttft},
        {"tpot", &Summary::tpot},
        {"itl", &Summary::itl},
        {"e2el", &Summary::e2el}};
    const std::vector<std::pair<std::string, double LatencyStats::*>> stats = {
        {"mean", &LatencyStats::mean_ms},
        {"median", &LatencyStats::median_ms},
        {"p90", &LatencyStats::p90_ms},
        {"p99", &LatencyStats::p99_ms}};
    for (const auto& [name, latency] : latencies) {
      for (const auto& [stat, field] : stats) {
        m.emplace_back(
            fmt::format("{}_{}_ms", stat, name),
            // Init-captures: clang < 16 cannot capture structured bindings.
            [latency = latency, field = field](const Summary& s) { return (s.*latency).*field; });
      }
    }
    return m;
  }();
  return metrics;
}

[[noreturn]] void FailKey(const MeasuredRun& run, std::string_view key, std::string_view rule) {
  throw InputError(fmt::format("{}: key '{}': {}, got {}", run.path, key, rule,
                               run.doc[std::string(key)].dump()));
}

// nullopt when absent or null.
std::optional<double> Number(const MeasuredRun& run, const std::string& key) {
  if (!run.doc.contains(key) || run.doc[key].is_null()) return std::nullopt;
  if (!run.doc[key].is_number()) FailKey(run, key, "expected a number");
  return run.doc[key].get<double>();
}

std::optional<int64_t> Integer(const MeasuredRun& run, const std::string& key, int64_t min) {
  const std::optional<double> v = Number(run, key);
  if (!v) return std::nullopt;
  if (*v != std::floor(*v) || *v < static_cast<double>(min) || *v > 9e15) {
    FailKey(run, key, fmt::format("expected an integer >= {}", min));
  }
  return static_cast<int64_t>(*v);
}

void ReadRate(MeasuredRun* run) {
  if (!run->doc.contains("request_rate") || run->doc["request_rate"].is_null()) return;
  const nlohmann::json& v = run->doc["request_rate"];
  if (v.is_string() && v.get<std::string>() == "inf") {
    run->request_rate = "inf";
  } else if (v.is_number() && v.get<double>() > 0) {
    run->request_rate = fmt::format("{}", v.get<double>());
  } else {
    FailKey(*run, "request_rate", "expected a number > 0 or \"inf\"");
  }
  run->burstiness = Number(*run, "burstiness");
  if (run->burstiness && *run->burstiness <= 0)
    FailKey(*run, "burstiness", "expected a number > 0");
  run->max_concurrency = Integer(*run, "max_concurrency", 1);
  if (run->max_concurrency && *run->request_rate != "inf") {
    run->notes.push_back(fmt::format(
        "max_concurrency {} with a finite request rate is not modelled: open-loop arrivals only",
        *run->max_concurrency));
  }
}

void ReadWorkload(MeasuredRun* run) {
  const std::optional<int64_t> completed = Integer(*run, "completed", 0);
  const std::optional<int64_t> prompts = Integer(*run, "num_prompts", 1);
  run->num_requests = prompts ? prompts : (completed && *completed > 0 ? completed : std::nullopt);
  if (completed && prompts && *completed < *prompts) {
    run->notes.push_back(
        fmt::format("{} of {} requests failed in the measurement; the simulation issues all {}",
                    *prompts - *completed, *prompts, *prompts));
  }
  const auto mean_length = [&](const std::string& key) -> std::optional<int64_t> {
    const std::optional<int64_t> total = Integer(*run, key, 0);
    if (!total || !completed || *completed == 0) return std::nullopt;
    return std::max<int64_t>(
        1, std::llround(static_cast<double>(*total) / static_cast<double>(*completed)));
  };
  run->input_tokens = mean_length("total_input_tokens");
  run->output_tokens = mean_length("total_output_tokens");
  ReadRate(run);
}

std::string ParseErrorText(const std::string& what, std::string_view text) {
  const size_t end = what.find("] ");
  std::string message = end == std::string::npos ? what : what.substr(end + 2);
  if (text.find("NaN") != std::string_view::npos ||
      text.find("Infinity") != std::string_view::npos) {
    message += " (Python's json module writes NaN and Infinity, which JSON does not allow)";
  }
  return message;
}

}  // namespace

MeasuredRun ParseMeasuredRun(std::string_view text, const std::string& path) {
  MeasuredRun run;
  run.path = path;
  try {
    run.doc = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(fmt::format("{}: invalid JSON: {}", path, ParseErrorText(e.what(), text)));
  }
  if (!run.doc.is_object()) {
    throw InputError(fmt::format(
        "{}: expected a JSON object (the result file of vLLM's benchmark_serving), got {}", path,
        run.doc.type_name()));
  }
  bool any = false;
  for (const auto& [key, get] : ComparableMetrics()) any = Number(run, key).has_value() || any;
  if (!any) {
    throw InputError(fmt::format(
        "{}: no metric to compare; expected vLLM benchmark_serving keys such as completed, "
        "duration, request_throughput, output_throughput, mean_ttft_ms",
        path));
  }
  ReadWorkload(&run);
  return run;
}

MeasuredRun ReadMeasuredRun(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open file", path));
  std::ostringstream text;
  text << in.rdbuf();
  return ParseMeasuredRun(text.str(), path);
}

std::vector<Override> MeasuredWorkloadOverrides(const MeasuredRun& run) {
  std::vector<Override> o;
  const auto add = [&](const std::string& key, const std::string& value) {
    o.push_back({"workload." + key, value, run.path});
  };
  if (run.input_tokens) add("input_tokens", std::to_string(*run.input_tokens));
  if (run.output_tokens) add("output_tokens", std::to_string(*run.output_tokens));
  if (run.input_tokens || run.output_tokens) add("trace", "~");
  if (run.num_requests) {
    add("num_requests", std::to_string(*run.num_requests));
    add("duration_s", "~");
  }
  if (!run.request_rate) return o;
  if (*run.request_rate == "inf" && run.max_concurrency) {
    add("arrival", "~");
    add("concurrency", std::to_string(*run.max_concurrency));
    add("think_time_s", "~");
    return o;
  }
  add("concurrency", "~");
  if (*run.request_rate == "inf") {
    add("arrival", "{process: burst}");
  } else if (run.burstiness && *run.burstiness != 1) {
    // vLLM draws gamma gaps with shape = burstiness: cv = 1 / sqrt(burstiness).
    add("arrival", fmt::format("{{process: gamma, rate: {}, cv: {}}}", *run.request_rate,
                               1 / std::sqrt(*run.burstiness)));
  } else {
    add("arrival", fmt::format("{{process: poisson, rate: {}}}", *run.request_rate));
  }
  return o;
}

std::vector<ComparedMetric> CompareWithSummary(const MeasuredRun& run, const Summary& summary) {
  std::vector<ComparedMetric> out;
  for (const auto& [key, get] : ComparableMetrics()) {
    const std::optional<double> measured = Number(run, key);
    if (!measured) continue;
    ComparedMetric m{key, *measured, get(summary), std::nullopt};
    if (*measured > 0) m.rel_error = RelativeError(m.predicted, m.measured);
    out.push_back(m);
  }
  return out;
}

}  // namespace servesim

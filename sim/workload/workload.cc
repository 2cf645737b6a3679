#include "sim/workload/workload.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <system_error>
#include <vector>

#include "sim/config/input_error.h"
#include "sim/config/zoo.h"
#include "sim/core/check.h"
#include "sim/workload/sessions.h"
#include "sim/workload/trace_reader.h"

namespace servesim {
namespace {

constexpr double kMaxRequests = 1e9;
constexpr double kMaxSeconds = 1e9;  // duration_s, think_time_s, and the arrival horizon
constexpr SimTime kMaxArrival = static_cast<SimTime>(kMaxSeconds) * kNsPerSecond;
constexpr double kMaxRate = 1e9;
constexpr double kMaxCv = 10;
constexpr double kMaxConcurrency = 1e6;
constexpr double kMaxRateScale = 1e6;
constexpr double kMaxTraceRepeat = 1e6;

const Range kPositiveSeconds{0.0, kMaxSeconds, true};

// A trace path as written: resolved like every config path, then, when relative and not found,
// looked up under the source tree's data/ (where scripts/download_traces.sh puts the Azure
// traces) and ../shared/.
std::string FindTrace(const ConfigNode& at) {
  const std::string given = at.AsString();
  if (given.empty()) at.Fail("expected a path to a trace file, got ''");
  std::vector<std::string> tried = {ResolvePath(at, given)};
  if (std::filesystem::path(given).is_relative()) {
    const std::filesystem::path source(SERVESIM_SOURCE_DIR);
    tried.push_back((source / "data" / given).lexically_normal().string());
    tried.push_back((source / ".." / "shared" / given).lexically_normal().string());
  }
  for (const std::string& path : tried) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) return path;
  }
  std::string list;
  for (const std::string& path : tried) list += (list.empty() ? "" : ", ") + path;
  at.Fail(
      fmt::format("cannot open trace '{}' (looked in: {}); run scripts/download_traces.sh to "
                  "fetch the Azure traces",
                  given, list));
}

TraceConfig ParseTrace(const ConfigNode& t) {
  t.CheckKeys({"path", "format", "rate_scale", "use_arrivals", "repeat"});
  TraceConfig trace;
  trace.path = FindTrace(t.Require("path"));
  const std::string format = t.GetEnum("format", "", {"azure", "csv"});
  trace.use_arrivals = t.GetBool("use_arrivals", true);
  if (t.Has("rate_scale")) {
    const ConfigNode scale = t.Child("rate_scale");
    if (!trace.use_arrivals) scale.Fail("only allowed with use_arrivals: true");
    trace.rate_scale = scale.AsDouble(Range{0.0, kMaxRateScale, true});
  }
  trace.repeat = t.GetInt("repeat", 1, Between(1, kMaxTraceRepeat));
  TraceReader reader(trace.path, format);  // reads and checks the header
  trace.format = reader.format();
  // Only the first row is read here; the rest are streamed (and checked) during the run.
  if (!reader.Next()) {
    throw InputError(fmt::format(
        "{}:1: the trace has a header but no rows: no request would arrive", trace.path));
  }
  return trace;
}

void ParseClosedLoop(const ConfigNode& w, bool trace_arrivals, WorkloadConfig& config) {
  if (!w.Has("concurrency")) {
    for (const char* key : {"think_time_s", "ramp_up_s", "warmup_requests"}) {
      if (w.Has(key)) w.Child(key).Fail("only allowed with workload.concurrency (closed loop)");
    }
    return;
  }
  if (trace_arrivals) {
    w.Child("concurrency")
        .Fail(
            "not allowed with trace arrivals (set trace.use_arrivals: false to take only "
            "lengths from the trace)");
  }
  if (w.Has("arrival")) {
    w.Child("arrival").Fail(
        "not allowed with workload.concurrency (a closed loop issues a request when one "
        "completes)");
  }
  config.concurrency = w.Child("concurrency").AsInt(Between(1, kMaxConcurrency));
  config.think_time_s = w.GetDouble("think_time_s", 0, Between(0, kMaxSeconds));
  config.ramp_up_s = w.GetDouble("ramp_up_s", 0, Between(0, kMaxSeconds));
  config.warmup_requests = w.GetInt("warmup_requests", 0, Between(0, kMaxRequests));
  if (config.warmup_requests > 0) {
    for (const char* key : {"sessions", "trace", "duration_s"}) {
      if (w.Has(key)) {
        w.Child("warmup_requests")
            .Fail(fmt::format("not allowed with workload.{} (the measured run follows a fixed "
                              "number of synthetic warm-up requests)",
                              key));
      }
    }
  }
}

void ParseArrival(const ConfigNode& w, bool trace_arrivals, WorkloadConfig& config) {
  const ConfigNode a = w.Child("arrival");
  if (trace_arrivals) {
    if (a.Defined()) {
      a.Fail(
          "not allowed with workload.trace (arrivals come from the trace; set "
          "trace.use_arrivals: false to draw them from workload.arrival)");
    }
    return;
  }
  if (!a.Defined()) {
    a.Fail(config.trace ? "missing required key (trace.use_arrivals is false, so arrivals come "
                          "from workload.arrival)"
                        : "missing required key (give arrival: {rate: ...}, concurrency, or a "
                          "trace)");
  }
  a.CheckKeys({"process", "rate", "cv", "rate_schedule"});
  const std::string process =
      a.GetEnum("process", "poisson", {"poisson", "gamma", "constant", "burst"});
  if (process == "burst") {
    config.process = ArrivalProcess::kBurst;
    for (const char* key : {"rate", "rate_schedule"}) {
      if (a.Has(key)) a.Child(key).Fail("not allowed with process 'burst' (all arrive at 0)");
    }
  } else {
    config.process = process == "poisson" ? ArrivalProcess::kPoisson
                     : process == "gamma" ? ArrivalProcess::kGamma
                                          : ArrivalProcess::kConstant;
    if (a.Has("rate_schedule")) {
      if (a.Has("rate")) {
        a.Child("rate").Fail("not allowed with rate_schedule (the schedule gives the rate)");
      }
      config.rate_schedule =
          std::make_shared<const RateSchedule>(RateSchedule::Parse(a.Child("rate_schedule")));
    } else {
      config.rate_per_s = a.Require("rate").AsDouble(Range{0.0, kMaxRate, true});
    }
  }
  if (a.Has("cv")) {
    if (process != "gamma") a.Child("cv").Fail("only allowed with process 'gamma'");
    config.cv = a.Child("cv").AsDouble(Range{0.0, kMaxCv, true});
  }
}

// One run issues at most kMaxRequests requests: num_requests above it, or an open-loop rate that
// would issue more within duration_s when nothing else stops it, is refused at load time rather
// than left to run for days or exhaust memory (docs/config.md, "workload").
void CheckRequestCount(const ConfigNode& w, const WorkloadConfig& config) {
  const bool rate_bound = !config.num_requests && config.duration_s && !config.ClosedLoop() &&
                          !config.trace && !config.sessions &&
                          config.process != ArrivalProcess::kBurst;
  const double expected = rate_bound ? config.ExpectedArrivals(*config.duration_s) : 0;
  if (expected <= kMaxRequests) return;
  const std::string product =
      config.rate_schedule
          ? fmt::format("arrival.rate_schedule over duration_s = {:g} s", *config.duration_s)
          : fmt::format("arrival.rate x duration_s = {:g} x {:g}", config.rate_per_s,
                        *config.duration_s);
  w.Child("duration_s")
      .Fail(fmt::format("{} = {:.3g} requests, more than the {:.0f} one run may issue; lower "
                        "either, or set workload.num_requests",
                        product, expected, kMaxRequests));
}

void ParseLimits(const ConfigNode& w, bool trace_arrivals, WorkloadConfig& config) {
  if (w.Has("num_requests")) {
    const ConfigNode n = w.Child("num_requests");
    config.num_requests = n.AsInt(AtLeast(1));
    if (*config.num_requests > kMaxRequests) {
      n.Fail(fmt::format("must be <= {:.0f} (the most requests one run may issue), got {}",
                         kMaxRequests, n.AsString()));
    }
  }
  if (w.Has("duration_s")) config.duration_s = w.Child("duration_s").AsDouble(kPositiveSeconds);
  CheckRequestCount(w, config);
  const bool burst =
      !config.ClosedLoop() && !trace_arrivals && config.process == ArrivalProcess::kBurst;
  if (burst && !config.num_requests) {
    w.Child("num_requests").Fail("missing required key (process 'burst' sends them all at 0)");
  }
  const bool counted_sessions = config.sessions && config.sessions->num_sessions;
  if (!config.num_requests && !config.duration_s && !config.trace && !counted_sessions) {
    w.Fail("needs num_requests or duration_s (or a trace) to know when to stop");
  }
}

void ParseLengths(const ConfigNode& w, WorkloadConfig& config) {
  for (const char* key : {"input_tokens", "output_tokens"}) {
    const ConfigNode node = w.Child(key);
    if (config.trace) {
      if (node.Defined())
        node.Fail("not allowed with workload.trace (lengths come from the trace)");
      continue;
    }
    std::shared_ptr<const LengthDistribution> dist = ParseLengthDistribution(node);
    (std::string(key) == "input_tokens" ? config.input_tokens : config.output_tokens) = dist;
  }
}

// (t - t_first) / rate_scale in ns, exact when rate_scale is 1.
SimTime ScaledTraceOffset(int64_t since_first_ns, const TraceConfig& trace, int64_t line) {
  SERVESIM_CHECK(since_first_ns >= 0);
  if (trace.rate_scale == 1.0 && since_first_ns <= kMaxArrival) return since_first_ns;
  const double scaled = static_cast<double>(since_first_ns) / trace.rate_scale;
  if (!(scaled <= static_cast<double>(kMaxArrival))) {
    throw InputError(
        fmt::format("{}:{}: arrival is more than {:.0f} s after the first row (after "
                    "rate_scale {})",
                    trace.path, line, kMaxSeconds, trace.rate_scale));
  }
  return std::llround(scaled);
}

}  // namespace

WorkloadConfig ParseWorkload(const ConfigNode& w) {
  w.CheckKeys({"arrival", "concurrency", "think_time_s", "ramp_up_s", "warmup_requests",
               "num_requests", "duration_s", "input_tokens", "output_tokens", "trace",
               "shared_prefix_tokens", "sessions"});
  WorkloadConfig config;
  if (w.Has("trace")) config.trace = ParseTrace(w.Child("trace"));
  const bool trace_arrivals = config.trace && config.trace->use_arrivals;
  ParseClosedLoop(w, trace_arrivals, config);
  if (!config.ClosedLoop()) ParseArrival(w, trace_arrivals, config);
  ParsePrefixSharing(w, config);
  ParseLimits(w, trace_arrivals, config);
  ParseLengths(w, config);
  return config;
}

RequestGenerator::RequestGenerator(const WorkloadConfig& config, uint64_t seed)
    : config_(config),
      arrival_rng_(seed, "workload.arrival"),
      input_rng_(seed, "workload.input_tokens"),
      output_rng_(seed, "workload.output_tokens"),
      turns_rng_(seed, "workload.sessions.turns") {
  if (config_.trace) {
    trace_ = std::make_unique<TraceReplay>(config_.trace->path, config_.trace->format,
                                           config_.trace->repeat);
  } else {
    SERVESIM_CHECK(config_.input_tokens && config_.output_tokens);
  }
  if (config_.duration_s) duration_ = SecondsToSimTime(*config_.duration_s);
}

RequestGenerator::~RequestGenerator() = default;

std::optional<int64_t> RequestGenerator::MaxRequests() const {
  std::optional<int64_t> bound;
  if (config_.num_requests) bound = *config_.num_requests + config_.warmup_requests;
  // Synthetic sessions add turns to trace rows; every other trace request consumes one row.
  if (trace_ && !config_.sessions) {
    const std::optional<int64_t> rows = TraceDataLinesAtMost(config_.trace->path);
    if (rows && *rows <= std::numeric_limits<int64_t>::max() / config_.trace->repeat) {
      const int64_t all = *rows * config_.trace->repeat;
      bound = bound ? std::min(*bound, all) : all;
    }
  }
  return bound;
}

std::optional<RequestSpec> RequestGenerator::NextArrival() {
  SERVESIM_CHECK(!config_.ClosedLoop());
  if (Done()) return std::nullopt;
  if (trace_ && config_.trace->use_arrivals) return FromTraceRow();
  const std::optional<SimTime> arrival = NextSyntheticArrival();
  if (!arrival) return Finish();
  return Issue(*arrival);
}

std::optional<RequestSpec> RequestGenerator::NextClosedLoop(SimTime now, bool after_completion) {
  SERVESIM_CHECK(config_.ClosedLoop() && now >= 0);
  if (Done()) return std::nullopt;
  // The first wave starts at once (or spread over the ramp-up); later requests follow a
  // completion after the think time.
  const std::optional<SimTime> arrival =
      Offset(now, after_completion ? config_.think_time_s : FirstWaveOffset());
  if (!arrival) return Finish();
  return Issue(*arrival);
}

double RequestGenerator::FirstWaveOffset() {
  const int64_t client = first_wave_++;
  return config_.ramp_up_s * static_cast<double>(client) / static_cast<double>(config_.concurrency);
}

RequestSpec RequestGenerator::NextWarmup(SimTime now, bool after_completion) {
  SERVESIM_CHECK(config_.ClosedLoop() && now >= 0);
  const double offset = after_completion ? config_.think_time_s : FirstWaveOffset();
  const std::optional<SimTime> arrival = Offset(now, offset);
  SERVESIM_CHECK(arrival.has_value());  // no duration_s limit applies to warm-up requests
  std::optional<RequestSpec> spec = Lengths(*arrival);
  SERVESIM_CHECK(spec.has_value());  // synthetic lengths, or a trace checked to be long enough
  spec->warmup = true;
  if (!after_completion && first_wave_ == std::min(config_.concurrency, config_.warmup_requests)) {
    first_wave_ = 0;  // the measured run ramps up again
  }
  return *spec;
}

std::optional<RequestSpec> RequestGenerator::FromTraceRow() {
  const std::optional<TraceRow> row = trace_->Next();
  if (!row) return Finish();
  const SimTime arrival = ScaledTraceOffset(row->time_ns, *config_.trace, row->line);
  if (duration_ && arrival > *duration_) return Finish();
  ++issued_;
  last_arrival_ = arrival;
  RequestSpec spec{arrival, row->input_tokens, row->output_tokens, row->session};
  FromRowPrefix(*row, &spec);
  return spec;
}

std::optional<SimTime> RequestGenerator::NextSyntheticArrival() {
  if (config_.rate_schedule) return NextScheduledArrival();
  const double mean_gap_s =
      config_.process == ArrivalProcess::kBurst ? 0 : 1.0 / config_.rate_per_s;
  switch (config_.process) {
    case ArrivalProcess::kBurst:
      return 0;
    case ArrivalProcess::kConstant:
      return Offset(0, static_cast<double>(issued_) * mean_gap_s);
    case ArrivalProcess::kPoisson:
      return Offset(last_arrival_, arrival_rng_.Exponential(mean_gap_s));
    case ArrivalProcess::kGamma: {
      const double shape = 1.0 / (config_.cv * config_.cv);
      return Offset(last_arrival_, arrival_rng_.Gamma(shape, mean_gap_s / shape));
    }
  }
  SERVESIM_CHECK(false);
  return std::nullopt;
}

std::optional<SimTime> RequestGenerator::NextScheduledArrival() {
  switch (config_.process) {
    case ArrivalProcess::kConstant:
      operational_time_ = static_cast<double>(issued_);
      break;
    case ArrivalProcess::kPoisson:
      operational_time_ += arrival_rng_.Exponential(1.0);
      break;
    case ArrivalProcess::kGamma: {
      const double shape = 1.0 / (config_.cv * config_.cv);
      operational_time_ += arrival_rng_.Gamma(shape, 1.0 / shape);
      break;
    }
    case ArrivalProcess::kBurst:
      SERVESIM_CHECK(false);
  }
  const std::optional<double> t = config_.rate_schedule->TimeOf(operational_time_);
  if (!t) return std::nullopt;  // the schedule's last step has rate 0: nobody arrives any more
  // Rounding each arrival separately can put two in the wrong order by a nanosecond at most.
  const std::optional<SimTime> arrival = Offset(0, *t);
  if (arrival && *arrival < last_arrival_) return last_arrival_;
  return arrival;
}

std::optional<SimTime> RequestGenerator::Offset(SimTime base, double seconds) const {
  SERVESIM_CHECK(base >= 0 && seconds >= 0);
  if (seconds <= kMaxSeconds) {
    const SimTime t = base + SecondsToSimTime(seconds);
    if (t <= kMaxArrival) return t;
  }
  if (duration_) return std::nullopt;  // past any duration_s
  throw InputError(
      fmt::format("workload: arrivals run past {:.0f} s of simulated time; set "
                  "workload.duration_s or lower workload.num_requests",
                  kMaxSeconds));
}

std::optional<RequestSpec> RequestGenerator::Issue(SimTime arrival) {
  if (duration_ && arrival > *duration_) return Finish();
  std::optional<RequestSpec> spec = Lengths(arrival);
  if (!spec) return Finish();
  ++issued_;
  last_arrival_ = arrival;
  return spec;
}

std::optional<RequestSpec> RequestGenerator::Lengths(SimTime arrival) {
  RequestSpec spec;
  spec.arrival = arrival;
  if (trace_) {  // use_arrivals: false; rows supply lengths in order
    const std::optional<TraceRow> row = trace_->Next();
    if (!row) return std::nullopt;
    spec.input_tokens = row->input_tokens;
    spec.output_tokens = row->output_tokens;
    spec.session = row->session;
    FromRowPrefix(*row, &spec);
    return spec;
  }
  spec.input_tokens = config_.input_tokens->Sample(input_rng_);
  spec.output_tokens = config_.output_tokens->Sample(output_rng_);
  // A conversation's system prompt comes once, before its first message.
  if (config_.sessions) spec.input_tokens += config_.shared_prefix_tokens;
  ApplySharedPrefix(&spec);
  if (config_.sessions) StartSession(&spec);
  return spec;
}

void RequestGenerator::FromRowPrefix(const TraceRow& row, RequestSpec* spec) const {
  if (row.prefix_tokens > 0) {
    spec->prefix_group = row.prefix_id;
    spec->prefix_tokens = row.prefix_tokens;
  } else {
    ApplySharedPrefix(spec);
  }
}

bool RequestGenerator::Done() const {
  const bool sessions_done = config_.sessions && config_.sessions->num_sessions &&
                             sessions_started_ >= *config_.sessions->num_sessions;
  return finished_ || sessions_done || (config_.num_requests && issued_ >= *config_.num_requests);
}

std::nullopt_t RequestGenerator::Finish() {
  finished_ = true;
  return std::nullopt;
}

}  // namespace servesim

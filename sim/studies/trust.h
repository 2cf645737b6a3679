// Trust: how far a study's answer for one deployment can be trusted, from what docs/validation.md
// measured. servesim has been checked, on H100 SXM, single-stage, against published TensorRT-LLM
// numbers (trtllm-bench v0.13 maximum throughput, v0.14 online serving; the trtllm-0.13 engine,
// tp 1-8, the Llama and Mixtral models of those tables) and measured concurrency sweeps of today's
// engines (the trtllm-1 preset with Llama-3.1-8B bf16 at tp 1-8; the vllm-v1 preset with
// Llama-3.1-70B fp8 at tp 2-8). A deployment inside that territory gets the error bands of its
// group (engine, GPU, model, tp, precision); one outside gets the reasons instead, since nothing
// measured says how close its numbers are. The bands are the generated summary of
// docs/validation.md (tests/sim/studies/trust_test.cc checks that they agree).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/config/scenario.h"
#include "sim/studies/deployment_space.h"

namespace servesim {

// One group of docs/validation.md's summary: median and p90 of |predicted / measured - 1|.
struct ErrorBand {
  std::string table;   // e.g. "trtllm_v0.13_h100_max_throughput"
  std::string metric;  // "output_throughput", "request_throughput", "mean_ttft_ms", ...
  std::string group;   // "tp=1 precision=fp8", "backend=vllm model=llama-3.1-70b tp=4"
  int64_t rows = 0;
  double median_abs_error = 0;  // fraction
  double p90_abs_error = 0;
};

struct Trust {
  bool validated = false;
  std::vector<std::string> reasons;  // why the deployment is outside validated territory
  std::vector<ErrorBand> bands;      // the groups that apply, when validated
};

// The validated groups, as docs/validation.md reports them.
const std::vector<ErrorBand>& ValidatedBands();

// How far a deployment of `s` (its own parallel settings) can be trusted.
Trust TrustOf(const Scenario& s);
// The same for `s` deployed as `d` (tp, pp, ep from `d`).
Trust TrustOf(const Scenario& s, const Deployment& d);

nlohmann::ordered_json TrustToJson(const Trust& t);
// One line for the console: "validated (trtllm on h100-sxm-80gb, tp 1, fp8): output_throughput
// median 10.1%, p90 18.9% (42 rows); ..." or "OUTSIDE validated territory: <reasons>".
std::string DescribeTrust(const Trust& t);

}  // namespace servesim

// libFuzzer target: a scenario YAML document (plus "#set key=value" lines as --set overrides)
// through ParseScenario, then the first requests of its workload, then a four-request simulation
// of its deployment. Named as if it were
// configs/scenarios/fuzz.yaml so that relative model/hardware/trace paths resolve as in the repo.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_util.h"
#include "sim/config/config_node.h"
#include "sim/config/input_error.h"
#include "sim/config/scenario.h"
#include "sim/config/zoo.h"
#include "sim/runner.h"
#include "sim/workload/workload.h"

namespace servesim::fuzz {
namespace {

void DrawRequests(const Scenario& s) {
  RequestGenerator gen(s.workload, s.seed);
  SimTime now = 0;
  for (int i = 0; i < 64; ++i) {
    std::optional<RequestSpec> r =
        s.workload.ClosedLoop() ? gen.NextClosedLoop(now, i > 0) : gen.NextArrival();
    if (!r) return;
    now = r->arrival;
    if (r->session >= 0 && s.workload.sessions) gen.NextTurn(r->session, now);
  }
}

// The scenario's engine, hardware and deployment simulated with four small requests: every
// configuration the loader accepts must also run (no SERVESIM_CHECK, no UB, bounded memory).
void RunShort(Scenario s) {
  WorkloadConfig w;
  w.process = ArrivalProcess::kConstant;
  w.rate_per_s = 10;
  w.num_requests = 4;
  w.input_tokens = ParseLengthDistribution(ConfigNode::LoadString("16", "fuzz"));
  w.output_tokens = ParseLengthDistribution(ConfigNode::LoadString("4", "fuzz"));
  s.workload = w;
  RunScenario(s);
}

}  // namespace
}  // namespace servesim::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace servesim;
  static const std::string kName = ConfigRoot() + "/scenarios/fuzz.yaml";
  const std::string text = fuzz::Text(data, size);
  try {
    const ConfigNode doc =
        ApplyOverrides(ConfigNode::LoadString(text, kName), fuzz::SetLines(text));
    const Scenario s = ParseScenario(doc, std::nullopt);
    fuzz::DrawRequests(s);
    fuzz::RunShort(s);
  } catch (const InputError&) {
    // Bad input, reported with a message: the expected outcome.
  }
  return 0;
}

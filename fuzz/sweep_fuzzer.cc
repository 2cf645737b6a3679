// libFuzzer target: a sweep file (base, set, grid, zip) through ParseSweepSpec, then the scenario
// of its first points. Named as if it were configs/sweeps/fuzz.yaml, so "base:
// ../scenarios/default.yaml" resolves as in the repo.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_util.h"
#include "sim/config/input_error.h"
#include "sim/config/scenario.h"
#include "sim/config/zoo.h"
#include "sim/studies/sweep_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace servesim;
  static const std::string kName = ConfigRoot() + "/sweeps/fuzz.yaml";
  try {
    const SweepSpec spec = ParseSweepSpec(ConfigNode::LoadString(fuzz::Text(data, size), kName));
    (void)spec.InputKeys();
    const int64_t points = std::min<int64_t>(spec.NumPoints(), 4);
    for (int64_t i = 0; i < points; ++i) {
      (void)ParseScenario(PointDocument(spec, PointAt(spec, i)), std::nullopt);
    }
  } catch (const InputError&) {
  }
  return 0;
}

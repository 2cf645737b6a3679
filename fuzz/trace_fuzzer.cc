// libFuzzer target: a request trace (Azure or generic CSV) read row by row with TraceReader, then
// replayed by a RequestGenerator (time offsets, rate_scale, repeat, prefix columns). The first byte
// picks the declared format ("", azure, csv), rate_scale and repeat (1 or 3); the rest is the
// file.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_util.h"
#include "sim/config/input_error.h"
#include "sim/workload/trace_reader.h"
#include "sim/workload/workload.h"

namespace servesim::fuzz {
namespace {

constexpr int kMaxRows = 10'000;

void ReadAll(const std::string& path, const std::string& format) {
  TraceReader reader(path, format);
  for (int i = 0; i < kMaxRows && reader.Next(); ++i) {
  }
}

void Replay(const std::string& path, const std::string& format, double rate_scale, int64_t repeat) {
  TraceConfig trace;
  trace.path = path;
  trace.format = TraceReader(path, format).format();
  trace.rate_scale = rate_scale;
  trace.repeat = repeat;
  WorkloadConfig config;
  config.trace = trace;
  config.num_requests = kMaxRows;
  RequestGenerator gen(config, 1);
  while (gen.NextArrival()) {
  }
}

}  // namespace
}  // namespace servesim::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace servesim;
  if (size == 0) return 0;
  static const char* kFormats[] = {"", "azure", "csv"};
  static const double kRateScales[] = {1.0, 2.0, 0.001, 1e6};
  const std::string format = kFormats[data[0] % 3];
  const double rate_scale = kRateScales[(data[0] / 3) % 4];
  const int64_t repeat = (data[0] / 12) % 2 == 0 ? 1 : 3;
  const std::string path = fuzz::ScratchFile(fuzz::Text(data + 1, size - 1));
  try {
    fuzz::ReadAll(path, format);
    fuzz::Replay(path, format, rate_scale, repeat);
  } catch (const InputError&) {
  }
  return 0;
}

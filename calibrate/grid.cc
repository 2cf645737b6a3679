#include "calibrate/grid.h"

#include <fmt/format.h>

#include <charconv>

#include "sim/config/input_error.h"

namespace servesim {

CalibrationGrid CalibrationGrid::CpuDefault(int64_t cache_bytes) {
  CalibrationGrid g;
  g.tokens = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
  g.prefill_chunks = {1, 16, 64, 256};
  g.prefill_contexts = {0, 128, 512};
  g.decode_seqs = {1, 4, 16};
  g.decode_kv = {16, 128, 1024};
  g.copy_bytes = {2 * cache_bytes, 3 * cache_bytes};
  g.step_prefill = {0, 64, 256};
  g.step_decode = {0, 4, 16};
  g.step_kv = {128, 512};
  g.step_layers = 2;
  return g;
}

CalibrationGrid CalibrationGrid::CudaDefault() {
  CalibrationGrid g;
  g.tokens = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384};
  g.prefill_chunks = {1, 16, 128, 512, 2048, 8192};
  g.prefill_contexts = {0, 1024, 4096, 16384, 32768};
  g.decode_seqs = {1, 8, 32, 64, 128, 256};
  g.decode_kv = {16, 256, 1024, 4096, 16384};
  g.copy_bytes = {int64_t{256} << 20, int64_t{1} << 30};
  g.comm_bytes = {int64_t{64} << 10, int64_t{1} << 20, int64_t{16} << 20, int64_t{128} << 20};
  g.step_prefill = {0, 512, 2048};
  g.step_decode = {0, 32, 128};
  g.step_kv = {1024, 4096};
  g.step_layers = 4;
  return g;
}

CalibrationGrid CalibrationGrid::Tiny() {
  CalibrationGrid g;
  g.tokens = {1, 16, 128};
  g.prefill_chunks = {1, 64, 200};
  g.prefill_contexts = {0, 100};
  g.decode_seqs = {1, 5};
  g.decode_kv = {7, 100};
  g.copy_bytes = {int64_t{64} << 20};
  g.comm_bytes = {int64_t{1} << 20};
  g.step_prefill = {0, 64};
  g.step_decode = {0, 4};
  g.step_kv = {100};
  g.step_layers = 1;
  return g;
}

std::vector<std::vector<int64_t>> MixedDecodeBatches(const CalibrationGrid& grid) {
  std::vector<std::vector<int64_t>> out;
  if (grid.decode_kv.size() < 2) return out;
  for (int64_t seqs : grid.decode_seqs) {
    if (seqs < 2) continue;
    std::vector<int64_t> cycle, one_long(static_cast<size_t>(seqs), grid.decode_kv.front());
    for (int64_t i = 0; i < seqs; ++i) cycle.push_back(grid.decode_kv[i % grid.decode_kv.size()]);
    one_long[0] = grid.decode_kv.back();
    out.push_back(cycle);
    out.push_back(one_long);
  }
  return out;
}

std::vector<int64_t> ParseGridList(const std::string& name, const std::string& text, int64_t lo,
                                   int64_t hi) {
  std::vector<int64_t> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, end - start);
    int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (item.empty() || ec != std::errc() || ptr != item.data() + item.size()) {
      throw InputError(
          fmt::format("--{}: '{}' is not an integer (expected a list like 1,2,4)", name, item));
    }
    if (v < lo || v > hi) {
      throw InputError(fmt::format("--{}: {} is out of range [{}, {}]", name, v, lo, hi));
    }
    if (!out.empty() && v <= out.back()) {
      throw InputError(
          fmt::format("--{}: values must increase strictly, got {} after {}", name, v, out.back()));
    }
    out.push_back(v);
    start = end + 1;
  }
  return out;
}

}  // namespace servesim

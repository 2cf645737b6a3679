// CalibrationGrid: the shapes servesim-calibrate measures. Defaults per backend: the CPU grid is
// small (a tiny model calibrates in seconds in CI); the CUDA grid spans what serving engines run
// (1 to 16k tokens, chunks up to 8k over contexts up to 32k, decode batches up to 256).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace servesim {

struct CalibrationGrid {
  std::vector<int64_t> tokens;            // GEMM, elementwise and sampling rows
  std::vector<int64_t> prefill_chunks;    // prefill attention: new tokens per chunk
  std::vector<int64_t> prefill_contexts;  // ... cached tokens before the chunk
  std::vector<int64_t> decode_seqs;       // decode attention: sequences per batch
  std::vector<int64_t> decode_kv;         // ... KV length of every sequence
  std::vector<int64_t> copy_bytes;        // bandwidth
  std::vector<int64_t> comm_bytes;        // NCCL collectives (>= 2 GPUs)
  std::vector<int64_t> step_prefill;      // whole steps: prefill chunk tokens (context 0)
  std::vector<int64_t> step_decode;       // ... decode sequences
  std::vector<int64_t> step_kv;           // ... their KV length
  int64_t step_layers = 2;

  static CalibrationGrid CpuDefault(int64_t cache_bytes);
  static CalibrationGrid CudaDefault();
  // A grid small enough for compute-sanitizer (calibrate/gpu_check.sh).
  static CalibrationGrid Tiny();
};

// Decode batches with mixed KV lengths measured besides the uniform grid (they check that
// decode time follows the sum of the KV lengths): for each batch size >= 2, lengths cycling
// through the KV grid, and one long sequence among short ones.
std::vector<std::vector<int64_t>> MixedDecodeBatches(const CalibrationGrid& grid);

// "1,2,4" -> {1, 2, 4}; each value an integer in [lo, hi], strictly increasing. Throws
// InputError "--NAME: ..." otherwise.
std::vector<int64_t> ParseGridList(const std::string& name, const std::string& text, int64_t lo,
                                   int64_t hi);

}  // namespace servesim

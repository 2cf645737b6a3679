// Backend: one device the calibration harness measures on (CpuBackend with Eigen kernels,
// CudaBackend with CUDA kernels). A backend runs each kernel on the model's per-GPU shapes,
// checks it against a straightforward reference on random inputs, then times it (warm-up,
// repeats, median, inputs rotated through buffers larger than the last-level cache).
// The harness (calibrate/harness.h) chooses the shapes; backends only run them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/calibration_ops.h"
#include "models/calibration_profile.h"

namespace servesim {

// Per-GPU shapes of the model at the calibrated tp, in elements.
struct KernelDims {
  int64_t hidden = 0;
  int64_t heads = 0;
  int64_t kv_heads = 0;
  int64_t head_dim = 0;
  int64_t ffn = 0;
  int64_t vocab_local = 0;  // LM-head slice
  int64_t vocab = 0;        // sampling over the gathered logits
  int64_t block_size = 16;  // paged KV cache
  int64_t max_position = 0;
  Precision weight = Precision::kBf16;
  Precision activation = Precision::kBf16;
  Precision kv = Precision::kBf16;
};

// Inner and output width of a GEMM op (x [rows, k] * w [k, n]).
struct GemmShape {
  int64_t k = 0;
  int64_t n = 0;
};
inline GemmShape GemmShapeOf(CalOp op, const KernelDims& d) {
  const int64_t dq = d.heads * d.head_dim, dkv = d.kv_heads * d.head_dim;
  switch (op) {
    case CalOp::kGemmQkv:
      return {d.hidden, dq + 2 * dkv};
    case CalOp::kGemmO:
      return {dq, d.hidden};
    case CalOp::kGemmGateUp:
      return {d.hidden, 2 * d.ffn};
    case CalOp::kGemmDown:
      return {d.ffn, d.hidden};
    default:
      return {d.hidden, d.vocab_local};  // gemm.lm_head
  }
}

struct Timing {
  int warmup = 1;
  int repeats = 5;
};

// A checked, timed kernel: the median time over the repeats and the normalised error of the
// correctness check, max |out - ref| / max |ref| (argmax: the gap between the chosen and the
// largest logit, relative to the largest).
struct Measurement {
  double time_s = 0;
  double check_error = 0;
};

// One end-to-end step of a stack of layers: a prefill chunk (context 0) and decode sequences.
struct StepShape {
  int64_t prefill_tokens = 0;
  int64_t decode_seqs = 0;
  int64_t kv_len = 0;  // KV length of every decode sequence
  int64_t layers = 1;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string Name() const = 0;  // "cpu" | "cuda"
  // Device description for the profile (date, version and command line are the harness's).
  virtual Provenance Describe() const = 0;
  // Tolerated check error for an op at the backend's precision.
  virtual double Tolerance(CalOp op) const = 0;

  // `rows` tokens through one GEMM op (gemm.*).
  virtual Measurement Gemm(CalOp op, int64_t rows) = 0;
  // One causal GQA prefill chunk after `context` cached tokens.
  virtual Measurement PrefillAttention(int64_t chunk, int64_t context) = 0;
  // Paged decode attention, one query token per sequence, KV lengths as given.
  virtual Measurement DecodeAttention(const std::vector<int64_t>& kv_lengths) = 0;
  // other.* ops over `rows` tokens (sampling: rows of logits).
  virtual Measurement Elementwise(CalOp op, int64_t rows) = 0;
  // Device-to-device copy of `bytes` bytes.
  virtual Measurement Copy(int64_t bytes) = 0;
  // A whole step built from the kernels above.
  virtual Measurement Step(const StepShape& shape) = 0;
  // Collectives over all visible devices (comm.*); false if the backend has none.
  virtual bool HasCollectives() const { return false; }
  virtual Measurement Collective(CalOp /*op*/, int64_t /*bytes*/) { return {}; }
};

}  // namespace servesim

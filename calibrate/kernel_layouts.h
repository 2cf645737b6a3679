// Tensor layouts shared by the CPU kernels, the reference kernels and the CUDA kernels (all
// row-major, per GPU of a tensor-parallel replica):
//   GEMM            x [rows, k] * w [k, n] -> y [rows, n]
//   prefill attn    q [c, heads, d]; k, v [p + c, kv_heads, d] (cached tokens first);
//                   o [c, heads, d]; query i (position p + i) sees keys 0 .. p + i; GQA: head h
//                   reads KV head h / (heads / kv_heads); scores scaled by 1 / sqrt(d)
//   decode attn     q [seqs, heads, d]; k_cache, v_cache [blocks, block_size, kv_heads, d];
//                   block_table [seqs, max_blocks] (int32); lengths [seqs] (int32)
//   add + RMSNorm   x, residual [rows, h], w [h] -> residual_out = x + residual,
//                   y = residual_out / sqrt(mean(residual_out^2) + eps) * w
//   rotary (NeoX)   q [rows, heads, d], k [rows, kv_heads, d], positions [rows];
//                   cos_sin [max_position, d] (cos in the first half, sin in the second)
//   SiLU-and-mul    gate_up [rows, 2f] (gate, then up) -> out [rows, f] = silu(gate) * up
//   KV write        k, v [rows, kv_heads, d], slots [rows] (int64 token slot of the cache)
//   embedding       ids [rows] (int32), table [vocab, h] -> out [rows, h]
//   argmax          logits [rows, vocab] -> ids [rows] (int32)
#pragma once

#include <cstdint>

namespace servesim {

inline constexpr float kRmsNormEps = 1e-6f;
inline constexpr double kRopeTheta = 10000.0;

struct AttnDims {
  int64_t heads = 0;
  int64_t kv_heads = 0;
  int64_t head_dim = 0;
  int64_t block_size = 16;
  int64_t Group() const { return heads / kv_heads; }
};

}  // namespace servesim

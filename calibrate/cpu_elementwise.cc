// The CPU backend's elementwise ops (other.*): norms, rotary, activation, cache write, embedding,
// sampling.
#include <algorithm>
#include <numeric>

#include "calibrate/cpu_backend.h"
#include "calibrate/cpu_kernels.h"
#include "calibrate/reference.h"
#include "sim/core/check.h"

namespace servesim {

Measurement CpuBackend::Elementwise(CalOp op, int64_t rows) {
  switch (op) {
    case CalOp::kRmsNorm:
      return RmsNorm(rows);
    case CalOp::kRotary:
      return Rotary(rows);
    case CalOp::kSiluMul:
      return SiluMul(rows);
    case CalOp::kKvWrite:
      return KvWrite(rows);
    case CalOp::kEmbedding:
      return Embedding(rows);
    case CalOp::kSampling:
      return Sampling(rows);
    default:
      SERVESIM_CHECK(false);
  }
  return {};
}

Measurement CpuBackend::RmsNorm(int64_t rows) {
  const int64_t h = dims_.hidden;
  struct Args {
    const float *x, *res, *w;
    float *res_out, *y;
  };
  in_.Reserve(2 * rows * h + h);
  out_.Reserve(2 * rows * h);
  const auto make = [&] {
    return Args{in_.Take(rows * h), in_.Take(rows * h), in_.Take(h), out_.Take(rows * h),
                out_.Take(rows * h)};
  };
  const auto run = [&](const Args& a) {
    cpu::AddRmsNorm(a.x, a.res, a.w, a.res_out, a.y, rows, h);
  };
  const Args a = make();
  run(a);
  std::vector<float> ref_res(static_cast<size_t>(rows * h)), ref_y(ref_res.size());
  ref::AddRmsNorm(a.x, a.res, a.w, ref_res.data(), ref_y.data(), rows, h);
  Measurement m;
  m.check_error = std::max(ref::NormalisedError(a.y, ref_y.data(), rows * h),
                           ref::NormalisedError(a.res_out, ref_res.data(), rows * h));
  m.time_s = MedianSeconds(timing_, make, run);
  return m;
}

Measurement CpuBackend::Rotary(int64_t rows) {
  const int64_t dq = attn_.heads * attn_.head_dim, dkv = attn_.kv_heads * attn_.head_dim;
  const std::vector<int64_t> pos = Positions(rows);
  struct Args {
    const float *q, *k;
    float *q_out, *k_out;
  };
  in_.Reserve(rows * (dq + dkv));
  out_.Reserve(rows * (dq + dkv));
  const auto make = [&] {
    return Args{in_.Take(rows * dq), in_.Take(rows * dkv), out_.Take(rows * dq),
                out_.Take(rows * dkv)};
  };
  const auto run = [&](const Args& a) {
    cpu::Rotary(a.q, dq, a.k, dkv, pos.data(), cos_sin_.data(), a.q_out, a.k_out, rows, attn_);
  };
  const Args a = make();
  run(a);
  std::vector<float> ref_q(static_cast<size_t>(rows * dq)), ref_k(static_cast<size_t>(rows * dkv));
  ref::Rotary(a.q, a.k, pos.data(), ref_q.data(), ref_k.data(), rows, attn_);
  Measurement m;
  m.check_error = std::max(ref::NormalisedError(a.q_out, ref_q.data(), rows * dq),
                           ref::NormalisedError(a.k_out, ref_k.data(), rows * dkv));
  m.time_s = MedianSeconds(timing_, make, run);
  return m;
}

Measurement CpuBackend::SiluMul(int64_t rows) {
  const int64_t f = dims_.ffn;
  struct Args {
    const float* gu;
    float* out;
  };
  in_.Reserve(rows * 2 * f);
  out_.Reserve(rows * f);
  const auto make = [&] { return Args{in_.Take(rows * 2 * f), out_.Take(rows * f)}; };
  const auto run = [&](const Args& a) { cpu::SiluMul(a.gu, a.out, rows, f); };
  const Args a = make();
  run(a);
  std::vector<float> ref(static_cast<size_t>(rows * f));
  ref::SiluMul(a.gu, ref.data(), rows, f);
  Measurement m;
  m.check_error = ref::NormalisedError(a.out, ref.data(), rows * f);
  m.time_s = MedianSeconds(timing_, make, run);
  return m;
}

// New tokens' K and V scattered into a cache twice as large at random distinct slots.
Measurement CpuBackend::KvWrite(int64_t rows) {
  const int64_t dkv = attn_.kv_heads * attn_.head_dim, slots_n = 2 * rows;
  std::vector<int64_t> slots(static_cast<size_t>(slots_n));
  std::iota(slots.begin(), slots.end(), 0);
  for (int64_t i = slots_n - 1; i > 0; --i) std::swap(slots[i], slots[rng_.UniformInt(0, i)]);
  slots.resize(static_cast<size_t>(rows));
  struct Args {
    const float *k, *v;
    float *kc, *vc;
  };
  in_.Reserve(2 * rows * dkv);
  out_.Reserve(2 * slots_n * dkv);
  const auto make = [&] {
    return Args{in_.Take(rows * dkv), in_.Take(rows * dkv), out_.Take(slots_n * dkv),
                out_.Take(slots_n * dkv)};
  };
  const auto run = [&](const Args& a) {
    cpu::KvWrite(a.k, dkv, a.v, dkv, slots.data(), a.kc, a.vc, rows, dkv);
  };
  const Args a = make();
  run(a);
  Measurement m;
  for (int64_t r = 0; r < rows; ++r) {
    m.check_error =
        std::max({m.check_error, ref::NormalisedError(a.kc + slots[r] * dkv, a.k + r * dkv, dkv),
                  ref::NormalisedError(a.vc + slots[r] * dkv, a.v + r * dkv, dkv)});
  }
  m.time_s = MedianSeconds(timing_, make, run);
  return m;
}

Measurement CpuBackend::Embedding(int64_t rows) {
  const int64_t h = dims_.hidden, vocab = dims_.vocab_local;
  std::vector<int32_t> ids(static_cast<size_t>(rows));
  for (int32_t& id : ids) id = static_cast<int32_t>(rng_.UniformInt(0, vocab - 1));
  struct Args {
    const float* table;
    float* out;
  };
  in_.Reserve(vocab * h);
  out_.Reserve(rows * h);
  const auto make = [&] { return Args{in_.Take(vocab * h), out_.Take(rows * h)}; };
  const auto run = [&](const Args& a) { cpu::Embedding(ids.data(), a.table, a.out, rows, h); };
  const Args a = make();
  run(a);
  Measurement m;
  for (int64_t r = 0; r < rows; ++r) {
    m.check_error = std::max(m.check_error,
                             ref::NormalisedError(a.out + r * h, a.table + int64_t{ids[r]} * h, h));
  }
  m.time_s = MedianSeconds(timing_, make, run);
  return m;
}

Measurement CpuBackend::Sampling(int64_t rows) {
  const int64_t vocab = dims_.vocab;
  std::vector<int32_t> ids(static_cast<size_t>(rows));
  in_.Reserve(rows * vocab);
  const auto make = [&] { return in_.Take(rows * vocab); };
  const auto run = [&](const float* logits) { cpu::Argmax(logits, ids.data(), rows, vocab); };
  const float* logits = make();
  run(logits);
  Measurement m;
  m.check_error = ref::ArgmaxError(logits, ids.data(), rows, vocab);
  m.time_s = MedianSeconds(timing_, make, run);
  return m;
}

}  // namespace servesim

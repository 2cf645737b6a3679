// CudaBackend's elementwise ops (other.*), each checked on a few rows against the host
// references before it is timed.
#include <algorithm>
#include <functional>
#include <numeric>
#include <set>

#include "calibrate/cuda/cuda_backend_impl.h"
#include "calibrate/reference.h"
#include "sim/core/check.h"

namespace servesim::cuda {
namespace {

std::set<int64_t> Rows(int64_t n) { return {0, n / 2, n - 1}; }

double Err(const std::vector<float>& out, const std::vector<float>& ref) {
  return ref::NormalisedError(out.data(), ref.data(), static_cast<int64_t>(out.size()));
}

}  // namespace

Measurement CudaBackend::Elementwise(CalOp op, int64_t rows) {
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

Measurement CudaBackend::RmsNorm(int64_t rows) {
  const int64_t h = dims_.hidden, es = static_cast<int64_t>(SizeOf(act_));
  act_in_->Reserve(2 * rows * h + h);
  out_->Reserve(2 * rows * h * es / 4 + 2);
  struct Args {
    void *x, *r, *w, *r_out, *y;
  };
  const auto make = [&] {
    return Args{act_in_->Take(rows * h), act_in_->Take(rows * h), act_in_->Take(h),
                TakeOut(rows * h * es), TakeOut(rows * h * es)};
  };
  const auto run = [&](const Args& a) {
    cuda::AddRmsNorm(act_, a.x, a.r, a.w, a.r_out, a.y, rows, h, stream_);
  };
  const Args a = make();
  run(a);
  Check(cudaStreamSynchronize(stream_), "rmsnorm check");
  Measurement m;
  const std::vector<float> w = Fetch(act_, a.w, h);
  for (int64_t r : Rows(rows)) {
    const std::vector<float> x = Fetch(act_, At(act_, a.x, r * h), h);
    const std::vector<float> res = Fetch(act_, At(act_, a.r, r * h), h);
    std::vector<float> ref_res(h), ref_y(h);
    ref::AddRmsNorm(x.data(), res.data(), w.data(), ref_res.data(), ref_y.data(), 1, h);
    m.check_error = std::max({m.check_error, Err(Fetch(act_, At(act_, a.y, r * h), h), ref_y),
                              Err(Fetch(act_, At(act_, a.r_out, r * h), h), ref_res)});
  }
  m.time_s = TimeMedian(make, run);
  return m;
}

Measurement CudaBackend::Rotary(int64_t rows) {
  const int64_t dq = attn_.heads * attn_.head_dim, dkv = attn_.kv_heads * attn_.head_dim;
  const int64_t es = static_cast<int64_t>(SizeOf(act_));
  const std::vector<int64_t> pos = Positions(rows);
  const DeviceArray<int64_t> d_pos(pos);
  act_in_->Reserve(rows * (dq + dkv));
  out_->Reserve(rows * (dq + dkv) * es / 4 + 2);
  struct Args {
    void *q, *k, *qo, *ko;
  };
  const auto make = [&] {
    return Args{act_in_->Take(rows * dq), act_in_->Take(rows * dkv), TakeOut(rows * dq * es),
                TakeOut(rows * dkv * es)};
  };
  const auto run = [&](const Args& a) {
    cuda::Rotary(act_, a.q, dq, a.k, dkv, d_pos.get(), cos_sin_.get(), a.qo, a.ko, rows, attn_,
                 stream_);
  };
  const Args a = make();
  run(a);
  Check(cudaStreamSynchronize(stream_), "rotary check");
  Measurement m;
  for (int64_t r : Rows(rows)) {
    const std::vector<float> q = Fetch(act_, At(act_, a.q, r * dq), dq);
    const std::vector<float> k = Fetch(act_, At(act_, a.k, r * dkv), dkv);
    std::vector<float> rq(dq), rk(dkv);
    ref::Rotary(q.data(), k.data(), &pos[r], rq.data(), rk.data(), 1, attn_);
    m.check_error = std::max({m.check_error, Err(Fetch(act_, At(act_, a.qo, r * dq), dq), rq),
                              Err(Fetch(act_, At(act_, a.ko, r * dkv), dkv), rk)});
  }
  m.time_s = TimeMedian(make, run);
  return m;
}

Measurement CudaBackend::SiluMul(int64_t rows) {
  const int64_t f = dims_.ffn, es = static_cast<int64_t>(SizeOf(act_));
  act_in_->Reserve(rows * 2 * f);
  out_->Reserve(rows * f * es / 4 + 1);
  struct Args {
    void *gu, *out;
  };
  const auto make = [&] { return Args{act_in_->Take(rows * 2 * f), TakeOut(rows * f * es)}; };
  const auto run = [&](const Args& a) { cuda::SiluMul(act_, a.gu, a.out, rows, f, stream_); };
  const Args a = make();
  run(a);
  Check(cudaStreamSynchronize(stream_), "silu_mul check");
  Measurement m;
  for (int64_t r : Rows(rows)) {
    const std::vector<float> gu = Fetch(act_, At(act_, a.gu, r * 2 * f), 2 * f);
    std::vector<float> ref(f);
    ref::SiluMul(gu.data(), ref.data(), 1, f);
    m.check_error = std::max(m.check_error, Err(Fetch(act_, At(act_, a.out, r * f), f), ref));
  }
  m.time_s = TimeMedian(make, run);
  return m;
}

// New tokens' K and V scattered into a cache twice as large at random distinct slots.
Measurement CudaBackend::KvWrite(int64_t rows) {
  const int64_t dkv = attn_.kv_heads * attn_.head_dim, n_slots = 2 * rows;
  const int64_t es = static_cast<int64_t>(SizeOf(act_));
  std::vector<int64_t> slots(static_cast<size_t>(n_slots));
  std::iota(slots.begin(), slots.end(), 0);
  for (int64_t i = n_slots - 1; i > 0; --i) std::swap(slots[i], slots[rng_.UniformInt(0, i)]);
  slots.resize(static_cast<size_t>(rows));
  const DeviceArray<int64_t> d_slots(slots);
  act_in_->Reserve(2 * rows * dkv);
  out_->Reserve(2 * n_slots * dkv * es / 4 + 2);
  struct Args {
    void *k, *v, *kc, *vc;
  };
  const auto make = [&] {
    return Args{act_in_->Take(rows * dkv), act_in_->Take(rows * dkv), TakeOut(n_slots * dkv * es),
                TakeOut(n_slots * dkv * es)};
  };
  const auto run = [&](const Args& a) {
    cuda::KvWrite(act_, a.k, dkv, a.v, dkv, d_slots.get(), a.kc, a.vc, rows, dkv, stream_);
  };
  const Args a = make();
  run(a);
  Check(cudaStreamSynchronize(stream_), "kv_write check");
  Measurement m;
  for (int64_t r : Rows(rows)) {
    for (const auto& [src, dst] : {std::pair{a.k, a.kc}, std::pair{a.v, a.vc}}) {
      m.check_error = std::max(m.check_error, Err(Fetch(act_, At(act_, dst, slots[r] * dkv), dkv),
                                                  Fetch(act_, At(act_, src, r * dkv), dkv)));
    }
  }
  m.time_s = TimeMedian(make, run);
  return m;
}

Measurement CudaBackend::Embedding(int64_t rows) {
  const int64_t h = dims_.hidden, vocab = dims_.vocab_local,
                es = static_cast<int64_t>(SizeOf(act_));
  std::vector<int32_t> ids(static_cast<size_t>(rows));
  for (int32_t& id : ids) id = static_cast<int32_t>(rng_.UniformInt(0, vocab - 1));
  const DeviceArray<int32_t> d_ids(ids);
  act_in_->Reserve(vocab * h);
  out_->Reserve(rows * h * es / 4 + 1);
  struct Args {
    void *table, *out;
  };
  const auto make = [&] { return Args{act_in_->Take(vocab * h), TakeOut(rows * h * es)}; };
  const auto run = [&](const Args& a) {
    cuda::Embedding(act_, d_ids.get(), a.table, a.out, rows, h, stream_);
  };
  const Args a = make();
  run(a);
  Check(cudaStreamSynchronize(stream_), "embedding check");
  Measurement m;
  for (int64_t r : Rows(rows)) {
    m.check_error = std::max(m.check_error, Err(Fetch(act_, At(act_, a.out, r * h), h),
                                                Fetch(act_, At(act_, a.table, ids[r] * h), h)));
  }
  m.time_s = TimeMedian(make, run);
  return m;
}

// Greedy sampling (argmax) over fp32 logits; top-k (k = 8) is checked once on the same rows.
Measurement CudaBackend::Sampling(int64_t rows) {
  const int64_t vocab = dims_.vocab;
  constexpr int kTopK = 8;
  f32_in_->Reserve(rows * vocab);
  DeviceArray<int32_t> ids(std::vector<int32_t>(static_cast<size_t>(rows) * kTopK));
  const auto make = [&] { return f32_in_->Take(rows * vocab); };
  const auto run = [&](void* logits) {
    cuda::Argmax(static_cast<const float*>(logits), ids.get(), rows, vocab, stream_);
  };
  void* logits = make();
  run(logits);
  std::vector<int32_t> got(static_cast<size_t>(rows));
  Check(cudaMemcpy(got.data(), ids.get(), got.size() * 4, cudaMemcpyDeviceToHost), "argmax check");
  Measurement m;
  for (int64_t r : Rows(rows)) {
    const std::vector<float> row = Fetch(DType::kF32, At(DType::kF32, logits, r * vocab), vocab);
    m.check_error = std::max(m.check_error, ref::ArgmaxError(row.data(), &got[r], 1, vocab));
    cuda::TopK(static_cast<const float*>(At(DType::kF32, logits, r * vocab)), ids.get(), 1, vocab,
               kTopK, stream_);
    std::vector<int32_t> top(kTopK);
    Check(cudaMemcpy(top.data(), ids.get(), kTopK * 4, cudaMemcpyDeviceToHost), "top-k check");
    std::vector<float> sorted = row;
    std::partial_sort(sorted.begin(), sorted.begin() + kTopK, sorted.end(), std::greater<float>());
    for (int i = 0; i < kTopK; ++i) {
      const bool ok = top[i] >= 0 && top[i] < vocab && row[top[i]] == sorted[i];
      if (!ok) m.check_error = 1;
    }
  }
  m.time_s = TimeMedian(make, run);
  return m;
}

}  // namespace servesim::cuda

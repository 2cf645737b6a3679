// The CPU backend's single-kernel measurements; the whole step is in cpu_step.cc.
#include "calibrate/cpu_backend.h"

#include <unistd.h>

#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <numeric>
#include <string>
#include <thread>

#include "calibrate/cpu_kernels.h"
#include "calibrate/reference.h"
#include "calibrate/step_layout.h"
#include "sim/core/check.h"

namespace servesim {
namespace {

constexpr int64_t kCheckRows = 8;  // reference rows checked at each end of a large output

std::string CpuModelName() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown CPU";
}

double CpuMhz() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("cpu MHz", 0) == 0) return std::stod(line.substr(line.find(':') + 1));
  }
  return 0;
}

// Error of rows [0, k) and [rows - k, rows) of out against ref (rows of width n).
template <typename RefRows>
double CheckRows(const float* out, int64_t rows, int64_t n, RefRows ref_rows) {
  std::vector<float> ref(static_cast<size_t>(rows * n));
  double err = 0;
  for (int64_t begin : {int64_t{0}, std::max<int64_t>(0, rows - kCheckRows)}) {
    const int64_t end = std::min(rows, begin + kCheckRows);
    ref_rows(ref.data(), begin, end);
    err = std::max(
        err, ref::NormalisedError(out + begin * n, ref.data() + begin * n, (end - begin) * n));
  }
  return err;
}

}  // namespace

CpuBackend::CpuBackend(const KernelDims& dims, const Timing& timing, uint64_t seed,
                       int64_t cache_bytes)
    : dims_(dims),
      attn_{dims.heads, dims.kv_heads, dims.head_dim, dims.block_size},
      timing_(timing),
      cache_bytes_(cache_bytes > 0 ? cache_bytes : LastLevelCacheBytes()),
      in_(2 * cache_bytes_, seed, "calibrate.cpu.inputs"),
      out_(2 * cache_bytes_, seed, "calibrate.cpu.outputs"),
      cos_sin_(ref::CosSinCache(dims.max_position, dims.head_dim)),
      rng_(seed, "calibrate.cpu.indices") {
  SERVESIM_CHECK(dims.heads % dims.kv_heads == 0 && dims.head_dim % 2 == 0);
}

Provenance CpuBackend::Describe() const {
  Provenance p;
  p.device = CpuModelName();
  p.device_kind = "cpu";
  p.compute_units = std::thread::hardware_concurrency();
  p.threads = Eigen::nbThreads();
  p.clock_mhz = CpuMhz();
  p.memory_bytes = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE);
  p.cache_bytes = static_cast<double>(cache_bytes_);
  p.compute_type = "fp32 (Eigen " + std::to_string(EIGEN_WORLD_VERSION) + "." +
                   std::to_string(EIGEN_MAJOR_VERSION) + "." + std::to_string(EIGEN_MINOR_VERSION) +
                   ")";
  return p;
}

double CpuBackend::Tolerance(CalOp op) const { return op == CalOp::kSampling ? 0 : 1e-3; }

Measurement CpuBackend::Gemm(CalOp op, int64_t rows) {
  const GemmShape s = GemmShapeOf(op, dims_);
  struct Args {
    const float *x, *w;
    float* y;
  };
  in_.Reserve(rows * s.k + s.k * s.n);
  out_.Reserve(rows * s.n);
  const auto make = [&] {
    return Args{in_.Take(rows * s.k), in_.Take(s.k * s.n), out_.Take(rows * s.n)};
  };
  const auto run = [&](const Args& a) { cpu::Gemm(a.x, a.w, a.y, rows, s.k, s.n); };
  const Args a = make();
  run(a);
  Measurement m;
  m.check_error = CheckRows(a.y, rows, s.n, [&](float* ref, int64_t b, int64_t e) {
    ref::Gemm(a.x, a.w, ref, b, e, s.k, s.n);
  });
  m.time_s = MedianSeconds(timing_, make, run);
  return m;
}

Measurement CpuBackend::PrefillAttention(int64_t chunk, int64_t context) {
  const int64_t dq = attn_.heads * attn_.head_dim, dkv = attn_.kv_heads * attn_.head_dim;
  const int64_t keys = context + chunk;
  struct Args {
    const float *q, *k, *v;
    float* o;
  };
  in_.Reserve(chunk * dq + 2 * keys * dkv);
  out_.Reserve(chunk * dq);
  const auto make = [&] {
    return Args{in_.Take(chunk * dq), in_.Take(keys * dkv), in_.Take(keys * dkv),
                out_.Take(chunk * dq)};
  };
  const auto run = [&](const Args& a) {
    cpu::PrefillAttention(a.q, a.k, a.v, a.o, chunk, context, attn_);
  };
  const Args a = make();
  run(a);
  Measurement m;
  m.check_error = CheckRows(a.o, chunk, dq, [&](float* ref, int64_t b, int64_t e) {
    ref::PrefillAttention(a.q, a.k, a.v, ref, b, e, context, attn_);
  });
  m.time_s = MedianSeconds(timing_, make, run);
  return m;
}

Measurement CpuBackend::DecodeAttention(const std::vector<int64_t>& kv_lengths) {
  const int64_t seqs = static_cast<int64_t>(kv_lengths.size());
  const int64_t dq = attn_.heads * attn_.head_dim, dkv = attn_.kv_heads * attn_.head_dim;
  const PagedLayout p = MakePagedLayout(kv_lengths, attn_.block_size, &rng_);
  const int64_t cache = p.blocks * attn_.block_size * dkv;
  struct Args {
    const float *q, *k, *v;
    float* o;
  };
  in_.Reserve(seqs * dq + 2 * cache);
  out_.Reserve(seqs * dq);
  const auto make = [&] {
    return Args{in_.Take(seqs * dq), in_.Take(cache), in_.Take(cache), out_.Take(seqs * dq)};
  };
  const auto run = [&](const Args& a) {
    cpu::DecodeAttention(a.q, a.k, a.v, p.table.data(), p.max_blocks, p.lengths.data(), seqs, a.o,
                         attn_);
  };
  const Args a = make();
  run(a);
  std::vector<float> ref(static_cast<size_t>(seqs * dq));
  ref::DecodeAttention(a.q, a.k, a.v, p.table.data(), p.max_blocks, p.lengths.data(), seqs,
                       ref.data(), attn_);
  Measurement m;
  m.check_error = ref::NormalisedError(a.o, ref.data(), seqs * dq);
  m.time_s = MedianSeconds(timing_, make, run);
  return m;
}

// Buffers of their own (larger than the cache by construction), filled with a non-zero pattern.
Measurement CpuBackend::Copy(int64_t bytes) {
  const size_t n = static_cast<size_t>(bytes / 4);
  std::vector<float> src(n), dst(n, 0.0f);
  for (size_t i = 0; i < n; ++i) src[i] = static_cast<float>(i % 251 + 1);
  const auto make = [] { return 0; };
  const auto run = [&](int) { std::memcpy(dst.data(), src.data(), n * sizeof(float)); };
  run(0);
  Measurement m;
  m.check_error = ref::NormalisedError(dst.data(), src.data(), static_cast<int64_t>(n));
  m.time_s = MedianSeconds(timing_, make, run);
  return m;
}

std::vector<int64_t> CpuBackend::Positions(int64_t rows) {
  std::vector<int64_t> pos(static_cast<size_t>(rows));
  for (int64_t& p : pos) p = rng_.UniformInt(0, dims_.max_position - 1);
  return pos;
}

}  // namespace servesim

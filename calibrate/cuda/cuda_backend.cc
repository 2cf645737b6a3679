// CudaBackend setup and its GEMM, attention and copy measurements.
#include "calibrate/cuda/cuda_backend.h"

#include <fmt/format.h>

#include <numeric>

#include "calibrate/cuda/cuda_backend_impl.h"
#include "calibrate/harness.h"
#include "calibrate/reference.h"
#include "calibrate/step_layout.h"
#include "sim/core/check.h"

namespace servesim {

int CudaDeviceCount() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" error
    return 0;
  }
  return n;
}

std::unique_ptr<Backend> MakeCudaBackend(const KernelDims& dims, const Timing& timing,
                                         uint64_t seed, int device) {
  return std::make_unique<cuda::CudaBackend>(dims, timing, seed, device);
}

namespace cuda {
namespace {

DType ActType(Precision p) { return p == Precision::kFp16 ? DType::kF16 : DType::kBf16; }

int Attribute(cudaDeviceAttr attr, int device) {
  int v = 0;
  Check(cudaDeviceGetAttribute(&v, attr, device), "cudaDeviceGetAttribute");
  return v;
}

}  // namespace

CudaBackend::CudaBackend(const KernelDims& dims, const Timing& timing, uint64_t seed, int device)
    : dims_(dims),
      attn_{dims.heads, dims.kv_heads, dims.head_dim, dims.block_size},
      timing_(timing),
      device_(device),
      act_(ActType(dims.activation)),
      wt_(dims.weight == Precision::kFp8 ? DType::kFp8 : ActType(dims.weight)),
      kv_(ActType(dims.activation)),
      rng_(seed, "calibrate.cuda.indices") {
  const int count = CudaDeviceCount();
  if (device < 0 || device >= count) {
    throw CalibrationError(fmt::format("CUDA device {} not available ({} visible)", device, count));
  }
  if (dims.kv == Precision::kFp8) {
    throw CalibrationError("the cuda backend does not measure an fp8 KV cache yet");
  }
  Check(cudaSetDevice(device), "cudaSetDevice");
  const int major = Attribute(cudaDevAttrComputeCapabilityMajor, device);
  const int minor = Attribute(cudaDevAttrComputeCapabilityMinor, device);
  if (wt_ == DType::kFp8 && major * 10 + minor < 89) {
    throw CalibrationError(
        fmt::format("fp8 GEMMs need compute capability 8.9 or newer; device {} is {}.{}", device,
                    major, minor));
  }
  Check(cudaStreamCreate(&stream_), "cudaStreamCreate");
  Check(cudaEventCreate(&start_), "cudaEventCreate");
  Check(cudaEventCreate(&stop_), "cudaEventCreate");
  l2_bytes_ = Attribute(cudaDevAttrL2CacheSize, device);
  const int64_t rotate = 2 * std::max<int64_t>(l2_bytes_, int64_t{8} << 20);
  gemm_ = std::make_unique<LtGemm>(stream_);
  act_in_ = std::make_unique<DevicePool>(act_, rotate, seed, stream_, true);
  w_in_ = std::make_unique<DevicePool>(wt_, rotate, seed + 1, stream_, true);
  f32_in_ = std::make_unique<DevicePool>(DType::kF32, rotate, seed + 2, stream_, true);
  out_ = std::make_unique<DevicePool>(DType::kF32, rotate, seed + 3, stream_, false);
  cos_sin_.Assign(ref::CosSinCache(dims.max_position, dims.head_dim));
}

CudaBackend::~CudaBackend() {
  cudaStreamSynchronize(stream_);
  cudaEventDestroy(start_);
  cudaEventDestroy(stop_);
  cudaStreamDestroy(stream_);
}

Provenance CudaBackend::Describe() const {
  cudaDeviceProp prop{};
  Check(cudaGetDeviceProperties(&prop, device_), "cudaGetDeviceProperties");
  int driver = 0, runtime = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  const auto version = [](int v) { return fmt::format("{}.{}", v / 1000, v % 1000 / 10); };
  Provenance p;
  p.device = fmt::format("{} (sm_{}{})", prop.name, prop.major, prop.minor);
  p.device_kind = "gpu";
  p.compute_units = prop.multiProcessorCount;
  p.clock_mhz = Attribute(cudaDevAttrClockRate, device_) / 1000.0;
  p.memory_bytes = static_cast<double>(prop.totalGlobalMem);
  p.cache_bytes = static_cast<double>(l2_bytes_);
  p.driver_version = version(driver);
  p.cuda_version = version(runtime);
  p.cublas_version = LtGemm::Version();
  p.compute_type = fmt::format(
      "{} GEMMs (cuBLASLt, fp32 accumulate); {} attention and "
      "elementwise kernels with fp32 math",
      DTypeName(wt_), DTypeName(act_));
  if (HasCollectives()) p.nccl_version = NcclVersionString();
  return p;
}

// Output rounding dominates: bf16 keeps 8 significant bits, fp16 11.
double CudaBackend::Tolerance(CalOp op) const {
  if (op == CalOp::kSampling || op == CalOp::kCopy) return 0;
  if (op == CalOp::kEmbedding || op == CalOp::kKvWrite) return 0;
  return act_ == DType::kF16 ? 4e-3 : 2e-2;
}

void* CudaBackend::TakeOut(int64_t bytes) { return out_->Take((bytes + 3) / 4); }

Measurement CudaBackend::Gemm(CalOp op, int64_t rows) {
  const GemmShape s = GemmShapeOf(op, dims_);
  const bool lm_head = op == CalOp::kGemmLmHead;
  DevicePool& in = lm_head ? *act_in_ : *w_in_;  // the LM head stays in the activation type
  const DType in_t = in.type(), out_t = lm_head ? DType::kF32 : act_;
  const int64_t out_bytes = rows * s.n * static_cast<int64_t>(SizeOf(out_t));
  in.Reserve(rows * s.k + s.n * s.k);
  out_->Reserve(out_bytes / 4 + 1);
  struct Args {
    void *x, *w, *y;
  };
  const auto make = [&] {
    return Args{in.Take(rows * s.k), in.Take(s.n * s.k), TakeOut(out_bytes)};
  };
  const auto run = [&](const Args& a) { gemm_->Run(in_t, out_t, a.x, a.w, a.y, rows, s.k, s.n); };
  const Args a = make();
  run(a);
  Check(cudaStreamSynchronize(stream_), "gemm check");
  Measurement m;
  m.check_error = CheckGemm(in_t, out_t, a.x, a.w, a.y, rows, s.k, s.n, &rng_);
  m.time_s = TimeMedian(make, run);
  return m;
}

Measurement CudaBackend::PrefillAttention(int64_t chunk, int64_t context) {
  const int64_t dq = attn_.heads * attn_.head_dim, dkv = attn_.kv_heads * attn_.head_dim;
  const int64_t keys = context + chunk, o_bytes = chunk * dq * static_cast<int64_t>(SizeOf(act_));
  act_in_->Reserve(chunk * dq + 2 * keys * dkv);
  out_->Reserve(o_bytes / 4 + 1);
  struct Args {
    void *q, *k, *v, *o;
  };
  const auto make = [&] {
    return Args{act_in_->Take(chunk * dq), act_in_->Take(keys * dkv), act_in_->Take(keys * dkv),
                TakeOut(o_bytes)};
  };
  const auto run = [&](const Args& a) {
    cuda::PrefillAttention(act_, a.q, a.k, a.v, a.o, chunk, context, attn_, stream_);
  };
  const Args a = make();
  run(a);
  Check(cudaStreamSynchronize(stream_), "prefill attention check");
  Measurement m;
  m.check_error = CheckPrefill(act_, a.q, a.k, a.v, a.o, chunk, context, attn_);
  m.time_s = TimeMedian(make, run);
  return m;
}

Measurement CudaBackend::DecodeAttention(const std::vector<int64_t>& kv_lengths) {
  const int64_t seqs = static_cast<int64_t>(kv_lengths.size());
  const int64_t dq = attn_.heads * attn_.head_dim, dkv = attn_.kv_heads * attn_.head_dim;
  const PagedLayout p = MakePagedLayout(kv_lengths, attn_.block_size, &rng_);
  const DeviceArray<int32_t> table(p.table), lengths(p.lengths);
  const int64_t cache = p.blocks * attn_.block_size * dkv;
  const int64_t o_bytes = seqs * dq * static_cast<int64_t>(SizeOf(act_));
  act_in_->Reserve(seqs * dq + 2 * cache);
  out_->Reserve(o_bytes / 4 + 1);
  struct Args {
    void *q, *k, *v, *o;
  };
  const auto make = [&] {
    return Args{act_in_->Take(seqs * dq), act_in_->Take(cache), act_in_->Take(cache),
                TakeOut(o_bytes)};
  };
  const auto run = [&](const Args& a) {
    cuda::DecodeAttention(act_, a.q, a.k, a.v, table.get(), p.max_blocks, lengths.get(), seqs, a.o,
                          attn_, stream_);
  };
  const Args a = make();
  run(a);
  Check(cudaStreamSynchronize(stream_), "decode attention check");
  Measurement m;
  m.check_error = CheckDecode(act_, a.q, a.k, a.v, p.table, p.max_blocks, p.lengths, a.o, attn_);
  m.time_s = TimeMedian(make, run);
  return m;
}

// Device-to-device copy between buffers of their own (each far larger than L2).
Measurement CudaBackend::Copy(int64_t bytes) {
  void *src = nullptr, *dst = nullptr;
  Check(cudaMalloc(&src, static_cast<size_t>(bytes)), "cudaMalloc (copy)");
  Check(cudaMalloc(&dst, static_cast<size_t>(bytes)), "cudaMalloc (copy)");
  FillRandom(DType::kF32, src, bytes / 4, 7, stream_);
  const auto make = [] { return 0; };
  const auto run = [&](int) {
    Check(cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), cudaMemcpyDeviceToDevice, stream_),
          "cudaMemcpyAsync");
  };
  run(0);
  Measurement m;
  const int64_t probe = std::min<int64_t>(bytes / 4, 1 << 16);
  m.check_error = ref::NormalisedError(Fetch(DType::kF32, dst, probe).data(),
                                       Fetch(DType::kF32, src, probe).data(), probe);
  m.time_s = TimeMedian(make, run);
  cudaFree(src);
  cudaFree(dst);
  return m;
}

std::vector<int64_t> CudaBackend::Positions(int64_t rows) {
  std::vector<int64_t> pos(static_cast<size_t>(rows));
  for (int64_t& p : pos) p = rng_.UniformInt(0, dims_.max_position - 1);
  return pos;
}

}  // namespace cuda
}  // namespace servesim

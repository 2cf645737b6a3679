// NCCL all-reduce and all-gather over every visible GPU (one process, one communicator per
// device), for the comm.* ops of a tp > 1 profile. Built when CMake finds NCCL
// (SERVESIM_HAVE_NCCL); without it, or with fewer than two GPUs, the backend has no collectives.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "calibrate/cuda/cuda_backend_impl.h"
#include "calibrate/harness.h"

#ifdef SERVESIM_HAVE_NCCL
#include <nccl.h>
#endif

namespace servesim::cuda {

#ifdef SERVESIM_HAVE_NCCL

namespace {

void NcclCheck(ncclResult_t r, const char* what) {
  if (r != ncclSuccess) {
    throw CalibrationError(fmt::format("NCCL error in {}: {}", what, ncclGetErrorString(r)));
  }
}

}  // namespace

class Collectives {
 public:
  explicit Collectives(int ranks) : ranks_(ranks), comms_(ranks), streams_(ranks) {
    std::vector<int> devs(static_cast<size_t>(ranks));
    for (int i = 0; i < ranks; ++i) devs[i] = i;
    NcclCheck(ncclCommInitAll(comms_.data(), ranks, devs.data()), "ncclCommInitAll");
    for (int i = 0; i < ranks; ++i) {
      Check(cudaSetDevice(i), "cudaSetDevice");
      Check(cudaStreamCreate(&streams_[i]), "cudaStreamCreate");
    }
  }
  ~Collectives() {
    for (int i = 0; i < ranks_; ++i) {
      ncclCommDestroy(comms_[i]);
      cudaStreamDestroy(streams_[i]);
    }
  }

  // Wall time of one collective of `bytes` per rank (bf16 elements), all ranks synchronised.
  double Run(bool all_reduce, int64_t bytes, const Timing& timing) {
    const size_t count = static_cast<size_t>(bytes / 2);
    std::vector<void*> send(ranks_), recv(ranks_);
    for (int i = 0; i < ranks_; ++i) {
      Check(cudaSetDevice(i), "cudaSetDevice");
      Check(cudaMalloc(&send[i], static_cast<size_t>(bytes)), "cudaMalloc (nccl)");
      Check(cudaMalloc(&recv[i], static_cast<size_t>(bytes) * (all_reduce ? 1 : ranks_)),
            "cudaMalloc (nccl)");
      FillRandom(DType::kBf16, send[i], static_cast<int64_t>(count), 11 + i, streams_[i]);
    }
    std::vector<double> times;
    for (int rep = 0; rep < timing.warmup + timing.repeats; ++rep) {
      Sync();
      const auto t0 = std::chrono::steady_clock::now();
      NcclCheck(ncclGroupStart(), "ncclGroupStart");
      for (int i = 0; i < ranks_; ++i) {
        if (all_reduce) {
          NcclCheck(
              ncclAllReduce(send[i], recv[i], count, ncclBfloat16, ncclSum, comms_[i], streams_[i]),
              "ncclAllReduce");
        } else {
          NcclCheck(ncclAllGather(send[i], recv[i], count, ncclBfloat16, comms_[i], streams_[i]),
                    "ncclAllGather");
        }
      }
      NcclCheck(ncclGroupEnd(), "ncclGroupEnd");
      Sync();
      const auto t1 = std::chrono::steady_clock::now();
      if (rep >= timing.warmup) times.push_back(std::chrono::duration<double>(t1 - t0).count());
    }
    for (int i = 0; i < ranks_; ++i) {
      cudaSetDevice(i);
      cudaFree(send[i]);
      cudaFree(recv[i]);
    }
    cudaSetDevice(0);
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
  }

 private:
  void Sync() {
    for (int i = 0; i < ranks_; ++i) {
      Check(cudaSetDevice(i), "cudaSetDevice");
      Check(cudaStreamSynchronize(streams_[i]), "cudaStreamSynchronize (nccl)");
    }
  }

  int ranks_;
  std::vector<ncclComm_t> comms_;
  std::vector<cudaStream_t> streams_;
};

bool CudaBackend::HasCollectives() const { return CudaDeviceCountForNccl() >= 2; }

#else  // !SERVESIM_HAVE_NCCL

class Collectives {};

bool CudaBackend::HasCollectives() const { return false; }

#endif

void CollectivesDeleter::operator()(Collectives* c) const { delete c; }

int CudaDeviceCountForNccl() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess ? n : 0;
}

Measurement CudaBackend::Collective(CalOp op, int64_t bytes) {
#ifdef SERVESIM_HAVE_NCCL
  if (!collectives_) collectives_.reset(new Collectives(CudaDeviceCountForNccl()));
  Measurement m;
  m.time_s = collectives_->Run(op == CalOp::kAllReduce, bytes, timing_);
  Check(cudaSetDevice(device_), "cudaSetDevice");
  return m;
#else
  (void)op;
  (void)bytes;
  throw CalibrationError("this build has no NCCL");
#endif
}

std::string NcclVersionString() {
#ifdef SERVESIM_HAVE_NCCL
  int v = 0;
  if (ncclGetVersion(&v) != ncclSuccess) return "";
  return fmt::format("{}.{}.{}", v / 10000, v / 100 % 100, v % 100);
#else
  return "";
#endif
}

}  // namespace servesim::cuda

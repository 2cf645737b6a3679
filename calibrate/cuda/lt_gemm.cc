#include "calibrate/cuda/lt_gemm.h"

#include <fmt/format.h>

#include "calibrate/harness.h"

namespace servesim::cuda {
namespace {

constexpr size_t kWorkspaceBytes = size_t{32} << 20;

void LtCheck(cublasStatus_t status, const char* what) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw CalibrationError(
      fmt::format("cuBLASLt error in {}: status {}", what, static_cast<int>(status)));
}

cudaDataType_t CudaType(DType t) {
  switch (t) {
    case DType::kF32:
      return CUDA_R_32F;
    case DType::kBf16:
      return CUDA_R_16BF;
    case DType::kF16:
      return CUDA_R_16F;
    case DType::kFp8:
      return CUDA_R_8F_E4M3;
  }
  return CUDA_R_32F;
}

}  // namespace

struct LtGemm::Plan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulHeuristicResult_t heuristic = {};
  ~Plan() {
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (c) cublasLtMatrixLayoutDestroy(c);
    if (desc) cublasLtMatmulDescDestroy(desc);
  }
};

LtGemm::LtGemm(cudaStream_t stream) : stream_(stream) {
  LtCheck(cublasLtCreate(&handle_), "cublasLtCreate");
  Check(cudaMalloc(&workspace_, kWorkspaceBytes), "cudaMalloc (cuBLASLt workspace)");
}

LtGemm::~LtGemm() {
  for (auto& [key, plan] : plans_) delete plan;
  cudaFree(workspace_);
  cublasLtDestroy(handle_);
}

std::string LtGemm::Version() {
  const size_t v = cublasLtGetVersion();
  return fmt::format("{}.{}.{}", v / 10000, v / 100 % 100, v % 100);
}

// Column-major view: y^T [n, rows] = op(w_cm) * x^T with w_cm = the [k, n] column-major matrix
// that w [n, k] row-major is, op = transpose; x^T is x [rows, k] row-major read as [k, rows].
const LtGemm::Plan& LtGemm::PlanFor(DType in, DType out, int64_t rows, int64_t k, int64_t n) {
  const auto key = std::make_tuple(static_cast<int>(in), static_cast<int>(out), rows, k, n);
  if (const auto it = plans_.find(key); it != plans_.end()) return *it->second;
  auto* plan = new Plan();
  plans_[key] = plan;
  LtCheck(cublasLtMatmulDescCreate(&plan->desc, CUBLAS_COMPUTE_32F, CUDA_R_32F), "desc");
  const cublasOperation_t transa = CUBLAS_OP_T, transb = CUBLAS_OP_N;
  LtCheck(cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_TRANSA, &transa,
                                         sizeof transa),
          "transa");
  LtCheck(cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_TRANSB, &transb,
                                         sizeof transb),
          "transb");
  const auto u = [](int64_t v) { return static_cast<uint64_t>(v); };
  LtCheck(cublasLtMatrixLayoutCreate(&plan->a, CudaType(in), u(k), u(n), k), "layout a");
  LtCheck(cublasLtMatrixLayoutCreate(&plan->b, CudaType(in), u(k), u(rows), k), "layout b");
  LtCheck(cublasLtMatrixLayoutCreate(&plan->c, CudaType(out), u(n), u(rows), n), "layout c");
  cublasLtMatmulPreference_t pref = nullptr;
  LtCheck(cublasLtMatmulPreferenceCreate(&pref), "preference");
  const size_t ws = kWorkspaceBytes;
  LtCheck(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws,
                                               sizeof ws),
          "workspace preference");
  int found = 0;
  const cublasStatus_t st = cublasLtMatmulAlgoGetHeuristic(
      handle_, plan->desc, plan->a, plan->b, plan->c, plan->c, pref, 1, &plan->heuristic, &found);
  cublasLtMatmulPreferenceDestroy(pref);
  if (st != CUBLAS_STATUS_SUCCESS || found == 0) {
    throw CalibrationError(
        fmt::format("cuBLASLt has no algorithm for a {} GEMM [{} x {}] x [{} x {}]"
                    " with {} output",
                    DTypeName(in), rows, k, k, n, DTypeName(out)));
  }
  return *plan;
}

void LtGemm::Run(DType in, DType out, const void* x, const void* w, void* y, int64_t rows,
                 int64_t k, int64_t n) {
  const Plan& p = PlanFor(in, out, rows, k, n);
  const float alpha = 1.0f, beta = 0.0f;
  LtCheck(cublasLtMatmul(handle_, p.desc, &alpha, w, p.a, x, p.b, &beta, y, p.c, y, p.c,
                         &p.heuristic.algo, workspace_, kWorkspaceBytes, stream_),
          "cublasLtMatmul");
}

}  // namespace servesim::cuda

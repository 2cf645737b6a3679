// Reference checks of the CUDA kernels: copy a few rows (and heads) of the inputs and outputs
// back and recompute them on the host in double precision.
#include <algorithm>
#include <cmath>
#include <set>

#include "calibrate/cuda/cuda_backend_impl.h"
#include "calibrate/reference.h"

namespace servesim::cuda {
namespace {

constexpr int64_t kCheckedColumns = 256;

// Attention of one query row over keys [keys, d] and values, in double.
std::vector<float> AttendRow(const std::vector<float>& q, const std::vector<float>& k,
                             const std::vector<float>& v, int64_t keys, int64_t d) {
  std::vector<double> s(static_cast<size_t>(keys));
  double mx = -1e300;
  for (int64_t j = 0; j < keys; ++j) {
    double dot = 0;
    for (int64_t e = 0; e < d; ++e) dot += double{q[e]} * k[j * d + e];
    s[j] = dot / std::sqrt(static_cast<double>(d));
    mx = std::max(mx, s[j]);
  }
  double sum = 0;
  for (double& x : s) sum += (x = std::exp(x - mx));
  std::vector<float> out(static_cast<size_t>(d));
  for (int64_t e = 0; e < d; ++e) {
    double acc = 0;
    for (int64_t j = 0; j < keys; ++j) acc += s[j] * v[j * d + e];
    out[e] = static_cast<float>(acc / sum);
  }
  return out;
}

// Running normalised error: max |out - ref| / max |ref| over everything added.
struct ErrorAcc {
  double max_diff = 0, max_ref = 0;
  void Add(const std::vector<float>& out, const std::vector<float>& ref) {
    for (size_t i = 0; i < out.size(); ++i) {
      const double diff = std::abs(double{out[i]} - ref[i]);
      max_diff = std::isnan(diff) ? 1e300 : std::max(max_diff, diff);
      max_ref = std::max(max_ref, std::abs(double{ref[i]}));
    }
  }
  double Error() const { return max_ref > 0 ? max_diff / max_ref : max_diff; }
};

std::set<int64_t> Ends(int64_t n) { return {0, n / 2, n - 1}; }

}  // namespace

double CheckGemm(DType in, DType out, const void* x, const void* w, const void* y, int64_t rows,
                 int64_t k, int64_t n, Rng* rng) {
  std::set<int64_t> cols = {0, n - 1};
  while (static_cast<int64_t>(cols.size()) < std::min(n, kCheckedColumns)) {
    cols.insert(rng->UniformInt(0, n - 1));
  }
  std::vector<std::vector<float>> w_rows;
  for (int64_t j : cols) w_rows.push_back(Fetch(in, At(in, w, j * k), k));
  ErrorAcc err;
  for (int64_t r : Ends(rows)) {
    const std::vector<float> xr = Fetch(in, At(in, x, r * k), k);
    const std::vector<float> yr = Fetch(out, At(out, y, r * n), n);
    std::vector<float> got, ref;
    size_t c = 0;
    for (int64_t j : cols) {
      double acc = 0;
      for (int64_t i = 0; i < k; ++i) acc += double{xr[i]} * w_rows[c][i];
      got.push_back(yr[j]);
      ref.push_back(static_cast<float>(acc));
      ++c;
    }
    err.Add(got, ref);
  }
  return err.Error();
}

double CheckPrefill(DType t, const void* q, const void* k, const void* v, const void* o,
                    int64_t chunk, int64_t context, const AttnDims& d) {
  const int64_t hd = d.head_dim, kv_stride = d.kv_heads * hd;
  ErrorAcc err;
  for (int64_t i : Ends(chunk)) {
    for (int64_t h : {int64_t{0}, d.heads - 1}) {
      const int64_t g = h / d.Group(), keys = context + i + 1, off = (i * d.heads + h) * hd;
      const std::vector<float> kk = Fetch(t, At(t, k, g * hd), keys, hd, kv_stride);
      const std::vector<float> vv = Fetch(t, At(t, v, g * hd), keys, hd, kv_stride);
      err.Add(Fetch(t, At(t, o, off), hd),
              AttendRow(Fetch(t, At(t, q, off), hd), kk, vv, keys, hd));
    }
  }
  return err.Error();
}

double CheckDecode(DType t, const void* q, const void* kc, const void* vc,
                   const std::vector<int32_t>& table, int64_t max_blocks,
                   const std::vector<int32_t>& lengths, const void* o, const AttnDims& d) {
  const int64_t hd = d.head_dim, bs = d.block_size, kv_stride = d.kv_heads * hd;
  const int64_t seqs = static_cast<int64_t>(lengths.size());
  ErrorAcc err;
  for (int64_t b : Ends(seqs)) {
    for (int64_t h : {int64_t{0}, d.heads - 1}) {
      const int64_t g = h / d.Group(), len = lengths[b], off = (b * d.heads + h) * hd;
      std::vector<float> kk, vv;
      for (int64_t j0 = 0; j0 < len; j0 += bs) {
        const int64_t block = table[b * max_blocks + j0 / bs], n = std::min(bs, len - j0);
        const int64_t first = (block * bs * d.kv_heads + g) * hd;
        const std::vector<float> kb = Fetch(t, At(t, kc, first), n, hd, kv_stride);
        const std::vector<float> vb = Fetch(t, At(t, vc, first), n, hd, kv_stride);
        kk.insert(kk.end(), kb.begin(), kb.end());
        vv.insert(vv.end(), vb.begin(), vb.end());
      }
      err.Add(Fetch(t, At(t, o, off), hd), AttendRow(Fetch(t, At(t, q, off), hd), kk, vv, len, hd));
    }
  }
  return err.Error();
}

}  // namespace servesim::cuda

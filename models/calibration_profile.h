// CalibrationProfile: what `servesim-calibrate` measured (or projected) for one model, tp and
// precision: raw points per op on a grid, a fitted model per op, the whole-step check and where
// it all came from. Plain data; calibrate/profile_io reads and writes it as JSON (schema:
// docs/calibration.md) and CalibratedStepModel prices steps from it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/calibration_ops.h"
#include "models/precision.h"

namespace servesim {

inline constexpr int kProfileVersion = 1;

struct FitPiece {
  double lo = 0;  // range of axis 0 this piece was fitted on (inclusive)
  double hi = 0;
  Features coef = {0, 0, 0};
};

struct OpFit {
  std::vector<FitPiece> pieces;  // sorted by lo; 2-D ops have one piece
  double rms_rel_error = 0;      // over the op's points
  double max_rel_error = 0;
};

struct OpPoint {
  std::array<double, 2> at = {0, 0};  // axis values (axis 1 unused for 1-D ops)
  double time_s = 0;                  // median over repeats
  double flops = 0;
  double bytes = 0;
  double check_error = 0;           // normalised max error of the correctness check
  std::vector<int64_t> kv_lengths;  // mixed-length decode batches only
};

struct OpProfile {
  CalOp op = CalOp::kGemmQkv;
  std::array<std::vector<double>, 2> grid;  // sorted axis values (grid[1] empty for 1-D ops)
  std::vector<OpPoint> points;              // the grid, row-major (axis 1 fastest)
  std::vector<OpPoint> extra_points;        // off-grid (mixed decode lengths): fit only
  OpFit fit;
};

struct StepCheckPoint {
  int64_t prefill_tokens = 0;
  int64_t decode_seqs = 0;
  int64_t kv_len = 0;
  double measured_s = 0;
  double predicted_s = 0;  // per-op sum priced from this profile
};

struct Provenance {
  std::string device;         // GPU or CPU model name
  std::string device_kind;    // "gpu" | "cpu"
  int64_t compute_units = 0;  // SMs or CPU cores
  int64_t threads = 0;        // CPU threads used (cpu backend)
  double clock_mhz = 0;       // 0 if unknown
  double memory_bytes = 0;
  double cache_bytes = 0;  // L2 (GPU) or last-level cache (CPU)
  std::string driver_version, cuda_version, cublas_version, nccl_version;
  std::string compute_type;  // e.g. "fp32 (Eigen)", "bf16 tensor cores, fp32 accumulate"
  std::string date;          // ISO 8601, UTC
  std::string servesim_version;
  std::string command_line;
};

struct Projection {
  std::string source_profile;  // path as given to `project`
  std::string source_device;
  std::string source_hardware;  // zoo name of the measured GPU, if known
  Peaks source_peaks;
};

struct CalibrationProfile {
  int version = kProfileVersion;
  std::string model;
  int64_t tp = 1;
  Precision precision = Precision::kBf16;
  Precision kv_precision = Precision::kBf16;
  std::string backend;   // "cpu" | "cuda"
  std::string hardware;  // zoo GPU the profile stands for, "" if none
  Provenance provenance;
  Peaks peaks;
  std::string peaks_source;  // "hardware zoo: NAME" or "measured: ..."
  std::optional<Projection> projected;
  std::vector<OpProfile> ops;
  int64_t step_layers = 0;
  std::vector<StepCheckPoint> steps;

  const OpProfile* Find(CalOp op) const {
    for (const OpProfile& p : ops) {
      if (p.op == op) return &p;
    }
    return nullptr;
  }
};

// Evaluates a fit: the piece whose range holds x0 (the nearest piece outside all ranges).
double EvalFit(const OpFit& fit, double x0, const Features& features);

}  // namespace servesim

// Test helpers: the tiny test model written out (like tests/models/test_specs.h) and a synthetic
// calibration profile whose times follow known fits exactly, so tests can pin interpolation,
// extrapolation and projection without measuring anything.
#pragma once

#include <vector>

#include "models/calibration_ops.h"
#include "models/calibration_profile.h"
#include "models/hardware_spec.h"
#include "models/model_spec.h"
#include "models/step_model.h"

namespace servesim::test_profiles {

// Mirrors configs/test-models/tiny-llama-test.yaml.
inline ModelSpec TinyModel() {
  ModelSpec m;
  m.name = "tiny-llama-test";
  m.num_layers = 4;
  m.hidden_size = 256;
  m.num_attention_heads = 8;
  m.num_kv_heads = 2;
  m.head_dim = 32;
  m.intermediate_size = 704;
  m.vocab_size = 4000;
  m.max_position_embeddings = 2048;
  return m;
}

inline Peaks TestPeaks() { return {100e9, 100e9, 20e9, 0}; }

// Coefficients of every synthetic fit: 5 us constant, efficiency 0.5 on each feature.
inline Features TestCoef(CalOp op) {
  return NumFeatures(OpInfo(op).form) == 3 ? Features{5e-6, 2, 2} : Features{5e-6, 2, 0};
}

inline OpProfile SyntheticOp(CalOp op, const OpDims& dims, const Peaks& peaks,
                             std::vector<double> axis0, std::vector<double> axis1 = {}) {
  OpProfile p;
  p.op = op;
  p.grid[0] = axis0;
  p.grid[1] = axis1;
  p.fit.pieces = {{axis0.front(), axis0.back(), TestCoef(op)}};
  if (axis1.empty()) axis1 = {0};
  for (double x0 : axis0) {
    for (double x1 : axis1) {
      const OpWork w = WorkOf(op, dims, x0, x1);
      OpPoint pt;
      pt.at = {x0, x1};
      pt.flops = w.flops;
      pt.bytes = w.bytes;
      pt.time_s = EvalFit(p.fit, x0, FeaturesOf(op, w, peaks));
      p.points.push_back(pt);
    }
  }
  return p;
}

// Every op a dense step uses, tokens 1..512, chunks 1..256 x context 0..512, decode 1..16 x
// 16..1024.
inline CalibrationProfile SyntheticProfile(const ModelSpec& m, const DeploymentShape& shape) {
  CalibrationProfile p;
  p.model = m.name;
  p.tp = shape.tp;
  p.precision = shape.weight_precision;
  p.kv_precision = shape.kv_precision;
  p.backend = "cpu";
  p.provenance.device_kind = "cpu";
  p.peaks = TestPeaks();
  p.peaks_source = "synthetic";
  const OpDims d = OpDims::From(m, shape);
  const std::vector<double> tokens = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
  for (CalOp op : {CalOp::kGemmQkv, CalOp::kGemmO, CalOp::kGemmGateUp, CalOp::kGemmDown,
                   CalOp::kGemmLmHead, CalOp::kEmbedding, CalOp::kRmsNorm, CalOp::kRotary,
                   CalOp::kSiluMul, CalOp::kKvWrite, CalOp::kSampling}) {
    p.ops.push_back(SyntheticOp(op, d, p.peaks, tokens));
  }
  p.ops.push_back(
      SyntheticOp(CalOp::kPrefillAttention, d, p.peaks, {1, 16, 64, 256}, {0, 128, 512}));
  p.ops.push_back(SyntheticOp(CalOp::kDecodeAttention, d, p.peaks, {1, 4, 16}, {16, 128, 1024}));
  return p;
}

}  // namespace servesim::test_profiles

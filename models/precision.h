// Numeric precisions for weights, activations and the KV cache, and their sizes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace servesim {

enum class Precision { kFp16, kBf16, kFp8 };

inline double BytesPerElement(Precision p) { return p == Precision::kFp8 ? 1.0 : 2.0; }

inline std::string PrecisionName(Precision p) {
  switch (p) {
    case Precision::kFp16:
      return "fp16";
    case Precision::kBf16:
      return "bf16";
    case Precision::kFp8:
      return "fp8";
  }
  return "?";
}

inline const std::vector<std::string>& PrecisionNames() {
  static const std::vector<std::string> names = {"bf16", "fp16", "fp8"};
  return names;
}

// REQUIRES: name is one of PrecisionNames().
inline Precision ParsePrecision(std::string_view name) {
  if (name == "fp16") return Precision::kFp16;
  if (name == "fp8") return Precision::kFp8;
  return Precision::kBf16;
}

}  // namespace servesim

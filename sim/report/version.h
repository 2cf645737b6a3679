// The servesim version (CMake's project version, SERVESIM_VERSION), as `servesim --version`
// prints it and every JSON document servesim writes records it (`servesim_version`).
#pragma once

#include <nlohmann/json.hpp>

namespace servesim {

inline constexpr const char* kServesimVersion = SERVESIM_VERSION;

// Adds "servesim_version" to a JSON document (at the end of its keys so far).
inline void StampVersion(nlohmann::ordered_json* doc) {
  (*doc)["servesim_version"] = kServesimVersion;
}

}  // namespace servesim

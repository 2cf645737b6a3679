// Test helpers for the `workload:` section: parse it from inline YAML, or get the InputError
// message it raises. The YAML is the text after "workload:\n", indented by the caller; errors
// name the file "s.yaml".
#pragma once

#include <string>

#include "sim/config/config_node.h"
#include "sim/config/input_error.h"
#include "sim/workload/workload.h"

namespace servesim::test_util {

inline WorkloadConfig ParseWorkloadYaml(const std::string& yaml) {
  const ConfigNode root = ConfigNode::LoadString("workload:\n" + yaml, "s.yaml");
  return ParseWorkload(root.Child("workload"));
}

// The error message, or "no error" when the section parses.
inline std::string WorkloadErrorOf(const std::string& yaml) {
  try {
    ParseWorkloadYaml(yaml);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace servesim::test_util

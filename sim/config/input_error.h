// InputError: bad user input (YAML, traces, CLI). Thrown at the boundary with a message that
// names file:line:col, the dotted key and the rule broken; main catches it (exit code 2).
// DeploymentError (below) is also caught where many deployments are evaluated.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace servesim {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A well-formed configuration whose deployment the model cannot run: the weights do not fit, the
// KV cache cannot hold one sequence, or the GPU lacks the precision. Commands that evaluate many
// deployments (validate) report it per deployment instead of stopping; elsewhere it is an
// InputError like any other.
class DeploymentError : public InputError {
 public:
  // `message`: the whole located message; `reason`: the key and rule without the file location
  // ("model: llama-3.1-70b does not fit on l40s-48gb: ..."), for reports that list deployments.
  // `depends_on_shape`: whether another parallel shape (more GPUs per replica, fewer pipeline
  // stages) could run these settings (memory, KV capacity), or whether no shape on this GPU can
  // (it lacks a precision the settings ask for). The studies that enumerate shapes skip the
  // former per shape and report the latter as bad input.
  DeploymentError(const std::string& message, std::string reason, bool depends_on_shape = true)
      : InputError(message), reason_(std::move(reason)), depends_on_shape_(depends_on_shape) {}
  const std::string& reason() const { return reason_; }
  bool depends_on_shape() const { return depends_on_shape_; }

 private:
  std::string reason_;
  bool depends_on_shape_;
};

// Returns " (did you mean 'X'?)" for the closest candidate within a small edit distance,
// or "" when nothing is close.
std::string DidYouMean(std::string_view given, const std::vector<std::string>& candidates);

// A user's value as an error message shows it: `text` itself, or its first `max_chars`
// characters followed by "..." when it is longer.
std::string ShownValue(std::string_view text, size_t max_chars);

// Levenshtein distance, case-sensitive.
size_t EditDistance(std::string_view a, std::string_view b);

}  // namespace servesim

// InputError: bad user input (YAML, traces, CLI). Thrown at the boundary with a message that
// names file:line:col, the dotted key and the rule broken; only main catches it (exit code 2).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace servesim {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
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

#include "sim/config/input_error.h"

#include <algorithm>

namespace servesim {

size_t EditDistance(std::string_view a, std::string_view b) {
  // Optimal string alignment distance: insertions, deletions, substitutions and transpositions
  // of adjacent characters each cost 1 ("fcsf" is one edit from "fcfs").
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string DidYouMean(std::string_view given, const std::vector<std::string>& candidates) {
  // Accept up to a third of the word's length in edits (at least 1, at most 3).
  const size_t limit = std::clamp<size_t>(given.size() / 3, 1, 3);
  const std::string* best = nullptr;
  size_t best_distance = 0;
  for (const std::string& c : candidates) {
    // A unit suffix left off ("ttft" for "ttft_ms") counts as a near miss.
    const bool prefix = given.size() >= 3 && c.size() > given.size() && c.rfind(given, 0) == 0;
    // The distance is at least the difference in length: skip the quadratic work on long text.
    const size_t gap = given.size() > c.size() ? given.size() - c.size() : c.size() - given.size();
    if (!prefix && gap > limit) continue;
    const size_t d = prefix ? 1 : EditDistance(given, c);
    if (best == nullptr || d < best_distance) {
      best = &c;
      best_distance = d;
    }
  }
  if (best == nullptr || best_distance > limit) return "";
  return " (did you mean '" + *best + "'?)";
}

std::string ShownValue(std::string_view text, size_t max_chars) {
  if (text.size() <= max_chars) return std::string(text);
  std::string shown(text.substr(0, max_chars));
  shown += "...";
  return shown;
}

}  // namespace servesim

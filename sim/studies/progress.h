// Progress: "points done, rate, ETA" on the console (stderr) for long studies. Wall-clock time
// is read here only to pace and estimate the display; it never reaches a simulation or a result.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

namespace servesim {

class Progress {
 public:
  // `in_place`: rewrite one line with '\r' (a terminal); otherwise print a line now and then.
  // A disabled Progress (--quiet) prints nothing.
  Progress(std::string what, int64_t total, bool enabled, bool in_place, std::ostream& err);

  // `done` of `total` items are finished (`done` never decreases).
  void Update(int64_t done);
  // Prints the final line (with the elapsed time).
  void Finish();

  // "12/40 points (30%), 3.1/s, ETA 9s": the text of one update.
  static std::string Line(const std::string& what, int64_t done, int64_t total, double elapsed_s);

 private:
  std::string what_;
  int64_t total_;
  bool enabled_;
  bool in_place_;
  std::ostream& err_;
  int64_t done_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
};

// The ETA text: "ETA 9s", "ETA 2m05s", "ETA 1h02m".
std::string FormatEta(double seconds);

}  // namespace servesim

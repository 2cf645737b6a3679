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
  // `delay_s`: nothing is printed before this much time has passed (a short run stays silent,
  // Finish included). `total` <= 0: unknown, no percentage or ETA.
  Progress(std::string what, int64_t total, bool enabled, bool in_place, std::ostream& err,
           double delay_s = 0);

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
  double delay_s_;
  bool printed_ = false;
  int64_t done_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
};

// The ETA text: "ETA 9s", "ETA 2m05s", "ETA 1h02m".
std::string FormatEta(double seconds);

// Wall-clock pacing for studies that print one line per finished task: EtaSuffix(done, total)
// is ", ETA 2m05s" from the mean time per task so far ("" when done is 0 or the total reached).
class EtaClock {
 public:
  EtaClock() : start_(std::chrono::steady_clock::now()) {}
  std::string EtaSuffix(int64_t done, int64_t total) const;

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace servesim

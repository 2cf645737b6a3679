#include "sim/studies/progress.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <cmath>

namespace servesim {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

std::string FormatEta(double seconds) {
  const auto s = static_cast<int64_t>(std::ceil(std::max(0.0, seconds)));
  if (s < 60) return fmt::format("ETA {}s", s);
  if (s < 3600) return fmt::format("ETA {}m{:02}s", s / 60, s % 60);
  return fmt::format("ETA {}h{:02}m", s / 3600, (s % 3600) / 60);
}

std::string Progress::Line(const std::string& what, int64_t done, int64_t total, double elapsed_s) {
  if (total <= 0) {
    std::string line = fmt::format("{} {}", done, what);
    if (done > 0 && elapsed_s > 0) line += fmt::format(", {:.3g}/s", done / elapsed_s);
    return line;
  }
  const double pct = 100.0 * static_cast<double>(done) / static_cast<double>(total);
  std::string line = fmt::format("{}/{} {} ({:.0f}%)", done, total, what, pct);
  if (done > 0 && elapsed_s > 0) {
    const double rate = static_cast<double>(done) / elapsed_s;
    line += fmt::format(", {:.3g}/s", rate);
    if (done < total) line += ", " + FormatEta(static_cast<double>(total - done) / rate);
  }
  return line;
}

Progress::Progress(std::string what, int64_t total, bool enabled, bool in_place, std::ostream& err,
                   double delay_s)
    : what_(std::move(what)),
      total_(total),
      enabled_(enabled),
      in_place_(in_place),
      err_(err),
      delay_s_(delay_s),
      start_(Clock::now()),
      last_print_(start_) {}

void Progress::Update(int64_t done) {
  done_ = done;
  if (!enabled_) return;
  const Clock::time_point now = Clock::now();
  if (Seconds(now - start_) < delay_s_) return;
  const double since = Seconds(now - last_print_);
  if (printed_ || delay_s_ <= 0) {
    if (since < (in_place_ ? 0.2 : 10.0)) return;
  }
  last_print_ = now;
  printed_ = true;
  const std::string line = Line(what_, done_, total_, Seconds(now - start_));
  if (in_place_) {
    fmt::print(err_, "\r{}\x1b[K", line);
  } else {
    fmt::print(err_, "{}\n", line);
  }
  err_.flush();
}

void Progress::Finish() {
  if (!enabled_ || (delay_s_ > 0 && !printed_)) return;
  const double elapsed = Seconds(Clock::now() - start_);
  const std::string count =
      total_ > 0 ? fmt::format("{}/{}", done_, total_) : fmt::format("{}", done_);
  fmt::print(err_, "{}{} {} done in {:.1f}s\n", in_place_ ? "\r\x1b[K" : "", count, what_, elapsed);
  err_.flush();
}

std::string EtaClock::EtaSuffix(int64_t done, int64_t total) const {
  if (done <= 0 || done >= total) return "";
  const double elapsed = Seconds(Clock::now() - start_);
  return ", " + FormatEta(elapsed / static_cast<double>(done) * static_cast<double>(total - done));
}

}  // namespace servesim

// TraceReader: streams a request trace (CSV) one row at a time, never loading it whole.
// Two formats, told apart by the header row: "azure" (TIMESTAMP,ContextTokens,GeneratedTokens, the
// Azure LLM inference trace 2023) and "csv" (arrival_s,input_tokens,output_tokens, optionally
// followed by session_id, then prefix_tokens, then prefix_id: prefix sharing). Every problem
// is an InputError "path:LINE: ..." (1-based; the header is line 1); no input makes it abort, so it
// can be fuzzed on its own.
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace servesim {

// One request of a trace. `time_ns` is on the trace's own clock: nanoseconds since
// 1970-01-01 00:00:00 of the civil TIMESTAMP (azure; no timezone), or arrival_s in ns (csv).
struct TraceRow {
  int64_t line = 0;  // 1-based line number in the file
  int64_t time_ns = 0;
  int64_t input_tokens = 0;   // >= 1
  int64_t output_tokens = 0;  // >= 1
  // csv optional columns (see docs/config.md, "Traces").
  int64_t session = -1;       // session_id; -1 when absent or empty
  int64_t prefix_tokens = 0;  // leading prompt tokens shared with prefix group prefix_id
  int64_t prefix_id = 0;
};

// Largest token count a trace row may carry.
inline constexpr int64_t kMaxTraceTokens = 1'000'000'000;
// Largest csv arrival_s.
inline constexpr double kMaxTraceSeconds = 1e9;

class TraceReader {
 public:
  // Opens `path` and reads its header. `format` is "azure", "csv", or "" to detect it from the
  // header. Throws InputError if the file cannot be opened, the header is not one of the two
  // known ones, or it does not match an explicit `format`.
  TraceReader(const std::string& path, const std::string& format);

  // The next data row, or nullopt at the end of the file. Blank lines (including trailing ones)
  // are skipped; CRLF line endings and a missing final newline are fine. Throws InputError for a
  // malformed row or an arrival time earlier than the previous row's.
  std::optional<TraceRow> Next();

  const std::string& path() const { return path_; }
  const std::string& format() const { return format_; }  // "azure" or "csv"
  bool HasSessions() const { return columns_ > 3; }
  bool HasPrefixes() const { return columns_ > 4; }

 private:
  void ReadHeader(const std::string& requested_format);
  TraceRow ParseRow(std::string_view line);
  int64_t ParseTime(std::string_view field, std::string_view column) const;
  int64_t ParseTokens(std::string_view field, std::string_view column) const;
  // The csv optional columns of `fields` into `row`.
  void ParseExtras(const std::vector<std::string_view>& fields, TraceRow* row) const;
  int64_t ParseCount(std::string_view field, std::string_view column, int64_t max) const;
  [[noreturn]] void FailAtLine(std::string_view message) const;

  std::string path_;
  std::string format_;
  std::ifstream in_;
  int64_t line_ = 0;  // number of the line read last
  size_t columns_ = 3;
  std::optional<TraceRow> previous_;
  std::string line_text_;                 // the line being parsed
  std::vector<std::string_view> fields_;  // its fields (views into line_text_)
};

// Replays a trace `repeat` times back to back (workload.trace.repeat), reopening the file for
// each pass: still streamed, never loaded whole. Row times are rebased to the first row. Pass k
// is shifted by k x period, where period = span + span / (rows - 1) (the trace's span plus one
// mean gap; 0 for a one-row trace), and its session ids by k x (largest session id + 1), so
// passes never share a conversation.
class TraceReplay {
 public:
  // Throws InputError like TraceReader. REQUIRES: repeat >= 1.
  TraceReplay(const std::string& path, const std::string& format, int64_t repeat);

  // The next row with `time_ns` in ns since the first row of the first pass, or nullopt after
  // the last pass. Throws InputError for a malformed row, or when a shifted time overflows.
  std::optional<TraceRow> Next();

  const std::string& path() const { return reader_->path(); }
  int64_t pass() const { return pass_; }

 private:
  std::string format_;
  int64_t repeat_;
  std::unique_ptr<TraceReader> reader_;
  int64_t pass_ = 0;
  int64_t rows_ = 0;  // rows of pass 0
  std::optional<int64_t> first_ns_;
  int64_t last_ns_ = 0;
  int64_t max_session_ = -1;
  int64_t period_ns_ = 0;
};

// At least as many as the data rows of the trace at `path`: its newline count (a header line
// and blank lines make it an over-estimate). nullopt when the file cannot be read.
std::optional<int64_t> TraceDataLinesAtMost(const std::string& path);

// Parses "YYYY-MM-DD HH:MM:SS" with an optional fraction of 1-9 digits (".6805900") into exact
// integer nanoseconds since 1970-01-01 00:00:00, proleptic Gregorian calendar, no timezone.
// Years 1970-2200. Returns nullopt for anything malformed or out of range.
std::optional<int64_t> ParseAzureTimestamp(std::string_view text);

// Days from 1970-01-01 to the civil date y-m-d (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d);

}  // namespace servesim

#include "sim/workload/trace_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "sim/config/input_error.h"
#include "sim/core/check.h"
#include "sim/core/time.h"

namespace servesim {
namespace {

struct FormatInfo {
  std::string_view name;
  std::array<std::string_view, 3> columns;  // time, input tokens, output tokens
  std::string_view header;
};

constexpr FormatInfo kAzure{"azure",
                            {"TIMESTAMP", "ContextTokens", "GeneratedTokens"},
                            "TIMESTAMP,ContextTokens,GeneratedTokens"};
constexpr FormatInfo kCsv{
    "csv", {"arrival_s", "input_tokens", "output_tokens"}, "arrival_s,input_tokens,output_tokens"};

// Optional csv columns after the three fixed ones, in this order.
constexpr std::array<std::string_view, 3> kCsvExtras = {"session_id", "prefix_tokens", "prefix_id"};

const FormatInfo& Info(std::string_view format) { return format == "azure" ? kAzure : kCsv; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Fills `fields` (reused from row to row: no allocation once it has grown).
void SplitFields(std::string_view line, std::vector<std::string_view>* fields) {
  fields->clear();
  for (size_t start = 0;;) {
    const size_t comma = line.find(',', start);
    fields->push_back(Trim(line.substr(start, comma - start)));
    if (comma == std::string_view::npos) return;
    start = comma + 1;
  }
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  SplitFields(line, &fields);
  return fields;
}

// The field as shown in a message: at most 40 characters.
std::string Shown(std::string_view field) { return ShownValue(field, 40); }

std::string JoinFields(const std::vector<std::string_view>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) out += fmt::format("{}{}", i ? "," : "", fields[i]);
  return out;
}

// The fixed columns of `info`, plus (csv) a leading run of the optional columns.
bool HeaderIs(const std::vector<std::string_view>& fields, const FormatInfo& info) {
  const size_t extras = info.name == "csv" ? kCsvExtras.size() : 0;
  if (fields.size() < 3 || fields.size() > 3 + extras) return false;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i] != (i < 3 ? info.columns[i] : kCsvExtras[i - 3])) return false;
  }
  return true;
}

// Fixed-width unsigned decimal; nullopt unless all characters are digits.
std::optional<int64_t> Digits(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int64_t DaysInMonth(int64_t y, int64_t m) {
  static constexpr std::array<int64_t, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Nanoseconds of a fraction ".ddd" (1-9 digits after the dot); nullopt if malformed.
std::optional<int64_t> FractionNs(std::string_view frac) {
  if (frac.empty()) return 0;
  if (frac[0] != '.' || frac.size() < 2 || frac.size() > 10) return std::nullopt;
  std::optional<int64_t> v = Digits(frac.substr(1));
  if (!v) return std::nullopt;
  for (size_t i = frac.size() - 1; i < 9; ++i) *v *= 10;
  return v;
}

}  // namespace

int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;                                   // [0, 399]
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           // [0, 146096]
  return era * 146097 + doe - 719468;
}

std::optional<int64_t> TraceDataLinesAtMost(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return std::nullopt;
  std::vector<char> buffer(size_t{1} << 16);  // on the heap: fresh stack pages fault
  int64_t newlines = 0;
  size_t got = 0;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), f)) > 0) {
    for (const char* p = buffer.data();
         (p = static_cast<const char*>(
              std::memchr(p, '\n', got - static_cast<size_t>(p - buffer.data())))) != nullptr;
         ++p) {
      ++newlines;
    }
  }
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return std::nullopt;
  return newlines;
}

std::optional<int64_t> ParseAzureTimestamp(std::string_view text) {
  // YYYY-MM-DD HH:MM:SS
  // 0123456789012345678
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' || text[10] != ' ' || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  const auto y = Digits(text.substr(0, 4)), mo = Digits(text.substr(5, 2)),
             d = Digits(text.substr(8, 2)), h = Digits(text.substr(11, 2)),
             mi = Digits(text.substr(14, 2)), s = Digits(text.substr(17, 2));
  const std::optional<int64_t> frac = FractionNs(text.substr(19));
  if (!y || !mo || !d || !h || !mi || !s || !frac) return std::nullopt;
  if (*y < 1970 || *y > 2200 || *mo < 1 || *mo > 12 || *d < 1 || *d > DaysInMonth(*y, *mo) ||
      *h > 23 || *mi > 59 || *s > 59) {
    return std::nullopt;
  }
  const int64_t seconds = ((DaysFromCivil(*y, *mo, *d) * 24 + *h) * 60 + *mi) * 60 + *s;
  return seconds * kNsPerSecond + *frac;
}

TraceReader::TraceReader(const std::string& path, const std::string& format)
    : path_(path), in_(path, std::ios::binary) {
  SERVESIM_CHECK(format.empty() || format == "azure" || format == "csv");
  if (!in_) throw InputError(fmt::format("{}: cannot open trace", path_));
  ReadHeader(format);
}

void TraceReader::ReadHeader(const std::string& requested_format) {
  std::string line;
  if (!std::getline(in_, line)) {
    throw InputError(
        fmt::format("{}:1: empty trace; expected the header '{}' (azure) or '{}' (csv)", path_,
                    kAzure.header, kCsv.header));
  }
  line_ = 1;
  std::string_view text = line;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte order mark
  const std::vector<std::string_view> fields = SplitFields(text);
  if (!requested_format.empty()) {
    const FormatInfo& info = Info(requested_format);
    if (!HeaderIs(fields, info)) {
      FailAtLine(fmt::format("format '{}' expects the header '{}', got '{}'", info.name,
                             info.header, Shown(JoinFields(fields))));
    }
    format_ = requested_format;
    columns_ = fields.size();
    return;
  }
  for (const FormatInfo* info : {&kAzure, &kCsv}) {
    if (HeaderIs(fields, *info)) format_ = std::string(info->name);
  }
  columns_ = fields.size();
  if (format_.empty()) {
    FailAtLine(fmt::format(
        "unrecognised trace header '{}'; expected '{}' (azure) or '{}' (csv, optionally followed "
        "by session_id, prefix_tokens, prefix_id in this order)",
        Shown(JoinFields(fields)), kAzure.header, kCsv.header));
  }
}

std::optional<TraceRow> TraceReader::Next() {
  std::string& line = line_text_;  // kept between rows, as is fields_: no allocation per row
  while (std::getline(in_, line)) {
    ++line_;
    if (Trim(line).empty()) continue;
    TraceRow row = ParseRow(line);
    if (previous_ && row.time_ns < previous_->time_ns) {
      const std::vector<std::string_view> fields = SplitFields(line);
      FailAtLine(
          fmt::format("column '{}': arrival times must be non-decreasing; '{}' is earlier "
                      "than line {}",
                      Info(format_).columns[0], Shown(fields[0]), previous_->line));
    }
    previous_ = row;
    return row;
  }
  if (in_.bad()) FailAtLine("read error");
  return std::nullopt;
}

TraceRow TraceReader::ParseRow(std::string_view line) {
  const FormatInfo& info = Info(format_);
  std::vector<std::string_view>& fields = fields_;
  SplitFields(line, &fields);
  if (fields.size() != columns_) {
    std::string header(info.header);
    for (size_t i = 3; i < columns_; ++i) header += fmt::format(",{}", kCsvExtras[i - 3]);
    FailAtLine(fmt::format("expected {} columns ({}), got {}", columns_, header, fields.size()));
  }
  TraceRow row;
  row.line = line_;
  row.time_ns = ParseTime(fields[0], info.columns[0]);
  row.input_tokens = ParseTokens(fields[1], info.columns[1]);
  row.output_tokens = ParseTokens(fields[2], info.columns[2]);
  ParseExtras(fields, &row);
  return row;
}

void TraceReader::ParseExtras(const std::vector<std::string_view>& fields, TraceRow* row) const {
  if (columns_ > 3 && !fields[3].empty()) {
    row->session = ParseCount(fields[3], kCsvExtras[0], kMaxTraceTokens);
  }
  if (columns_ > 4) {
    row->prefix_tokens = ParseCount(fields[4], kCsvExtras[1], kMaxTraceTokens);
    if (row->prefix_tokens > row->input_tokens) {
      FailAtLine(fmt::format("column 'prefix_tokens': must be <= input_tokens ({}), got {}",
                             row->input_tokens, row->prefix_tokens));
    }
  }
  if (columns_ > 5) row->prefix_id = ParseCount(fields[5], kCsvExtras[2], kMaxTraceTokens);
}

// An integer in [0, max].
int64_t TraceReader::ParseCount(std::string_view field, std::string_view column,
                                int64_t max) const {
  int64_t v = -1;
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
  if (ec != std::errc() || end != field.data() + field.size() || v < 0 || v > max) {
    FailAtLine(fmt::format("column '{}': expected an integer in [0, {}], got '{}'", column, max,
                           Shown(field)));
  }
  return v;
}

int64_t TraceReader::ParseTime(std::string_view field, std::string_view column) const {
  if (format_ == "azure") {
    const std::optional<int64_t> ns = ParseAzureTimestamp(field);
    if (!ns) {
      FailAtLine(
          fmt::format("column '{}': expected a time like '2023-11-16 18:15:46.6805900' "
                      "(years 1970-2200), got '{}'",
                      column, Shown(field)));
    }
    return *ns;
  }
  double seconds = -1;
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), seconds);
  if (ec != std::errc() || end != field.data() + field.size() || !std::isfinite(seconds) ||
      seconds < 0 || seconds > kMaxTraceSeconds) {
    FailAtLine(fmt::format("column '{}': expected a number of seconds in [0, {:.0f}], got '{}'",
                           column, kMaxTraceSeconds, Shown(field)));
  }
  return SecondsToSimTime(seconds);
}

int64_t TraceReader::ParseTokens(std::string_view field, std::string_view column) const {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
  const bool integer = ec != std::errc::invalid_argument && end == field.data() + field.size();
  if (!integer || (ec == std::errc() && v < 1) ||
      (ec == std::errc::result_out_of_range && !field.empty() && field[0] == '-')) {
    FailAtLine(
        fmt::format("column '{}': expected an integer >= 1, got '{}'", column, Shown(field)));
  }
  if (ec != std::errc() || v > kMaxTraceTokens) {
    FailAtLine(fmt::format("column '{}': expected an integer <= {}, got '{}'", column,
                           kMaxTraceTokens, Shown(field)));
  }
  return v;
}

void TraceReader::FailAtLine(std::string_view message) const {
  throw InputError(fmt::format("{}:{}: {}", path_, line_, message));
}

TraceReplay::TraceReplay(const std::string& path, const std::string& format, int64_t repeat)
    : format_(format), repeat_(repeat), reader_(std::make_unique<TraceReader>(path, format)) {
  SERVESIM_CHECK(repeat_ >= 1);
}

std::optional<TraceRow> TraceReplay::Next() {
  std::optional<TraceRow> row = reader_->Next();
  while (!row) {
    if (pass_ == 0) {
      if (rows_ == 0) return std::nullopt;  // an empty trace stays empty
      const int64_t span = last_ns_ - *first_ns_;
      period_ns_ = rows_ > 1 ? span + span / (rows_ - 1) : 0;
    }
    if (++pass_ >= repeat_) return std::nullopt;
    reader_ = std::make_unique<TraceReader>(reader_->path(), format_);
    row = reader_->Next();
  }
  if (pass_ == 0) {
    if (!first_ns_) first_ns_ = row->time_ns;
    last_ns_ = row->time_ns;
    max_session_ = std::max(max_session_, row->session);
    ++rows_;
  }
  const int64_t since_first = row->time_ns - *first_ns_;
  SERVESIM_CHECK(since_first >= 0);
  if (period_ns_ > 0 && pass_ > (std::numeric_limits<int64_t>::max() - since_first) / period_ns_) {
    throw InputError(
        fmt::format("{}:{}: arrival of repeat pass {} overflows the simulated clock; "
                    "lower workload.trace.repeat",
                    reader_->path(), row->line, pass_ + 1));
  }
  row->time_ns = since_first + pass_ * period_ns_;
  if (row->session >= 0) row->session += pass_ * (max_session_ + 1);
  return row;
}

}  // namespace servesim

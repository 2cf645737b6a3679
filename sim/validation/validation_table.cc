#include "sim/validation/validation_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "sim/config/input_error.h"
#include "sim/config/zoo.h"

namespace servesim {
namespace {

enum Column : size_t {
  kId,
  kModel,
  kGpu,
  kNumGpus,
  kTp,
  kPp,
  kPrecision,
  kIsl,
  kOsl,
  kNumRequests,
  kRequestRate,
  kMetric,
  kMeasured,
  kSource,
  kNumColumns
};

// Columns of a concurrency-sweep table.
enum SweepColumn : size_t {
  kSweepId,
  kSweepBackend,
  kSweepBackendVersion,
  kSweepModel,
  kSweepGpu,
  kSweepPrecision,
  kSweepIsl,
  kSweepOsl,
  kSweepConcurrency,
  kSweepTp,
  kSweepPp,
  kSweepTtft,
  kSweepTpot,
  kSweepSource,
  kNumSweepColumns
};

constexpr int64_t kMaxCount = 1'000'000'000;

// A value as shown in a message: at most 60 characters.
std::string Shown(std::string_view text) { return ShownValue(text, 60); }

std::string JoinComma(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += fmt::format("{}{}", i ? "," : "", names[i]);
  return out;
}

// Parses one data line of either schema; every error names the file, the line and the column.
class RowParser {
 public:
  RowParser(const std::string& path, int64_t line, std::vector<std::string> fields,
            TableSchema schema)
      : path_(path),
        line_(line),
        fields_(std::move(fields)),
        schema_(schema),
        columns_(schema == TableSchema::kPublished ? ValidationColumns() : ConcurrencyColumns()) {}

  ValidationRow Parse() const;
  // A concurrency-sweep line: its TTFT row, then its TPOT row.
  std::vector<ValidationRow> ParseSweep() const;

 private:
  using Column = size_t;
  [[noreturn]] void Fail(Column c, std::string_view rule) const {
    throw InputError(fmt::format("{}:{}: column '{}': {}, got '{}'", path_, line_, columns_[c],
                                 rule, Shown(fields_[c])));
  }
  const std::string& Text(Column c) const { return fields_[c]; }
  std::string NonEmpty(Column c) const;
  int64_t Count(Column c) const;
  double PositiveNumber(Column c, std::string_view rule) const;
  std::string Choice(Column c, const std::vector<std::string>& choices) const;
  std::string ZooName(Column c, Column id, std::string_view kind, std::string_view noun) const;
  ValidationRow Common() const;

  const std::string& path_;
  int64_t line_;
  std::vector<std::string> fields_;
  TableSchema schema_;
  const std::vector<std::string>& columns_;
};

std::string RowParser::NonEmpty(Column c) const {
  if (Text(c).empty()) Fail(c, "must not be empty");
  return Text(c);
}

int64_t RowParser::Count(Column c) const {
  const std::string& s = Text(c);
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < 1 || v > kMaxCount) {
    Fail(c, fmt::format("expected an integer in [1, {}]", kMaxCount));
  }
  return v;
}

double RowParser::PositiveNumber(Column c, std::string_view rule) const {
  const std::string& s = Text(c);
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v) || v <= 0) {
    Fail(c, rule);
  }
  return v;
}

std::string RowParser::Choice(Column c, const std::vector<std::string>& choices) const {
  if (std::find(choices.begin(), choices.end(), Text(c)) != choices.end()) return Text(c);
  throw InputError(fmt::format("{}:{}: column '{}': expected one of {}, got '{}'{}", path_, line_,
                               columns_[c], fmt::join(choices, ", "), Shown(Text(c)),
                               DidYouMean(Text(c), choices)));
}

std::string RowParser::ZooName(Column c, Column id, std::string_view kind,
                               std::string_view noun) const {
  const std::vector<std::string> names = ListZoo(kind);
  if (std::find(names.begin(), names.end(), Text(c)) != names.end()) return Text(c);
  throw InputError(fmt::format("{}:{}: column '{}': unknown {} '{}' (row '{}'); known: {}{}", path_,
                               line_, columns_[c], noun, Shown(Text(c)), Shown(Text(id)),
                               fmt::join(names, ", "), DidYouMean(Text(c), names)));
}

ValidationRow RowParser::Common() const {
  ValidationRow r;
  r.file = path_;
  r.table = std::filesystem::path(path_).stem().string();
  r.line = line_;
  r.fields = fields_;
  r.schema = schema_;
  return r;
}

std::vector<ValidationRow> RowParser::ParseSweep() const {
  ValidationRow r = Common();
  r.id = NonEmpty(kSweepId);
  r.backend = Choice(kSweepBackend, ConcurrencyBackends());
  r.backend_version = Text(kSweepBackendVersion);
  r.model = ZooName(kSweepModel, kSweepId, "models", "model");
  r.gpu = ZooName(kSweepGpu, kSweepId, "hardware", "GPU");
  r.precision = Choice(kSweepPrecision, {"fp8", "fp16", "bf16"});
  r.isl = Count(kSweepIsl);
  r.osl = Count(kSweepOsl);
  r.concurrency = Count(kSweepConcurrency);
  r.tp = Count(kSweepTp);
  r.pp = Count(kSweepPp);
  r.num_gpus = r.tp * r.pp;
  const double ttft = PositiveNumber(kSweepTtft, "expected a number > 0");
  const double tpot = PositiveNumber(kSweepTpot, "expected a number > 0");
  r.source = NonEmpty(kSweepSource);
  std::vector<ValidationRow> rows(2, r);
  rows[0].metric = "mean_ttft_ms";
  rows[0].measured = ttft;
  rows[1].metric = "mean_tpot_ms";
  rows[1].measured = tpot;
  return rows;
}

ValidationRow RowParser::Parse() const {
  ValidationRow r = Common();
  r.id = NonEmpty(kId);
  r.model = ZooName(kModel, kId, "models", "model");
  r.gpu = ZooName(kGpu, kId, "hardware", "GPU");
  r.num_gpus = Count(kNumGpus);
  r.tp = Count(kTp);
  r.pp = Count(kPp);
  if (r.num_gpus % (r.tp * r.pp) != 0) {
    Fail(kNumGpus, fmt::format("must be a multiple of tp x pp ({})", r.tp * r.pp));
  }
  r.precision = Choice(kPrecision, {"fp8", "fp16", "bf16"});
  r.isl = Count(kIsl);
  r.osl = Count(kOsl);
  r.num_requests = Count(kNumRequests);
  if (Text(kRequestRate) != "inf") {
    r.request_rate = PositiveNumber(kRequestRate, "expected 'inf' or a number > 0");
  }
  r.metric = Choice(kMetric, ValidationMetricNames());
  r.measured = PositiveNumber(kMeasured, "expected a number > 0");
  r.source = NonEmpty(kSource);
  return r;
}

// The schema the header names.
TableSchema CheckHeader(const std::string& path, std::string_view text, std::string_view line) {
  const std::string expected =
      fmt::format("'{}' or '{}'", JoinComma(ValidationColumns()), JoinComma(ConcurrencyColumns()));
  if (text.empty()) {
    throw InputError(fmt::format("{}:1: empty table; expected the header {}", path, expected));
  }
  const std::optional<std::vector<std::string>> fields = ParseCsvRecord(line);
  if (fields && *fields == ValidationColumns()) return TableSchema::kPublished;
  if (fields && *fields == ConcurrencyColumns()) return TableSchema::kConcurrency;
  throw InputError(
      fmt::format("{}:1: expected the header {}, got '{}'", path, expected, Shown(line)));
}

std::string_view StripCr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

const std::vector<std::string>& ValidationMetricNames() {
  static const std::vector<std::string> names = {"output_throughput", "request_throughput",
                                                 "mean_ttft_ms", "mean_tpot_ms", "mean_itl_ms"};
  return names;
}

const std::vector<std::string>& ConcurrencyColumns() {
  static const std::vector<std::string> columns = {
      "id",      "backend", "backend_version", "model", "gpu", "precision",
      "isl",     "osl",     "concurrency",     "tp",    "pp",  "ttft_ms",
      "tpot_ms", "source"};
  return columns;
}

const std::vector<std::string>& ConcurrencyBackends() {
  static const std::vector<std::string> backends = {"trtllm", "vllm", "sglang"};
  return backends;
}

const std::vector<std::string>& ValidationColumns() {
  static const std::vector<std::string> columns = {
      "id",  "model", "gpu",          "num_gpus",     "tp",     "pp",       "precision",
      "isl", "osl",   "num_requests", "request_rate", "metric", "measured", "source"};
  return columns;
}

std::optional<std::vector<std::string>> ParseCsvRecord(std::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false, closed = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c != '"') {
        fields.back() += c;
      } else if (i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else {
        quoted = false;
        closed = true;
      }
    } else if (c == ',') {
      fields.emplace_back();
      closed = false;
    } else if (closed) {
      return std::nullopt;  // text after a closing quote
    } else if (c == '"' && fields.back().empty()) {
      quoted = true;
    } else {
      fields.back() += c;
    }
  }
  if (quoted) return std::nullopt;
  return fields;
}

ValidationTable ParseValidationTable(std::string_view text, const std::string& path) {
  ValidationTable table;
  table.path = path;
  std::map<std::string, int64_t> first_line;  // id -> line
  int64_t line_no = 0;
  for (size_t start = 0; start < text.size() || line_no == 0;) {
    const size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view line = StripCr(text.substr(start, end - start));
    start = end + 1;
    if (++line_no == 1) {
      table.schema = CheckHeader(path, text, line);
      continue;
    }
    if (line.empty()) continue;
    std::optional<std::vector<std::string>> fields = ParseCsvRecord(line);
    if (!fields)
      throw InputError(fmt::format("{}:{}: unterminated or malformed quoted field", path, line_no));
    const bool published = table.schema == TableSchema::kPublished;
    const std::vector<std::string>& columns =
        published ? ValidationColumns() : ConcurrencyColumns();
    if (fields->size() != columns.size()) {
      throw InputError(fmt::format("{}:{}: expected {} columns ({}), got {}", path, line_no,
                                   columns.size(), JoinComma(columns), fields->size()));
    }
    const RowParser parser(path, line_no, std::move(*fields), table.schema);
    std::vector<ValidationRow> rows =
        published ? std::vector<ValidationRow>{parser.Parse()} : parser.ParseSweep();
    const auto [it, inserted] = first_line.emplace(rows[0].id, line_no);
    if (!inserted) {
      throw InputError(fmt::format("{}:{}: column 'id': duplicate id '{}' (first on line {})", path,
                                   line_no, rows[0].id, it->second));
    }
    for (ValidationRow& row : rows) table.rows.push_back(std::move(row));
  }
  return table;
}

ValidationTable ReadValidationTable(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open validation table", path));
  std::ostringstream text;
  text << in.rdbuf();
  return ParseValidationTable(text.str(), path);
}

}  // namespace servesim

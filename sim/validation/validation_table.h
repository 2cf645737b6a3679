// ValidationTable: published measurements of LLM serving, in the CSV formats of
// ../shared/validation/README.md: the published-table schema (one number per row) or the
// concurrency-sweep schema (one closed-loop run per line with its TTFT and TPOT, read as two
// rows). The header tells which. Parsing is strict: the header must be exactly one of the
// documented column lists, and every problem is an InputError "file:LINE: column 'x': rule, got
// 'value'" (the header is line 1). Models and GPUs must be zoo names (configs/models,
// configs/hardware).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace servesim {

// The metrics a row may carry, in the order reports list them.
const std::vector<std::string>& ValidationMetricNames();
// The columns of a published table, in order.
const std::vector<std::string>& ValidationColumns();
// The columns of a concurrency-sweep table, in order.
const std::vector<std::string>& ConcurrencyColumns();
// The serving engines a concurrency-sweep row may name in its `backend` column.
const std::vector<std::string>& ConcurrencyBackends();

enum class TableSchema { kPublished, kConcurrency };

struct ValidationRow {
  std::string file;                 // the table's path, as given
  std::string table;                // the file's stem ("trtllm_v0.13_h100_max_throughput")
  int64_t line = 0;                 // 1-based line in the file
  std::vector<std::string> fields;  // every column as written (unquoted), for --csv
  std::string id;
  std::string model;
  std::string gpu;
  int64_t num_gpus = 1;
  int64_t tp = 1;
  int64_t pp = 1;
  std::string precision;  // fp8 | fp16 | bf16
  int64_t isl = 0;
  int64_t osl = 0;
  int64_t num_requests = 0;
  std::optional<double> request_rate;  // requests/s; nullopt: `inf` (all queued at t=0)
  std::string metric;                  // one of ValidationMetricNames()
  double measured = 0;
  std::string source;
  // Concurrency-sweep rows (schema kConcurrency): the serving engine, its version as recorded
  // (may be empty) and the clients of the closed loop. Published rows: empty and 0.
  TableSchema schema = TableSchema::kPublished;
  std::string backend;
  std::string backend_version;
  int64_t concurrency = 0;
};

struct ValidationTable {
  std::string path;
  TableSchema schema = TableSchema::kPublished;
  std::vector<ValidationRow> rows;
};

// Reads and validates a whole table. Throws InputError if the file cannot be read or any row is
// malformed. Row ids must be unique within the file.
ValidationTable ReadValidationTable(const std::string& path);
// The same from text; `path` names the file in messages.
ValidationTable ParseValidationTable(std::string_view text, const std::string& path);

// Splits one CSV line into fields: commas separate, double quotes enclose a field that may hold
// commas, "" inside quotes is a literal quote. Returns nullopt on an unterminated quote or text
// after a closing quote.
std::optional<std::vector<std::string>> ParseCsvRecord(std::string_view line);

}  // namespace servesim

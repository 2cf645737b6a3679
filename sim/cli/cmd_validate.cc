// `servesim validate`: the CLI side of sim/validation/validate.h. Reads validation tables
// (published rows or concurrency sweeps), runs one simulation per distinct configuration with the
// row's engine preset, prints per-row and summary errors, and writes --json / --csv
// all-or-nothing.
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <thread>

#include "sim/cli/commands.h"
#include "sim/cli/study_flags.h"
#include "sim/config/input_error.h"
#include "sim/report/atomic_file.h"
#include "sim/report/version.h"
#include "sim/validation/validate.h"
#include "sim/validation/validation_cases.h"
#include "sim/validation/validation_report.h"

namespace servesim {
namespace po = boost::program_options;

namespace {

ValidationOptions ParseValidationOptions(const po::variables_map& vm) {
  ValidationOptions o;
  o.jobs = StudyJobs(vm);
  if (vm.count("set")) o.sets = vm["set"].as<std::vector<std::string>>();
  if (vm.count("requests-per-client")) {
    o.harness.requests_per_client = vm["requests-per-client"].as<int64_t>();
    if (o.harness.requests_per_client < 1 || o.harness.requests_per_client > 1000000) {
      throw InputError(fmt::format("--requests-per-client {}: must be in [1, 1000000]",
                                   o.harness.requests_per_client));
    }
  }
  if (vm.count("warmup")) {
    o.harness.warmup_per_client = vm["warmup"].as<int64_t>();
    if (o.harness.warmup_per_client < 0 || o.harness.warmup_per_client > 1000000) {
      throw InputError(
          fmt::format("--warmup {}: must be in [0, 1000000]", o.harness.warmup_per_client));
    }
  }
  if (vm.count("range-ratio")) {
    const double r = vm["range-ratio"].as<double>();
    if (!(r > 0 && r <= 1)) {
      throw InputError(fmt::format("--range-ratio {:g}: must be in (0, 1]", r));
    }
    o.harness.range_ratio = r;
  }
  return o;
}

// "trtllm-0.13", "trtllm-1 and vllm-v1 presets".
std::string PresetsText(const ValidationResult& result) {
  const std::vector<std::string> presets = ValidationPresetsUsed(result);
  return fmt::format("{} preset{}", fmt::join(presets, ", "), presets.size() == 1 ? "" : "s");
}

std::vector<ValidationRow> ReadTables(const std::vector<std::string>& paths) {
  std::vector<ValidationRow> rows;
  for (const std::string& path : paths) {
    ValidationTable table = ReadValidationTable(path);
    for (ValidationRow& r : table.rows) rows.push_back(std::move(r));
  }
  return rows;
}

// "1 row", "18 rows".
std::string Rows(int64_t n) { return fmt::format("{} row{}", n, n == 1 ? "" : "s"); }

// One line per distinct reason a row cannot run, with its row count, in order of appearance.
void PrintCannotRun(const ValidationResult& result, std::ostream& out) {
  std::vector<std::pair<std::string, int64_t>> reasons;
  for (const ValidationRowResult& r : result.rows) {
    if (r.cannot_run.empty()) continue;
    const auto it = std::find_if(reasons.begin(), reasons.end(),
                                 [&](const auto& e) { return e.first == r.cannot_run; });
    if (it == reasons.end()) {
      reasons.emplace_back(r.cannot_run, 1);
    } else {
      ++it->second;
    }
  }
  for (const auto& [reason, n] : reasons) fmt::print(out, "cannot run ({}): {}\n", Rows(n), reason);
}

}  // namespace

int CommandValidate(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description desc("validate options");
  desc.add_options()("tables", po::value<std::vector<std::string>>(), "validation tables (CSV)")(
      "json", po::value<std::string>(), "write rows and summary as JSON here ('-' for stdout)")(
      "csv", po::value<std::string>(), "write the rows with predicted and rel_error here")(
      "set", po::value<std::vector<std::string>>()->composing(),
      "dotted.key=value applied to every generated scenario")("jobs,j", po::value<int64_t>(),
                                                              "threads (default: all cores)")(
      "by", po::value<std::string>(), "also summarise per value of these columns (tp,precision)")(
      "requests-per-client", po::value<int64_t>(),
      "concurrency sweeps: measured requests per client (default 10)")(
      "warmup", po::value<int64_t>(),
      "concurrency sweeps: warm-up requests per client before the measured ones (default 0)")(
      "range-ratio", po::value<double>(),
      "concurrency sweeps: client lengths uniform in [R x isl, isl] (default: the harness's)")(
      "quiet", po::bool_switch(), "print only the summary, not every row");
  po::positional_options_description positional;
  positional.add("tables", -1);
  const po::variables_map vm = ParseCommandLine("validate", args, desc, positional);
  if (!vm.count("tables")) {
    throw InputError(fmt::format("servesim validate: missing TABLE.csv\n{}", UsageText()));
  }
  const ValidationOptions options = ParseValidationOptions(vm);
  const std::vector<std::string> by = vm.count("by")
                                          ? ParseValidationGroupColumns(vm["by"].as<std::string>())
                                          : std::vector<std::string>{};
  const std::vector<ValidationRow> rows = ReadTables(vm["tables"].as<std::vector<std::string>>());
  if (vm.count("csv")) CheckOneCsvSchema(rows);  // before any simulation
  const ValidationResult result = RunValidation(rows, options);
  const std::vector<ValidationSummaryRow> summary = SummarizeValidation(result, by);

  nlohmann::ordered_json doc = ValidationToJson(result, summary);
  StampVersion(&doc);
  const std::string json = doc.dump(2) + "\n";
  const bool json_to_stdout = vm.count("json") && vm["json"].as<std::string>() == "-";
  std::vector<std::pair<std::string, std::string>> files;
  if (vm.count("json") && !json_to_stdout) files.emplace_back(vm["json"].as<std::string>(), json);
  if (vm.count("csv")) files.emplace_back(vm["csv"].as<std::string>(), ValidationCsv(result));
  WriteFilesAtomically(files);
  if (json_to_stdout) {
    out << json;
    return 0;
  }
  if (!vm["quiet"].as<bool>()) PrintValidationRows(result, out);
  fmt::print(out, "{}{} rows, {} simulations ({}, seed 1){}\n", vm["quiet"].as<bool>() ? "" : "\n",
             result.rows.size(), result.num_cases, PresetsText(result),
             result.num_cannot_run > 0
                 ? fmt::format("; {} the model cannot run (not in the summary)",
                               Rows(result.num_cannot_run))
                 : "");
  PrintCannotRun(result, out);
  PrintValidationSummary(summary, out);
  return 0;
}

}  // namespace servesim

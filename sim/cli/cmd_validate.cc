// `servesim validate`: the CLI side of sim/validation/validate.h. Reads validation tables, runs one
// simulation per distinct configuration with the trtllm preset, prints per-row and summary
// errors, and writes --json / --csv all-or-nothing.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <thread>

#include "sim/cli/commands.h"
#include "sim/config/input_error.h"
#include "sim/report/atomic_file.h"
#include "sim/report/version.h"
#include "sim/validation/validate.h"
#include "sim/validation/validation_report.h"

namespace servesim {
namespace po = boost::program_options;

namespace {

ValidationOptions ParseValidationOptions(const po::variables_map& vm) {
  ValidationOptions o;
  o.jobs = vm.count("jobs") ? vm["jobs"].as<int>()
                            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (o.jobs < 1) throw InputError(fmt::format("-j {}: must be >= 1", o.jobs));
  if (vm.count("set")) o.sets = vm["set"].as<std::vector<std::string>>();
  return o;
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
      "dotted.key=value applied to every generated scenario")("jobs,j", po::value<int>(),
                                                              "threads (default: all cores)")(
      "by", po::value<std::string>(), "also summarise per value of these columns (tp,precision)")(
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
  const ValidationResult result =
      RunValidation(ReadTables(vm["tables"].as<std::vector<std::string>>()), options);
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
  fmt::print(out, "{}{} rows, {} simulations (trtllm preset, seed 1){}\n",
             vm["quiet"].as<bool>() ? "" : "\n", result.rows.size(), result.num_cases,
             result.num_cannot_run > 0
                 ? fmt::format("; {} the model cannot run (not in the summary)",
                               Rows(result.num_cannot_run))
                 : "");
  PrintCannotRun(result, out);
  PrintValidationSummary(summary, out);
  return 0;
}

}  // namespace servesim

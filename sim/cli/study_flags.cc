#include "sim/cli/study_flags.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "sim/config/config_node.h"
#include "sim/config/input_error.h"
#include "sim/report/atomic_file.h"
#include "sim/studies/json_csv.h"
#include "sim/studies/replication.h"

namespace servesim {
namespace po = boost::program_options;

void AddStudyFlags(po::options_description* desc) {
  desc->add_options()("seed", po::value<std::string>(), "run seed (overrides `seed:`)")(
      "jobs,j", po::value<int64_t>(), "simulations at a time (default: all cores)")(
      "replications", po::value<int64_t>(), "also run under R seeds: mean and 95% CI")(
      "json", po::value<std::string>(), "write the result JSON here ('-' for stdout)")(
      "csv", po::value<std::string>(), "write one CSV row per point/option here ('-' for stdout)")(
      "quiet", po::bool_switch(), "no progress on stderr (the result is still printed)");
}

uint64_t ParseSeedFlag(const std::string& text) {
  // The same range and messages as the `seed:` key: integers in [0, 9e15].
  const ConfigNode node = ConfigNode::LoadString(text, "--seed");
  try {
    return static_cast<uint64_t>(node.AsInt(Between(0, 9.0e15)));
  } catch (const InputError& e) {
    const std::string what = e.what();
    throw InputError(fmt::format("--seed {}: {}", text, what.substr(what.find(": ") + 2)));
  }
}

std::optional<uint64_t> StudySeed(const po::variables_map& vm) {
  if (!vm.count("seed")) return std::nullopt;
  return ParseSeedFlag(vm["seed"].as<std::string>());
}

int StudyJobs(const po::variables_map& vm) {
  if (!vm.count("jobs")) return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int64_t j = vm["jobs"].as<int64_t>();
  if (j < 1 || j > 4096) throw InputError(fmt::format("-j {}: must be in [1, 4096]", j));
  return static_cast<int>(j);
}

std::optional<int64_t> StudyReplicationCount(const po::variables_map& vm) {
  if (!vm.count("replications")) return std::nullopt;
  const int64_t r = vm["replications"].as<int64_t>();
  if (r < 2) {
    throw InputError(
        fmt::format("--replications {}: need at least 2 for a confidence interval", r));
  }
  if (r > kMaxReplications) {
    throw InputError(fmt::format("--replications {}: must be <= {}", r, kMaxReplications));
  }
  return r;
}

void CheckStudyOutputFlags(const po::variables_map& vm) {
  if (vm.count("json") && vm.count("csv") && vm["json"].as<std::string>() == "-" &&
      vm["csv"].as<std::string>() == "-") {
    throw InputError("--json - and --csv -: only one of them can go to stdout");
  }
}

std::string WriteStudyOutputs(const po::variables_map& vm, const std::string& json,
                              const std::vector<std::string>& csv_columns,
                              const std::vector<nlohmann::ordered_json>& csv_rows) {
  CheckStudyOutputFlags(vm);
  const std::string json_path = vm.count("json") ? vm["json"].as<std::string>() : "";
  const std::string csv_path = vm.count("csv") ? vm["csv"].as<std::string>() : "";
  const std::string csv = csv_path.empty() ? "" : JsonRowsToCsv(csv_columns, csv_rows);
  std::vector<std::pair<std::string, std::string>> files;
  if (!json_path.empty() && json_path != "-") files.emplace_back(json_path, json);
  if (!csv_path.empty() && csv_path != "-") files.emplace_back(csv_path, csv);
  WriteFilesAtomically(files);
  if (json_path == "-") return json;
  if (csv_path == "-") return csv;
  return "";
}

}  // namespace servesim

// Flags shared by the `scaling` and `plan` commands: --seed, -j/--jobs, --replications, --json,
// --quiet, and the all-or-nothing output of a study result.
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace servesim {

// Adds --seed, -j/--jobs, --replications, --json, --csv and --quiet to `desc`.
void AddStudyFlags(boost::program_options::options_description* desc);

// --seed N in [0, 9e15], or nullopt. Throws InputError.
// `--seed TEXT` with the `seed:` key's range and messages ("--seed abc: expected an integer, got
// 'abc'"); InputError otherwise. One parser for `run` and every study.
uint64_t ParseSeedFlag(const std::string& text);
std::optional<uint64_t> StudySeed(const boost::program_options::variables_map& vm);
// -j N (default: the number of cores). Throws InputError unless N >= 1.
int StudyJobs(const boost::program_options::variables_map& vm);
// --replications R, or nullopt. Throws InputError unless R >= 2.
std::optional<int64_t> StudyReplicationCount(const boost::program_options::variables_map& vm);

// Refuses --json - with --csv - (both on stdout), before any simulation. Throws InputError.
void CheckStudyOutputFlags(const boost::program_options::variables_map& vm);

// Writes `json` to --json FILE and the CSV of `csv_rows` under the header `csv_columns`
// (sim/studies/json_csv.h) to --csv FILE, all or nothing, when asked. Returns what goes to stdout
// instead of the table ("--json -" or "--csv -"; at most one of them), or "" for the table.
// Throws InputError.
std::string WriteStudyOutputs(const boost::program_options::variables_map& vm,
                              const std::string& json, const std::vector<std::string>& csv_columns,
                              const std::vector<nlohmann::ordered_json>& csv_rows);

}  // namespace servesim

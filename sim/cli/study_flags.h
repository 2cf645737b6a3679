// Flags shared by the `scaling` and `plan` commands: --seed, -j/--jobs, --replications, --json,
// --quiet, and the all-or-nothing output of a study result.
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

namespace servesim {

// Adds --seed, -j/--jobs, --replications, --json and --quiet to `desc`.
void AddStudyFlags(boost::program_options::options_description* desc);

// --seed N in [0, 9e15], or nullopt. Throws InputError.
std::optional<uint64_t> StudySeed(const boost::program_options::variables_map& vm);
// -j N (default: the number of cores). Throws InputError unless N >= 1.
int StudyJobs(const boost::program_options::variables_map& vm);
// --replications R, or nullopt. Throws InputError unless R >= 2.
std::optional<int64_t> StudyReplicationCount(const boost::program_options::variables_map& vm);

// Writes `json` to --json FILE (atomically) when asked; returns whether it goes to stdout
// ("--json -") instead.
bool WriteStudyJson(const boost::program_options::variables_map& vm, const std::string& json);

}  // namespace servesim

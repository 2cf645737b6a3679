// The study flags of `servesim run`: --replications R (the scenario under R seeds, mean and 95%
// CI of every metric; sim/studies/replication.h) and --chrome-trace FILE (a Perfetto timeline of
// every step; sim/studies/chrome_trace.h). CommandRun adds the options, runs through
// RunWithStudies and lets the result extend its JSON, its files and its console output. Without
// these flags the run, its JSON and its output are exactly those of a plain run.
#pragma once

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "sim/config/scenario.h"
#include "sim/runner.h"
#include "sim/studies/replication.h"

namespace servesim {

void AddRunStudyOptions(boost::program_options::options_description* desc);

struct RunStudies {
  RunResult base;                                // the run at the scenario's seed
  std::optional<ReplicationStats> replications;  // --replications
  std::string chrome_trace_path, chrome_trace;   // --chrome-trace: where and what

  // The summary JSON, with a "replications" object when asked.
  nlohmann::ordered_json SummaryJson() const;
  // (path, content) of the extra files to write.
  void AddFiles(std::vector<std::pair<std::string, std::string>>* files) const;
  // The replications table, when asked.
  void Print(std::ostream& out) const;
};

// Runs the scenario once (with a step trace when asked) and its replications.
RunStudies RunWithStudies(const Scenario& scenario,
                          const boost::program_options::variables_map& vm);

}  // namespace servesim

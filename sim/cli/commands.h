// The subcommands of `servesim`. Each lives in its own sim/cli/cmd_*.cc (or cli.cc for the basic
// ones) and is listed once in the table in cli.cc. A command returns the exit code for success
// and throws InputError for bad input or usage (main turns that into exit code 2).
#pragma once

#include <boost/program_options.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace servesim {

using CommandFn = int (*)(const std::vector<std::string>& args, std::ostream& out);

struct Command {
  const char* name;
  const char* usage;  // one or more lines, shown by `servesim help`
  CommandFn fn;
};

// All commands, in the order `servesim help` lists them.
const std::vector<Command>& Commands();
// The full usage text.
std::string UsageText();

// Parses `args` against `desc` (+ positional), turning Boost errors into InputError naming the
// command and showing the usage.
boost::program_options::variables_map ParseCommandLine(
    const std::string& command, const std::vector<std::string>& args,
    const boost::program_options::options_description& desc,
    const boost::program_options::positional_options_description& positional);

// Commands (one per file where they grow).
int CommandRun(const std::vector<std::string>& args, std::ostream& out);
int CommandModels(const std::vector<std::string>& args, std::ostream& out);
int CommandHardware(const std::vector<std::string>& args, std::ostream& out);
// cmd_collectives.cc
int CommandCollectives(const std::vector<std::string>& args, std::ostream& out);
int CommandSweep(const std::vector<std::string>& args, std::ostream& out);     // cmd_sweep.cc
int CommandMerge(const std::vector<std::string>& args, std::ostream& out);     // cmd_sweep.cc
int CommandCapacity(const std::vector<std::string>& args, std::ostream& out);  // cmd_capacity.cc
int CommandScaling(const std::vector<std::string>& args, std::ostream& out);   // cmd_scaling.cc
int CommandPlan(const std::vector<std::string>& args, std::ostream& out);      // cmd_plan.cc
int CommandReport(const std::vector<std::string>& args, std::ostream& out);    // cmd_report.cc
int CommandValidate(const std::vector<std::string>& args, std::ostream& out);  // cmd_validate.cc
int CommandCompare(const std::vector<std::string>& args, std::ostream& out);   // cmd_compare.cc

}  // namespace servesim

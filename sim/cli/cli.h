// The servesim command line: `servesim run|models|hardware|help`. A library function so tests can
// drive it in-process; sim/cli/main.cc is a thin wrapper. Input and usage errors surface as
// InputError (exit code 2 in main); nothing is written when a command fails.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace servesim {

// Runs one command. Returns the process exit code for success paths (0); throws InputError for
// bad input or usage.
int RunCli(const std::vector<std::string>& args, std::ostream& out);

}  // namespace servesim

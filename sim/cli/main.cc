// servesim: thin entry point over RunCli. Here an InputError reaching the top ends the process
// with its message and exit code 2; below, code catches one only to rewrite its message with more
// context (a flag name, a plan candidate) or to record it as a skipped option, never to hide it.
#include <iostream>
#include <string>
#include <vector>

#include "sim/cli/cli.h"
#include "sim/cli/process_heap.h"
#include "sim/config/input_error.h"

int main(int argc, char** argv) {
  servesim::TuneProcessHeap();
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return servesim::RunCli(args, std::cout);
  } catch (const servesim::InputError& e) {
    std::cout.flush();
    std::cerr << "servesim: error: " << e.what() << "\n";
    return 2;
  }
}

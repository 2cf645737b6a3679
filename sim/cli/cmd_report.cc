// `servesim report`: the CLI side of sim/studies/report.h.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <boost/program_options.hpp>

#include "sim/cli/commands.h"
#include "sim/config/input_error.h"
#include "sim/studies/report.h"

namespace servesim {
namespace po = boost::program_options;

int CommandReport(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description desc("report options");
  desc.add_options()("results", po::value<std::vector<std::string>>(), "result files")(
      "html", po::value<std::string>(), "output directory for index.html and the SVG plots")(
      "force", po::bool_switch(),
      "replace the previous report in an existing --html directory (refused for a directory "
      "that does not hold one)")("quiet", po::bool_switch(), "do not list the files written");
  po::positional_options_description positional;
  positional.add("results", -1);
  const po::variables_map vm = ParseCommandLine("report", args, desc, positional);
  if (!vm.count("results") || !vm.count("html")) {
    throw InputError(
        fmt::format("servesim report: need RESULTS... and --html DIR\n{}", UsageText()));
  }
  ReportOptions options;
  options.force = vm["force"].as<bool>();
  const ReportOutput r = BuildReport(vm["results"].as<std::vector<std::string>>(),
                                     vm["html"].as<std::string>(), options);
  if (!vm["quiet"].as<bool>()) {
    fmt::print(out, "report: {} ({} plots)\n", r.html, r.svgs.size());
  }
  return 0;
}

}  // namespace servesim

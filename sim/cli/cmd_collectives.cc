// `servesim collectives`: checks the collective model (models/collectives) against measured NCCL
// timings and prints the error table of docs/collectives.md; `--fit` re-derives the fitted
// constants.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <boost/program_options.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/cli/commands.h"
#include "sim/config/input_error.h"
#include "sim/report/collective_validation.h"

namespace servesim {
namespace {
namespace po = boost::program_options;

constexpr char kDefaultReference[] =
    SERVESIM_SOURCE_DIR "/../shared/reference/nccl_collectives_vidur.csv";
constexpr double kMiB = 1024.0 * 1024.0;

std::string Percent(double x, bool sign) {
  return sign ? fmt::format("{:+.0f}%", 100 * x) : fmt::format("{:.0f}%", 100 * x);
}

void PrintTable(const std::vector<ErrorGroup>& groups, bool markdown, std::ostream& out) {
  if (markdown) {
    fmt::print(out,
               "| collective | GPU | span | size | rows | median abs error | max abs error | "
               "bias |\n|---|---|---|---|---:|---:|---:|---:|\n");
  } else {
    fmt::print(out, "{:<12}{:<15}{:<9}{:<14}{:>5}{:>13}{:>10}{:>8}\n", "collective", "gpu", "span",
               "size", "rows", "median|err|", "max|err|", "bias");
  }
  for (const ErrorGroup& g : groups) {
    const std::string median = Percent(g.median_abs, false), max = Percent(g.max_abs, false);
    const std::string bias = Percent(g.bias, true);
    if (markdown) {
      fmt::print(out, "| {} | {} | {} | {} | {} | {} | {} | {} |\n", g.collective, g.gpu, g.span,
                 g.size_range, g.count, median, max, bias);
    } else {
      fmt::print(out, "{:<12}{:<15}{:<9}{:<14}{:>5}{:>13}{:>10}{:>8}\n", g.collective, g.gpu,
                 g.span, g.size_range, g.count, median, max, bias);
    }
  }
}

void PrintHeadline(const CollectiveEvaluation& e, size_t total, std::ostream& out) {
  fmt::print(out, "{} rows, {} priced", total, e.rows.size());
  for (const auto& [cluster, n] : e.skipped) {
    fmt::print(out, "; skipped {} rows of {} (no servesim topology)", n, cluster);
  }
  int64_t all = 0, single = 0;
  const double all_err = MedianAbsError(e.rows, kMiB, false, &all);
  const double single_err = MedianAbsError(e.rows, kMiB, true, &single);
  fmt::print(out,
             "\nmessages >= 1 MiB: median |relative error| {} over {} rows; {} over the {} "
             "single-node rows\n\n",
             Percent(all_err, false), all, Percent(single_err, false), single);
}

void PrintFit(const CollectiveEvaluation& e, std::ostream& out) {
  const CollectiveFit fit = FitCollectiveConstants(e);
  const CollectiveParams& now = DefaultCollectiveParams();
  fmt::print(out, "least-squares fit (relative error, single-node rows >= 1 MiB):\n");
  fmt::print(out,
             "  ring all-reduce ({} rows): launch {:.1f} us (model {:.1f}), bus bw fraction "
             "{:.3f} (model {:.3f})\n",
             fit.ring_rows, fit.launch_s * 1e6, now.launch_s * 1e6, fit.ring_bus_bw_fraction,
             now.ring_bus_bw_fraction);
  fmt::print(out,
             "  send/recv ({} rows): launch {:.1f} us (model {:.1f}), bw fraction {:.3f} "
             "(model {:.3f})\n\n",
             fit.p2p_rows, fit.p2p_launch_s * 1e6, now.p2p_launch_s * 1e6, fit.p2p_bw_fraction,
             now.p2p_bw_fraction);
}

}  // namespace

int CommandCollectives(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description desc("collectives options");
  desc.add_options()("reference", po::value<std::vector<std::string>>()->composing(),
                     "measured NCCL timings CSV (repeatable)")("markdown", po::bool_switch(),
                                                               "print the table as Markdown")(
      "fit", po::bool_switch(), "also re-fit the fitted constants");
  const po::variables_map vm = ParseCommandLine("collectives", args, desc, {});
  std::vector<std::string> paths = {
      std::filesystem::path(kDefaultReference).lexically_normal().string()};
  if (vm.count("reference")) {
    paths = vm["reference"].as<std::vector<std::string>>();
  } else if (!std::filesystem::is_regular_file(paths[0])) {
    throw InputError(
        fmt::format("servesim collectives: no reference file at {} (the Vidur NCCL timings, "
                    "shared/reference/nccl_collectives_vidur.csv); pass --reference CSV",
                    paths[0]));
  }
  std::vector<CollectiveReference> refs;
  for (const std::string& path : paths) {
    const std::vector<CollectiveReference> more = LoadCollectiveReference(path);
    refs.insert(refs.end(), more.begin(), more.end());
  }
  const CollectiveEvaluation e = EvaluateCollectives(refs, DefaultCollectiveParams());
  PrintHeadline(e, refs.size(), out);
  if (vm["fit"].as<bool>()) PrintFit(e, out);
  PrintTable(SummarizeErrors(e.rows), vm["markdown"].as<bool>(), out);
  return 0;
}

}  // namespace servesim

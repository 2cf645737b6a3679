#include "sim/cli/cli.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <boost/program_options.hpp>
#include <sstream>

#include "sim/cli/commands.h"
#include "sim/cli/run_studies.h"
#include "sim/cli/study_flags.h"
#include "sim/config/input_error.h"
#include "sim/config/scenario.h"
#include "sim/config/zoo.h"
#include "sim/report/atomic_file.h"
#include "sim/report/build_info.h"
#include "sim/report/summary.h"
#include "sim/report/version.h"
#include "sim/runner.h"

namespace servesim {
namespace po = boost::program_options;

int CommandRun(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description desc("run options");
  desc.add_options()("scenario", po::value<std::string>(), "scenario YAML")(
      "set", po::value<std::vector<std::string>>()->composing(), "dotted.key=value override")(
      "seed", po::value<std::string>(), "run seed (overrides `seed:`)")(
      "json", po::value<std::string>(), "write the summary JSON here ('-' for stdout)")(
      "requests-csv", po::value<std::string>(), "write one row per request here")(
      "quiet", po::bool_switch(), "no progress on stderr (the summary is still printed)");
  AddRunStudyOptions(&desc);
  po::positional_options_description positional;
  positional.add("scenario", 1);
  const po::variables_map vm = ParseCommandLine("run", args, desc, positional);
  if (!vm.count("scenario"))
    throw InputError(fmt::format("servesim run: missing SCENARIO.yaml\n{}", UsageText()));

  std::vector<std::string> sets;
  if (vm.count("set")) sets = vm["set"].as<std::vector<std::string>>();
  const std::optional<uint64_t> seed = StudySeed(vm);
  const Scenario scenario = LoadScenario(vm["scenario"].as<std::string>(), sets, seed);
  const RunStudies studies = RunWithStudies(scenario, vm);  // the run (+ trace, replications)
  const RunResult& result = studies.base;

  // Render everything first; write files only once all of it succeeded.
  const std::string json = studies.SummaryJson().dump(2) + "\n";
  std::string csv;
  if (vm.count("requests-csv")) csv = RequestsCsv(result.requests);
  std::vector<std::pair<std::string, std::string>> files;
  const bool json_to_stdout = vm.count("json") && vm["json"].as<std::string>() == "-";
  if (vm.count("json") && !json_to_stdout) files.emplace_back(vm["json"].as<std::string>(), json);
  if (vm.count("requests-csv"))
    files.emplace_back(vm["requests-csv"].as<std::string>(), std::move(csv));
  studies.AddFiles(&files);
  WriteFilesAtomically(files);  // all or nothing, before anything is printed
  // The result always reaches stdout: as the JSON with --json -, else as the table.
  if (json_to_stdout) {
    out << json;
  } else {
    PrintSummary(result.summary, out);
    studies.Print(out);
  }
  return 0;
}

int CommandModels(const std::vector<std::string>& args, std::ostream& out) {
  ParseCommandLine("models", args, {}, {});
  fmt::print(out, "{:<16}{:>9}{:>8}{:>8}{:>7}{:>5}{:>8}{:>7}{:>8}{:>9}  {}\n", "model", "params",
             "layers", "hidden", "heads", "kv", "ffn", "mlp", "vocab", "context", "moe");
  for (const std::string& name : ListZoo("models")) {
    const ModelSpec m = LoadModelFile(ConfigRoot() + "/models/" + name + ".yaml");
    const std::string moe = m.IsMoe()
                                ? fmt::format("{}x top-{} ({:.1f}B active)", m.moe_num_experts,
                                              m.moe_top_k, m.ActiveParams() / 1e9)
                                : "-";
    fmt::print(out, "{:<16}{:>8.1f}B{:>8}{:>8}{:>7}{:>5}{:>8}{:>7}{:>8}{:>9}  {}\n", name,
               m.TotalParams() / 1e9, m.num_layers, m.hidden_size, m.num_attention_heads,
               m.num_kv_heads, m.IsMoe() ? m.moe_intermediate_size : m.intermediate_size,
               m.gated_mlp ? "gated" : "plain", m.vocab_size, m.max_position_embeddings, moe);
  }
  return 0;
}

int CommandHardware(const std::vector<std::string>& args, std::ostream& out) {
  ParseCommandLine("hardware", args, {}, {});
  fmt::print(out, "{:<16}{:>8}{:>9}{:>10}{:>9}{:>9}  {:<10}{:>9}{:>8}{:>8}\n", "gpu", "mem GiB",
             "HBM TB/s", "bf16 TF/s", "fp8 TF/s", "fp4 TF/s", "scale-up", "GB/s", "TDP W", "$/h");
  for (const std::string& name : ListZoo("hardware")) {
    const HardwareSpec h = LoadHardwareFile(ConfigRoot() + "/hardware/" + name + ".yaml");
    const auto tf = [](double flops) {
      return flops > 0 ? fmt::format("{:.0f}", flops / 1e12) : std::string("-");
    };
    fmt::print(out, "{:<16}{:>8.0f}{:>9.2f}{:>10}{:>9}{:>9}  {:<10}{:>9.0f}{:>8.0f}{:>8.2f}\n",
               name, h.memory_bytes / (1ull << 30), h.memory_bandwidth_bytes_per_s / 1e12,
               tf(h.peak_flops_bf16), tf(h.peak_flops_fp8), tf(h.peak_flops_fp4), h.scaleup_link,
               h.scaleup_bandwidth_bytes_per_s / 1e9, h.tdp_w, h.price_per_gpu_hour_usd);
  }
  return 0;
}

const std::vector<Command>& Commands() {
  static const std::vector<Command> commands = {
      {"run",
       "run SCENARIO.yaml [--set key=value]... [--seed N] [--json FILE] [--requests-csv FILE]\n"
       "      [--replications R] [--chrome-trace FILE] [--no-fast-forward]\n"
       "      [--quiet]                    simulate a scenario and print its summary",
       CommandRun},
      {"models", "models                       list the model zoo (configs/models)", CommandModels},
      {"hardware", "hardware                     list the GPU zoo (configs/hardware)",
       CommandHardware},
      {"collectives",
       "collectives [--reference CSV]... [--markdown] [--fit]\n"
       "                               check the collective model against measured NCCL times",
       CommandCollectives},
      {"sweep",
       "sweep SWEEP.yaml [-j N] [--out DIR] [--resume] [--shard i/N|auto [--shards N]] [--quiet]\n"
       "                               run every point of a sweep file (docs/studies.md)\n"
       "  sweep SWEEP.yaml --emit-slurm DIR --shards N [-j N] [--sbatch KEY=VALUE]...\n"
       "                               write a Slurm job array + merge job for it",
       CommandSweep},
      {"merge",
       "merge DIR... --out DIR       combine the shards of a sweep, checking none is missing",
       CommandMerge},
      {"capacity",
       "capacity SCENARIO.yaml --slo KEY=MS,... [--attainment F] [--tolerance F]\n"
       "      [--start-rate R] [--replications R] [--set key=value]... [--seed N] [--json FILE]\n"
       "      [--csv FILE] [--quiet]       highest Poisson arrival rate that meets the SLO",
       CommandCapacity},
      {"scaling",
       "scaling SCENARIO.yaml --gpus 1,2,4,... --slo KEY=MS,... [--strategies tp,pp,dp,ep]\n"
       "      [--attainment F] [--tolerance F] [--fixed-requests] [--replications R] [-j N]\n"
       "      [--set key=value]... [--seed N] [--json FILE] [--csv FILE] [--quiet]\n"
       "                               capacity vs GPU count against linear, losses, USL fit",
       CommandScaling},
      {"plan",
       "plan PLAN.yaml [--set key=value]... [--seed N] [--replications R] [-j N] [--json FILE]\n"
       "      [--csv FILE] [--quiet]       cheapest deployment per candidate GPU for a target load",
       CommandPlan},
      {"report",
       "report RESULTS... --html DIR [--force] [--quiet]\n"
       "                               HTML page: tables and gnuplot plots of study results",
       CommandReport},
      {"validate",
       "validate TABLE.csv... [--json FILE] [--csv FILE] [--set key=value]... [--by COLUMNS]\n"
       "      [-j N] [--quiet]             predicted vs published numbers (docs/validation.md)",
       CommandValidate},
      {"compare",
       "compare --scenario SCENARIO.yaml --measured RESULT.json [--set key=value]... [--json "
       "FILE]\n"
       "                               a vLLM benchmark_serving result vs the simulation",
       CommandCompare},
  };
  return commands;
}

std::string UsageText() {
  std::string text = "usage: servesim <command> [options]\ncommands:\n";
  for (const Command& c : Commands()) text += fmt::format("  {}\n", c.usage);
  text += "  help [COMMAND]               show this text, or one command's options\n";
  text += "  --version                    print the version and the git commit it was built from\n";
  text += "  --config-root DIR            (with any command) read the model and GPU zoo from DIR\n";
  text += "Every command takes --help (`servesim run --help`).\n";
  return text;
}

namespace {

// Thrown by ParseCommandLine for `servesim COMMAND --help`; RunCli prints the text and returns 0.
struct HelpRequested {
  std::string text;
};

std::string CommandHelp(const std::string& command, const po::options_description& desc) {
  std::string usage;
  for (const Command& c : Commands()) {
    if (command == c.name) usage = c.usage;
  }
  std::ostringstream s;
  s << "usage: servesim " << usage << "\n";
  if (!desc.options().empty()) s << "\n" << desc;
  return s.str();
}

// `servesim help COMMAND`: runs the command with --help.
int HelpFor(const std::string& command, std::ostream& out) {
  for (const Command& c : Commands()) {
    if (command == c.name) {
      try {
        return c.fn({"--help"}, out);
      } catch (const HelpRequested& h) {
        out << h.text;
        return 0;
      }
    }
  }
  std::vector<std::string> names;
  for (const Command& c : Commands()) names.push_back(c.name);
  throw InputError(fmt::format("servesim help: unknown command '{}'{}\n{}", command,
                               DidYouMean(command, names), UsageText()));
}

}  // namespace

po::variables_map ParseCommandLine(const std::string& command, const std::vector<std::string>& args,
                                   const po::options_description& desc,
                                   const po::positional_options_description& positional) {
  for (const std::string& a : args) {
    if (a == "--") break;
    if (a == "--help" || a == "-h") throw HelpRequested{CommandHelp(command, desc)};
  }
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(desc).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw InputError(fmt::format("servesim {}: {}\n{}", command, e.what(), UsageText()));
  }
  return vm;
}

// Takes `--config-root DIR` (or `--config-root=DIR`) out of `args`, wherever it stands, and sets
// the zoo's directory from it.
std::vector<std::string> TakeConfigRoot(const std::vector<std::string>& all) {
  std::vector<std::string> args;
  const std::string flag = "--config-root";
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i] == flag || all[i].rfind(flag + "=", 0) == 0) {
      if (all[i] == flag && i + 1 >= all.size()) {
        throw InputError(
            "--config-root: missing DIR (the directory holding models/ and hardware/)");
      }
      SetConfigRootOverride(all[i] == flag ? all[++i] : all[i].substr(flag.size() + 1));
      continue;
    }
    args.push_back(all[i]);
  }
  return args;
}

int RunCli(const std::vector<std::string>& all_args, std::ostream& out) {
  const std::vector<std::string> args = TakeConfigRoot(all_args);
  if (args.empty()) throw InputError(fmt::format("servesim: missing command\n{}", UsageText()));
  const std::string& command = args[0];
  // A bad $SERVESIM_CONFIG_DIR is reported before any output, not halfway through a table.
  if (command != "--version" && command != "version" && command != "help" && command != "--help" &&
      command != "-h") {
    ConfigRoot();
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  std::vector<std::string> names = {"help"};
  for (const Command& c : Commands()) {
    if (command == c.name) {
      try {
        return c.fn(rest, out);
      } catch (const HelpRequested& h) {
        out << h.text;
        return 0;
      }
    }
    names.push_back(c.name);
  }
  if (command == "--version" || command == "version") {
    if (!rest.empty()) {
      throw InputError(fmt::format("servesim {}: takes no arguments\n{}", command, UsageText()));
    }
    fmt::print(out, "servesim {} (git {})\n", kServesimVersion, GitCommit());
    return 0;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    if (rest.size() == 1) return HelpFor(rest[0], out);
    out << UsageText();
    return 0;
  }
  throw InputError(fmt::format("servesim: unknown command '{}'{}\n{}", command,
                               DidYouMean(command, names), UsageText()));
}

}  // namespace servesim

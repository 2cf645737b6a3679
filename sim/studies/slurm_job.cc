#include "sim/studies/slurm_job.h"

#include <fmt/format.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <system_error>

#include "sim/config/input_error.h"
#include "sim/report/atomic_file.h"
#include "sim/report/version.h"
#include "sim/studies/sweep_spec.h"

namespace servesim {
namespace {

namespace fs = std::filesystem;

// Characters that a job directory may not hold: #SBATCH lines are split at blanks and do not
// honour shell quoting, and '%' is a Slurm file-name pattern (--output).
constexpr std::string_view kUnsafeDirChars = " \t\n\r\"'\\$`%";

// #SBATCH options that servesim writes itself: a second one would silently win or conflict.
bool SetByServesim(const std::string& key) {
  for (const char* own : {"array", "output", "error", "cpus-per-task", "open-mode", "dependency",
                          "job-name", "wrap"}) {
    if (key == own) return true;
  }
  return false;
}

void CheckOptions(const SlurmJobOptions& o) {
  if (o.cpus_per_task < 1) {
    throw InputError(fmt::format("-j {}: must be >= 1", o.cpus_per_task));
  }
  for (const std::string& s : o.sbatch_options) {
    const std::string key = s.substr(0, s.find('='));
    const bool key_ok =
        key.size() >= 2 && std::isalpha(static_cast<unsigned char>(key[0])) &&
        key.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos;
    const bool empty_value = s.size() == key.size() + 1;  // "partition="
    if (!key_ok || empty_value || s.find_first_of(" \t\n\r") != std::string::npos) {
      throw InputError(fmt::format(
          "--sbatch '{}': expected KEY=VALUE (or a bare KEY) of one long sbatch option without "
          "its dashes or blanks, e.g. partition=cpu, time=02:00:00, exclusive",
          s));
    }
    if (SetByServesim(key)) {
      throw InputError(fmt::format(
          "--sbatch {}: servesim writes --{} itself (--array from --shards, --cpus-per-task from "
          "-j, --job-name from the sweep, --output, --error and --open-mode into DIR/logs, the "
          "merge's --dependency in submit.sh; --wrap replaces a batch script)",
          s, key));
    }
  }
}

void WriteFile(const fs::path& path, const std::string& text, bool executable) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw InputError(fmt::format("{}: cannot write file", path.string()));
  if (executable) {
    fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                    fs::perm_options::add);
  }
}

// Fills `tmp` with everything DIR will hold.
void Populate(const SlurmJobOptions& o, const fs::path& tmp, const SlurmJobScripts& scripts) {
  std::error_code ec;
  fs::create_directories(tmp / "bin", ec);
  if (!ec) fs::create_directories(tmp / "logs", ec);
  if (!ec) fs::create_directories(tmp / "share" / "servesim", ec);
  if (ec)
    throw InputError(fmt::format("{}: cannot create directory: {}", tmp.string(), ec.message()));
  fs::copy_file(o.servesim_binary, tmp / "bin" / "servesim", ec);
  if (ec) {
    throw InputError(fmt::format("cannot copy the servesim binary {} into {}: {}",
                                 o.servesim_binary, (tmp / "bin").string(), ec.message()));
  }
  fs::permissions(tmp / "bin" / "servesim",
                  fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                      fs::perms::others_read | fs::perms::others_exec,
                  ec);
  fs::copy(o.config_root, tmp / "share" / "servesim" / "configs", fs::copy_options::recursive, ec);
  if (ec) {
    throw InputError(fmt::format("cannot copy the model and GPU zoo {} into {}: {}", o.config_root,
                                 tmp.string(), ec.message()));
  }
  WriteFile(tmp / "sweep.sbatch", scripts.sweep_sbatch, true);
  WriteFile(tmp / "merge.sbatch", scripts.merge_sbatch, true);
  WriteFile(tmp / "submit.sh", scripts.submit_sh, true);
}

std::string JobName(const std::string& sweep_name) {
  std::string name = "servesim-";
  for (char c : sweep_name)
    name += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  return name;
}

}  // namespace

std::string ShellQuote(const std::string& text) {
  const bool plain = !text.empty() && text.find_first_not_of(
                                          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                          "0123456789_./=:+,@%-") == std::string::npos;
  if (plain) return text;
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

SlurmJobScripts MakeSlurmJobScripts(const SlurmJobOptions& o, const std::string& job_dir,
                                    const std::string& sweep_file, const std::string& sweep_name,
                                    int64_t num_points) {
  const std::string name = JobName(sweep_name);
  const std::string servesim = ShellQuote(job_dir + "/bin/servesim");
  const std::string results = job_dir + "/results";
  std::string extra;
  for (const std::string& s : o.sbatch_options) extra += fmt::format("#SBATCH --{}\n", s);
  const int64_t per_task = (num_points + o.shards - 1) / o.shards;

  SlurmJobScripts s;
  s.sweep_sbatch = fmt::format(
      "#!/bin/bash\n"
      "# A servesim sweep as a Slurm job array, written by servesim {version} (--emit-slurm).\n"
      "#   sweep:   {sweep}\n"
      "#   tasks:   {shards}; task i runs shard i: points i, i+{shards}, ... ({per_task} at most, "
      "of {points})\n"
      "#   results: {results}/shard-<i>; --resume lets a requeued or resubmitted task go on\n"
      "#            where it stopped\n"
      "# Submit with submit.sh, which also queues merge.sbatch to run after every task succeeded.\n"
      "#SBATCH --job-name={name}\n"
      "#SBATCH --array=0-{last}\n"
      "#SBATCH --cpus-per-task={cpus}\n"
      "#SBATCH --output={dir}/logs/sweep-%A_%a.out\n"
      "#SBATCH --open-mode=append\n"
      "{extra}"
      "set -euo pipefail\n"
      "exec {servesim} sweep {sweep_q} --shard auto --shards {shards} \\\n"
      "  -j \"${{SLURM_CPUS_PER_TASK:-{cpus}}}\" --resume --out "
      "{results_q}/shard-\"$SLURM_ARRAY_TASK_ID\"\n",
      fmt::arg("sweep", sweep_file), fmt::arg("shards", o.shards), fmt::arg("per_task", per_task),
      fmt::arg("points", num_points), fmt::arg("results", results),
      fmt::arg("version", kServesimVersion), fmt::arg("name", name), fmt::arg("last", o.shards - 1),
      fmt::arg("cpus", o.cpus_per_task), fmt::arg("dir", job_dir), fmt::arg("extra", extra),
      fmt::arg("servesim", servesim), fmt::arg("sweep_q", ShellQuote(sweep_file)),
      fmt::arg("results_q", ShellQuote(results)));
  s.merge_sbatch = fmt::format(
      "#!/bin/bash\n"
      "# Merges the {shards} shards of a servesim sweep; written by servesim {version} "
      "(--emit-slurm).\n"
      "#   sweep:   {sweep}\n"
      "#   results: {results}/merged, byte-identical to an unsharded run; with points missing it\n"
      "#            writes nothing and lists them (rerun their tasks, then this job)\n"
      "# submit.sh queues it with --dependency=afterok on the job array.\n"
      "#SBATCH --job-name={name}-merge\n"
      "#SBATCH --cpus-per-task=1\n"
      "#SBATCH --output={dir}/logs/merge-%j.out\n"
      "{extra}"
      "set -euo pipefail\n"
      "shards=()\n"
      "for ((i = 0; i < {shards}; i++)); do shards+=({results_q}/shard-\"$i\"); done\n"
      "exec {servesim} merge \"${{shards[@]}}\" --out {results_q}/merged\n",
      fmt::arg("sweep", sweep_file), fmt::arg("shards", o.shards), fmt::arg("results", results),
      fmt::arg("version", kServesimVersion), fmt::arg("name", name), fmt::arg("dir", job_dir),
      fmt::arg("extra", extra), fmt::arg("servesim", servesim),
      fmt::arg("results_q", ShellQuote(results)));
  s.submit_sh = fmt::format(
      "#!/bin/sh\n"
      "# Submits the sweep's job array, then the merge job to run once every task has succeeded.\n"
      "# Written by servesim {version} (--emit-slurm).\n"
      "set -eu\n"
      "cd {dir_q}\n"
      "array=$(sbatch --parsable sweep.sbatch)\n"
      "array=${{array%%;*}}\n"
      "merge=$(sbatch --parsable --dependency=afterok:\"$array\" merge.sbatch)\n"
      "merge=${{merge%%;*}}\n"
      "echo \"servesim: job array $array ({shards} tasks), merge job $merge after it; results in "
      "{results}/merged\"\n",
      fmt::arg("version", kServesimVersion), fmt::arg("dir_q", ShellQuote(job_dir)),
      fmt::arg("shards", o.shards), fmt::arg("results", results));
  return s;
}

int64_t EmitSlurmJob(const SlurmJobOptions& o) {
  CheckOptions(o);
  const SweepSpec spec = LoadSweepSpec(o.sweep_path);
  const int64_t n = spec.NumPoints();
  if (o.shards < 1 || o.shards > n) {
    throw InputError(fmt::format(
        "--shards {}: must be in [1, {}] (the sweep's {} points; more tasks would run none)",
        o.shards, n, n));
  }
  std::vector<int64_t> all(static_cast<size_t>(n));
  std::iota(all.begin(), all.end(), int64_t{0});
  ValidateSweepPoints(spec, all);

  fs::path dir = fs::absolute(o.job_dir).lexically_normal();
  if (!dir.has_filename()) dir = dir.parent_path();  // "out/" -> "out"
  const std::string dir_text = dir.string();
  if (dir_text.find_first_of(kUnsafeDirChars) != std::string::npos) {
    throw InputError(fmt::format(
        "--emit-slurm {}: the job directory's path may not contain blanks, quotes, '\\', '$', "
        "'`' or '%' (#SBATCH lines are not shell-quoted and '%' is a Slurm file-name pattern)",
        dir_text));
  }
  std::error_code ec;
  if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec))) {
    throw InputError(fmt::format(
        "--emit-slurm {}: already exists and is not an empty directory; remove it or choose "
        "another directory",
        dir_text));
  }
  const fs::path sweep_file = fs::absolute(o.sweep_path).lexically_normal();
  const SlurmJobScripts scripts =
      MakeSlurmJobScripts(o, dir_text, sweep_file.string(), sweep_file.stem().string(), n);

  WriteDirectoryAtomically(dir_text,
                           [&](const std::string& staging) { Populate(o, staging, scripts); });
  return n;
}

}  // namespace servesim

#include "sim/studies/shard_env.h"

#include <fmt/format.h>

#include <cstdlib>

#include "sim/config/input_error.h"
#include "sim/config/whole_number.h"

namespace servesim {
namespace {

constexpr int64_t kMaxShards = int64_t{1} << 40;

// A whole decimal number in [lo, hi] from variable `name`, or InputError.
int64_t ParseVar(const std::string& name, const std::string& text, int64_t lo) {
  const std::optional<int64_t> parsed = ParseWholeNumber(text);
  if (!parsed) {
    throw InputError(fmt::format("--shard auto: {}='{}': expected a whole number", name, text));
  }
  const int64_t v = *parsed;
  if (v < lo || v > kMaxShards) {
    throw InputError(
        fmt::format("--shard auto: {}={}: must be in [{}, {}]", name, v, lo, kMaxShards));
  }
  return v;
}

std::optional<int64_t> OptionalVar(const EnvLookup& env, const std::string& name, int64_t lo) {
  const std::optional<std::string> text = env(name);
  if (!text) return std::nullopt;
  return ParseVar(name, *text, lo);
}

AutoShard FromSlurm(const EnvLookup& env, const std::string& id_text,
                    std::optional<int64_t> shards) {
  const int64_t id = ParseVar("SLURM_ARRAY_TASK_ID", id_text, 0);
  if (shards) {
    // The task id is the shard: --array=0-(N-1), or any subset of it when failed tasks are
    // resubmitted (--array=2,5), whose MIN/MAX/COUNT describe the subset, not the sweep.
    if (id >= *shards) {
      throw InputError(fmt::format(
          "--shard auto --shards {}: SLURM_ARRAY_TASK_ID={} is not a shard (0..{}); submit the "
          "array with --array=0-{} or a subset of it",
          *shards, id, *shards - 1, *shards - 1));
    }
    AutoShard a;
    a.shard.index = id;
    a.shard.count = *shards;
    a.source = fmt::format("SLURM_ARRAY_TASK_ID={} (--shards {})", id, *shards);
    return a;
  }
  const int64_t min = OptionalVar(env, "SLURM_ARRAY_TASK_MIN", 0).value_or(0);
  const int64_t step = OptionalVar(env, "SLURM_ARRAY_TASK_STEP", 1).value_or(1);
  const std::optional<int64_t> max = OptionalVar(env, "SLURM_ARRAY_TASK_MAX", 0);
  const std::optional<int64_t> count_var = OptionalVar(env, "SLURM_ARRAY_TASK_COUNT", 1);
  if (id < min || (id - min) % step != 0) {
    throw InputError(fmt::format(
        "--shard auto: SLURM_ARRAY_TASK_ID={} is not on the array's range {}..{} step {}", id, min,
        max ? fmt::to_string(*max) : "?", step));
  }
  if (max && *max < min) {
    throw InputError(fmt::format(
        "--shard auto: SLURM_ARRAY_TASK_MAX={} is below SLURM_ARRAY_TASK_MIN={}", *max, min));
  }
  std::optional<int64_t> range_count;
  if (max) range_count = (*max - min) / step + 1;
  if (count_var && range_count && *count_var != *range_count) {
    throw InputError(fmt::format(
        "--shard auto: SLURM_ARRAY_TASK_COUNT={} but SLURM_ARRAY_TASK_MIN..MAX step {} spans {} "
        "tasks: a sparse array (e.g. --array=1,4,9) cannot be numbered as shards; use "
        "--array=0-{} or pass --shard i/N yourself",
        *count_var, step, *range_count, *count_var - 1));
  }
  const std::optional<int64_t> count = count_var ? count_var : range_count;
  if (!count) {
    throw InputError(
        "--shard auto: SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor "
        "SLURM_ARRAY_TASK_MAX is: not a job array?");
  }
  AutoShard a;
  a.shard.index = (id - min) / step;
  a.shard.count = *count;
  if (a.shard.index >= a.shard.count) {
    throw InputError(fmt::format(
        "--shard auto: SLURM_ARRAY_TASK_ID={} is task {} of an array of {} (MIN {}, STEP {})", id,
        a.shard.index, a.shard.count, min, step));
  }
  a.source = fmt::format("SLURM_ARRAY_TASK_ID={} (an array of {} task{} from {} step {})", id,
                         a.shard.count, a.shard.count == 1 ? "" : "s", min, step);
  return a;
}

AutoShard FromKubernetes(const std::string& index_text, std::optional<int64_t> shards) {
  const int64_t index = ParseVar("JOB_COMPLETION_INDEX", index_text, 0);
  if (!shards) {
    throw InputError(
        "--shard auto: JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but the job's "
        "size is not in the environment: pass --shards N (the Job's `completions`)");
  }
  if (index >= *shards) {
    throw InputError(
        fmt::format("--shard auto --shards {}: JOB_COMPLETION_INDEX={} must be below {}", *shards,
                    index, *shards));
  }
  AutoShard a;
  a.shard.index = index;
  a.shard.count = *shards;
  a.source = fmt::format("JOB_COMPLETION_INDEX={} (--shards {})", index, *shards);
  return a;
}

}  // namespace

std::optional<std::string> ProcessEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

AutoShard ShardFromEnvironment(const EnvLookup& env, std::optional<int64_t> shards) {
  if (shards && (*shards < 1 || *shards > kMaxShards)) {
    throw InputError(fmt::format("--shards {}: must be in [1, {}]", *shards, kMaxShards));
  }
  const std::optional<std::string> slurm = env("SLURM_ARRAY_TASK_ID");
  const std::optional<std::string> k8s = env("JOB_COMPLETION_INDEX");
  if (slurm && k8s) {
    throw InputError(fmt::format(
        "--shard auto: both SLURM_ARRAY_TASK_ID={} and JOB_COMPLETION_INDEX={} are set; "
        "pass --shard i/N to say which",
        *slurm, *k8s));
  }
  if (slurm) return FromSlurm(env, *slurm, shards);
  if (k8s) return FromKubernetes(*k8s, shards);
  throw InputError(
      "--shard auto: neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor JOB_COMPLETION_INDEX "
      "(a Kubernetes Indexed Job) is set; outside a batch job use --shard i/N");
}

}  // namespace servesim

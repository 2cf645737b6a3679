#!/usr/bin/env bash
# How much the validation errors depend on the trtllm preset's global parameters: reruns
# `servesim validate` on both published tables for every point of a grid over the five global
# cost parameters (the preset's values included) and writes docs/validation/sensitivity.csv
# (one line per point: the parameters, then median / p90 / max |error| and bias of the
# max-throughput table and the medians of the online table's four metrics) and the summary block
# of docs/validation.md. Nothing here changes the preset; it shows whether any shared setting of
# these parameters would meet the accuracy targets. About 4 minutes on 2 cores.
# Usage: scripts/validation_sensitivity.sh [servesim binary]   (default: build/bin/servesim)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/build/bin/servesim}"
[ -x "$bin" ] || bash "$root/scripts/build.sh"
tables="${SERVESIM_VALIDATION_DIR:-$root/../shared/validation}"
tput="$tables/trtllm_v0.13_h100_max_throughput.csv"
online="$tables/trtllm_v0.14_h100_online.csv"
for t in "$tput" "$online"; do
  [ -f "$t" ] || { echo "validation_sensitivity.sh: $t not found (set SERVESIM_VALIDATION_DIR)" >&2; exit 2; }
done
out="$root/docs/validation/sensitivity.csv"
rows="$(mktemp)"
trap 'rm -f "$rows"' EXIT

# The grid: the preset's value of each parameter and one step either side, or one step below for
# gemm_memory_efficiency (docs/validation.md, "The trtllm preset"; defaults in
# models/step_model.h).
gemm_compute=(0.5 0.6 0.7)
gemm_memory=(0.7 0.85)
attention_memory=(0.6 0.75 0.9)
collective_us=(8 30 60)
host_step_us=(500 1000 1500)

# Reads `servesim validate --json -` and prints, per metric, its median, p90 and max |error| and
# bias in percent (two decimals: the targets are compared exactly), from the metric's first
# summary entry (the "all" row when the table has several GPUs).
summary_fields() {
  awk -F'"' '
    /"summary"/ { in_summary = 1 }
    !in_summary { next }
    $2 == "metric" { metric = $4 }
    $2 ~ /_abs_error$|^bias$/ { v[$2] = substr($3, 3) + 0 }
    $2 == "bias" && !(metric in seen) {
      seen[metric] = 1
      printf "%s %.2f %.2f %.2f %.2f\n", metric, 100 * v["median_abs_error"],
             100 * v["p90_abs_error"], 100 * v["max_abs_error"], 100 * v["bias"] }'
}

echo "gemm_compute_efficiency,gemm_memory_efficiency,attention_memory_efficiency,tp_collective_latency_us,host_overhead_per_step_us,tput_median_pct,tput_p90_pct,tput_max_pct,tput_bias_pct,online_output_tput_median_pct,online_request_tput_median_pct,online_ttft_median_pct,online_itl_median_pct" >"$rows"
for g in "${gemm_compute[@]}"; do for gm in "${gemm_memory[@]}"; do for a in "${attention_memory[@]}"; do
  for c in "${collective_us[@]}"; do for h in "${host_step_us[@]}"; do
    sets=(--set "engine.gemm_compute_efficiency=$g" --set "engine.gemm_memory_efficiency=$gm"
          --set "engine.attention_memory_efficiency=$a" --set "engine.tp_collective_latency_us=$c"
          --set "engine.host_overhead_per_step_us=$h")
    t="$("$bin" validate "$tput" --json - "${sets[@]}" | summary_fields | awk '{ print $2 "," $3 "," $4 "," $5 }')"
    o="$("$bin" validate "$online" --json - "${sets[@]}" | summary_fields |
         awk '{ m[$1] = $2 } END { print m["output_throughput"] "," m["request_throughput"] "," m["mean_ttft_ms"] "," m["mean_itl_ms"] }')"
    echo "$g,$gm,$a,$c,$h,$t,$o" >>"$rows"
  done; done
done; done; done
mv "$rows" "$out"
trap - EXIT
echo "wrote docs/validation/sensitivity.csv"

# The summary: how many points meet each target, the best max-throughput p90 and where the
# preset ranks.
summary="$(mktemp)"
trap 'rm -f "$summary"' EXIT
awk -F, '
  NR == 1 { next }
  {
    n++
    complete = 1  # a point where some table had no simulated row meets nothing
    for (i = 6; i <= 13; i++) if ($i == "") complete = 0
    medians = complete && ($6 + 0 <= 10 && $10 + 0 <= 10 && $11 + 0 <= 10 && $12 + 0 <= 20 && $13 + 0 <= 20)
    if (medians) met_medians++
    if (complete && $7 + 0 <= 20) met_p90++
    if (medians && $7 + 0 <= 20) met_all++
    if (complete && (best == "" || $7 + 0 < best + 0)) { best = $7; at = $0 }
    if (medians && (best_m == "" || $7 + 0 < best_m + 0)) { best_m = $7; at_m = $0 }
    if ($1 == 0.6 && $2 == 0.85 && $3 == 0.75 && $4 == 30 && $5 == 1000) preset = $7 + 0
    if (complete) p90[n] = $7 + 0
  }
  END {
    rank = 1
    for (i = 1; i <= n; i++) if ((i in p90) && p90[i] < preset) rank++
    printf "%d grid points (gemm_compute_efficiency x gemm_memory_efficiency x attention_memory_efficiency x tp_collective_latency_us x host_overhead_per_step_us)\n", n
    printf "meet every median target: %d; meet the max-throughput p90 target (<= 20%%): %d; meet all: %d\n", met_medians, met_p90, met_all
    split(at, b, ",")
    printf "lowest max-throughput p90: %s%% at %s, %s, %s, %s us, %s us (median %s%%, online ITL median %s%%)\n", best, b[1], b[2], b[3], b[4], b[5], b[6], b[13]
    if (best_m != "") {
      split(at_m, m, ",")
      printf "lowest p90 among points meeting every median: %s%% at %s, %s, %s, %s us, %s us\n", best_m, m[1], m[2], m[3], m[4], m[5]
    }
    printf "the preset (0.6, 0.85, 0.75, 30 us, 1000 us): p90 %s%%, rank %d of %d by p90\n", preset, rank, n
  }' "$out" >"$summary"
cat "$summary"
source "$root/scripts/doc_block.sh"
replace_doc_block "$root/docs/validation.md" sensitivity "$summary"
echo "updated the sensitivity summary in docs/validation.md"

#!/usr/bin/env bash
# End-to-end speed benchmarks (docs/performance.md): prints wall time, peak RSS, events/s and
# simulated requests/s for the targets of issue 7, then the Google Benchmark micro-benchmarks.
#   bash scripts/bench.sh             # all of it (several minutes on two cores)
#   bash scripts/bench.sh --quick     # skips the 1,000-point sweep and the micro-benchmarks
# BUILD_DIR (default: build) selects the build to measure; it must be a Release build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
quick=0
[ "${1:-}" = "--quick" ] && quick=1
cmake --build "$build" --target servesim servesim_e2e_bench servesim_process_timer >/dev/null
if [ "$quick" = 0 ] && grep -q "SERVESIM_BUILD_BENCHMARKS:BOOL=ON" "$build/CMakeCache.txt"; then
  cmake --build "$build" --target servesim_bench >/dev/null
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

e2e() {  # name, scenario, extra args...
  local name=$1 scenario=$2
  shift 2
  echo "== $name"
  "$build/bin/servesim_e2e_bench" "$root/$scenario" "$@"
}

# The Vidur comparison (issue 18): the whole `servesim run` process with --json and
# --requests-csv, 21 runs, min / median / max wall time from spawn to exit. Needs the clipped trace.
vidur_compare() {
  local trace="$root/data/traces/azure_conv_10k_clip4096.csv" out
  [ -f "$trace" ] || bash "$root/bench/make_vidur_compare_trace.sh" >/dev/null
  out="$(mktemp -d)"
  "$build/bin/servesim_process_timer" 21 "$build/bin/servesim" run \
    "$root/bench/scenarios/vidur-compare-10k.yaml" --json "$out/r.json" \
    --requests-csv "$out/r.csv" --quiet
  rm -rf "$out"
}
echo "== Vidur comparison: 10,000 Azure conversation requests, Llama-2-7B on an A100, sarathi (target <= 16 ms median)"
vidur_compare

e2e "10,000 requests, one replica (target <= 0.1 s)" bench/scenarios/single-replica-10k.yaml
e2e "10,000 requests, one replica, one event per step" bench/scenarios/single-replica-10k.yaml \
  --no-fast-forward
e2e "Azure conversation trace x52 cut at 1,000,000 requests, 8x its rate, 8 x H100 (issue 18 target <= 1 s, <= 256 MiB)" \
  bench/scenarios/azure-conv-1m-8xh100.yaml

if [ "$quick" = 0 ]; then
  e2e "The same at the recorded rate: light load, a step per token (issue 18 target <= 1 s, <= 256 MiB)" \
    bench/scenarios/azure-conv-1m-8xh100-recorded.yaml
  e2e "10,000,000 requests on 8,192 GPUs, 1,024 tp-8 replicas (issue 18 target <= 10 s, <= 2 GiB)" \
    bench/scenarios/fleet-10m-8192gpu.yaml
  echo "== 1,000-point sweep of 10,000-request runs, -j 2 (target <= 120 s)"
  out="$(mktemp -d)"
  /usr/bin/time -f "wall_s=%e cpu_s=%U peak_rss_mib_per_process=%M(KiB)" \
    "$build/bin/servesim" sweep "$root/bench/sweeps/sweep-1000x10k.yaml" -j 2 --out "$out/sweep" \
    --quiet
  rm -rf "$out"
  if [ -x "$build/bin/servesim_bench" ]; then
    echo "== micro-benchmarks (Google Benchmark)"
    "$build/bin/servesim_bench" --benchmark_min_time=0.2
  fi
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# Hardening checks (docs/hardening.md), run by CI after the normal test run:
#   1. an AddressSanitizer + UndefinedBehaviorSanitizer build (gcc, build-asan/) that runs the
#      whole ctest suite, any sanitizer report fatal;
#   2. the libFuzzer build (clang, build-fuzz/) and each fuzz target for FUZZ_SECONDS (default 60)
#      over a scratch copy of its seed corpus in fuzz/corpus/<target>/ (the repo is never written).
# Usage: scripts/hardening.sh [--no-sanitize] [--no-fuzz] [--fuzz-seconds N]
# Installs clang and its sanitizer/libFuzzer runtime when missing (dpkg check, as setup.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jobs="$(nproc)"
do_sanitize=1
do_fuzz=1
fuzz_seconds="${FUZZ_SECONDS:-60}"
while [ $# -gt 0 ]; do
  case "$1" in
    --no-sanitize) do_sanitize=0 ;;
    --no-fuzz) do_fuzz=0 ;;
    --fuzz-seconds) fuzz_seconds="$2"; shift ;;
    *) echo "hardening: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done

if [ "$do_fuzz" = 1 ]; then
  # clang 14 and its runtime (libclang_rt.fuzzer, asan, ubsan): Debian 12's defaults.
  bash "$root/scripts/setup.sh" clang libclang-rt-14-dev
else
  bash "$root/scripts/setup.sh"
fi

gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
# -O1 keeps the sanitizers fast enough and stack traces readable; no NDEBUG, so assert() stays on.
common=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1"
        -DSERVESIM_BUILD_BENCHMARKS=OFF)
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

if [ "$do_sanitize" = 1 ]; then
  start=$SECONDS
  echo "hardening: ASan+UBSan build in build-asan/"
  cmake -S "$root" -B "$root/build-asan" "${gen[@]}" "${common[@]}" -DSERVESIM_SANITIZE=ON >/dev/null
  cmake --build "$root/build-asan" -j "$jobs" --target servesim servesim-calibrate servesim_tests
  echo "hardening: whole test suite under ASan+UBSan (but the packaging tests: a .deb or container"
  echo "image of sanitizer binaries is not a product; the Release run above covers them)"
  (cd "$root/build-asan" && ctest --output-on-failure -j "$jobs" -E '^(deb_package|container_image)$')
  echo "hardening: sanitizer build and tests took $((SECONDS - start)) s"
fi

if [ "$do_fuzz" = 1 ]; then
  start=$SECONDS
  targets=(scenario_fuzzer trace_fuzzer validation_table_fuzzer sweep_fuzzer)
  echo "hardening: libFuzzer build in build-fuzz/"
  CXX=clang++ cmake -S "$root" -B "$root/build-fuzz" "${gen[@]}" "${common[@]}" \
    -DCMAKE_CXX_COMPILER=clang++ -DSERVESIM_FUZZ=ON -DSERVESIM_BUILD_TESTS=OFF >/dev/null
  cmake --build "$root/build-fuzz" -j "$jobs" --target "${targets[@]}"
  scratch="$(mktemp -d "${TMPDIR:-/tmp}/servesim-fuzz.XXXXXX")"
  trap 'rm -rf "$scratch"' EXIT
  for t in "${targets[@]}"; do
    mkdir -p "$scratch/$t" "$scratch/artifacts-$t"
    cp "$root/fuzz/corpus/$t/"* "$scratch/$t/"
    echo "hardening: $t for ${fuzz_seconds} s"
    # -timeout: one input running 10 s is a hang; -rss_limit_mb: more than 2 GiB is a bug.
    if ! "$root/build-fuzz/bin/$t" -max_total_time="$fuzz_seconds" -timeout=10 \
        -rss_limit_mb=2048 -dict="$root/fuzz/${t%_fuzzer}.dict" -print_final_stats=1 \
        -artifact_prefix="$scratch/artifacts-$t/" "$scratch/$t" >"$scratch/$t.log" 2>&1; then
      tail -n 60 "$scratch/$t.log"
      for a in "$scratch/artifacts-$t/"*; do
        [ -f "$a" ] || continue
        echo "hardening: $t failed on $(basename "$a"); input (base64):"
        base64 "$a"
      done
      echo "hardening: FAILED: $t (reproduce: build-fuzz/bin/$t FILE)" >&2
      exit 1
    fi
    grep -E "^stat::(number_of_executed_units|peak_rss_mb|new_units_added)" "$scratch/$t.log" |
      tr '\n' ' '
    echo
  done
  echo "hardening: fuzz build and runs took $((SECONDS - start)) s"
fi
echo "hardening: all checks passed"

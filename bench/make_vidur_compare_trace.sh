#!/usr/bin/env bash
# Writes data/traces/azure_conv_10k_clip4096.csv, the trace of the Vidur comparison run
# (bench/scenarios/vidur-compare-10k.yaml, docs/performance.md): the first 10,000 rows of the
# Azure LLM inference conversation trace (2023, CC-BY; scripts/download_traces.sh), each prompt
# clipped so that prompt + output <= 4096 tokens (Llama-2's context; the output is never clipped:
# at most 1,000 tokens in these rows). Timestamps are kept, so the run replays the recorded arrivals.
#
# Usage: bench/make_vidur_compare_trace.sh [SOURCE.csv]
#   SOURCE defaults to data/traces/azure_llm_2023_conv.csv, else ../shared/traces/ beside the tree.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
src="${1:-}"
if [[ -z "$src" ]]; then
  for c in "$root/data/traces/azure_llm_2023_conv.csv" "$root/../shared/traces/azure_llm_2023_conv.csv"; do
    if [[ -f "$c" ]]; then src="$c"; break; fi
  done
fi
if [[ -z "$src" ]]; then
  echo "make_vidur_compare_trace.sh: no Azure conversation trace found; run scripts/download_traces.sh" >&2
  exit 2
fi
if [[ ! -f "$src" ]]; then
  echo "make_vidur_compare_trace.sh: $src: no such file" >&2
  exit 2
fi
header="$(head -1 "$src" | tr -d '\r')"
if [[ "$header" != "TIMESTAMP,ContextTokens,GeneratedTokens" ]]; then
  echo "make_vidur_compare_trace.sh: $src: expected the header TIMESTAMP,ContextTokens,GeneratedTokens, got '$header'" >&2
  exit 2
fi
dest="$root/data/traces/azure_conv_10k_clip4096.csv"
mkdir -p "$(dirname "$dest")"
tmp="$dest.tmp.$$"
trap 'rm -f "$tmp"' EXIT
head -10001 "$src" | tr -d '\r' | awk -F, -v OFS=, '
  NR == 1 { print; next }
  {
    out = $3 + 0
    if (out >= 4096) { printf "row %d: output %d leaves no room for a prompt\n", NR, out > "/dev/stderr"; exit 3 }
    if ($2 + out > 4096) $2 = 4096 - out
    print
  }' > "$tmp"
rows=$(($(wc -l < "$tmp") - 1))
if [[ "$rows" -ne 10000 ]]; then
  echo "make_vidur_compare_trace.sh: $src has $rows rows after its header, expected at least 10000" >&2
  exit 2
fi
mv "$tmp" "$dest"
trap - EXIT
echo "wrote $dest (10000 rows)"

#!/usr/bin/env bash
# Predicts the speculative-decoding speedups of Spec-Bench's A100 leaderboard (hemingkx/Spec-Bench
# Leaderboard.md at commit fd2c1cd, "Leaderboard on A100": Vicuna-v1.3, batch 1, greedy, FP16) and
# regenerates the "speculative" block of docs/validation.md.
# Input per row: the method, the drafts per step and the published mean accepted tokens per step
# (tau, which includes the token the target samples). The constant acceptance rate a with
# (1 - a^(k+1)) / (1 - a) = tau is solved here; nothing is fitted to the speedups, which are the
# check. Predicted speedup = mean end-to-end latency without speculation / with it, on
# configs/validation/specbench-a100.yaml (one request at a time).
# Usage: scripts/validate_speculative.sh [servesim binary]   (default: build/bin/servesim)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/build/bin/servesim}"
[ -x "$bin" ] || bash "$root/scripts/build.sh"
scenario="$root/configs/validation/specbench-a100.yaml"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Constant per-draft acceptance a for k drafts and mean tokens per step tau (bisection).
solve() {
  awk -v tau="$1" -v k="$2" 'BEGIN {
    lo = 0; hi = 1
    for (i = 0; i < 200; ++i) {
      m = (lo + hi) / 2; t = 0; p = 1
      for (j = 0; j <= k; ++j) { t += p; p *= m }
      if (t < tau) lo = m; else hi = m
    }
    printf "%.4f", lo
  }'
}

e2e_ms() {  # scenario sets... -> mean end-to-end latency (ms)
  "$bin" run "$scenario" --quiet --json "$tmp/r.json" "$@" >/dev/null
  sed -n 's/^ *"mean_e2el_ms": \([0-9.e+-]*\),*$/\1/p' "$tmp/r.json"
}

# model (zoo), Spec-Bench model, method, servesim method, drafts, tau, overall speedup, MT speedup
rows="llama-2-7b Vicuna-7B EAGLE eagle 5 3.58 2.10 2.45
llama-2-7b Vicuna-7B EAGLE2 eagle 6 4.34 2.36 2.84
llama-2-7b Vicuna-7B PLD ngram 10 1.75 1.66 1.60
llama-2-13b Vicuna-13B EAGLE eagle 5 3.64 2.16 2.52
llama-2-13b Vicuna-13B EAGLE2 eagle 6 4.43 2.46 2.95
llama-2-13b Vicuna-13B PLD ngram 10 1.67 1.56 1.54"

out="$tmp/table"
printf '%-11s %-7s %3s %5s %7s %9s %9s %9s %8s\n' model method k tau accept predicted published \
  pub_mt error >"$out"
while read -r zoo name method ours k tau overall mt; do
  a="$(solve "$tau" "$k")"
  base="$(e2e_ms --set "model=$zoo")"
  spec="$(e2e_ms --set "model=$zoo" \
    --set "engine.speculative={method: $ours, num_tokens: $k, acceptance_rate: $a}")"
  awk -v n="$name" -v m="$method" -v k="$k" -v t="$tau" -v a="$a" -v b="$base" -v s="$spec" \
    -v o="$overall" -v mt="$mt" 'BEGIN {
      p = b / s
      printf "%-11s %-7s %3d %5.2f %7.4f %8.2fx %8.2fx %8.2fx %+7.0f%%\n", n, m, k, t, a, p, o, mt, 100 * (p - o) / o
    }' >>"$out"
done <<<"$rows"
cat "$out"

# Step times against SpecDecode-Bench's step-time model of vLLM on an H100 (predictor.py,
# Llama8BH100, commit 2fdccbd of github.com/SpecDecode-Bench/simulator, fitted to its
# measurements): target pass = 3.92645679e-8 s x KV tokens + 2.10103129e-5 s x batched tokens +
# 5.88590713e-3 s; EAGLE-3 drafting = 2.37768493e-9 s x KV tokens + 8.41429603e-7 s x draft
# tokens + 2.13526175e-3 s; 1.20683946e-3 s per step on top. servesim: mean inter-chunk latency
# of a closed loop of b sequences (about 1,000 KV tokens each), EAGLE with 3 drafts.
steps_scenario="$root/configs/validation/specdecode-bench-h100.yaml"
itl_ms() {
  "$bin" run "$steps_scenario" --quiet --json "$tmp/s.json" "$@" >/dev/null
  sed -n 's/^ *"mean_itl_ms": \([0-9.e+-]*\),*$/\1/p' "$tmp/s.json"
}
steps="$tmp/steps"
printf '%5s %10s %10s %7s %12s %12s %7s\n' batch plain_ms vllm_ms error eagle3_ms vllm_ms error \
  >"$steps"
for b in 1 8 16 32 64; do
  n=$((b * 4 > 16 ? b * 4 : 16))
  plain="$(itl_ms --set "workload.concurrency=$b" --set "workload.num_requests=$n")"
  eagle="$(itl_ms --set "workload.concurrency=$b" --set "workload.num_requests=$n" \
    --set 'engine.speculative={method: eagle, num_tokens: 3, acceptance_rate: 0.7}')"
  awk -v b="$b" -v p="$plain" -v e="$eagle" 'BEGIN {
      kv = b * 1000; k = 3
      o = 1.20683946e-3
      base = (kv * 3.92645679e-8 + b * 2.10103129e-5 + 5.88590713e-3 + o) * 1e3
      spec = (kv * 3.92645679e-8 + b * (k + 1) * 2.10103129e-5 + 5.88590713e-3 \
              + kv * 2.37768493e-9 + b * k * 8.41429603e-7 + 2.13526175e-3 + o) * 1e3
      printf "%5d %10.2f %10.2f %+6.0f%% %12.2f %12.2f %+6.0f%%\n", b, p, base, 100 * (p - base) / base, e, spec, 100 * (e - spec) / spec
    }' >>"$steps"
done
cat "$steps"
source "$root/scripts/doc_block.sh"
replace_doc_block "$root/docs/validation.md" speculative "$out"
replace_doc_block "$root/docs/validation.md" speculative-steps "$steps"
echo "updated the speculative blocks in docs/validation.md"

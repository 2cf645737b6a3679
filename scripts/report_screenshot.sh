#!/usr/bin/env bash
# Redraws docs/img/report.png, the README's picture of a report: runs the examples of
# docs/studies.md ("Reports": a plan, a scaling study, a capacity search and the rate x
# max_num_seqs sweep), builds `servesim report ... --html` from them and screenshots the top of
# the page with headless Chromium (Debian: apt-get install chromium gnuplot-nox). About 30 s.
#   bash scripts/report_screenshot.sh [OUT.png]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
servesim="$root/build/bin/servesim"
out="${1:-$root/docs/img/report.png}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
"$servesim" plan "$root/configs/plans/chat-8b.yaml" --quiet --json plan.json >/dev/null
"$servesim" scaling "$root/configs/studies/capacity-chat.yaml" --gpus 1,2,4,8,16 \
  --slo ttft_p99_ms=1000,tpot_p99_ms=50 --strategies tp,pp --quiet --json scaling.json >/dev/null
"$servesim" capacity "$root/configs/studies/capacity-chat.yaml" \
  --slo ttft_p99_ms=1000,tpot_p99_ms=50 --quiet --json capacity.json >/dev/null
"$servesim" sweep "$root/configs/sweeps/rate-by-max-seqs.yaml" --quiet --out rate-by-max-seqs
"$servesim" report plan.json scaling.json capacity.json rate-by-max-seqs --html report
timeout 60 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --user-data-dir="$work/profile" --window-size=1280,1800 --screenshot="$out" \
  "file://$work/report/index.html" 2>/dev/null
echo "screenshot: $out"

#!/usr/bin/env bash
# Reruns `servesim validate` on the tables of ../shared/validation (or $SERVESIM_VALIDATION_DIR)
# and regenerates docs/validation/<table>.csv (published tables: the input columns, then
# predicted, rel_error and note; concurrency sweeps: one line per row and metric) and the summary
# block of docs/validation.md (published tables: overall, then per tp and precision; concurrency
# sweeps: overall, per backend and model, per backend, model and tp).
# Usage: scripts/validate.sh [servesim binary]   (default: build/bin/servesim, built if missing)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/build/bin/servesim}"
[ -x "$bin" ] || bash "$root/scripts/build.sh"
tables="${SERVESIM_VALIDATION_DIR:-$root/../shared/validation}"
out="$root/docs/validation"
mkdir -p "$out"
summary="$(mktemp)"
trap 'rm -f "$summary"' EXIT
for table in "$tables"/*.csv; do
  name="$(basename "$table" .csv)"
  [ -s "$summary" ] && echo >>"$summary"
  by=(--by tp,precision)
  # Concurrency sweeps are split by backend, model and tp already.
  head -1 "$table" | grep -q '^id,backend,' && by=()
  "$bin" validate "$table" --quiet "${by[@]}" --csv "$out/$name.csv" >>"$summary"
  echo "wrote docs/validation/$name.csv"
done
# Replace the text between the markers in docs/validation.md with the new summaries.
source "$root/scripts/doc_block.sh"
replace_doc_block "$root/docs/validation.md" summary "$summary"
echo "updated the summary in docs/validation.md"

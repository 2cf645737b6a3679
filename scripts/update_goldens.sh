#!/usr/bin/env bash
# Regenerates tests/golden/<scenario>.json from configs/scenarios/<scenario>.yaml.
# Run it only for an intended change of results, and commit the new goldens with the reason.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/build/bin/servesim"
[ -x "$bin" ] || bash "$root/scripts/build.sh"
mkdir -p "$root/tests/golden"
for scenario in "$root"/configs/scenarios/*.yaml; do
  name="$(basename "$scenario" .yaml)"
  if "$bin" run "$scenario" --quiet --json "$root/tests/golden/$name.json" >/dev/null; then
    echo "updated tests/golden/$name.json"
  else
    echo "skipped $name (see the error above)" >&2
  fi
done

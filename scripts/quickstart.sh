#!/usr/bin/env bash
# README command 1: install what is missing, build (Release), run the default scenario.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/build.sh"
"$root/build/bin/servesim" run "$root/configs/scenarios/default.yaml" "$@"

#!/usr/bin/env bash
# `cmake --install` gives a tool that runs without the source tree: installs the build into a
# temporary prefix, then runs the installed servesim from an unrelated directory on the installed
# copy of the default scenario and checks its JSON is byte-identical to the build tree's run.
# (That the installed binary reads its zoo from <prefix>/share/servesim/configs, not from the
# source tree, is SlurmJobTest.InstalledBinaryFindsItsZooWithoutTheSourceTree.)
# Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$(realpath "$1")"
source_dir="$(realpath "$2")"
tmp="$(mktemp -d /tmp/servesim-install.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
for f in bin/servesim bin/servesim-calibrate share/servesim/configs/models/llama-3.1-8b.yaml \
         share/servesim/configs/scenarios/default.yaml; do
  [ -e "$tmp/prefix/$f" ] || { echo "FAILED: $f not installed"; exit 1; }
done
mkdir "$tmp/elsewhere"
cd "$tmp/elsewhere"
"$tmp/prefix/bin/servesim" run "$tmp/prefix/share/servesim/configs/scenarios/default.yaml" \
  --quiet --json installed.json
"$build/bin/servesim" run "$source_dir/configs/scenarios/default.yaml" --quiet --json built.json
cmp installed.json built.json || { echo "FAILED: the installed run differs"; exit 1; }
echo "PASSED: installed into a prefix, the default scenario's JSON matches the build tree's"

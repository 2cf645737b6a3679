#!/usr/bin/env bash
# `cmake --install` gives a tool that runs anywhere: installs the build into a temporary prefix,
# moves the prefix, adds a model file to the moved data directory and expects `servesim models`
# to list it, runs the installed copy of the default scenario from an unrelated working directory
# and expects its JSON byte-identical to the build tree's run, and checks --config-root.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$(realpath "$1")"
source_dir="$(realpath "$2")"
tmp="$(mktemp -d /tmp/servesim-install.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAILED: $*"; exit 1; }

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
mv "$tmp/prefix" "$tmp/moved"
p="$tmp/moved"
for f in bin/servesim bin/servesim-calibrate share/servesim/configs/models/llama-3.1-8b.yaml \
         share/servesim/configs/scenarios/default.yaml share/doc/servesim/README.md; do
  [ -e "$p/$f" ] || fail "$f not installed"
done

# A model added to the moved data directory is part of the zoo.
sed 's/^name: llama-3.1-8b$/name: my-added-model/' "$source_dir/configs/models/llama-3.1-8b.yaml" \
  > "$p/share/servesim/configs/models/my-added-model.yaml"
mkdir "$tmp/elsewhere"
cd "$tmp/elsewhere"
env -u SERVESIM_CONFIG_DIR "$p/bin/servesim" models | grep -q "my-added-model" ||
  fail "servesim models of the moved install does not list a model added to its data directory"
"$build/bin/servesim" models | grep -q "my-added-model" &&
  fail "the build tree's binary lists a model of the installed data directory"

env -u SERVESIM_CONFIG_DIR "$p/bin/servesim" run \
  "$p/share/servesim/configs/scenarios/default.yaml" --quiet --json installed.json
"$build/bin/servesim" run "$source_dir/configs/scenarios/default.yaml" --quiet --json built.json
cmp installed.json built.json || fail "the installed run differs from the build tree's"

# --config-root points any binary at a zoo; a directory without models/ is refused (exit 2).
"$build/bin/servesim" --config-root "$p/share/servesim/configs" models | grep -q "my-added-model" ||
  fail "--config-root DIR is not used"
set +e
"$build/bin/servesim" models --config-root "$tmp/elsewhere" 2>err.txt
code=$?
set -e
[ "$code" -eq 2 ] && grep -q "not a zoo directory" err.txt || fail "--config-root on a non-zoo: $code $(cat err.txt)"
echo "PASSED: installed, moved, extended zoo listed, default scenario identical, --config-root"

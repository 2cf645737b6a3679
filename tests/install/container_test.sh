#!/usr/bin/env bash
# Builds the container image of scripts/Dockerfile and runs it: `servesim --version`, the default
# scenario, and one shard of a sweep taken from JOB_COMPLETION_INDEX as a Kubernetes Indexed Job
# would start it (docs/studies.md). Needs a working container engine (docker or podman, with
# a daemon/storage it can use and network access to Debian's mirrors); exits 77 (skipped) when
# there is none. The image build compiles servesim from scratch: minutes.
# Usage: container_test.sh SOURCE_DIR
set -euo pipefail
source_dir="$(realpath "$1")"
engine=""
for e in podman docker; do
  if command -v "$e" >/dev/null 2>&1 && timeout 20 "$e" info >/dev/null 2>&1; then
    engine="$e"; break
  fi
done
if [ -z "$engine" ]; then
  echo "SKIPPED: no working container engine (docker/podman absent or without a daemon)"
  exit 77
fi
tag="servesim-test:$$"
trap '"$engine" rmi -f "$tag" >/dev/null 2>&1 || true' EXIT
commit="$(git -C "$source_dir" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
if ! timeout 1800 "$engine" build -q -f "$source_dir/scripts/Dockerfile" --build-arg COMMIT="$commit" \
    -t "$tag" "$source_dir"; then
  echo "FAILED: $engine build"
  exit 1
fi
"$engine" run --rm "$tag" --version | grep -q '^servesim ' || { echo "FAILED: --version"; exit 1; }
"$engine" run --rm "$tag" run /opt/servesim/share/servesim/configs/scenarios/default.yaml \
  --quiet --json - | grep -q '"completed": 1000' || { echo "FAILED: default scenario"; exit 1; }
"$engine" run --rm -e JOB_COMPLETION_INDEX=1 --entrypoint /bin/sh "$tag" -c \
  'servesim sweep /opt/servesim/share/servesim/configs/sweeps/rate-by-max-seqs.yaml \
     --shard auto --shards 4 -j 1 --out /tmp/shard-1 2>&1' | tee /dev/stderr |
  grep -q 'shard 1/4 from JOB_COMPLETION_INDEX=1' || { echo "FAILED: indexed-job shard"; exit 1; }
echo "PASSED: $engine image builds and runs (version, default scenario, an indexed-job shard)"

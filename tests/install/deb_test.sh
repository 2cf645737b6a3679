#!/usr/bin/env bash
# `cpack -G DEB` builds a .deb of the same layout under /usr: builds it, checks its control data,
# unpacks it into a temporary root and runs the unpacked servesim there (zoo list, default
# scenario identical to the build tree's). Under CI (CI set) as root it also installs the package
# with dpkg, runs /usr/bin/servesim, and removes it again. Exit 77 (skipped) without dpkg-deb.
# Usage: deb_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$(realpath "$1")"
source_dir="$(realpath "$2")"
command -v dpkg-deb >/dev/null && command -v cpack >/dev/null ||
  { echo "SKIPPED: dpkg-deb or cpack missing (not a Debian system)"; exit 77; }
tmp="$(mktemp -d /tmp/servesim-deb.XXXXXX)"
installed=0
cleanup() {
  [ "$installed" = 1 ] && dpkg -r servesim >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAILED: $*"; exit 1; }

(cd "$tmp" && cpack -G DEB --config "$build/CPackConfig.cmake" >cpack.log 2>&1) ||
  { cat "$tmp/cpack.log"; fail "cpack -G DEB"; }
deb="$(ls "$tmp"/servesim_*.deb)"
info="$(dpkg-deb -f "$deb" Package Version Depends)"
echo "$info"
grep -q "^Package: servesim$" <<<"$info" || fail "package name"
grep -q "^Depends: .*libc6" <<<"$info" || fail "no computed Depends"

dpkg-deb -x "$deb" "$tmp/root"
[ -x "$tmp/root/usr/bin/servesim" ] && [ -x "$tmp/root/usr/bin/servesim-calibrate" ] ||
  fail "binaries missing from the package"
mkdir "$tmp/elsewhere" && cd "$tmp/elsewhere"
env -u SERVESIM_CONFIG_DIR "$tmp/root/usr/bin/servesim" models | grep -q "llama-3.1-8b" ||
  fail "the unpacked servesim lists no zoo"
env -u SERVESIM_CONFIG_DIR "$tmp/root/usr/bin/servesim" run \
  "$tmp/root/usr/share/servesim/configs/scenarios/default.yaml" --quiet --json deb.json
"$build/bin/servesim" run "$source_dir/configs/scenarios/default.yaml" --quiet --json built.json
cmp deb.json built.json || fail "the packaged run differs from the build tree's"

if [ -n "${CI:-}" ] && [ "$(id -u)" -eq 0 ]; then
  if dpkg-query -W servesim >/dev/null 2>&1; then
    echo "servesim is already installed on this system: not installing the test package over it"
  else
    dpkg -i "$deb" >/dev/null
    installed=1
    /usr/bin/servesim run /usr/share/servesim/configs/scenarios/default.yaml --quiet \
      --json system.json
    cmp system.json built.json || fail "the dpkg-installed run differs"
    dpkg -r servesim >/dev/null
    installed=0
    echo "dpkg -i / run / dpkg -r: ok"
  fi
fi
echo "PASSED: .deb built, unpacked and run from an unrelated directory"

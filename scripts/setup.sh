#!/usr/bin/env bash
# Installs whatever build and test dependencies are missing (Debian/Ubuntu, apt-get).
# Safe to run repeatedly: it asks dpkg first and only calls apt-get when something is absent.
# Usage: scripts/setup.sh [EXTRA_PACKAGE...]   (extra packages are checked and installed the same way)
set -euo pipefail

packages=(build-essential cmake ninja-build pkg-config
          libeigen3-dev libyaml-cpp-dev libboost-program-options-dev libfmt-dev
          libgtest-dev libbenchmark-dev nlohmann-json3-dev
          gnuplot-nox)
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

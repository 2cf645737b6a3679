#!/usr/bin/env bash
# Downloads the Azure LLM inference traces (2023) that scenarios replay as
# `trace: {path: traces/azure_llm_2023_conv.csv}` into data/traces/ of this source tree.
#
# Source: Azure Public Dataset, AzureLLMInferenceDataset2023
#   https://github.com/Azure/AzurePublicDataset (data/AzureLLMInferenceTrace_{conv,code}.csv)
# License: CC-BY (Creative Commons Attribution 4.0); see the repository's LICENSE.
# Cite: Pratyush Patel, Esha Choukse, Chaojie Zhang, Aashaka Shah, Inigo Goiri, Saeed Maleki,
#   Ricardo Bianchini. "Splitwise: Efficient generative LLM inference using phase splitting".
#   ISCA 2024.
#
# Usage: scripts/download_traces.sh [--force]   (--force re-downloads files that already exist)
# SERVESIM_TRACE_BASE_URL overrides the download location (a mirror, or file:///some/dir).
# Each file is fetched to a temporary name, its header row is checked, and only then is it moved
# into place, so an interrupted or failed download never leaves a truncated trace behind.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/data/traces"
base_url="${SERVESIM_TRACE_BASE_URL:-https://raw.githubusercontent.com/Azure/AzurePublicDataset/master/data}"
expected_header="TIMESTAMP,ContextTokens,GeneratedTokens"
force=0

for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "download_traces.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

fetch() {  # fetch URL FILE
  if command -v curl >/dev/null 2>&1; then
    curl --fail --location --silent --show-error --retry 3 --retry-delay 2 \
      --connect-timeout 20 --output "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget --quiet --tries=3 --timeout=20 --output-document="$2" "$1"
  else
    echo "download_traces.sh: neither curl nor wget is installed" >&2
    return 1
  fi
}

tmp=""  # the download in progress; removed if the script stops early
trap 'rm -f "$tmp"' EXIT

download() {  # download REMOTE_NAME LOCAL_NAME
  local url="$base_url/$1" out="$dest/$2"
  if [[ -s "$out" && $force -eq 0 ]]; then
    echo "$out: already present (use --force to download again)"
    return 0
  fi
  tmp="$(mktemp "$dest/.$2.XXXXXX")"
  echo "fetching $url"
  if ! fetch "$url" "$tmp"; then
    echo "download_traces.sh: could not download $url" >&2
    echo "  (no network? download it by hand and save it as $out)" >&2
    rm -f "$tmp"
    return 1
  fi
  local header
  header="$(head -n 1 "$tmp" | tr -d '\r' | sed 's/^\xEF\xBB\xBF//')"
  if [[ "$header" != "$expected_header" ]]; then
    echo "download_traces.sh: $url: unexpected header '$header' (expected '$expected_header')" >&2
    rm -f "$tmp"
    return 1
  fi
  chmod 644 "$tmp"
  mv -f "$tmp" "$out"
  tmp=""
  echo "$out: $(($(wc -l <"$out"))) lines"
}

mkdir -p "$dest"
status=0
download AzureLLMInferenceTrace_conv.csv azure_llm_2023_conv.csv || status=1
download AzureLLMInferenceTrace_code.csv azure_llm_2023_code.csv || status=1
if [[ $status -ne 0 ]]; then
  echo "download_traces.sh: some traces are missing; see the messages above" >&2
fi
exit "$status"

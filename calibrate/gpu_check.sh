#!/usr/bin/env bash
# GPU check of servesim-calibrate's CUDA backend, in a few minutes on one H100/H200-class GPU:
#   1. builds with -DSERVESIM_WITH_CUDA=ON (build-gpu/),
#   2. runs the GPU tests: every kernel's reference check (bf16, fp16, fp8 where supported, NCCL
#      with >= 2 GPUs) and a tiny calibration,
#   3. runs compute-sanitizer memcheck over a tiny calibration of the test model,
#   4. calibrates a real model on a small grid and prints the summary table: achieved TFLOP/s
#      and GB/s against the GPU's datasheet peaks, fit residuals, whole-step check.
# Usage: calibrate/gpu_check.sh [GPU zoo name] [model]   (defaults: guessed from nvidia-smi;
#        llama-3.1-8b). Outputs go to build-gpu/gpu-check/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build-gpu"
out="$build/gpu-check"
nvcc="${CUDACXX:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}"
model="${2:-llama-3.1-8b}"

guess_gpu() {
  local name
  name="$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)"
  case "$name" in
    *H200*) echo h200-sxm-141gb ;;
    *H100*) echo h100-sxm-80gb ;;
    *A100*) echo a100-sxm-80gb ;;
    *B200*) echo b200-180gb ;;
    *L40S*) echo l40s-48gb ;;
    *) echo "" ;;
  esac
}
gpu="${1:-$(guess_gpu)}"

echo "== GPU"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv
echo "== build ($nvcc)"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSERVESIM_WITH_CUDA=ON \
  -DCMAKE_CUDA_COMPILER="$nvcc" -DSERVESIM_BUILD_TESTS=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target servesim-calibrate servesim_gpu_tests
mkdir -p "$out"

echo "== kernel checks (GPU tests)"
"$build/bin/servesim_gpu_tests"

echo "== compute-sanitizer memcheck (tiny grid)"
sanitizer="$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)"
if [ -x "$sanitizer" ]; then
  "$sanitizer" --tool memcheck --error-exitcode 3 --leak-check full \
    "$build/bin/servesim-calibrate" --model "$root/configs/test-models/tiny-llama-test.yaml" \
    --backend cuda --grid tiny --warmup 0 --repeats 1 --out "$out/tiny-memcheck.json" --quiet
  echo "memcheck: clean"
else
  echo "compute-sanitizer not found: memcheck SKIPPED"
fi

echo "== small calibration: $model${gpu:+ on $gpu}"
gpu_flag=()
[ -n "$gpu" ] && gpu_flag=(--gpu "$gpu")
"$build/bin/servesim-calibrate" --model "$model" --backend cuda "${gpu_flag[@]}" \
  --tokens 1,16,128,1024,4096 --prefill-chunks 128,1024,4096 --prefill-contexts 0,4096 \
  --decode-seqs 1,32,128 --decode-kv 256,4096 --copy-bytes 1073741824 \
  --step-prefill 0,1024 --step-decode 0,64 --step-kv 1024 --step-layers 2 \
  --warmup 3 --repeats 10 --out "$out/$model.json"
echo "== summary"
"$build/bin/servesim-calibrate" summary "$out/$model.json"

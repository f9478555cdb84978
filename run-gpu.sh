#!/usr/bin/env bash
# ./run-gpu.sh [DATASET] [train options ...]
# Full LGSR training and evaluation on the GPU engine with the paper's settings (MODEL.md:
# 30 epochs, T 13, L 50, N_s 512, dense Adam): DATASET is a name (yoochoose64, yoochoose4,
# diginetica: looked up under $LGSR_DATA, ../shared/data or bundle/data.tar.gz) or synth (the
# default, the embedded synthetic dataset). Any `lgsr train` option may follow, e.g.
#   ./run-gpu.sh yoochoose64 --profile --report runs/y64.json
# Needs a CUDA GPU with its driver; finds java 17+ (or the carried bundle/ runtime), the jar,
# and libcublas.so.13 (scripts/gpu-env.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/scripts/gpu-env.sh"
ds="synth"
if [[ $# -gt 0 && $1 != -* ]]; then ds="$1"; shift; fi
lgsr_find_java || exit 2
lgsr_find_jar || exit 2
lgsr_find_cublas || { echo "run-gpu: error: libcublas.so.13 not found (ldconfig -p; python3's nvidia.cublas wheel); put its folder on LD_LIBRARY_PATH" >&2; exit 2; }
if [[ -z "${LGSR_DATA:-}" ]]; then
  if [[ -d "$here/../shared/data" ]]; then export LGSR_DATA="$(cd "$here/../shared/data" && pwd)"
  elif [[ -f "$here/bundle/data.tar.gz" ]]; then
    mkdir -p /tmp/lgsr-data && tar xzf "$here/bundle/data.tar.gz" -C /tmp/lgsr-data && export LGSR_DATA=/tmp/lgsr-data
  fi
fi
# the full model unless a --variant is given (lgsr train's own default is lgsr-c: README, "Joint training")
variant=(--variant lgsr)
for a in "$@"; do [[ $a == --variant || $a == --variant=* ]] && variant=(); done
exec "$LGSR_JAVA" --add-modules jdk.incubator.vector ${LGSR_JAVA_OPTS:--Xmx16g} -jar "$LGSR_JAR" \
  train --device gpu --preset paper --dataset "$ds" "${variant[@]}" "$@"

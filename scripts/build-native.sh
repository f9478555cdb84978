#!/usr/bin/env bash
# Builds the GPU engine's native pieces with CMake (see CMakeLists.txt); Maven runs this in
# generate-resources on every build. Quiet when nothing changed; one line when the jar will be
# CPU-only; the whole log when something fails (and the build fails).
# usage: scripts/build-native.sh BUILD_DIR OUTPUT_DIR REPORT_DIR JAVA_HOME CUDA(auto|off)
set -euo pipefail
build_dir="$1" out_dir="$2" report_dir="$3" java_home="$4" cuda="${5:-auto}"
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if ! command -v cmake >/dev/null 2>&1; then
  rm -f "$out_dir/lgsr_kernels.fatbin" "$out_dir/liblgsr_native.so" "$out_dir/liblgsr_sim.so"
  echo "lgsr: cmake not found: building a jar without native code (no CUDA kernels, no cuBLAS bridge, no simulated device)"
  exit 0
fi
case "$cuda" in
  auto|on|ON) cuda_flag=ON ;;
  off|OFF) cuda_flag=OFF ;;
  *) echo "lgsr: error: -Dlgsr.cuda must be auto or off, not '$cuda'" >&2; exit 2 ;;
esac
mkdir -p "$build_dir" "$out_dir" "$report_dir"
log="$build_dir/native-build.log"
jobs="$(nproc 2>/dev/null || echo 2)"
if ! { cmake -S "$src" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DLGSR_OUTPUT_DIR="$out_dir" \
         -DLGSR_REPORT_DIR="$report_dir" -DJAVA_HOME="$java_home" -DLGSR_CUDA="$cuda_flag" \
       && cmake --build "$build_dir" -j "$jobs"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "lgsr: error: the native build failed (log: $log)" >&2
  exit 1
fi
# the one-line notices (CPU-only jar; fatbin rebuilt), nothing else
grep -E '^(-- )?lgsr: ' "$log" | sed 's/^-- //' || true

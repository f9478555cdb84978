#!/usr/bin/env bash
# Memcheck on the CPU: the simulated device's library built with AddressSanitizer and
# UndefinedBehaviorSanitizer (native/sim/README.md), then
#   1. its selftest under the sanitizers;
#   2. the proof that the check can fail: the selftest's deliberate out-of-range access in a
#      kernel (--overrun) must be reported by ASan, naming the kernel;
#   3. every GPU test (tag gpu) on the simulated device with that library loaded into the JVM
#      (an out-of-range access in a kernel, a read of freed device memory or undefined behaviour
#      aborts the run with the sanitizer's report naming the kernel).
# Needs: cmake, g++ with libasan, a JDK, Maven (offline is fine once the build ran).
# usage: scripts/sim-sanitize.sh [TEST-PATTERN]   (default: every class the GPU tests have)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
build=target/sim-asan
libasan="$(gcc -print-file-name=libasan.so)"
[[ -f $libasan ]] || { echo "sim-sanitize: error: gcc has no libasan.so here ($libasan)" >&2; exit 2; }
. scripts/sim-lib.sh

echo "== build the sanitizer library ($build)"
sim_build sim-sanitize "$build" -DLGSR_SIM_SANITIZE=ON

echo "== 1. the sim's selftest under ASan and UBSan"
"$build/lgsr_sim_selftest" > "$build/selftest.log" 2>&1 || { cat "$build/selftest.log"; echo "sim-sanitize: FAILED: selftest"; exit 1; }
tail -1 "$build/selftest.log"

echo "== 2. a deliberate out-of-range access in a kernel must be reported"
if "$build/lgsr_sim_selftest" --overrun > "$build/overrun.log" 2>&1; then
  echo "sim-sanitize: FAILED: the overrun kernel ran without a report: the sanitizer does not check" >&2
  exit 1
fi
grep -q "ERROR: AddressSanitizer" "$build/overrun.log" && grep -q "t_dyn_overrun" "$build/overrun.log" \
  || { cat "$build/overrun.log"; echo "sim-sanitize: FAILED: no ASan report naming the kernel" >&2; exit 1; }
grep -m1 "ERROR: AddressSanitizer" "$build/overrun.log"
echo "reported, in kernel t_dyn_overrun (as it must be)"

echo "== 3. the GPU tests on the simulated device under ASan and UBSan"
sim_gpu_tests sim-sanitize "under ASan/UBSan" "$build/tests.log" "${1:-$SIM_GPU_TESTS}" \
  LGSR_SIM_LIBRARY="$here/$build/out/liblgsr_sim.so" LD_PRELOAD="$libasan" \
  ASAN_OPTIONS=detect_leaks=0:handle_segv=0:allow_user_segv_handler=1:use_sigaltstack=0 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "sim-sanitize: passed"

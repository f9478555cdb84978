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
java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}"
build=target/sim-asan
libasan="$(gcc -print-file-name=libasan.so)"
[[ -f $libasan ]] || { echo "sim-sanitize: error: gcc has no libasan.so here ($libasan)" >&2; exit 2; }

echo "== build the sanitizer library ($build)"
if ! { cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DLGSR_CUDA=OFF -DLGSR_SIM_SANITIZE=ON -DJAVA_HOME="$java_home" \
         -DLGSR_OUTPUT_DIR="$here/$build/out" && cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)"; } > "$build.log" 2>&1; then
  cat "$build.log" >&2
  echo "sim-sanitize: error: the sanitizer build failed" >&2
  exit 1
fi

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
pattern="${1:-GpuKernelsTest,LayersGpuTest,AttentionGpuTest,AggregateGpuTest,WalksGpuTest,NceGpuTest,CublasGpuTest,SoftmaxCeGpuTest,EngineGpuTest,SimDriverTest}"
LGSR_SIM_LIBRARY="$here/$build/out/liblgsr_sim.so" LGSR_TEST_DEVICE=sim LD_PRELOAD="$libasan" \
  ASAN_OPTIONS=detect_leaks=0:handle_segv=0:allow_user_segv_handler=1:use_sigaltstack=0 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  mvn -B -ntp -o surefire:test -Dtest="$pattern" -Dsurefire.failIfNoSpecifiedTests=false > "$build/tests.log" 2>&1 \
  || { grep -E "AddressSanitizer|runtime error|Tests run|FAIL|ERROR" "$build/tests.log" | head -40; echo "sim-sanitize: FAILED: GPU tests under the sanitizers" >&2; exit 1; }
summary="$(grep -E "Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+$" "$build/tests.log" | tail -1)"
echo "GPU tests under ASan/UBSan: ${summary#*] }"
[[ $summary =~ Failures:\ 0,\ Errors:\ 0,\ Skipped:\ 0 ]] || { echo "sim-sanitize: FAILED: a GPU test failed or was skipped" >&2; exit 1; }
echo "sim-sanitize: passed"

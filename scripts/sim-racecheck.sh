#!/usr/bin/env bash
# Racecheck on the CPU: the simulated device built with its shared-memory racecheck
# (LGSR_SIM_RACECHECK: the kernels instrumented by -fsanitize=thread, the sim's own hooks
# checking every shared-memory access; native/sim/README.md), then
#   1. its selftest, which includes the proof that the check can fail: each deliberate hazard
#      of the test kernel t_race (read-after-write, write-after-read, within a warp and across
#      warps) must be reported naming the kernel and both threads, and the clean cases pass;
#   2. every GPU test (tag gpu) on the simulated device with that library: a hazard in any
#      launch fails its test with a line naming the kernel, the block, the threads and the word.
# Needs: cmake, g++, a JDK, Maven (offline is fine once the build ran).
# usage: scripts/sim-racecheck.sh [TEST-PATTERN]   (default: every class the GPU tests have)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
build=target/sim-race
. scripts/sim-lib.sh

echo "== build the racecheck library ($build)"
sim_build sim-racecheck "$build" -DLGSR_SIM_RACECHECK=ON

echo "== 1. the sim's selftest with the racecheck (its deliberate hazards must be reported)"
"$build/lgsr_sim_selftest" > "$build/selftest.log" 2>&1 || { cat "$build/selftest.log"; echo "sim-racecheck: FAILED: selftest"; exit 1; }
grep -q "racecheck on" "$build/selftest.log" || { echo "sim-racecheck: FAILED: the library was built without the racecheck" >&2; exit 1; }
reported="$(grep -c "(as expected) kernel t_race: .*racecheck:" "$build/selftest.log" || true)"
[[ $reported -ge 4 ]] || { cat "$build/selftest.log"; echo "sim-racecheck: FAILED: $reported hazards of t_race reported, 4 expected" >&2; exit 1; }
grep -m1 "(as expected) kernel t_race" "$build/selftest.log"
tail -1 "$build/selftest.log"

echo "== 2. the GPU tests on the simulated device with the racecheck"
sim_gpu_tests sim-racecheck "under the racecheck" "$build/tests.log" "${1:-$SIM_GPU_TESTS}" \
  LGSR_SIM_LIBRARY="$here/$build/out/liblgsr_sim.so"
echo "sim-racecheck: passed"

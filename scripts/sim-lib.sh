# Shared steps of scripts/sim-sanitize.sh and scripts/sim-racecheck.sh (sourced, not run).
# The GPU test classes, the default of both scripts' TEST-PATTERN.
SIM_GPU_TESTS="GpuKernelsTest,LayersGpuTest,AttentionGpuTest,AggregateGpuTest,WalksGpuTest,NceGpuTest,CublasGpuTest,SoftmaxCeGpuTest,EngineGpuTest,SimDriverTest"

# sim_build NAME BUILD-DIR CMAKE-OPTION...: configures and builds the simulated device in BUILD-DIR
# (its library in BUILD-DIR/out); on failure prints the build's log and exits 1.
sim_build() {
  local name="$1" build="$2"
  shift 2
  local java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}"
  if ! { cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DLGSR_CUDA=OFF "$@" -DJAVA_HOME="$java_home" \
           -DLGSR_OUTPUT_DIR="$PWD/$build/out" && cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)"; } > "$build.log" 2>&1; then
    cat "$build.log" >&2
    echo "$name: error: the build failed" >&2
    exit 1
  fi
}

# sim_gpu_tests NAME WHAT LOG PATTERN [VAR=VALUE...]: runs the GPU tests of PATTERN on the simulated
# device (with the environment given, which names the library), prints the summary line, and exits 1
# when a test fails or is skipped.
sim_gpu_tests() {
  local name="$1" what="$2" log="$3" pattern="$4"
  shift 4
  env LGSR_TEST_DEVICE=sim "$@" mvn -B -ntp -o surefire:test -Dtest="$pattern" -Dsurefire.failIfNoSpecifiedTests=false > "$log" 2>&1 \
    || { grep -E "AddressSanitizer|runtime error|racecheck|Tests run|FAIL|ERROR" "$log" | head -40; echo "$name: FAILED: GPU tests $what" >&2; exit 1; }
  local summary
  summary="$(grep -E "Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+$" "$log" | tail -1)"
  echo "GPU tests $what: ${summary#*] }"
  [[ $summary =~ Failures:\ 0,\ Errors:\ 0,\ Skipped:\ 0 ]] || { echo "$name: FAILED: a GPU test failed or was skipped" >&2; exit 1; }
}

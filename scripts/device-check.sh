#!/usr/bin/env bash
# Run THERE (the GPU machine), from the repository root of the copied tree, with bundle/
# carried (made here by scripts/device-bundle.sh). One call does everything:
#   1. Java: the machine's java if it is 17 or newer, else the carried jlink runtime
#   2. cuBLAS: finds libcublas.so.13 (ldconfig, then the Python environment's nvidia packages)
#      and puts its folder on LD_LIBRARY_PATH
#   3. the GPU tests (JUnit tag "gpu"): every kernel against its CPU twin, cuBLAS vs float64
#   4. micro-benchmarks: Adam over 100M floats vs a device-to-device copy of the same bytes;
#      sgemm 4096^3 FP32/TF32 vs torch.matmul, all timed with CUDA events in this same call;
#      EngineBench: every kernel of a training step at yoochoose1_64's shapes against the two
#      floors (FLOPs / FP32 rate, bytes / copy bandwidth), both measured in the same run
#   5. a short table, printed LAST
# Full logs and JSON go under $OUT (device-check.log, junit-jupiter.xml, bench.json,
# torch.json, summary.txt). Exit code: 0 when the GPU tests ran, none skipped, and all passed; 1 otherwise.
# Each stage has a time limit (a kernel that hangs must not eat the machine's time): the GPU
# tests LGSR_TESTS_TIMEOUT s in all (default 300; a test past 90 s is reported as failed), each benchmark
# LGSR_BENCH_TIMEOUT s (default 90).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="${OUT:-$PWD/device-out}"
mkdir -p "$out"
exec > >(tee "$out/device-check.log") 2>&1
b=bundle
[[ -f $b/lgsr.jar && -d $b/test-classes && -f $b/junit-console.jar ]] \
  || { echo "device-check: error: bundle/ is missing or incomplete: run scripts/device-bundle.sh on a build machine and carry bundle"; exit 2; }
cat "$b/BUILD-INFO.txt" 2>/dev/null

echo "== machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem,temperature.gpu --format=csv 2>&1 | head -3
command -v nvcc >/dev/null && nvcc --version | tail -1

echo "== java"
java_bin=""
if command -v java >/dev/null 2>&1; then
  v="$(java -version 2>&1 | head -1)"
  if [[ $v =~ \"([0-9]+) ]] && (( BASH_REMATCH[1] >= 17 )); then java_bin=java; fi
fi
if [[ -z $java_bin ]]; then
  rt=/tmp/lgsr-runtime
  rm -rf "$rt" && mkdir -p "$rt" && tar xzf "$b/runtime.tar.gz" -C "$rt" \
    || { echo "device-check: error: no java 17+ here and bundle/runtime.tar.gz does not unpack"; exit 2; }
  java_bin="$rt/runtime/bin/java"
fi
echo "java: $java_bin: $("$java_bin" -version 2>&1 | head -1)"

echo "== cuBLAS"
cublas_dir=""
line="$(ldconfig -p 2>/dev/null | grep -m1 'libcublas\.so\.13 ' || true)"
[[ -n $line ]] && cublas_dir="$(dirname "${line##*=> }")"
if [[ -z $cublas_dir ]] && command -v python3 >/dev/null; then
  d="$(python3 -c 'import nvidia.cublas as m, os; f = getattr(m, "__file__", None); print((os.path.dirname(f) if f else list(m.__path__)[0]) + "/lib")' 2>/dev/null || true)"
  [[ -n $d && -e $d/libcublas.so.13 ]] && cublas_dir="$d"
  if [[ -z $cublas_dir ]]; then   # other wheel layouts (nvidia/cu13/lib, ...)
    sp="$(python3 -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null || true)"
    f="$(find $sp -name 'libcublas.so.13*' 2>/dev/null | head -1)"
    [[ -n $f ]] && cublas_dir="$(dirname "$f")"
  fi
fi
if [[ -n $cublas_dir ]]; then
  export LD_LIBRARY_PATH="$cublas_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "libcublas.so.13 in $cublas_dir"
else
  echo "libcublas.so.13 not found (ldconfig, python nvidia.cublas): the cuBLAS tests will be skipped"
fi

echo "== GPU tests (tag gpu)"
reports=/tmp/lgsr-junit
rm -rf "$reports"
tests_limit="${LGSR_TESTS_TIMEOUT:-300}"
bench_limit="${LGSR_BENCH_TIMEOUT:-90}"
timeout -k 5 "$tests_limit" "$java_bin" --add-modules jdk.incubator.vector -jar "$b/junit-console.jar" execute --disable-banner --disable-ansi-colors --details=tree --exclude-engine=junit-vintage \
  --class-path "$b/lgsr.jar:$b/test-classes" --scan-class-path "$b/test-classes" --include-tag gpu \
  --config=junit.jupiter.execution.timeout.default=90s \
  --reports-dir "$reports"
tests_rc=$?
(( tests_rc == 124 || tests_rc == 137 )) && echo "device-check: the GPU tests ran past ${tests_limit} s and were stopped"
cp "$reports"/TEST-junit-jupiter.xml "$out/junit-jupiter.xml" 2>/dev/null

echo "== benchmarks (CUDA events, median of 20 after 3 warm-ups)"
timeout -k 5 "$bench_limit" "$java_bin" --add-modules jdk.incubator.vector -cp "$b/lgsr.jar" org.lgsr.gpu.bench.GpuBench "$out/bench.json" || echo "GpuBench failed"
if [[ -z "${LGSR_DATA:-}" && -f $b/data.tar.gz ]]; then   # EngineBench's L_g part reads yoochoose1_64
  mkdir -p /tmp/lgsr-data && tar xzf "$b/data.tar.gz" -C /tmp/lgsr-data && export LGSR_DATA=/tmp/lgsr-data
fi
timeout -k 5 "$bench_limit" "$java_bin" --add-modules jdk.incubator.vector -cp "$b/lgsr.jar" org.lgsr.gpu.bench.EngineBench "$out/engine-bench.json" || echo "EngineBench failed"
if command -v python3 >/dev/null; then
  timeout -k 5 "$bench_limit" python3 scripts/torch_matmul.py "$out/torch.json" || echo "torch_matmul failed"
fi

echo "== summary"
python3 - "$out" "$tests_rc" <<'PY' | tee "$out/summary.txt"
import json, os, sys, xml.etree.ElementTree as ET
out, rc = sys.argv[1], int(sys.argv[2])
def load(name):
    try:
        with open(os.path.join(out, name)) as f:
            return json.load(f)
    except Exception:
        return {}
bench, torch = load("bench.json"), load("torch.json")
t = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
try:
    r = ET.parse(os.path.join(out, "junit-jupiter.xml")).getroot()
    for s in r.iter("testsuite"):
        for k in t:
            t[k] += int(s.get(k, 0))
except Exception:
    pass
print(f"device: {bench.get('device', '?')}   cuBLAS: {bench.get('cublas', bench.get('sgemm_error', '?'))}")
print(f"gpu tests: {t['tests'] - t['failures'] - t['errors'] - t['skipped']} passed, "
      f"{t['failures'] + t['errors']} failed, {t['skipped']} skipped (junit exit {rc})")
print(f"{'what':34} {'median ms':>10} {'GB/s':>8} {'TFLOP/s':>8}")
def row(label, d):
    if not d:
        print(f"{label:34} {'-':>10}")
        return
    gb = f"{d['GB_per_s']:.0f}" if 'GB_per_s' in d else ''
    tf = f"{d['TFLOP_per_s']:.1f}" if 'TFLOP_per_s' in d else ''
    print(f"{label:34} {d['median_ms']:10.3f} {gb:>8} {tf:>8}")
row("adam, 100M floats (28 B/elem)", bench.get("adam"))
row("d2d copy, the same bytes", bench.get("d2d_copy"))
row("philox_uniform, 100M floats", bench.get("philox_uniform"))
row("sgemm 4096^3 FP32 (ours, cuBLAS)", bench.get("sgemm_4096_fp32"))
row("sgemm 4096^3 TF32 (ours, cuBLAS)", bench.get("sgemm_4096_tf32"))
row("torch.matmul 4096^3 FP32", torch.get("matmul_4096_fp32"))
row("torch.matmul 4096^3 TF32", torch.get("matmul_4096_tf32"))
eb = load("engine-bench.json")
if eb:
    lg = eb.get("lg_yoochoose64") if isinstance(eb.get("lg_yoochoose64"), dict) else {}
    print(f"engine: train step {eb.get('train_step_ms', float('nan')):.3f} ms (host {eb.get('host_step_ms', float('nan')):.3f} ms), "
          f"y64 L_rec epoch ~{eb.get('yoochoose64_epoch_s_estimate', float('nan')):.2f} s, eval batch {eb.get('eval_batch_ms', float('nan')):.2f} ms; "
          f"L_g batch {lg.get('batch_ms', float('nan')):.3f} ms, y64 pass ~{lg.get('pass_s_estimate', float('nan')):.1f} s, walks setup {lg.get('setup_s', float('nan')):.2f} s")
a, c = bench.get("adam"), bench.get("d2d_copy")
if a and c:
    print(f"adam reaches {100 * a['GB_per_s'] / c['GB_per_s']:.0f}% of the copy's bandwidth")
passed = t['tests'] - t['failures'] - t['errors'] - t['skipped']
# on a GPU machine every GPU test must run: a skipped one is a failure of this check
if t['skipped']:
    print(f"{t['skipped']} GPU tests were skipped: on a GPU machine that is a failure")
sys.exit(0 if rc == 0 and passed > 0 and t['failures'] + t['errors'] + t['skipped'] == 0 else 1)
PY
summary_rc=${PIPESTATUS[0]}
(( summary_rc == 0 )) || echo "device-check: FAILED: GPU tests failed or none ran"
exit "$summary_rc"

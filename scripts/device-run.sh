#!/usr/bin/env bash
# Run THERE (the GPU machine) after scripts/device-check.sh passed, with bundle/ carried: the
# issue's end-to-end numbers, each step under its own time limit (LGSR_RUN_LIMIT seconds for a
# full run, default 240). Steps, in the order given (default: y64 agree torch):
#   y64         ./run-gpu.sh yoochoose64: full LGSR, the paper's settings, 30 epochs; wall clock
#               of the whole command (start to finish, data loading included) and the report
#   y64-authors the same with --g-authors: L_g as the authors' code (separate theta, log-Q, every
#               epoch), against the defaults (tied, no log-Q, pre-training); README "Joint training"
#   agree       one epoch of LGSR-C on yoochoose64, same seed, --device gpu then --device cpu
#               (the machine's CPUs); P@20 / MRR@20 of both
#   torch       one epoch of scripts/torch_lgsr.py (bounded: its per-batch times extrapolated)
#   dg          ./run-gpu.sh diginetica
#   memcheck    compute-sanitizer memcheck over the kernel and engine GPU tests
#   racecheck   compute-sanitizer racecheck over the tests of the kernels with shared memory
#   experiment:SPEC[:REGEX]
#               lgsr experiment experiments/SPEC.json (the runs matching REGEX) on the GPU, output
#               under $OUT/exp-SPEC; copy its runs/*.json into results/SPEC/runs/ where the
#               repository lives, then `./lgsr experiment experiments/SPEC.json --table-only
#               --readme README.md` there: a report made elsewhere counts (same command line)
# Logs and JSON reports go under $OUT; a short table is printed last.
# usage: bash scripts/device-run.sh [STEP ...]
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="${OUT:-$PWD/device-out}"
mkdir -p "$out"
exec > >(tee "$out/device-run.log") 2>&1
source scripts/gpu-env.sh
lgsr_find_java || exit 2
lgsr_find_jar || exit 2
lgsr_find_cublas || echo "device-run: libcublas.so.13 not found: the GPU engine cannot run"
if [[ -z "${LGSR_DATA:-}" && -f bundle/data.tar.gz ]]; then
  mkdir -p /tmp/lgsr-data && tar xzf bundle/data.tar.gz -C /tmp/lgsr-data && export LGSR_DATA=/tmp/lgsr-data
fi
limit="${LGSR_RUN_LIMIT:-240}"
java=("$LGSR_JAVA" --add-modules jdk.incubator.vector -Xmx24g -jar "$LGSR_JAR")
nvidia-smi --query-gpu=name,driver_version,clocks.sm,temperature.gpu --format=csv,noheader 2>&1 | head -1
steps=("$@")
(( ${#steps[@]} > 0 )) || steps=(y64 agree torch)

timed_run() {  # NAME DATASET [options]: a full run, timed start to finish
  local name="$1" ds="$2"; shift 2
  echo "== $name: ./run-gpu.sh $ds $* (limit ${limit} s)"
  local t0 t1 rc
  t0=$(date +%s.%N)
  timeout "$limit" ./run-gpu.sh "$ds" --report "$out/$name.json" "$@" > "$out/$name.log" 2>&1
  rc=$?
  t1=$(date +%s.%N)
  tail -4 "$out/$name.log"
  python3 -c "print(round($t1 - $t0, 1))" > "$out/$name.wall"
  echo "$name wall: $(cat "$out/$name.wall") s (exit $rc)"
}

for step in "${steps[@]}"; do
  case "$step" in
    y64) timed_run y64-lgsr yoochoose64 ;;
    y64-authors) timed_run y64-lgsr-authors yoochoose64 --g-authors ;;
    dg) timed_run dg-lgsr diginetica ;;
    experiment:*)
      IFS=: read -r _ spec only <<< "$step"
      if [[ ! -f "experiments/$spec.json" ]]; then echo "device-run: no experiments/$spec.json"; continue; fi
      echo "== experiment $spec${only:+ (runs matching $only)} (limit ${limit} s)"
      args=(experiment "experiments/$spec.json" --out "$out/exp-$spec")
      [[ -n "$only" ]] && args+=(--only "$only")
      timeout "$limit" "${java[@]}" "${args[@]}" > "$out/exp-$spec.log" 2>&1
      echo "experiment $spec: exit $?"
      grep -E '^\[|^experiment ' "$out/exp-$spec.log" | tail -20
      [[ -f "$out/exp-$spec/table.md" ]] && cat "$out/exp-$spec/table.md" ;;
    agree)
      echo "== agree: one epoch of LGSR-C, GPU then CPU, same seed"
      timeout 120 "${java[@]}" train --device gpu --dataset yoochoose64 --variant lgsr-c --epochs 1 --report "$out/agree-gpu.json" > "$out/agree-gpu.log" 2>&1
      tail -2 "$out/agree-gpu.log"
      timeout 240 "${java[@]}" train --device cpu --dataset yoochoose64 --variant lgsr-c --epochs 1 --report "$out/agree-cpu.json" > "$out/agree-cpu.log" 2>&1
      tail -2 "$out/agree-cpu.log" ;;
    torch)
      echo "== torch: the same model in plain PyTorch, one epoch (bounded, extrapolated)"
      if command -v python3 >/dev/null && python3 -c 'import torch' 2>/dev/null; then
        timeout 240 python3 scripts/torch_lgsr.py --data "$LGSR_DATA/yoochoose1_64" --epochs 1 --max-rec-steps 100 --max-lg-batches 100 \
          --out "$out/torch.json" > "$out/torch.log" 2>&1
        tail -5 "$out/torch.log"
      else
        echo "no python3 with torch here"
      fi ;;
    memcheck|racecheck)
      # compute-sanitizer over the GPU tests: memcheck (out-of-bounds and misaligned accesses,
      # errors of the CUDA API) over the kernel and engine tests; racecheck (shared-memory
      # races: slow) over the tests of the kernels that use shared memory. Needs
      # bundle/test-classes and bundle/junit-console.jar. Machines whose GPU runtime refuses the
      # sanitizer (some sandboxes) answer "Device not supported".
      tool="$step"
      if command -v compute-sanitizer >/dev/null && [[ -d bundle/test-classes && -f bundle/junit-console.jar ]]; then
        names=(GpuKernelsTest LayersGpuTest AttentionGpuTest AggregateGpuTest SoftmaxCeGpuTest NceGpuTest)
        [[ $tool == memcheck ]] && names+=(WalksGpuTest EngineGpuTest)
        classes=(); for c in "${names[@]}"; do classes+=(--select-class "org.lgsr.gpu.$c"); done
        echo "== $tool: compute-sanitizer --tool $tool over ${names[*]} (limit ${LGSR_SANITIZER_LIMIT:-150} s)"
        timeout -k 5 "${LGSR_SANITIZER_LIMIT:-150}" compute-sanitizer --tool "$tool" --error-exitcode 9 --print-limit 30 \
          --log-file "$out/$tool.txt" "$LGSR_JAVA" --add-modules jdk.incubator.vector -Xmx8g -jar bundle/junit-console.jar execute \
          --disable-banner --disable-ansi-colors --details=tree --class-path bundle/lgsr.jar:bundle/test-classes \
          "${classes[@]}" --include-tag gpu > "$out/$tool-tests.log" 2>&1
        echo "$tool exit $? (0: clean and every test passed; 9: the sanitizer found errors; 1: a test failed; 124: ran past its limit)"
        grep -E "ERROR SUMMARY|RACECHECK SUMMARY|Invalid|Race|hazard" "$out/$tool.txt" | head -8
        grep -E "tests (successful|failed|aborted)" "$out/$tool-tests.log"
      else
        echo "no compute-sanitizer here, or no bundle/test-classes"
      fi ;;
    *) echo "device-run: unknown step '$step' (known: y64 y64-authors agree torch dg memcheck racecheck)"; exit 2 ;;
  esac
done

echo "== summary"
python3 - "$out" <<'PY' | tee "$out/run-summary.txt"
import json, os, sys
out = sys.argv[1]
def load(n):
    try:
        with open(os.path.join(out, n)) as f: return json.load(f)
    except Exception: return {}
def wall(n):
    try:
        return float(open(os.path.join(out, n + ".wall")).read())
    except Exception: return None
def best(r):
    b = r.get("bestTest", {})
    return (b.get("P@20", {}).get("value"), b.get("MRR@20", {}).get("value"))
for name, target in (("y64-lgsr", "P@20 >= 71.5, MRR@20 >= 31.0"), ("y64-lgsr-scaled", "P@20 >= 71.5, MRR@20 >= 31.0"),
                     ("dg-lgsr", "P@20 >= 53.3, MRR@20 >= 18.5")):
    r = load(name + ".json")
    if not r: continue
    p, m = best(r)
    ep = r.get("epochs", [])
    print(f"{name}: best P@20 {p} MRR@20 {m} ({target}); {len(ep)} epochs, wall {wall(name)} s (y64 target < 60 s); status {r.get('status')}")
    if ep:
        rec = sum(e.get("trainSeconds", 0) for e in ep); ev = sum(e.get("evalSeconds", 0) for e in ep)
        lg = sum(q.get("seconds", 0) for e in ep for q in e.get("globalPasses", []))
        print(f"  per epoch (mean): L_rec {rec/len(ep):.2f} s, L_g {lg/len(ep):.2f} s, eval {ev/len(ep):.2f} s; setup {r.get('globalGraph', {}).get('setupSeconds')} s")
g = load("agree-gpu.json"); c = load("agree-cpu.json")
gp, gm = best(g); cp, cm = best(c)
if gp is not None and cp is not None:
    print(f"1 epoch LGSR-C: GPU P@20 {gp:.2f} MRR@20 {gm:.2f} | CPU P@20 {cp:.2f} MRR@20 {cm:.2f} | diff {abs(gp-cp):.2f} / {abs(gm-cm):.2f} (<= 0.3)")
t = load("torch.json")
if t:
    print(f"PyTorch epoch estimate: {t.get('epoch_s')} s (rec {t.get('rec_epoch_s')}, L_g pass {t.get('lg_pass_s')}, eval {t.get('eval_s')}; bounded {t.get('bounded')})")
PY

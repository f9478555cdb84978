#!/usr/bin/env bash
# Run THERE (the GPU machine) after scripts/device-check.sh passed, with bundle/ carried: the
# issue's end-to-end numbers in one call, each step under its own time limit.
#   1. ./run-gpu.sh yoochoose64: full LGSR, the paper's settings, 30 epochs; wall clock of the
#      whole command (start to finish, data loading included) and the report
#   2. agreement: one epoch of LGSR-C on yoochoose64, same seed, --device gpu then --device cpu
#      (the machine's CPUs); P@20 / MRR@20 of both
#   3. PyTorch: one epoch of scripts/torch_lgsr.py (bounded: its per-batch times extrapolated)
#   4. ./run-gpu.sh diginetica (if time is left: LGSR_RUN_DIGINETICA=1)
# Logs and JSON reports go under $OUT; a short table is printed last.
# usage: bash scripts/device-run.sh [SECONDS-FOR-THE-Y64-RUN (default 240)]
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
limit="${1:-240}"
java=("$LGSR_JAVA" --add-modules jdk.incubator.vector -Xmx24g -jar "$LGSR_JAR")
nvidia-smi --query-gpu=name,driver_version,clocks.sm,temperature.gpu --format=csv,noheader 2>&1 | head -1

echo "== 1. ./run-gpu.sh yoochoose64 (paper settings, 30 epochs), limit ${limit} s"
t0=$(date +%s.%N)
timeout "$limit" ./run-gpu.sh yoochoose64 --report "$out/y64-lgsr.json" > "$out/y64-lgsr.log" 2>&1
rc1=$?
t1=$(date +%s.%N)
tail -4 "$out/y64-lgsr.log"
echo "y64 wall: $(python3 -c "print(round($t1 - $t0, 1))") s (exit $rc1)"

echo "== 2. one epoch of LGSR-C, GPU then CPU, same seed"
timeout 120 "${java[@]}" train --device gpu --dataset yoochoose64 --variant lgsr-c --epochs 1 --report "$out/agree-gpu.json" > "$out/agree-gpu.log" 2>&1
tail -2 "$out/agree-gpu.log"
timeout 200 "${java[@]}" train --device cpu --dataset yoochoose64 --variant lgsr-c --epochs 1 --report "$out/agree-cpu.json" > "$out/agree-cpu.log" 2>&1
tail -2 "$out/agree-cpu.log"

echo "== 3. PyTorch, the same model, one epoch (bounded, extrapolated)"
if command -v python3 >/dev/null && python3 -c 'import torch' 2>/dev/null; then
  timeout 200 python3 scripts/torch_lgsr.py --data "$LGSR_DATA/yoochoose1_64" --epochs 1 --max-rec-steps 100 --max-lg-batches 100 \
    --out "$out/torch.json" > "$out/torch.log" 2>&1
  tail -5 "$out/torch.log"
else
  echo "no python3 with torch here"
fi

if [[ "${LGSR_RUN_DIGINETICA:-0}" == 1 ]]; then
  echo "== 4. ./run-gpu.sh diginetica"
  timeout "$limit" ./run-gpu.sh diginetica --report "$out/dg-lgsr.json" > "$out/dg-lgsr.log" 2>&1
  tail -3 "$out/dg-lgsr.log"
fi

echo "== summary"
python3 - "$out" "$t0" "$t1" <<'PY' | tee "$out/run-summary.txt"
import json, os, sys
out, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
def load(n):
    try:
        with open(os.path.join(out, n)) as f: return json.load(f)
    except Exception: return {}
def best(r):
    b = r.get("bestTest", {})
    return (b.get("P@20", {}).get("value"), b.get("MRR@20", {}).get("value"))
y = load("y64-lgsr.json"); g = load("agree-gpu.json"); c = load("agree-cpu.json"); t = load("torch.json"); dg = load("dg-lgsr.json")
p, m = best(y)
print(f"yoochoose64 LGSR 30 ep: P@20 {p} MRR@20 {m}; wall {t1 - t0:.1f} s (target < 60 s; P@20 >= 71.5, MRR@20 >= 31.0); status {y.get('status')}")
gp, gm = best(g); cp, cm = best(c)
if gp is not None and cp is not None:
    print(f"1 epoch LGSR-C: GPU P@20 {gp:.2f} MRR@20 {gm:.2f} | CPU P@20 {cp:.2f} MRR@20 {cm:.2f} | diff {abs(gp-cp):.2f} / {abs(gm-cm):.2f} (<= 0.3)")
ep = [e for e in y.get("epochs", [])]
if ep:
    rec = sum(e.get("trainSeconds", 0) for e in ep); ev = sum(e.get("evalSeconds", 0) for e in ep)
    lg = sum(p.get("seconds", 0) for e in ep for p in e.get("globalPasses", []))
    print(f"  ours per epoch (mean of {len(ep)}): L_rec {rec/len(ep):.2f} s, L_g {lg/len(ep):.2f} s, eval {ev/len(ep):.2f} s")
if t:
    print(f"PyTorch epoch estimate: {t.get('epoch_s')} s (rec {t.get('rec_epoch_s')}, L_g pass {t.get('lg_pass_s')}, eval {t.get('eval_s')}; bounded {t.get('bounded')})")
if dg:
    p, m = best(dg); print(f"diginetica LGSR: P@20 {p} MRR@20 {m} (target >= 53.3 / 18.5)")
PY

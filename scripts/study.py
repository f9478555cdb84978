#!/usr/bin/env python3
"""Runs a study of `lgsr train` settings over seeds and tabulates it.

    scripts/study.py SPEC.json [--only REGEX] [--dry-run] [--table-only]

SPEC is a JSON file: {"name": ..., "out": "results/NAME", "common": [args...],
"cells": [{"id": ..., "args": [...], "seeds": [1, 2, 3]}, ...]}. Each (cell, seed) runs
`./lgsr train COMMON ARGS --seed S --report OUT/ID-sS.json`; a run whose report says
"completed" is not run again, so an interrupted study resumes where it stopped. The table
(OUT/table.md) gives, per cell, the mean and the standard deviation over seeds of the best
test P@20 and MRR@20 (the paper's selection) and, where the runs used --validation, of the
test figures of the validation-selected epoch.
"""
import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def stats(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    m = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else 0.0
    return m, sd, len(xs)


def fmt(s):
    return "" if s is None else (f"{s[0]:.2f} ± {s[1]:.2f}" if s[2] > 1 else f"{s[0]:.2f}")


def table(spec, out):
    rows = ["| cell | settings | seeds | best test P@20 | best test MRR@20 | validation-selected P@20 | validation-selected MRR@20 | "
            "epoch 1 P@20 | epoch 1 MRR@20 | epochs |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for cell in spec["cells"]:
        p, m, vp, vm, ep, e1p, e1m, done = [], [], [], [], [], [], [], 0
        for seed in cell.get("seeds", spec.get("seeds", [1])):
            r = load(os.path.join(out, f"{cell['id']}-s{seed}.json"))
            if not r or r.get("status") != "completed":
                continue
            done += 1
            bt = r.get("bestTest", {})
            p.append(bt.get("P@20", {}).get("value"))
            m.append(bt.get("MRR@20", {}).get("value"))
            sel = r.get("selectedByValidation")
            if sel:
                vp.append(sel["test"].get("P@20"))
                vm.append(sel["test"].get("MRR@20"))
            ep.append(len(r.get("epochs", [])))
            first = (r.get("epochs") or [{}])[0].get("test")
            if first:
                e1p.append(first.get("P@20"))
                e1m.append(first.get("MRR@20"))
        if done == 0:
            continue
        rows.append(f"| {cell['id']} | `{' '.join(cell['args'])}` | {done} | {fmt(stats(p))} | {fmt(stats(m))} | "
                    f"{fmt(stats(vp))} | {fmt(stats(vm))} | {fmt(stats(e1p))} | {fmt(stats(e1m))} | {max(ep)} |")
    text = f"# {spec['name']}\n\nCommon flags: `{' '.join(spec.get('common', []))}`; mean ± standard deviation over seeds.\n\n" + "\n".join(rows) + "\n"
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write(text)
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("spec")
    ap.add_argument("--only", help="run only the cells whose id matches this regular expression")
    ap.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    ap.add_argument("--table-only", action="store_true", help="only rebuild the table from the reports")
    a = ap.parse_args()
    spec = load(a.spec)
    if spec is None:
        sys.exit(f"study: error: {a.spec}: missing or not JSON")
    out = os.path.join(HERE, spec["out"])
    os.makedirs(out, exist_ok=True)
    if not a.table_only:
        # seed-major order: every cell's first seed before any cell's second, so that a study cut
        # short still compares its cells on the same seeds
        todo = []
        seeds = sorted({s for cell in spec["cells"] for s in cell.get("seeds", spec.get("seeds", [1]))})
        for seed in seeds:
            for cell in spec["cells"]:
                if a.only and not re.search(a.only, cell["id"]):
                    continue
                if seed not in cell.get("seeds", spec.get("seeds", [1])):
                    continue
                rep = os.path.join(out, f"{cell['id']}-s{seed}.json")
                r = load(rep)
                if r and r.get("status") == "completed":
                    continue
                todo.append((cell, seed, rep))
        # the runs use a private copy of the jar, so that rebuilding the project meanwhile does not touch them
        jar = os.path.join(out, f".lgsr-{os.getpid()}.jar")  # one per study process: another may be running
        if todo and not a.dry_run:
            if subprocess.call([os.path.join(HERE, "lgsr"), "--version"], stdout=subprocess.DEVNULL) != 0:
                sys.exit("study: error: ./lgsr could not build the jar")
            shutil.copyfile(os.path.join(HERE, "target", "lgsr.jar"), jar)
        env = dict(os.environ)
        shared = os.path.join(os.path.dirname(HERE), "shared", "data")
        if "LGSR_DATA" not in env and os.path.isdir(shared):
            env["LGSR_DATA"] = shared
        java = ["java", "--add-modules", "jdk.incubator.vector"] + os.environ.get("LGSR_JAVA_OPTS", "-Xmx12g -XX:+UseParallelGC").split()
        t0 = time.time()
        for i, (cell, seed, rep) in enumerate(todo):
            cmd = java + ["-jar", jar, "train"] + spec.get("common", []) + cell["args"] + ["--seed", str(seed), "--report", rep]
            left = "" if i == 0 else f", about {(time.time() - t0) / i * (len(todo) - i) / 60:.0f} min left"
            print(f"[{i + 1}/{len(todo)}{left}] lgsr {' '.join(cmd[cmd.index('train'):])}", flush=True)
            if a.dry_run:
                continue
            log = rep[:-5] + ".log"
            with open(log, "w") as f:
                rc = subprocess.call(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=HERE, env=env)
            if rc != 0:
                print(f"study: run failed (exit {rc}); see {log}", flush=True)
        if os.path.exists(jar):
            os.remove(jar)
    print(table(spec, out))


if __name__ == "__main__":
    main()

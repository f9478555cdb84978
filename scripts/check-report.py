#!/usr/bin/env python3
"""Checks a run report against accuracy floors (for CI):

    scripts/check-report.py REPORT P@20=66.0 MRR@20=28.0 ...

Each floor is compared with the best test figure of the run (bestTest in the report). Prints
one line per metric; exits 1 when a figure is under its floor, 2 when the report is missing,
incomplete or lacks the metric.
"""
import json
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    path = sys.argv[1]
    try:
        with open(path) as f:
            r = json.load(f)
    except (OSError, ValueError) as e:
        print(f"check-report: error: {path}: {e}", file=sys.stderr)
        sys.exit(2)
    if r.get("status") != "completed":
        print(f"check-report: error: {path}: run status is '{r.get('status')}', not completed", file=sys.stderr)
        sys.exit(2)
    failed = False
    for arg in sys.argv[2:]:
        name, _, floor = arg.partition("=")
        best = r.get("bestTest", {}).get(name)
        if best is None or not floor:
            print(f"check-report: error: {path}: no best test {name} (or bad floor '{arg}')", file=sys.stderr)
            sys.exit(2)
        ok = best["value"] >= float(floor)
        failed |= not ok
        print(f"{'ok  ' if ok else 'FAIL'} {r.get('dataset', {}).get('name')} {r.get('config', {}).get('variant')}: "
              f"{name} {best['value']:.2f} (epoch {best['epoch']}), floor {float(floor):.2f}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Combine meson testlog.json files into one "N passed, N failed" line.

usage: count-results.py [--extra-pass N] [--extra-fail N] [--failed-only] LOG...

Each LOG is a meson-logs/testlog*.json file (one JSON object per line, one
per test program). --extra-pass/--extra-fail add stages that are not meson
tests (or meson runs that failed before producing results). With
--failed-only, only the number of failed tests is printed.
"""
import argparse
import collections
import json

OK = ("OK", "EXPECTEDFAIL")
BAD = ("FAIL", "ERROR", "TIMEOUT", "UNEXPECTEDPASS")

ap = argparse.ArgumentParser()
ap.add_argument("--extra-pass", type=int, default=0)
ap.add_argument("--extra-fail", type=int, default=0)
ap.add_argument("--failed-only", action="store_true")
ap.add_argument("logs", nargs="*")
args = ap.parse_args()

c = collections.Counter()
for path in args.logs:
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    c[json.loads(line)["result"]] += 1
    except (OSError, ValueError, KeyError):
        c["ERROR"] += 1

passed = sum(c[k] for k in OK) + args.extra_pass
failed = sum(c[k] for k in BAD) + args.extra_fail
skipped = c["SKIP"]

if args.failed_only:
    print(failed)
else:
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))

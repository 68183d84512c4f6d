#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""W4b's Python peer: ProcessPoolExecutor(2) echoing 16-byte requests.

Usage: w4b-ppe.py [N]   (default 20,000)

Starts the pool and warms it up (both worker processes running), then
times N submit() calls of a function that returns its 16-byte argument,
from the first submission to the last result, and prints one JSON line:
{"case": "python-ppe", "requests": N, "us_per_request": ...}. Every reply
is checked against its request, outside the timed span. Run it with
Debian's /usr/bin/python3 (perf-anchors.md used 3.11.7; this is 3.11.2).
"""

import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor

MASK = (1 << 64) - 1


def echo(payload):
    return payload


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    payloads = [i.to_bytes(8, 'little') + (~i & MASK).to_bytes(8, 'little') for i in range(n)]
    with ProcessPoolExecutor(max_workers=2) as pool:
        # Warm-up: both workers started and serving.
        warm = [pool.submit(echo, p) for p in payloads[:200]]
        for f in warm:
            f.result()
        start = time.perf_counter()
        futures = [pool.submit(echo, p) for p in payloads]
        results = [f.result() for f in futures]
        end = time.perf_counter()
    if results != payloads:
        sys.exit('python-ppe: a reply does not match its request')
    print(json.dumps({'case': 'python-ppe', 'requests': n,
                      'us_per_request': (end - start) * 1e6 / n}))


if __name__ == '__main__':
    main()

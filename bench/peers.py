#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Python peers of the osiiso-glib bench suite (W1, W2, W3, W5).

Run by the C bench programs, one command per run, under Debian's
/usr/bin/python3 (perf-anchors.md used a pyenv 3.11.7; this is 3.11.2):

  peers.py w1-tpe N            ThreadPoolExecutor(2), N empty tasks
  peers.py w1-ppe N            ProcessPoolExecutor(2), N empty tasks
  peers.py w1-asyncio N        asyncio, 2 worker coroutines draining a queue of
                               N coroutine functions that never suspend
  peers.py w1-asyncio-yield N  the same, each task awaiting asyncio.sleep(0)
                               once (one real loop round trip per task)
  peers.py w2-pq-thread N      queue.PriorityQueue + 1 thread, N random
                               priorities in 0..999 (seed 42), exact order checked
  peers.py w2-asyncio-pq N     asyncio.PriorityQueue + 1 worker coroutine
  peers.py w3-tpe N MS         N CPU-bound tasks of ~MS ms (a pure-Python loop)
                               on ThreadPoolExecutor(2)
  peers.py w3-ppe N MS         the same on ProcessPoolExecutor(2)
  peers.py w5-tpe N            N tasks queued on ThreadPoolExecutor(2) behind
                               2 blocked workers: RSS delta / N
  peers.py w5-asyncio-task N   N asyncio tasks created and not yet run
  peers.py w5-asyncio-queue N  N (fn, (i,)) items in an asyncio.Queue

Each prints one JSON line. Timing is in-process (time.perf_counter) from the
first submission to the last completion; interpreter and pool start-up and
a warm-up are outside it. A fast wrong answer is no answer: every command
checks that all N tasks ran (and, for W2, the exact order) and exits
non-zero otherwise.
"""

import asyncio
import gc
import json
import os
import queue
import random
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

WORKERS = 2
PAGE = os.sysconf('SC_PAGESIZE')


def out(**fields):
    print(json.dumps(fields), flush=True)


def rss_bytes():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * PAGE


def empty():
    return None


# ---------------------------------------------------------------------------
# W1: empty tasks on 2 workers
# ---------------------------------------------------------------------------

def w1_pool(executor_class, n):
    with executor_class(max_workers=WORKERS) as pool:
        for f in [pool.submit(empty) for _ in range(max(WORKERS * 50, 100))]:
            f.result()
        start = time.perf_counter()
        futures = [pool.submit(empty) for _ in range(n)]
        done = sum(1 for f in futures if f.result() is None)
        end = time.perf_counter()
    if done != n:
        sys.exit(f'{n - done} tasks did not complete')
    out(tasks=n, ns_per_task=(end - start) * 1e9 / n)


def w1_asyncio(n, suspend):
    ran = 0

    async def task():
        nonlocal ran
        if suspend:
            await asyncio.sleep(0)
        ran += 1

    async def worker(q):
        while True:
            try:
                fn = q.get_nowait()
            except asyncio.QueueEmpty:
                return
            await fn()

    async def main():
        nonlocal ran
        q = asyncio.Queue()
        for _ in range(1000):                # warm-up
            q.put_nowait(task)
        await asyncio.gather(*(worker(q) for _ in range(WORKERS)))
        ran = 0
        start = time.perf_counter()
        for _ in range(n):
            q.put_nowait(task)
        await asyncio.gather(*(worker(q) for _ in range(WORKERS)))
        return time.perf_counter() - start

    elapsed = asyncio.run(main())
    if ran != n:
        sys.exit(f'{ran} of {n} tasks ran')
    out(tasks=n, ns_per_task=elapsed * 1e9 / n)


# ---------------------------------------------------------------------------
# W2: random priorities on 1 worker, exact order
# ---------------------------------------------------------------------------

def w2_priorities(n):
    rng = random.Random(42)
    return [rng.randrange(1000) for _ in range(n)]


def w2_check(priorities, order):
    n = len(priorities)
    if sorted(order) != list(range(n)):
        sys.exit('W2: not every task ran exactly once')
    expected = sorted(range(n), key=lambda i: (priorities[i], i))
    if order != expected:
        inversions = sum(1 for a, b in zip(order, order[1:]) if priorities[a] > priorities[b])
        sys.exit(f'W2: wrong order ({inversions} adjacent priority inversions)')


def w2_pq_thread(n):
    priorities = w2_priorities(n)
    order = []

    def fn(i):
        order.append(i)

    def worker(q):
        while True:
            try:
                _, _, i = q.get_nowait()
            except queue.Empty:
                return
            fn(i)

    q = queue.PriorityQueue()
    start = time.perf_counter()
    for i, p in enumerate(priorities):
        q.put((p, i, i))
    enqueued = time.perf_counter()
    t = threading.Thread(target=worker, args=(q,))
    t.start()
    t.join()
    end = time.perf_counter()
    w2_check(priorities, order)
    out(tasks=n, ns_per_task=(end - start) * 1e9 / n,
        enqueue_s=enqueued - start, drain_s=end - enqueued)


def w2_asyncio_pq(n):
    priorities = w2_priorities(n)
    order = []

    async def fn(i):
        order.append(i)

    async def main():
        q = asyncio.PriorityQueue()
        start = time.perf_counter()
        for i, p in enumerate(priorities):
            q.put_nowait((p, i, i))
        enqueued = time.perf_counter()

        async def worker():
            while True:
                try:
                    _, _, i = q.get_nowait()
                except asyncio.QueueEmpty:
                    return
                await fn(i)

        await worker()
        end = time.perf_counter()
        return start, enqueued, end

    start, enqueued, end = asyncio.run(main())
    w2_check(priorities, order)
    out(tasks=n, ns_per_task=(end - start) * 1e9 / n,
        enqueue_s=enqueued - start, drain_s=end - enqueued)


# ---------------------------------------------------------------------------
# W3: CPU-bound tasks on 2 workers against the ideal
# ---------------------------------------------------------------------------

def spin(k):
    x = 1
    for _ in range(k):
        x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
    return x


def spin_task(k):
    t0 = time.thread_time()
    spin(k)
    return time.thread_time() - t0


def spin_calibrate(target_s):
    k = 1000
    while True:
        t0 = time.thread_time()
        spin(k)
        if time.thread_time() - t0 >= 0.005:
            break
        k *= 2
    rates = []
    for _ in range(5):
        t0 = time.thread_time()
        spin(k)
        rates.append((time.thread_time() - t0) / k)
    rates.sort()
    return int(target_s / rates[2])


def w3_pool(executor_class, n, ms):
    k = spin_calibrate(ms / 1000)
    with executor_class(max_workers=WORKERS) as pool:
        for f in [pool.submit(spin_task, 1000) for _ in range(WORKERS * 4)]:
            f.result()
        start = time.perf_counter()
        futures = [pool.submit(spin_task, k) for _ in range(n)]
        cpu = [f.result() for f in futures]
        end = time.perf_counter()
    wall = end - start
    ideal = sum(cpu) / WORKERS
    out(tasks=n, wall_s=wall, ideal_s=ideal, wall_over_ideal=wall / ideal,
        mean_task_ms=sum(cpu) / n * 1e3)


# ---------------------------------------------------------------------------
# W5: memory per queued task
# ---------------------------------------------------------------------------

def w5_tpe(n):
    gate = threading.Event()
    pool = ThreadPoolExecutor(max_workers=WORKERS)
    blockers = [pool.submit(gate.wait) for _ in range(WORKERS)]
    time.sleep(0.05)                          # both workers blocked in gate.wait
    gc.collect()
    before = rss_bytes()
    start = time.perf_counter()
    futures = [pool.submit(empty) for _ in range(n)]
    end = time.perf_counter()
    after = rss_bytes()
    out(tasks=n, bytes_per_task=(after - before) / n, enqueue_ns_per_task=(end - start) * 1e9 / n)
    gate.set()
    pool.shutdown(wait=True, cancel_futures=True)
    del futures, blockers


def w5_asyncio(n, kind):
    async def fn(i):
        return i

    async def main():
        gc.collect()
        before = rss_bytes()
        start = time.perf_counter()
        if kind == 'task':
            held = [asyncio.create_task(fn(i)) for i in range(n)]
        else:
            held = asyncio.Queue()
            for i in range(n):
                held.put_nowait((fn, (i,)))
        end = time.perf_counter()
        after = rss_bytes()
        out(tasks=n, bytes_per_task=(after - before) / n, enqueue_ns_per_task=(end - start) * 1e9 / n)
        # Not run: the measurement is done, and running 1M tasks is not W5.
        os._exit(0)

    asyncio.run(main())


COMMANDS = {
    'w1-tpe': lambda a: w1_pool(ThreadPoolExecutor, int(a[0])),
    'w1-ppe': lambda a: w1_pool(ProcessPoolExecutor, int(a[0])),
    'w1-asyncio': lambda a: w1_asyncio(int(a[0]), False),
    'w1-asyncio-yield': lambda a: w1_asyncio(int(a[0]), True),
    'w2-pq-thread': lambda a: w2_pq_thread(int(a[0])),
    'w2-asyncio-pq': lambda a: w2_asyncio_pq(int(a[0])),
    'w3-tpe': lambda a: w3_pool(ThreadPoolExecutor, int(a[0]), float(a[1])),
    'w3-ppe': lambda a: w3_pool(ProcessPoolExecutor, int(a[0]), float(a[1])),
    'w5-tpe': lambda a: w5_tpe(int(a[0])),
    'w5-asyncio-task': lambda a: w5_asyncio(int(a[0]), 'task'),
    'w5-asyncio-queue': lambda a: w5_asyncio(int(a[0]), 'queue'),
}


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == '__main__':
    main()

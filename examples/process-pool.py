#!/usr/bin/python3
# process-pool.py: a pool of Python worker processes computing Fibonacci numbers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The Python flavour of process-pool.c, through plain introspection: an
# Osiiso.ProcessQueue with 2 workers, each a Python interpreter running
# process-worker.py (next to this script), which serves "fib" (u -> t) and
# "pid" (-> i, the worker's process id).
#
# The example submits fib(n) for several n, plus a few "pid" calls, runs
# the queue once, and prints the results, which worker processes served
# the "pid" calls, the pool's process ids and the run summary. The Python
# code of the tasks runs in the worker processes, so it runs in parallel,
# one interpreter per worker.
#
# The workers inherit this process's environment: run uninstalled, both
# need GI_TYPELIB_PATH and LD_LIBRARY_PATH for the build tree (`meson
# devenv -C build -w . /usr/bin/python3 examples/process-pool.py`).
#
# The outcome never varies: every task succeeds, every Fibonacci number is
# right, and every "pid" call was served by one of the pool's (at most 2)
# processes. The example checks that and exits 1 if anything differs.

import os
import sys

import gi
gi.require_version('Osiiso', '1.0')
from gi.repository import GLib, Osiiso  # noqa: E402

NUMBERS = [10, 20, 30, 40, 50, 60, 70, 80, 90]
PID_CALLS = 4

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'process-worker.py')

ok = True


def expect(condition, what):
    global ok
    if not condition:
        print('process-pool.py: unexpected outcome: %s' % what, file=sys.stderr)
        ok = False


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def value_of(handle, type_string):
    """The task's value (a GLib.Variant of @type_string) unpacked, or None."""
    result = handle.get_result()
    if result is None or result.get_status() != Osiiso.TaskStatus.SUCCEEDED:
        expect(False, '%s did not succeed: %s' % (
            handle.get_name(), result.get_message() if result is not None else 'no result'))
        return None
    # A process task's value is a GVariant: PyGObject gives a GLib.Variant.
    value = result.get_value()
    if not isinstance(value, GLib.Variant) or value.get_type_string() != type_string:
        expect(False, '%s has a value of the wrong type' % handle.get_name())
        return None
    return value.unpack()


def main():
    # The interpreter by absolute path: a `python3` found on PATH may be a
    # virtual environment or pyenv shim without PyGObject.
    queue = Osiiso.ProcessQueue.new(['/usr/bin/python3', WORKER], 2)

    fibs = [queue.submit_call('fib', GLib.Variant('u', n), Osiiso.TaskOptions(name='fib(%d)' % n))
            for n in NUMBERS]
    pids = [queue.submit_call('pid', None, Osiiso.TaskOptions(name='pid-%d' % (i + 1)))
            for i in range(PID_CALLS)]

    # Blocks, iterating this thread's main context, until every task has
    # ended. The workers stay alive afterwards, ready for another run.
    summary = queue.run(None)

    for n, handle in zip(NUMBERS, fibs):
        value = value_of(handle, 't')
        if value is not None:
            print('fib(%2d) = %d' % (n, value))
            expect(value == fib(n), 'fib(%d) came back wrong' % n)

    pool = queue.get_worker_pids()
    print("the pool's worker processes: %s" % ' '.join(str(p) for p in pool))

    serving = set()
    for handle in pids:
        served_by = value_of(handle, 'i')
        if served_by is not None:
            print('%s was served by worker process %d' % (handle.get_name(), served_by))
            expect(served_by in pool, 'a call served by a process outside the pool')
            serving.add(served_by)
    print('%d worker process%s served the %d pid calls'
          % (len(serving), '' if len(serving) == 1 else 'es', PID_CALLS))

    print(summary.to_string(), end='')

    expect(summary.get_total() == len(NUMBERS) + PID_CALLS, 'total')
    expect(summary.get_succeeded() == len(NUMBERS) + PID_CALLS, 'succeeded')
    expect(summary.get_failed() == 0, 'failed')
    expect(summary.get_cancelled() == 0, 'cancelled')
    expect(1 <= len(pool) <= 2, 'the pool has 1 or 2 processes')
    expect(os.getpid() not in pool, 'a task ran in this process')

    # A graceful shutdown: the queue closes, and closing their input makes
    # the idle workers exit.
    queue.shutdown(False, None)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())

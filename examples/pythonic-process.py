#!/usr/bin/python3
# pythonic-process.py: module-level Python functions in worker processes, through the PyGObject override
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# With the override, `Osiiso.ProcessQueue(workers=2)` starts Python worker
# processes (osiiso-python-worker.py, installed beside the override), and
# `q.submit(fn, *args)` runs a module-level function in one of them, by
# reference: the worker imports it (this script is loaded there as the
# module __mp_main__, so the `if __name__ == "__main__":` block below does
# not run again). Arguments and values travel as GVariants without losing
# their types: ints of any size, floats, str, bytes, lists, tuples, dicts
# with str keys, None, nested. Anything else is a TypeError at submit.
#
# The tasks compute Fibonacci numbers far beyond 64 bits, word statistics
# returning nested structures, and one deliberate failure, whose exception
# comes back as the same type. The example checks every value and exits 1
# if anything differs.
#
#   meson devenv -C build -w . /usr/bin/python3 examples/pythonic-process.py

import os
import sys

import gi
gi.require_version('Osiiso', '1.0')
from gi.repository import Osiiso  # noqa: E402


def fib(n):
    """Runs in a worker process. fib(300) has 209 bits."""
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def word_stats(text, stop_words):
    """Returns a dict of mixed, nested values."""
    words = [w for w in text.lower().split() if w not in stop_words]
    return {
        'count': len(words),
        'longest': max(words, key=len) if words else None,
        'lengths': sorted({len(w) for w in words}),
        'first_last': (words[0], words[-1]) if words else (),
        'pid': os.getpid(),
        'raw': text.encode('utf-8'),
    }


def checked_sqrt(x):
    if x < 0:
        raise ValueError('no real square root of %r' % x)
    return x ** 0.5


if __name__ == '__main__':
    ok = True

    def expect(condition, what):
        global ok
        if not condition:
            print('pythonic-process.py: unexpected outcome: %s' % what, file=sys.stderr)
            ok = False

    with Osiiso.ProcessQueue(workers=2) as q:
        fibs = {n: q.submit(fib, n, name='fib(%d)' % n) for n in (10, 93, 94, 300, 1000)}
        stats = q.submit(word_stats, 'The quick brown fox jumps over the lazy dog', ['the'])
        roots = [q.submit(checked_sqrt, x) for x in (2.0, -1.0)]
        try:
            q.submit(fib, {10})            # a set cannot travel
            expect(False, 'a set was accepted')
        except TypeError as e:
            print('refused at submit: %s' % e)
        summary = q.run()

    for n, handle in fibs.items():
        value = handle.value()
        print('fib(%d) = %d (%d bits)' % (n, value, value.bit_length()))
        expect(value == fib(n), 'fib(%d)' % n)
    s = stats.value()
    print('word_stats: %r' % {k: v for k, v in s.items() if k != 'pid'})
    expect(s['count'] == 7 and s['longest'] == 'quick' and s['lengths'] == [3, 4, 5], 'word stats')
    expect(s['first_last'] == ('quick', 'dog') and s['raw'].startswith(b'The'), 'nested types')
    expect(s['pid'] != os.getpid(), 'ran in another process')
    expect(roots[0].value() == 2.0 ** 0.5, 'sqrt(2)')
    try:
        roots[1].value()
        expect(False, 'sqrt(-1) did not raise')
    except ValueError as e:
        print('checked_sqrt(-1.0) raised ValueError in the worker: %s' % e)
    print(summary.to_string(), end='')
    expect(summary.succeeded == 7 and summary.failed == 1, 'counts')
    sys.exit(0 if ok else 1)

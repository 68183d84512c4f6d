#!/usr/bin/python3
# pythonic-thread.py: plain Python functions on a thread queue, through the PyGObject override
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The override (gi/overrides/Osiiso.py) lets a thread queue run plain
# Python functions: keyword options, `with`, a task decorator, hooks,
# Python exceptions kept as they were raised, and a summary with `values`
# and `errors`.
#
# Twelve "downloads" run on 3 worker threads: two are retried once after
# a simulated connection reset, one always fails, one has a value too large
# for 64 bits. Hooks print one line per event; the summary comes last.
#
# Uninstalled, run it with the build tree's typelib and library and with
# python/ on PYTHONPATH (`meson devenv` sets all three):
#
#   meson devenv -C build -w . /usr/bin/python3 examples/pythonic-thread.py
#
# The outcome never varies; the example checks it and exits 1 if anything
# differs, so its test (`meson test --suite examples`) catches a
# misbehaving override.

import sys
import threading

import gi
gi.require_version('Osiiso', '1.0')
from gi.repository import Osiiso  # noqa: E402

ok = True


def expect(condition, what):
    global ok
    if not condition:
        print('pythonic-thread.py: unexpected outcome: %s' % what, file=sys.stderr)
        ok = False


class DownloadError(Exception):
    pass


resets = set()
lock = threading.Lock()


def download(n):
    """Runs on a worker thread, once per attempt."""
    if n in (4, 8):
        with lock:
            first = n not in resets
            resets.add(n)
        if first:
            raise ConnectionResetError('connection reset by peer')
    if n == 11:
        raise DownloadError('item 11 is gone')
    return 2 ** (10 * n)          # item 12 is 2**120: any int is a value


def on_start(handle):
    print('start     %s' % handle.name)


def on_retry(handle, exc):
    print('retry     %-13s after %s: %s' % (handle.name, type(exc).__name__, exc))


def on_complete(result):
    print('complete  %-13s %s' % (result.name, result.status))


def main():
    with Osiiso.ThreadQueue(workers=3, fail_policy='continue',
                            on_start=on_start, on_retry=on_retry, on_complete=on_complete) as q:

        @q.task(retries=1, retry_delay=0.01)
        def fetch(n):
            return download(n)

        handles = [fetch(n, name='download-%d' % n) for n in range(1, 13)]
        summary = q.run()

    print(summary.to_string(), end='')

    expect(q.closed, 'the queue is closed after the with block')
    expect(summary.total == 12 and summary.succeeded == 11 and summary.failed == 1, 'counts')
    expect(sorted(summary.values) == [2 ** (10 * n) for n in range(1, 13) if n != 11], 'values')
    expect([h.value() for h in handles if h.name != 'download-11']
           == [2 ** (10 * n) for n in range(1, 13) if n != 11], 'values in input order')
    expect(handles[11].value() == 2 ** 120, 'a value beyond 64 bits')
    expect([h.attempts for h in handles] == [2 if n in (4, 8, 11) else 1 for n in range(1, 13)],
           'attempts')

    # The failed task keeps the exception object its function raised.
    failed = handles[10]
    try:
        failed.value()
        expect(False, 'download-11 did not raise')
    except DownloadError as e:
        print('download-11 raised %s again: %s' % (type(e).__name__, e))
        expect(e is failed.exception(), 'the very same exception object')
    expect([r.name for r in summary.errors] == ['download-11'], 'errors')
    try:
        summary.raise_for_errors()
        expect(False, 'raise_for_errors() did not raise')
    except Osiiso.ExecutionError as e:
        print('raise_for_errors(): %s' % e)
        expect(str(e) == '1 task(s) failed' and e.summary is summary, 'ExecutionError')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())

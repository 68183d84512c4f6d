#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Osiiso.RunSummary through raw introspection (PyGObject, no override).

Summaries come from real runs of a thread queue. Task functions only
record or raise; every assertion happens after the blocking run returned
(reference/toolchain.md, pitfall 4). Nothing sleeps to synchronize: the
runs are the events waited on, and the only sleep is inside a task that
polls its own cancellation.
"""

import locale
import os
import time
import unittest

import gi

gi.require_version('GLib', '2.0')
gi.require_version('GObject', '2.0')
gi.require_version('Osiiso', '1.0')

from gi.repository import GLib, GObject, Osiiso  # noqa: E402
from osiiso_test_support import options  # noqa: E402

# The report is translated: the texts below are the untranslated ones.
os.environ.pop('LANGUAGE', None)
locale.setlocale(locale.LC_ALL, 'C')

S = Osiiso.TaskStatus
GUARD = 20.0
RULE = '-' * 40 + '\n'


def submit(queue, fn, **opts):
    return queue.submit(fn, None, options(**opts) if opts else None)


def value_task(value):
    def fn(ctx, data):
        if value is not None:
            ctx.set_value(value)
        return True
    return fn


def failing_task(message):
    def fn(ctx, data):
        raise GLib.Error(message)
    return fn


def until_cancelled_task(ctx, data):
    deadline = time.monotonic() + GUARD
    while time.monotonic() < deadline:
        if ctx.is_cancelled():
            return False
        time.sleep(0.01)
    return True


def ids(results):
    return [r.get_task_id() for r in results]


def report(summary, status, total, succeeded, failed, cancelled, failures=''):
    return (RULE + '  Run Summary: %s\n' % status + RULE +
            '  Total tasks : %d\n' % total +
            '  Succeeded   : %d\n' % succeeded +
            '  Failed      : %d\n' % failed +
            '  Cancelled   : %d\n' % cancelled +
            '  Duration    : %.3fs\n' % summary.get_duration() +
            (RULE + '  Failures:\n' + failures if failures else '') + RULE)


class MixedRun(unittest.TestCase):
    """One run with successes (with and without values), failures (one
    retried), cancellations, shared and default names, groups, and a
    detached task."""

    @classmethod
    def setUpClass(cls):
        cls.obj = GObject.Object()
        q = Osiiso.ThreadQueue(workers=1)
        cancelled_a = submit(q, value_task(0), name='a', group_id='g2')
        cancelled_b = submit(q, value_task(0))
        assert cancelled_a.cancel() and cancelled_b.cancel()
        cls.handles = {
            'cancelled_a': cancelled_a,
            'cancelled_b': cancelled_b,
            'one': submit(q, value_task(1), name='a', group_id='g1'),
            'two': submit(q, value_task('two'), name='a', group_id='g1'),
            'none': submit(q, value_task(None), name='b'),
            'object': submit(q, value_task(cls.obj), name='obj', group_id='g3'),
            'flaky': submit(q, failing_task('still broken'), name='flaky', group_id='g2',
                            retries=2),
            'broken': submit(q, failing_task('line one\nline two'), name='a'),
            'unnamed': submit(q, value_task(3)),
        }
        cls.hidden = submit(q, value_task(99), name='hidden', group_id='g1', detached=True)
        cls.summary = q.run(None)
        cls.results = cls.summary.get_results()

    def filtered(self, keep):
        return ids(r for r in self.results if keep(r))

    def test_counts(self):
        s = self.summary
        self.assertEqual(s.get_total(), 9)
        self.assertEqual(len(self.results), 9)
        self.assertEqual(s.get_succeeded(), 5)
        self.assertEqual(s.get_failed(), 2)
        self.assertEqual(s.get_cancelled(), 2)
        self.assertFalse(s.get_timed_out())
        self.assertFalse(s.get_ok())

    def test_lookup_by_id(self):
        for key, handle in self.handles.items():
            result = self.summary.lookup(handle.get_id())
            self.assertIsNotNone(result, key)
            self.assertEqual(result.get_task_id(), handle.get_id())
            self.assertEqual(result.get_name(), handle.get_name())
        self.assertEqual(self.summary.lookup(self.handles['flaky'].get_id()).get_attempts(), 3)
        # The detached task ran, but is not in the summary.
        self.assertEqual(self.hidden.get_status(), S.SUCCEEDED)
        self.assertIsNone(self.summary.lookup(self.hidden.get_id()))
        self.assertIsNone(self.summary.lookup(0))

    def test_lookup_by_name(self):
        s = self.summary
        a = s.lookup_by_name('a')
        self.assertEqual(len(a), 4)
        self.assertTrue(all(isinstance(r, Osiiso.TaskResult) for r in a))
        self.assertEqual(ids(a), self.filtered(lambda r: r.get_name() == 'a'))
        self.assertEqual(ids(s.lookup_by_name('b')), [self.handles['none'].get_id()])
        unnamed = self.handles['unnamed']
        self.assertEqual(unnamed.get_name(), 'task-%d' % unnamed.get_id())
        self.assertEqual(ids(s.lookup_by_name(unnamed.get_name())), [unnamed.get_id()])
        self.assertEqual(s.lookup_by_name('hidden'), [])
        self.assertEqual(s.lookup_by_name('nobody'), [])

    def test_lookup_by_group(self):
        s = self.summary
        for group, n in (('g1', 2), ('g2', 2), ('g3', 1), (None, 4)):
            found = s.lookup_by_group(group)
            self.assertEqual(len(found), n, group)
            self.assertEqual(ids(found), self.filtered(lambda r: r.get_group_id() == group))
        self.assertEqual(s.lookup_by_group('g4'), [])

    def test_by_outcome(self):
        s = self.summary
        for get, status, n in ((s.get_successes, S.SUCCEEDED, 5),
                               (s.get_errors, S.FAILED, 2),
                               (s.get_cancellations, S.CANCELLED, 2)):
            found = get()
            self.assertEqual(len(found), n)
            self.assertEqual(ids(found), self.filtered(lambda r: r.get_status() == status))
        self.assertEqual(sorted(r.get_message() for r in s.get_cancellations()),
                         ['cancelled before execution'] * 2)
        self.assertEqual(sorted(r.get_error().message for r in s.get_errors()),
                         ['line one\nline two', 'still broken'])

    def test_values(self):
        values = self.summary.get_values()
        expected = [r.get_value() for r in self.summary.get_successes()]
        self.assertEqual(len(values), 5)
        self.assertEqual(values, expected)
        # One worker: the successes finish in submission order.
        self.assertEqual(values[:3], [1, 'two', None])
        self.assertIs(values[3], self.obj)
        self.assertEqual(values[4], 3)

    def test_values_do_not_leak(self):
        self.summary.get_values()
        before = self.obj.__grefcount__
        for _ in range(1000):
            self.assertIs(self.summary.get_values()[3], self.obj)
        self.assertEqual(self.obj.__grefcount__, before)

    def test_check(self):
        s = self.summary
        with self.assertRaises(GLib.Error) as caught:
            s.check(False)
        self.assertTrue(caught.exception.matches(Osiiso.error_quark(), Osiiso.Error.EXECUTION))
        self.assertEqual(caught.exception.message, '2 task(s) failed')
        with self.assertRaises(GLib.Error) as caught:
            s.check(True)
        self.assertEqual(caught.exception.message, '2 task(s) failed; 2 task(s) cancelled')

    def test_report(self):
        # Whether the retried task finishes before or after the other
        # failure is the scheduler's business: the section follows the
        # result order, whichever it is.
        failures = {
            'flaky': '    - flaky (3 attempts)\n      still broken\n',
            'a': '    - a\n      line one\n      line two\n',
        }
        order = [r.get_name() for r in self.summary.get_errors()]
        self.assertEqual(sorted(order), ['a', 'flaky'])
        self.assertEqual(self.summary.to_string(), report(
            self.summary, 'COMPLETED WITH ERRORS', 9, 5, 2, 2,
            ''.join(failures[name] for name in order)))


class Reports(unittest.TestCase):

    def test_passed(self):
        q = Osiiso.ThreadQueue(workers=2)
        for i in range(3):
            submit(q, value_task(i))
        s = q.run(None)
        self.assertTrue(s.get_ok())
        s.check(True)
        values = s.get_values()
        self.assertEqual(values, [r.get_value() for r in s.get_results()])
        self.assertEqual(sorted(values), [0, 1, 2])
        self.assertEqual(s.to_string(), report(s, 'PASSED', 3, 3, 0, 0))

    def test_failures_in_order(self):
        # One worker: submission order, and the retried task, alone for
        # its retries, finishes last.
        q = Osiiso.ThreadQueue(workers=1)
        submit(q, value_task(1), name='good')
        submit(q, failing_task('first\nsecond\n'), name='once')
        submit(q, failing_task(''), name='silent')
        submit(q, failing_task('planned'), name='retried', retries=1)
        s = q.run(None)
        self.assertEqual([r.get_name() for r in s.get_errors()], ['once', 'silent', 'retried'])
        self.assertEqual(s.to_string(), report(
            s, 'COMPLETED WITH ERRORS', 4, 1, 3, 0,
            '    - once\n'
            '      first\n'
            '      second\n'
            '    - silent\n'
            '    - retried (2 attempts)\n'
            '      planned\n'))

    def test_cancellations_only(self):
        q = Osiiso.ThreadQueue(workers=1)
        self.assertTrue(submit(q, value_task(1)).cancel())
        s = q.run(None)
        s.check(False)
        with self.assertRaises(GLib.Error) as caught:
            s.check(True)
        self.assertEqual(caught.exception.message, '1 task(s) cancelled')
        self.assertEqual(s.get_values(), [])
        self.assertEqual(s.get_successes(), [])
        self.assertEqual(len(s.get_cancellations()), 1)
        self.assertEqual(s.to_string(), report(s, 'COMPLETED WITH ERRORS', 1, 0, 0, 1))

    def test_timed_out(self):
        q = Osiiso.ThreadQueue(workers=1)
        submit(q, failing_task('bad'), name='bad')
        stuck = submit(q, until_cancelled_task, name='stuck')
        s = q.run_full(0.2, Osiiso.RunFlags.NONE, None)
        self.assertTrue(s.get_timed_out())
        self.assertEqual(ids(s.get_cancellations()), [stuck.get_id()])
        self.assertEqual(s.to_string(), report(s, 'TIMED OUT', 2, 0, 1, 1,
                                               '    - bad\n      bad\n'))

    def test_empty(self):
        s = Osiiso.ThreadQueue(workers=1).run(None)
        self.assertEqual(s.get_results(), [])
        self.assertEqual(s.get_values(), [])
        self.assertEqual(s.lookup_by_name('x'), [])
        self.assertEqual(s.lookup_by_group(None), [])
        self.assertEqual(s.get_errors(), [])
        self.assertIsNone(s.lookup(1))
        self.assertEqual(s.to_string(), report(s, 'PASSED', 0, 0, 0, 0))


if __name__ == '__main__':
    unittest.main()

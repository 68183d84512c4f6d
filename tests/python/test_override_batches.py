#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tests of the PyGObject override's batches (python/gi/overrides/Osiiso.py):
``q.map()``, ``q.group()`` and the TaskGroup they return, ``bound.map()`` /
``bound.group()``, the one-shot helpers ``tmap``/``pmap``/``amap``, and
resumable batches with ``checkpoint=``, ``key=`` and ``namespace=``
(issue 7 item 4, issue 8 item 2), on thread, async and process queues.

Run with python/ on PYTHONPATH (tests/meson.build), the typelib and the
library of the build tree.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from unittest import mock

import gi
gi.require_version('Osiiso', '1.0')
from gi.repository import GLib, Gio, Osiiso  # noqa: E402
from osiiso_test_support import check_override  # noqa: E402

OVERRIDE_DIR = os.environ.get('OSIISO_TEST_OVERRIDE_DIR')
GUARD = 60   # seconds: a bound on waits that normally end at once
OVERRIDE = sys.modules['gi.overrides.Osiiso']


# ---------------------------------------------------------------------------
# Task functions (module-level: process workers import them from this
# script, loaded there as __mp_main__)
# ---------------------------------------------------------------------------

def square(n):
    return n * n


def echo(*args, **kwargs):
    return (args, kwargs)


def identity(value):
    return value


def fail_on_three(n):
    if n == 3:
        raise ValueError('three is not allowed')
    return n * 10


class BatchError(Exception):
    """An exception class of this module."""


def fail_custom(message):
    raise BatchError(message)


def worker_pid(_n):
    return os.getpid()


_initialized = []


def initialize(tag):
    _initialized.append(tag)


def initialized(_n):
    return list(_initialized)


def wait_until_cancelled(*_args):
    """A thread task that blocks until its attempt is cancelled."""
    ctx = Osiiso.current_context()
    cancelled = threading.Event()
    ctx.get_cancellable().connect(lambda *_: cancelled.set())   # at once if cancelled already
    cancelled.wait(GUARD)
    return 'cancelled' if ctx.is_cancelled() else 'not cancelled'


def iterate_until(condition, what, context=None):
    """Iterates the default main context until condition() holds."""
    context = context or GLib.MainContext.default()
    expired = []
    guard = GLib.timeout_source_new_seconds(GUARD)
    guard.set_callback(lambda *_: expired.append(True) or False)
    guard.attach(context)
    while not condition() and not expired:
        context.iteration(True)
    guard.destroy()
    if expired:
        raise AssertionError('gave up waiting for %s' % what)


def pass_time(seconds):
    """Lets @seconds pass on a GLib timer (for deadline tests only)."""
    fired = []
    GLib.timeout_add(int(seconds * 1000), lambda: fired.append(True) and False)
    iterate_until(lambda: fired, 'a timer')


VALUES = [
    None, True, False, 0, -7, 2**63 - 1, 2**64 - 1, 2**100, -(3**90), 0.0, -0.0, 1.5, float('inf'),
    '', 'ünïcødé ✓', '1234', b'', b'\0bytes\xff', [], [1, 'a', None], (), (1, 'two', 3.0),
    {}, {'a': 1, 'b': [2, (3, 4)], 'c': {'d': None}}, [[1, 2], (3, [4, {'e': b'f'}])],
]


def same_types(a, b):
    """Equal and of exactly the same types, recursively."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_types(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_types(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return a == b and str(a) == str(b)
    return a == b


def queue_kinds():
    return [('thread', lambda: Osiiso.ThreadQueue(workers=2)),
            ('async', lambda: Osiiso.AsyncQueue(workers=2)),
            ('process', lambda: Osiiso.ProcessQueue(workers=2))]


class TempDirTestCase(unittest.TestCase):

    def setUp(self):
        self.tmpdir = tempfile.mkdtemp(prefix='osiiso-batches-')

    def tearDown(self):
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def db(self, name='done.db'):
        return os.path.join(self.tmpdir, name)


# ---------------------------------------------------------------------------
# q.map(): values, handles, options, the element rule
# ---------------------------------------------------------------------------

class Map(unittest.TestCase):

    def test_values_and_handles_in_input_order_on_every_queue(self):
        for kind, make in queue_kinds():
            with make() as q:
                group = q.map(square, range(12))
                self.assertIsInstance(group, Osiiso.TaskGroup, kind)
                self.assertEqual(group.values(), [n * n for n in range(12)], kind)
                self.assertEqual(len(group), 12)
                self.assertEqual(len(group.handles), 12)
                self.assertEqual([h.value() for h in group], [n * n for n in range(12)], kind)
                self.assertEqual([h.name for h in group.handles], ['square'] * 12)
                self.assertEqual(group[3].value(), 9)
                self.assertEqual(group[-1].value(), 121)
                self.assertEqual([h.value() for h in group[1:3]], [1, 4])
                with self.assertRaises(IndexError):
                    group[12]
                summary = group.wait()
                self.assertEqual([r.value for r in summary.results], [n * n for n in range(12)])
                self.assertEqual(summary.total, 12)
                self.assertTrue(summary.ok)

    def test_group_ids(self):
        q = Osiiso.ThreadQueue(workers=2)
        generated = q.map(square, [1, 2])
        self.assertRegex(generated.group_id, r'^group-\d+$')
        by_option = q.map(square, [1], group_id='from-option')
        by_opts = q.map(square, [1], opts=Osiiso.TaskOptions(group_id='from-opts'))
        explicit = q.group(square, [1], group_id='explicit', opts=Osiiso.TaskOptions(group_id='from-opts'))
        summary = q.run()
        self.assertEqual((by_option.group_id, by_opts.group_id, explicit.group_id),
                         ('from-option', 'from-opts', 'explicit'))
        self.assertEqual({h.group_id for h in generated}, {generated.group_id})
        self.assertEqual({r.group_id for r in generated.wait().results}, {generated.group_id})
        self.assertEqual(sorted(len(v) for v in summary.by_group().values()), [1, 1, 1, 2])
        self.assertNotEqual(q.map(square, []).group_id, generated.group_id)

    def test_options_apply_to_every_task(self):
        q = Osiiso.ThreadQueue(workers=1)
        group = q.map(square, range(3), priority=3, name='sq', metadata={'batch': [1, 2]})
        base = Osiiso.TaskOptions(priority=7, retries=2)
        based = q.map(square, [5], opts=base)
        overridden = q.map(square, [6], opts=base, priority=1)
        q.run()
        self.assertEqual({(h.priority, h.name) for h in group}, {(3, 'sq')})
        self.assertEqual(group[0].metadata, {'batch': [1, 2]})
        self.assertEqual((based[0].priority, based[0].name), (7, 'square'))
        self.assertEqual(overridden[0].priority, 1)

    def test_retries_in_a_map(self):
        attempts = {}

        def flaky(n):
            attempts[n] = attempts.get(n, 0) + 1
            if n % 2 and attempts[n] == 1:
                raise ConnectionError('try again')
            return n

        q = Osiiso.ThreadQueue(workers=2)
        group = q.map(flaky, range(4), retries=1)
        q.run()
        self.assertEqual(group.values(), [0, 1, 2, 3])
        self.assertEqual([h.attempts for h in group], [1, 2, 1, 2])

    def test_element_rule_on_every_queue(self):
        elements = [(1, 2), {'a': 1, 'b': 'two'}, [1, 2], 'x', (), ((1, 2),), ({'k': 1},), None, 2**70]
        expected = [((1, 2), {}), ((), {'a': 1, 'b': 'two'}), (([1, 2],), {}), (('x',), {}),
                    ((), {}), (((1, 2),), {}), (({'k': 1},), {}), ((None,), {}), ((2**70,), {})]
        for kind, make in queue_kinds():
            with make() as q:
                values = q.map(echo, elements).values()
            self.assertEqual(len(values), len(expected))
            for value, wanted in zip(values, expected):
                self.assertTrue(same_types(value, wanted), (kind, value, wanted))

    def test_mappings_and_tuple_subclasses(self):
        import collections
        Point = collections.namedtuple('Point', 'x y')
        q = Osiiso.ThreadQueue(workers=1)
        group = q.map(echo, [Point(1, 2), collections.OrderedDict(z=1)])
        q.run()
        self.assertEqual(group.values(), [((1, 2), {}), ((), {'z': 1})])

    def test_dict_elements_need_str_keys(self):
        q = Osiiso.ThreadQueue(workers=1)
        with self.assertRaisesRegex(TypeError, r'element 1 is a dict.*keys must be str'):
            q.map(echo, [{'a': 1}, {1: 'a'}])
        self.assertEqual(q.pending_count, 0)

    def test_functions_that_cannot_be_tasks(self):
        q = Osiiso.ThreadQueue(workers=1)
        with self.assertRaisesRegex(TypeError, 'callable'):
            q.map('square', [1])

        async def coroutine(n):
            return n
        with self.assertRaisesRegex(TypeError, 'coroutine'):
            q.map(coroutine, [1])
        with self.assertRaises(TypeError):
            q.map(square, 5)                     # not iterable
        with self.assertRaisesRegex(TypeError, r'Unknown task option\(s\): colour'):
            q.map(square, [1], colour='red')
        self.assertEqual(q.pending_count, 0)

    def test_async_tasks_completed_later(self):
        def later(n):
            done = Osiiso.Completion()
            GLib.idle_add(lambda: done.set_result(n * 3) and False)
            return done

        with Osiiso.AsyncQueue(workers=2) as q:
            self.assertEqual(q.map(later, range(5)).values(), [0, 3, 6, 9, 12])

    def test_process_map_runs_in_workers(self):
        with Osiiso.ProcessQueue(workers=2) as q:
            group = q.map(worker_pid, range(6))
            pids = group.values()
            self.assertTrue(set(pids) <= set(q.get_worker_pids()))
        self.assertNotIn(os.getpid(), pids)

    def test_raw_map_stays_reachable(self):
        def raw(ctx, data):
            ctx.set_value(ctx.get_input().get_int64() + data)
            return True

        q = Osiiso.ThreadQueue(workers=1)
        group = q.map_func(raw, 100, GLib.Variant('ax', [1, 2, 3]), None)
        q.run()
        self.assertIsInstance(group, Osiiso.TaskGroup)
        self.assertEqual(group.values(), [101, 102, 103])


# ---------------------------------------------------------------------------
# q.group()
# ---------------------------------------------------------------------------

class Group(unittest.TestCase):

    def test_heterogeneous_group_on_every_queue(self):
        for kind, make in queue_kinds():
            with make() as q:
                group = q.group([(square, 3), (echo, 1, 'a'), (square, 4), (identity, (1, 2))],
                                group_id='mixed')
                self.assertEqual(group.values(), [9, ((1, 'a'), {}), 16, (1, 2)], kind)
            self.assertEqual(group.group_id, 'mixed')
            self.assertEqual([h.name for h in group], ['square', 'echo', 'square', 'identity'])
            self.assertEqual({h.group_id for h in group}, {'mixed'})

    def test_mapped_form(self):
        q = Osiiso.ThreadQueue(workers=2)
        group = q.group(square, range(4), group_id='squares')
        q.run()
        self.assertEqual((group.group_id, group.values()), ('squares', [0, 1, 4, 9]))
        group = q.group(echo, iterable=[{'k': 1}])
        q.run()
        self.assertEqual(group.values(), [((), {'k': 1})])

    def test_empty_groups_are_legal(self):
        q = Osiiso.ThreadQueue(workers=1)
        for group in (q.group([]), q.group([], group_id='nothing'), q.map(square, []),
                      q.group(square, [])):
            self.assertEqual(len(group), 0)
            self.assertEqual(group.handles, ())
            self.assertEqual(group.values(), [])
            self.assertEqual(list(group.as_completed(timeout=1)), [])
            self.assertEqual(group.wait().total, 0)
            self.assertEqual(group.cancel(), 0)

    def test_bad_entries_submit_nothing(self):
        q = Osiiso.ThreadQueue(workers=1)
        for bad in ([(square, 1), square], [(square, 1), ()], [(square, 1), ('square', 1)],
                    [(square, 1), [square, 2]]):
            with self.assertRaisesRegex(TypeError,
                                        r'each group entry must be a tuple of \(callable, \*args\)'):
                q.group(bad)
        with self.assertRaisesRegex(TypeError, 'needs an iterable'):
            q.group(square)
        with self.assertRaisesRegex(TypeError, r'Unknown task option\(s\): speed'):
            q.group([(square, 1)], speed=2)
        self.assertEqual(q.pending_count, 0)
        self.assertEqual(q.run().total, 0)

    def test_group_options_and_names(self):
        q = Osiiso.ThreadQueue(workers=1)
        group = q.group([(square, 2), (identity, 'x')], priority=4, opts=Osiiso.TaskOptions(retries=1))
        q.run()
        self.assertEqual([(h.name, h.priority) for h in group], [('square', 4), ('identity', 4)])
        named = q.group([(square, 2), (identity, 'x')], name='same')
        q.run()
        self.assertEqual([h.name for h in named], ['same', 'same'])


# ---------------------------------------------------------------------------
# Failures, cancellation
# ---------------------------------------------------------------------------

class Failures(unittest.TestCase):

    def test_exceptions_and_values(self):
        raised = []

        def fail_some(n):
            if n % 3 == 1:
                raised.append(BatchError('bad %d' % n))
                raise raised[-1]
            return n

        q = Osiiso.ThreadQueue(workers=1)
        group = q.map(fail_some, range(6))
        q.run()
        with self.assertRaises(Osiiso.ExecutionError) as caught:
            group.values()
        error = caught.exception
        self.assertEqual(str(error), '2 task(s) failed')
        self.assertEqual([r.status for r in error.summary.results],
                         ['succeeded', 'failed', 'succeeded', 'succeeded', 'failed', 'succeeded'])
        self.assertEqual([r.exception for r in error.results], raised)
        with self.assertRaises(BatchError) as again:
            group[1].value()
        self.assertIs(again.exception, raised[0])
        self.assertIs(group.handles[4].exception(), raised[1])
        self.assertEqual(group.wait().errors[0].message, 'BatchError: bad 1')

    def test_process_exceptions_are_rebuilt(self):
        with Osiiso.ProcessQueue(workers=1) as q:
            group = q.group([(fail_custom, 'remote'), (square, 2)])
            summary = group.wait()
        self.assertEqual((summary.failed, summary.succeeded), (1, 1))
        self.assertIs(type(group[0].exception()), BatchError)
        self.assertEqual(str(group[0].exception()), 'remote')
        with self.assertRaises(Osiiso.ExecutionError):
            group.values()

    def test_cancel(self):
        q = Osiiso.ThreadQueue(workers=1)
        group = q.map(square, range(5))
        group[1].cancel()
        self.assertEqual(group.cancel(), 4)
        self.assertEqual(group.cancel(), 0)
        q.run()
        self.assertTrue(all(h.cancelled() for h in group))
        with self.assertRaisesRegex(Osiiso.ExecutionError, '5 task\\(s\\) cancelled') as caught:
            group.values()
        self.assertEqual(len(caught.exception.results), 5)
        with self.assertRaises(Osiiso.CancelledError):
            group[0].value()

    def test_cancel_part_of_a_running_group(self):
        started = threading.Event()

        def first_blocks(n):
            # Every task blocks: cancelling the running one frees its
            # worker, which may start the next before the group's cancel
            # reaches it.
            if n == 0:
                started.set()
            return wait_until_cancelled()

        with Osiiso.ThreadQueue(workers=1) as q:
            group = q.map(first_blocks, range(3))
            self.assertTrue(started.wait(GUARD))
            self.assertEqual(group.cancel(), 3)
            summary = group.wait(GUARD)
        self.assertEqual(summary.cancelled, 3)


# ---------------------------------------------------------------------------
# Waiting: completion order, deadlines, timeouts
# ---------------------------------------------------------------------------

class Waiting(unittest.TestCase):

    def test_as_completed_follows_completion_order(self):
        gates = [threading.Event() for _ in range(4)]

        def gated(i):
            if not gates[i].wait(GUARD):
                raise AssertionError('gate %d never opened' % i)
            return i

        with Osiiso.ThreadQueue(workers=4) as q:
            group = q.map(gated, range(4))
            completed = group.as_completed(timeout=GUARD)
            order = []
            for i in (2, 0, 3, 1):
                gates[i].set()
                order.append(next(completed).value())
            self.assertEqual(order, [2, 0, 3, 1])
            with self.assertRaises(StopIteration):
                next(completed)
            # Done already: they come out in the order they finished.
            self.assertEqual([h.value() for h in group.as_completed()], [2, 0, 3, 1])
            self.assertEqual(group.values(), [0, 1, 2, 3])

    def test_as_completed_from_another_thread(self):
        gates = [threading.Event() for _ in range(3)]

        def gated(i):
            gates[i].wait(GUARD)
            return i

        seen = []
        q = Osiiso.ThreadQueue(workers=3)
        group = q.map(gated, range(3))

        def consume():
            for handle in group.as_completed(timeout=GUARD):
                seen.append(handle.value())
                if len(seen) < 3:
                    gates[(2, 1, 0)[len(seen)]].set()

        consumer = threading.Thread(target=consume)
        consumer.start()
        gates[2].set()
        summary = q.run()
        consumer.join(GUARD)
        self.assertFalse(consumer.is_alive())
        self.assertEqual(seen, [2, 1, 0])
        self.assertEqual(summary.total, 3)

    def test_as_completed_has_one_deadline(self):
        gates = [threading.Event() for _ in range(3)]

        def gated(i):
            gates[i].wait(GUARD)
            return i

        with Osiiso.ThreadQueue(workers=3) as q:
            group = q.map(gated, range(3))
            completed = group.as_completed(timeout=0.5)   # the deadline counts from here
            gates[0].set()
            gates[1].set()
            group[0].wait(GUARD)
            group[1].wait(GUARD)
            pass_time(0.6)                                # past the deadline
            before = time.monotonic()
            self.assertEqual(sorted([next(completed).value(), next(completed).value()]), [0, 1])
            with self.assertRaisesRegex(Osiiso.TimeoutError, r'1 of the 3 tasks of group .* within 0.5s'):
                next(completed)
            # A deadline per item would have waited another 0.5 s.
            self.assertLess(time.monotonic() - before, 0.4)
            gates[2].set()

    def test_as_completed_timeout_is_a_builtin_timeout(self):
        gate = threading.Event()
        with Osiiso.ThreadQueue(workers=1) as q:
            group = q.map(lambda n: gate.wait(GUARD), [1])
            with self.assertRaises(TimeoutError):
                next(group.as_completed(timeout=0.05))
            gate.set()

    def test_wait_and_values_time_out(self):
        q = Osiiso.ThreadQueue(workers=1)     # never started: waiting does not start it
        group = q.map(square, [1, 2])
        with self.assertRaises(Osiiso.TimeoutError) as caught:
            group.wait(timeout=0.05)
        self.assertIsInstance(caught.exception, TimeoutError)
        with self.assertRaises(TimeoutError):
            group.values(timeout=0.05)
        with self.assertRaises(ValueError):
            group.wait(timeout=-1)
        self.assertEqual(group[0].status, 'pending')
        q.run()
        self.assertEqual(group.values(timeout=0), [1, 4])

    def test_wait_delivers_completions(self):
        called = []
        gate = threading.Event()

        def gated_square(n):
            gate.wait(GUARD)
            return n * n

        checkpoint = Osiiso.Checkpoint()
        with Osiiso.ThreadQueue(workers=2) as q:
            group = q.map(gated_square, range(3), checkpoint=checkpoint, namespace='square')
            for handle in group:
                handle.add_done_callback(lambda h: called.append(h.value()))
            gate.set()
            # Another thread waits until the tasks are done; this one does
            # not run the queue's context meanwhile: nothing is delivered.
            waiter = threading.Thread(target=group.wait, args=(GUARD,))
            waiter.start()
            waiter.join(GUARD)
            self.assertFalse(waiter.is_alive())
            self.assertEqual((called, checkpoint.count('square')), ([], 0))
            # On the queue's thread, wait() returns after the delivery.
            group.wait()
            self.assertEqual(sorted(called), [0, 1, 4])
            self.assertEqual(checkpoint.count('square'), 3)

    def test_values_from_another_thread_during_a_run(self):
        got = []
        q = Osiiso.ThreadQueue(workers=2)
        group = q.map(square, range(5))
        reader = threading.Thread(target=lambda: got.append(group.values(timeout=GUARD)))
        reader.start()
        summary = q.run()
        reader.join(GUARD)
        self.assertEqual(got, [[0, 1, 4, 9, 16]])
        self.assertEqual(summary.total, 5)

    def test_values_inside_a_main_loop_callback(self):
        got = []
        loop = GLib.MainLoop()

        def idle():
            try:
                got.append(group.values(timeout=GUARD))
            finally:
                loop.quit()
            return False

        with Osiiso.ThreadQueue(workers=2) as q:
            group = q.map(square, range(3))
            GLib.idle_add(idle)
            guard = GLib.timeout_add_seconds(GUARD, loop.quit)
            loop.run()
            GLib.source_remove(guard)
        self.assertEqual(got, [[0, 1, 4]])

    def test_list_model(self):
        q = Osiiso.ThreadQueue(workers=1)
        group = q.map(square, [3, 4])
        self.assertEqual(group.get_n_items(), 2)
        self.assertIsInstance(group.get_item(1), Osiiso.TaskHandle)
        self.assertIs(group.get_item(1), group[1])
        q.run()
        self.assertEqual(group.n_completed, 2)
        self.assertEqual(repr(group), 'TaskGroup(%r, tasks=2)' % group.group_id)


# ---------------------------------------------------------------------------
# Atomic admission
# ---------------------------------------------------------------------------

class AtomicAdmission(unittest.TestCase):

    def assertNothingSubmitted(self, q):
        self.assertEqual(q.pending_count, 0)
        self.assertEqual(q.run().total, 0)

    def test_an_iterable_that_fails_midway(self):
        def inputs():
            yield 1
            yield 2
            raise RuntimeError('broken input source')

        q = Osiiso.ThreadQueue(workers=1)
        with self.assertRaisesRegex(RuntimeError, 'broken input source'):
            q.map(square, inputs())
        self.assertNothingSubmitted(q)

    def test_invalid_option_values(self):
        q = Osiiso.ThreadQueue(workers=1)
        with self.assertRaises(Osiiso.InvalidOptionError):
            q.map(square, range(3), retry_delay=-1)
        with self.assertRaises(Osiiso.InvalidOptionError):
            q.group([(square, 1), (identity, 2)], backoff=0)
        self.assertNothingSubmitted(q)

    def test_full_and_closed_queues(self):
        q = Osiiso.ThreadQueue(workers=1, size=3)
        with self.assertRaises(Osiiso.QueueFullError):
            q.map(square, range(4))
        self.assertEqual(q.pending_count, 0)
        group = q.map(square, range(3))
        with self.assertRaises(Osiiso.QueueFullError):
            q.group([(square, 1)])
        self.assertEqual(q.run().total, 3)
        self.assertEqual(group.values(), [0, 1, 4])
        q.shutdown()
        with self.assertRaises(Osiiso.ClosedError):
            q.map(square, [1])

    def test_arguments_that_cannot_reach_a_worker(self):
        q = Osiiso.ProcessQueue(workers=1)
        with self.assertRaisesRegex(TypeError, 'argument 1 of identity'):
            q.map(identity, [1, {2}, 3])
        with self.assertRaisesRegex(TypeError, 'keyword argument value of echo'):
            q.map(echo, [{'value': object()}])
        with self.assertRaisesRegex(TypeError, 'argument 2 of echo'):
            q.group([(square, 1), (echo, 1, bytearray(b'x'))])
        with self.assertRaisesRegex(TypeError, 'module-level'):
            q.map(lambda n: n, [1])
        with self.assertRaisesRegex(TypeError, 'module-level'):
            q.group([(square, 1), (lambda: 1,)])
        self.assertEqual(q.pending_count, 0)
        q.shutdown()

    def test_own_worker_argv(self):
        tool = os.environ.get('OSIISO_TEST_WORKER_TOOL')
        module = os.environ.get('OSIISO_TEST_WORKER_MODULE')
        if not tool or not module:
            self.skipTest('set OSIISO_TEST_WORKER_TOOL and OSIISO_TEST_WORKER_MODULE')
        q = Osiiso.ProcessQueue(worker_argv=[tool, module], workers=1)
        with self.assertRaisesRegex(TypeError, 'workers of its own'):
            q.map(square, [1])
        with self.assertRaisesRegex(TypeError, 'workers of its own'):
            q.group([(square, 1)])
        self.assertEqual(q.pending_count, 0)
        q.shutdown()

    def test_a_key_function_that_raises(self):
        def key(n):
            if n == 2:
                raise KeyError('no key for 2')
            return n

        q = Osiiso.ThreadQueue(workers=1)
        with self.assertRaises(KeyError):
            q.map(square, [1, 2, 3], checkpoint=Osiiso.Checkpoint(), key=key)
        self.assertNothingSubmitted(q)


# ---------------------------------------------------------------------------
# bound.map(), bound.group()
# ---------------------------------------------------------------------------

class BoundTasks(unittest.TestCase):

    def test_bound_map_and_group(self):
        q = Osiiso.ThreadQueue(workers=2)

        @q.task(priority=4, retries=1)
        def tripled(n):
            return 3 * n

        mapped = tripled.map(range(4))
        grouped = tripled.group([5, 6], group_id='bound')
        overridden = tripled.map([7], priority=9, name='seven')
        q.run()
        self.assertEqual(mapped.values(), [0, 3, 6, 9])
        self.assertEqual({(h.priority, h.name) for h in mapped}, {(4, 'tripled')})
        self.assertEqual((grouped.group_id, grouped.values()), ('bound', [15, 18]))
        self.assertEqual((overridden[0].priority, overridden[0].name), (9, 'seven'))
        with self.assertRaisesRegex(TypeError, r'Unknown task option\(s\): bogus'):
            tripled.map([1], bogus=1)

    def test_bound_map_on_a_process_queue(self):
        with Osiiso.ProcessQueue(workers=1) as q:
            bound = q.task(name='ident')(identity)
            group = bound.map([(1,), ([2],), ({'a': 1},)])
            values = group.values()
        self.assertEqual(values, [1, [2], {'a': 1}])
        self.assertEqual([h.name for h in group], ['ident'] * 3)

    def test_bound_map_with_a_checkpoint(self):
        checkpoint = Osiiso.Checkpoint()
        q = Osiiso.ThreadQueue(workers=1)
        bound = q.task()(square)
        bound.map(range(3), checkpoint=checkpoint)
        q.run()
        again = bound.group(range(4), checkpoint=checkpoint, group_id='again')
        q.run()
        self.assertEqual(checkpoint.namespaces(), ['square'])
        self.assertEqual((again.n_restored, again.values()), (3, [0, 1, 4, 9]))


# ---------------------------------------------------------------------------
# One-shot helpers
# ---------------------------------------------------------------------------

def recording(cls, made):
    """Makes queues of @cls (final types: no subclass) and records them."""
    def make(**settings):
        made.append(cls(**settings))
        return made[-1]
    return make


class OneShot(unittest.TestCase):

    def test_values_in_input_order(self):
        self.assertEqual(Osiiso.tmap(square, range(10), workers=3), [n * n for n in range(10)])
        self.assertEqual(Osiiso.amap(square, range(10)), [n * n for n in range(10)])
        self.assertEqual(Osiiso.pmap(square, range(10), workers=2), [n * n for n in range(10)])
        self.assertEqual(Osiiso.tmap(echo, [(1, 2), {'k': 'v'}]), [((1, 2), {}), ((), {'k': 'v'})])
        self.assertEqual(Osiiso.pmap(echo, [(1, 2), {'k': 'v'}]), [((1, 2), {}), ((), {'k': 'v'})])
        self.assertEqual(Osiiso.tmap(square, []), [])

    def test_settings_options_and_shutdown(self):
        for name, helper in (('ThreadQueue', Osiiso.tmap), ('AsyncQueue', Osiiso.amap),
                             ('ProcessQueue', Osiiso.pmap)):
            made = []
            with mock.patch.object(OVERRIDE, name, recording(getattr(OVERRIDE, name), made)):
                values = helper(identity, ['a', 'b'], workers=3, rate=500.0, priority=2, name='id')
            self.assertEqual(values, ['a', 'b'])
            q = made[0]
            self.assertEqual((q.props.workers, q.props.rate), (3, 500.0), name)
            self.assertTrue(q.closed, name)
            self.assertEqual({(r.priority, r.name) for r in q.results}, {(2, 'id')})

    def test_failures_raise_and_the_queue_is_shut_down(self):
        for name, helper in (('ThreadQueue', Osiiso.tmap), ('AsyncQueue', Osiiso.amap),
                             ('ProcessQueue', Osiiso.pmap)):
            made = []
            with mock.patch.object(OVERRIDE, name, recording(getattr(OVERRIDE, name), made)):
                with self.assertRaises(Osiiso.ExecutionError) as caught:
                    helper(fail_on_three, range(5))
                with self.assertRaisesRegex(TypeError, r'Unknown task option\(s\): colour'):
                    helper(square, [1], colour='blue')
            self.assertEqual(caught.exception.summary.values, [0, 10, 20, 40], name)
            self.assertIs(type(caught.exception.results[0].exception), ValueError)
            self.assertEqual(len(made), 2)
            self.assertTrue(all(q.closed for q in made), name)

    def test_a_run_timeout_cancels_the_rest(self):
        made = []
        with mock.patch.object(OVERRIDE, 'ThreadQueue', recording(OVERRIDE.ThreadQueue, made)):
            with self.assertRaises(Osiiso.ExecutionError) as caught:
                Osiiso.tmap(wait_until_cancelled, range(3), workers=1, timeout=0.2)
        self.assertEqual(caught.exception.summary.cancelled, 3)
        self.assertTrue(made[0].closed)

    def test_pmap_initializer(self):
        self.assertEqual(Osiiso.pmap(initialized, range(2), workers=1, initializer=initialize,
                                     initargs=('ready',)), [['ready'], ['ready']])

    def test_amap_with_completions(self):
        def later(n):
            done = Osiiso.Completion()
            GLib.idle_add(lambda: done.set_result(-n) and False)
            return done
        self.assertEqual(Osiiso.amap(later, range(4), workers=2), [0, -1, -2, -3])

    def test_checkpointed_helpers(self):
        runs = []

        def counted(n):
            runs.append(n)
            if n == 4:
                raise ValueError('four')
            return n * 2

        checkpoint = Osiiso.Checkpoint()
        with self.assertRaises(Osiiso.ExecutionError):
            Osiiso.tmap(counted, range(6), checkpoint=checkpoint, namespace='double')
        self.assertEqual(checkpoint.count('double'), 5)
        runs.clear()
        with self.assertRaises(Osiiso.ExecutionError):
            Osiiso.amap(counted, range(6), checkpoint=checkpoint, namespace='double')
        self.assertEqual(runs, [4])
        # pmap shares the records of the same namespace (by default the
        # function's qualified name).
        self.assertEqual(Osiiso.pmap(square, range(3), checkpoint=checkpoint), [0, 1, 4])
        self.assertEqual(Osiiso.tmap(square, range(5), checkpoint=checkpoint), [0, 1, 4, 9, 16])
        self.assertEqual(checkpoint.count('square'), 5)


# ---------------------------------------------------------------------------
# Checkpoints
# ---------------------------------------------------------------------------

class Checkpoints(TempDirTestCase):

    def test_restore_lines_up_with_failures_and_cancellations(self):
        checkpoint = Osiiso.Checkpoint(self.db())
        failing = {3}
        runs = []
        completed = []

        def work(n):
            runs.append(n)
            if n in failing:
                raise ValueError('no %d' % n)
            return {'n': n, 'tenfold': n * 10, 'pair': (n, str(n))}

        def expected(n):
            return {'n': n, 'tenfold': n * 10, 'pair': (n, str(n))}

        q = Osiiso.ThreadQueue(workers=1, on_complete=completed.append)
        first = q.map(work, range(8), checkpoint=checkpoint, namespace='work')
        first[5].cancel()                 # before the queue starts
        summary = q.run()
        self.assertEqual([h.status for h in first], ['succeeded'] * 3 + ['failed', 'succeeded', 'cancelled']
                         + ['succeeded'] * 2)
        self.assertEqual((summary.total, first.n_restored), (8, 0))
        self.assertEqual(sorted(runs), [0, 1, 2, 3, 4, 6, 7])
        self.assertEqual(checkpoint.count('work'), 6)          # only successes

        # Second run: 3 fails again, 5 runs now; the rest is restored.
        runs.clear()
        completed.clear()
        second = q.map(work, range(8), checkpoint=checkpoint, namespace='work')
        self.assertEqual(second.n_restored, 6)
        summary = q.run()
        self.assertEqual(sorted(runs), [3, 5])
        self.assertEqual(summary.total, 2)                     # restored tasks are left out
        self.assertEqual(sorted(r.name for r in completed), ['work', 'work'])   # no hooks for them
        with self.assertRaises(Osiiso.ExecutionError) as caught:
            second.values()
        self.assertEqual(str(caught.exception), '1 task(s) failed')
        statuses = [r.status for r in second.wait().results]
        self.assertEqual(statuses, ['succeeded'] * 3 + ['failed'] + ['succeeded'] * 4)
        restored = second[0]
        self.assertEqual((restored.attempts, restored.result().message), (0, 'restored from checkpoint'))
        self.assertTrue(same_types(restored.value(), expected(0)))
        self.assertEqual(second[5].attempts, 1)

        # Third run: everything lines up.
        failing.clear()
        runs.clear()
        third = q.map(work, range(8), checkpoint=checkpoint, namespace='work')
        q.run()
        self.assertEqual(runs, [3])
        values = third.values()
        self.assertEqual(len(values), 8)
        for n, value in enumerate(values):
            self.assertTrue(same_types(value, expected(n)), (n, value))
        self.assertEqual(list(third.as_completed())[-1].attempts, 1)   # restored ones come first

    def test_duplicate_inputs(self):
        checkpoint = Osiiso.Checkpoint(self.db())
        runs = []

        def counted(n):
            runs.append(n)
            return n + 0.5

        q = Osiiso.ThreadQueue(workers=2)
        first = q.map(counted, [1, 1, 2, 1], checkpoint=checkpoint)
        q.run()
        self.assertEqual(sorted(runs), [1, 1, 1, 2])           # all of them run
        self.assertEqual(checkpoint.count(None), 2)           # one row per distinct input
        self.assertEqual(first.values(), [1.5, 1.5, 2.5, 1.5])
        runs.clear()
        second = q.map(counted, [2, 1, 1, 3], checkpoint=checkpoint)
        q.run()
        self.assertEqual(runs, [3])
        self.assertEqual(second.values(), [2.5, 1.5, 1.5, 3.5])

    def test_default_namespace_and_keys(self):
        checkpoint = Osiiso.Checkpoint()
        q = Osiiso.ThreadQueue(workers=1)
        q.map(echo, [(1, 2), [1, 2], 5, 5.0, True, '5', {'b': 1, 'a': 2}, None],
              checkpoint=checkpoint)
        q.run()
        self.assertEqual(checkpoint.namespaces(), ['echo'])
        # The canonical key of to_variant(element): a tuple and a list are
        # different keys, as are 5, 5.0, True and '5'.
        self.assertEqual(checkpoint.count('echo'), 8)
        for element in ((1, 2), [1, 2], 5, 5.0, True, '5', {'a': 2, 'b': 1}, None):
            key = Osiiso.Checkpoint.canonical_key(Osiiso.to_variant(element))
            self.assertTrue(checkpoint.is_done('echo', key), element)

        def local(n):
            return n
        q.map(local, [1], checkpoint=checkpoint)
        q.run()
        self.assertIn(local.__qualname__, checkpoint.namespaces())
        self.assertTrue(local.__qualname__.endswith('<locals>.local'))

    def test_key_functions(self):
        checkpoint = Osiiso.Checkpoint()
        jobs = [{'id': 1, 'payload': 'a'}, {'id': 2, 'payload': 'b'}]
        runs = []

        def handle(id, payload):
            runs.append(id)
            return payload.upper()

        q = Osiiso.ThreadQueue(workers=1)
        q.map(handle, jobs, checkpoint=checkpoint, key=lambda job: 'job-%d' % job['id'])
        q.run()
        self.assertTrue(checkpoint.is_done(handle.__qualname__, 'job-1'))
        runs.clear()
        # The same ids with other payloads are the same keys: restored.
        again = q.map(handle, [{'id': 2, 'payload': 'z'}, {'id': 3, 'payload': 'c'}],
                      checkpoint=checkpoint, key=lambda job: 'job-%d' % job['id'])
        q.run()
        self.assertEqual((runs, again.values()), ([3], ['B', 'C']))
        # str() of whatever the key function returns.
        q.map(square, [4], checkpoint=checkpoint, key=lambda n: n * 100)
        q.run()
        self.assertTrue(checkpoint.is_done('square', '400'))

    def test_inputs_without_a_canonical_key(self):
        checkpoint = Osiiso.Checkpoint()

        class Thing:
            def __init__(self, name):
                self.name = name

        q = Osiiso.ThreadQueue(workers=1)
        for bad in ([1, Thing('x')], [{1, 2}], [(1, bytearray(b'x'))], [{'k': object()}]):
            with self.assertRaisesRegex(TypeError, r'pass key='):
                q.map(identity, bad, checkpoint=checkpoint)
        self.assertEqual(q.pending_count, 0)
        group = q.map(lambda thing: thing.name, [Thing('a'), Thing('b')], checkpoint=checkpoint,
                      namespace='things', key=lambda thing: thing.name)
        q.run()
        self.assertEqual((group.values(), checkpoint.count('things')), (['a', 'b'], 2))

    def test_heterogeneous_groups_need_a_stable_name(self):
        checkpoint = Osiiso.Checkpoint()
        q = Osiiso.ThreadQueue(workers=1)
        with self.assertRaisesRegex(ValueError, 'needs a stable name'):
            q.group([(square, 2), (identity, 'x')], checkpoint=checkpoint)
        self.assertEqual(q.pending_count, 0)
        by_namespace = q.group([(square, 2), (identity, 'x')], checkpoint=checkpoint, namespace='batch')
        by_id = q.group([(square, 3)], checkpoint=checkpoint, group_id='nightly')
        q.run()
        self.assertEqual(by_namespace.values(), [4, 'x'])
        self.assertEqual(by_id.values(), [9])
        self.assertEqual(checkpoint.namespaces(), ['batch', 'nightly'])
        key = Osiiso.Checkpoint.canonical_key(Osiiso.to_variant(('identity', ('x',))))
        self.assertTrue(checkpoint.is_done('batch', key))
        entries = []
        again = q.group([(square, 2), (square, 5), (identity, 'x')], checkpoint=checkpoint,
                        namespace='batch')
        keyed = q.group([(identity, 'y')], checkpoint=checkpoint, namespace='keyed',
                        key=lambda entry: entries.append(entry) or entry[1])
        q.run()
        self.assertEqual((again.n_restored, again.values()), (2, [4, 25, 'x']))
        self.assertEqual(entries, [(identity, 'y')])
        self.assertTrue(checkpoint.is_done('keyed', 'y'))
        self.assertEqual(keyed.values(), ['y'])

    def test_values_keep_their_types_through_the_store(self):
        checkpoint = Osiiso.Checkpoint(self.db())
        for kind, make in queue_kinds():
            q = make()
            inputs = [(value,) for value in VALUES]          # each value as the one argument
            first = q.map(identity, inputs, checkpoint=checkpoint, namespace=kind)
            q.run()
            second = q.map(identity, inputs, checkpoint=checkpoint, namespace=kind)
            self.assertEqual(second.n_restored, len(VALUES), kind)
            q.run()
            for value, fresh, restored in zip(VALUES, first.values(), second.values()):
                self.assertTrue(same_types(fresh, value), (kind, value, fresh))
                self.assertTrue(same_types(restored, value), (kind, value, restored))
            q.shutdown()
        self.assertEqual(checkpoint.count('thread'), len(VALUES))

    def test_variant_values_are_recorded_as_they_are(self):
        checkpoint = Osiiso.Checkpoint()

        def pair(n):
            return GLib.Variant('(ii)', (n, -n))

        q = Osiiso.ThreadQueue(workers=1)
        q.map(pair, [1], checkpoint=checkpoint)
        q.map(square, [7], checkpoint=checkpoint)
        q.run()
        key = Osiiso.Checkpoint.canonical_key(Osiiso.to_variant(1))
        hit = checkpoint.lookup(pair.__qualname__, [key])[key]
        self.assertEqual(hit.get_value().get_type_string(), '(ii)')
        key = Osiiso.Checkpoint.canonical_key(Osiiso.to_variant(7))
        stored = checkpoint.lookup('square', [key])[key].get_value()
        self.assertEqual(stored.get_type_string(), 'v')              # a Python value
        self.assertEqual(Osiiso.from_variant(stored), 49)
        again = q.map(pair, [1], checkpoint=checkpoint)
        q.run()
        self.assertEqual(again.values()[0].unpack(), (1, -1))
        self.assertEqual(again.values()[0].get_type_string(), '(ii)')

    def test_values_left_unstored(self):
        checkpoint = Osiiso.Checkpoint(self.db(), store_values=False)
        q = Osiiso.ThreadQueue(workers=1)
        q.map(square, [2, 3], checkpoint=checkpoint)
        q.run()
        again = q.map(square, [2, 3, 4], checkpoint=checkpoint)
        q.run()
        self.assertEqual(again.values(), [None, None, 16])
        self.assertEqual(again[0].result().message, 'restored from checkpoint (value not retained)')

    def test_unconvertible_values_are_not_recorded(self):
        # The library warns (a GLib warning, fatal in the other tests): a
        # child interpreter without G_DEBUG=fatal-warnings.
        script = r'''
import gi
gi.require_version('Osiiso', '1.0')
from gi.repository import Osiiso
runs = []
def make(n):
    runs.append(n)
    return {n} if n == 1 else n
checkpoint = Osiiso.Checkpoint()
for attempt in range(2):
    with Osiiso.ThreadQueue(workers=1) as q:
        values = q.map(make, [0, 1], checkpoint=checkpoint).values()
    assert values == [0, {1}], values
assert runs == [0, 1, 1], runs
assert checkpoint.count('make') == 1
print('ok')
'''
        env = dict(os.environ)
        env.pop('G_DEBUG', None)
        child = subprocess.run([sys.executable, '-c', script], env=env, capture_output=True, text=True,
                               timeout=GUARD)
        self.assertEqual((child.returncode, child.stdout.strip()), (0, 'ok'), child.stderr)
        self.assertEqual(child.stderr.count('not a GVariant: not recorded in the checkpoint'), 2,
                         child.stderr)

    def test_restored_tasks_take_no_room(self):
        checkpoint = Osiiso.Checkpoint()
        q = Osiiso.ThreadQueue(workers=1, size=2)
        q.map(square, [1, 2], checkpoint=checkpoint)
        q.run()
        group = q.map(square, [1, 2, 3, 4], checkpoint=checkpoint)     # only 2 to run
        q.run()
        self.assertEqual(group.values(), [1, 4, 9, 16])

    def test_bad_checkpoint_arguments(self):
        q = Osiiso.ThreadQueue(workers=1)
        with self.assertRaisesRegex(TypeError, 'Osiiso.Checkpoint'):
            q.map(square, [1], checkpoint=self.db())
        with self.assertRaisesRegex(TypeError, 'need checkpoint='):
            q.map(square, [1], key=str)
        with self.assertRaisesRegex(TypeError, 'need checkpoint='):
            q.group([(square, 1)], namespace='x')
        with self.assertRaisesRegex(TypeError, 'key must be a function'):
            q.map(square, [1], checkpoint=Osiiso.Checkpoint(), key='id')
        with self.assertRaisesRegex(TypeError, 'namespace'):
            q.map(square, [1], checkpoint=Osiiso.Checkpoint(), namespace='')
        closed = Osiiso.Checkpoint()
        closed.close()
        with self.assertRaises(Osiiso.ClosedError):
            q.map(square, [1], checkpoint=closed)
        self.assertEqual(q.pending_count, 0)

    def test_the_checkpoint_class(self):
        with Osiiso.Checkpoint(self.db('ctx.db')) as checkpoint:
            self.assertFalse(checkpoint.closed)
            checkpoint.record('ns', 'k', GLib.Variant('s', 'v'))
            self.assertEqual(repr(checkpoint), 'Checkpoint(%r)' % self.db('ctx.db'))
        self.assertTrue(checkpoint.closed)
        with self.assertRaisesRegex(Osiiso.ClosedError, 'closed'):
            checkpoint.count('ns')
        with self.assertRaises(Osiiso.CheckpointError):
            Osiiso.Checkpoint(os.path.join(self.tmpdir, 'missing', 'dir', 'x.db'))
        reopened = Osiiso.Checkpoint.new(self.db('ctx.db'))
        self.assertIsInstance(reopened, Osiiso.Checkpoint)
        self.assertEqual(reopened.count('ns'), 1)
        reopened.close()


# ---------------------------------------------------------------------------
# A checkpointed map killed part-way, resumed by a second run
# ---------------------------------------------------------------------------

KILLED_MAP = r'''
import json, sys, threading
import gi
gi.require_version('Osiiso', '1.0')
from gi.repository import Osiiso

path, gated = sys.argv[1], sys.argv[2] == 'gated'
ran = []
never = threading.Event()

def measure(n):
    ran.append(n)
    if gated and n >= 100:
        never.wait(120)       # the first run is killed while these block
    return {'n': n, 'square': n * n, 'tag': ('x', str(n)), 'big': n ** 25}

with Osiiso.Checkpoint(path) as checkpoint:
    with Osiiso.ThreadQueue(workers=2) as q:
        group = q.map(measure, range(200), checkpoint=checkpoint)
        values = group.values()
print(json.dumps({'ran': sorted(ran), 'restored': group.n_restored, 'values': repr(values)}))
'''


class KilledMap(TempDirTestCase):

    def wait_for_count(self, checkpoint, namespace, n, child):
        """Waits, event-driven, until @checkpoint holds @n rows of
        @namespace: the directory monitor wakes this thread whenever the
        child writes to the database."""
        monitor = Gio.File.new_for_path(self.tmpdir).monitor_directory(Gio.FileMonitorFlags.NONE, None)
        monitor.set_rate_limit(10)
        events = []
        monitor.connect('changed', lambda *args: events.append(args[3]))
        try:
            iterate_until(lambda: checkpoint.count(namespace) >= n or child.poll() is not None,
                          '%d records of the child' % n)
        finally:
            monitor.cancel()
        self.assertIsNone(child.poll(), 'the child ended early')
        self.assertTrue(events)

    def test_killed_run_resumes(self):
        path = self.db()
        first = subprocess.Popen([sys.executable, '-c', KILLED_MAP, path, 'gated'],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            checkpoint = Osiiso.Checkpoint(path)
            self.wait_for_count(checkpoint, 'measure', 100, first)
        finally:
            first.send_signal(signal.SIGKILL)
            first.communicate(timeout=GUARD)
        self.assertEqual(first.returncode, -signal.SIGKILL)
        done_before = checkpoint.count('measure')
        self.assertEqual(done_before, 100)                    # the gated inputs never finished
        checkpoint.close()

        second = subprocess.run([sys.executable, '-c', KILLED_MAP, path, 'free'],
                                capture_output=True, text=True, timeout=GUARD * 2)
        self.assertEqual(second.returncode, 0, second.stderr)
        outcome = json.loads(second.stdout)
        self.assertEqual(outcome['ran'], list(range(100, 200)))   # only the missing inputs
        self.assertEqual(outcome['restored'], 100)
        expected = [{'n': n, 'square': n * n, 'tag': ('x', str(n)), 'big': n ** 25} for n in range(200)]
        self.assertEqual(outcome['values'], repr(expected))     # all 200, in order, types kept
        with Osiiso.Checkpoint(path) as checkpoint:
            self.assertEqual(checkpoint.count('measure'), 200)


if __name__ == '__main__':
    check_override()
    unittest.main(verbosity=2)

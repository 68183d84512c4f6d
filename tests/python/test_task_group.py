#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""OsiisoTaskGroup, Queue.map() and friends through raw introspection
(PyGObject, no override).

Task functions are plain Python functions ``fn(ctx, user_data)`` returning
True; a map task reads its element with ``ctx.get_input()`` (a
GLib.Variant), or ``ctx.get_input_object()`` for map_objects(), and its
position with ``ctx.get_index()``. Thread-queue tasks run on worker
threads, async-queue tasks on the main context (they complete with
``ctx.return_value()``), process-queue tasks in the C test worker
(tests/worker-module.c through osiiso-worker, from OSIISO_TEST_WORKER_TOOL
and OSIISO_TEST_WORKER_MODULE).

Rules followed throughout (see reference/toolchain.md, pitfalls 4, 5, 18):

- nothing is asserted inside a signal handler, task function or async
  callback: they record what they saw, and the test asserts afterwards;
- errors are matched with ``e.matches(Osiiso.error_quark(), code)``;
- synchronisation waits on events (a blocking wait, a main loop, a
  ``threading.Event`` per task that the test opens in the order it wants
  the tasks to finish), never on a sleep; every wait has a generous bound,
  so a broken library fails a test instead of hanging it;
- a check that may crash the interpreter runs in child interpreters.
"""

import os
import select
import subprocess
import sys
import threading
import time
import unittest

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Osiiso', '1.0')

from gi.repository import GLib, Gio, Osiiso  # noqa: E402
from osiiso_test_support import is_cancelled_error, is_osiiso_error, options  # noqa: E402


# Upper bound for anything that should take well under a second: the test
# machine has 2 shared cores, so margins are wide.
GUARD = 20.0

TEST_DOMAIN = 'osiiso-python-test-error'

S = Osiiso.TaskStatus


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def thread_queue(**props):
    props.setdefault('workers', 2)
    return Osiiso.ThreadQueue(**props)


def ints(values):
    return GLib.Variant('ax', list(values))


def square(ctx, data):
    """Squares its int64 input."""
    n = ctx.get_input().get_int64()
    ctx.set_value(n * n)
    return True


def gated_square(gates):
    """Squares its input once the gate of its index is open (bounded)."""
    def fn(ctx, data):
        if not gates[ctx.get_index()].wait(GUARD):
            raise GLib.Error('gate never opened', TEST_DOMAIN, 98)
        n = ctx.get_input().get_int64()
        ctx.set_value(n * n)
        return True
    return fn


def square_failing_on(bad):
    """Squares its input; fails with a GLib.Error for inputs in @bad."""
    def fn(ctx, data):
        n = ctx.get_input().get_int64()
        if n in bad:
            raise GLib.Error('no square for %d' % n, TEST_DOMAIN, 7)
        ctx.set_value(n * n)
        return True
    return fn


def run_loop_until(predicate, guard=GUARD):
    """Iterates the default main context until @predicate() holds; False
    when the guard fires first."""
    fired = []

    def on_guard():
        fired.append(True)
        return GLib.SOURCE_REMOVE

    guard_id = GLib.timeout_add(int(guard * 1000), on_guard)
    context = GLib.MainContext.default()
    while not predicate() and not fired:
        context.iteration(True)
    if not fired:
        GLib.source_remove(guard_id)
    return predicate()


def completion_order(group):
    """The indices of the group's tasks in completion order (all done)."""
    handles = [group.get_handle(i) for i in range(group.get_size())]
    order = []
    for n in range(group.get_size()):
        h = group.wait_completed(n, GUARD, None)
        order.append(next(i for i, x in enumerate(handles) if x is h))
    return order


class GroupTestCase(unittest.TestCase):

    def assertOsiisoError(self, error, code):
        self.assertTrue(is_osiiso_error(error, code),
                        'expected %s, got %s: %s' % (
                            Osiiso.Error(code).value_nick,
                            getattr(error, 'domain', None), error))

    def assertRaisesOsiiso(self, code, fn, *args, **kwargs):
        with self.assertRaises(GLib.Error) as cm:
            fn(*args, **kwargs)
        self.assertOsiisoError(cm.exception, code)
        return cm.exception

    def statuses(self, group):
        return [group.get_status(i) for i in range(group.get_size())]


# --------------------------------------------------------------------------
# map on the thread and async queues
# --------------------------------------------------------------------------

class MapTests(GroupTestCase):

    def test_thread_map_values_in_input_order(self):
        # Task 0 holds one of the two workers until the last input's task
        # has run, so it finishes (nearly) last: completion order differs
        # from input order, values do not.
        n = 40
        last_ran = threading.Event()
        seen = []

        def fn(ctx, data):
            i = ctx.get_index()
            seen.append((i, ctx.get_input().get_int64(), data))
            if i == 0 and not last_ran.wait(GUARD):
                raise GLib.Error('the last task never ran', TEST_DOMAIN, 98)
            if i == n - 1:
                last_ran.set()
            ctx.set_value('v%d' % ctx.get_input().get_int64())
            return True

        q = thread_queue(workers=2)
        inputs = [100 + i for i in range(n)]
        g = q.map(fn, 'shared', ints(inputs), None)
        self.assertIsInstance(g, Osiiso.TaskGroup)
        self.assertTrue(g.get_id().startswith('group-'))
        self.assertEqual(g.get_size(), n)
        self.assertTrue(g.get_submitted())
        summary = q.run(None)
        self.assertEqual(summary.get_succeeded(), n)

        self.assertEqual(g.get_values(GUARD, None), ['v%d' % x for x in inputs])
        self.assertEqual(sorted(seen), [(i, 100 + i, 'shared') for i in range(n)])
        self.assertEqual(g.get_n_completed(), n)
        self.assertEqual(self.statuses(g), [S.SUCCEEDED] * n)
        order = completion_order(g)
        self.assertEqual(sorted(order), list(range(n)))
        self.assertEqual(order[0], 1)
        self.assertEqual(set(order[-2:]), {0, n - 1})
        # Every result carries the group's id and lines up with its input.
        for i in range(n):
            result = g.get_result(i)
            self.assertEqual(result.get_group_id(), g.get_id())
            self.assertEqual(result.get_value(), 'v%d' % inputs[i])

    def test_map_over_strings_and_tuples(self):
        q = thread_queue()

        def describe(ctx, data):
            v = ctx.get_input()
            ctx.set_value('%s:%r' % (v.get_type_string(), v.unpack()))
            return True

        strings = q.map(describe, None, GLib.Variant('as', ['a', 'bb', '']), None)
        tuples = q.map(describe, None, GLib.Variant('a(si)', [('x', 1), ('y', 2)]), None)
        empty = q.map(describe, None, GLib.Variant('as', []), None)
        q.run(None)
        self.assertEqual(strings.get_values(GUARD, None), ["s:'a'", "s:'bb'", "s:''"])
        self.assertEqual(tuples.get_values(GUARD, None), ["(si):('x', 1)", "(si):('y', 2)"])
        self.assertEqual(empty.get_size(), 0)
        self.assertEqual(empty.get_n_items(), 0)
        self.assertEqual(empty.get_values(GUARD, None), [])
        self.assertEqual(empty.wait(GUARD, None).get_total(), 0)

    def test_map_options_apply_to_every_task(self):
        q = thread_queue()
        names = []

        def fn(ctx, data):
            names.append(ctx.get_name())
            ctx.set_value(ctx.get_index())
            return True

        g = q.map(fn, None, ints(range(3)), options(name='same', group_id='chosen'))
        q.run(None)
        self.assertEqual(g.get_id(), 'chosen')
        self.assertEqual(names, ['same'] * 3)
        self.assertEqual(g.get_values(GUARD, None), [0, 1, 2])
        self.assertEqual({g.get_result(i).get_group_id() for i in range(3)}, {'chosen'})

    def test_async_queue_map_completed_out_of_order(self):
        # Each start function keeps its context; once all four have
        # started, they are completed in reverse input order.
        q = Osiiso.AsyncQueue(workers=4)
        started = []

        def start(ctx, data):
            started.append(ctx)
            if len(started) == 4:
                def complete_all():
                    for c in reversed(started):
                        n = c.get_input().get_int64()
                        c.return_value(n * 10)
                    return GLib.SOURCE_REMOVE
                GLib.idle_add(complete_all)
            return True

        g = q.map(start, None, ints([1, 2, 3, 4]), None)
        summary = q.run(None)
        self.assertEqual(summary.get_succeeded(), 4)
        self.assertEqual(g.get_values(GUARD, None), [10, 20, 30, 40])
        self.assertEqual(completion_order(g), [3, 2, 1, 0])
        self.assertEqual([c.get_index() for c in started], [0, 1, 2, 3])

    def test_map_objects_over_a_list_store(self):
        store = Gio.ListStore.new(Gio.SimpleAction)
        actions = [Gio.SimpleAction.new(name, None) for name in ('a', 'bb', 'ccc', 'dddd')]
        for action in actions:
            store.append(action)
        seen = []

        def fn(ctx, data):
            obj = ctx.get_input_object()
            seen.append((ctx.get_index(), obj.get_name(), ctx.get_input()))
            ctx.set_value(obj)
            return True

        q = thread_queue()
        g = q.map_objects(fn, None, store, None)
        store.remove_all()   # the group took the items when it was made
        store.append(Gio.SimpleAction.new('late', None))
        self.assertEqual(g.get_size(), 4)
        q.run(None)
        values = g.get_values(GUARD, None)
        self.assertEqual(len(values), 4)
        for value, action in zip(values, actions):
            self.assertIs(value, action)
        self.assertEqual(sorted(seen), [(0, 'a', None), (1, 'bb', None),
                                        (2, 'ccc', None), (3, 'dddd', None)])

    def test_map_objects_on_the_async_queue(self):
        store = Gio.ListStore.new(Gio.SimpleAction)
        for name in ('x', 'yy'):
            store.append(Gio.SimpleAction.new(name, None))

        def fn(ctx, data):
            ctx.return_value(ctx.get_input_object().get_name().upper())
            return True

        q = Osiiso.AsyncQueue(workers=2)
        g = q.map_objects(fn, None, store, None)
        q.run(None)
        self.assertEqual(g.get_values(GUARD, None), ['X', 'YY'])


# --------------------------------------------------------------------------
# Groups of different functions
# --------------------------------------------------------------------------

class HeterogeneousGroupTests(GroupTestCase):

    def test_different_functions_and_inputs(self):
        def echo_data(ctx, data):
            ctx.set_value(data)
            return True

        def upper(ctx, data):
            ctx.set_value(ctx.get_input().get_string().upper())
            return True

        indices = []

        def record_index(ctx, data):
            indices.append(ctx.get_index())
            ctx.set_value(ctx.get_input() is None)
            return True

        g = Osiiso.TaskGroup.new('mixed')
        self.assertEqual(g.get_id(), 'mixed')
        self.assertEqual(g.props.id, 'mixed')
        self.assertFalse(g.get_submitted())
        self.assertEqual(g.add(square, None, GLib.Variant('x', 7), None), 0)
        self.assertEqual(g.add(echo_data, 'text', None, options(name='labelled', group_id='other')), 1)
        self.assertEqual(g.add_map(upper, None, GLib.Variant('as', ['a', 'b']), None), 2)
        self.assertEqual(g.add(record_index, None, None, None), 4)
        self.assertEqual(g.get_size(), 5)

        q = thread_queue()
        q.submit_group(g)
        self.assertTrue(g.get_submitted())
        q.run(None)
        self.assertEqual(g.get_values(GUARD, None), [49, 'text', 'A', 'B', True])
        self.assertEqual(indices, [4])
        # The group's id wins over the options'; the other options stay.
        for i in range(5):
            self.assertEqual(g.get_result(i).get_group_id(), 'mixed')
            self.assertEqual(g.get_handle(i).get_group_id(), 'mixed')
        self.assertEqual(g.get_result(1).get_name(), 'labelled')
        summary = g.wait(GUARD, None)
        self.assertEqual(len(summary.lookup_by_group('mixed')), 5)

    def test_fresh_ids(self):
        a = Osiiso.TaskGroup.new(None)
        b = Osiiso.TaskGroup()
        self.assertTrue(a.get_id().startswith('group-'))
        self.assertTrue(b.get_id().startswith('group-'))
        self.assertNotEqual(a.get_id(), b.get_id())


# --------------------------------------------------------------------------
# The GListModel
# --------------------------------------------------------------------------

class ListModelTests(GroupTestCase):
    """A GTK-free check that the group behaves as a GListModel must."""

    def test_items_changed_once_at_submission(self):
        g = Osiiso.TaskGroup.new('pictures')
        g.add(square, None, GLib.Variant('x', 1), None)
        g.add_map(square, None, ints([2, 3]), None)
        self.assertIsInstance(g, Gio.ListModel)
        self.assertEqual(g.get_item_type(), Osiiso.TaskHandle.__gtype__)

        changes = []
        notified = []
        g.connect('items-changed', lambda m, pos, removed, added:
                  changes.append((pos, removed, added, m.get_n_items())))
        g.connect('notify::n-items', lambda m, pspec: notified.append(m.props.n_items))

        # Nothing before submission.
        self.assertEqual(g.get_n_items(), 0)
        self.assertEqual(g.props.n_items, 0)
        self.assertEqual(len(g), 0)
        self.assertIsNone(g.get_item(0))
        self.assertEqual(changes, [])

        q = thread_queue(workers=1)
        started = []
        completed_ids = []
        q.connect('task-started', lambda q_, h: started.append(h))
        q.connect('task-completed', lambda q_, r: completed_ids.append(r.get_task_id()))
        q.submit_group(g)

        # Exactly one items-changed (0, 0, 3), emitted with the items there.
        self.assertEqual(changes, [(0, 0, 3, 3)])
        self.assertEqual(notified, [3])
        self.assertEqual(g.get_n_items(), 3)
        self.assertEqual(len(g), 3)
        self.assertIsNone(g.get_item(3))
        self.assertIsNone(g.get_item(1000))
        handles = [g.get_item(i) for i in range(3)]
        for i, h in enumerate(handles):
            self.assertIsInstance(h, Osiiso.TaskHandle)
            self.assertIs(g.get_item(i), h)          # the same object each time
            self.assertIs(g.get_handle(i), h)
            self.assertIs(g[i], h)
            self.assertEqual(h.get_group_id(), 'pictures')
        self.assertEqual(list(g), handles)
        self.assertEqual(len({h.get_id() for h in handles}), 3)

        summary = q.run(None)
        self.assertEqual(summary.get_succeeded(), 3)
        # The queue's signals carried the group's own handles.
        self.assertEqual(len(started), 3)
        for h in started:
            self.assertTrue(any(h is x for x in handles), '%r is not a group handle' % h)
        self.assertEqual(sorted(completed_ids), sorted(h.get_id() for h in handles))
        for i, h in enumerate(handles):
            self.assertEqual(h.get_status(), S.SUCCEEDED)
            self.assertEqual(h.get_result().get_value(), (i + 1) ** 2)
        # The items never change afterwards.
        g.wait(GUARD, None)
        self.assertEqual(changes, [(0, 0, 3, 3)])
        self.assertEqual(notified, [3])

    def test_handle_status_notifies_live(self):
        # What a list row binds to: notify::status on the group's handle.
        gate = threading.Event()
        g = Osiiso.TaskGroup.new(None)
        g.add(gated_square([gate]), None, GLib.Variant('x', 5), None)
        q = thread_queue(workers=1)
        q.submit_group(g)
        h = g.get_item(0)
        statuses = []
        h.connect('notify::status', lambda obj, pspec: statuses.append(obj.get_status()))
        q.start()
        self.assertTrue(run_loop_until(lambda: S.RUNNING in statuses))
        gate.set()
        self.assertEqual(g.wait(GUARD, None).get_succeeded(), 1)
        self.assertTrue(run_loop_until(lambda: S.SUCCEEDED in statuses))
        self.assertEqual(statuses[-1], S.SUCCEEDED)
        self.assertLess(statuses.index(S.RUNNING), statuses.index(S.SUCCEEDED))
        q.shutdown(False, None)

    def test_refused_group_stays_empty(self):
        q = thread_queue(size=1)
        g = Osiiso.TaskGroup.new(None)
        g.add_map(square, None, ints([1, 2]), None)
        changes = []
        g.connect('items-changed', lambda *args: changes.append(args[1:]))
        self.assertRaisesOsiiso(Osiiso.Error.FULL, q.submit_group, g)
        self.assertEqual(changes, [])
        self.assertEqual(g.get_n_items(), 0)
        self.assertIsNone(g.get_item(0))


# --------------------------------------------------------------------------
# Atomic admission
# --------------------------------------------------------------------------

class AdmissionTests(GroupTestCase):

    def setUp(self):
        self.ran = []

    def recorder(self, tag):
        def fn(ctx, data):
            self.ran.append(tag)
            return True
        return fn

    def test_full_queue_takes_nothing(self):
        q = thread_queue(workers=1, size=5)
        for i in range(3):
            q.submit(self.recorder('before-%d' % i), None, None)

        too_big = Osiiso.TaskGroup.new('too-big')
        too_big.add_map(self.recorder('too-big'), None, ints(range(3)), None)
        e = self.assertRaisesOsiiso(Osiiso.Error.FULL, q.submit_group, too_big)
        self.assertIn('too-big', e.message)
        self.assertEqual(q.get_pending(), 3)
        self.assertFalse(too_big.get_submitted())
        self.assertRaisesOsiiso(Osiiso.Error.FULL, q.map, self.recorder('map'), None,
                                ints(range(3)), None)
        self.assertEqual(q.get_pending(), 3)

        # What fits goes in whole.
        fits = q.map(self.recorder('fits'), None, ints(range(2)), None)
        self.assertEqual(q.get_pending(), 5)
        summary = q.run(None)
        self.assertEqual(summary.get_total(), 5)
        self.assertEqual(sorted(self.ran), ['before-0', 'before-1', 'before-2', 'fits', 'fits'])
        self.assertEqual(self.statuses(fits), [S.SUCCEEDED] * 2)
        # The refused group was never run and can still go elsewhere.
        self.assertEqual(self.statuses(too_big), [S.PENDING] * 3)
        other = thread_queue()
        other.submit_group(too_big)
        other.run(None)
        self.assertEqual(self.ran.count('too-big'), 3)

    def test_one_invalid_options_entry_refuses_the_group(self):
        q = thread_queue(workers=1)
        g = Osiiso.TaskGroup.new(None)
        g.add(self.recorder('valid'), None, None, None)
        g.add(self.recorder('invalid'), None, None, options(retries=-3))
        g.add(self.recorder('valid-after'), None, None, None)
        self.assertRaisesOsiiso(Osiiso.Error.INVALID_OPTION, q.submit_group, g)
        self.assertEqual(q.get_pending(), 0)
        self.assertFalse(g.get_submitted())
        self.assertRaisesOsiiso(Osiiso.Error.INVALID_OPTION, q.map, self.recorder('map'), None,
                                ints(range(2)), options(retries=-1))
        self.assertEqual(q.run(None).get_total(), 0)
        self.assertEqual(self.ran, [])

    def test_map_inputs_must_be_an_array(self):
        q = thread_queue(workers=1)
        for inputs in (GLib.Variant('i', 3), GLib.Variant('s', 'abc'),
                       GLib.Variant('(ii)', (1, 2))):
            e = self.assertRaisesOsiiso(Osiiso.Error.INVALID_OPTION, q.map,
                                        self.recorder('map'), None, inputs, None)
            self.assertIn(inputs.get_type_string(), e.message)
            g = Osiiso.TaskGroup.new(None)
            g.add(self.recorder('single'), None, None, None)
            g.add_map(self.recorder('map'), None, inputs, None)
            self.assertRaisesOsiiso(Osiiso.Error.INVALID_OPTION, q.submit_group, g)
        self.assertEqual(q.get_pending(), 0)
        self.assertEqual(q.run(None).get_total(), 0)
        self.assertEqual(self.ran, [])

    def test_commands_and_calls_are_refused_by_a_thread_queue(self):
        q = thread_queue(workers=1)
        for add in (lambda g: g.add_command(['true'], None, None, None, None),
                    lambda g: g.add_call('echo', GLib.Variant('i', 1), None),
                    lambda g: g.add_map_call('echo', ints([1, 2]), None)):
            g = Osiiso.TaskGroup.new(None)
            g.add(self.recorder('function'), None, None, None)
            add(g)
            self.assertRaisesOsiiso(Osiiso.Error.INVALID_OPTION, q.submit_group, g)
            self.assertFalse(g.get_submitted())
        self.assertEqual(q.get_pending(), 0)
        self.assertEqual(self.ran, [])
        async_q = Osiiso.AsyncQueue(workers=1)
        g = Osiiso.TaskGroup.new(None)
        g.add_command(['true'], None, None, None, None)
        self.assertRaisesOsiiso(Osiiso.Error.INVALID_OPTION, async_q.submit_group, g)
        self.assertEqual(async_q.get_pending(), 0)

    def test_a_group_is_submitted_once(self):
        q = thread_queue(workers=1)
        g = q.map(self.recorder('once'), None, ints(range(2)), None)
        self.assertRaisesOsiiso(Osiiso.Error.INVALID_OPTION, q.submit_group, g)
        other = thread_queue(workers=1)
        self.assertRaisesOsiiso(Osiiso.Error.INVALID_OPTION, other.submit_group, g)
        self.assertEqual(other.get_pending(), 0)
        self.assertEqual(q.get_pending(), 2)
        q.run(None)
        self.assertEqual(self.ran, ['once', 'once'])

    def test_closed_queue_takes_nothing(self):
        q = thread_queue(workers=1)
        q.shutdown(False, None)
        g = Osiiso.TaskGroup.new(None)
        g.add(self.recorder('closed'), None, None, None)
        self.assertRaisesOsiiso(Osiiso.Error.CLOSED, q.submit_group, g)
        self.assertFalse(g.get_submitted())

    def test_waiting_on_a_group_never_submitted(self):
        g = Osiiso.TaskGroup.new(None)
        g.add(self.recorder('never'), None, None, None)
        self.assertRaisesOsiiso(Osiiso.Error.NOT_READY, g.wait, 1, None)
        self.assertRaisesOsiiso(Osiiso.Error.NOT_READY, g.get_values, 1, None)
        self.assertEqual(g.get_n_completed(), 0)
        self.assertEqual(g.cancel(), 0)


# --------------------------------------------------------------------------
# Values and errors
# --------------------------------------------------------------------------

class ValuesTests(GroupTestCase):

    def test_failed_and_cancelled_tasks_keep_their_place(self):
        q = thread_queue(workers=1)
        g = q.map(square_failing_on({1, 5}), None, ints(range(7)), None)
        g.get_handle(3).cancel()
        summary = q.run(None)
        self.assertEqual(summary.get_failed(), 2)
        self.assertEqual(summary.get_cancelled(), 1)

        with self.assertRaises(GLib.Error) as cm:
            g.get_values(GUARD, None)
        self.assertOsiisoError(cm.exception, Osiiso.Error.EXECUTION)
        self.assertEqual(cm.exception.message, '2 task(s) failed; 1 task(s) cancelled')

        waited = g.wait(GUARD, None)
        results = waited.get_results()
        self.assertEqual(waited.get_total(), 7)
        self.assertEqual([r.get_task_id() for r in results],
                         [g.get_handle(i).get_id() for i in range(7)])
        expected = [S.SUCCEEDED, S.FAILED, S.SUCCEEDED, S.CANCELLED,
                    S.SUCCEEDED, S.FAILED, S.SUCCEEDED]
        self.assertEqual([r.get_status() for r in results], expected)
        self.assertEqual(self.statuses(g), expected)
        self.assertEqual([r.get_value() for r in results],
                         [0, None, 4, None, 16, None, 36])
        self.assertEqual(results[1].get_error().message, 'no square for 1')
        self.assertEqual(results[1].get_error().domain, TEST_DOMAIN)
        self.assertEqual(results[5].get_error().code, 7)
        self.assertTrue(is_cancelled_error(results[3].get_error()))
        self.assertFalse(waited.get_ok())

    def test_restored_failed_and_cancelled_keep_their_place(self):
        # A checkpoint restores the inputs that succeeded before: they do
        # not run, yet values and results still line up with the inputs.
        checkpoint = Osiiso.Checkpoint.new(':memory:')
        ran = []

        def fn(ctx, data):
            n = ctx.get_input().get_int64()
            ran.append(n)
            if n == 7:
                raise GLib.Error('seven fails', TEST_DOMAIN, 7)
            ctx.set_value(GLib.Variant('x', n * n))
            return True

        def group(inputs):
            g = Osiiso.TaskGroup.new(None)
            g.set_checkpoint(checkpoint, 'squares', None, None)
            g.add_map(fn, None, ints(inputs), None)
            return g

        q = thread_queue(workers=1)
        first = group([1, 2, 3])
        q.submit_group(first)
        q.run(None)
        self.assertEqual([v.get_int64() for v in first.get_values(GUARD, None)], [1, 4, 9])
        self.assertEqual(first.get_n_restored(), 0)

        ran.clear()
        second = group([4, 2, 7, 1, 5, 3, 6])
        q = thread_queue(workers=1)   # not started: the cancel comes first
        q.submit_group(second)
        second.get_handle(6).cancel()
        summary = q.run(None)
        self.assertEqual(second.get_n_restored(), 3)
        self.assertEqual(sorted(ran), [4, 5, 7])
        self.assertEqual(summary.get_total(), 4)   # restored tasks are not in run summaries
        self.assertRaisesOsiiso(Osiiso.Error.EXECUTION, second.get_values, GUARD, None)
        results = second.wait(GUARD, None).get_results()
        self.assertEqual([r.get_status() for r in results],
                         [S.SUCCEEDED, S.SUCCEEDED, S.FAILED, S.SUCCEEDED, S.SUCCEEDED,
                          S.SUCCEEDED, S.CANCELLED])
        self.assertEqual([r.get_value() and r.get_value().get_int64() for r in results],
                         [16, 4, None, 1, 25, 9, None])
        self.assertEqual([r.get_attempts() for r in results], [1, 0, 1, 0, 1, 0, 0])
        self.assertEqual(results[1].get_message(), 'restored from checkpoint')
        self.assertEqual({r.get_group_id() for r in results}, {second.get_id()})
        checkpoint.close()

    def test_only_cancelled_is_an_error_too(self):
        q = thread_queue(workers=1)
        g = q.map(square, None, ints(range(4)), None)
        self.assertEqual(g.cancel(), 4)
        self.assertEqual(g.cancel(), 0)
        q.run(None)
        e = self.assertRaisesOsiiso(Osiiso.Error.EXECUTION, g.get_values, GUARD, None)
        self.assertIn('4 task(s) cancelled', e.message)
        self.assertEqual(self.statuses(g), [S.CANCELLED] * 4)

    def test_python_exception_fails_its_task(self):
        def fn(ctx, data):
            if ctx.get_index() == 2:
                raise ValueError('not a GLib.Error')
            ctx.set_value(ctx.get_index())
            return True

        q = thread_queue(workers=1)
        g = q.map(fn, None, ints(range(4)), None)
        q.run(None)
        self.assertRaisesOsiiso(Osiiso.Error.EXECUTION, g.get_values, GUARD, None)
        self.assertEqual(self.statuses(g),
                         [S.SUCCEEDED, S.SUCCEEDED, S.FAILED, S.SUCCEEDED])

    def test_values_of_tasks_without_a_value(self):
        # A task that set no value gives None. (Fixed library problem: the
        # values were a GPtrArray of GValue with unset GValues, which
        # PyGObject 3.42 could not convert, or crashed on.) Run in child
        # interpreters, since it crashed.
        script = """
import sys, gi
gi.require_version('Osiiso', '1.0')
from gi.repository import GLib, Osiiso
def fn(ctx, data):
    if ctx.get_index() in {int(i) for i in sys.argv[1:]}:
        ctx.set_value(ctx.get_index())
    return True
q = Osiiso.ThreadQueue(workers=1)
g = q.map(fn, None, GLib.Variant('ax', [0, 1, 2]), None)
q.run(None)
print(g.get_values(10, None))
"""
        outcomes = []
        for with_value in (['1'], []):
            child = subprocess.run([sys.executable, '-c', script] + with_value,
                                   capture_output=True, text=True, timeout=4 * GUARD)
            outcomes.append((child.returncode, child.stdout.strip(), child.stderr[-300:]))
        self.assertEqual([o[:2] for o in outcomes],
                         [(0, '[None, 1, None]'), (0, '[None, None, None]')],
                         'child outcomes: %s' % outcomes)


# --------------------------------------------------------------------------
# Waiting
# --------------------------------------------------------------------------

class WaitTests(GroupTestCase):

    def setUp(self):
        self.queues = []

    def tearDown(self):
        for q in self.queues:
            q.shutdown(True, None)

    def started_queue(self, workers):
        q = thread_queue(workers=workers)
        q.start()
        self.queues.append(q)
        return q

    def test_wait_with_a_timeout(self):
        q = self.started_queue(1)
        gate = threading.Event()
        g = q.map(gated_square([gate, gate]), None, ints([3, 4]), None)

        before = time.monotonic()
        self.assertRaisesOsiiso(Osiiso.Error.TIMEOUT, g.wait, 0.1, None)
        self.assertGreaterEqual(time.monotonic() - before, 0.09)
        self.assertRaisesOsiiso(Osiiso.Error.TIMEOUT, g.get_values, 0.05, None)
        self.assertRaisesOsiiso(Osiiso.Error.TIMEOUT, g.wait_completed, 0, 0.05, None)
        self.assertEqual(g.get_n_completed(), 0)

        cancellable = Gio.Cancellable()
        cancellable.cancel()
        with self.assertRaises(GLib.Error) as cm:
            g.wait(GUARD, cancellable)
        self.assertTrue(is_cancelled_error(cm.exception))

        gate.set()
        summary = g.wait(GUARD, None)
        self.assertEqual(summary.get_succeeded(), 2)
        self.assertEqual(g.get_values(0, None), [9, 16])

    def test_wait_from_another_thread(self):
        q = self.started_queue(2)
        gate = threading.Event()
        g = q.map(gated_square([gate] * 5), None, ints(range(5)), None)
        out = {}

        def waiter():
            try:
                out['values'] = g.get_values(GUARD, None)
            except GLib.Error as e:
                out['error'] = e

        t = threading.Thread(target=waiter)
        t.start()
        gate.set()
        t.join(2 * GUARD)
        self.assertFalse(t.is_alive())
        self.assertEqual(out, {'values': [0, 1, 4, 9, 16]})

    def test_wait_completed_in_completion_order(self):
        q = self.started_queue(4)
        gates = [threading.Event() for _ in range(4)]
        g = q.map(gated_square(gates), None, ints([10, 11, 12, 13]), None)
        handles = [g.get_handle(i) for i in range(4)]

        self.assertRaisesOsiiso(Osiiso.Error.TIMEOUT, g.wait_completed, 0, 0.05, None)
        order = [2, 0, 3, 1]
        for k, i in enumerate(order):
            gates[i].set()
            h = g.wait_completed(k, GUARD, None)
            self.assertIs(h, handles[i])
            self.assertEqual(h.get_status(), S.SUCCEEDED)
            self.assertEqual(h.get_result().get_value(), (10 + i) ** 2)
            self.assertEqual(g.get_n_completed(), k + 1)
        # Asked again: the same order, at once.
        self.assertEqual([g.wait_completed(k, 0, None) for k in range(4)],
                         [handles[i] for i in order])
        self.assertEqual(g.get_values(0, None), [100, 121, 144, 169])

    def test_wait_completed_includes_failures(self):
        q = self.started_queue(2)
        gates = [threading.Event() for _ in range(2)]

        def fn(ctx, data):
            if not gates[ctx.get_index()].wait(GUARD):
                return False
            if ctx.get_index() == 1:
                raise GLib.Error('second fails', TEST_DOMAIN, 3)
            ctx.set_value('first')
            return True

        g = q.map(fn, None, ints([0, 1]), None)
        gates[1].set()
        first = g.wait_completed(0, GUARD, None)
        self.assertIs(first, g.get_handle(1))
        self.assertEqual(first.get_status(), S.FAILED)
        gates[0].set()
        self.assertIs(g.wait_completed(1, GUARD, None), g.get_handle(0))

    def test_wait_async(self):
        q = thread_queue(workers=2)
        self.queues.append(q)
        g = Osiiso.TaskGroup.new(None)
        g.add_map(square, None, ints(range(20)), None)
        got = []
        # It may be called before the group is submitted.
        g.wait_async(None, lambda group, res: got.append(group.wait_finish(res)))
        q.submit_group(g)
        q.start()
        self.assertTrue(run_loop_until(lambda: got))
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0].get_succeeded(), 20)
        self.assertEqual([r.get_value() for r in got[0].get_results()],
                         [i * i for i in range(20)])

        # Once done, it completes at once (on the next iteration).
        again = []
        g.wait_async(None, lambda group, res: again.append(group.wait_finish(res)))
        self.assertTrue(run_loop_until(lambda: again))
        self.assertEqual(again[0].get_total(), 20)

    def test_wait_async_cancelled(self):
        q = thread_queue(workers=1)   # never started: only the cancellable ends the wait
        g = q.map(square, None, ints(range(3)), None)
        cancellable = Gio.Cancellable()
        outcome = []

        def done(group, res):
            try:
                outcome.append(group.wait_finish(res))
            except GLib.Error as e:
                outcome.append(e)

        g.wait_async(cancellable, done)
        GLib.idle_add(lambda: cancellable.cancel() or GLib.SOURCE_REMOVE)
        self.assertTrue(run_loop_until(lambda: outcome))
        self.assertTrue(is_cancelled_error(outcome[0]), outcome)
        self.assertEqual(self.statuses(g), [S.PENDING] * 3)

    def test_wait_completed_async_in_completion_order(self):
        q = self.started_queue(3)
        gates = [threading.Event() for _ in range(3)]
        g = q.map(gated_square(gates), None, ints([1, 2, 3]), None)
        handles = [g.get_handle(i) for i in range(3)]
        got = {}

        def done(n):
            def cb(group, res):
                got[n] = group.wait_completed_finish(res)
            return cb

        # All three waits are pending before anything finishes.
        for n in range(3):
            g.wait_completed_async(n, None, done(n))
        order = [1, 2, 0]
        for k, i in enumerate(order):
            gates[i].set()
            self.assertTrue(run_loop_until(lambda: k in got), 'completion %d never came' % k)
        self.assertEqual([got[n] for n in range(3)], [handles[i] for i in order])

        # Once delivered, a wait completes at once.
        late = []
        g.wait_completed_async(2, None, lambda group, res: late.append(
            group.wait_completed_finish(res)))
        self.assertTrue(run_loop_until(lambda: late))
        self.assertIs(late[0], handles[order[2]])

    def test_cancel_running_and_queued(self):
        q = self.started_queue(1)
        running = threading.Event()
        noticed = threading.Event()

        def fn(ctx, data):
            running.set()
            deadline = time.monotonic() + GUARD
            while time.monotonic() < deadline:
                if ctx.is_cancelled():
                    noticed.set()
                    return False
                time.sleep(0.01)   # polling its own cancellation, not syncing
            ctx.set_value('never cancelled')
            return True

        g = q.map(fn, None, ints(range(4)), None)
        self.assertTrue(running.wait(GUARD))
        self.assertEqual(g.cancel(), 4)
        summary = g.wait(GUARD, None)
        self.assertEqual(summary.get_cancelled(), 4)
        self.assertEqual(self.statuses(g), [S.CANCELLED] * 4)
        self.assertTrue(noticed.wait(GUARD))
        self.assertEqual(g.cancel(), 0)
        self.assertRaisesOsiiso(Osiiso.Error.EXECUTION, g.get_values, 0, None)


# --------------------------------------------------------------------------
# The process queue
# --------------------------------------------------------------------------

def c_worker_argv():
    tool = os.environ.get('OSIISO_TEST_WORKER_TOOL')
    module = os.environ.get('OSIISO_TEST_WORKER_MODULE')
    if not tool or not module:
        return None
    argv = [tool, module]
    if 'asan' in os.environ.get('LD_PRELOAD', ''):
        argv = ['env', 'ASAN_OPTIONS=detect_leaks=0:handle_segv=0:handle_abort=0'] + argv
    return argv


class ProcessGroupTests(GroupTestCase):

    def setUp(self):
        self.queues = []

    def tearDown(self):
        for q in self.queues:
            q.shutdown(True, None)

    def worker_queue(self, workers=2):
        argv = c_worker_argv()
        if argv is None:
            self.skipTest('no C worker: set OSIISO_TEST_WORKER_TOOL and OSIISO_TEST_WORKER_MODULE')
        q = Osiiso.ProcessQueue.new(argv, workers)
        self.queues.append(q)
        return q

    def command_queue(self):
        q = Osiiso.ProcessQueue.new(None, 2)
        self.queues.append(q)
        return q

    def test_map_call_values_in_input_order(self):
        q = self.worker_queue()
        pairs = [(i, 100 * i) for i in range(12)]
        g = q.map_call('add', GLib.Variant('a(ii)', pairs), None)
        self.assertEqual(g.get_size(), 12)
        summary = q.run(None)
        self.assertEqual(summary.get_succeeded(), 12)
        values = g.get_values(GUARD, None)
        self.assertTrue(all(isinstance(v, GLib.Variant) for v in values))
        self.assertEqual([v.get_int32() for v in values], [a + b for a, b in pairs])
        self.assertEqual({g.get_result(i).get_group_id() for i in range(12)}, {g.get_id()})

    def test_map_call_with_failures(self):
        q = self.worker_queue()
        g = Osiiso.TaskGroup.new('calls')
        g.add_map_call('echo', GLib.Variant('as', ['a', 'b']), None)
        g.add_call('fail', None, None)
        g.add_call('add', GLib.Variant('(ii)', (2, 3)), None)
        g.add_call('add', GLib.Variant('s', 'not a pair'), None)
        q.submit_group(g)
        q.run(None)
        self.assertRaisesOsiiso(Osiiso.Error.EXECUTION, g.get_values, GUARD, None)
        results = g.wait(GUARD, None).get_results()
        self.assertEqual([r.get_status() for r in results],
                         [S.SUCCEEDED, S.SUCCEEDED, S.FAILED, S.SUCCEEDED, S.FAILED])
        self.assertEqual(results[0].get_value().unpack(), 'a')
        self.assertEqual(results[1].get_value().unpack(), 'b')
        self.assertEqual(results[2].get_error().message, 'told to fail')
        self.assertEqual(results[3].get_value().get_int32(), 5)
        self.assertEqual(results[4].get_error().message, 'add takes (ii), not s')

    def test_command_group(self):
        q = self.command_queue()
        g = Osiiso.TaskGroup.new('commands')
        for word in ('one', 'two', 'three'):
            g.add_command(['sh', '-c', 'printf %s "$1"', 'sh', word], None, None, None, None)
        g.add_command(['cat'], GLib.Bytes.new(b'from stdin'), None, None, None)
        self.assertEqual(g.get_size(), 4)
        q.submit_group(g)
        q.run(None)
        values = g.get_values(GUARD, None)
        self.assertEqual([bytes(v.get_stdout().get_data()) for v in values],
                         [b'one', b'two', b'three', b'from stdin'])
        self.assertTrue(all(v.get_success() for v in values))

        failing = Osiiso.TaskGroup.new(None)
        failing.add_command(['true'], None, None, None, None)
        failing.add_command(['sh', '-c', 'exit 3'], None, None, None, None)
        q.submit_group(failing)
        q.run(None)
        self.assertRaisesOsiiso(Osiiso.Error.EXECUTION, failing.get_values, GUARD, None)
        self.assertEqual(self.statuses(failing), [S.SUCCEEDED, S.FAILED])

    def test_calls_and_commands_in_one_group(self):
        q = self.worker_queue(workers=1)
        g = Osiiso.TaskGroup.new(None)
        g.add_call('echo', GLib.Variant('i', 42), None)
        g.add_command(['sh', '-c', 'printf mixed'], None, None, None, None)
        q.submit_group(g)
        q.run(None)
        values = g.get_values(GUARD, None)
        self.assertEqual(values[0].get_int32(), 42)
        self.assertEqual(bytes(values[1].get_stdout().get_data()), b'mixed')

    def test_process_queue_admission(self):
        q = self.worker_queue()
        functions = Osiiso.TaskGroup.new(None)
        functions.add_call('echo', GLib.Variant('i', 1), None)
        functions.add(square, None, GLib.Variant('x', 2), None)
        self.assertRaisesOsiiso(Osiiso.Error.INVALID_OPTION, q.submit_group, functions)
        self.assertRaisesOsiiso(Osiiso.Error.INVALID_OPTION, q.map_call, 'echo',
                                GLib.Variant('i', 1), None)
        self.assertEqual(q.get_pending(), 0)
        # A command-only queue has no worker to call.
        self.assertRaisesOsiiso(Osiiso.Error.INVALID_OPTION,
                                Osiiso.ProcessQueue.new(None, 1).map_call, 'echo',
                                ints([1]), None)

    def test_sized_process_queue_is_all_or_nothing(self):
        q = Osiiso.ProcessQueue(worker_argv=['false'], workers=1, size=2)
        self.queues.append(q)
        g = Osiiso.TaskGroup.new(None)
        for _ in range(3):
            g.add_command(['true'], None, None, None, None)
        self.assertRaisesOsiiso(Osiiso.Error.FULL, q.submit_group, g)
        self.assertEqual(q.get_pending(), 0)



# --------------------------------------------------------------------------
# One-shot maps: Osiiso.thread_map(), async_map(), process_map() (summaries)
# --------------------------------------------------------------------------

def live_children():
    """The pids of this process's children that have not exited."""
    me = os.getpid()
    found = set()
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % name) as f:
                stat = f.read()
        except (FileNotFoundError, ProcessLookupError):
            continue
        fields = stat[stat.rindex(')') + 2:].split()
        if int(fields[1]) == me and fields[0] not in ('Z', 'X'):
            found.add(int(name))
    return found


def wait_gone(pid, timeout=GUARD):
    """Waits for @pid to exit (a pidfd becomes readable then); True if it did."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        readable, _, _ = select.select([fd], [], [], timeout)
        return bool(readable)
    finally:
        os.close(fd)


class OneShotTests(GroupTestCase):

    def test_thread_map(self):
        threads = set()

        def fn(ctx, data):
            threads.add(threading.get_ident())
            ctx.set_value('%s-%d' % (data, ctx.get_input().get_int64()))
            return True

        values = Osiiso.thread_map(fn, 'n', ints(range(30)), 2, None, 0, 0).get_values()
        self.assertEqual(values, ['n-%d' % i for i in range(30)])
        self.assertNotIn(threading.get_ident(), threads)
        self.assertLessEqual(len(threads), 2)

    def test_thread_map_with_retries(self):
        def flaky(ctx, data):
            if ctx.get_attempt() == 1 and ctx.get_index() % 2 == 0:
                raise GLib.Error('first attempt fails', TEST_DOMAIN, 1)
            ctx.set_value(ctx.get_attempt())
            return True

        self.assertEqual(Osiiso.thread_map(flaky, None, ints(range(4)), 2,
                                           options(retries=1), 0, 0).get_values(),
                         [2, 1, 2, 1])
        e = self.assertRaisesOsiiso(Osiiso.Error.EXECUTION, Osiiso.thread_map, flaky, None,
                                    ints(range(4)), 2, None, 0, 0)
        self.assertIn('2 task(s) failed', e.message)

    def test_thread_map_timeout_cancels_the_rest(self):
        never_cancelled = []

        def until_cancelled(ctx, data):
            deadline = time.monotonic() + GUARD
            while time.monotonic() < deadline:
                if ctx.is_cancelled():
                    return False
                time.sleep(0.01)   # polling its own cancellation, not syncing
            never_cancelled.append(ctx.get_index())
            return True

        before = time.monotonic()
        e = self.assertRaisesOsiiso(Osiiso.Error.EXECUTION, Osiiso.thread_map, until_cancelled,
                                    None, ints(range(3)), 2, None, 0, 0.2)
        self.assertLess(time.monotonic() - before, GUARD / 2)
        self.assertIn('3 task(s) cancelled', e.message)
        self.assertEqual(never_cancelled, [])

    def test_thread_map_refuses_bad_inputs(self):
        self.assertRaisesOsiiso(Osiiso.Error.INVALID_OPTION, Osiiso.thread_map, square, None,
                                GLib.Variant('i', 1), 1, None, 0, 0)
        self.assertRaisesOsiiso(Osiiso.Error.INVALID_OPTION, Osiiso.thread_map, square, None,
                                ints([1]), 1, options(retries=-2), 0, 0)
        self.assertEqual(Osiiso.thread_map(square, None, ints([]), 1, None, 0, 0).get_values(), [])

    def test_async_map_runs_on_its_own_context(self):
        contexts = []

        def start(ctx, data):
            # The map's private context is the thread-default one: an
            # operation started there completes while the map runs.
            context = GLib.MainContext.get_thread_default()
            contexts.append(context)
            source = GLib.idle_source_new()
            source.set_callback(lambda *args: ctx.return_value(
                ctx.get_input().get_int64() * 3) or GLib.SOURCE_REMOVE)
            source.attach(context)
            return True

        values = Osiiso.async_map(start, None, ints(range(10)), 3, None, 0, 0).get_values()
        self.assertEqual(values, [i * 3 for i in range(10)])
        self.assertEqual(len(contexts), 10)
        # None would mean the global default context (nothing pushed).
        self.assertTrue(all(c is not None for c in contexts))

    def test_async_map_failure(self):
        def start(ctx, data):
            if ctx.get_index() == 1:
                ctx.return_error(GLib.Error('bad input', TEST_DOMAIN, 4))
            else:
                ctx.return_value(0)
            return True

        e = self.assertRaisesOsiiso(Osiiso.Error.EXECUTION, Osiiso.async_map, start, None,
                                    ints(range(3)), 2, None, 0, 0)
        self.assertIn('1 task(s) failed', e.message)

    def test_process_map(self):
        argv = c_worker_argv()
        if argv is None:
            self.skipTest('no C worker: set OSIISO_TEST_WORKER_TOOL and OSIISO_TEST_WORKER_MODULE')
        before = live_children()
        pairs = [(i, i * i) for i in range(10)]
        values = Osiiso.process_map(argv, 'add', GLib.Variant('a(ii)', pairs), 2, None, 0, 0).get_values()
        self.assertEqual([v.get_int32() for v in values], [a + b for a, b in pairs])
        # The queue was shut down: its workers saw the end of their input
        # and exit. (Not necessarily before process_map() returns, although
        # its documentation says so: now and then one is still running.)
        for pid in live_children() - before:
            self.assertTrue(wait_gone(pid), 'worker %d outlived the map' % pid)

        e = self.assertRaisesOsiiso(Osiiso.Error.EXECUTION, Osiiso.process_map, argv, 'add',
                                    GLib.Variant('as', ['not', 'pairs']), 2, None, 0, 0)
        self.assertIn('2 task(s) failed', e.message)
        for pid in live_children() - before:
            self.assertTrue(wait_gone(pid), 'worker %d outlived a failed map' % pid)
        self.assertRaisesOsiiso(Osiiso.Error.INVALID_OPTION, Osiiso.process_map, argv, 'echo',
                                GLib.Variant('s', 'not an array'), 1, None, 0, 0)

if __name__ == '__main__':
    unittest.main(verbosity=2)

#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""OsiisoThreadQueue through raw introspection (PyGObject, no override).

Task functions are plain Python functions ``fn(ctx, user_data)`` that run on
the queue's worker threads; they return True on success (after
``ctx.set_value()``), raise ``GLib.Error`` to fail with that error, and fail
with a generic message on any other exception or when they return False.

Rules followed throughout (see reference/toolchain.md, pitfalls 4, 5, 18):

- nothing is asserted inside a signal handler or task function: they record
  what they saw, and the test asserts after the blocking call returns;
- errors are matched with ``e.matches(Osiiso.error_quark(), code)``;
- synchronisation waits on events (a blocking run, a main loop, a
  ``threading.Event``), never on a sleep; ``time.sleep`` only appears inside
  task functions, to simulate work or to poll their cancellation;
- every wait has a generous bound, so a broken library fails a test
  instead of hanging it;
- tests that interrupt a Python function while it runs are @isolated: they
  run in a child interpreter, so a crash there fails that test alone
  instead of killing the whole file.
"""

import os
import threading
import time
import unittest

import gi

gi.require_version('GLib', '2.0')
gi.require_version('GObject', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Osiiso', '1.0')

from gi.repository import GLib, GObject, Gio, Osiiso  # noqa: E402
from osiiso_test_support import QueueTestCase, is_cancelled_error, isolated, options, run_loop_until  # noqa: E402


MAIN_THREAD = threading.get_ident()

# Upper bound for anything that should take well under a second: the test
# machine has 2 shared cores, so margins are wide.
GUARD = 20.0

TEST_DOMAIN = 'osiiso-python-test-error'

S = Osiiso.TaskStatus


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def thread_queue(**props):
    """A thread queue built from construct properties (default 2 workers)."""
    props.setdefault('workers', 2)
    return Osiiso.ThreadQueue(**props)


def submit(queue, fn, data=None, **opts):
    """Submits @fn with options built from keyword arguments."""
    return queue.submit(fn, data, options(**opts) if opts else None)


def value_task(value):
    """A task that succeeds with @value."""
    def fn(ctx, data):
        ctx.set_value(value)
        return True
    return fn


def record_task(log, value=None):
    """A task that appends its name and thread to @log, then succeeds."""
    def fn(ctx, data):
        log.append((ctx.get_name(), threading.get_ident()))
        if value is not None:
            ctx.set_value(value)
        return True
    return fn


def failing_task(message='task failed on purpose', code=7):
    """A task that fails with a GLib.Error in TEST_DOMAIN."""
    def fn(ctx, data):
        raise GLib.Error(message, TEST_DOMAIN, code)
    return fn


def work_task(seconds, value='done', cancelled=None):
    """A task that 'works' for @seconds while honouring cancellation.

    It succeeds with @value when the time is up; when its attempt is
    interrupted first, it sets @cancelled (a threading.Event) and fails.
    """
    def fn(ctx, data):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if ctx.is_cancelled():
                if cancelled is not None:
                    cancelled.set()
                raise GLib.Error('interrupted', TEST_DOMAIN, 99)
            time.sleep(0.01)
        ctx.set_value(value)
        return True
    return fn


def until_cancelled_task(cancelled=None, started=None, cap=GUARD):
    """A task that runs until its attempt is interrupted.

    If it is never interrupted it gives up after @cap seconds and
    *succeeds* with 'never-cancelled', so that a library that fails to
    interrupt it fails the test's status assertion instead of hanging.
    """
    def fn(ctx, data):
        if started is not None:
            started.set()
        deadline = time.monotonic() + cap
        while time.monotonic() < deadline:
            if ctx.is_cancelled():
                if cancelled is not None:
                    cancelled.set()
                return False
            time.sleep(0.01)
        ctx.set_value('never-cancelled')
        return True
    return fn


def gated_task(gate, value='opened', running=None):
    """A task that waits (bounded) for @gate, then succeeds with @value."""
    def fn(ctx, data):
        if running is not None:
            running.set()
        if not gate.wait(GUARD):
            raise GLib.Error('gate never opened', TEST_DOMAIN, 98)
        ctx.set_value(value)
        return True
    return fn


class SignalRecorder:
    """Records the queue's signals with the thread each ran on."""

    def __init__(self, queue):
        # (kind, task name, attempts so far or final status, thread id)
        self.events = []
        self.retry_errors = []
        queue.connect('task-started', self._on_started)
        queue.connect('task-retrying', self._on_retrying)
        queue.connect('task-completed', self._on_completed)

    def _on_started(self, queue, handle):
        self.events.append(('started', handle.props.name, handle.props.attempts,
                            threading.get_ident()))

    def _on_retrying(self, queue, handle, error):
        self.retry_errors.append((handle.props.name, error.domain, error.code,
                                  error.message))
        self.events.append(('retrying', handle.props.name, handle.props.attempts,
                            threading.get_ident()))

    def _on_completed(self, queue, result):
        self.events.append(('completed', result.get_name(), result.get_status(),
                            threading.get_ident()))

    def kinds_for(self, name):
        return [e[0] for e in self.events if e[1] == name]

    def threads(self):
        return {e[3] for e in self.events}


# --------------------------------------------------------------------------
# 1. Lifecycle (the seed page)
# --------------------------------------------------------------------------

class LifecycleTests(QueueTestCase):

    def test_manual_start_submit_run_summary(self):
        q = thread_queue()
        q.start()
        handles = [submit(q, value_task(i * 10), name='job-%d' % i) for i in range(3)]
        summary = q.run(None)

        self.assertEqual(summary.get_total(), 3)
        self.assertEqual(summary.get_succeeded(), 3)
        self.assertEqual(summary.get_failed(), 0)
        self.assertEqual(summary.get_cancelled(), 0)
        self.assertFalse(summary.get_timed_out())
        self.assertTrue(summary.get_ok())
        self.assertGreaterEqual(summary.get_duration(), 0.0)
        self.assertTrue(summary.check(True))
        self.assertIn('PASSED', summary.to_string())
        for i, h in enumerate(handles):
            self.assertStatus(h, S.SUCCEEDED)
            result = summary.lookup(h.get_id())
            self.assertIsNotNone(result)
            self.assertEqual(result.get_name(), 'job-%d' % i)
            self.assertEqual(result.get_value(), i * 10)
            self.assertEqual(result.get_attempts(), 1)
        self.assertFalse(q.props.closed)

    def test_empty_run(self):
        q = thread_queue()
        summary = q.run(None)
        self.assertEqual(summary.get_total(), 0)
        self.assertTrue(summary.get_ok())
        self.assertFalse(summary.get_timed_out())

    def test_started_queue_runs_before_run_and_reports_once(self):
        q = thread_queue()
        q.start()
        h = submit(q, value_task('early'))
        result = h.wait(GUARD, None)   # on the owner thread: iterates the context
        self.assertStatus(result, S.SUCCEEDED)
        self.assertEqual(result.get_value(), 'early')

        first = q.run(None)
        self.assertEqual(self.summary_ids(first), [h.get_id()])
        second = q.run(None)
        self.assertEqual(second.get_total(), 0)

    def test_run_twice(self):
        q = thread_queue()
        batch1 = [submit(q, value_task(i)) for i in range(2)]
        s1 = q.run(None)
        batch2 = [submit(q, value_task(i)) for i in range(3)]
        s2 = q.run(None)

        self.assertEqual(sorted(self.summary_ids(s1)), sorted(h.get_id() for h in batch1))
        self.assertEqual(sorted(self.summary_ids(s2)), sorted(h.get_id() for h in batch2))
        # The history keeps both runs.
        self.assertEqual(len(q.get_results()), 5)
        self.assertEqual(q.props.completed, 5)

    def test_reset_and_reuse(self):
        q = thread_queue()
        first = [submit(q, value_task('first-%d' % i)) for i in range(2)]
        s1 = q.run(None)
        self.assertEqual(s1.get_succeeded(), 2)

        self.assertTrue(q.reset())
        self.assertEqual(q.get_results(), [])
        self.assertEqual(q.props.completed, 0)
        self.assertFalse(q.props.closed)

        second = [submit(q, value_task('second-%d' % i)) for i in range(3)]
        s2 = q.run(None)
        self.assertEqual(s2.get_total(), 3)
        self.assertEqual(sorted(self.summary_ids(s2)), sorted(h.get_id() for h in second))
        for h in first:
            self.assertIsNone(s2.lookup(h.get_id()))
        self.assertEqual(sorted(r.get_value() for r in s2.get_results()),
                         ['second-0', 'second-1', 'second-2'])
        self.assertEqual(len(q.get_results()), 3)

    def test_clear_results(self):
        q = thread_queue()
        handles = [submit(q, value_task(i)) for i in range(4)]
        q.run(None)
        self.assertEqual(len(q.get_results()), 4)

        q.clear_results()
        self.assertEqual(q.get_results(), [])
        self.assertEqual(q.props.completed, 0)
        self.assertFalse(q.props.closed)
        # Handles keep their results; the queue stays open and usable.
        self.assertEqual([h.get_result().get_value() for h in handles], [0, 1, 2, 3])
        h = submit(q, value_task('after-clear'))
        summary = q.run(None)
        self.assertEqual(self.summary_ids(summary), [h.get_id()])

    def test_detached_task_left_out_of_summary(self):
        q = thread_queue()
        attached = submit(q, value_task(1))
        detached = submit(q, value_task(2), detached=True)
        summary = q.run(None)
        self.assertEqual(self.summary_ids(summary), [attached.get_id()])
        self.assertStatus(detached, S.SUCCEEDED)
        self.assertEqual(detached.get_result().get_value(), 2)
        self.assertEqual(len(q.get_results()), 2)

    def test_graceful_shutdown_drains_then_closes(self):
        q = thread_queue()
        handles = [submit(q, work_task(0.05, value=i)) for i in range(4)]
        delayed = submit(q, value_task('late'), delay=0.2)
        self.assertTrue(q.shutdown(False, None))
        self.assertTrue(q.props.closed)
        for h in handles + [delayed]:
            self.assertStatus(h, S.SUCCEEDED)
        self.assertRaisesOsiiso(Osiiso.Error.CLOSED, submit, q, value_task(0))


class InfiniteModeTests(QueueTestCase):

    def test_served_until_shutdown_from_timeout_callback(self):
        q = thread_queue(mode=Osiiso.QueueMode.INFINITE)
        state = {'completed': [], 'shutdown': None, 'late': None}

        def on_completed(queue, result):
            state['completed'].append(result.get_name())
            if len(state['completed']) == 2:
                # Shut down from a main-loop callback while run() serves.
                GLib.timeout_add(10, do_shutdown)

        def do_shutdown():
            state['shutdown'] = q.shutdown(False, None)
            return GLib.SOURCE_REMOVE

        def produce():
            # A producer adding work while the run is in progress.
            state['late'] = submit(q, value_task('late'), name='late')
            return GLib.SOURCE_REMOVE

        q.connect('task-completed', on_completed)
        early = submit(q, value_task('early'), name='early')
        GLib.timeout_add(150, produce)
        summary = q.run_full(GUARD, Osiiso.RunFlags.NONE, None)

        self.assertIs(state['shutdown'], True)
        self.assertFalse(summary.get_timed_out(), 'the run ended by its guard timeout')
        self.assertEqual(summary.get_total(), 2)
        self.assertEqual(sorted(r.get_name() for r in summary.get_results()), ['early', 'late'])
        self.assertStatus(early, S.SUCCEEDED)
        self.assertStatus(state['late'], S.SUCCEEDED)
        self.assertTrue(q.props.closed)

    def test_run_timeout_ends_infinite_run(self):
        q = thread_queue(mode=Osiiso.QueueMode.INFINITE)
        h = submit(q, value_task('x'))
        summary = q.run_full(0.3, Osiiso.RunFlags.NONE, None)
        self.assertTrue(summary.get_timed_out())
        self.assertFalse(summary.get_ok())
        self.assertEqual(self.summary_ids(summary), [h.get_id()])
        self.assertTrue(q.props.closed)

    def test_queue_timeout_property_is_default_run_timeout(self):
        q = thread_queue(mode=Osiiso.QueueMode.INFINITE, timeout=0.3)
        self.assertEqual(q.props.timeout, 0.3)
        summary = q.run(None)
        self.assertTrue(summary.get_timed_out())
        self.assertTrue(q.props.closed)

    def test_join_waits_without_closing(self):
        q = thread_queue(mode=Osiiso.QueueMode.INFINITE)
        handles = [submit(q, work_task(0.05, value=i)) for i in range(3)]
        self.assertTrue(q.join(None))
        for h in handles:
            self.assertStatus(h, S.SUCCEEDED)
        self.assertFalse(q.props.closed)
        self.assertTrue(q.shutdown(False, None))
        self.assertTrue(q.props.closed)


class FailFirstTests(QueueTestCase):

    def _submit_batch(self, q):
        # workers=1 and priorities make the failing task run first.
        failing = submit(q, failing_task(), name='failing', priority=0)
        ordinary = [submit(q, value_task(i), name='ordinary-%d' % i, priority=5)
                    for i in range(3)]
        protected = submit(q, value_task('kept'), name='protected', priority=5,
                           must_complete=True)
        return failing, ordinary, protected

    def _assert_fail_first(self, summary, failing, ordinary, protected):
        self.assertStatus(failing, S.FAILED)
        for h in ordinary:
            self.assertStatus(h, S.CANCELLED)
            self.assertEqual(h.get_attempts(), 0)
            self.assertTrue(is_cancelled_error(h.get_result().get_error()))
        self.assertStatus(protected, S.SUCCEEDED)
        self.assertEqual(protected.get_result().get_value(), 'kept')
        self.assertEqual(summary.get_total(), 5)
        self.assertEqual(summary.get_failed(), 1)
        self.assertEqual(summary.get_cancelled(), 3)
        self.assertEqual(summary.get_succeeded(), 1)
        self.assertFalse(summary.get_ok())

    def test_queue_policy(self):
        q = thread_queue(workers=1, fail_policy=Osiiso.FailPolicy.FAIL_FIRST)
        refused = []

        def on_completed(queue, result):
            if result.get_name() == 'failing':
                try:
                    submit(queue, value_task(0))
                except GLib.Error as e:
                    refused.append(e)

        q.connect('task-completed', on_completed)
        batch = self._submit_batch(q)
        summary = q.run(None)
        self._assert_fail_first(summary, *batch)
        # New work is refused until the run ends, then accepted again.
        self.assertEqual(len(refused), 1)
        self.assertOsiisoError(refused[0], Osiiso.Error.CLOSED)
        h = submit(q, value_task('next'))
        self.assertEqual(q.run(None).get_succeeded(), 1)
        self.assertStatus(h, S.SUCCEEDED)

    def test_run_flag_overrides_continue(self):
        q = thread_queue(workers=1)   # fail-policy continue
        batch = self._submit_batch(q)
        summary = q.run_full(0, Osiiso.RunFlags.FAIL_FIRST, None)
        self._assert_fail_first(summary, *batch)

        # The override lasted one run: the queue's own policy is back.
        failing, ordinary, protected = self._submit_batch(q)
        summary = q.run(None)
        self.assertEqual(summary.get_failed(), 1)
        self.assertEqual(summary.get_succeeded(), 4)
        for h in ordinary:
            self.assertStatus(h, S.SUCCEEDED)

    def test_run_flag_continue_overrides_queue_policy(self):
        q = thread_queue(workers=1, fail_policy=Osiiso.FailPolicy.FAIL_FIRST)
        failing, ordinary, protected = self._submit_batch(q)
        summary = q.run_full(0, Osiiso.RunFlags.CONTINUE, None)
        self.assertEqual(summary.get_failed(), 1)
        self.assertEqual(summary.get_succeeded(), 4)

    @isolated
    def test_fail_first_interrupts_running_work(self):
        q = thread_queue(workers=2, fail_policy=Osiiso.FailPolicy.FAIL_FIRST)
        started = threading.Event()
        cancelled = threading.Event()
        running = submit(q, until_cancelled_task(cancelled, started), priority=0)

        def fail_after_start(ctx, data):
            # Fail only once the other task is surely running.
            if not started.wait(GUARD):
                return True
            raise GLib.Error('late failure', TEST_DOMAIN, 3)

        failing = submit(q, fail_after_start, priority=0)
        summary = q.run(None)
        self.assertStatus(failing, S.FAILED)
        self.assertStatus(running, S.CANCELLED)
        self.assertTrue(cancelled.wait(GUARD), 'the running task never saw its cancellation')
        self.assertEqual(summary.get_cancelled(), 1)

    def test_strict_run_raises_execution_error(self):
        q = thread_queue()
        submit(q, failing_task())
        submit(q, value_task(1))
        error = self.assertRaisesOsiiso(Osiiso.Error.EXECUTION, q.run_full, 0,
                                        Osiiso.RunFlags.STRICT, None)
        self.assertIn('1 task(s) failed', error.message)

    def test_conflicting_run_flags(self):
        q = thread_queue()
        self.assertRaisesOsiiso(Osiiso.Error.INVALID_OPTION, q.run_full, 0,
                                Osiiso.RunFlags.FAIL_FIRST | Osiiso.RunFlags.CONTINUE, None)


class ExitPolicyTests(QueueTestCase):
    """Run timeouts and forced shutdowns under both exit policies."""

    def _submit_exit_batch(self, q):
        protected = submit(q, work_task(1.5, value='saved'), name='protected',
                           priority=0, must_complete=True)
        running = submit(q, until_cancelled_task(), name='running', priority=1)
        queued = submit(q, value_task('never'), name='queued', priority=5)
        return protected, running, queued

    def _assert_closed_then_reopened(self, q):
        self.assertTrue(q.props.closed)
        self.assertRaisesOsiiso(Osiiso.Error.CLOSED, submit, q, value_task(0))
        self.assertRaisesOsiiso(Osiiso.Error.CLOSED, q.run, None)
        self.assertTrue(q.reset())
        self.assertFalse(q.props.closed)
        h = submit(q, value_task('reopened'))
        summary = q.run(None)
        self.assertEqual(self.summary_ids(summary), [h.get_id()])
        self.assertEqual(h.get_result().get_value(), 'reopened')

    @isolated
    def test_run_timeout_complete_priority(self):
        q = thread_queue(workers=2)
        self.assertEqual(q.props.on_exit, Osiiso.ExitPolicy.COMPLETE_PRIORITY)
        protected, running, queued = self._submit_exit_batch(q)
        summary = q.run_full(0.3, Osiiso.RunFlags.NONE, None)

        self.assertTrue(summary.get_timed_out())
        self.assertFalse(summary.get_ok())
        self.assertIn('TIMED OUT', summary.to_string())
        self.assertStatus(protected, S.SUCCEEDED)
        self.assertEqual(protected.get_result().get_value(), 'saved')
        self.assertStatus(running, S.CANCELLED)
        self.assertStatus(queued, S.CANCELLED)
        self.assertEqual(summary.get_total(), 3)
        self.assertEqual(summary.get_succeeded(), 1)
        self.assertEqual(summary.get_cancelled(), 2)
        self._assert_closed_then_reopened(q)

    @isolated
    def test_run_timeout_cancel(self):
        q = thread_queue(workers=2, on_exit=Osiiso.ExitPolicy.CANCEL)
        protected, running, queued = self._submit_exit_batch(q)
        summary = q.run_full(0.3, Osiiso.RunFlags.NONE, None)

        self.assertTrue(summary.get_timed_out())
        self.assertStatus(protected, S.CANCELLED)
        self.assertTrue(is_cancelled_error(protected.get_result().get_error()))
        self.assertStatus(running, S.CANCELLED)
        self.assertStatus(queued, S.CANCELLED)
        self.assertEqual(summary.get_cancelled(), 3)
        self._assert_closed_then_reopened(q)

    @isolated
    def test_forced_shutdown_complete_priority(self):
        q = thread_queue(workers=2)
        q.start()
        protected, running, queued = self._submit_exit_batch(q)
        self.assertTrue(q.shutdown(True, None))
        self.assertStatus(protected, S.SUCCEEDED)
        self.assertStatus(running, S.CANCELLED)
        self.assertStatus(queued, S.CANCELLED)
        self.assertEqual(len(q.get_results()), 3)
        self._assert_closed_then_reopened(q)

    @isolated
    def test_forced_shutdown_cancel(self):
        q = thread_queue(workers=2, on_exit=Osiiso.ExitPolicy.CANCEL)
        q.start()
        protected, running, queued = self._submit_exit_batch(q)
        self.assertTrue(q.shutdown(True, None))
        for h in (protected, running, queued):
            self.assertStatus(h, S.CANCELLED)
        self._assert_closed_then_reopened(q)

    @isolated
    def test_cancel_from_inside_a_task(self):
        q = thread_queue(workers=1)

        def cancel_everything(ctx, queue):
            queue.cancel()
            return True

        first = submit(q, cancel_everything, q, priority=0)
        rest = [submit(q, value_task(i), priority=1) for i in range(3)]
        summary = q.run_full(GUARD, Osiiso.RunFlags.NONE, None)
        self.assertFalse(summary.get_timed_out())
        self.assertTrue(q.props.closed)
        self.assertStatus(first, S.CANCELLED)
        for h in rest:
            self.assertStatus(h, S.CANCELLED)
        self.assertEqual(summary.get_cancelled(), 4)

    @isolated
    def test_cancelling_the_run_cancellable(self):
        q = thread_queue(workers=1)
        cancellable = Gio.Cancellable()
        running = submit(q, until_cancelled_task(), priority=0)
        queued = submit(q, value_task('never'), priority=1)
        q.connect('task-started', lambda queue, handle: cancellable.cancel())
        try:
            summary = q.run_full(GUARD, Osiiso.RunFlags.NONE, cancellable)
        except GLib.Error as e:
            self.fail('a run ended by its cancellable must end like a forced '
                      'shutdown and return its summary, got %s: %s' % (e.domain, e.message))
        self.assertFalse(summary.get_timed_out())
        self.assertEqual(sorted(self.summary_ids(summary)),
                         sorted([running.get_id(), queued.get_id()]))
        self.assertEqual(summary.get_cancelled(), 2)
        self.assertStatus(running, S.CANCELLED)
        self.assertStatus(queued, S.CANCELLED)
        self.assertTrue(q.props.closed)


class SignalTests(QueueTestCase):

    def test_hook_order_and_thread(self):
        q = thread_queue(workers=1)
        recorder = SignalRecorder(q)
        task_threads = []

        def flaky(ctx, data):
            task_threads.append(threading.get_ident())
            if ctx.get_attempt() == 1:
                raise GLib.Error('first attempt fails', TEST_DOMAIN, 5)
            ctx.set_value('second attempt')
            return True

        def plain(ctx, data):
            task_threads.append(threading.get_ident())
            return True

        flaky_h = submit(q, flaky, name='flaky', retries=1, priority=0)
        plain_h = submit(q, plain, name='plain', priority=1)
        status_notifications = []
        flaky_h.connect('notify::status', lambda h, pspec: status_notifications.append(
            (h.props.status, threading.get_ident())))
        summary = q.run(None)

        self.assertEqual(summary.get_succeeded(), 2)
        self.assertEqual(recorder.kinds_for('flaky'),
                         ['started', 'retrying', 'started', 'completed'])
        self.assertEqual(recorder.kinds_for('plain'), ['started', 'completed'])
        self.assertEqual(recorder.retry_errors,
                         [('flaky', TEST_DOMAIN, 5, 'first attempt fails')])

        # Handlers run on the main thread; task functions never do.
        self.assertEqual(recorder.threads(), {MAIN_THREAD})
        self.assertEqual(len(task_threads), 3)
        self.assertNotIn(MAIN_THREAD, task_threads)

        # notify::status, too, is emitted on the main thread only.
        self.assertTrue(status_notifications)
        self.assertEqual({t for _, t in status_notifications}, {MAIN_THREAD})
        self.assertEqual(status_notifications[-1][0], S.SUCCEEDED)

    def test_completed_once_per_task_any_state(self):
        q = thread_queue(workers=1)
        recorder = SignalRecorder(q)
        ok = submit(q, value_task(1), name='ok', priority=0)
        bad = submit(q, failing_task(), name='bad', priority=0)
        gone = submit(q, value_task(2), name='gone', priority=9)
        self.assertTrue(gone.cancel())
        q.run(None)
        completed = sorted((e[1], e[2]) for e in recorder.events if e[0] == 'completed')
        self.assertEqual(completed, [('bad', S.FAILED), ('gone', S.CANCELLED),
                                     ('ok', S.SUCCEEDED)])
        self.assertEqual(recorder.kinds_for('gone'), ['completed'])
        self.assertEqual(recorder.threads(), {MAIN_THREAD})

    def test_misbehaving_handler_does_not_break_the_queue(self):
        q = thread_queue()

        def bad_handler(queue, result):
            raise RuntimeError('handler exploded (expected in this test)')

        q.connect('task-completed', bad_handler)
        handles = [submit(q, value_task(i)) for i in range(3)]
        summary = q.run(None)
        self.assertEqual(summary.get_succeeded(), 3)
        self.assertEqual([h.get_result().get_value() for h in handles], [0, 1, 2])


# --------------------------------------------------------------------------
# 2. Errors raised by task functions
# --------------------------------------------------------------------------

class TaskErrorTests(QueueTestCase):

    def test_glib_error_keeps_domain_and_message(self):
        q = thread_queue()
        h = submit(q, failing_task('disk on fire', code=17), name='burner')
        summary = q.run(None)

        self.assertStatus(h, S.FAILED)
        for result in (h.get_result(), summary.lookup(h.get_id())):
            error = result.get_error()
            self.assertEqual(error.domain, TEST_DOMAIN)
            self.assertEqual(error.code, 17)
            self.assertEqual(error.message, 'disk on fire')
            self.assertEqual(result.get_message(), 'disk on fire')
        self.assertEqual(summary.get_failed(), 1)
        self.assertIn('burner', summary.to_string())
        self.assertIn('disk on fire', summary.to_string())

        with self.assertRaises(GLib.Error) as cm:
            h.get_value()
        self.assertEqual((cm.exception.domain, cm.exception.code, cm.exception.message),
                         (TEST_DOMAIN, 17, 'disk on fire'))

        with self.assertRaises(GLib.Error) as cm:
            summary.check(False)
        self.assertOsiisoError(cm.exception, Osiiso.Error.EXECUTION)
        self.assertEqual(cm.exception.message, '1 task(s) failed')

    def test_other_exception_fails_the_task(self):
        q = thread_queue()

        def raises_value_error(ctx, data):
            raise ValueError('not a GLib.Error (expected traceback in this test)')

        h = submit(q, raises_value_error)
        summary = q.run(None)
        self.assertStatus(h, S.FAILED)
        self.assertNotEqual(h.get_status(), S.SUCCEEDED)
        self.assertEqual(summary.get_failed(), 1)
        self.assertEqual(summary.get_succeeded(), 0)
        error = h.get_result().get_error()
        self.assertOsiisoError(error, Osiiso.Error.FAILED)
        self.assertTrue(error.message)

    def test_exception_after_set_value_still_fails(self):
        q = thread_queue()

        def sets_then_raises(ctx, data):
            ctx.set_value('partial')
            raise KeyError('expected traceback in this test')

        h = submit(q, sets_then_raises)
        q.run(None)
        self.assertStatus(h, S.FAILED)
        self.assertIsNone(h.get_result().get_value())

    def test_return_false_fails_the_task(self):
        q = thread_queue()
        h = submit(q, lambda ctx, data: False, name='falsy')
        summary = q.run(None)
        self.assertStatus(h, S.FAILED)
        self.assertEqual(summary.get_failed(), 1)
        error = h.get_result().get_error()
        self.assertOsiisoError(error, Osiiso.Error.FAILED)
        self.assertIn('falsy', error.message)

    def test_exception_is_retried_then_fails(self):
        q = thread_queue()
        attempts = []

        def always_raises(ctx, data):
            attempts.append(ctx.get_attempt())
            raise RuntimeError('expected traceback in this test')

        h = submit(q, always_raises, retries=2)
        q.run(None)
        self.assertStatus(h, S.FAILED)
        self.assertEqual(attempts, [1, 2, 3])
        self.assertEqual(h.get_result().get_attempts(), 3)


# --------------------------------------------------------------------------
# 3. Values
# --------------------------------------------------------------------------

class Opaque:
    """An arbitrary Python object, with no GType of its own."""

    def __init__(self, payload):
        self.payload = payload


class ValueTests(QueueTestCase):

    def _run_one(self, fn, data=None):
        q = thread_queue()
        h = q.submit(fn, data, None)
        summary = q.run(None)
        self.assertStatus(h, S.SUCCEEDED)
        return h, summary.lookup(h.get_id())

    def test_int(self):
        h, result = self._run_one(value_task(42))
        self.assertEqual(result.get_value(), 42)
        self.assertEqual(h.get_value(), (True, 42))

    def test_int64_gvalue(self):
        big = 2 ** 40

        def fn(ctx, data):
            ctx.set_value(GObject.Value(GObject.TYPE_INT64, big))
            return True

        h, result = self._run_one(fn)
        self.assertEqual(result.get_value(), big)

    def test_str(self):
        h, result = self._run_one(value_task('héllo wörld'))
        self.assertEqual(result.get_value(), 'héllo wörld')
        self.assertEqual(h.get_value(), (True, 'héllo wörld'))

    def test_python_object_round_trips_by_identity(self):
        obj = Opaque({'k': [1, 2, 3]})
        h, result = self._run_one(value_task(obj))
        self.assertIs(result.get_value(), obj)
        ok, value = h.get_value()
        self.assertTrue(ok)
        self.assertIs(value, obj)
        self.assertEqual(value.payload, {'k': [1, 2, 3]})

    def test_user_data_reaches_the_task(self):
        def echo(ctx, data):
            ctx.set_value(data * 2)
            return True

        h, result = self._run_one(echo, 21)
        self.assertEqual(result.get_value(), 42)

    def test_no_value(self):
        h, result = self._run_one(lambda ctx, data: True)
        self.assertIsNone(result.get_value())

    def test_last_set_value_wins(self):
        def fn(ctx, data):
            ctx.set_value('first')
            ctx.set_value('second')
            return True

        h, result = self._run_one(fn)
        self.assertEqual(result.get_value(), 'second')

    def test_metadata_and_group_reach_context_handle_and_result(self):
        seen = []

        def fn(ctx, data):
            seen.append(ctx.get_metadata().unpack())
            return True

        q = thread_queue()
        h = submit(q, fn, name='meta', group_id='g1',
                   metadata=GLib.Variant('s', 'payload'))
        q.run(None)
        self.assertEqual(seen, ['payload'])
        self.assertEqual(h.get_metadata().unpack(), 'payload')
        self.assertEqual(h.get_group_id(), 'g1')
        result = h.get_result()
        self.assertEqual(result.get_metadata().unpack(), 'payload')
        self.assertEqual(result.get_group_id(), 'g1')
        self.assertEqual(result.get_name(), 'meta')

    def test_value_before_completion_is_not_ready(self):
        q = thread_queue()
        h = submit(q, value_task(1))
        with self.assertRaises(GLib.Error) as cm:
            h.get_value()
        self.assertOsiisoError(cm.exception, Osiiso.Error.NOT_READY)
        q.run(None)
        self.assertEqual(h.get_value(), (True, 1))


# --------------------------------------------------------------------------
# 4. Retries with backoff
# --------------------------------------------------------------------------

class RetryTests(QueueTestCase):

    def test_attempts_counted_and_gaps_grow(self):
        q = thread_queue(workers=1)
        starts = []

        def always_fails(ctx, data):
            starts.append((ctx.get_attempt(), time.monotonic()))
            raise GLib.Error('try again', TEST_DOMAIN, 1)

        retry_delay, backoff = 0.15, 4.0
        h = submit(q, always_fails, retries=2, retry_delay=retry_delay, backoff=backoff)
        q.run(None)

        self.assertStatus(h, S.FAILED)
        self.assertEqual(h.get_attempts(), 3)
        self.assertEqual(h.get_result().get_attempts(), 3)
        self.assertEqual([a for a, _ in starts], [1, 2, 3])
        gap1 = starts[1][1] - starts[0][1]
        gap2 = starts[2][1] - starts[1][1]
        # Timers never fire early; the upper bounds are only sanity checks.
        self.assertGreaterEqual(gap1, retry_delay * 0.95)
        self.assertGreaterEqual(gap2, retry_delay * backoff * 0.95)
        self.assertGreater(gap2, gap1)
        self.assertLess(gap1, retry_delay + 5.0)
        self.assertLess(gap2, retry_delay * backoff + 5.0)

    def test_retry_then_success(self):
        q = thread_queue()
        recorder = SignalRecorder(q)

        def third_time_lucky(ctx, data):
            if ctx.get_attempt() < 3:
                raise GLib.Error('attempt %d failed' % ctx.get_attempt(), TEST_DOMAIN, 2)
            ctx.set_value('finally')
            return True

        h = submit(q, third_time_lucky, name='lucky', retries=5)
        summary = q.run(None)
        self.assertStatus(h, S.SUCCEEDED)
        self.assertEqual(h.get_attempts(), 3)
        self.assertEqual(h.get_result().get_value(), 'finally')
        self.assertIsNone(h.get_result().get_error())
        self.assertEqual(summary.get_succeeded(), 1)
        self.assertEqual([m for _, _, _, m in recorder.retry_errors],
                         ['attempt 1 failed', 'attempt 2 failed'])

    def test_waiting_retry_holds_no_worker(self):
        q = thread_queue(workers=1)
        order = []

        def fails_once(ctx, data):
            order.append('retrier-%d' % ctx.get_attempt())
            if ctx.get_attempt() == 1:
                raise GLib.Error('once', TEST_DOMAIN, 1)
            return True

        def other(ctx, data):
            order.append('other')
            return True

        submit(q, fails_once, retries=1, retry_delay=0.5, priority=0)
        submit(q, other, priority=5)
        q.run(None)
        self.assertEqual(order, ['retrier-1', 'other', 'retrier-2'])


# --------------------------------------------------------------------------
# 5. Ordering
# --------------------------------------------------------------------------

class OrderingTests(QueueTestCase):

    def test_priority_order_with_one_worker(self):
        q = thread_queue(workers=1)
        log = []
        priorities = [5, 1, 3, 0, 3, 1, 7, 0, 2, 5]
        for i, p in enumerate(priorities):
            submit(q, record_task(log), name='t%d' % i, priority=p)
        summary = q.run(None)

        expected = ['t%d' % i for i, _ in sorted(enumerate(priorities),
                                                  key=lambda ip: (ip[1], ip[0]))]
        self.assertEqual([name for name, _ in log], expected)
        self.assertEqual([r.get_name() for r in summary.get_results()], expected)

    def test_fifo_among_equal_priorities(self):
        q = thread_queue(workers=1)
        log = []
        for i in range(12):
            submit(q, record_task(log), name='n%02d' % i)
        q.run(None)
        self.assertEqual([name for name, _ in log], ['n%02d' % i for i in range(12)])

    def test_delayed_task_holds_no_worker(self):
        q = thread_queue(workers=1)
        log = []
        delayed = submit(q, record_task(log), name='delayed', delay=0.3, priority=0)
        self.assertStatus(delayed, S.SCHEDULED)
        self.assertEqual(q.props.scheduled, 1)
        submit(q, record_task(log), name='now', priority=9)
        q.run(None)
        self.assertEqual([name for name, _ in log], ['now', 'delayed'])
        result = delayed.get_result()
        self.assertGreaterEqual(result.get_started() - result.get_created(), 0.3 * 0.95 * 1e6)


# --------------------------------------------------------------------------
# 6. Per-attempt timeouts
# --------------------------------------------------------------------------

class TimeoutTests(QueueTestCase):

    @isolated
    def test_attempt_timeout_fails_with_timeout_error(self):
        q = thread_queue()
        cancelled = threading.Event()
        h = submit(q, until_cancelled_task(cancelled), name='slow', timeout=0.2)
        summary = q.run(None)

        self.assertStatus(h, S.FAILED)
        self.assertOsiisoError(h.get_result().get_error(), Osiiso.Error.TIMEOUT)
        self.assertEqual(h.get_attempts(), 1)
        self.assertEqual(summary.get_failed(), 1)
        self.assertTrue(cancelled.wait(GUARD), 'the task never saw ctx.is_cancelled()')

    @isolated
    def test_timeout_then_retry_then_success(self):
        q = thread_queue()
        recorder = SignalRecorder(q)
        first_cancelled = threading.Event()

        def slow_then_fast(ctx, data):
            if ctx.get_attempt() == 1:
                return until_cancelled_task(first_cancelled)(ctx, data)
            ctx.set_value('fast enough')
            return True

        h = submit(q, slow_then_fast, name='flip', timeout=0.2, retries=1)
        summary = q.run(None)

        self.assertStatus(h, S.SUCCEEDED)
        self.assertEqual(h.get_attempts(), 2)
        self.assertEqual(h.get_result().get_value(), 'fast enough')
        self.assertEqual(summary.get_succeeded(), 1)
        self.assertEqual(len(recorder.retry_errors), 1)
        name, domain, code, _ = recorder.retry_errors[0]
        self.assertEqual((name, domain, code), ('flip', 'osiiso-error-quark', Osiiso.Error.TIMEOUT))
        self.assertTrue(first_cancelled.wait(GUARD))

    @isolated
    def test_cancellable_of_timed_out_attempt_is_cancelled(self):
        q = thread_queue()
        seen = threading.Event()

        def waits_on_cancellable(ctx, data):
            cancellable = ctx.get_cancellable()
            deadline = time.monotonic() + GUARD
            while not cancellable.is_cancelled() and time.monotonic() < deadline:
                time.sleep(0.01)
            if cancellable.is_cancelled():
                seen.set()
            return True

        h = submit(q, waits_on_cancellable, timeout=0.2)
        q.run(None)
        self.assertStatus(h, S.FAILED)
        self.assertOsiisoError(h.get_result().get_error(), Osiiso.Error.TIMEOUT)
        self.assertTrue(seen.wait(GUARD))


class AbandonedAttemptTests(QueueTestCase):
    """A function whose attempt was interrupted may keep running after its
    task has ended in the queue (docs/threading.xml: "The worker thread
    stays busy until the function returns"); the function and its data
    must stay valid until it does."""

    def _slow_to_stop(self, returned):
        def fn(ctx, data):
            deadline = time.monotonic() + GUARD
            while not ctx.is_cancelled() and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.3)   # cleaning up after noticing the cancellation
            returned.set()
            return False
        return fn

    @isolated
    def test_function_returns_after_its_timed_out_task_finished(self):
        q = thread_queue(workers=1)
        returned = threading.Event()
        h = submit(q, self._slow_to_stop(returned), timeout=0.1)
        q.run(None)
        self.assertStatus(h, S.FAILED)
        self.assertOsiisoError(h.get_result().get_error(), Osiiso.Error.TIMEOUT)
        self.assertFalse(returned.is_set(), 'precondition: the task ended before its function')
        self.assertTrue(returned.wait(GUARD))
        # The queue still works once the late function has returned.
        after = submit(q, value_task('after'))
        self.assertEqual(q.run(None).get_succeeded(), 1)
        self.assertStatus(after, S.SUCCEEDED)

    @isolated
    def test_function_returns_after_its_cancelled_task_finished(self):
        q = thread_queue(workers=1)
        returned = threading.Event()
        h = submit(q, self._slow_to_stop(returned))
        q.connect('task-started', lambda queue, handle:
                  handle.get_id() == h.get_id() and handle.cancel())
        q.run(None)
        self.assertStatus(h, S.CANCELLED)
        self.assertFalse(returned.is_set(), 'precondition: the task ended before its function')
        self.assertTrue(returned.wait(GUARD))
        after = submit(q, value_task('after'))
        self.assertEqual(q.run(None).get_succeeded(), 1)


# --------------------------------------------------------------------------
# 7. Invalid options and misuse
# --------------------------------------------------------------------------

class MisuseTests(QueueTestCase):

    def _assert_refused(self, **opts):
        q = thread_queue()
        calls = []

        def fn(ctx, data):
            calls.append(True)
            return True

        self.assertRaisesOsiiso(Osiiso.Error.INVALID_OPTION, submit, q, fn, None, **opts)
        self.assertEqual(q.props.pending, 0)
        summary = q.run(None)
        self.assertEqual(summary.get_total(), 0)
        self.assertEqual(calls, [])

    def test_negative_retries(self):
        self._assert_refused(retries=-1)

    def test_zero_timeout(self):
        self._assert_refused(timeout=0.0)

    def test_negative_timeout_other_than_none(self):
        self._assert_refused(timeout=-2.0)

    def test_delay_with_run_at(self):
        self._assert_refused(delay=0.1, run_at=GLib.get_real_time() + 1000000)

    def test_zero_backoff(self):
        self._assert_refused(backoff=0.0)

    def test_negative_retry_delay(self):
        self._assert_refused(retry_delay=-0.5)

    def test_validate(self):
        self.assertTrue(options(retries=2, timeout=1.0).validate())
        with self.assertRaises(GLib.Error) as cm:
            options(retries=-3).validate()
        self.assertOsiisoError(cm.exception, Osiiso.Error.INVALID_OPTION)

    def test_invalid_queue_setting_refused_at_start(self):
        q = thread_queue(burst=0)
        self.assertRaisesOsiiso(Osiiso.Error.INVALID_OPTION, q.start)

    def test_submit_after_shutdown(self):
        q = thread_queue()
        self.assertTrue(q.shutdown(False, None))
        self.assertTrue(q.props.closed)
        self.assertRaisesOsiiso(Osiiso.Error.CLOSED, submit, q, value_task(1))

    def test_size_bound(self):
        q = thread_queue(workers=1, size=2)
        first = [submit(q, value_task(i)) for i in range(2)]
        self.assertRaisesOsiiso(Osiiso.Error.FULL, submit, q, value_task(2))
        self.assertEqual(q.props.pending, 2)
        summary = q.run(None)
        self.assertEqual(summary.get_total(), 2)
        for h in first:
            self.assertStatus(h, S.SUCCEEDED)
        # Space is free again after the run.
        h = submit(q, value_task(3))
        self.assertEqual(q.run(None).get_total(), 1)
        self.assertStatus(h, S.SUCCEEDED)

    def test_run_while_async_run_in_progress_is_busy(self):
        q = thread_queue(workers=1)
        gate = threading.Event()
        h = submit(q, gated_task(gate, 'busy-ok'))
        loop = GLib.MainLoop()
        out = {}

        def on_run_done(queue, res, data):
            try:
                out['summary'] = queue.run_finish(res)
            except GLib.Error as e:
                out['error'] = e
            loop.quit()

        q.run_async(0, Osiiso.RunFlags.NONE, None, on_run_done, None)
        try:
            self.assertRaisesOsiiso(Osiiso.Error.BUSY, q.run, None)
            self.assertRaisesOsiiso(Osiiso.Error.BUSY, q.reset)
        finally:
            gate.set()
        self.assertTrue(run_loop_until(loop), 'run_async never completed')
        self.assertNotIn('error', out)
        self.assertEqual(self.summary_ids(out['summary']), [h.get_id()])
        self.assertEqual(h.get_result().get_value(), 'busy-ok')

    def test_run_on_closed_queue(self):
        q = thread_queue()
        q.shutdown(True, None)
        self.assertRaisesOsiiso(Osiiso.Error.CLOSED, q.run, None)
        self.assertRaisesOsiiso(Osiiso.Error.CLOSED, q.start)

    def test_abstract_queue_cannot_be_instantiated(self):
        with self.assertRaises(TypeError):
            Osiiso.Queue()


# --------------------------------------------------------------------------
# 8. Handles
# --------------------------------------------------------------------------

class HandleTests(QueueTestCase):

    def test_cancel_queued_task(self):
        q = thread_queue(workers=1)
        calls = []

        def fn(ctx, data):
            calls.append(data)
            return True

        keep = q.submit(fn, 'keep', None)
        drop = q.submit(fn, 'drop', None)
        self.assertStatus(drop, S.PENDING)
        self.assertTrue(drop.cancel())
        self.assertStatus(drop, S.CANCELLED)   # at once, without a run
        self.assertTrue(drop.is_done())
        self.assertFalse(drop.cancel())        # already final

        summary = q.run(None)
        self.assertEqual(calls, ['keep'])
        self.assertStatus(keep, S.SUCCEEDED)
        result = drop.get_result()
        self.assertStatus(result, S.CANCELLED)
        self.assertEqual(result.get_attempts(), 0)
        self.assertTrue(is_cancelled_error(result.get_error()))
        with self.assertRaises(GLib.Error) as cm:
            drop.get_value()
        self.assertTrue(is_cancelled_error(cm.exception))
        self.assertEqual(summary.get_cancelled(), 1)
        self.assertEqual(summary.get_succeeded(), 1)

    @isolated
    def test_cancel_running_task_even_if_must_complete(self):
        q = thread_queue(workers=1)
        started = threading.Event()
        cancelled = threading.Event()
        h = submit(q, until_cancelled_task(cancelled, started), must_complete=True)
        q.connect('task-started', lambda queue, handle: handle.cancel())
        q.run(None)
        self.assertStatus(h, S.CANCELLED)
        self.assertTrue(cancelled.wait(GUARD))

    def test_wait_from_a_python_thread(self):
        q = thread_queue(workers=1)
        q.start()
        gate = threading.Event()
        first_wait_done = threading.Event()
        h = submit(q, gated_task(gate, 'waited'))
        out = {}

        def waiter():
            try:
                h.wait(0.2, None)
            except GLib.Error as e:
                out['timeout_error'] = e
            first_wait_done.set()
            try:
                out['result'] = h.wait(GUARD, None)
            except GLib.Error as e:
                out['error'] = e

        thread = threading.Thread(target=waiter)
        thread.start()
        self.assertTrue(first_wait_done.wait(GUARD))
        gate.set()
        thread.join(GUARD)
        self.assertFalse(thread.is_alive())

        self.assertOsiisoError(out.get('timeout_error'), Osiiso.Error.TIMEOUT)
        self.assertNotIn('error', out)
        self.assertStatus(out['result'], S.SUCCEEDED)
        self.assertEqual(out['result'].get_value(), 'waited')
        summary = q.run(None)
        self.assertEqual(self.summary_ids(summary), [h.get_id()])

    def test_wait_from_a_thread_leaves_signals_to_the_main_thread(self):
        # A thread blocked in handle.wait() must not take over the queue's
        # main context: signals belong to the thread that runs it (here the
        # main thread, in run() below), and that thread's own blocking
        # calls must keep working.
        q = thread_queue(workers=1)
        recorder = SignalRecorder(q)
        q.start()
        running = threading.Event()
        gate = threading.Event()
        h = submit(q, gated_task(gate, 'x', running=running), name='gated')
        # The attempt has started, so its task-started signal is pending on
        # the main context, which the main thread is not iterating.
        self.assertTrue(running.wait(GUARD))
        out = {}

        def waiter():
            try:
                h.wait(0.3, None)
            except GLib.Error as e:
                out['timeout_error'] = e
            gate.set()
            out['result'] = h.wait(GUARD, None)

        thread = threading.Thread(target=waiter)
        thread.start()
        thread.join(GUARD)
        self.assertFalse(thread.is_alive())
        q.run(None)

        self.assertOsiisoError(out.get('timeout_error'), Osiiso.Error.TIMEOUT)
        self.assertStatus(out['result'], S.SUCCEEDED)
        self.assertEqual(recorder.kinds_for('gated'), ['started', 'completed'])
        self.assertEqual(recorder.threads(), {MAIN_THREAD},
                         'queue signals were emitted on the thread blocked in '
                         'OsiisoTaskHandle.wait(), not on the main thread')

    def test_wait_async(self):
        q = thread_queue()
        q.start()
        h = submit(q, work_task(0.05, value='async-value'))
        loop = GLib.MainLoop()
        out = {}

        def on_done(handle, res, data):
            try:
                out['result'] = handle.wait_finish(res)
            except GLib.Error as e:
                out['error'] = e
            out['thread'] = threading.get_ident()
            loop.quit()

        h.wait_async(None, on_done, None)
        self.assertTrue(run_loop_until(loop))
        self.assertNotIn('error', out)
        self.assertEqual(out['result'].get_value(), 'async-value')
        self.assertEqual(out['thread'], MAIN_THREAD)

    def test_handle_properties(self):
        q = thread_queue()
        h = submit(q, value_task(1), name='props', priority=2, group_id='grp')
        self.assertEqual(h.props.name, 'props')
        self.assertEqual(h.props.priority, 2)
        self.assertEqual(h.props.group_id, 'grp')
        self.assertEqual(h.props.status, S.PENDING)
        self.assertEqual(h.props.attempts, 0)
        self.assertIsNone(h.props.result)
        self.assertEqual(h.dup_id_string(), str(h.get_id()))
        q.run(None)
        self.assertEqual(h.props.status, S.SUCCEEDED)
        self.assertEqual(h.props.attempts, 1)
        self.assertEqual(h.props.result.get_value(), 1)

    def test_unnamed_task_gets_derived_name(self):
        q = thread_queue()
        h = q.submit(value_task(1), None, None)
        q.run(None)
        self.assertEqual(h.get_name(), 'task-%d' % h.get_id())
        self.assertEqual(h.get_result().get_name(), h.get_name())


# --------------------------------------------------------------------------
# Queue properties
# --------------------------------------------------------------------------

class PropertyTests(QueueTestCase):

    def test_construct_properties_read_back(self):
        q = Osiiso.ThreadQueue(workers=3, size=10, mode=Osiiso.QueueMode.INFINITE,
                               fail_policy=Osiiso.FailPolicy.FAIL_FIRST,
                               on_exit=Osiiso.ExitPolicy.CANCEL, timeout=5.0,
                               rate=20.0, burst=4, exit_timeout=2.0, shutdown_grace=1.0)
        self.assertEqual(q.props.workers, 3)
        self.assertEqual(q.get_workers(), 3)
        self.assertEqual(q.props.size, 10)
        self.assertEqual(q.props.mode, Osiiso.QueueMode.INFINITE)
        self.assertEqual(q.props.fail_policy, Osiiso.FailPolicy.FAIL_FIRST)
        self.assertEqual(q.props.on_exit, Osiiso.ExitPolicy.CANCEL)
        self.assertEqual(q.props.timeout, 5.0)
        self.assertEqual(q.props.rate, 20.0)
        self.assertEqual(q.props.burst, 4)
        self.assertEqual(q.props.exit_timeout, 2.0)
        self.assertEqual(q.props.shutdown_grace, 1.0)
        self.assertEqual(q.get_main_context(), GLib.MainContext.default())

    def test_new_and_automatic_workers(self):
        self.assertEqual(Osiiso.ThreadQueue.new(5).get_workers(), 5)
        auto = Osiiso.ThreadQueue.new(0).get_workers()
        self.assertEqual(auto, max(4, min(32, 4 * os.cpu_count())))

    def test_counts(self):
        q = thread_queue(workers=1)
        submit(q, value_task(1))
        submit(q, value_task(2), delay=0.05)
        self.assertEqual(q.props.pending, 2)    # queued + scheduled
        self.assertEqual(q.props.scheduled, 1)
        self.assertEqual(q.props.active, 0)
        self.assertEqual(q.props.completed, 0)
        q.run(None)
        self.assertEqual(q.props.pending, 0)
        self.assertEqual(q.props.scheduled, 0)
        self.assertEqual(q.props.completed, 2)

    def test_notify_closed(self):
        q = thread_queue()
        seen = []
        q.connect('notify::closed', lambda obj, pspec: seen.append(obj.props.closed))
        q.shutdown(False, None)
        q.reset()
        self.assertEqual(seen, [True, False])


if __name__ == '__main__':
    unittest.main(verbosity=2)

#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every Python example of the seed page ("Lifecycle & Policies",
../shared/seed/lifecycle-and-policies.txt) through the PyGObject override.

The examples run nearly verbatim: the module is imported as ``osiiso``,
task bodies and data are filled in, long timeouts are shortened, and the
``async with`` / ``await`` examples take their GLib form (SPEC §3.3):
PyGObject 3.42 has no asyncio integration, so ``async with`` becomes
``with`` and ``await q.run()`` a blocking ``q.run()`` (which iterates the
queue's main context) or ``q.run_async()`` on a ``GLib.MainLoop``. Each
test then checks what the page says the example does.

Run with the override on the path (tests/meson.build prepends python/ to
PYTHONPATH) and the typelib and library of the build tree.
"""

import contextlib
import io
import os
import threading
import unittest

import gi
gi.require_version('Osiiso', '1.0')
from gi.repository import GLib, Osiiso as osiiso  # noqa: E402  (the seed page's spelling)
from osiiso_test_support import check_override, iterate_until  # noqa: E402

OVERRIDE_DIR = os.environ.get('OSIISO_TEST_OVERRIDE_DIR')
GUARD = 60   # seconds: a bound on waits that normally end at once


# Task functions. Module-level, so the process queue's workers can import
# them (this script is loaded there as __mp_main__).

def work(n):
    return n * 10


def fetch(batch):
    return 'fetched %s' % batch


def fail(message):
    raise ValueError(message)


def wait_until_cancelled(started=None):
    """A thread task that blocks until its attempt is cancelled (event
    driven, bounded by GUARD)."""
    ctx = osiiso.current_context()
    cancelled = threading.Event()
    # g_cancellable_connect(): called at once if already cancelled
    ctx.get_cancellable().connect(lambda *_: cancelled.set())
    if started is not None:
        started.set()
    if not ctx.is_cancelled():
        cancelled.wait(GUARD)
    return 'was cancelled' if ctx.is_cancelled() else 'timed out waiting'


def run_loop_until(loop, done, what):
    """Runs @loop until done() holds (bounded)."""
    expired = []

    def give_up():
        expired.append(True)
        loop.quit()
        return False
    guard = GLib.timeout_add_seconds(GUARD, give_up)
    if not done():
        loop.run()
    if not expired:
        GLib.source_remove(guard)
    if not done():
        raise AssertionError('gave up waiting for %s' % what)


class ContextManagerExamples(unittest.TestCase):
    """"The simplest way to manage a queue's lifecycle"."""

    def test_async_queue_with_blocking_run(self):
        # async with osiiso.AsyncQueue(workers=4) as q:
        #     q.submit(work, 1)
        #     summary = await q.run()
        with osiiso.AsyncQueue(workers=4) as q:
            q.submit(work, 1)
            summary = q.run()
        # Queue is shut down automatically
        self.assertTrue(q.closed)
        self.assertTrue(summary.ok)
        self.assertEqual(summary.values, [10])

    def test_async_queue_with_run_async_on_a_main_loop(self):
        # The same example with the queue's asynchronous run: the program
        # keeps its own main loop running.
        loop = GLib.MainLoop()
        summaries = []

        def finished(q, result):
            summaries.append(q.run_finish(result))
            loop.quit()

        with osiiso.AsyncQueue(workers=4) as q:
            q.submit(work, 1)
            q.run_async(callback=finished)
            run_loop_until(loop, lambda: summaries, 'the asynchronous run')
        summary = summaries[0]
        self.assertTrue(q.closed)
        self.assertEqual(summary.values, [10])

    def test_thread_queue(self):
        with osiiso.ThreadQueue(workers=4) as q:
            q.submit(work, 1)
            summary = q.run()
        # Queue is shut down automatically
        self.assertTrue(q.closed)
        self.assertEqual(summary.values, [10])

    def test_process_queue(self):
        if __name__ == "__main__":
            with osiiso.ProcessQueue(workers=4) as q:
                q.submit(work, 1)
                summary = q.run()
        self.assertTrue(q.closed)
        self.assertEqual(summary.values, [10])
        self.assertEqual(summary.results[0].name, 'work')

    def test_normal_exit_drains_gracefully(self):
        # "On normal exit, the context manager drains the queue gracefully":
        # tasks never run explicitly, a delayed one included, still run.
        with osiiso.ThreadQueue(workers=2) as q:
            handles = [q.submit(work, n) for n in range(5)]
            delayed = q.submit(work, 5, delay=0.05)
        self.assertTrue(q.closed)
        self.assertEqual([h.value() for h in handles + [delayed]], [0, 10, 20, 30, 40, 50])

    def test_exception_cancels_all_work_with_force(self):
        # "On exception, it cancels all work with force=True" (and the
        # exception propagates).
        started = threading.Event()
        with self.assertRaises(KeyError):
            with osiiso.ThreadQueue(workers=1) as q:
                running = q.submit(wait_until_cancelled, started)
                queued = q.submit(work, 1)
                self.assertTrue(started.wait(GUARD))
                raise KeyError('something went wrong')
        self.assertTrue(q.closed)
        self.assertEqual(running.status, 'cancelled')
        self.assertEqual(queued.status, 'cancelled')
        self.assertEqual(queued.attempts, 0)


class ManualLifecycleExamples(unittest.TestCase):
    """"For more control, manage the lifecycle explicitly"."""

    def test_manual_lifecycle_blocking(self):
        # q = osiiso.AsyncQueue(workers=4)
        # await q.start()
        # q.submit(work, 1)
        # summary = await q.run()
        # await q.shutdown()
        q = osiiso.AsyncQueue(workers=4)
        q.start()
        q.submit(work, 1)
        summary = q.run()
        q.shutdown()
        self.assertEqual(summary.values, [10])
        self.assertTrue(q.closed)

    def test_manual_lifecycle_on_a_main_loop(self):
        # The same with run_async() and shutdown_async() on a main loop.
        loop = GLib.MainLoop()
        events = []

        def shut(q, result):
            events.append(('closed', q.shutdown_finish(result)))
            loop.quit()

        def ran(q, result):
            events.append(('summary', q.run_finish(result)))
            q.shutdown_async(False, None, shut)

        q = osiiso.AsyncQueue(workers=4)
        q.start()
        q.submit(work, 1)
        q.run_async(callback=ran)
        run_loop_until(loop, lambda: len(events) == 2, 'run and shutdown')
        self.assertEqual(events[0][0], 'summary')
        self.assertEqual(events[0][1].values, [10])
        self.assertEqual(events[1], ('closed', True))
        self.assertTrue(q.closed)

    def test_shutdown_force_cancels_pending_and_active_work(self):
        # "Use shutdown(force=True) to cancel all pending and active work
        # immediately." An async task whose operation never completes by
        # itself is active; the one behind it (workers=1) is pending.
        completions = []

        def never_completes():
            done = osiiso.Completion()
            completions.append(done)
            return done

        q = osiiso.AsyncQueue(workers=1)
        q.start()
        active = q.submit(never_completes)
        pending = q.submit(work, 1)
        iterate_until(lambda: active.status == 'running', 'the first task to start')
        q.shutdown(force=True)
        self.assertTrue(q.closed)
        self.assertEqual(active.status, 'cancelled')
        self.assertEqual(pending.status, 'cancelled')
        # The abandoned operation's completion was completed for it.
        iterate_until(lambda: completions[0].done(), 'the abandoned completion')


class ResetAndReuseExamples(unittest.TestCase):

    def test_reset_and_reuse(self):
        # async with osiiso.AsyncQueue(workers=4) as q:
        #     q.submit(fetch, "first-batch")
        #     await q.run()
        #     q.reset()
        #     q.submit(fetch, "second-batch")
        #     await q.run()
        with osiiso.AsyncQueue(workers=4) as q:
            q.submit(fetch, "first-batch")
            first = q.run()

            q.reset()

            q.submit(fetch, "second-batch")
            second = q.run()
            # reset() cleared the first run's results
            self.assertEqual([r.value for r in q.results], ['fetched second-batch'])
        self.assertEqual(first.values, ['fetched first-batch'])
        self.assertEqual(second.values, ['fetched second-batch'])

    def test_reset_refused_while_run_in_progress(self):
        # "You cannot call reset() while run() is in progress."
        refusals = []

        def try_reset(handle):
            try:
                q.reset()
            except osiiso.BusyError as e:
                refusals.append(e)

        q = osiiso.ThreadQueue(workers=1, on_start=try_reset)
        q.submit(work, 1)
        summary = q.run()
        self.assertEqual(summary.values, [10])
        self.assertEqual(len(refusals), 1)
        self.assertTrue(refusals[0].matches(osiiso.error_quark(), osiiso.Error.BUSY))

    def test_reset_reopens_a_closed_queue(self):
        q = osiiso.ThreadQueue(workers=1)
        q.shutdown()
        with self.assertRaises(osiiso.ClosedError):
            q.submit(work, 1)
        q.reset()
        q.submit(work, 2)
        self.assertEqual(q.run().values, [20])

    def test_clear_results(self):
        q = osiiso.ThreadQueue(workers=2)
        q.submit(work, 1)
        q.run()
        self.assertEqual(len(q.results), 1)
        q.clear_results()  # Free memory, keep queue open
        self.assertEqual(q.results, ())
        self.assertFalse(q.closed)
        q.submit(work, 2)
        self.assertEqual(q.run().values, [20])


class QueueModeExamples(unittest.TestCase):

    def test_finite_mode(self):
        q = osiiso.AsyncQueue(mode="finite")
        self.assertEqual(q.props.mode, osiiso.QueueMode.FINITE)
        for n in range(3):
            q.submit(work, n)
        summary = q.run()   # returns once everything is drained
        self.assertEqual(sorted(summary.values), [0, 10, 20])
        self.assertFalse(summary.timed_out)

    def test_infinite_mode_until_shutdown(self):
        # q = osiiso.AsyncQueue(mode="infinite", timeout=60)
        # Producers keep adding work while workers are active; run()
        # blocks until shutdown() is called.
        q = osiiso.AsyncQueue(mode="infinite", timeout=60)
        produced = []

        def producer(result):
            produced.append(result.value)
            if len(produced) < 5:
                q.submit(work, len(produced))
            else:
                q.shutdown()

        q.connect('task-completed', lambda _q, result: producer(result))
        q.submit(work, 0)
        summary = q.run()
        self.assertEqual(produced, [0, 10, 20, 30, 40])
        self.assertEqual(summary.total, 5)
        self.assertFalse(summary.timed_out)
        self.assertTrue(q.closed)

    def test_infinite_mode_until_the_timeout(self):
        # ... or until the timeout expires.
        q = osiiso.AsyncQueue(mode="infinite", timeout=0.3)
        q.submit(work, 1)
        summary = q.run()
        self.assertTrue(summary.timed_out)
        self.assertEqual(summary.values, [10])


class FailurePolicyExamples(unittest.TestCase):

    def test_continue(self):
        q = osiiso.ThreadQueue(fail_policy="continue")
        q.submit(work, 1)
        q.submit(fail, 'broken')
        q.submit(work, 2)
        summary = q.run()
        # summary.failed may be > 0, but all tasks were attempted
        self.assertEqual(summary.failed, 1)
        self.assertEqual(summary.succeeded, 2)
        self.assertEqual(summary.cancelled, 0)

    def test_fail_first_per_run(self):
        q = osiiso.ThreadQueue(workers=1)
        q.submit(fail, 'first failure', priority=0)
        later = [q.submit(work, n, priority=5) for n in range(3)]
        summary = q.run(fail_policy="fail_first")
        # Remaining tasks are cancelled after the first failure
        self.assertEqual(summary.failed, 1)
        self.assertEqual(summary.cancelled, 3)
        self.assertTrue(all(h.cancelled() for h in later))

    def test_policy_at_construction_overridden_per_run(self):
        q = osiiso.AsyncQueue(fail_policy="continue", workers=1)
        q.submit(fail, 'one', priority=0)
        q.submit(work, 1, priority=5)
        summary = q.run(fail_policy="fail_first")  # Override for this run
        self.assertEqual((summary.failed, summary.cancelled), (1, 1))
        # The next run uses the queue's own policy again.
        q.submit(fail, 'two', priority=0)
        q.submit(work, 2, priority=5)
        summary = q.run()
        self.assertEqual((summary.failed, summary.succeeded, summary.cancelled), (1, 1, 0))


class ShutdownBehaviorExamples(unittest.TestCase):

    def test_complete_priority(self):
        # q.submit(save_checkpoint, data, must_complete=True, priority=0)
        # q.submit(optional_cleanup, priority=5)
        # summary = q.run(timeout=5)
        # save_checkpoint finishes; optional_cleanup may be cancelled
        #
        # One worker: save_checkpoint runs first and, to outlast the run
        # timeout without sleeping, waits until optional_cleanup has been
        # cancelled.
        cleanup_cancelled = threading.Event()
        saved = []

        def save_checkpoint(data):
            if not cleanup_cancelled.wait(GUARD):
                raise AssertionError('optional_cleanup was never cancelled')
            saved.append(data)
            return len(data)

        def optional_cleanup():
            return 'cleaned'

        def on_complete(result):
            if result.name == 'optional_cleanup' and result.status == 'cancelled':
                cleanup_cancelled.set()

        q = osiiso.ThreadQueue(workers=1, on_complete=on_complete)
        self.assertEqual(q.props.on_exit, osiiso.ExitPolicy.COMPLETE_PRIORITY)   # the default
        data = {'step': 42}
        checkpoint = q.submit(save_checkpoint, data, must_complete=True, priority=0)
        cleanup = q.submit(optional_cleanup, priority=5)
        summary = q.run(timeout=1)
        self.assertTrue(summary.timed_out)
        self.assertEqual(checkpoint.value(), 1)
        self.assertEqual(saved, [data])
        self.assertEqual(cleanup.status, 'cancelled')
        self.assertEqual((summary.succeeded, summary.cancelled), (1, 1))

    def test_cancel(self):
        # q = osiiso.AsyncQueue(on_exit="cancel"): cancels everything it
        # can, must_complete tasks included.
        def save_checkpoint(data):
            return osiiso.Completion()   # an operation that takes its time

        def optional_cleanup():
            return 'cleaned'

        q = osiiso.AsyncQueue(on_exit="cancel", workers=1)
        self.assertEqual(q.props.on_exit, osiiso.ExitPolicy.CANCEL)
        checkpoint = q.submit(save_checkpoint, {'step': 42}, must_complete=True, priority=0)
        cleanup = q.submit(optional_cleanup, priority=5)
        summary = q.run(timeout=0.3)
        self.assertTrue(summary.timed_out)
        self.assertEqual(checkpoint.status, 'cancelled')
        self.assertEqual(cleanup.status, 'cancelled')
        self.assertEqual(summary.cancelled, 2)


class HookExamples(unittest.TestCase):

    def test_lifecycle_hooks(self):
        attempts = []

        def flaky(n):
            attempts.append(n)
            if len(attempts) == 1:
                raise ConnectionError('connection reset')
            return n

        def on_start(handle):
            print(f"Starting: {handle.name}")

        def on_complete(result):
            print(f"Done: {result.name} — {result.status} ({result.duration:.3f}s)")

        def on_retry(handle, exc):
            print(f"Retrying: {handle.name} after {exc}")

        q = osiiso.AsyncQueue(
            on_start=on_start,
            on_complete=on_complete,
            on_retry=on_retry,
        )
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            q.submit(flaky, 7, retries=1)
            summary = q.run()
        self.assertEqual(summary.values, [7])
        lines = out.getvalue().splitlines()
        self.assertEqual(lines[0], 'Starting: flaky')
        self.assertEqual(lines[1], 'Retrying: flaky after connection reset')
        self.assertEqual(lines[2], 'Starting: flaky')
        self.assertRegex(lines[3], r'^Done: flaky — succeeded \(\d+\.\d{3}s\)$')
        self.assertEqual(len(lines), 4)

    def test_hook_exceptions_are_logged_not_raised(self):
        def on_complete(result):
            raise RuntimeError('a broken hook')

        q = osiiso.ThreadQueue(on_complete=on_complete)
        q.submit(work, 1)
        with self.assertLogs('osiiso', level='ERROR') as logs:
            summary = q.run()
        self.assertTrue(summary.ok)
        self.assertIn('a broken hook', '\n'.join(logs.output))


class LifecycleDiagram(unittest.TestCase):
    """Created -> Started -> Running -> Started -> Reset -> Started ->
    Shutdown; Running -> Shutdown on a timeout or an error."""

    def test_the_diagram(self):
        q = osiiso.ThreadQueue(workers=2)                 # Created
        self.assertFalse(q.closed)
        with q:                                           # Started (__enter__)
            started = q.submit(work, 1)
            self.assertEqual(started.wait(GUARD).value, 10)   # runs before any run()
            q.submit(work, 2)
            # A run's summary holds what finished during it and what no
            # run reported yet: the task that ran before it too.
            self.assertEqual(q.run().values, [10, 20])    # Running -> Started
            q.reset()                                     # Reset
            q.start()                                     # Started
            q.submit(work, 3)
            self.assertEqual(q.run().values, [30])
        self.assertTrue(q.closed)                         # Shutdown (__exit__)

    def test_a_run_timeout_ends_in_shutdown(self):
        started = threading.Event()
        q = osiiso.ThreadQueue(workers=1)
        blocked = q.submit(wait_until_cancelled, started)
        summary = q.run(timeout=0.3)
        self.assertTrue(summary.timed_out)
        self.assertEqual(blocked.status, 'cancelled')
        self.assertTrue(q.closed)                         # Running -> Shutdown
        q.reset()
        q.submit(work, 4)
        self.assertEqual(q.run().values, [40])


if __name__ == '__main__':
    check_override()
    unittest.main(verbosity=2)

#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tests of the PyGObject override (python/gi/overrides/Osiiso.py).

One class per item of issue 7: the context manager, constructor keywords
and hooks, submission with Python functions and keyword options, the task
decorator, runs, summaries and handles, process tasks by reference with
their GVariant conversion, async tasks completed through an
Osiiso.Completion, and the raw introspected API kept beside it.

Run with python/ on PYTHONPATH (tests/meson.build), the typelib and the
library of the build tree; OSIISO_TEST_WORKER_TOOL and
OSIISO_TEST_WORKER_MODULE name the C worker for the custom-worker test.
"""

import gc
import math
import os
import shutil
import socket
import sys
import tempfile
import threading
import unittest
import concurrent.futures

import gi
gi.require_version('Osiiso', '1.0')
from gi.repository import GLib, Gio, Osiiso  # noqa: E402
from osiiso_test_support import check_override, iterate_until  # noqa: E402

OVERRIDE_DIR = os.environ.get('OSIISO_TEST_OVERRIDE_DIR')
GUARD = 60   # seconds: a bound on waits that normally end at once
MAIN_THREAD = threading.get_ident()


# ---------------------------------------------------------------------------
# Task functions (module-level: process workers import them from this
# script, loaded there as __mp_main__)
# ---------------------------------------------------------------------------

def square(n):
    return n * n


def echo(*args):
    return args


def identity(value):
    return value


def fail_with(message):
    raise ValueError(message)


def fail_glib():
    raise GLib.Error.new_literal(Gio.io_error_quark(), 'permission denied by the test',
                                 int(Gio.IOErrorEnum.PERMISSION_DENIED))


class TaskError(Exception):
    """An exception class of this module."""


def fail_custom(message):
    raise TaskError(message)


def return_a_set():
    return {1, 2}


def worker_pid():
    return os.getpid()


_calls = 0


def count_calls():
    global _calls
    _calls += 1
    return _calls


_initialized = []


def initialize(tag, number):
    _initialized.append((tag, number))


def initialized():
    return list(_initialized)


def sleep_long():
    import time
    time.sleep(GUARD)
    return 'slept'


def wait_until_cancelled(started=None):
    """A thread task that blocks until its attempt is cancelled."""
    ctx = Osiiso.current_context()
    cancelled = threading.Event()
    ctx.get_cancellable().connect(lambda *_: cancelled.set())   # at once if cancelled already
    if started is not None:
        started.set()
    cancelled.wait(GUARD)
    return 'cancelled' if ctx.is_cancelled() else 'not cancelled'


def same_types(a, b):
    """Equal and of exactly the same types, recursively."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_types(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_types(a[k], b[k]) for k in a)
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return a == b


ROUND_TRIP = [
    None, True, False, 0, -1, 7, 2**31, -2**31 - 1, 2**63 - 1, -2**63, 2**63, 2**64 - 1, 2**64,
    -2**64, 2**100, -(3**90), 0.0, -0.0, 1.5, -2.25e300, float('inf'), float('-inf'), float('nan'),
    '', 'plain', 'ünïcødé ✓', '1234', b'', b'\0bytes\xff\0', [], [1, 'a', None], (),
    (1,), (1, 'two', 3.0), {}, {'a': 1, 'b': [2, (3, 4)], 'c': {'d': None}},
    [[1, 2], (3, [4, {'e': b'f'}])], ('1234',), [True, 1, 1.0, '1'],
]


# ---------------------------------------------------------------------------
# Item 1: the override is the one under test
# ---------------------------------------------------------------------------

class OverrideLoading(unittest.TestCase):

    def test_override_is_loaded_from_the_tree_under_test(self):
        loaded = sys.modules.get('gi.overrides.Osiiso')
        self.assertIsNotNone(loaded)
        if OVERRIDE_DIR:
            self.assertEqual(os.path.dirname(os.path.abspath(loaded.__file__)),
                             os.path.abspath(OVERRIDE_DIR))
        self.assertTrue(issubclass(Osiiso.ThreadQueue, gi.module.get_introspection_module('Osiiso').ThreadQueue))
        self.assertTrue(os.path.exists(os.path.join(os.path.dirname(loaded.__file__),
                                                    'osiiso-python-worker.py')))

    def test_override_classes_subclass_the_introspected_ones(self):
        raw = gi.module.get_introspection_module('Osiiso')
        for name in ('Queue', 'ThreadQueue', 'AsyncQueue', 'ProcessQueue', 'TaskHandle',
                     'TaskResult', 'RunSummary', 'TaskOptions', 'TaskContext', 'TaskGroup', 'Checkpoint'):
            self.assertTrue(issubclass(getattr(Osiiso, name), getattr(raw, name)), name)
        self.assertIsInstance(Osiiso.ThreadQueue.new(1), Osiiso.Queue)


# ---------------------------------------------------------------------------
# Item 2: the context manager
# ---------------------------------------------------------------------------

class ContextManager(unittest.TestCase):

    def test_enter_starts_the_queue(self):
        with Osiiso.ThreadQueue(workers=2) as q:
            handle = q.submit(square, 4)
            # No run(): the started queue runs it; wait() iterates the
            # main context on this thread.
            self.assertEqual(handle.wait(GUARD).value, 16)
            self.assertFalse(q.closed)
        self.assertTrue(q.closed)

    def test_clean_exit_drains_every_queue(self):
        for make in (lambda: Osiiso.ThreadQueue(workers=2), lambda: Osiiso.AsyncQueue(workers=2),
                     lambda: Osiiso.ProcessQueue(workers=1)):
            with make() as q:
                handles = [q.submit(square, n) for n in range(4)]
                handles.append(q.submit(square, 4, delay=0.05))
            self.assertTrue(q.closed, type(q).__name__)
            self.assertEqual([h.value() for h in handles], [0, 1, 4, 9, 16], type(q).__name__)
            with self.assertRaises(Osiiso.ClosedError):
                q.submit(square, 1)

    def test_exception_forces_shutdown_and_propagates(self):
        started = threading.Event()
        with self.assertRaises(ZeroDivisionError):
            with Osiiso.ThreadQueue(workers=1) as q:
                running = q.submit(wait_until_cancelled, started)
                queued = q.submit(square, 2)
                self.assertTrue(started.wait(GUARD))
                1 / 0
        self.assertTrue(q.closed)
        self.assertEqual(running.status, 'cancelled')
        self.assertEqual(queued.status, 'cancelled')

    def test_exception_forces_shutdown_of_a_process_queue(self):
        started = []
        with self.assertRaises(RuntimeError):
            with Osiiso.ProcessQueue(workers=1, on_start=started.append) as q:
                running = q.submit(sleep_long)
                iterate_until(lambda: started, 'the worker to start the task')
                raise RuntimeError('stop')
        self.assertTrue(q.closed)
        self.assertEqual(running.status, 'cancelled')

    def test_exit_policy_applies_to_the_forced_shutdown(self):
        # complete-priority (the default): a must-complete task finishes.
        release = threading.Event()

        def protected():
            release.wait(GUARD)
            return 'finished'

        q = Osiiso.ThreadQueue(workers=1, on_complete=lambda r: release.set())
        with self.assertRaises(KeyError):
            with q:
                must = q.submit(protected, must_complete=True, priority=0)
                ordinary = q.submit(square, 3, priority=5)
                iterate_until(lambda: must.status == 'running', 'the protected task to start')
                raise KeyError('x')
        self.assertEqual(ordinary.status, 'cancelled')
        self.assertEqual(must.value(), 'finished')

    def test_exit_of_a_queue_already_shut_down(self):
        with Osiiso.ThreadQueue(workers=1) as q:
            q.submit(square, 1)
            q.shutdown()
        self.assertTrue(q.closed)


# ---------------------------------------------------------------------------
# Item 3: constructor keywords and hooks
# ---------------------------------------------------------------------------

class Settings(unittest.TestCase):

    def test_every_setting_with_strings_for_enums(self):
        q = Osiiso.ThreadQueue(workers=3, size=10, timeout=5, mode='infinite', fail_policy='fail_first',
                               on_exit='cancel', rate=100.0, burst=2, exit_timeout=1.5,
                               shutdown_grace=2.0)
        p = q.props
        self.assertEqual((p.workers, p.size, p.timeout), (3, 10, 5.0))
        self.assertEqual(p.mode, Osiiso.QueueMode.INFINITE)
        self.assertEqual(p.fail_policy, Osiiso.FailPolicy.FAIL_FIRST)
        self.assertEqual(p.on_exit, Osiiso.ExitPolicy.CANCEL)
        self.assertEqual((p.rate, p.burst, p.exit_timeout, p.shutdown_grace), (100.0, 2, 1.5, 2.0))

    def test_string_spellings_enums_and_none(self):
        q = Osiiso.AsyncQueue(mode='finite', fail_policy='fail-first', on_exit='complete_priority',
                              timeout=None, rate=None, workers=None)
        self.assertEqual(q.props.fail_policy, Osiiso.FailPolicy.FAIL_FIRST)
        self.assertEqual(q.props.on_exit, Osiiso.ExitPolicy.COMPLETE_PRIORITY)
        self.assertEqual((q.props.timeout, q.props.rate, q.props.workers), (-1.0, 0.0, 0))
        q = Osiiso.AsyncQueue(fail_policy=Osiiso.FailPolicy.FAIL_FIRST, mode='INFINITE')
        self.assertEqual(q.props.fail_policy, Osiiso.FailPolicy.FAIL_FIRST)
        self.assertEqual(q.props.mode, Osiiso.QueueMode.INFINITE)

    def test_process_queue_settings(self):
        q = Osiiso.ProcessQueue(workers=1, kill_grace=0.5, output_limit=1000)
        self.assertEqual((q.props.kill_grace, q.props.output_limit), (0.5, 1000))
        argv = q.props.worker_argv
        self.assertTrue(argv[1].endswith('osiiso-python-worker.py'), argv)

    def test_unknown_and_bad_settings(self):
        with self.assertRaisesRegex(TypeError, r'Unknown queue setting\(s\): colour, speed'):
            Osiiso.ThreadQueue(speed=3, colour='red')
        with self.assertRaisesRegex(ValueError, r"mode must be one of 'finite', 'infinite'"):
            Osiiso.ThreadQueue(mode='sometimes')
        with self.assertRaisesRegex(ValueError, r"fail_policy must be one of 'continue', 'fail_first'"):
            Osiiso.AsyncQueue(fail_policy='fail_last')
        with self.assertRaisesRegex(ValueError, 'workers must be >= 0'):
            Osiiso.ThreadQueue(workers=-1)
        with self.assertRaisesRegex(TypeError, 'kill_grace'):
            Osiiso.ThreadQueue(kill_grace=1.0)          # a process queue setting
        with self.assertRaisesRegex(TypeError, 'takes no initializer'):
            Osiiso.AsyncQueue(initializer=print)
        with self.assertRaisesRegex(TypeError, 'on_start must be callable'):
            Osiiso.ThreadQueue(on_start='print')

    def test_invalid_setting_values_are_refused_at_start(self):
        q = Osiiso.ThreadQueue(burst=0)
        with self.assertRaises(Osiiso.InvalidOptionError) as caught:
            q.start()
        self.assertIsInstance(caught.exception, ValueError)
        self.assertTrue(caught.exception.matches(Osiiso.error_quark(), Osiiso.Error.INVALID_OPTION))

    def test_hooks(self):
        started, retried, completed, threads = [], [], [], set()
        raised = []

        def flaky():
            if not raised:
                raised.append(ValueError('first attempt'))
                raise raised[0]
            return 'second attempt'

        def on_start(handle):
            threads.add(threading.get_ident())
            started.append(handle.name)

        def on_retry(handle, exc):
            threads.add(threading.get_ident())
            retried.append((handle.name, exc))

        def on_complete(result):
            threads.add(threading.get_ident())
            completed.append((result.name, result.status, result.value))

        q = Osiiso.ThreadQueue(workers=1, on_start=on_start, on_retry=on_retry, on_complete=on_complete)
        q.submit(flaky, retries=1)
        q.run()
        self.assertEqual(started, ['flaky', 'flaky'])
        self.assertEqual(len(retried), 1)
        self.assertEqual(retried[0][0], 'flaky')
        self.assertIs(retried[0][1], raised[0])            # the very exception object
        self.assertEqual(completed, [('flaky', 'succeeded', 'second attempt')])
        self.assertEqual(threads, {MAIN_THREAD})           # on the queue's main context

    def test_retry_hook_gets_a_glib_error_for_a_timeout(self):
        retried = []
        q = Osiiso.ThreadQueue(workers=1, on_retry=lambda handle, exc: retried.append(exc))
        q.submit(wait_until_cancelled, timeout=0.1, retries=1)
        summary = q.run()
        self.assertEqual(summary.failed, 1)
        self.assertIsInstance(retried[0], Osiiso.TimeoutError)
        self.assertIsInstance(retried[0], TimeoutError)

    def test_a_hook_that_raises_breaks_nothing(self):
        def bad(*args):
            raise RuntimeError('hook failure')

        q = Osiiso.ThreadQueue(on_start=bad, on_complete=bad)
        q.submit(square, 5)
        with self.assertLogs('osiiso', level='ERROR') as logs:
            summary = q.run()
        self.assertEqual(summary.values, [25])
        self.assertEqual(len(logs.output), 2)

    def test_thread_initializer(self):
        inits = []
        q = Osiiso.ThreadQueue(workers=1, initializer=lambda tag: inits.append((tag, threading.get_ident())),
                               initargs=('ready',))
        handle = q.submit(threading.get_ident)
        q.run()
        self.assertEqual(inits, [('ready', handle.value())])


# ---------------------------------------------------------------------------
# Item 4: submit, options, the decorator, run, summaries, handles
# ---------------------------------------------------------------------------

class Submit(unittest.TestCase):

    def test_return_values_of_any_type(self):
        class Thing:
            pass
        thing = Thing()
        items = [None, True, 3, -7, 2**100, -2**200, 2.5, 'text', b'\0raw', [1, [2]], {'a': 1},
                 (1, 2), thing, {1, 2}]
        for make in (lambda: Osiiso.ThreadQueue(workers=2), lambda: Osiiso.AsyncQueue(workers=2)):
            q = make()
            handles = [q.submit(identity, item) for item in items]
            summary = q.run()
            self.assertEqual(summary.succeeded, len(items))
            for item, handle in zip(items, handles):
                self.assertTrue(same_types(handle.value(), item) if not isinstance(item, (Thing, set))
                                else handle.value() is item, (item, handle.value()))
            # Mutable objects stay the very same objects in-process.
            self.assertIs(handles[9].value(), items[9])
            self.assertIs(handles[12].result().value, thing)

    def test_exception_object_is_kept(self):
        for make in (lambda: Osiiso.ThreadQueue(workers=1), lambda: Osiiso.AsyncQueue(workers=1)):
            q = make()
            error = TaskError('the disk is full')

            def raising():
                raise error

            handle = q.submit(raising)
            summary = q.run()
            self.assertEqual(handle.status, 'failed')
            with self.assertRaises(TaskError) as caught:
                handle.value()
            self.assertIs(caught.exception, error)
            self.assertIs(handle.exception(), error)
            self.assertIs(summary.errors[0].exception, error)
            result = handle.result()
            self.assertEqual(result.message, 'TaskError: the disk is full')
            self.assertEqual(result.error.domain, Osiiso.PYTHON_ERROR_DOMAIN)
            self.assertTrue(result.error.matches(Osiiso.python_error_quark(), 0))

    def test_glib_error_keeps_domain_code_message(self):
        q = Osiiso.ThreadQueue(workers=1)
        handle = q.submit(fail_glib)
        q.run()
        error = handle.result().error
        self.assertTrue(error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.PERMISSION_DENIED))
        self.assertEqual(error.message, 'permission denied by the test')
        with self.assertRaises(GLib.Error) as caught:
            handle.value()
        self.assertTrue(caught.exception.matches(Gio.io_error_quark(), Gio.IOErrorEnum.PERMISSION_DENIED))

    def test_exception_rebuilt_once_the_object_is_gone(self):
        q = Osiiso.ThreadQueue(workers=1)
        handle = q.submit(fail_with, 'gone')
        q.run()
        original = handle.exception()
        q.clear_results()           # frees the kept exception objects
        rebuilt = handle.exception()
        self.assertIsNot(rebuilt, original)
        self.assertIs(type(rebuilt), ValueError)
        self.assertEqual(str(rebuilt), 'gone')

    def test_base_exceptions_fail_the_task_too(self):
        q = Osiiso.ThreadQueue(workers=1)

        def leave():
            sys.exit(3)

        handle = q.submit(leave)
        summary = q.run()
        self.assertEqual(summary.failed, 1)
        self.assertIsInstance(handle.exception(), SystemExit)

    def test_options_as_keywords(self):
        order = []
        q = Osiiso.ThreadQueue(workers=1)
        q.submit(order.append, 'low', priority=9)
        q.submit(order.append, 'high', priority=0, name='urgent', metadata={'id': 7, 'tags': ['a']},
                 group_id='g1')
        q.submit(order.append, 'middle')                   # priority 3
        late = q.submit(order.append, 'delayed', priority=0, delay=0.05)
        scheduled = q.submit(order.append, 'at', priority=0, run_at=0)    # in the past: now
        detached = q.submit(square, 3, detached=True)
        summary = q.run()
        # ('delayed' becomes eligible after 0.05 s, wherever that falls)
        self.assertEqual([o for o in order if o != 'delayed'], ['high', 'at', 'middle', 'low'])
        self.assertIn('delayed', order)
        self.assertTrue(late.done() and scheduled.done())
        urgent = summary.by_name()['urgent'][0]
        self.assertEqual(urgent.metadata, {'id': 7, 'tags': ['a']})
        self.assertEqual(urgent.group_id, 'g1')
        self.assertEqual(urgent.priority, 0)
        self.assertEqual(summary.by_name()['append'][0].name, 'append')   # derived from the function
        self.assertNotIn(detached.task_id, summary.by_task_id())
        self.assertEqual(detached.value(), 9)

    def test_unknown_option_raises_type_error_and_queues_nothing(self):
        q = Osiiso.ThreadQueue(workers=1)
        with self.assertRaisesRegex(TypeError, r'^Unknown task option\(s\): colour, weight$'):
            q.submit(square, 2, weight=3, colour='red')
        self.assertEqual(q.pending_count, 0)

    def test_invalid_option_values(self):
        q = Osiiso.ThreadQueue(workers=1)
        for options in ({'retries': -1}, {'timeout': 0}, {'backoff': 0}, {'delay': 1, 'run_at': 5}):
            with self.assertRaises(Osiiso.InvalidOptionError, msg=options) as caught:
                q.submit(square, 2, **options)
            self.assertIsInstance(caught.exception, ValueError)
            self.assertIsInstance(caught.exception, GLib.Error)
            self.assertTrue(caught.exception.matches(Osiiso.error_quark(), Osiiso.Error.INVALID_OPTION))
        self.assertEqual(q.pending_count, 0)
        with self.assertRaisesRegex(TypeError, 'cannot travel'):
            q.submit(square, 2, metadata=object())

    def test_base_options_and_overrides(self):
        base = Osiiso.TaskOptions(retries=2, priority=1, timeout=None)
        self.assertEqual(base.get_timeout(), -1.0)
        other = base.replace(priority=4)
        self.assertEqual((other.get_retries(), other.get_priority()), (2, 4))
        self.assertEqual(base.get_priority(), 1)
        attempts = []

        def flaky():
            attempts.append(1)
            if len(attempts) < 3:
                raise OSError('again')
            return len(attempts)

        q = Osiiso.ThreadQueue(workers=1)
        handle = q.submit(flaky, opts=base, priority=7)
        q.run()
        self.assertEqual(handle.value(), 3)
        self.assertEqual((handle.priority, handle.name), (7, 'flaky'))
        with self.assertRaisesRegex(TypeError, 'Unknown task option'):
            Osiiso.TaskOptions(bogus=1)

    def test_bad_functions(self):
        q = Osiiso.ThreadQueue(workers=1)
        with self.assertRaisesRegex(TypeError, 'must be callable'):
            q.submit(42)

        async def coroutine():
            return 1
        with self.assertRaisesRegex(TypeError, 'coroutines'):
            q.submit(coroutine)

    def test_full_and_closed(self):
        q = Osiiso.ThreadQueue(workers=1, size=1)
        q.submit(square, 1)
        with self.assertRaises(Osiiso.QueueFullError) as caught:
            q.submit(square, 2)
        self.assertTrue(caught.exception.matches(Osiiso.error_quark(), Osiiso.Error.FULL))
        q.shutdown()
        with self.assertRaises(Osiiso.ClosedError):
            q.submit(square, 3)
        with self.assertRaises(Osiiso.ClosedError):
            q.run()

    def test_current_context(self):
        seen = []

        def look():
            ctx = Osiiso.current_context()
            seen.append((ctx.get_name(), ctx.get_attempt(), ctx.is_cancelled()))

        q = Osiiso.ThreadQueue(workers=1)
        q.submit(look, name='looker')
        q.run()
        self.assertEqual(seen, [('looker', 1, False)])
        with self.assertRaises(RuntimeError):
            Osiiso.current_context()


class Decorator(unittest.TestCase):

    def test_bound_task_submits(self):
        q = Osiiso.ThreadQueue(workers=1)
        calls = []

        @q.task(retries=1, priority=2)
        def double(n):
            calls.append(n)
            return 2 * n

        self.assertIsInstance(double, Osiiso.BoundTask)
        self.assertEqual(double.__name__, 'double')
        self.assertEqual(repr(double), "BoundTask('double')")
        first = double(4)
        second = double(5, priority=0, name='five')
        self.assertEqual(calls, [])                  # submitted, not run
        self.assertFalse(first.done())
        summary = q.run()
        self.assertEqual(calls, [5, 4])              # priority 0 first
        self.assertEqual((first.value(), second.value()), (8, 10))
        self.assertEqual((first.name, second.name), ('double', 'five'))
        self.assertEqual(summary.values, [10, 8])

    def test_decorator_option_errors(self):
        q = Osiiso.ThreadQueue(workers=1)
        with self.assertRaisesRegex(TypeError, 'Unknown task option'):
            q.task(bogus=True)(square)
        bound = q.task()(square)
        with self.assertRaisesRegex(TypeError, 'Unknown task option'):
            bound(3, bogus=True)


class Runs(unittest.TestCase):

    def test_run_timeout(self):
        started = threading.Event()
        q = Osiiso.ThreadQueue(workers=1)
        blocked = q.submit(wait_until_cancelled, started)
        summary = q.run(timeout=0.2)
        self.assertTrue(summary.timed_out)
        self.assertFalse(summary.ok)
        self.assertEqual(blocked.status, 'cancelled')
        self.assertTrue(q.closed)
        with self.assertRaises(Osiiso.InvalidOptionError):
            Osiiso.ThreadQueue().run(timeout=0)

    def test_fail_policy_per_run(self):
        q = Osiiso.ThreadQueue(workers=1)
        q.submit(fail_with, 'x', priority=0)
        rest = q.submit(square, 2, priority=5)
        summary = q.run(fail_policy='fail_first')
        self.assertEqual((summary.failed, summary.cancelled), (1, 1))
        self.assertTrue(rest.cancelled())
        with self.assertRaisesRegex(ValueError, 'fail_policy'):
            q.run(fail_policy='sometimes')

    def test_strict(self):
        q = Osiiso.ThreadQueue(workers=1)
        q.submit(square, 2)
        self.assertEqual(q.run(strict=True).values, [4])
        q.submit(fail_with, 'strictly bad')
        q.submit(square, 3)
        with self.assertRaises(Osiiso.ExecutionError) as caught:
            q.run(strict=True)
        e = caught.exception
        self.assertEqual(e.message, '1 task(s) failed')
        self.assertTrue(e.matches(Osiiso.error_quark(), Osiiso.Error.EXECUTION))
        self.assertEqual(e.summary.values, [9])
        self.assertEqual([r.message for r in e.results], ['ValueError: strictly bad'])

    def test_run_async_with_keywords(self):
        q = Osiiso.AsyncQueue(workers=1)
        q.submit(fail_with, 'async failure', priority=0)
        q.submit(square, 2, priority=5)
        loop = GLib.MainLoop()
        outcome = []

        def done(queue, result):
            try:
                outcome.append(queue.run_finish(result))
            except Exception as e:
                outcome.append(e)
            loop.quit()

        q.run_async(callback=done, fail_policy='fail_first', strict=True)
        iterate_until(lambda: outcome, 'the asynchronous run')
        self.assertIsInstance(outcome[0], Osiiso.ExecutionError)

    def test_raw_run_forms(self):
        q = Osiiso.ThreadQueue(workers=1)
        q.submit(square, 2)
        self.assertEqual(q.run(None).values, [4])
        q.submit(square, 3)
        self.assertEqual(q.run(Gio.Cancellable()).values, [9])
        cancellable = Gio.Cancellable()
        cancellable.cancel()
        q.submit(square, 4)
        with self.assertRaises(Osiiso.CancelledError):
            q.run(cancellable=cancellable)


class Summaries(unittest.TestCase):

    def test_values_errors_and_raise_for_errors(self):
        q = Osiiso.ThreadQueue(workers=1)
        q.submit(square, 1, priority=0)
        q.submit(fail_with, 'bad', priority=1)
        q.submit(square, 3, priority=2)
        cancelled = q.submit(square, 4, priority=3)
        self.assertTrue(cancelled.cancel())
        summary = q.run()
        self.assertEqual(summary.values, [1, 9])
        self.assertIsInstance(summary.values, list)
        self.assertEqual([r.name for r in summary.errors], ['fail_with'])
        self.assertIsInstance(summary.errors, list)
        self.assertEqual((summary.total, summary.succeeded, summary.failed, summary.cancelled),
                         (4, 2, 1, 1))
        self.assertEqual(len(summary.results), 4)
        self.assertFalse(summary.ok)
        with self.assertRaises(Osiiso.ExecutionError) as caught:
            summary.raise_for_errors()
        self.assertEqual(caught.exception.message, '1 task(s) failed')
        self.assertIs(caught.exception.summary, summary)
        self.assertEqual(len(caught.exception.results), 1)
        with self.assertRaises(Osiiso.ExecutionError) as caught:
            summary.raise_for_errors(include_cancelled=True)
        self.assertEqual(caught.exception.message, '1 task(s) failed; 1 task(s) cancelled')
        self.assertEqual(len(caught.exception.results), 2)
        self.assertEqual(len(summary.cancellations()), 1)
        self.assertEqual(len(summary.successes()), 2)
        self.assertEqual(set(summary.by_group()), {None})
        self.assertIn('Failed      : 1', str(summary))

    def test_raise_for_errors_on_cancellations_only(self):
        q = Osiiso.ThreadQueue(workers=1)
        q.submit(square, 1).cancel()
        summary = q.run()
        summary.raise_for_errors()          # no failure: nothing raised
        with self.assertRaisesRegex(Osiiso.ExecutionError, r'^1 task\(s\) cancelled$'):
            summary.raise_for_errors(include_cancelled=True)


class Handles(unittest.TestCase):

    def test_handle_api(self):
        q = Osiiso.ThreadQueue(workers=1)
        handle = q.submit(square, 6, name='six')
        self.assertEqual((handle.name, handle.status, handle.attempts), ('six', 'pending', 0))
        self.assertFalse(handle.done())
        with self.assertRaises(Osiiso.NotReadyError):
            handle.result()
        with self.assertRaises(Osiiso.NotReadyError):
            handle.value()
        # The queue is not started: a wait times out.
        with self.assertRaises(TimeoutError) as caught:
            handle.wait(0.05)
        self.assertIsInstance(caught.exception, Osiiso.TimeoutError)
        self.assertTrue(caught.exception.matches(Osiiso.error_quark(), Osiiso.Error.TIMEOUT))
        q.start()
        result = handle.wait(GUARD)
        self.assertEqual(result.status, 'succeeded')
        self.assertEqual((result.value, result.attempts, result.name), (36, 1, 'six'))
        self.assertTrue(handle.done())
        self.assertFalse(handle.cancel())
        self.assertIsNone(handle.exception())
        self.assertEqual(repr(handle), "TaskHandle('six', status='succeeded', id=%d)" % handle.task_id)
        self.assertEqual(repr(result), "TaskResult('six', status='succeeded', attempts=1)")
        q.shutdown()

    def test_cancelled_value(self):
        q = Osiiso.ThreadQueue(workers=1)
        handle = q.submit(square, 2)
        self.assertTrue(handle.cancel())
        self.assertTrue(handle.cancelled())
        with self.assertRaises(concurrent.futures.CancelledError) as caught:
            handle.value()
        self.assertIsInstance(caught.exception, Osiiso.CancelledError)
        self.assertTrue(caught.exception.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED))
        self.assertIsNone(handle.exception())
        self.assertIsNone(handle.result().value)

    def test_wait_from_another_thread(self):
        q = Osiiso.ThreadQueue(workers=1)
        handle = q.submit(square, 7)
        got = []
        waiter = threading.Thread(target=lambda: got.append(handle.wait(GUARD).value))
        waiter.start()
        q.run()
        waiter.join(GUARD)
        self.assertEqual(got, [49])

    def test_done_callbacks(self):
        q = Osiiso.ThreadQueue(workers=2)
        calls = []
        handle = q.submit(square, 3)
        handle.add_done_callback(lambda h: calls.append(('first', h.value(), threading.get_ident())))
        handle.add_done_callback(lambda h: calls.append(('second', h.value(), threading.get_ident())))
        # A handle nobody keeps still calls back (the introspected submit:
        # a handle wrapper without Python attributes of its own).
        def raw(ctx, n):
            ctx.set_value(n * n)
            return True
        q.submit_func(raw, 4).add_done_callback(lambda h: calls.append(('dropped', h.get_result().value,
                                                                        threading.get_ident())))
        gc.collect()
        q.run()
        self.assertEqual(sorted(calls), sorted([('first', 9, MAIN_THREAD), ('second', 9, MAIN_THREAD),
                                                ('dropped', 16, MAIN_THREAD)]))
        self.assertLess(calls.index(('first', 9, MAIN_THREAD)), calls.index(('second', 9, MAIN_THREAD)))
        # Registered once done: called at once.
        handle.add_done_callback(lambda h: calls.append('late'))
        self.assertEqual(calls[-1], 'late')

    def test_done_callback_exceptions_are_logged(self):
        q = Osiiso.ThreadQueue(workers=1)
        handle = q.submit(square, 3)
        handle.add_done_callback(lambda h: 1 / 0)
        after = []
        handle.add_done_callback(after.append)
        with self.assertLogs('osiiso', level='ERROR'):
            q.run()
        self.assertEqual(after, [handle])


class Values(unittest.TestCase):

    def test_task_context_takes_any_int(self):
        q = Osiiso.ThreadQueue(workers=1)

        def raw(ctx, n):
            ctx.set_value(n)
            return True

        handles = [q.submit_func(raw, 2**100), q.submit_func(raw, -5), q.submit_func(raw, None)]
        q.run()
        self.assertEqual([h.value() for h in handles], [2**100, -5, None])

    def test_to_and_from_variant(self):
        for value in ROUND_TRIP:
            variant = Osiiso.to_variant(value)
            self.assertIsInstance(variant, GLib.Variant)
            self.assertTrue(same_types(Osiiso.from_variant(variant), value), value)
        self.assertEqual(Osiiso.to_variant((1, 'a')).get_type_string(), '(xs)')
        self.assertEqual(Osiiso.to_variant({'k': 1}).get_type_string(), 'a{sv}')
        self.assertEqual(Osiiso.to_variant([1]).get_type_string(), 'av')
        self.assertEqual(Osiiso.to_variant(None).get_type_string(), 'mv')

    def test_from_foreign_variants(self):
        self.assertEqual(Osiiso.from_variant(GLib.Variant('(ii)', (1, 2))), (1, 2))
        self.assertEqual(Osiiso.from_variant(GLib.Variant('as', ['a', 'b'])), ['a', 'b'])
        self.assertEqual(Osiiso.from_variant(GLib.Variant('a{ss}', {'a': 'b'})), {'a': 'b'})
        self.assertEqual(Osiiso.from_variant(GLib.Variant('mi', None)), None)
        self.assertEqual(Osiiso.from_variant(GLib.Variant('mi', 5)), 5)
        self.assertEqual(Osiiso.from_variant(GLib.Variant('a{iv}', {3: GLib.Variant('s', 'x')})), {3: 'x'})

    def test_unconvertible_values(self):
        class MyInt(int):
            pass
        for bad in ({1, 2}, object(), {1: 'int key'}, bytearray(b'x'), MyInt(3), [1, {2}], ('ok', {'k': set()}),
                    '\ud800', 'with\0nul'):
            with self.assertRaises(TypeError, msg=repr(bad)):
                Osiiso.to_variant(bad)


# ---------------------------------------------------------------------------
# Item 5: Python functions in worker processes
# ---------------------------------------------------------------------------

class ProcessTasks(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.q = Osiiso.ProcessQueue(workers=2)

    @classmethod
    def tearDownClass(cls):
        cls.q.shutdown()

    def test_types_round_trip_through_a_worker(self):
        handles = [self.q.submit(identity, value) for value in ROUND_TRIP]
        everything = self.q.submit(echo, *ROUND_TRIP)
        summary = self.q.run()
        self.assertTrue(summary.ok, summary.to_string())
        for value, handle in zip(ROUND_TRIP, handles):
            self.assertTrue(same_types(handle.value(), value), (value, handle.value()))
        self.assertTrue(same_types(everything.value(), tuple(ROUND_TRIP)))
        self.assertTrue(same_types(everything.result().value, tuple(ROUND_TRIP)))

    def test_runs_in_another_process(self):
        handle = self.q.submit(worker_pid)
        library = self.q.submit(math.factorial, 30)      # a function of another module
        self.q.run()
        self.assertIn(handle.value(), list(self.q.get_worker_pids()))
        self.assertNotEqual(handle.value(), os.getpid())
        self.assertEqual(library.value(), math.factorial(30))
        self.assertEqual(library.name, 'factorial')

    def test_unconvertible_arguments_fail_at_submit(self):
        for bad in ({1}, object(), {2: 'x'}, bytearray(b'x')):
            with self.assertRaisesRegex(TypeError, 'argument 1 of identity'):
                self.q.submit(identity, bad)
        self.assertEqual(self.q.pending_count, 0)

    def test_functions_a_worker_cannot_import(self):
        def nested(x):
            return x
        for fn in (nested, lambda x: x):
            with self.assertRaisesRegex(TypeError, 'module-level'):
                self.q.submit(fn, 1)
        shadowed = Osiiso.ThreadQueue.new(1)
        with self.assertRaisesRegex(TypeError, 'module-level'):
            self.q.submit(shadowed.get_workers)
        self.assertEqual(self.q.pending_count, 0)

    def test_exceptions_come_back(self):
        plain = self.q.submit(fail_with, 'remote trouble')
        custom = self.q.submit(fail_custom, 'custom trouble')
        glib = self.q.submit(fail_glib)
        unreturnable = self.q.submit(return_a_set)
        summary = self.q.run()
        self.assertEqual(summary.failed, 4)
        with self.assertRaises(ValueError) as caught:
            plain.value()
        self.assertEqual(str(caught.exception), 'remote trouble')
        self.assertEqual(plain.result().message, 'ValueError: remote trouble')
        self.assertIs(type(custom.exception()), TaskError)
        self.assertEqual(str(custom.exception()), 'custom trouble')
        error = glib.result().error
        self.assertTrue(error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.PERMISSION_DENIED))
        with self.assertRaises(GLib.Error) as caught:
            glib.value()
        self.assertEqual(caught.exception.message, 'permission denied by the test')
        self.assertIs(type(unreturnable.exception()), TypeError)
        self.assertIn('set', str(unreturnable.exception()))

    def test_worker_state_persists(self):
        q = Osiiso.ProcessQueue(workers=1)
        first = q.submit(count_calls)
        second = q.submit(count_calls)
        q.run()
        self.assertEqual((first.value(), second.value()), (1, 2))
        q.shutdown()

    def test_initializer_runs_in_each_worker(self):
        with Osiiso.ProcessQueue(workers=1, initializer=initialize, initargs=('ready', 2**80)) as q:
            handle = q.submit(initialized)
            q.run()
        self.assertEqual(handle.value(), [('ready', 2**80)])
        with self.assertRaisesRegex(TypeError, 'module-level'):
            Osiiso.ProcessQueue(initializer=lambda: None)

    def test_timeout_kills_the_worker(self):
        handle = self.q.submit(sleep_long, timeout=0.3)
        self.q.run()
        self.assertEqual(handle.status, 'failed')
        with self.assertRaises(Osiiso.TimeoutError):
            handle.value()

    def test_decorated_in_place(self):
        bound = self.q.task(name='ident')(identity)
        handle = bound((1, [2]))
        self.q.run()
        self.assertEqual(handle.value(), (1, [2]))
        self.assertEqual(handle.name, 'ident')

    def test_own_worker_argv_keeps_the_raw_api(self):
        tool = os.environ.get('OSIISO_TEST_WORKER_TOOL')
        module = os.environ.get('OSIISO_TEST_WORKER_MODULE')
        if not tool or not module:
            self.skipTest('set OSIISO_TEST_WORKER_TOOL and OSIISO_TEST_WORKER_MODULE')
        with Osiiso.ProcessQueue(worker_argv=[tool, module], workers=1) as q:
            with self.assertRaisesRegex(TypeError, 'submit_call'):
                q.submit(identity, 1)
            handle = q.submit_call('add', GLib.Variant('(ii)', (2, 3)), Osiiso.TaskOptions(name='add'))
            q.run()
        self.assertEqual(handle.result().get_value().unpack(), 5)
        self.assertEqual(handle.value().unpack(), 5)     # a foreign value stays a GLib.Variant
        with self.assertRaisesRegex(TypeError, 'initializer needs the Python worker'):
            Osiiso.ProcessQueue(worker_argv=[tool, module], initializer=initialize)


# ---------------------------------------------------------------------------
# Item 6: async tasks that start GIO work
# ---------------------------------------------------------------------------

def load_file(path):
    """Starts loading @path; the task ends when the callback completes it."""
    done = Osiiso.Completion()
    Gio.File.new_for_path(path).load_contents_async(
        done.cancellable, done.callback(lambda f, res: f.load_contents_finish(res)[1]))
    return done


class AsyncTasks(unittest.TestCase):

    def setUp(self):
        self.tmpdir = tempfile.mkdtemp(prefix='osiiso-override-')

    def tearDown(self):
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def test_plain_functions_run_on_the_main_context(self):
        q = Osiiso.AsyncQueue(workers=2)
        handle = q.submit(threading.get_ident)
        q.run()
        self.assertEqual(handle.value(), MAIN_THREAD)

    def test_gio_work_completes_through_the_completion(self):
        path = os.path.join(self.tmpdir, 'a.txt')
        with open(path, 'wb') as f:
            f.write(b'contents\n')
        with Osiiso.AsyncQueue(workers=2) as q:
            good = q.submit(load_file, path, timeout=GUARD)
            missing = q.submit(load_file, os.path.join(self.tmpdir, 'missing'))
            summary = q.run()
        self.assertEqual((summary.succeeded, summary.failed), (1, 1))
        self.assertEqual(good.value(), b'contents\n')
        self.assertTrue(missing.result().error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND))
        with self.assertRaises(GLib.Error) as caught:
            missing.value()
        self.assertTrue(caught.exception.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND))

    def test_timeout_cancels_the_operation(self):
        ours, peer = socket.socketpair()
        connection = Gio.Socket.new_from_fd(ours.detach()).connection_factory_create_connection()
        completions = []

        def read_silent_peer(stream):
            done = Osiiso.Completion()
            completions.append(done)
            stream.read_bytes_async(64, GLib.PRIORITY_DEFAULT, done.cancellable,
                                    done.callback(lambda s, res: s.read_bytes_finish(res).get_data()))
            return done

        q = Osiiso.AsyncQueue(workers=1)
        handle = q.submit(read_silent_peer, connection.get_input_stream(), timeout=0.2)
        q.run()
        self.assertEqual(handle.status, 'failed')
        self.assertIsInstance(handle.exception(), Osiiso.TimeoutError)
        iterate_until(lambda: completions[0].done(), 'the cancelled read to call back')
        connection.close(None)
        peer.close()

    def test_an_operation_that_never_completes_leaks_nothing(self):
        completions = []

        def forgetful():
            done = Osiiso.Completion()
            completions.append(done)
            return done                      # nobody ever completes it

        q = Osiiso.AsyncQueue(workers=1)
        finalized = []
        q.weak_ref(lambda: finalized.append(True))
        handle = q.submit(forgetful, timeout=0.1, retries=1)
        summary = q.run()
        self.assertEqual(summary.failed, 1)
        self.assertEqual(handle.attempts, 2)
        iterate_until(lambda: all(c.done() for c in completions), 'the abandoned completions')
        self.assertEqual([c.attempt for c in completions], [1, 2])
        self.assertFalse(completions[0].set_result(1))   # too late: ignored
        del q, handle, summary
        gc.collect()
        iterate_until(lambda: finalized, 'the queue to be finalized')

    def test_completion_from_another_thread_and_first_wins(self):
        def threaded(n):
            done = Osiiso.Completion()
            self.assertIs(Osiiso.Completion(), done)          # one per attempt
            threading.Thread(target=done.set_result, args=(n * 2,)).start()
            return done

        def completes_then_returns():
            done = Osiiso.Completion()
            done.set_result('completed')
            return 'returned'

        def completes_then_raises():
            Osiiso.Completion().set_exception(KeyError('set'))
            raise ValueError('raised')

        q = Osiiso.AsyncQueue(workers=4)
        handles = [q.submit(threaded, 21), q.submit(completes_then_returns),
                   q.submit(completes_then_raises)]
        q.run()
        self.assertEqual(handles[0].value(), 42)
        self.assertEqual(handles[1].value(), 'completed')
        self.assertIs(type(handles[2].exception()), KeyError)

    def test_retry_after_a_completion_failed(self):
        def flaky():
            done = Osiiso.Completion()
            if done.attempt == 1:
                GLib.idle_add(lambda: done.set_exception(ConnectionError('try again')) and False)
            else:
                GLib.idle_add(lambda: done.set_result('second time') and False)
            return done

        q = Osiiso.AsyncQueue(workers=1)
        handle = q.submit(flaky, retries=1)
        q.run()
        self.assertEqual((handle.value(), handle.attempts), ('second time', 2))

    def test_attempt_cancelled_before_the_function_returned(self):
        completions, handles = [], []

        def cancels_itself():
            done = Osiiso.Completion()
            completions.append(done)
            handles[0].cancel()          # the queue ends the attempt at once
            return done

        q = Osiiso.AsyncQueue(workers=1)
        handles.append(q.submit(cancels_itself))
        q.run()
        self.assertEqual(handles[0].status, 'cancelled')
        self.assertTrue(completions[0].done())

    def test_completion_outside_async_tasks(self):
        with self.assertRaisesRegex(RuntimeError, 'AsyncQueue'):
            Osiiso.Completion()
        q = Osiiso.ThreadQueue(workers=1)
        handle = q.submit(Osiiso.Completion)
        q.run()
        self.assertIs(type(handle.exception()), RuntimeError)


# ---------------------------------------------------------------------------
# The raw introspected API on override objects
# ---------------------------------------------------------------------------

class RawApi(unittest.TestCase):

    def test_raw_forms_keep_working(self):
        q = Osiiso.ThreadQueue.new(2)         # no __init__: the override still works

        def raw(ctx, data):
            ctx.set_value(data + 1)
            return True

        raw_handle = q.submit_func(raw, 41, Osiiso.TaskOptions(name='raw'))
        handle = q.submit(square, 5)
        summary = q.run(None)
        self.assertEqual(raw_handle.result().get_value(), 42)
        ok, value = raw_handle.get_value()
        self.assertEqual((ok, value), (True, 42))
        self.assertEqual(handle.value(), 25)
        self.assertEqual(summary.get_total(), 2)
        self.assertEqual(raw_handle.get_status(), Osiiso.TaskStatus.SUCCEEDED)
        self.assertEqual(raw_handle.wait(-1, None).get_value(), 42)
        self.assertTrue(q.shutdown(False, None))

    def test_raw_process_queue(self):
        tool = os.environ.get('OSIISO_TEST_WORKER_TOOL')
        module = os.environ.get('OSIISO_TEST_WORKER_MODULE')
        if not tool or not module:
            self.skipTest('set OSIISO_TEST_WORKER_TOOL and OSIISO_TEST_WORKER_MODULE')
        q = Osiiso.ProcessQueue.new([tool, module], 1)
        handle = q.submit_call('echo', GLib.Variant('s', 'hi'), None)
        q.run(None)
        self.assertEqual(handle.result().get_value().unpack(), 'hi')
        q.shutdown(False, None)


if __name__ == '__main__':
    check_override()
    unittest.main(verbosity=2)

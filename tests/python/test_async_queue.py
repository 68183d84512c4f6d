#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""OsiisoAsyncQueue through raw introspection (PyGObject, no override).

Task functions are plain Python functions ``start(ctx, user_data)``. They run
on the queue's main context, start a real GLib/GIO asynchronous operation
(a timeout source, ``Gio.File.load_contents_async``, a loopback socket
client talking to a ``Gio.SocketService`` echo server, ...) and return True
at once. The operation completes the attempt later, exactly once, with
``ctx.return_value(v)``, ``ctx.return_error(GLib.Error(...))`` or
``ctx.return_error_if_cancelled()``. A start function that raises or
returns False ends its attempt FAILED at once.

Rules followed throughout (see reference/toolchain.md, pitfalls 4, 5, 18),
as in test_thread_queue.py:

- nothing is asserted inside a signal handler, task function or GIO
  callback: they record what they saw, and the test asserts after the
  blocking call (or the main loop) returns;
- errors are matched with ``e.matches(Osiiso.error_quark(), code)``;
- synchronisation waits on events (a blocking run, a main loop, a context
  iterated until a condition holds, a ``threading.Event``), never on a
  sleep; every wait has a generous bound, so a broken library fails a test
  instead of hanging it;
- every attempt is completed at most once (the ``Attempt`` helper), since
  a second completion is a programmer error (a critical, fatal here);
- tests that may crash the interpreter are @isolated: they run in a child
  interpreter, so a crash fails that test alone.
- the only sockets are on 127.0.0.1.
"""

import os
import shutil
import tempfile
import threading
import time
import unittest

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Osiiso', '1.0')

from gi.repository import GLib, Gio, Osiiso  # noqa: E402
from osiiso_test_support import QueueTestCase, is_cancelled_error, isolated, options, run_loop_until  # noqa: E402


MAIN_THREAD = threading.get_ident()

# Upper bound for anything that should take well under a second: the test
# machine has 2 shared cores, so margins are wide.
GUARD = 20.0

TEST_DOMAIN = 'osiiso-python-test-error'
IO_DOMAIN = 'g-io-error-quark'
OSIISO_DOMAIN = 'osiiso-error-quark'

S = Osiiso.TaskStatus
PRIO = GLib.PRIORITY_DEFAULT


# --------------------------------------------------------------------------
# Helpers (the generic ones are copied from test_thread_queue.py)
# --------------------------------------------------------------------------



def async_queue(**props):
    """An async queue built from construct properties (default 2 workers)."""
    props.setdefault('workers', 2)
    return Osiiso.AsyncQueue(**props)


def submit(queue, fn, data=None, **opts):
    """Submits @fn with options built from keyword arguments."""
    return queue.submit(fn, data, options(**opts) if opts else None)


def make_error(message, code=7):
    return GLib.Error(message, TEST_DOMAIN, code)


def spin_until(predicate, guard=GUARD, context=None):
    """Iterates @context (default: the global default context) until
    @predicate() holds; every change it waits for is dispatched there.
    Returns the predicate's final value (False on the guard)."""
    if context is None:
        context = GLib.MainContext.default()
    fired = []
    guard_source = GLib.timeout_source_new(int(guard * 1000))
    guard_source.set_callback(lambda *a: fired.append(True) or GLib.SOURCE_REMOVE)
    guard_source.attach(context)
    try:
        while not predicate() and not fired:
            context.iteration(True)
    finally:
        guard_source.destroy()
    return bool(predicate())


def settle(seconds):
    """Iterates the default context for @seconds, so that a wrong extra
    delivery (a second result, a late signal) would show up before the test
    looks. Never used to wait for something that must happen."""
    spin_until(lambda: False, guard=seconds)


def call_later(seconds, fn):
    """Calls @fn once after @seconds on the thread-default main context of
    the calling thread (the queue's context, inside a start function).
    Returns the source; destroying it (from any thread) is always safe."""
    source = GLib.timeout_source_new(max(0, int(seconds * 1000)))

    def fire(*args):
        fn()
        return GLib.SOURCE_REMOVE

    source.set_callback(fire)
    source.attach(GLib.MainContext.ref_thread_default())
    return source


class Attempt:
    """One attempt's asynchronous operation: completes its context at most
    once, from whichever thread gets there first. Completing the context of
    an attempt that the queue already ended (timeout, cancel) is allowed and
    dropped by the queue; completing it twice is not."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.attempt = ctx.get_attempt()
        self.thread = threading.get_ident()
        self._lock = threading.Lock()
        self.outcome = None          # ('value', v) or ('error', GLib.Error)
        self.completed_on = None     # thread that completed it

    def _claim(self, outcome):
        with self._lock:
            if self.outcome is not None:
                return False
            self.outcome = outcome
            self.completed_on = threading.get_ident()
            return True

    def value(self, value=None):
        if not self._claim(('value', value)):
            return False
        self.ctx.return_value(value)
        return True

    def error(self, error):
        if not self._claim(('error', error)):
            return False
        self.ctx.return_error(error)
        return True

    def error_if_cancelled(self):
        """The GTask-style early exit, for cancellation handlers."""
        with self._lock:
            if self.outcome is not None:
                return False
            if not self.ctx.return_error_if_cancelled():
                return False
            self.outcome = ('error', 'cancelled')
            self.completed_on = threading.get_ident()
            return True


# -- Task functions built on real GLib/GIO asynchronous operations ---------

def delay_task(seconds, value=None, log=None, fail=None):
    """An operation on a GLib timeout source: after @seconds it succeeds
    with @value (or fails with @fail, a GLib.Error). It honours its
    cancellable like a GIO call would: on cancellation it removes its timer
    and completes with G_IO_ERROR_CANCELLED."""
    def start(ctx, data):
        op = Attempt(ctx)
        if log is not None:
            log.append((ctx.get_name(), ctx.get_attempt(), threading.get_ident()))

        def fire():
            if fail is not None:
                op.error(fail)
            else:
                op.value(value)

        source = call_later(seconds, fire)

        def on_cancelled(*args):
            source.destroy()
            op.error_if_cancelled()

        ctx.get_cancellable().connect(on_cancelled)
        return True
    return start


def never_task(store, cancelled=None):
    """An operation that never completes on its own: it only stores its
    Attempt in @store, and records in @cancelled (a list) when the attempt's
    cancellable is cancelled. The test completes it (late) itself."""
    def start(ctx, data):
        op = Attempt(ctx)
        store.append(op)
        if cancelled is not None:
            ctx.get_cancellable().connect(
                lambda *args: cancelled.append((op.attempt, threading.get_ident())))
        return True
    return start


def until_cancelled_task(saw=None, started=None, cap=GUARD):
    """An operation that runs until its attempt is interrupted, then
    completes with ctx.return_error_if_cancelled() (recording it in @saw).

    If it is never interrupted it gives up after @cap seconds and
    *succeeds* with 'never-cancelled', so that a library that fails to
    interrupt it fails the test's status assertion instead of hanging."""
    def start(ctx, data):
        op = Attempt(ctx)
        if started is not None:
            started.append(ctx.get_name())
        source = call_later(cap, lambda: op.value('never-cancelled'))

        def on_cancelled(*args):
            source.destroy()
            if op.error_if_cancelled() and saw is not None:
                saw.append(ctx.get_name())

        ctx.get_cancellable().connect(on_cancelled)
        return True
    return start


def load_task(path):
    """Loads @path with Gio.File.load_contents_async; the value is the text."""
    def start(ctx, data):
        op = Attempt(ctx)

        def on_loaded(file, result, *args):
            try:
                ok, contents, etag = file.load_contents_finish(result)
            except GLib.Error as e:
                op.error(e)
                return
            op.value(contents.decode('utf-8'))

        Gio.File.new_for_path(path).load_contents_async(ctx.get_cancellable(), on_loaded)
        return True
    return start


def echo_task(port, message, io_log=None):
    """A loopback client: Gio.SocketClient.connect_to_host_async to
    127.0.0.1:@port, writes @message, reads until the whole echo is back,
    closes, and succeeds with the echoed text. Any GIO error (including
    G_IO_ERROR_CANCELLED when the attempt is interrupted) fails the
    attempt with that error, and is logged in @io_log."""
    def start(ctx, data):
        op = Attempt(ctx)
        cancellable = ctx.get_cancellable()
        payload = message.encode('utf-8')
        received = bytearray()
        state = {}

        def fail(error):
            if io_log is not None:
                io_log.append((ctx.get_name(), error.domain, error.code))
            conn = state.get('conn')
            if conn is not None:
                try:
                    conn.close(None)
                except GLib.Error:
                    pass
            op.error(error)

        def on_connected(client, result, *args):
            try:
                state['conn'] = client.connect_to_host_finish(result)
            except GLib.Error as e:
                fail(e)
                return
            state['conn'].get_output_stream().write_all_async(
                payload, PRIO, cancellable, on_written)

        def on_written(stream, result, *args):
            try:
                stream.write_all_finish(result)
            except GLib.Error as e:
                fail(e)
                return
            read_more()

        def read_more():
            state['conn'].get_input_stream().read_bytes_async(
                4096, PRIO, cancellable, on_read)

        def on_read(stream, result, *args):
            try:
                chunk = stream.read_bytes_finish(result)
            except GLib.Error as e:
                fail(e)
                return
            if chunk.get_size() == 0:
                fail(make_error('the server closed the connection early', 20))
                return
            received.extend(chunk.get_data())
            if len(received) < len(payload):
                read_more()
                return
            state['conn'].close_async(PRIO, None, on_closed)

        def on_closed(conn, result, *args):
            try:
                conn.close_finish(result)
            except GLib.Error:
                pass
            op.value(bytes(received).decode('utf-8'))

        Gio.SocketClient.new().connect_to_host_async('127.0.0.1', port, cancellable,
                                                     on_connected)
        return True
    return start


class LoopbackServer:
    """A Gio.SocketService on 127.0.0.1 (an ephemeral port, loopback only).

    An echo server writes back whatever it reads until the client closes; a
    silent one accepts connections and never answers."""

    def __init__(self, silent=False):
        self.silent = silent
        self.accepted = 0
        self.held = []
        self.service = Gio.SocketService.new()
        address = Gio.InetSocketAddress.new_from_string('127.0.0.1', 0)
        ok, effective = self.service.add_address(address, Gio.SocketType.STREAM,
                                                 Gio.SocketProtocol.TCP, None)
        assert ok
        self.host = effective.get_address().to_string()
        self.port = effective.get_port()
        self.service.connect('incoming', self._on_incoming)
        self.service.start()

    def _on_incoming(self, service, conn, source_object):
        self.accepted += 1
        self.held.append(conn)
        if not self.silent:
            self._echo(conn)
        return True

    def _echo(self, conn):
        inp = conn.get_input_stream()
        out = conn.get_output_stream()

        def read_more():
            inp.read_bytes_async(4096, PRIO, None, on_read)

        def on_read(stream, result, *args):
            try:
                data = stream.read_bytes_finish(result)
            except GLib.Error:
                self._drop(conn)
                return
            if data.get_size() == 0:
                self._drop(conn)
                return
            out.write_all_async(data.get_data(), PRIO, None, on_written)

        def on_written(stream, result, *args):
            try:
                stream.write_all_finish(result)
            except GLib.Error:
                self._drop(conn)
                return
            read_more()

        read_more()

    def _drop(self, conn):
        if conn in self.held:
            self.held.remove(conn)
        try:
            conn.close(None)
        except GLib.Error:
            pass

    def close(self):
        self.service.stop()
        self.service.close()
        for conn in list(self.held):
            try:
                conn.close(None)
            except GLib.Error:
                pass
        self.held = []


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

    def count(self, kind):
        return sum(1 for e in self.events if e[0] == kind)

    def threads(self):
        return {e[3] for e in self.events}


# --------------------------------------------------------------------------
# 1. Tasks on real GLib/GIO asynchronous operations
# --------------------------------------------------------------------------

class GioOperationTests(QueueTestCase):

    def setUp(self):
        self.tmpdir = tempfile.mkdtemp(prefix='osiiso-async-test-')

    def tearDown(self):
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def test_timeout_source_delays(self):
        q = async_queue(workers=3)
        recorder = SignalRecorder(q)
        delays = {'slow': 0.9, 'fast': 0.1, 'middle': 0.5}
        handles = {name: submit(q, delay_task(d, value='%s-done' % name), name=name)
                   for name, d in delays.items()}
        summary = q.run(None)

        self.assertEqual(summary.get_total(), 3)
        self.assertEqual(summary.get_succeeded(), 3)
        self.assertTrue(summary.get_ok())
        for name, h in handles.items():
            self.assertStatus(h, S.SUCCEEDED)
            result = h.get_result()
            self.assertEqual(result.get_value(), '%s-done' % name)
            self.assertEqual(result.get_attempts(), 1)
            # Timers never fire early.
            self.assertGreaterEqual(result.get_duration(), delays[name] * 0.95)
        # All three were in flight together (workers=3), so they finish in
        # the order of their delays (gaps of 0.4 s).
        completed = [e[1] for e in recorder.events if e[0] == 'completed']
        self.assertEqual(completed, ['fast', 'middle', 'slow'])
        self.assertLess(summary.get_duration(), 0.9 + GUARD / 2)

    def test_load_contents_async(self):
        q = async_queue(workers=2)
        expected = {}
        handles = {}
        for i in range(5):
            path = os.path.join(self.tmpdir, 'file-%d.txt' % i)
            text = 'contents of file %d\n' % i * (i + 1)
            with open(path, 'w', encoding='utf-8') as f:
                f.write(text)
            expected[path] = text
            handles[path] = submit(q, load_task(path), name=os.path.basename(path))
        missing = os.path.join(self.tmpdir, 'no-such-file.txt')
        missing_h = submit(q, load_task(missing), name='missing')
        summary = q.run(None)

        self.assertEqual(summary.get_total(), 6)
        self.assertEqual(summary.get_succeeded(), 5)
        self.assertEqual(summary.get_failed(), 1)
        for path, h in handles.items():
            self.assertStatus(h, S.SUCCEEDED)
            self.assertEqual(h.get_result().get_value(), expected[path])
            self.assertEqual(h.get_value(), (True, expected[path]))
        # GIO's own error comes back unchanged: domain, code and message.
        self.assertStatus(missing_h, S.FAILED)
        error = missing_h.get_result().get_error()
        self.assertTrue(error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND),
                        '%s %s' % (error.domain, error.message))
        self.assertIn('no-such-file.txt', error.message)
        self.assertEqual(missing_h.get_result().get_message(), error.message)
        self.assertIn('missing', summary.to_string())

    def test_loopback_echo_server(self):
        server = LoopbackServer()
        try:
            self.assertEqual(server.host, '127.0.0.1')
            q = async_queue(workers=3)
            io_log = []
            messages = ['message %d: %s' % (i, 'x' * (i * 300)) for i in range(8)]
            handles = [submit(q, echo_task(server.port, m, io_log), name='client-%d' % i)
                       for i, m in enumerate(messages)]
            summary = q.run(None)
        finally:
            server.close()

        self.assertEqual(io_log, [])
        self.assertEqual(summary.get_total(), 8)
        self.assertEqual(summary.get_succeeded(), 8, summary.to_string())
        for h, m in zip(handles, messages):
            self.assertStatus(h, S.SUCCEEDED)
            self.assertEqual(h.get_result().get_value(), m)
        self.assertEqual(server.accepted, 8)

    def test_socket_read_timeout_cancels_the_read(self):
        server = LoopbackServer(silent=True)
        echo = LoopbackServer()
        try:
            q = async_queue(workers=2)
            recorder = SignalRecorder(q)
            io_log = []
            stuck = submit(q, echo_task(server.port, 'anyone there?', io_log),
                           name='stuck', timeout=0.3)
            fine = submit(q, echo_task(echo.port, 'hello', io_log), name='fine', timeout=GUARD)
            summary = q.run(None)
            # The read was pending on the silent server; the attempt's
            # cancellable, cancelled by the timeout, ends it. Its late
            # completion (an error) is dropped by the queue.
            self.assertTrue(spin_until(lambda: io_log), 'the read was never cancelled')
            settle(0.2)
        finally:
            server.close()
            echo.close()

        self.assertStatus(stuck, S.FAILED)
        self.assertOsiisoError(stuck.get_result().get_error(), Osiiso.Error.TIMEOUT)
        self.assertEqual(stuck.get_attempts(), 1)
        self.assertEqual(io_log, [('stuck', IO_DOMAIN, Gio.IOErrorEnum.CANCELLED)])
        self.assertStatus(fine, S.SUCCEEDED)
        self.assertEqual(fine.get_result().get_value(), 'hello')
        self.assertEqual(summary.get_failed(), 1)
        self.assertEqual(summary.get_succeeded(), 1)
        self.assertEqual(recorder.kinds_for('stuck'), ['started', 'completed'])
        self.assertEqual(len(q.get_results()), 2)
        self.assertEqual(q.run(None).get_total(), 0)

    def test_completion_from_another_thread(self):
        q = async_queue(workers=2)
        recorder = SignalRecorder(q)
        ops = []
        threads = []

        def completed_by_a_thread(ctx, value):
            op = Attempt(ctx)
            ops.append(op)

            def spawn():
                # After the start function returned: complete from a thread.
                t = threading.Thread(target=op.value, args=(value,))
                threads.append(t)
                t.start()
                return GLib.SOURCE_REMOVE

            GLib.idle_add(spawn)
            return True

        handles = [q.submit(completed_by_a_thread, 'v%d' % i, options(name='t%d' % i))
                   for i in range(4)]
        summary = q.run(None)
        for t in threads:
            t.join(GUARD)

        self.assertEqual(summary.get_succeeded(), 4)
        self.assertEqual([h.get_result().get_value() for h in handles],
                         ['v0', 'v1', 'v2', 'v3'])
        self.assertEqual({op.thread for op in ops}, {MAIN_THREAD})
        self.assertNotIn(MAIN_THREAD, {op.completed_on for op in ops})
        # Signals still come on the queue's context only.
        self.assertEqual(recorder.threads(), {MAIN_THREAD})


# --------------------------------------------------------------------------
# 2. The start function
# --------------------------------------------------------------------------

class StartFunctionTests(QueueTestCase):

    def test_start_function_runs_on_the_main_thread(self):
        q = async_queue()
        log = []
        for i in range(3):
            submit(q, delay_task(0.01, value=i, log=log), name='s%d' % i)
        q.run(None)
        self.assertEqual(sorted(n for n, _, _ in log), ['s0', 's1', 's2'])
        self.assertEqual({t for _, _, t in log}, {MAIN_THREAD})

    def test_raising_start_function_fails_at_once(self):
        q = async_queue()
        calls = []

        def raises(ctx, data):
            calls.append(ctx.get_attempt())
            raise ValueError('not a GLib.Error (expected traceback in this test)')

        recorder = SignalRecorder(q)
        h = submit(q, raises, name='raiser')
        summary = q.run(None)
        self.assertStatus(h, S.FAILED)
        self.assertNotEqual(h.get_status(), S.SUCCEEDED)
        self.assertEqual(calls, [1])
        self.assertEqual(recorder.kinds_for('raiser'), ['started', 'completed'])
        self.assertEqual(h.get_attempts(), 1)
        self.assertEqual(summary.get_failed(), 1)
        self.assertEqual(summary.get_succeeded(), 0)
        error = h.get_result().get_error()
        self.assertOsiisoError(error, Osiiso.Error.FAILED)
        self.assertTrue(error.message)

    def test_raising_glib_error_keeps_domain_code_and_message(self):
        q = async_queue()

        def raises(ctx, data):
            raise GLib.Error('cannot even start', TEST_DOMAIN, 17)

        h = submit(q, raises, name='no-start')
        summary = q.run(None)
        self.assertStatus(h, S.FAILED)
        error = h.get_result().get_error()
        self.assertEqual((error.domain, error.code, error.message),
                         (TEST_DOMAIN, 17, 'cannot even start'))
        self.assertIn('cannot even start', summary.to_string())

    def test_returning_false_fails(self):
        q = async_queue()
        h = submit(q, lambda ctx, data: False, name='falsy')
        summary = q.run(None)
        self.assertStatus(h, S.FAILED)
        self.assertEqual(summary.get_failed(), 1)
        self.assertOsiisoError(h.get_result().get_error(), Osiiso.Error.FAILED)

    def test_raising_start_function_is_retried(self):
        q = async_queue()
        attempts = []

        def raises(ctx, data):
            attempts.append(ctx.get_attempt())
            raise RuntimeError('expected traceback in this test')

        h = submit(q, raises, retries=2)
        q.run(None)
        self.assertStatus(h, S.FAILED)
        self.assertEqual(attempts, [1, 2, 3])
        self.assertEqual(h.get_result().get_attempts(), 3)

    def test_asynchronous_error_keeps_domain_code_and_message(self):
        q = async_queue()
        h = submit(q, delay_task(0.05, fail=make_error('disk on fire', 17)), name='burner')
        summary = q.run(None)
        self.assertStatus(h, S.FAILED)
        for result in (h.get_result(), summary.lookup(h.get_id())):
            error = result.get_error()
            self.assertEqual((error.domain, error.code, error.message),
                             (TEST_DOMAIN, 17, 'disk on fire'))
            self.assertEqual(result.get_message(), 'disk on fire')
        with self.assertRaises(GLib.Error) as cm:
            h.get_value()
        self.assertEqual(cm.exception.message, 'disk on fire')
        with self.assertRaises(GLib.Error) as cm:
            summary.check(False)
        self.assertOsiisoError(cm.exception, Osiiso.Error.EXECUTION)

    def test_values_and_user_data(self):
        q = async_queue()
        obj = object()

        def echo_data(ctx, data):
            op = Attempt(ctx)
            call_later(0.01, lambda: op.value(data))
            return True

        hs = [q.submit(echo_data, d, None) for d in (42, 'héllo', obj)]
        no_value = submit(q, delay_task(0.01, value=None))
        q.run(None)
        self.assertEqual(hs[0].get_result().get_value(), 42)
        self.assertEqual(hs[1].get_result().get_value(), 'héllo')
        self.assertIs(hs[2].get_result().get_value(), obj)
        self.assertStatus(no_value, S.SUCCEEDED)
        self.assertIsNone(no_value.get_result().get_value())

    def test_context_kept_beyond_the_call(self):
        # "The context is a reference-counted boxed type; bindings may keep
        # it beyond the call." Completed later, from a kept reference.
        q = async_queue(workers=1)
        kept = []

        def keeps(ctx, data):
            kept.append(ctx)
            GLib.timeout_add(10, lambda: ctx.return_value('kept-%d' % data) or False)
            return True

        hs = [q.submit(keeps, i, options(name='k%d' % i)) for i in range(3)]
        q.run(None)
        self.assertEqual([h.get_result().get_value() for h in hs],
                         ['kept-0', 'kept-1', 'kept-2'])
        self.assertEqual([c.get_attempt() for c in kept], [1, 1, 1])
        self.assertEqual([c.get_task_id() for c in kept], [h.get_id() for h in hs])
        self.assertEqual([c.get_name() for c in kept], ['k0', 'k1', 'k2'])


class SynchronousCompletionTests(QueueTestCase):
    """An operation may complete synchronously, inside its start function
    (osiiso-async-queue.c: "An operation that completes synchronously frees
    its slot at once"). The context handed to the start function must stay
    valid for the whole call, and a context the binding keeps beyond the
    call must stay valid too. These run @isolated: a freed context may
    crash the interpreter."""

    @isolated
    def test_context_valid_after_completing_inside_start(self):
        q = async_queue(workers=1)
        seen = []

        def completes_at_once(ctx, data):
            before = (ctx.get_attempt(), ctx.get_task_id(), ctx.get_name())
            ctx.return_value('immediate-%d' % data)
            seen.append((before, (ctx.get_attempt(), ctx.get_task_id(), ctx.get_name())))
            return True

        hs = [q.submit(completes_at_once, i, options(name='sync-%d' % i)) for i in range(3)]
        summary = q.run(None)
        self.assertEqual(summary.get_succeeded(), 3)
        self.assertEqual([h.get_result().get_value() for h in hs],
                         ['immediate-0', 'immediate-1', 'immediate-2'])
        for before, after in seen:
            self.assertEqual(after, before,
                             'the task context was freed during its start function '
                             '(completed synchronously): reads after return_value() '
                             'see freed memory')

    @isolated
    def test_context_kept_by_the_binding_after_synchronous_completion(self):
        q = async_queue(workers=1)
        kept = []

        def completes_at_once(ctx, data):
            kept.append((ctx, ctx.get_attempt(), ctx.get_task_id()))
            ctx.return_value(data)
            return True

        hs = [q.submit(completes_at_once, i, options(name='kept-%d' % i)) for i in range(3)]
        summary = q.run(None)
        self.assertEqual(summary.get_succeeded(), 3)
        self.assertEqual([h.get_result().get_value() for h in hs], [0, 1, 2])
        self.assertEqual([(c.get_attempt(), c.get_task_id()) for c, _, _ in kept],
                         [(a, t) for _, a, t in kept],
                         'a task context kept by Python after a synchronous completion '
                         'points to freed memory')
        del kept[:]

    @isolated
    def test_synchronous_completion_then_raise_is_one_final_result(self):
        # The completion wins (first call wins); the exception after it must
        # not produce a second result or touch a freed context.
        q = async_queue(workers=1)
        recorder = SignalRecorder(q)

        def completes_then_raises(ctx, data):
            ctx.return_value('first')
            raise RuntimeError('after completing (expected traceback in this test)')

        h = submit(q, completes_then_raises, name='both')
        after = submit(q, delay_task(0.01, value='after'), name='after')
        summary = q.run(None)
        self.assertEqual(summary.get_total(), 2)
        self.assertEqual(recorder.kinds_for('both'), ['started', 'completed'])
        self.assertTrue(h.is_done())
        self.assertStatus(after, S.SUCCEEDED)

    @isolated
    def test_cancel_everything_from_inside_a_start_function(self):
        # queue.cancel() is "safe from any thread, including from inside a
        # running task". The attempt is interrupted inside its own start
        # function, so an operation that honours its cancellable completes
        # (with an error) before the start function returns.
        q = async_queue(workers=1)
        seen = []

        def cancel_everything(ctx, queue):
            saw = []
            ctx.get_cancellable().connect(lambda *a: saw.append(ctx.return_error_if_cancelled()))
            before = (ctx.get_attempt(), ctx.get_task_id())
            queue.cancel()
            seen.append((saw[:], before, (ctx.get_attempt(), ctx.get_task_id())))
            return True

        first = submit(q, cancel_everything, q, priority=0)
        rest = [submit(q, delay_task(0.01, value=i), priority=1) for i in range(3)]
        summary = q.run_full(GUARD, Osiiso.RunFlags.NONE, None)
        self.assertFalse(summary.get_timed_out())
        self.assertTrue(q.props.closed)
        self.assertStatus(first, S.CANCELLED)
        for h in rest:
            self.assertStatus(h, S.CANCELLED)
        self.assertEqual(summary.get_cancelled(), 4)
        self.assertEqual(len(seen), 1)
        saw, before, after = seen[0]
        self.assertEqual(saw, [True])
        self.assertEqual(after, before, 'the task context was freed inside its start function')


# --------------------------------------------------------------------------
# 3. Ordering and the concurrency limit
# --------------------------------------------------------------------------

class OrderingTests(QueueTestCase):

    def test_priority_order_with_one_worker(self):
        q = async_queue(workers=1)
        log = []
        priorities = [5, 1, 3, 0, 3, 1, 7, 0, 2, 5]
        for i, p in enumerate(priorities):
            submit(q, delay_task(0.01, value=i, log=log), name='t%d' % i, priority=p)
        summary = q.run(None)

        expected = ['t%d' % i for i, _ in sorted(enumerate(priorities),
                                                  key=lambda ip: (ip[1], ip[0]))]
        self.assertEqual([name for name, _, _ in log], expected)
        self.assertEqual([r.get_name() for r in summary.get_results()], expected)

    def test_fifo_among_equal_priorities(self):
        q = async_queue(workers=1)
        log = []
        for i in range(12):
            submit(q, delay_task(0.005, log=log), name='n%02d' % i)
        q.run(None)
        self.assertEqual([name for name, _, _ in log], ['n%02d' % i for i in range(12)])

    def test_delayed_task_holds_no_slot(self):
        q = async_queue(workers=1)
        log = []
        delayed = submit(q, delay_task(0.01, log=log), name='delayed', delay=0.3, priority=0)
        self.assertStatus(delayed, S.SCHEDULED)
        submit(q, delay_task(0.01, log=log), name='now', priority=9)
        q.run(None)
        self.assertEqual([name for name, _, _ in log], ['now', 'delayed'])

    def test_rate_limit_spaces_the_starts(self):
        q = async_queue(workers=4, rate=10.0, burst=1)
        starts = []

        def timed(ctx, data):
            starts.append(time.monotonic())
            return delay_task(0.001, value=data)(ctx, data)

        for i in range(4):
            q.submit(timed, i, None)
        summary = q.run(None)
        self.assertEqual(summary.get_succeeded(), 4)
        gaps = [b - a for a, b in zip(starts, starts[1:])]
        # One start per 1/rate s after the burst; timers never fire early.
        for gap in gaps:
            self.assertGreaterEqual(gap, 0.1 * 0.9, gaps)


class ConcurrencyTests(QueueTestCase):

    def test_limit_never_exceeded(self):
        workers = 3
        q = async_queue(workers=workers)
        state = {'in_flight': 0, 'max': 0, 'active_at_start': []}
        active_seen = []
        q.connect('notify::active', lambda obj, pspec: active_seen.append(
            (obj.props.active, threading.get_ident())))

        def tracked(ctx, seconds):
            op = Attempt(ctx)
            state['in_flight'] += 1
            state['max'] = max(state['max'], state['in_flight'])
            state['active_at_start'].append(q.props.active)

            def fire():
                state['in_flight'] -= 1
                op.value(seconds)

            call_later(seconds, fire)
            return True

        handles = [q.submit(tracked, 0.02 + 0.03 * (i % 4), None) for i in range(14)]
        summary = q.run(None)

        self.assertEqual(summary.get_succeeded(), 14)
        self.assertEqual(state['in_flight'], 0)
        self.assertLessEqual(state['max'], workers)
        self.assertEqual(state['max'], workers, 'the queue never filled its slots')
        self.assertTrue(all(1 <= a <= workers for a in state['active_at_start']),
                        state['active_at_start'])
        self.assertTrue(active_seen, 'no notify::active')
        self.assertLessEqual(max(a for a, _ in active_seen), workers)
        self.assertGreaterEqual(max(a for a, _ in active_seen), 1)
        self.assertEqual(active_seen[-1][0], 0)
        self.assertEqual({t for _, t in active_seen}, {MAIN_THREAD})
        for h in handles:
            self.assertStatus(h, S.SUCCEEDED)

    def test_automatic_workers(self):
        q = Osiiso.AsyncQueue.new(0)
        self.assertEqual(q.get_workers(), max(4, min(32, 4 * os.cpu_count())))
        self.assertEqual(Osiiso.AsyncQueue.new(5).get_workers(), 5)
        self.assertEqual(q.get_main_context(), GLib.MainContext.default())


# --------------------------------------------------------------------------
# 4. Per-attempt timeouts and stale completions
# --------------------------------------------------------------------------

class TimeoutTests(QueueTestCase):

    def test_never_completing_operation_times_out(self):
        q = async_queue()
        recorder = SignalRecorder(q)
        ops, cancelled = [], []
        h = submit(q, never_task(ops, cancelled), name='forever', timeout=0.2)
        other = submit(q, delay_task(0.05, value='other'), name='other')
        summary = q.run(None)

        self.assertStatus(h, S.FAILED)
        error = h.get_result().get_error()
        self.assertOsiisoError(error, Osiiso.Error.TIMEOUT)
        self.assertIn('forever', error.message)
        self.assertEqual(h.get_attempts(), 1)
        self.assertEqual(summary.get_failed(), 1)
        self.assertEqual(summary.get_succeeded(), 1)
        self.assertStatus(other, S.SUCCEEDED)
        self.assertEqual(len(ops), 1)
        self.assertEqual(cancelled, [(1, MAIN_THREAD)], 'the cancellable was not cancelled')
        self.assertTrue(ops[0].ctx.is_cancelled())
        self.assertTrue(ops[0].ctx.get_cancellable().is_cancelled())

        # The operation completes long after its attempt ended: dropped,
        # without a crash and without a second result.
        self.assertTrue(ops[0].value('too late'))
        settle(0.2)
        self.assertStatus(h, S.FAILED)
        self.assertIsNone(h.get_result().get_value())
        self.assertOsiisoError(h.get_result().get_error(), Osiiso.Error.TIMEOUT)
        self.assertEqual(recorder.kinds_for('forever'), ['started', 'completed'])
        self.assertEqual(len(q.get_results()), 2)
        self.assertEqual(q.props.completed, 2)
        self.assertEqual(q.run(None).get_total(), 0)

    def test_stale_error_completion_is_dropped(self):
        q = async_queue(workers=1)
        recorder = SignalRecorder(q)
        ops = []
        h = submit(q, never_task(ops), name='stale-error', timeout=0.2)
        q.run(None)
        self.assertOsiisoError(h.get_result().get_error(), Osiiso.Error.TIMEOUT)
        # Completed from another thread, with an error, after the run.
        t = threading.Thread(target=ops[0].error, args=(make_error('late failure'),))
        t.start()
        t.join(GUARD)
        after = submit(q, delay_task(0.01, value='after'), name='after')
        summary = q.run(None)
        self.assertEqual(self.summary_ids(summary), [after.get_id()])
        self.assertOsiisoError(h.get_result().get_error(), Osiiso.Error.TIMEOUT)
        self.assertEqual(recorder.kinds_for('stale-error'), ['started', 'completed'])

    def test_timeout_then_retry_then_success(self):
        q = async_queue()
        recorder = SignalRecorder(q)
        ops = []

        def slow_then_fast(ctx, data):
            if ctx.get_attempt() == 1:
                return never_task(ops)(ctx, data)
            return delay_task(0.01, value='fast enough')(ctx, data)

        h = submit(q, slow_then_fast, name='flip', timeout=0.2, retries=1)
        summary = q.run(None)

        self.assertStatus(h, S.SUCCEEDED)
        self.assertEqual(h.get_attempts(), 2)
        self.assertEqual(h.get_result().get_value(), 'fast enough')
        self.assertEqual(summary.get_succeeded(), 1)
        self.assertEqual(len(recorder.retry_errors), 1)
        name, domain, code, _ = recorder.retry_errors[0]
        self.assertEqual((name, domain, code), ('flip', OSIISO_DOMAIN, Osiiso.Error.TIMEOUT))
        self.assertEqual(recorder.kinds_for('flip'),
                         ['started', 'retrying', 'started', 'completed'])

        # The first attempt's operation finally completes: it cannot touch
        # the task's (already final) second attempt.
        self.assertEqual(ops[0].attempt, 1)
        self.assertTrue(ops[0].value('stale first attempt'))
        settle(0.2)
        self.assertEqual(h.get_result().get_value(), 'fast enough')
        self.assertEqual(recorder.kinds_for('flip'),
                         ['started', 'retrying', 'started', 'completed'])

    def test_timed_out_operation_frees_its_slot(self):
        q = async_queue(workers=1)
        log, ops = [], []
        stuck = submit(q, never_task(ops), name='stuck', timeout=0.2, priority=0)
        after = submit(q, delay_task(0.01, log=log), name='after', priority=1)
        q.run(None)
        self.assertStatus(stuck, S.FAILED)
        self.assertStatus(after, S.SUCCEEDED)
        self.assertEqual([n for n, _, _ in log], ['after'])
        # The stale operation completes after everything.
        ops[0].value(None)
        settle(0.1)
        self.assertStatus(stuck, S.FAILED)


# --------------------------------------------------------------------------
# 5. Cancelling tasks
# --------------------------------------------------------------------------

class CancelTests(QueueTestCase):

    def test_cancel_queued_task(self):
        q = async_queue(workers=1)
        calls = []
        ops = []

        def gate(ctx, data):
            op = Attempt(ctx)
            ops.append(op)
            return True

        def fn(ctx, data):
            calls.append(data)
            return delay_task(0.01, value=data)(ctx, data)

        first = q.submit(gate, None, None)
        keep = q.submit(fn, 'keep', None)
        drop = q.submit(fn, 'drop', None)
        q.start()
        self.assertTrue(spin_until(lambda: ops), 'the gate never started')
        self.assertStatus(drop, S.PENDING)
        self.assertTrue(drop.cancel())
        self.assertStatus(drop, S.CANCELLED)   # at once
        self.assertTrue(drop.is_done())
        self.assertFalse(drop.cancel())        # already final
        ops[0].value('gate')

        summary = q.run(None)
        self.assertEqual(calls, ['keep'])
        self.assertStatus(first, S.SUCCEEDED)
        self.assertStatus(keep, S.SUCCEEDED)
        result = drop.get_result()
        self.assertStatus(result, S.CANCELLED)
        self.assertEqual(result.get_attempts(), 0)
        self.assertTrue(is_cancelled_error(result.get_error()))
        with self.assertRaises(GLib.Error) as cm:
            drop.get_value()
        self.assertTrue(is_cancelled_error(cm.exception))
        self.assertEqual(summary.get_cancelled(), 1)
        self.assertEqual(summary.get_succeeded(), 2)

    def test_cancel_running_task_even_if_must_complete(self):
        q = async_queue(workers=1)
        saw = []
        h = submit(q, until_cancelled_task(saw), name='victim', must_complete=True)
        after = submit(q, delay_task(0.01, value='after'), name='after')
        q.connect('task-started', lambda queue, handle:
                  handle.get_id() == h.get_id() and handle.cancel())
        summary = q.run(None)
        self.assertTrue(spin_until(lambda: saw), 'the operation never saw its cancellation')
        self.assertStatus(h, S.CANCELLED)
        self.assertTrue(is_cancelled_error(h.get_result().get_error()))
        self.assertEqual(h.get_attempts(), 1)
        self.assertEqual(saw, ['victim'])
        self.assertStatus(after, S.SUCCEEDED)
        self.assertEqual(summary.get_cancelled(), 1)

    def test_cancel_running_gio_read(self):
        server = LoopbackServer(silent=True)
        try:
            q = async_queue(workers=1)
            io_log = []
            h = submit(q, echo_task(server.port, 'ping', io_log), name='reader')
            q.start()
            # Wait until the client is connected and reading.
            self.assertTrue(spin_until(lambda: server.accepted == 1))
            self.assertTrue(h.cancel())
            summary = q.run(None)
            self.assertTrue(spin_until(lambda: io_log))
        finally:
            server.close()
        self.assertStatus(h, S.CANCELLED)
        self.assertEqual(io_log, [('reader', IO_DOMAIN, Gio.IOErrorEnum.CANCELLED)])
        self.assertEqual(self.summary_ids(summary), [h.get_id()])

    def test_cancel_from_another_thread(self):
        q = async_queue(workers=1)
        saw = []
        started = threading.Event()
        q.connect('task-started', lambda queue, handle: started.set())
        h = submit(q, until_cancelled_task(saw), name='remote')
        out = {}

        def canceller():
            if started.wait(GUARD):
                out['cancelled'] = h.cancel()

        t = threading.Thread(target=canceller)
        t.start()
        summary = q.run(None)
        t.join(GUARD)
        self.assertTrue(out.get('cancelled'))
        self.assertStatus(h, S.CANCELLED)
        self.assertEqual(summary.get_cancelled(), 1)
        self.assertTrue(spin_until(lambda: saw))


# --------------------------------------------------------------------------
# 6. Retries with backoff
# --------------------------------------------------------------------------

class RetryTests(QueueTestCase):

    def test_attempts_counted_and_gaps_grow(self):
        q = async_queue(workers=1)
        starts = []

        def always_fails(ctx, data):
            starts.append((ctx.get_attempt(), time.monotonic()))
            return delay_task(0.01, fail=make_error('try again', 1))(ctx, data)

        retry_delay, backoff = 0.15, 4.0
        h = submit(q, always_fails, retries=2, retry_delay=retry_delay, backoff=backoff)
        q.run(None)

        self.assertStatus(h, S.FAILED)
        self.assertEqual(h.get_attempts(), 3)
        self.assertEqual(h.get_result().get_attempts(), 3)
        self.assertEqual(h.get_result().get_error().message, 'try again')
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
        q = async_queue()
        recorder = SignalRecorder(q)

        def third_time_lucky(ctx, data):
            if ctx.get_attempt() < 3:
                return delay_task(0.01, fail=make_error(
                    'attempt %d failed' % ctx.get_attempt(), 2))(ctx, data)
            return delay_task(0.01, value='finally')(ctx, data)

        h = submit(q, third_time_lucky, name='lucky', retries=5, retry_delay=0.05)
        summary = q.run(None)
        self.assertStatus(h, S.SUCCEEDED)
        self.assertEqual(h.get_attempts(), 3)
        self.assertEqual(h.get_result().get_value(), 'finally')
        self.assertIsNone(h.get_result().get_error())
        self.assertEqual(summary.get_succeeded(), 1)
        self.assertEqual([m for _, _, _, m in recorder.retry_errors],
                         ['attempt 1 failed', 'attempt 2 failed'])
        self.assertEqual(recorder.kinds_for('lucky'),
                         ['started', 'retrying', 'started', 'retrying', 'started', 'completed'])

    def test_waiting_retry_holds_no_slot(self):
        q = async_queue(workers=1)
        order = []

        def fails_once(ctx, data):
            order.append('retrier-%d' % ctx.get_attempt())
            if ctx.get_attempt() == 1:
                return delay_task(0.01, fail=make_error('once', 1))(ctx, data)
            return delay_task(0.01)(ctx, data)

        def other(ctx, data):
            order.append('other')
            return delay_task(0.01)(ctx, data)

        submit(q, fails_once, retries=1, retry_delay=0.5, priority=0)
        submit(q, other, priority=5)
        q.run(None)
        self.assertEqual(order, ['retrier-1', 'other', 'retrier-2'])


# --------------------------------------------------------------------------
# 7. Fail-first
# --------------------------------------------------------------------------

class FailFirstTests(QueueTestCase):

    def _submit_batch(self, q):
        # workers=1 and priorities make the failing task run first.
        failing = submit(q, delay_task(0.02, fail=make_error('first failure', 3)),
                         name='failing', priority=0)
        ordinary = [submit(q, delay_task(0.01, value=i), name='ordinary-%d' % i, priority=5)
                    for i in range(3)]
        protected = submit(q, delay_task(0.01, value='kept'), name='protected', priority=5,
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
        q = async_queue(workers=1, fail_policy=Osiiso.FailPolicy.FAIL_FIRST)
        refused = []

        def on_completed(queue, result):
            if result.get_name() == 'failing':
                try:
                    submit(queue, delay_task(0.01))
                except GLib.Error as e:
                    refused.append(e)

        q.connect('task-completed', on_completed)
        batch = self._submit_batch(q)
        summary = q.run(None)
        self._assert_fail_first(summary, *batch)
        self.assertEqual(len(refused), 1)
        self.assertOsiisoError(refused[0], Osiiso.Error.CLOSED)
        h = submit(q, delay_task(0.01, value='next'))
        self.assertEqual(q.run(None).get_succeeded(), 1)
        self.assertStatus(h, S.SUCCEEDED)

    def test_run_flag(self):
        q = async_queue(workers=1)
        batch = self._submit_batch(q)
        summary = q.run_full(0, Osiiso.RunFlags.FAIL_FIRST, None)
        self._assert_fail_first(summary, *batch)
        failing, ordinary, protected = self._submit_batch(q)
        summary = q.run(None)
        self.assertEqual(summary.get_failed(), 1)
        self.assertEqual(summary.get_succeeded(), 4)

    def test_fail_first_interrupts_running_operation(self):
        q = async_queue(workers=2, fail_policy=Osiiso.FailPolicy.FAIL_FIRST)
        saw = []
        running = submit(q, until_cancelled_task(saw), name='running', priority=0)
        failing = submit(q, delay_task(0.2, fail=make_error('late failure', 3)),
                         name='failing', priority=0)
        summary = q.run(None)
        self.assertStatus(failing, S.FAILED)
        self.assertStatus(running, S.CANCELLED)
        self.assertEqual(running.get_attempts(), 1)
        self.assertTrue(spin_until(lambda: saw), 'the operation never saw its cancellation')
        self.assertEqual(summary.get_cancelled(), 1)

    def test_strict_run_raises_execution_error(self):
        q = async_queue()
        submit(q, delay_task(0.01, fail=make_error('bad')))
        submit(q, delay_task(0.01, value=1))
        error = self.assertRaisesOsiiso(Osiiso.Error.EXECUTION, q.run_full, 0,
                                        Osiiso.RunFlags.STRICT, None)
        self.assertIn('1 task(s) failed', error.message)


# --------------------------------------------------------------------------
# 8. Run timeouts and forced shutdown under both exit policies
# --------------------------------------------------------------------------

class ExitPolicyTests(QueueTestCase):

    def _submit_exit_batch(self, q, saw):
        protected = submit(q, delay_task(1.5, value='saved'), name='protected',
                           priority=0, must_complete=True)
        running = submit(q, until_cancelled_task(saw), name='running', priority=1)
        queued = submit(q, delay_task(0.01, value='never'), name='queued', priority=5)
        return protected, running, queued

    def _wait_started(self, q, count):
        started = []
        handler = q.connect('task-started', lambda queue, handle: started.append(handle))
        q.start()
        ok = spin_until(lambda: len(started) >= count)
        q.disconnect(handler)
        self.assertTrue(ok, 'the tasks never started')

    def _assert_closed_then_reopened(self, q):
        self.assertTrue(q.props.closed)
        self.assertRaisesOsiiso(Osiiso.Error.CLOSED, submit, q, delay_task(0.01))
        self.assertRaisesOsiiso(Osiiso.Error.CLOSED, q.run, None)
        self.assertTrue(q.reset())
        self.assertFalse(q.props.closed)
        h = submit(q, delay_task(0.01, value='reopened'))
        summary = q.run(None)
        self.assertEqual(self.summary_ids(summary), [h.get_id()])
        self.assertEqual(h.get_result().get_value(), 'reopened')

    def test_run_timeout_complete_priority(self):
        q = async_queue(workers=2)
        self.assertEqual(q.props.on_exit, Osiiso.ExitPolicy.COMPLETE_PRIORITY)
        saw = []
        protected, running, queued = self._submit_exit_batch(q, saw)
        summary = q.run_full(0.3, Osiiso.RunFlags.NONE, None)

        self.assertTrue(summary.get_timed_out())
        self.assertFalse(summary.get_ok())
        self.assertIn('TIMED OUT', summary.to_string())
        self.assertStatus(protected, S.SUCCEEDED)
        self.assertEqual(protected.get_result().get_value(), 'saved')
        self.assertStatus(running, S.CANCELLED)
        self.assertEqual(running.get_attempts(), 1)
        self.assertStatus(queued, S.CANCELLED)
        self.assertEqual(queued.get_attempts(), 0)
        self.assertEqual(summary.get_total(), 3)
        self.assertEqual(summary.get_succeeded(), 1)
        self.assertEqual(summary.get_cancelled(), 2)
        self.assertTrue(spin_until(lambda: saw))
        self.assertEqual(saw, ['running'])
        self._assert_closed_then_reopened(q)

    def test_run_timeout_cancel(self):
        q = async_queue(workers=2, on_exit=Osiiso.ExitPolicy.CANCEL)
        saw = []
        protected, running, queued = self._submit_exit_batch(q, saw)
        summary = q.run_full(0.3, Osiiso.RunFlags.NONE, None)

        self.assertTrue(summary.get_timed_out())
        self.assertStatus(protected, S.CANCELLED)
        self.assertTrue(is_cancelled_error(protected.get_result().get_error()))
        self.assertStatus(running, S.CANCELLED)
        self.assertStatus(queued, S.CANCELLED)
        self.assertEqual(summary.get_cancelled(), 3)
        self.assertLess(summary.get_duration(), 1.5, 'the protected task was waited for')
        self.assertTrue(spin_until(lambda: len(saw) == 1))
        self._assert_closed_then_reopened(q)

    def test_forced_shutdown_complete_priority(self):
        q = async_queue(workers=2)
        saw = []
        protected, running, queued = self._submit_exit_batch(q, saw)
        self._wait_started(q, 2)
        self.assertTrue(q.shutdown(True, None))
        self.assertStatus(protected, S.SUCCEEDED)
        self.assertEqual(protected.get_result().get_value(), 'saved')
        self.assertStatus(running, S.CANCELLED)
        self.assertEqual(running.get_attempts(), 1)
        self.assertStatus(queued, S.CANCELLED)
        self.assertEqual(len(q.get_results()), 3)
        self.assertTrue(spin_until(lambda: saw))
        self._assert_closed_then_reopened(q)

    def test_forced_shutdown_cancel(self):
        q = async_queue(workers=2, on_exit=Osiiso.ExitPolicy.CANCEL)
        saw = []
        protected, running, queued = self._submit_exit_batch(q, saw)
        self._wait_started(q, 2)
        self.assertTrue(q.shutdown(True, None))
        for h in (protected, running, queued):
            self.assertStatus(h, S.CANCELLED)
        self.assertEqual(protected.get_attempts(), 1)
        self.assertTrue(spin_until(lambda: len(saw) == 1))
        self._assert_closed_then_reopened(q)

    def test_exit_timeout_bounds_must_complete_work(self):
        q = async_queue(workers=1, exit_timeout=0.3)
        saw = []
        protected = submit(q, until_cancelled_task(saw), name='protected',
                           must_complete=True)
        self._wait_started(q, 1)
        self.assertTrue(q.shutdown(True, None))
        self.assertStatus(protected, S.CANCELLED)
        self.assertTrue(spin_until(lambda: saw))

    def test_cancelling_the_run_cancellable(self):
        q = async_queue(workers=1)
        cancellable = Gio.Cancellable()
        saw = []
        running = submit(q, until_cancelled_task(saw), priority=0)
        queued = submit(q, delay_task(0.01, value='never'), priority=1)
        q.connect('task-started', lambda queue, handle: cancellable.cancel())
        summary = q.run_full(GUARD, Osiiso.RunFlags.NONE, cancellable)
        self.assertFalse(summary.get_timed_out())
        self.assertEqual(sorted(self.summary_ids(summary)),
                         sorted([running.get_id(), queued.get_id()]))
        self.assertEqual(summary.get_cancelled(), 2)
        self.assertTrue(q.props.closed)

    def test_graceful_shutdown_drains_then_closes(self):
        q = async_queue()
        handles = [submit(q, delay_task(0.05, value=i)) for i in range(4)]
        delayed = submit(q, delay_task(0.01, value='late'), delay=0.2)
        self.assertTrue(q.shutdown(False, None))
        self.assertTrue(q.props.closed)
        for h in handles + [delayed]:
            self.assertStatus(h, S.SUCCEEDED)
        self.assertRaisesOsiiso(Osiiso.Error.CLOSED, submit, q, delay_task(0.01))


# --------------------------------------------------------------------------
# 9. Lifecycle: infinite mode, reset and reuse
# --------------------------------------------------------------------------

class LifecycleTests(QueueTestCase):

    def test_infinite_mode_ended_by_shutdown_from_a_callback(self):
        q = async_queue(mode=Osiiso.QueueMode.INFINITE)
        state = {'completed': [], 'shutdown': None, 'late': None}

        def on_completed(queue, result):
            state['completed'].append(result.get_name())
            if len(state['completed']) == 2:
                GLib.timeout_add(10, do_shutdown)

        def do_shutdown():
            state['shutdown'] = q.shutdown(False, None)
            return GLib.SOURCE_REMOVE

        def produce():
            state['late'] = submit(q, delay_task(0.05, value='late'), name='late')
            return GLib.SOURCE_REMOVE

        q.connect('task-completed', on_completed)
        early = submit(q, delay_task(0.02, value='early'), name='early')
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
        q = async_queue(mode=Osiiso.QueueMode.INFINITE, timeout=0.3)
        h = submit(q, delay_task(0.01, value='x'))
        summary = q.run(None)
        self.assertTrue(summary.get_timed_out())
        self.assertEqual(self.summary_ids(summary), [h.get_id()])
        self.assertTrue(q.props.closed)

    def test_started_queue_runs_before_run_and_reports_once(self):
        q = async_queue()
        q.start()
        h = submit(q, delay_task(0.02, value='early'))
        result = h.wait(GUARD, None)   # on the owner thread: iterates the context
        self.assertStatus(result, S.SUCCEEDED)
        self.assertEqual(result.get_value(), 'early')
        first = q.run(None)
        self.assertEqual(self.summary_ids(first), [h.get_id()])
        self.assertEqual(q.run(None).get_total(), 0)

    def test_reset_and_reuse(self):
        q = async_queue()
        first = [submit(q, delay_task(0.01, value='first-%d' % i)) for i in range(2)]
        s1 = q.run(None)
        self.assertEqual(s1.get_succeeded(), 2)

        self.assertTrue(q.reset())
        self.assertEqual(q.get_results(), [])
        self.assertEqual(q.props.completed, 0)
        self.assertFalse(q.props.closed)

        second = [submit(q, delay_task(0.01, value='second-%d' % i)) for i in range(3)]
        s2 = q.run(None)
        self.assertEqual(s2.get_total(), 3)
        self.assertEqual(sorted(self.summary_ids(s2)), sorted(h.get_id() for h in second))
        for h in first:
            self.assertIsNone(s2.lookup(h.get_id()))
        self.assertEqual(sorted(r.get_value() for r in s2.get_results()),
                         ['second-0', 'second-1', 'second-2'])

    def test_reset_cancels_a_pending_operation(self):
        q = async_queue(workers=1)
        recorder = SignalRecorder(q)
        ops, cancelled = [], []
        h = submit(q, never_task(ops, cancelled), name='in-flight', must_complete=True)
        q.start()
        self.assertTrue(spin_until(lambda: ops))
        self.assertTrue(q.reset())
        self.assertStatus(h, S.CANCELLED)
        self.assertEqual(recorder.kinds_for('in-flight'), ['started', 'completed'])
        self.assertEqual(q.get_results(), [])
        self.assertEqual(len(cancelled), 1)
        # The old operation completes after the reset: dropped.
        ops[0].value('stale')
        h2 = submit(q, delay_task(0.01, value='fresh'), name='fresh')
        summary = q.run(None)
        self.assertEqual(self.summary_ids(summary), [h2.get_id()])
        self.assertEqual(h2.get_result().get_value(), 'fresh')
        self.assertStatus(h, S.CANCELLED)
        self.assertEqual(recorder.kinds_for('in-flight'), ['started', 'completed'])

    def test_run_twice_and_join(self):
        q = async_queue()
        batch1 = [submit(q, delay_task(0.01, value=i)) for i in range(2)]
        s1 = q.run(None)
        batch2 = [submit(q, delay_task(0.01, value=i)) for i in range(3)]
        self.assertTrue(q.join(None))
        for h in batch2:
            self.assertStatus(h, S.SUCCEEDED)
        s2 = q.run(None)
        self.assertEqual(sorted(self.summary_ids(s1)), sorted(h.get_id() for h in batch1))
        self.assertEqual(sorted(self.summary_ids(s2)), sorted(h.get_id() for h in batch2))
        self.assertEqual(len(q.get_results()), 5)

    def test_submit_after_shutdown(self):
        q = async_queue()
        self.assertTrue(q.shutdown(False, None))
        self.assertRaisesOsiiso(Osiiso.Error.CLOSED, submit, q, delay_task(0.01))

    def test_size_bound(self):
        q = async_queue(workers=1, size=2)
        first = [submit(q, delay_task(0.01, value=i)) for i in range(2)]
        self.assertRaisesOsiiso(Osiiso.Error.FULL, submit, q, delay_task(0.01))
        summary = q.run(None)
        self.assertEqual(summary.get_total(), 2)
        for h in first:
            self.assertStatus(h, S.SUCCEEDED)


# --------------------------------------------------------------------------
# 10. Signals
# --------------------------------------------------------------------------

class SignalTests(QueueTestCase):

    def test_order_and_thread(self):
        q = async_queue(workers=1)
        recorder = SignalRecorder(q)
        start_threads = []

        def flaky(ctx, data):
            start_threads.append(threading.get_ident())
            if ctx.get_attempt() == 1:
                return delay_task(0.01, fail=make_error('first attempt fails', 5))(ctx, data)
            return delay_task(0.01, value='second attempt')(ctx, data)

        flaky_h = submit(q, flaky, name='flaky', retries=1, priority=0)
        plain_h = submit(q, delay_task(0.01), name='plain', priority=1)
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
        self.assertEqual(recorder.threads(), {MAIN_THREAD})
        self.assertEqual(start_threads, [MAIN_THREAD, MAIN_THREAD])
        self.assertTrue(status_notifications)
        self.assertEqual({t for _, t in status_notifications}, {MAIN_THREAD})
        self.assertEqual(status_notifications[-1][0], S.SUCCEEDED)
        self.assertStatus(plain_h, S.SUCCEEDED)

    def test_completed_once_per_task_any_state(self):
        q = async_queue(workers=1)
        recorder = SignalRecorder(q)
        ops = []
        submit(q, delay_task(0.01, value=1), name='ok', priority=0)
        submit(q, delay_task(0.01, fail=make_error('bad')), name='bad', priority=0)
        submit(q, never_task(ops), name='slow', priority=0, timeout=0.1)
        gone = submit(q, delay_task(0.01, value=2), name='gone', priority=9)
        self.assertTrue(gone.cancel())
        q.run(None)
        ops[0].value('late')
        settle(0.1)
        completed = sorted((e[1], e[2]) for e in recorder.events if e[0] == 'completed')
        self.assertEqual(completed, [('bad', S.FAILED), ('gone', S.CANCELLED),
                                     ('ok', S.SUCCEEDED), ('slow', S.FAILED)])
        self.assertEqual(recorder.kinds_for('gone'), ['completed'])
        self.assertEqual(recorder.threads(), {MAIN_THREAD})

    def test_misbehaving_handler_does_not_break_the_queue(self):
        q = async_queue()

        def bad_handler(queue, result):
            raise RuntimeError('handler exploded (expected in this test)')

        q.connect('task-completed', bad_handler)
        handles = [submit(q, delay_task(0.01, value=i)) for i in range(3)]
        summary = q.run(None)
        self.assertEqual(summary.get_succeeded(), 3)
        self.assertEqual([h.get_result().get_value() for h in handles], [0, 1, 2])


# --------------------------------------------------------------------------
# 11. run_async on the application's own main loop
# --------------------------------------------------------------------------

class RunAsyncTests(QueueTestCase):

    def test_application_keeps_its_loop(self):
        q = async_queue()
        recorder = SignalRecorder(q)
        loop = GLib.MainLoop()
        out = {'ticks': 0, 'after': False}
        handles = [submit(q, delay_task(0.05 * (i + 1), value=i), name='a%d' % i)
                   for i in range(4)]

        def tick():
            out['ticks'] += 1
            return GLib.SOURCE_CONTINUE

        def after():
            # The loop is the application's: it still runs after the run
            # ended, until the application quits it.
            out['after'] = True
            loop.quit()
            return GLib.SOURCE_REMOVE

        def on_run_done(queue, res, data):
            try:
                out['summary'] = queue.run_finish(res)
            except GLib.Error as e:
                out['error'] = e
            out['thread'] = threading.get_ident()
            out['ticks_at_done'] = out['ticks']
            GLib.timeout_add(50, after)

        tick_id = GLib.timeout_add(10, tick)
        q.run_async(0, Osiiso.RunFlags.NONE, None, on_run_done, None)
        # run_async returned at once: nothing has started yet.
        self.assertNotIn('summary', out)
        for h in handles:
            self.assertStatus(h, S.PENDING)
        # A second run while this one is in progress is refused.
        busy = {}
        q.run_async(0, Osiiso.RunFlags.NONE, None,
                    lambda queue, res, data: busy.setdefault('res', res), None)
        self.assertTrue(run_loop_until(loop), 'the run never completed')
        GLib.source_remove(tick_id)

        self.assertNotIn('error', out)
        self.assertTrue(out['after'])
        self.assertEqual(out['thread'], MAIN_THREAD)
        self.assertGreater(out['ticks_at_done'], 0, "the application's own sources starved")
        summary = out['summary']
        self.assertEqual(summary.get_succeeded(), 4)
        self.assertEqual(sorted(self.summary_ids(summary)), sorted(h.get_id() for h in handles))
        self.assertEqual(recorder.threads(), {MAIN_THREAD})
        self.assertIn('res', busy)
        with self.assertRaises(GLib.Error) as cm:
            q.run_finish(busy['res'])
        self.assertOsiisoError(cm.exception, Osiiso.Error.BUSY)

    def test_strict_run_async(self):
        q = async_queue()
        loop = GLib.MainLoop()
        out = {}
        submit(q, delay_task(0.01, fail=make_error('nope')))

        def on_run_done(queue, res, data):
            try:
                out['summary'] = queue.run_finish(res)
            except GLib.Error as e:
                out['error'] = e
            loop.quit()

        q.run_async(0, Osiiso.RunFlags.STRICT, None, on_run_done, None)
        self.assertTrue(run_loop_until(loop))
        self.assertOsiisoError(out.get('error'), Osiiso.Error.EXECUTION)


# --------------------------------------------------------------------------
# 12. Threads: a private context, and submitters on other threads
# --------------------------------------------------------------------------

class ThreadTests(QueueTestCase):

    def test_queue_on_a_private_context_in_another_thread(self):
        tmpdir = tempfile.mkdtemp(prefix='osiiso-async-test-')
        paths = []
        for i in range(2):
            path = os.path.join(tmpdir, 'private-%d.txt' % i)
            with open(path, 'w', encoding='utf-8') as f:
                f.write('private %d' % i)
            paths.append(path)
        ready = threading.Event()
        out = {'start_threads': [], 'main_context_events': []}
        expected_total = 6

        def owner():
            context = GLib.MainContext()
            context.push_thread_default()
            try:
                q = Osiiso.AsyncQueue(workers=2, mode=Osiiso.QueueMode.INFINITE,
                                      timeout=GUARD)
                out['queue'] = q
                out['same_context'] = q.get_main_context() == context
                out['thread'] = threading.get_ident()
                out['recorder'] = SignalRecorder(q)
                completed = []

                def on_completed(queue, result):
                    completed.append(result.get_name())
                    if len(completed) == expected_total:
                        queue.shutdown_async(False, None, on_shutdown, None)

                def on_shutdown(queue, res, data):
                    out['shutdown'] = queue.shutdown_finish(res)

                q.connect('task-completed', on_completed)

                def starts_here(ctx, data):
                    out['start_threads'].append(threading.get_ident())
                    return delay_task(0.02, value=data)(ctx, data)

                out['own'] = [
                    q.submit(starts_here, 'own-timer', options(name='own-timer')),
                    submit(q, load_task(paths[0]), name='own-load-0'),
                    submit(q, load_task(paths[1]), name='own-load-1'),
                ]
                out['starts_here'] = starts_here
                ready.set()
                out['summary'] = q.run(None)
                # The shutdown's own callback may come one iteration later.
                spin_until(lambda: 'shutdown' in out, context=context)
            except Exception as e:   # reported by the main thread
                out['exception'] = e
            finally:
                ready.set()
                context.pop_thread_default()

        thread = threading.Thread(target=owner)
        thread.start()
        try:
            self.assertTrue(ready.wait(GUARD))
            self.assertNotIn('exception', out)
            q = out['queue']
            # Submitted from the main thread: they start in the owner thread.
            out['foreign'] = [q.submit(out['starts_here'], 'foreign-%d' % i,
                                       options(name='foreign-%d' % i))
                              for i in range(3)]
            thread.join(2 * GUARD)
            self.assertFalse(thread.is_alive(), 'the owner thread never finished')
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)

        self.assertNotIn('exception', out)
        self.assertTrue(out['same_context'])
        summary = out['summary']
        self.assertFalse(summary.get_timed_out(), 'the private run hit its guard timeout')
        self.assertIs(out.get('shutdown'), True)
        self.assertEqual(summary.get_total(), expected_total)
        self.assertEqual(summary.get_succeeded(), expected_total, summary.to_string())
        own = out['own']
        self.assertEqual(own[0].get_result().get_value(), 'own-timer')
        self.assertEqual(own[1].get_result().get_value(), 'private 0')
        self.assertEqual(own[2].get_result().get_value(), 'private 1')
        self.assertEqual([h.get_result().get_value() for h in out['foreign']],
                         ['foreign-0', 'foreign-1', 'foreign-2'])
        owner_thread = out['thread']
        self.assertNotEqual(owner_thread, MAIN_THREAD)
        self.assertEqual(out['recorder'].threads(), {owner_thread})
        self.assertEqual(out['recorder'].count('completed'), expected_total)
        self.assertEqual(set(out['start_threads']), {owner_thread})
        self.assertEqual(len(out['start_threads']), 4)

    def test_submitters_on_several_threads(self):
        n_threads, n_tasks = 4, 25
        q = async_queue(workers=4, mode=Osiiso.QueueMode.INFINITE)
        recorder = SignalRecorder(q)
        loop = GLib.MainLoop()
        out = {'threads_done': 0, 'start_threads': set()}
        per_thread = {}

        def task(ctx, tag):
            out['start_threads'].add(threading.get_ident())
            return delay_task(0.001 * (hash(tag) % 5), value=tag)(ctx, tag)

        def producer(k):
            handles, errors = [], []
            for i in range(n_tasks):
                tag = '%d-%d' % (k, i)
                try:
                    handles.append((tag, q.submit(task, tag, options(name=tag))))
                except GLib.Error as e:
                    errors.append(e)
            per_thread[k] = (handles, errors)
            GLib.idle_add(producer_done)

        def producer_done():
            out['threads_done'] += 1
            if out['threads_done'] == n_threads:
                q.shutdown_async(False, None, on_shutdown, None)
            return GLib.SOURCE_REMOVE

        def on_shutdown(queue, res, data):
            out['shutdown'] = queue.shutdown_finish(res)
            maybe_quit()

        def on_run_done(queue, res, data):
            try:
                out['summary'] = queue.run_finish(res)
            except GLib.Error as e:
                out['error'] = e
            maybe_quit()

        def maybe_quit():
            if 'shutdown' in out and ('summary' in out or 'error' in out):
                loop.quit()

        q.run_async(0, Osiiso.RunFlags.NONE, None, on_run_done, None)
        threads = [threading.Thread(target=producer, args=(k,)) for k in range(n_threads)]
        for t in threads:
            t.start()
        ok = run_loop_until(loop)
        for t in threads:
            t.join(GUARD)
        self.assertTrue(ok, 'the run or the shutdown never completed')

        # After the shutdown, a submitter thread gets CLOSED.
        late = {}

        def late_submitter():
            try:
                q.submit(task, 'late', None)
            except GLib.Error as e:
                late['error'] = e

        t = threading.Thread(target=late_submitter)
        t.start()
        t.join(GUARD)
        self.assertOsiisoError(late.get('error'), Osiiso.Error.CLOSED)

        self.assertNotIn('error', out)
        self.assertIs(out['shutdown'], True)
        summary = out['summary']
        all_handles = []
        for k in range(n_threads):
            handles, errors = per_thread[k]
            self.assertEqual(errors, [])
            self.assertEqual(len(handles), n_tasks)
            all_handles.extend(handles)
        for tag, h in all_handles:
            self.assertStatus(h, S.SUCCEEDED)
            self.assertEqual(h.get_result().get_value(), tag)
        self.assertEqual(summary.get_total(), n_threads * n_tasks)
        self.assertEqual(summary.get_succeeded(), n_threads * n_tasks)
        ids = self.summary_ids(summary)
        self.assertEqual(len(ids), len(set(ids)), 'a task was reported twice')
        self.assertEqual(sorted(ids), sorted(h.get_id() for _, h in all_handles))
        self.assertEqual(len(q.get_results()), n_threads * n_tasks)
        self.assertEqual(recorder.count('completed'), n_threads * n_tasks)
        self.assertEqual(recorder.threads(), {MAIN_THREAD})
        self.assertEqual(out['start_threads'], {MAIN_THREAD})

    def test_full_queue_refuses_submitters_on_other_threads(self):
        n_threads, n_tries, size = 3, 5, 4
        q = async_queue(workers=1, size=size, mode=Osiiso.QueueMode.INFINITE)
        loop = GLib.MainLoop()
        gate_ops = []
        gate = submit(q, never_task(gate_ops), name='gate')
        out = {}
        per_thread = {}

        def producer(k):
            accepted, refused = [], []
            for i in range(n_tries):
                try:
                    accepted.append(submit(q, delay_task(0.01, value=(k, i)),
                                           name='p%d-%d' % (k, i)))
                except GLib.Error as e:
                    refused.append(e)
            per_thread[k] = (accepted, refused, threading.get_ident())

        def on_gate_started(queue, handle):
            if handle.get_id() != gate.get_id():
                return
            # The gate holds the only slot and counts as outstanding:
            # exactly size - 1 more tasks fit, whoever submits them.
            threads = [threading.Thread(target=producer, args=(k,)) for k in range(n_threads)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(GUARD)
            out['joined'] = all(not t.is_alive() for t in threads)
            gate_ops[0].value('gate')
            queue.shutdown_async(False, None, on_shutdown, None)

        def on_shutdown(queue, res, data):
            out['shutdown'] = queue.shutdown_finish(res)
            if 'summary' in out:
                loop.quit()

        def on_run_done(queue, res, data):
            out['summary'] = queue.run_finish(res)
            if 'shutdown' in out:
                loop.quit()

        q.connect('task-started', on_gate_started)
        q.run_async(0, Osiiso.RunFlags.NONE, None, on_run_done, None)
        self.assertTrue(run_loop_until(loop))
        self.assertTrue(out['joined'])

        accepted = [h for k in per_thread for h in per_thread[k][0]]
        refused = [e for k in per_thread for e in per_thread[k][1]]
        self.assertEqual({per_thread[k][2] for k in per_thread} & {MAIN_THREAD}, set())
        self.assertEqual(len(accepted), size - 1)
        self.assertEqual(len(refused), n_threads * n_tries - (size - 1))
        for e in refused:
            self.assertOsiisoError(e, Osiiso.Error.FULL)
        summary = out['summary']
        self.assertEqual(summary.get_total(), size)
        self.assertEqual(summary.get_succeeded(), size)
        self.assertStatus(gate, S.SUCCEEDED)
        for h in accepted:
            self.assertStatus(h, S.SUCCEEDED)

    def test_blocking_submit_from_a_thread(self):
        q = async_queue(workers=1, size=2, mode=Osiiso.QueueMode.INFINITE)
        loop = GLib.MainLoop()
        gate_ops = []
        gate = submit(q, never_task(gate_ops), name='gate')
        out = {}

        def release_gate():
            if not gate_ops:
                return GLib.SOURCE_CONTINUE
            gate_ops[0].value('gate')
            return GLib.SOURCE_REMOVE

        def shutdown():
            q.shutdown_async(False, None, on_shutdown, None)
            return GLib.SOURCE_REMOVE

        def producer():
            try:
                accepted = [q.submit_wait(delay_task(0.01, value=0), None,
                                          options(name='w0'), GUARD, None)]
                # The gate holds the only slot and the queue is full.
                try:
                    q.submit_wait(delay_task(0.01), None, options(name='never'), 0.3, None)
                except GLib.Error as e:
                    out['timeout_error'] = e
                GLib.idle_add(release_gate)
                for i in range(1, 6):
                    accepted.append(q.submit_wait(delay_task(0.01, value=i), None,
                                                  options(name='w%d' % i), GUARD, None))
                out['accepted'] = accepted
            except GLib.Error as e:
                out['error'] = e
            GLib.idle_add(shutdown)

        def on_shutdown(queue, res, data):
            out['shutdown'] = queue.shutdown_finish(res)
            if 'summary' in out:
                loop.quit()

        def on_run_done(queue, res, data):
            out['summary'] = queue.run_finish(res)
            if 'shutdown' in out:
                loop.quit()

        q.run_async(0, Osiiso.RunFlags.NONE, None, on_run_done, None)
        thread = threading.Thread(target=producer)
        thread.start()
        self.assertTrue(run_loop_until(loop))
        thread.join(GUARD)

        self.assertNotIn('error', out)
        self.assertOsiisoError(out.get('timeout_error'), Osiiso.Error.TIMEOUT)
        accepted = out['accepted']
        self.assertEqual([h.get_result().get_value() for h in accepted], list(range(6)))
        self.assertStatus(gate, S.SUCCEEDED)
        self.assertEqual(out['summary'].get_total(), 7)
        self.assertEqual(out['summary'].get_succeeded(), 7)


if __name__ == '__main__':
    unittest.main(verbosity=2)

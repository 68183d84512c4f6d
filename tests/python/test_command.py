#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Command tasks on OsiisoProcessQueue through raw introspection (PyGObject).

One-shot command lines are submitted with
``q.submit_command(argv, GLib.Bytes or None, cwd or None, envp or None,
options)`` on a process queue whose worker command line is never started
(``Osiiso.ProcessQueue.new(['false'], 2)``: commands need no worker). A
task's value is an ``Osiiso.CommandResult`` (exit status or signal, the
captured stdout/stderr as ``GLib.Bytes``, truncation flags, duration); a
failed command's result still carries it.

Rules followed throughout (see reference/toolchain.md, pitfalls 4, 5, 18):

- nothing is asserted inside a signal handler: handlers record, tests
  assert after the blocking call returns;
- errors are matched with ``e.matches(Osiiso.error_quark(), code)``;
- waits are on events (a blocking run) or bounded polls: a pid file a
  command writes, or a process that must go away (``os.kill(pid, 0)``
  until ESRCH: a grandchild reparented to init is reaped by init), each
  iterating the default main context (the queue's: the SIGKILL after the
  kill grace is a source there) with a generous deadline (GUARD), so a
  broken library fails a test instead of hanging it;
- commands that sleep sleep long (30 s) and must be killed: a test never
  depends on a short sleep ending in time.
"""

import gc
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Osiiso', '1.0')

from gi.repository import GLib, Osiiso  # noqa: E402
from osiiso_test_support import is_cancelled_error, is_osiiso_error  # noqa: E402


# Upper bound for anything that should take well under a second: the test
# machine has 2 shared cores, so margins are wide.
GUARD = 20.0

S = Osiiso.TaskStatus


# --------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------

def alive(pid):
    """Whether @pid exists (a zombie still does: os.kill() succeeds)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def children():
    """{pid: state} of the processes whose parent is this process."""
    me = os.getpid()
    found = {}
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % name) as f:
                stat = f.read()
        except (FileNotFoundError, ProcessLookupError):
            continue
        # The command name is in parentheses and may hold spaces.
        fields = stat[stat.rindex(')') + 2:].split()
        if int(fields[1]) == me:
            found[int(name)] = fields[0]
    return found


def zombie_children():
    return {pid: state for pid, state in children().items() if state == 'Z'}


def count_fds():
    return len(os.listdir('/proc/self/fd'))


def iterate_until(predicate, guard=GUARD):
    """Iterates the default main context until @predicate() holds; False
    at the guard. It wakes up every 10 ms to look: for conditions with no
    event of their own (a file another process writes, a process reaped by
    init)."""
    context = GLib.MainContext.default()
    deadline = time.monotonic() + guard
    while not predicate():
        if time.monotonic() > deadline:
            return False
        tick = GLib.timeout_source_new(10)
        tick.set_callback(lambda *args: GLib.SOURCE_REMOVE)
        tick.attach(context)
        context.iteration(True)
        tick.destroy()
    return True


def wait_pid_gone(pid, guard=GUARD):
    """Waits until os.kill(@pid, 0) fails with ESRCH (exited and reaped)."""
    return iterate_until(lambda: not alive(pid), guard)


def data_of(gbytes):
    """The contents of a GLib.Bytes as bytes (b'' for empty)."""
    assert isinstance(gbytes, GLib.Bytes), 'not a GLib.Bytes: %r' % (gbytes,)
    return gbytes.get_data() or b''


# --------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------

class CommandTestCase(unittest.TestCase):

    def setUp(self):
        self.queues = []
        self.tmpdir = tempfile.mkdtemp(prefix='osiiso-cmd-test-')

    def tearDown(self):
        for q in self.queues:
            q.shutdown(True, None)
        self.queues = []
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    # -- helpers ---------------------------------------------------------

    def queue(self, workers=2):
        # No worker process is needed for commands: 'false' never runs.
        q = Osiiso.ProcessQueue.new(['false'], workers)
        self.queues.append(q)
        return q

    def queue_with(self, **props):
        q = Osiiso.ProcessQueue(worker_argv=['false'], **props)
        self.queues.append(q)
        return q

    def command(self, q, argv, input=None, cwd=None, envp=None, **opts):
        if isinstance(input, bytes):
            input = GLib.Bytes(input)
        return q.submit_command(argv, input, cwd, envp,
                                Osiiso.TaskOptions(**opts) if opts else None)

    def sh(self, q, script, input=None, cwd=None, envp=None, **opts):
        return self.command(q, ['sh', '-c', script], input, cwd, envp, **opts)

    def run_ok(self, q):
        summary = q.run(None)
        self.assertIsNotNone(summary)
        return summary

    def command_result(self, handle):
        """The CommandResult of a finished task, failed or not."""
        result = handle.get_result()
        self.assertIsNotNone(result, 'the task has no result')
        value = result.get_value()
        self.assertIsInstance(value, Osiiso.CommandResult,
                              'the value is not a CommandResult (error: %s)' % result.get_error())
        return value

    def succeeded(self, handle):
        result = handle.get_result()
        self.assertIsNotNone(result, 'the task has no result')
        self.assertEqual(result.get_status(), S.SUCCEEDED,
                         'the task did not succeed: %s' % result.get_error())
        return self.command_result(handle)

    def error_of(self, handle, status=S.FAILED):
        result = handle.get_result()
        self.assertIsNotNone(result, 'the task has no result')
        self.assertEqual(result.get_status(), status,
                         'the task did not end %s' % status.value_nick)
        error = result.get_error()
        self.assertIsNotNone(error)
        return error

    def assertOsiisoError(self, error, code):
        self.assertTrue(is_osiiso_error(error, code),
                        'expected %s, got %s: %s' % (
                            Osiiso.Error(code).value_nick,
                            getattr(error, 'domain', None), error))

    def wait_for_file(self, path):
        self.assertTrue(iterate_until(lambda: os.path.exists(path)),
                        '%s was never written' % path)
        with open(path) as f:
            return [int(word) for word in f.read().split()]

    def pid_file_script(self, path, body):
        """A shell line writing '$$ $!' to @path atomically after @body."""
        return '%s echo $$ $! > %s.tmp && mv %s.tmp %s; wait' % (body, path, path, path)

    # -- exit codes ------------------------------------------------------

    def test_exit_zero_captures_stdout_and_stderr(self):
        q = self.queue()
        h = self.sh(q, 'echo out; echo err >&2; printf "no newline"')
        summary = self.run_ok(q)
        self.assertEqual(summary.get_succeeded(), 1)
        self.assertTrue(summary.get_ok())

        r = self.succeeded(h)
        self.assertTrue(r.get_success())
        self.assertEqual(r.get_exit_status(), 0)
        self.assertEqual(r.get_term_signal(), 0)
        self.assertIsInstance(r.get_stdout(), GLib.Bytes)
        self.assertIsInstance(r.get_stderr(), GLib.Bytes)
        self.assertEqual(data_of(r.get_stdout()), b'out\nno newline')
        self.assertEqual(data_of(r.get_stderr()), b'err\n')
        self.assertEqual(r.get_stdout().get_size(), len(b'out\nno newline'))
        self.assertFalse(r.get_stdout_truncated())
        self.assertFalse(r.get_stderr_truncated())
        self.assertGreater(r.get_duration(), 0)
        self.assertLess(r.get_duration(), GUARD)
        self.assertIsNone(h.get_result().get_error())
        # The handle gives the same value.
        ok, value = h.get_value()
        self.assertTrue(ok)
        self.assertIsInstance(value, Osiiso.CommandResult)
        self.assertEqual(data_of(value.get_stdout()), b'out\nno newline')
        self.assertEqual(h.get_attempts(), 1)

    def test_no_output_is_empty_bytes(self):
        q = self.queue()
        h = self.command(q, ['true'])
        self.run_ok(q)
        r = self.succeeded(h)
        self.assertEqual(r.get_stdout().get_size(), 0)
        self.assertEqual(r.get_stderr().get_size(), 0)
        self.assertEqual(data_of(r.get_stdout()), b'')

    def test_nonzero_exit_fails_with_status_and_stderr_and_keeps_result(self):
        q = self.queue()
        h = self.sh(q, "echo partial output; echo 'bad thing happened' >&2; exit 3")
        silent = self.sh(q, 'exit 5')
        after = self.sh(q, 'echo after')
        summary = self.run_ok(q)
        self.assertEqual(summary.get_failed(), 2)
        self.assertEqual(summary.get_succeeded(), 1)
        self.assertFalse(summary.get_ok())

        error = self.error_of(h)
        self.assertOsiisoError(error, Osiiso.Error.COMMAND)
        self.assertEqual(error.domain, 'osiiso-error-quark')
        self.assertIn('sh', error.message)
        self.assertIn('exit status 3', error.message)
        self.assertIn('bad thing happened', error.message)
        # The failed result still carries what the command did.
        r = self.command_result(h)
        self.assertFalse(r.get_success())
        self.assertEqual(r.get_exit_status(), 3)
        self.assertEqual(r.get_term_signal(), 0)
        self.assertEqual(data_of(r.get_stdout()), b'partial output\n')
        self.assertEqual(data_of(r.get_stderr()), b'bad thing happened\n')
        # The handle raises the error.
        with self.assertRaises(GLib.Error) as raised:
            h.get_value()
        self.assertTrue(is_osiiso_error(raised.exception, Osiiso.Error.COMMAND))

        error = self.error_of(silent)
        self.assertOsiisoError(error, Osiiso.Error.COMMAND)
        self.assertIn('exit status 5', error.message)
        self.assertEqual(self.command_result(silent).get_exit_status(), 5)
        self.assertEqual(data_of(self.succeeded(after).get_stdout()), b'after\n')

    def test_error_message_has_the_end_of_a_long_stderr(self):
        q = self.queue()
        # 20 kB of noise, then the line that matters.
        h = self.sh(q, 'echo FIRST-LINE >&2; i=0; while [ $i -lt 400 ]; do '
                       'echo "noise noise noise noise noise noise $i" >&2; i=$((i+1)); done; '
                       'echo "the real reason" >&2; exit 1')
        self.run_ok(q)
        error = self.error_of(h)
        self.assertOsiisoError(error, Osiiso.Error.COMMAND)
        self.assertIn('exit status 1', error.message)
        self.assertIn('the real reason', error.message)
        self.assertNotIn('FIRST-LINE', error.message)
        self.assertLess(len(error.message), 1000)
        # The result has all of it.
        self.assertTrue(data_of(self.command_result(h).get_stderr()).startswith(b'FIRST-LINE\n'))

    def test_invalid_utf8_stderr_gives_a_valid_message(self):
        q = self.queue()
        h = self.sh(q, r"printf 'bad \377\376 bytes\n' >&2; exit 2")
        self.run_ok(q)
        error = self.error_of(h)
        self.assertOsiisoError(error, Osiiso.Error.COMMAND)
        self.assertIsInstance(error.message, str)
        self.assertIn('exit status 2', error.message)
        self.assertIn('bytes', error.message)
        self.assertEqual(data_of(self.command_result(h).get_stderr()), b'bad \xff\xfe bytes\n')

    def test_signals_set_term_signal(self):
        q = self.queue()
        term = self.sh(q, 'echo dying >&2; kill -TERM $$')
        killed = self.sh(q, 'kill -KILL $$')
        self.run_ok(q)

        error = self.error_of(term)
        self.assertOsiisoError(error, Osiiso.Error.COMMAND)
        self.assertIn('signal %d' % signal.SIGTERM, error.message)
        self.assertIn('dying', error.message)
        r = self.command_result(term)
        self.assertEqual(r.get_term_signal(), signal.SIGTERM)
        self.assertEqual(r.get_exit_status(), -1)
        self.assertFalse(r.get_success())

        error = self.error_of(killed)
        self.assertOsiisoError(error, Osiiso.Error.COMMAND)
        self.assertIn('signal %d' % signal.SIGKILL, error.message)
        self.assertEqual(self.command_result(killed).get_term_signal(), signal.SIGKILL)
        self.assertEqual(self.command_result(killed).get_exit_status(), -1)

    # -- output and input ------------------------------------------------

    def test_output_larger_than_a_pipe_buffer_on_both_streams(self):
        q = self.queue()
        # Both streams at once, each far past 64 KiB: no deadlock.
        h = self.sh(q, 'seq 1 200000 & seq 1 100000 >&2; wait')
        zeros = self.sh(q, 'head -c 3000000 /dev/zero; head -c 2000000 /dev/zero >&2')
        summary = self.run_ok(q)
        self.assertEqual(summary.get_succeeded(), 2)

        expected_out = ''.join('%d\n' % i for i in range(1, 200001)).encode()
        expected_err = ''.join('%d\n' % i for i in range(1, 100001)).encode()
        r = self.succeeded(h)
        self.assertEqual(r.get_stdout().get_size(), len(expected_out))
        self.assertEqual(data_of(r.get_stdout()), expected_out)
        self.assertEqual(data_of(r.get_stderr()), expected_err)
        self.assertFalse(r.get_stdout_truncated())
        self.assertFalse(r.get_stderr_truncated())

        r = self.succeeded(zeros)
        self.assertEqual(r.get_stdout().get_size(), 3000000)
        self.assertEqual(r.get_stderr().get_size(), 2000000)
        self.assertEqual(data_of(r.get_stdout()), bytes(3000000))

    def test_stdin_bytes(self):
        q = self.queue()
        # Far more than a pipe buffer, read to its end.
        counted = self.sh(q, 'wc -c', b'x' * 300000)
        # Every byte value, NULs included, in and out again. (Kept small
        # in this process: a megabyte through cat is
        # HostSafetyTests.test_filter_with_large_input_and_output, in a
        # child host that may hang.)
        data = bytes(range(256)) * 64
        echoed = self.command(q, ['cat'], data)
        empty = self.command(q, ['cat'], b'')
        # No input: standard input is /dev/null (cat ends at once).
        devnull = self.sh(q, 'cat; readlink /proc/self/fd/0 >&2')
        summary = self.run_ok(q)
        self.assertEqual(summary.get_succeeded(), 4)

        self.assertEqual(int(data_of(self.succeeded(counted).get_stdout())), 300000)
        r = self.succeeded(echoed)
        self.assertEqual(r.get_stdout().get_size(), len(data))
        self.assertEqual(data_of(r.get_stdout()), data)
        self.assertEqual(data_of(self.succeeded(empty).get_stdout()), b'')
        r = self.succeeded(devnull)
        self.assertEqual(data_of(r.get_stdout()), b'')
        self.assertEqual(data_of(r.get_stderr()), b'/dev/null\n')

    def test_command_that_does_not_read_its_input(self):
        # This process ignores SIGPIPE (Python does at startup); see
        # HostSafetyTests.test_host_survives_command_not_reading_input for
        # a host that does not.
        self.assertEqual(signal.getsignal(signal.SIGPIPE), signal.SIG_IGN)
        q = self.queue()
        ignores = self.command(q, ['true'], bytes(1 << 20))
        reads_some = self.sh(q, 'head -c 10', b'0123456789' * 100000)
        summary = self.run_ok(q)
        self.assertEqual(summary.get_succeeded(), 2)
        self.assertTrue(self.succeeded(ignores).get_success())
        self.assertEqual(data_of(self.succeeded(reads_some).get_stdout()), b'0123456789')

    def test_cwd(self):
        q = self.queue()
        h = self.sh(q, 'pwd -P; echo made > made-here', cwd=self.tmpdir)
        default = self.command(q, ['pwd', '-P'])
        self.run_ok(q)
        self.assertEqual(data_of(self.succeeded(h).get_stdout()),
                         (os.path.realpath(self.tmpdir) + '\n').encode())
        with open(os.path.join(self.tmpdir, 'made-here')) as f:
            self.assertEqual(f.read(), 'made\n')
        # No cwd: this process's.
        self.assertEqual(data_of(self.succeeded(default).get_stdout()),
                         (os.path.realpath(os.getcwd()) + '\n').encode())

    def test_environment(self):
        q = self.queue()
        os.environ['OSIISO_TEST_INHERITED'] = 'inherited'
        try:
            # envp replaces the environment: no HOME, no PATH; 'sh' is
            # still found (in this process's PATH).
            given = self.sh(q, 'printf "%s|%s|%s|%s" "$OSIISO_TEST_VALUE" "$OTHER" '
                               '"${HOME-unset}" "${OSIISO_TEST_INHERITED-unset}"',
                            envp=['OSIISO_TEST_VALUE=from-env', 'OTHER=a b=c'])
            # No envp: this process's environment.
            inherited = self.sh(q, 'printf "%s|%s" "$OSIISO_TEST_INHERITED" '
                                   '"${OSIISO_TEST_VALUE-unset}"')
            self.run_ok(q)
        finally:
            del os.environ['OSIISO_TEST_INHERITED']
        self.assertEqual(data_of(self.succeeded(given).get_stdout()),
                         b'from-env|a b=c|unset|unset')
        self.assertEqual(data_of(self.succeeded(inherited).get_stdout()), b'inherited|unset')

    def test_output_limit_truncates(self):
        self.assertEqual(self.queue().props.output_limit, 16 * 1024 * 1024)
        q = self.queue_with(output_limit=1000)
        self.assertEqual(q.props.output_limit, 1000)
        both = self.sh(q, 'seq 1 200000; head -c 300000 /dev/zero >&2')
        exact = self.sh(q, 'head -c 1000 /dev/zero')
        over = self.sh(q, 'head -c 1001 /dev/zero')
        failing = self.sh(q, 'seq 1 100000; exit 4')
        summary = self.run_ok(q)
        self.assertEqual(summary.get_succeeded(), 3)

        # The first bytes are kept, the rest read and dropped: the command
        # ran to its end and succeeded.
        r = self.succeeded(both)
        self.assertTrue(r.get_success())
        self.assertEqual(r.get_stdout().get_size(), 1000)
        self.assertEqual(data_of(r.get_stdout()),
                         ''.join('%d\n' % i for i in range(1, 400)).encode()[:1000])
        self.assertTrue(r.get_stdout_truncated())
        self.assertEqual(r.get_stderr().get_size(), 1000)
        self.assertTrue(r.get_stderr_truncated())

        r = self.succeeded(exact)
        self.assertEqual(r.get_stdout().get_size(), 1000)
        self.assertFalse(r.get_stdout_truncated())
        self.assertFalse(r.get_stderr_truncated())
        r = self.succeeded(over)
        self.assertEqual(r.get_stdout().get_size(), 1000)
        self.assertTrue(r.get_stdout_truncated())

        error = self.error_of(failing)
        self.assertOsiisoError(error, Osiiso.Error.COMMAND)
        self.assertIn('exit status 4', error.message)
        r = self.command_result(failing)
        self.assertEqual(r.get_exit_status(), 4)
        self.assertEqual(r.get_stdout().get_size(), 1000)
        self.assertTrue(r.get_stdout_truncated())

    # -- timeouts and cancellation ---------------------------------------

    def test_timeout_kills_the_process_tree(self):
        q = self.queue(1)
        pid_file = os.path.join(self.tmpdir, 'pids')
        h = self.sh(q, self.pid_file_script(pid_file, 'sleep 30 &'), timeout=2.0)
        after = self.sh(q, 'echo after')
        started = time.monotonic()
        summary = self.run_ok(q)

        error = self.error_of(h)
        self.assertOsiisoError(error, Osiiso.Error.TIMEOUT)
        self.assertEqual(summary.get_failed(), 1)
        # The command sleeps 30 s: the run did not wait for it.
        self.assertLess(time.monotonic() - started, GUARD)
        self.assertEqual(data_of(self.succeeded(after).get_stdout()), b'after\n')
        self.assertTrue(os.path.exists(pid_file), 'the command never started its grandchild')
        shell, grandchild = self.wait_for_file(pid_file)
        self.assertGreater(grandchild, 0)
        self.assertTrue(wait_pid_gone(shell), 'the timed-out shell %d lives on' % shell)
        self.assertTrue(wait_pid_gone(grandchild), 'its grandchild %d lives on' % grandchild)

    def test_timeout_escalates_to_sigkill(self):
        q = self.queue_with(workers=1, kill_grace=0.5)
        self.assertEqual(q.props.kill_grace, 0.5)
        pid_file = os.path.join(self.tmpdir, 'pids')
        # SIGTERM is ignored, by the shell and (inherited) by its child.
        h = self.sh(q, self.pid_file_script(pid_file, "trap '' TERM; sleep 30 &"), timeout=2.0)
        started = time.monotonic()
        self.run_ok(q)
        self.assertLess(time.monotonic() - started, GUARD)
        self.assertOsiisoError(self.error_of(h), Osiiso.Error.TIMEOUT)
        shell, grandchild = self.wait_for_file(pid_file)
        # The SIGKILL is a source on the queue's main context, iterated here.
        self.assertTrue(wait_pid_gone(shell), 'the timed-out shell %d lives on' % shell)
        self.assertTrue(wait_pid_gone(grandchild), 'its grandchild %d lives on' % grandchild)

    def test_timeout_then_retry_succeeds(self):
        q = self.queue(1)
        count = os.path.join(self.tmpdir, 'count')
        # The first attempt hangs (killed at the timeout), the second
        # prints and exits: the late end of the first does not disturb it.
        h = self.sh(q, 'echo x >> %s; if [ $(wc -l < %s) -lt 2 ]; then sleep 30; fi; '
                       'echo second' % (count, count), timeout=2.0, retries=1)
        summary = self.run_ok(q)
        self.assertEqual(summary.get_succeeded(), 1)
        self.assertEqual(h.get_attempts(), 2)
        self.assertEqual(data_of(self.succeeded(h).get_stdout()), b'second\n')
        with open(count) as f:
            self.assertEqual(f.read(), 'x\nx\n')

    def test_cancel_running_and_queued(self):
        q = self.queue(1)
        pid_file = os.path.join(self.tmpdir, 'pids')
        q.start()
        running = self.sh(q, self.pid_file_script(pid_file, 'sleep 30 &'))
        queued = self.sh(q, 'echo queued')
        # Mid-command: it has started its grandchild.
        shell, grandchild = self.wait_for_file(pid_file)
        self.assertEqual(running.get_status(), S.RUNNING)
        self.assertEqual(queued.get_status(), S.PENDING)

        self.assertTrue(queued.cancel())
        self.assertTrue(running.cancel())
        after = self.sh(q, 'echo after')
        started = time.monotonic()
        summary = self.run_ok(q)

        self.assertLess(time.monotonic() - started, GUARD)
        self.assertEqual(summary.get_cancelled(), 2)
        self.assertEqual(summary.get_succeeded(), 1)
        for handle in (running, queued):
            self.assertEqual(handle.get_status(), S.CANCELLED)
            self.assertTrue(is_cancelled_error(handle.get_result().get_error()),
                            handle.get_result().get_error())
        self.assertEqual(queued.get_attempts(), 0)
        self.assertEqual(running.get_attempts(), 1)
        self.assertEqual(data_of(self.succeeded(after).get_stdout()), b'after\n')
        self.assertTrue(wait_pid_gone(shell), 'the cancelled shell %d lives on' % shell)
        self.assertTrue(wait_pid_gone(grandchild), 'its grandchild %d lives on' % grandchild)

    # -- retries ---------------------------------------------------------

    def test_retries_of_a_flaky_command(self):
        q = self.queue(1)
        retried = []
        q.connect('task-retrying', lambda queue, handle, error: retried.append(
            (error.domain, error.code, error.message)))
        count = os.path.join(self.tmpdir, 'count')
        # Fails twice, then succeeds: the count lives in a file.
        h = self.sh(q, 'echo x >> %s; n=$(wc -l < %s); echo "attempt $n"; '
                       'echo "failure $n" >&2; test $n -ge 3' % (count, count), retries=3)
        summary = self.run_ok(q)

        self.assertEqual(summary.get_succeeded(), 1)
        self.assertEqual(h.get_status(), S.SUCCEEDED)
        self.assertEqual(h.get_attempts(), 3)
        self.assertEqual(h.get_result().get_attempts(), 3)
        # The value is the last attempt's.
        self.assertEqual(data_of(self.succeeded(h).get_stdout()), b'attempt 3\n')
        with open(count) as f:
            self.assertEqual(f.read(), 'x\nx\nx\n')
        self.assertEqual(len(retried), 2, retried)
        # Each retry carries the error of the attempt that failed.
        for (domain, code, message), n in zip(retried, (1, 2)):
            self.assertEqual(domain, 'osiiso-error-quark')
            self.assertEqual(code, Osiiso.Error.COMMAND)
            self.assertIn('exit status 1', message)
            self.assertIn('failure %d' % n, message)

    def test_retries_exhausted(self):
        q = self.queue(1)
        h = self.sh(q, 'echo out; echo nope >&2; exit 7', retries=2)
        summary = self.run_ok(q)
        self.assertEqual(summary.get_failed(), 1)
        self.assertEqual(h.get_attempts(), 3)
        error = self.error_of(h)
        self.assertOsiisoError(error, Osiiso.Error.COMMAND)
        self.assertIn('exit status 7', error.message)
        r = self.command_result(h)
        self.assertEqual(r.get_exit_status(), 7)
        self.assertEqual(data_of(r.get_stdout()), b'out\n')

    # -- commands that cannot start --------------------------------------

    def test_missing_program_and_bad_cwd(self):
        q = self.queue(1)
        missing = self.command(q, ['/nonexistent/program', 'arg'])
        not_in_path = self.command(q, ['osiiso-no-such-program-in-path'])
        bad_cwd = self.command(q, ['true'], cwd='/nonexistent/dir')
        not_a_dir = self.command(q, ['true'], cwd='/etc/hostname')
        after = self.sh(q, 'echo after')
        summary = self.run_ok(q)
        self.assertEqual(summary.get_failed(), 4)
        self.assertEqual(summary.get_succeeded(), 1)

        for handle, part in ((missing, '/nonexistent/program'),
                             (not_in_path, 'osiiso-no-such-program-in-path'),
                             (bad_cwd, '/nonexistent/dir'),
                             (not_a_dir, '/etc/hostname')):
            with self.subTest(part=part):
                error = self.error_of(handle)
                self.assertOsiisoError(error, Osiiso.Error.COMMAND)
                self.assertIn(part, error.message)
                self.assertEqual(handle.get_attempts(), 1)
        self.assertEqual(data_of(self.succeeded(after).get_stdout()), b'after\n')

    def test_missing_program_with_retries(self):
        q = self.queue(1)
        h = self.command(q, ['/nonexistent/program'], retries=2)
        self.run_ok(q)
        self.assertOsiisoError(self.error_of(h), Osiiso.Error.COMMAND)
        self.assertEqual(h.get_attempts(), 3)

    # -- the pool --------------------------------------------------------

    def test_commands_count_against_workers(self):
        q = self.queue(2)
        running = os.path.join(self.tmpdir, 'running')
        os.mkdir(running)
        # Each command counts the commands running with it (itself too).
        script = ('touch %s/$$; ls %s | wc -l; sleep 1; rm %s/$$'
                  % (running, running, running))
        handles = [self.sh(q, script) for _ in range(5)]
        summary = self.run_ok(q)
        self.assertEqual(summary.get_succeeded(), 5)
        seen = [int(data_of(self.succeeded(h).get_stdout())) for h in handles]
        self.assertLessEqual(max(seen), 2, seen)
        self.assertEqual(max(seen), 2, 'the two slots never ran together: %s' % seen)
        # No worker process was started for commands.
        self.assertEqual(list(q.get_worker_pids()), [])

    def test_no_zombie_no_fd_leak(self):
        # Earlier tests' killed commands are reaped by the main context.
        self.assertTrue(iterate_until(lambda: not zombie_children()),
                        'zombies before the test: %s' % zombie_children())
        before_fds = count_fds()
        before = set(children())

        q = self.queue(2)
        handles = [self.sh(q, 'echo $$') for _ in range(16)]
        handles.append(self.sh(q, 'echo $$; exit 1'))
        handles.append(self.sh(q, 'echo $$; kill -KILL $$'))
        handles.append(self.sh(q, 'echo $$; head -c 200000 /dev/zero >&2', b'input'))
        handles.append(self.sh(q, 'echo $$; sleep 30 >/dev/null 2>&1 & echo $! > %s/bg'
                               % self.tmpdir))
        summary = self.run_ok(q)
        self.assertEqual(summary.get_succeeded(), 18)
        self.assertEqual(summary.get_failed(), 2)
        pids = {int(data_of(self.command_result(h).get_stdout())) for h in handles}
        self.assertEqual(len(pids), len(handles))

        # Every command was reaped before its task completed.
        now = children()
        self.assertEqual({p: s for p, s in now.items() if p in pids}, {},
                         'commands left as children')
        self.assertEqual(zombie_children(), {})
        self.assertEqual({p: s for p, s in now.items() if p not in before}, {},
                         'child processes left over')
        # A background job left behind by a command that exited is gone
        # too (its group is killed when the command exits).
        with open(os.path.join(self.tmpdir, 'bg')) as f:
            background = int(f.read())
        self.assertTrue(wait_pid_gone(background), 'background job %d lives on' % background)

        self.queues.remove(q)
        q.shutdown(True, None)
        del q, handles
        gc.collect()
        self.assertTrue(iterate_until(lambda: count_fds() <= before_fds),
                        'file descriptors leaked: %d before, %d now' % (before_fds, count_fds()))

    def test_no_zombie_after_timeouts_and_cancels(self):
        self.assertTrue(iterate_until(lambda: not zombie_children()))
        q = self.queue(2)
        timed_out = [self.sh(q, 'echo $$ > %s/t%d; sleep 30' % (self.tmpdir, i), timeout=1.0)
                     for i in range(3)]
        self.run_ok(q)
        for h in timed_out:
            self.assertOsiisoError(self.error_of(h), Osiiso.Error.TIMEOUT)
        shells = []
        for i in range(3):
            with open(os.path.join(self.tmpdir, 't%d' % i)) as f:
                shells.append(int(f.read()))
        # The killed shells are our children until the main context reaps
        # them: no zombie stays.
        self.assertTrue(iterate_until(lambda: not (set(children()) & set(shells))),
                        'killed commands left as children: %s' % {
                            p: s for p, s in children().items() if p in shells})
        self.assertTrue(iterate_until(lambda: not zombie_children()),
                        'zombies: %s' % zombie_children())

    def test_run_async_with_commands(self):
        q = self.queue(2)
        loop = GLib.MainLoop()
        outcome = []
        hs = [self.sh(q, 'echo %d' % i) for i in range(4)]

        def done(queue, result):
            try:
                outcome.append(queue.run_finish(result))
            except GLib.Error as e:
                outcome.append(e)
            loop.quit()

        q.run_async(GUARD, Osiiso.RunFlags.NONE, None, done)
        guard = GLib.timeout_add(int(2 * GUARD * 1000), loop.quit)
        loop.run()
        if outcome:
            GLib.source_remove(guard)
        self.assertEqual(len(outcome), 1, 'run_async never finished')
        self.assertIsInstance(outcome[0], Osiiso.RunSummary)
        self.assertEqual(outcome[0].get_succeeded(), 4)
        self.assertEqual([data_of(self.succeeded(h).get_stdout()) for h in hs],
                         [b'0\n', b'1\n', b'2\n', b'3\n'])


# --------------------------------------------------------------------------
# Bugs found while writing these tests, fixed since (regression tests)
# --------------------------------------------------------------------------

# A host process, run as a child interpreter so that being killed fails a
# test rather than the whole file. argv[1] is the scenario, argv[2] a
# scratch directory.
CHILD_HOST = r"""
import gc, os, signal, sys
import gi
gi.require_version('Osiiso', '1.0')
from gi.repository import GLib, Osiiso

scenario, tmp = sys.argv[1], sys.argv[2]
if scenario == 'unread-input':
    # SIGPIPE at its default action, as in any C program and in gjs
    # (Python itself ignores it, which hides the bug).
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    q = Osiiso.ProcessQueue.new(['false'], 1)
    h = q.submit_command(['true'], GLib.Bytes(bytes(1 << 20)), None, None, None)
    q.run(None)
    print(h.get_status().value_nick)
elif scenario == 'filter':
    # cat: a megabyte in, the same out; a 2 s timeout as a safety net.
    q = Osiiso.ProcessQueue.new(['false'], 1)
    h = q.submit_command(['cat'], GLib.Bytes(bytes(1 << 20)), None, None,
                         Osiiso.TaskOptions(timeout=2.0))
    q.run(None)
    r = h.get_result()
    print(h.get_status().value_nick, r.get_value().get_stdout().get_size() if r.get_value() else None)
elif scenario == 'exit-after-timeout':
    # A command that ignores SIGTERM times out; the host then drops the
    # queue and exits, as a command-line tool would.
    q = Osiiso.ProcessQueue(worker_argv=['false'], workers=1, kill_grace=0.5)
    pids = os.path.join(tmp, 'pids')
    script = "trap '' TERM; sleep 60 & echo $$ $! > %s.tmp && mv %s.tmp %s; wait" % (pids, pids, pids)
    h = q.submit_command(['sh', '-c', script], None, None, None, Osiiso.TaskOptions(timeout=1.0))
    q.run(None)
    error = h.get_result().get_error()
    timed_out = (h.get_status() == Osiiso.TaskStatus.FAILED
                 and error.domain == GLib.quark_to_string(Osiiso.error_quark())
                 and error.code == Osiiso.Error.TIMEOUT)
    print('timed-out' if timed_out else 'not timed out: %s' % error)
    q.shutdown(True, None)
    del q, h
    gc.collect()
"""


class ChildHostTestCase(unittest.TestCase):
    """Tests run in a child host interpreter (CHILD_HOST): a host killed
    by a signal or hung fails the test, not the whole file."""

    def setUp(self):
        self.tmpdir = tempfile.mkdtemp(prefix='osiiso-cmd-host-')

    def tearDown(self):
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def run_child_host(self, scenario, timeout=4 * GUARD):
        try:
            return subprocess.run([sys.executable, '-c', CHILD_HOST, scenario, self.tmpdir],
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            self.fail('the %s host hung (still running after %g s)' % (scenario, timeout))


class HostSafetyTests(ChildHostTestCase):
    """Commands' input must neither kill nor block the host. Both were
    library bugs at commit 1904dd1 (a plain, blocking stdin pipe)."""

    # A command that exits without reading all its input ("no error") must
    # not raise SIGPIPE in the host: a host that has not ignored SIGPIPE
    # (every C program by default, gjs too) would die of it.
    def test_host_survives_command_not_reading_input(self):
        child = self.run_child_host('unread-input')
        self.assertNotEqual(child.returncode, -signal.SIGPIPE,
                            'the host process was killed by SIGPIPE; stderr:\n%s'
                            % child.stderr[-2000:])
        self.assertEqual(child.returncode, 0, child.stderr[-2000:])
        self.assertEqual(child.stdout.strip(), 'succeeded')

    # Writing a command's input must never block the queue's owner thread:
    # a filter that writes output while reading (cat, gzip, ...) would
    # fill its stdout, which nobody drains while the owner thread is stuck
    # in write(): a deadlock that not even the task's timeout can end (its
    # source never dispatches). With a blocking pipe this hung from about
    # 200 kB of input on cat.
    def test_filter_with_large_input_and_output(self):
        child = self.run_child_host('filter', timeout=GUARD / 2)
        self.assertEqual(child.returncode, 0, child.stderr[-2000:])
        self.assertEqual(child.stdout.split(), ['succeeded', str(1 << 20)])


class FixedBugTests(ChildHostTestCase):
    """Library bugs found while writing these tests, each shown by a test
    that failed before the fix."""

    # Bug 1 (fixed): the SIGKILL "after kill-grace seconds" was only a
    # timeout source on the queue's main context, so a command ignoring
    # SIGTERM, and its children, lived on if the host stopped iterating it
    # or exited right after the timeout. The SIGKILL now comes from the
    # library's group-killer thread, and a forced shutdown waits until the
    # terminated processes are gone.
    def test_term_ignoring_command_killed_when_host_exits_after_timeout(self):
        child = self.run_child_host('exit-after-timeout')
        self.assertEqual(child.returncode, 0, child.stderr[-2000:])
        self.assertEqual(child.stdout.strip(), 'timed-out')
        with open(os.path.join(self.tmpdir, 'pids')) as f:
            pids = [int(word) for word in f.read().split()]
        try:
            # Grace 0.5 s; init reaps orphans within a couple of seconds.
            deadline = time.monotonic() + 10
            while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual([pid for pid in pids if alive(pid)], [],
                             'the timed-out command group lives on after its host exited')
        finally:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    # Bug 2 (fixed): the failure message is documented to give "the end of
    # the standard error", but it was taken from the captured stderr,
    # which keeps only the *first* output-limit bytes.
    def test_error_message_has_the_end_of_stderr_beyond_the_output_limit(self):
        q = Osiiso.ProcessQueue(worker_argv=['false'], output_limit=1000)
        try:
            h = q.submit_command(['sh', '-c', 'head -c 5000 /dev/zero | tr "\\0" a >&2; '
                                              'echo >&2; echo "the real reason" >&2; exit 1'],
                                 None, None, None, None)
            q.run(None)
            error = h.get_result().get_error()
            self.assertTrue(is_osiiso_error(error, Osiiso.Error.COMMAND))
            self.assertTrue(h.get_result().get_value().get_stderr_truncated())
            self.assertIn('the real reason', error.message)
        finally:
            q.shutdown(True, None)


if __name__ == '__main__':
    unittest.main(verbosity=2)

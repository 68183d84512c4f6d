#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The osiiso command-line tool (`osiiso run`), driven as a program.

The binary comes from the environment (OSIISO_TEST_CLI, set by
tests/meson.build). Every run has a deadline (GUARD) so that a broken tool
fails a test instead of hanging it; waits are on events (a process exit,
a line of output, a file a command writes), never fixed sleeps. Commands
that must be killed sleep long (60 s), so no test depends on a short sleep
ending in time. Timing assertions are lower bounds only (the machine has 2
shared cores).
"""

import csv
import fcntl
import json
import os
import pty
import re
import select
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import termios
import time
import unittest

OSIISO = os.environ.get('OSIISO_TEST_CLI')
EXAMPLE = os.environ.get('OSIISO_TEST_CLI_EXAMPLE')   # examples/cli/run.sh

# Upper bound for anything that should take well under a second.
GUARD = 30.0

JOBLOG_HEADER = ['Seq', 'Starttime', 'JobRuntime', 'Attempts', 'Exitval',
                 'Signal', 'Status', 'Command']


def env():
    e = dict(os.environ)
    e['LC_ALL'] = 'C.UTF-8'
    e.pop('LANGUAGE', None)
    return e


def run(*args, stdin=None, cwd=None, timeout=GUARD):
    """Runs `osiiso ARGS…`; returns (status, stdout, stderr) as text."""
    proc = subprocess.run([OSIISO, *args], input=stdin if stdin is not None else '',
                          capture_output=True, text=True, timeout=timeout, env=env(), cwd=cwd)
    return proc.returncode, proc.stdout, proc.stderr


def wait_for(predicate, what, timeout=GUARD):
    """Polls @predicate (cheap: a file, /proc) until it holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError('timed out waiting for ' + what)
        time.sleep(0.02)


def gone(pid):
    """Whether @pid has exited: no such process, or a zombie."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] in ('Z', 'X')
    except FileNotFoundError:
        return True


def read_pids(directory):
    pids = []
    for name in sorted(os.listdir(directory)):
        if name.endswith('.pid'):
            with open(os.path.join(directory, name)) as f:
                text = f.read().strip()
            if text:
                pids.append(int(text))
    return pids


def recorded_inputs(path):
    """The inputs a --resume checkpoint records as done, read with SQLite
    (a reader beside the runner's connection: the file is in WAL mode)."""
    db = sqlite3.connect(path, timeout=GUARD)
    try:
        return [key for (key,) in db.execute('SELECT key FROM completions')]
    finally:
        db.close()


def read_lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def read_joblog(path):
    with open(path, newline='') as f:
        rows = list(csv.reader(f, delimiter='\t', quoting=csv.QUOTE_NONE))
    return rows[0], [dict(zip(rows[0], row)) for row in rows[1:]]


class Pty:
    """osiiso on a pseudo-terminal of @cols columns (stdout and stderr)."""

    def __init__(self, args, cols=80):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 24, cols, 0, 0))
                os.execve(OSIISO, [OSIISO, *args], env())
            finally:
                os._exit(127)
        self.data = b''
        self.status = None

    def read_until(self, predicate, what, timeout=GUARD):
        """Reads until predicate(data) holds or the terminal closes."""
        deadline = time.monotonic() + timeout
        while not predicate(self.data):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError('timed out waiting for ' + what + ': ' + repr(self.data[-300:]))
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:   # EIO: the other side is closed
                chunk = b''
            if not chunk:
                if not predicate(self.data):
                    raise AssertionError('terminal closed before ' + what + ': ' + repr(self.data[-300:]))
                break
            self.data += chunk

    def finish(self, timeout=GUARD):
        """Reads to the end, reaps; returns the exit status."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(self.pid, signal.SIGKILL)
                raise AssertionError('osiiso did not exit: ' + repr(self.data[-300:]))
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                chunk = b''
            if not chunk:
                break
            self.data += chunk
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        self.status = os.waitstatus_to_exitcode(status)
        return self.status


# The progress line: "\r" + text + "erase to the end of the line"; a bare
# "\r\033[K" clears it.
PROGRESS = re.compile(rb'\r([^\r\n]*?)\x1b\[K')


@unittest.skipIf(OSIISO is None, 'OSIISO_TEST_CLI is not set')
class CliTestCase(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix='osiiso-cli-')
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    # ------------------------------------------------------------------
    # Outputs and exit codes
    # ------------------------------------------------------------------

    def test_outputs_and_exit_status(self):
        status, out, err = run('run', '-j2', '--', 'echo', 'hello', ':::', 'a', 'b', 'c')
        self.assertEqual(status, 0, err)
        self.assertEqual(sorted(out.splitlines()), ['hello a', 'hello b', 'hello c'])
        self.assertIn('Run Summary: PASSED', err)
        self.assertRegex(err, r'Total tasks : 3\n')
        self.assertRegex(err, r'Succeeded   : 3\n')

        status, out, err = run('run', '--', 'sh', '-c', 'echo out-$1; echo err-$1 >&2; exit $1',
                               'sh', ':::', '0', '3')
        self.assertEqual(status, 1)
        self.assertEqual(sorted(out.splitlines()), ['out-0', 'out-3'])
        self.assertIn('err-0\n', err)
        self.assertIn('err-3\n', err)
        self.assertIn('Run Summary: COMPLETED WITH ERRORS', err)
        self.assertRegex(err, r'Failed      : 1\n')
        self.assertIn('exit status 3', err)

        # No input at all: nothing to do, which is a success.
        status, out, err = run('run', 'true')
        self.assertEqual((status, out), (0, ''))
        self.assertRegex(err, r'Total tasks : 0\n')

    def test_missing_program_fails_its_task(self):
        status, out, err = run('run', '--', 'osiiso-no-such-program', ':::', 'x')
        self.assertEqual(status, 1)
        self.assertIn('osiiso-no-such-program', err)
        self.assertRegex(err, r'Failed      : 1\n')

    def test_quiet(self):
        status, out, err = run('run', '-q', '--', 'sh', '-c', 'echo $1; exit $1', 'sh', ':::', '0', '1')
        self.assertEqual(status, 1)
        self.assertEqual(sorted(out.splitlines()), ['0', '1'])
        self.assertNotIn('Run Summary', err)
        self.assertEqual(err, '')

    # ------------------------------------------------------------------
    # Inputs, {} and quoting
    # ------------------------------------------------------------------

    def test_substitution_and_quoting(self):
        nasty = ['two words', 'semi;colon', '$HOME', '`touch pwned`', '$(touch pwned)',
                 "it's", '"quoted"', '*', 'back\\slash', ' lead', 'a|b&c>out', '{}']
        lines = ''.join(line + '\n' for line in nasty)

        # {} absent: the input is the last argument, one argument.
        status, out, err = run('run', '-k', '--', 'printf', '[%s]\\n', stdin=lines, cwd=self.dir)
        self.assertEqual(status, 0, err)
        self.assertEqual(out.splitlines(), ['[' + line + ']' for line in nasty])

        # {} in the middle of arguments, several times, and in several.
        status, out, err = run('run', '-k', '--', 'printf', '<%s|%s>\\n', 'x{}y{}', '{}',
                               stdin=lines, cwd=self.dir)
        self.assertEqual(status, 0, err)
        self.assertEqual(out.splitlines(),
                         ['<x%sy%s|%s>' % (line, line, line) for line in nasty])

        # No shell saw any of it.
        self.assertEqual(os.listdir(self.dir), [])

        # A shell only when asked for, with the input as $1.
        status, out, err = run('run', '-k', '--', 'sh', '-c', 'printf "(%s)\\n" "$1"', 'sh', '{}',
                               stdin=lines, cwd=self.dir)
        self.assertEqual(status, 0, err)
        self.assertEqual(out.splitlines(), ['(' + line + ')' for line in nasty])

    def test_triple_colon_arguments(self):
        status, out, err = run('run', '-k', 'printf', '%s\\n', ':::', 'a b', '', ':::', 'c')
        self.assertEqual(status, 0, err)
        # Every argument after the first ::: is an input, an empty one too.
        self.assertEqual(out, 'a b\n\n:::\nc\n')

        # Standard input is not read with :::.
        status, out, err = run('run', 'echo', ':::', 'x', stdin='y\n')
        self.assertEqual(out, 'x\n')

    def test_input_file_and_stdin(self):
        with open(self.path('in.txt'), 'w') as f:
            f.write('one\n\ntwo\nthree')   # empty line skipped, last line unterminated
        status, out, err = run('run', '-k', '--input', self.path('in.txt'), 'echo')
        self.assertEqual((status, out), (0, 'one\ntwo\nthree\n'), err)
        status, out, err = run('run', '-k', '-a', self.path('in.txt'), 'echo')
        self.assertEqual((status, out), (0, 'one\ntwo\nthree\n'), err)
        status, out, err = run('run', '-k', 'echo', stdin='one\n\ntwo\nthree')
        self.assertEqual((status, out), (0, 'one\ntwo\nthree\n'), err)
        status, out, err = run('run', '-k', '--input', '-', 'echo', stdin='four\n')
        self.assertEqual((status, out), (0, 'four\n'), err)

    def test_options_before_the_command_only(self):
        # -j2 attached, and the command's own options left alone.
        status, out, err = run('run', '-j2', '-k', 'echo', 'x', '-q', ':::', '-j', '--json')
        self.assertEqual(status, 0, err)
        self.assertEqual(out, 'x -q -j\nx -q --json\n')

    # ------------------------------------------------------------------
    # Policies
    # ------------------------------------------------------------------

    def test_retries_of_a_flaky_command(self):
        # Succeeds on its third attempt: the count is in a file.
        flaky = 'n=$(cat "$1" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$1"; echo attempt $n; test $n -ge 3'
        counter = self.path('counter')
        joblog = self.path('joblog')

        status, out, err = run('run', '--retries', '2', '--joblog', joblog, '--',
                               'sh', '-c', flaky, 'sh', ':::', counter)
        self.assertEqual(status, 0, err)
        self.assertEqual(out, 'attempt 3\n')   # the last attempt's output only
        with open(counter) as f:
            self.assertEqual(f.read().strip(), '3')
        _, rows = read_joblog(joblog)
        self.assertEqual([(r['Attempts'], r['Exitval'], r['Status']) for r in rows],
                         [('3', '0', 'succeeded')])

        # One retry is not enough.
        os.unlink(counter)
        status, out, err = run('run', '--retries', '1', '--retry-delay', '0.05', '--backoff', '2',
                               '--joblog', joblog, '--', 'sh', '-c', flaky, 'sh', ':::', counter)
        self.assertEqual(status, 1)
        self.assertIn('(2 attempts)', err)
        _, rows = read_joblog(joblog)
        self.assertEqual([(r['Attempts'], r['Exitval'], r['Status']) for r in rows],
                         [('2', '1', 'failed')])

    def test_retry_delay_is_waited(self):
        # 0.3 s, then 0.6 s: at least 0.9 s between the first start and the end.
        counter = self.path('counter')
        started = time.monotonic()
        status, out, err = run('run', '--retries', '2', '--retry-delay', '0.3', '--backoff', '2',
                               '--', 'sh', '-c', 'echo x >> "$1"; exit 1', 'sh', ':::', counter)
        elapsed = time.monotonic() - started
        self.assertEqual(status, 1)
        with open(counter) as f:
            self.assertEqual(len(f.read().split()), 3)
        self.assertGreaterEqual(elapsed, 0.85)

    def test_timeout_kills_the_process_tree(self):
        # The shell ignores SIGTERM, and so does its background child (the
        # grandchild): only the SIGKILL after the kill grace ends them, and
        # osiiso must not exit before that.
        script = 'trap "" TERM; sleep 60 & echo $! > "$1.pid"; echo $$ > "$1.sh.pid"; wait'
        joblog = self.path('joblog')
        status, out, err = run('run', '-j2', '--timeout', '1', '--joblog', joblog, '--',
                               'sh', '-c', script, 'sh', ':::', self.path('a'), self.path('b'))
        self.assertEqual(status, 1)
        pids = read_pids(self.dir)
        self.assertEqual(len(pids), 4)
        for pid in pids:
            self.assertTrue(gone(pid), 'process %d survived its task' % pid)
        _, rows = read_joblog(joblog)
        self.assertEqual(sorted(r['Status'] for r in rows), ['timed-out', 'timed-out'])
        self.assertEqual([r['Exitval'] for r in rows], ['-1', '-1'])
        self.assertIn('timeout', err)

    def test_timeout_then_retry(self):
        # The first attempt hangs (and is killed), the second succeeds.
        script = 'if [ -e "$1" ]; then echo second; else touch "$1"; exec sleep 60; fi'
        status, out, err = run('run', '--timeout', '1', '--retries', '1', '--',
                               'sh', '-c', script, 'sh', ':::', self.path('seen'))
        self.assertEqual(status, 0, err)
        self.assertEqual(out, 'second\n')

    def test_total_timeout(self):
        status, out, err = run('run', '--json', '-j1', '--total-timeout', '1', '--',
                               'sh', '-c', 'echo $$ > "$1.pid"; exec sleep 60', 'sh', ':::',
                               self.path('a'), self.path('b'))
        self.assertEqual(status, 1)
        report = json.loads(out)
        self.assertEqual(report['status'], 'timed-out')
        self.assertTrue(report['timed_out'])
        self.assertEqual(report['total'], 2)
        self.assertEqual(report['succeeded'], 0)
        for pid in read_pids(self.dir):
            self.assertTrue(gone(pid))

        status, out, err = run('run', '-j1', '--total-timeout', '1', 'sleep', ':::', '60')
        self.assertEqual(status, 1)
        self.assertIn('Run Summary: TIMED OUT', err)

    def test_fail_fast(self):
        # One at a time, in order: 1 succeeds, 2 fails, the rest never start.
        script = 'touch "$0.$1"; exit $(( $1 == 2 ))'
        base = self.path('ran')
        status, out, err = run('run', '-j1', '--fail-fast', '--json', '--',
                               'sh', '-c', script, base, ':::', '1', '2', '3', '4', '5')
        self.assertEqual(status, 1)
        report = json.loads(out)
        self.assertEqual((report['succeeded'], report['failed'], report['cancelled']), (1, 1, 3))
        self.assertEqual([t['status'] for t in report['tasks']],
                         ['succeeded', 'failed', 'cancelled', 'cancelled', 'cancelled'])
        self.assertEqual(sorted(os.listdir(self.dir)), ['ran.1', 'ran.2'])

        # Without it, every task runs.
        status, out, err = run('run', '-j1', '--json', '--',
                               'sh', '-c', script, base, ':::', '1', '2', '3', '4', '5')
        self.assertEqual(status, 1)
        self.assertEqual(json.loads(out)['succeeded'], 4)

    def test_jobs_limit(self):
        # Tasks 1 and 2 hold their slots until the test has seen both
        # start; with -j2, 3 and 4 can only start after they end. (With
        # more slots they would start at once, long before that.)
        joblog = self.path('joblog')
        script = 'touch "$0/start.$1"; while [ ! -e "$0/go" ]; do sleep 0.02; done'
        proc = subprocess.Popen([OSIISO, 'run', '-q', '-j2', '--joblog', joblog, '--',
                                 'sh', '-c', script, self.dir, ':::', '1', '2', '3', '4'],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env())
        try:
            wait_for(lambda: os.path.exists(self.path('start.1')) and os.path.exists(self.path('start.2')),
                     'two tasks to start')
            open(self.path('go'), 'w').close()
            out, err = proc.communicate(timeout=GUARD)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, 0, err)
        _, rows = read_joblog(joblog)
        spans = [(float(r['Starttime']), float(r['Starttime']) + float(r['JobRuntime'])) for r in rows]
        self.assertEqual(len(spans), 4)
        for start, _ in spans:
            running = [s for s in spans if s[0] <= start + 0.001 and start < s[1] - 0.005]
            self.assertLessEqual(len(running), 2, spans)

    def test_rate_limit(self):
        joblog = self.path('joblog')
        status, out, err = run('run', '-j4', '--rate', '5', '--burst', '1', '--joblog', joblog,
                               'true', ':::', '1', '2', '3', '4', '5')
        self.assertEqual(status, 0, err)
        _, rows = read_joblog(joblog)
        starts = sorted(float(r['Starttime']) for r in rows)
        self.assertEqual(len(starts), 5)
        # One start per 0.2 s after the first: at least 0.8 s in all.
        self.assertGreaterEqual(starts[-1] - starts[0], 0.7)

    def test_priority_from(self):
        lines = '5 e\n1 a\n  3 c\n-2 minus\n2\tb\n4 d\n'
        status, out, err = run('run', '-j1', '--priority-from', '1', 'echo', stdin=lines)
        self.assertEqual(status, 0, err)
        self.assertEqual(out.splitlines(),
                         ['-2 minus', '1 a', '2\tb', '  3 c', '4 d', '5 e'])
        # Field 2 of "x 7": fields are blank-separated.
        status, out, err = run('run', '-j1', '--priority-from', '2', 'echo', stdin='x 7\ny 1\n')
        self.assertEqual(out, 'y 1\nx 7\n')

    # ------------------------------------------------------------------
    # Output order
    # ------------------------------------------------------------------

    def _ordered_run(self, keep_order):
        """Task a cannot end before the test sees task b end; returns the
        output. b's end is seen in the job log (written as tasks end)."""
        joblog = self.path('joblog')
        script = 'if [ "$1" = a ]; then while [ ! -e "$0" ]; do sleep 0.02; done; fi; echo "$1"'
        args = [OSIISO, 'run', '-q', '-j2', '--joblog', joblog]
        if keep_order:
            args.append('--keep-order')
        args += ['--', 'sh', '-c', script, self.path('go'), ':::', 'a', 'b']
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env())
        try:
            def b_done():
                try:
                    return len(read_joblog(joblog)[1]) >= 1
                except (FileNotFoundError, IndexError):
                    return False
            wait_for(b_done, 'task b to end')
            open(self.path('go'), 'w').close()
            out, err = proc.communicate(timeout=GUARD)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, 0, err)
        return out.decode()

    def test_completion_order(self):
        self.assertEqual(self._ordered_run(False), 'b\na\n')

    def test_keep_order(self):
        self.assertEqual(self._ordered_run(True), 'a\nb\n')

    def test_outputs_never_interleave(self):
        script = 'i=0; while [ $i -lt 300 ]; do echo "$1 $i"; echo "$1 err $i" >&2; i=$((i+1)); done'
        status, out, err = run('run', '-j3', '--', 'sh', '-c', script, 'sh', ':::', 'a', 'b', 'c')
        self.assertEqual(status, 0, err)
        lines = out.splitlines()
        self.assertEqual(len(lines), 900)
        for block in range(3):
            chunk = lines[block * 300:(block + 1) * 300]
            task = chunk[0].split()[0]
            self.assertEqual(chunk, ['%s %d' % (task, i) for i in range(300)])
        err_lines = [l for l in err.splitlines() if ' err ' in l]
        for block in range(3):
            chunk = err_lines[block * 300:(block + 1) * 300]
            task = chunk[0].split()[0]
            self.assertEqual(chunk, ['%s err %d' % (task, i) for i in range(300)])

    # ------------------------------------------------------------------
    # Job log and JSON
    # ------------------------------------------------------------------

    def test_joblog(self):
        joblog = self.path('log.tsv')
        status, out, err = run('run', '-j2', '--joblog', joblog, '--',
                               'sh', '-c', 'case $1 in k) kill -9 $$;; esac; exit $1', 'sh',
                               ':::', '0', '1', '0', '7', 'k', 'tab\there')
        self.assertEqual(status, 1)
        header, rows = read_joblog(joblog)
        self.assertEqual(header, JOBLOG_HEADER)
        self.assertEqual(len(rows), 6)
        by_seq = {int(r['Seq']): r for r in rows}
        self.assertEqual(sorted(by_seq), [1, 2, 3, 4, 5, 6])
        self.assertEqual([(by_seq[i]['Exitval'], by_seq[i]['Signal'], by_seq[i]['Status'])
                          for i in range(1, 7)],
                         [('0', '0', 'succeeded'), ('1', '0', 'failed'), ('0', '0', 'succeeded'),
                          ('7', '0', 'failed'), ('-1', '9', 'failed'), ('2', '0', 'failed')])
        now = time.time()
        for r in rows:
            self.assertEqual(r['Attempts'], '1')
            self.assertLess(abs(float(r['Starttime']) - now), 600)
            self.assertGreaterEqual(float(r['JobRuntime']), 0)
        self.assertEqual(by_seq[4]['Command'],
                         "sh -c 'case $1 in k) kill -9 $$;; esac; exit $1' sh 7")
        self.assertTrue(by_seq[6]['Command'].endswith("'tab\\there'"))

    def test_json(self):
        SCRIPT = 'printf "%s" "$1"; echo oops >&2; case "$1" in "") exit 0;; xy) exit 2;; *) exit 4;; esac'
        status, out, err = run('run', '-j2', '--json', '--',
                               'sh', '-c', SCRIPT, 'sh', ':::', '', 'é"\\', 'xy')
        self.assertEqual(status, 1)
        report = json.loads(out)   # all of stdout is the report
        self.assertEqual(report['status'], 'failed')
        self.assertEqual(report['exit_status'], 1)
        self.assertEqual((report['total'], report['succeeded'], report['failed'], report['cancelled']),
                         (3, 1, 2, 0))
        self.assertFalse(report['timed_out'])
        self.assertIsNone(report['interrupted_by'])
        tasks = report['tasks']
        self.assertEqual([t['seq'] for t in tasks], [1, 2, 3])
        self.assertEqual([t['input'] for t in tasks], ['', 'é"\\', 'xy'])
        self.assertEqual([t['stdout'] for t in tasks], ['', 'é"\\', 'xy'])
        self.assertEqual([t['stderr'] for t in tasks], ['oops\n'] * 3)
        self.assertEqual([t['exit_status'] for t in tasks], [0, 4, 2])
        self.assertEqual([t['status'] for t in tasks], ['succeeded', 'failed', 'failed'])
        self.assertEqual(tasks[2]['command'], ['sh', '-c', SCRIPT, 'sh', 'xy'])
        self.assertIn('exit status 2', tasks[2]['message'])
        # Standard error still goes to standard error; no text summary.
        self.assertEqual(err.count('oops'), 3)
        self.assertNotIn('Run Summary', err)

        status, out, err = run('run', '--json', 'true', ':::', 'a')
        self.assertEqual(status, 0)
        report = json.loads(out)
        self.assertEqual((report['status'], report['total'], report['succeeded']), ('passed', 1, 1))

    # ------------------------------------------------------------------
    # The terminal
    # ------------------------------------------------------------------

    def test_progress_line_on_a_terminal(self):
        cols = 50
        script = 'echo "out $1"; echo "err $1" >&2; if [ "$1" = 3 ]; then while [ ! -e "$0" ]; do sleep 0.02; done; fi'
        term = Pty(['run', '-j2', '-k', '--', 'sh', '-c', script, self.path('go'),
                    ':::', '1', '2', '3', '4'], cols=cols)
        # Task 3 holds a slot until the test has seen the progress line say
        # that three tasks are done (1, 2 and 4).
        term.read_until(lambda d: re.search(rb'3/4 done', d) is not None, 'the progress line')
        open(self.path('go'), 'w').close()
        self.assertEqual(term.finish(), 0)

        data = term.data
        drawn = [m.group(1) for m in PROGRESS.finditer(data) if m.group(1)]
        self.assertTrue(drawn)
        for text in drawn:
            self.assertRegex(text, rb'^\d+/4 done')
            self.assertLess(len(text.decode()), cols)   # never wraps
            running = re.search(rb'(\d+) running', text)
            if running:
                self.assertLessEqual(int(running.group(1)), 2)
        # Without the progress line, the terminal shows exactly the
        # outputs, whole and in order, then the summary.
        rest = PROGRESS.sub(b'', data).replace(b'\r\n', b'\n').decode()
        body, summary = rest.split('-' * 40 + '\n', 1)
        self.assertEqual(body, ''.join('out %d\nerr %d\n' % (i, i) for i in range(1, 5)))
        self.assertIn('Run Summary: PASSED', summary)
        self.assertNotIn('\r', rest)

    def test_no_progress_line_off_a_terminal(self):
        status, out, err = run('run', 'true', ':::', '1', '2')
        self.assertEqual(status, 0)
        self.assertNotIn('\r', err)
        self.assertNotIn('\x1b', err)
        self.assertNotIn('done', err)

    def test_quiet_on_a_terminal(self):
        term = Pty(['run', '-q', 'echo', ':::', 'x'])
        self.assertEqual(term.finish(), 0)
        self.assertEqual(term.data, b'x\r\n')

    def _start_sleepers(self, n, extra=()):
        script = 'echo $$ > "$0/$1.pid"; exec sleep 60'
        return ['run', '-j2', *extra, '--', 'sh', '-c', script, self.dir, ':::',
                *[str(i) for i in range(1, n + 1)]]

    def test_ctrl_c_on_a_terminal(self):
        term = Pty(self._start_sleepers(4))
        wait_for(lambda: len(read_pids(self.dir)) == 2, 'two tasks to start')
        term.read_until(lambda d: b'running' in d, 'the progress line')
        os.write(term.fd, b'\x03')   # Ctrl-C: SIGINT to the foreground group
        self.assertEqual(term.finish(), 130)
        text = term.data.decode()
        self.assertIn('interrupted by SIGINT', text)
        self.assertIn('Run Summary: COMPLETED WITH ERRORS', text)
        self.assertRegex(text, r'Cancelled   : 4\r\n')
        for pid in read_pids(self.dir):
            self.assertTrue(gone(pid), 'process %d outlived osiiso' % pid)

    def test_sigint_and_joblog(self):
        joblog = self.path('joblog')
        proc = subprocess.Popen([OSIISO, *self._start_sleepers(3, ('--joblog', joblog))],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env())
        try:
            wait_for(lambda: len(read_pids(self.dir)) == 2, 'two tasks to start')
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=GUARD)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, 130)
        self.assertIn(b'interrupted by SIGINT', err)
        self.assertRegex(err, rb'Cancelled   : 3\n')
        _, rows = read_joblog(joblog)
        self.assertEqual(sorted(r['Status'] for r in rows), ['cancelled'] * 3)
        for pid in read_pids(self.dir):
            self.assertTrue(gone(pid))

    def test_closed_output(self):
        # `osiiso run … | head -1`: the run stops instead of running on.
        proc = subprocess.Popen([OSIISO, 'run', '-j1', '-q', '--', 'sh', '-c',
                                 'echo "$1"; touch "$0.$1"', self.path('ran'), ':::',
                                 *[str(i) for i in range(500)]],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env())
        try:
            self.assertEqual(proc.stdout.readline(), b'0\n')
            proc.stdout.close()
            proc.wait(timeout=GUARD)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, 1)
        self.assertLess(len(os.listdir(self.dir)), 500)

    # ------------------------------------------------------------------
    # Resuming (--resume)
    # ------------------------------------------------------------------

    def test_resume_after_sigkill(self):
        # 40 inputs, two at a time; each appends its input to the log.
        # Inputs past 12 wait for the file "go", which the first run never
        # sees: it is killed (SIGKILL, no chance to clean up) while 13 and
        # 14 wait, once at least 10 successes are recorded.
        db, log, gate = self.path('done.db'), self.path('log'), self.path('go')
        script = ('echo "$1" >> "$0/log"; '
                  'if [ "$1" -gt 12 ]; then echo $$ > "$0/$1.pid"; '
                  'while [ ! -e "$0/go" ]; do sleep 0.02; done; fi')
        inputs = [str(i) for i in range(1, 41)]
        args = [OSIISO, 'run', '-j2', '--json', '--resume', db, '--',
                'sh', '-c', script, self.dir, ':::', *inputs]
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=env())
        try:
            wait_for(lambda: len(read_lines(log)) >= 14 and len(read_pids(self.dir)) == 2,
                     'inputs 13 and 14 to wait')
            wait_for(lambda: len(recorded_inputs(db)) >= 10, '10 recorded successes')
        finally:
            proc.kill()
            proc.wait()
        self.assertEqual(proc.returncode, -signal.SIGKILL)
        # The killed runner's commands live on in their own process groups:
        # let them end, and be sure they are gone before the next run.
        open(gate, 'w').close()
        pids = read_pids(self.dir)
        self.assertEqual(len(pids), 2)
        for pid in pids:
            wait_for(lambda: gone(pid), 'process %d to exit' % pid)

        recorded = set(recorded_inputs(db))
        first = read_lines(log)
        self.assertGreaterEqual(len(recorded), 10)
        self.assertLessEqual(recorded, {str(i) for i in range(1, 13)})
        self.assertEqual(sorted(first, key=int), [str(i) for i in range(1, 15)])

        # The second run: only what the checkpoint does not record runs.
        status, out, err = run(*args[1:])
        self.assertEqual(status, 0, err)
        second = read_lines(log)[len(first):]
        missing = [i for i in inputs if i not in recorded]
        self.assertEqual(sorted(second, key=int), missing)   # each once
        self.assertFalse(recorded & set(second), 'a recorded input ran again')
        self.assertEqual(set(first) | set(second), set(inputs))
        report = json.loads(out)
        self.assertEqual(report['status'], 'passed')
        self.assertEqual((report['total'], report['succeeded'], report['failed'],
                          report['cancelled'], report['skipped']),
                         (len(missing), len(missing), 0, 0, len(recorded)))
        # Skipped inputs are not reported; sequence numbers count every input.
        self.assertEqual([t['seq'] for t in report['tasks']], [int(i) for i in missing])
        self.assertEqual([t['input'] for t in report['tasks']], missing)
        self.assertEqual(sorted(recorded_inputs(db), key=int), inputs)

        # A third run has nothing left to do.
        status, out, err = run(*args[1:])
        self.assertEqual(status, 0, err)
        report = json.loads(out)
        self.assertEqual((report['total'], report['skipped'], report['tasks']), (0, 40, []))
        self.assertEqual(len(read_lines(log)), len(first) + len(second))

    def test_resume_failures_run_again(self):
        db, log, joblog = self.path('done.db'), self.path('log'), self.path('joblog')
        script = 'echo "$1" >> "$0/log"; echo "out $1"; [ ! -e "$0/fail-$1" ]'
        command = ['--', 'sh', '-c', script, self.dir]
        open(self.path('fail-b'), 'w').close()

        status, out, err = run('run', '-k', '--resume', db, *command, ':::', 'a', 'b', 'c')
        self.assertEqual(status, 1)
        self.assertEqual(out, 'out a\nout b\nout c\n')
        self.assertIn('--resume: 0 of 3 inputs skipped', err)
        self.assertEqual(sorted(recorded_inputs(db)), ['a', 'c'])   # not the failure

        # b runs again (and now succeeds); a and c are skipped, print
        # nothing, are not logged, and -k does not wait for them.
        os.unlink(self.path('fail-b'))
        status, out, err = run('run', '-k', '--resume', db, '--joblog', joblog, *command,
                               ':::', 'a', 'b', 'c', 'd')
        self.assertEqual(status, 0, err)
        self.assertEqual(out, 'out b\nout d\n')
        self.assertIn('--resume: 2 of 4 inputs skipped (succeeded in an earlier run)\n', err)
        self.assertIn('Run Summary: PASSED', err)
        self.assertRegex(err, r'Total tasks : 2\n')
        lines = read_lines(log)
        self.assertEqual((sorted(lines[:3]), sorted(lines[3:])), (['a', 'b', 'c'], ['b', 'd']))
        _, rows = read_joblog(joblog)
        self.assertEqual(sorted((r['Seq'], r['Status']) for r in rows),
                         [('2', 'succeeded'), ('4', 'succeeded')])

        # Duplicated inputs are one key; --quiet still records.
        status, out, err = run('run', '-q', '--resume', db, *command, ':::', 'a', 'e', 'e')
        self.assertEqual((status, err), (0, ''))
        self.assertEqual(read_lines(log)[5:], ['e', 'e'])
        self.assertEqual(sorted(recorded_inputs(db)), ['a', 'b', 'c', 'd', 'e'])

        # Another command (another argument) is another namespace: it
        # starts from nothing.
        status, out, err = run('run', '--resume', db, '--', 'sh', '-c', script + ' ', self.dir,
                               ':::', 'a')
        self.assertEqual(status, 0, err)
        self.assertIn('--resume: 0 of 1 input skipped', err)
        self.assertEqual(read_lines(log)[-1], 'a')

    def test_resume_records_only_printed_outputs(self):
        # `… | head -1`: a success whose output cannot be written is not
        # recorded as done, so it runs again next time. Input 1 ends only
        # once the file "go" exists, which is after the pipe is closed.
        db = self.path('done.db')
        script = 'echo "$1"; if [ "$1" = 1 ]; then while [ ! -e "$0" ]; do sleep 0.02; done; fi'
        args = [OSIISO, 'run', '-j1', '-q', '--resume', db, '--', 'sh', '-c', script,
                self.path('go'), ':::', *[str(i) for i in range(10)]]
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=env())
        try:
            self.assertEqual(proc.stdout.readline(), b'0\n')
            proc.stdout.close()
            open(self.path('go'), 'w').close()
            proc.wait(timeout=GUARD)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, 1)
        # 0 was read; 1 succeeded, but its output met a closed pipe; the
        # rest was cancelled.
        self.assertEqual(recorded_inputs(db), ['0'])

    def test_resume_keep_order_records_when_printed(self):
        # With -k, b's output waits for a's, and so does b's record: a
        # runner killed while a runs has recorded neither.
        db, joblog, gate = self.path('done.db'), self.path('joblog'), self.path('go')
        script = ('if [ "$1" = a ]; then echo $$ > "$0.pid"; '
                  'while [ ! -e "$0" ]; do sleep 0.02; done; fi; echo "$1"')
        args = [OSIISO, 'run', '-j2', '-k', '--joblog', joblog, '--resume', db, '--',
                'sh', '-c', script, gate, ':::', 'a', 'b']
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=env())
        try:
            def b_done():
                try:
                    return len(read_joblog(joblog)[1]) >= 1
                except (FileNotFoundError, IndexError):
                    return False
            wait_for(b_done, 'task b to end')
        finally:
            proc.kill()
            proc.wait()
        open(gate, 'w').close()
        for pid in read_pids(self.dir):
            wait_for(lambda: gone(pid), 'process %d to exit' % pid)
        self.assertEqual(recorded_inputs(db), [])

        status, out, err = run(*args[1:])
        self.assertEqual((status, out), (0, 'a\nb\n'), err)
        self.assertEqual(sorted(recorded_inputs(db)), ['a', 'b'])

    def test_resume_not_a_database(self):
        path = self.path('notes.txt')
        with open(path, 'w') as f:
            f.write('not a database\n' * 100)
        status, out, err = run('run', '--resume', path, 'touch', ':::', self.path('ran'))
        self.assertEqual((status, out), (2, ''))
        self.assertIn('not a database', err)
        self.assertEqual(os.listdir(self.dir), ['notes.txt'])
        with open(path) as f:
            self.assertEqual(f.read(), 'not a database\n' * 100)

    @unittest.skipIf(EXAMPLE is None, 'OSIISO_TEST_CLI_EXAMPLE is not set')
    def test_readme_example(self):
        # build-aux/demo.sh runs it: 20 jobs, a flaky one and a stuck one
        # retried, all succeed.
        proc = subprocess.run([EXAMPLE, OSIISO], stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=120, env=env())
        self.assertEqual(proc.returncode, 0, proc.stderr)
        done = [l for l in proc.stdout.splitlines() if ': done in ' in l]
        self.assertEqual(len(done), 20)
        self.assertIn('Run Summary: PASSED', proc.stderr)
        log = proc.stdout.split('Job log (--joblog):\n', 1)[1]
        rows = list(csv.DictReader(log.splitlines(), delimiter='\t', quoting=csv.QUOTE_NONE))
        self.assertEqual(len(rows), 20)
        retried = sorted(r['Command'].split()[-2] for r in rows if r['Attempts'] == '2')
        self.assertEqual(retried, ['flaky-upload-a', 'flaky-upload-b', 'stuck-mirror'])

    # ------------------------------------------------------------------
    # Usage
    # ------------------------------------------------------------------

    def test_usage_errors(self):
        cases = [
            (['run', '--bogus', 'true'], 'Unknown option'),
            (['run'], 'no command given'),
            (['run', '--', ':::', 'a'], 'no command given'),
            ([], 'no command given'),
            (['frobnicate'], 'unknown command'),
            (['run', '--input', self.path('missing'), 'true'], 'missing'),
            (['run', '--input', '-', 'true', ':::', 'a'], 'cannot be combined'),
            (['run', '-j', 'many', 'true'], 'many'),
            (['run', '-j', '-1', 'true'], '--jobs'),
            (['run', '--retries', '-1', 'true'], '--retries'),
            (['run', '--timeout', '0', 'true'], '--timeout'),
            (['run', '--total-timeout', '-3', 'true'], '--total-timeout'),
            (['run', '--backoff', '0', 'true'], '--backoff'),
            (['run', '--retry-delay', '-1', 'true'], '--retry-delay'),
            (['run', '--rate', '0', 'true'], '--rate'),
            (['run', '--burst', '2', 'true'], '--rate'),
            (['run', '--rate', '1', '--burst', '0', 'true'], '--burst'),
            (['run', '--priority-from', '0', 'true'], '--priority-from'),
            (['run', '--priority-from', '2', 'true', ':::', 'x 1', 'y'], 'no field 2'),
            (['run', '--priority-from', '1', 'true', ':::', 'high'], 'not an integer'),
            (['run', '--joblog', self.path('no/such/dir/log'), 'true', ':::', 'a'], 'job log'),
            (['run', '--resume', self.path('no/such/dir/db'), 'true', ':::', 'a'], 'checkpoint'),
            (['run', '--resume', self.dir, 'true', ':::', 'a'], 'checkpoint'),
            (['run', '--resume', '', 'true', ':::', 'a'], 'checkpoint'),
            (['run', '--resume'], 'Missing argument'),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                status, out, err = run(*args)
                self.assertEqual(status, 2, err)
                self.assertIn(message, err)
                self.assertEqual(out, '')
        # Nothing ran.
        self.assertEqual(os.listdir(self.dir), [])

    def test_help_and_version(self):
        for args in (['--help'], ['run', '--help']):
            with self.subTest(args=args):
                status, out, err = run(*args)
                self.assertEqual(status, 0)
                self.assertIn('Usage:', out)
                self.assertIn('osiiso run', out)
        status, out, err = run('run', '--help')
        for option in ('--jobs', '--retries', '--retry-delay', '--backoff', '--timeout',
                       '--total-timeout', '--rate', '--burst', '--fail-fast', '--priority-from',
                       '--keep-order', '--joblog', '--resume', '--json', '--quiet', '--input'):
            self.assertIn(option, out)
        for args in (['--version'], ['run', '--version']):
            status, out, err = run(*args)
            self.assertEqual(status, 0)
            self.assertRegex(out, r'^osiiso \(osiiso-glib\) \d+\.\d+\.\d+\n$')


if __name__ == '__main__':
    unittest.main(verbosity=2)

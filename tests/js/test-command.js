// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Command tasks on OsiisoProcessQueue through GJS (raw introspection). Run
// as `gjs -m test-command.js`; it prints TAP and exits non-zero if any test
// failed.
//
// One-shot command lines are submitted with q.submit_command(argv,
// GLib.Bytes or null, cwd or null, envp or null, options) on a process
// queue whose worker command line never runs (Osiiso.ProcessQueue.new(
// ['false'], 2): commands need no worker). A task's value is an
// Osiiso.CommandResult (exit status or signal, stdout/stderr as
// GLib.Bytes, truncation flags, duration); a failed command's result still
// carries it.
//
// Assertions happen only in test bodies, never inside signal handlers or
// main-loop sources (a throw there would only be logged; see
// reference/toolchain.md, pitfall 3): handlers record, tests assert.
// Waits are a blocking run, or bounded polls from a GLib.timeout_add
// source every 10 ms up to a deadline: a pid file a command writes, or a
// process that must go away (GLib.file_test(`/proc/${pid}`): an orphaned
// grandchild is reaped by init). The main loop runs while we wait, so the
// queue's SIGKILL after its kill grace can fire.
//
// gjs, like any C program, does not ignore SIGPIPE: a command that exits
// without reading its input, or a big input through a filter, are tried
// from a child gjs host, so a regression (SIGPIPE, a hang) fails one test
// instead of the whole run; commands given input here read all of it.
//
// Library bugs found while writing these tests keep their tests (the
// fixedBugs list), which failed before the fixes.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Osiiso from 'gi://Osiiso?version=1.0';
import System from 'system';
import {test, assert, assertEqual, assertIncludes, assertOsiisoError, done} from './harness.js';

Gio._promisify(Osiiso.Queue.prototype, 'run_async', 'run_finish');
Gio._promisify(Gio.Subprocess.prototype, 'communicate_utf8_async', 'communicate_utf8_finish');

// Upper bound for anything that should take well under a second: the test
// machine has 2 shared cores, so margins are wide.
const GUARD = 20;

const MY_PID = new Gio.Credentials().get_unix_pid();
const S = Osiiso.TaskStatus;
const SIGKILL = 9, SIGPIPE = 13, SIGTERM = 15;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// ---------------------------------------------------------------------------
// Processes and files
// ---------------------------------------------------------------------------

// True while /proc/@pid exists (a zombie still does).
function processExists(pid) {
    return GLib.file_test(`/proc/${pid}`, GLib.FileTest.EXISTS);
}

// [state letter, parent pid] of @pid, or null if it does not exist.
function procStat(pid) {
    let contents;
    try {
        [, contents] = GLib.file_get_contents(`/proc/${pid}/stat`);
    } catch (e) {
        return null;
    }
    const stat = decoder.decode(contents);
    // The command name is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [fields[0], parseInt(fields[1])];
}

// Map of pid → state of the processes whose parent is this one.
function children() {
    const found = new Map();
    const dir = Gio.File.new_for_path('/proc');
    const entries = dir.enumerate_children('standard::name', Gio.FileQueryInfoFlags.NONE, null);
    for (let info = entries.next_file(null); info !== null; info = entries.next_file(null)) {
        const name = info.get_name();
        if (!/^\d+$/.test(name))
            continue;
        const stat = procStat(name);
        if (stat !== null && stat[1] === MY_PID)
            found.set(parseInt(name), stat[0]);
    }
    entries.close(null);
    return found;
}

function zombieChildren() {
    return [...children()].filter(([, state]) => state === 'Z').map(([pid]) => pid);
}

function countFds() {
    const entries = Gio.File.new_for_path('/proc/self/fd')
        .enumerate_children('standard::name', Gio.FileQueryInfoFlags.NONE, null);
    let n = 0;
    while (entries.next_file(null) !== null)
        n++;
    entries.close(null);
    return n;
}

// Runs the main loop until @predicate() holds, looking every 10 ms (for
// conditions the OS gives no event for); false at the deadline.
function waitUntil(predicate, guard = GUARD) {
    if (predicate())
        return Promise.resolve(true);
    return new Promise(resolve => {
        const deadline = GLib.get_monotonic_time() + guard * 1000000;
        GLib.timeout_add(GLib.PRIORITY_DEFAULT, 10, () => {
            let done;
            try {
                done = predicate();
            } catch (e) {
                done = false;
            }
            if (done) {
                resolve(true);
                return GLib.SOURCE_REMOVE;
            }
            if (GLib.get_monotonic_time() > deadline) {
                resolve(false);
                return GLib.SOURCE_REMOVE;
            }
            return GLib.SOURCE_CONTINUE;
        });
    });
}

function waitPidGone(pid, guard = GUARD) {
    return waitUntil(() => !processExists(pid), guard);
}

function fileExists(path) {
    return GLib.file_test(path, GLib.FileTest.EXISTS);
}

function readFile(path) {
    const [, contents] = GLib.file_get_contents(path);
    return decoder.decode(contents);
}

function readPids(path) {
    return readFile(path).trim().split(/\s+/).map(w => parseInt(w));
}

function makeTmpDir() {
    return GLib.dir_make_tmp('osiiso-cmd-js-XXXXXX');
}

function removeTree(path) {
    GLib.spawn_command_line_sync(`rm -rf ${GLib.shell_quote(path)}`);
}

// A shell line writing '$$ $!' to @path atomically after @body.
function pidFileScript(path, body) {
    return `${body} echo $$ $! > ${path}.tmp && mv ${path}.tmp ${path}; wait`;
}

// ---------------------------------------------------------------------------
// The child mode: a host that gets killed or hangs must not take the TAP
// run with it
// ---------------------------------------------------------------------------

const childScenario = GLib.getenv('OSIISO_JS_TEST_CHILD');
if (childScenario !== null) {
    const tmp = GLib.getenv('OSIISO_JS_TEST_TMP');
    let h;
    if (childScenario === 'unread-input') {
        const q = Osiiso.ProcessQueue.new(['false'], 1);
        h = q.submit_command(['true'], new GLib.Bytes(new Uint8Array(1 << 20)), null, null, null);
        q.run(null);
        print(h.get_result().get_status() === S.SUCCEEDED ? 'succeeded' : 'failed');
    } else if (childScenario === 'filter') {
        // cat: a megabyte in, the same out; a 2 s timeout as a safety net.
        const q = Osiiso.ProcessQueue.new(['false'], 1);
        h = q.submit_command(['cat'], new GLib.Bytes(new Uint8Array(1 << 20)), null, null,
            new Osiiso.TaskOptions({timeout: 2.0}));
        q.run(null);
        const value = h.get_result().get_value();
        print(`${h.get_result().get_status() === S.SUCCEEDED ? 'succeeded' : 'failed'} ${
            value ? value.get_stdout().get_size() : null}`);
    } else if (childScenario === 'exit-after-timeout') {
        // A command that ignores SIGTERM times out; the host then shuts the
        // queue down and exits, as a command-line tool would.
        let q = new Osiiso.ProcessQueue({worker_argv: ['false'], workers: 1, kill_grace: 0.5});
        const pids = GLib.build_filenamev([tmp, 'pids']);
        h = q.submit_command(['sh', '-c', pidFileScript(pids, "trap '' TERM; sleep 60 &")],
            null, null, null, new Osiiso.TaskOptions({timeout: 1.0}));
        q.run(null);
        print(h.get_result().get_status() === S.FAILED ? 'timed-out' : 'not timed out');
        q.shutdown(true, null);
        q = null;
        h = null;
        System.gc();
    }
    System.exit(0);
}

// Runs this file as a child gjs host in @scenario, killed after @guard
// seconds; returns {signal, status, stdout, stderr, hung}.
async function runChildHost(scenario, tmp, guard = GUARD) {
    const launcher = new Gio.SubprocessLauncher({
        flags: Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_PIPE,
    });
    launcher.setenv('OSIISO_JS_TEST_CHILD', scenario, true);
    launcher.setenv('OSIISO_JS_TEST_TMP', tmp, true);
    const child = launcher.spawnv(['gjs', '-m', GLib.filename_from_uri(import.meta.url)[0]]);
    let hung = false;
    const timer = GLib.timeout_add(GLib.PRIORITY_DEFAULT, guard * 1000, () => {
        hung = true;
        child.force_exit();
        return GLib.SOURCE_REMOVE;
    });
    // gjs drops the boolean return of a throwing finish function:
    // [stdout, stderr] (older gjs: [ok, stdout, stderr]).
    const outputs = await child.communicate_utf8_async(null, null);
    const [stdout, stderr] = outputs.length === 3 ? outputs.slice(1) : outputs;
    if (!hung)
        GLib.source_remove(timer);
    return {
        signal: child.get_if_signaled() ? child.get_term_sig() : 0,
        status: child.get_if_exited() ? child.get_exit_status() : -1,
        stdout, stderr, hung,
    };
}

// ---------------------------------------------------------------------------
// Queues and results
// ---------------------------------------------------------------------------

const liveQueues = [];

function makeQueue(workers = 2) {
    // No worker process is needed for commands: 'false' never runs.
    const q = Osiiso.ProcessQueue.new(['false'], workers);
    liveQueues.push(q);
    return q;
}

function makeQueueWith(props) {
    const q = new Osiiso.ProcessQueue({worker_argv: ['false'], ...props});
    liveQueues.push(q);
    return q;
}

function shutdownAll() {
    for (const q of liveQueues.splice(0))
        q.shutdown(true, null);
}

function toBytes(input) {
    if (input === null || input instanceof GLib.Bytes)
        return input;
    return new GLib.Bytes(typeof input === 'string' ? encoder.encode(input) : input);
}

function command(q, argv, {input = null, cwd = null, envp = null, options = null} = {}) {
    return q.submit_command(argv, toBytes(input), cwd, envp,
        options === null ? null : new Osiiso.TaskOptions(options));
}

function sh(q, script, opts = {}) {
    return command(q, ['sh', '-c', script], opts);
}

// The contents of a GLib.Bytes as text.
function text(bytes) {
    assert(bytes instanceof GLib.Bytes, `not a GLib.Bytes: ${bytes}`);
    return decoder.decode(bytes.toArray());
}

// The CommandResult of a finished task, failed or not.
function commandResult(handle) {
    const result = handle.get_result();
    assert(result !== null, 'the task has no result');
    const value = result.get_value();
    assert(value instanceof Osiiso.CommandResult,
        `the value is not a CommandResult: ${value} (error: ${result.get_error()?.message})`);
    return value;
}

function succeeded(handle) {
    const result = handle.get_result();
    assert(result !== null, 'the task has no result');
    assertEqual(result.get_status(), S.SUCCEEDED,
        `status (error: ${result.get_error()?.message ?? 'none'})`);
    return commandResult(handle);
}

function errorOf(handle, status = S.FAILED) {
    const result = handle.get_result();
    assert(result !== null, 'the task has no result');
    assertEqual(result.get_status(), status, 'status');
    const error = result.get_error();
    assert(error instanceof GLib.Error, `the error is not a GLib.Error: ${error}`);
    return error;
}

function isCancelled(error) {
    return error !== null && error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
}

async function waitForPidFile(path) {
    assert(await waitUntil(() => fileExists(path)), `${path} was never written`);
    return readPids(path);
}

function seqText(first, last) {
    const lines = [];
    for (let i = first; i <= last; i++)
        lines.push(`${i}\n`);
    return lines.join('');
}

// ---------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------

const tests = [
    // -- exit codes ---------------------------------------------------------

    ['exit 0 captures stdout and stderr', () => {
        const q = makeQueue();
        const h = sh(q, 'echo out; echo err >&2; printf "no newline"');
        const summary = q.run(null);
        assertEqual(summary.get_succeeded(), 1, 'succeeded');
        assertEqual(summary.get_ok(), true, 'ok');

        const r = succeeded(h);
        assertEqual(r.get_success(), true, 'success');
        assertEqual(r.get_exit_status(), 0, 'exit status');
        assertEqual(r.get_term_signal(), 0, 'term signal');
        assertEqual(text(r.get_stdout()), 'out\nno newline', 'stdout');
        assertEqual(text(r.get_stderr()), 'err\n', 'stderr');
        assertEqual(r.get_stdout().get_size(), 14, 'stdout size');
        assertEqual(r.get_stdout_truncated(), false, 'stdout truncated');
        assertEqual(r.get_stderr_truncated(), false, 'stderr truncated');
        assert(r.get_duration() > 0 && r.get_duration() < GUARD, `duration ${r.get_duration()}`);
        assertEqual(h.get_result().get_error(), null, 'error');
        // The handle gives the same value.
        const [ok, value] = h.get_value();
        assertEqual(ok, true, 'get_value()');
        assert(value instanceof Osiiso.CommandResult, 'the handle value is a CommandResult');
        assertEqual(text(value.get_stdout()), 'out\nno newline', 'handle stdout');
        assertEqual(h.get_attempts(), 1, 'attempts');
    }],

    ['no output is empty bytes', () => {
        const q = makeQueue();
        const h = command(q, ['true']);
        q.run(null);
        const r = succeeded(h);
        assertEqual(r.get_stdout().get_size(), 0, 'stdout size');
        assertEqual(r.get_stderr().get_size(), 0, 'stderr size');
        assertEqual(text(r.get_stdout()), '', 'stdout');
    }],

    ['a non-zero exit fails with COMMAND, status and stderr; the result stays', () => {
        const q = makeQueue();
        const h = sh(q, "echo partial output; echo 'bad thing happened' >&2; exit 3");
        const silent = sh(q, 'exit 5');
        const after = sh(q, 'echo after');
        const summary = q.run(null);
        assertEqual(summary.get_failed(), 2, 'failed');
        assertEqual(summary.get_succeeded(), 1, 'succeeded');

        let error = errorOf(h);
        assertOsiisoError(error, Osiiso.Error.COMMAND);
        assertEqual(GLib.quark_to_string(error.domain), 'osiiso-error-quark', 'domain');
        assertIncludes(error.message, 'sh', 'message');
        assertIncludes(error.message, 'exit status 3', 'message');
        assertIncludes(error.message, 'bad thing happened', 'message');
        const r = commandResult(h);
        assertEqual(r.get_success(), false, 'success');
        assertEqual(r.get_exit_status(), 3, 'exit status');
        assertEqual(r.get_term_signal(), 0, 'term signal');
        assertEqual(text(r.get_stdout()), 'partial output\n', 'stdout');
        assertEqual(text(r.get_stderr()), 'bad thing happened\n', 'stderr');
        // The handle throws the error.
        let thrown = null;
        try {
            h.get_value();
        } catch (e) {
            thrown = e;
        }
        assertOsiisoError(thrown, Osiiso.Error.COMMAND, 'get_value()');

        error = errorOf(silent);
        assertOsiisoError(error, Osiiso.Error.COMMAND);
        assertIncludes(error.message, 'exit status 5', 'message');
        assertEqual(commandResult(silent).get_exit_status(), 5, 'exit status');
        assertEqual(text(succeeded(after).get_stdout()), 'after\n', 'the next task');
    }],

    ['the error message has the end of a long stderr', () => {
        const q = makeQueue();
        const h = sh(q, 'echo FIRST-LINE >&2; i=0; while [ $i -lt 400 ]; do ' +
            'echo "noise noise noise noise noise noise $i" >&2; i=$((i+1)); done; ' +
            'echo "the real reason" >&2; exit 1');
        q.run(null);
        const error = errorOf(h);
        assertOsiisoError(error, Osiiso.Error.COMMAND);
        assertIncludes(error.message, 'exit status 1', 'message');
        assertIncludes(error.message, 'the real reason', 'message');
        assert(!error.message.includes('FIRST-LINE'), `the whole stderr in the message: ${error.message}`);
        assert(error.message.length < 1000, `message length ${error.message.length}`);
        assert(text(commandResult(h).get_stderr()).startsWith('FIRST-LINE\n'), 'stderr');
    }],

    ['signals set term_signal', () => {
        const q = makeQueue();
        const term = sh(q, 'echo dying >&2; kill -TERM $$');
        const killed = sh(q, 'kill -KILL $$');
        q.run(null);

        let error = errorOf(term);
        assertOsiisoError(error, Osiiso.Error.COMMAND);
        assertIncludes(error.message, `signal ${SIGTERM}`, 'message');
        assertIncludes(error.message, 'dying', 'message');
        const r = commandResult(term);
        assertEqual(r.get_term_signal(), SIGTERM, 'term signal');
        assertEqual(r.get_exit_status(), -1, 'exit status');
        assertEqual(r.get_success(), false, 'success');

        error = errorOf(killed);
        assertOsiisoError(error, Osiiso.Error.COMMAND);
        assertIncludes(error.message, `signal ${SIGKILL}`, 'message');
        assertEqual(commandResult(killed).get_term_signal(), SIGKILL, 'term signal');
        assertEqual(commandResult(killed).get_exit_status(), -1, 'exit status');
    }],

    // -- output and input ---------------------------------------------------

    ['output larger than a pipe buffer on both streams', () => {
        const q = makeQueue();
        // Both streams at once, each far past 64 KiB: no deadlock.
        const h = sh(q, 'seq 1 200000 & seq 1 100000 >&2; wait');
        const zeros = sh(q, 'head -c 3000000 /dev/zero; head -c 2000000 /dev/zero >&2');
        const summary = q.run(null);
        assertEqual(summary.get_succeeded(), 2, 'succeeded');

        const r = succeeded(h);
        const expectedOut = seqText(1, 200000);
        assertEqual(r.get_stdout().get_size(), expectedOut.length, 'stdout size');
        assert(text(r.get_stdout()) === expectedOut, 'stdout differs from seq 1 200000');
        assert(text(r.get_stderr()) === seqText(1, 100000), 'stderr differs from seq 1 100000');
        assertEqual(r.get_stdout_truncated(), false, 'stdout truncated');
        assertEqual(r.get_stderr_truncated(), false, 'stderr truncated');

        const z = succeeded(zeros);
        assertEqual(z.get_stdout().get_size(), 3000000, 'stdout size');
        assertEqual(z.get_stderr().get_size(), 2000000, 'stderr size');
        assert(z.get_stdout().toArray().every(b => b === 0), 'stdout is not all zeros');
    }],

    ['stdin bytes', () => {
        const q = makeQueue();
        // Far more than a pipe buffer, read to its end.
        const counted = sh(q, 'wc -c', {input: 'x'.repeat(300000)});
        // Every byte value, NULs included, in and out again. (Kept small
        // in this process: a megabyte through cat runs in a child host
        // below, as it may hang.)
        const data = new Uint8Array(256 * 64).map((_, i) => i % 256);
        const echoed = command(q, ['cat'], {input: data});
        const empty = command(q, ['cat'], {input: new Uint8Array(0)});
        // No input: standard input is /dev/null (cat ends at once).
        const devnull = sh(q, 'cat; readlink /proc/self/fd/0 >&2');
        const summary = q.run(null);
        assertEqual(summary.get_succeeded(), 4, 'succeeded');

        assertEqual(parseInt(text(succeeded(counted).get_stdout())), 300000, 'wc -c');
        const out = succeeded(echoed).get_stdout().toArray();
        assertEqual(out.length, data.length, 'cat size');
        assert(out.every((b, i) => b === data[i]), 'cat changed the bytes');
        assertEqual(text(succeeded(empty).get_stdout()), '', 'empty input');
        const r = succeeded(devnull);
        assertEqual(text(r.get_stdout()), '', 'no input');
        assertEqual(text(r.get_stderr()), '/dev/null\n', 'stdin of a command without input');
    }],

    ['cwd', () => {
        const dir = makeTmpDir();
        try {
            const q = makeQueue();
            const h = sh(q, 'pwd -P; echo made > made-here', {cwd: dir});
            const byDefault = command(q, ['pwd', '-P']);
            q.run(null);
            const [, real] = GLib.spawn_command_line_sync(`realpath ${GLib.shell_quote(dir)}`);
            assertEqual(text(succeeded(h).get_stdout()), decoder.decode(real), 'pwd');
            assertEqual(readFile(GLib.build_filenamev([dir, 'made-here'])), 'made\n', 'file made there');
            const [, here] = GLib.spawn_command_line_sync('pwd -P');
            assertEqual(text(succeeded(byDefault).get_stdout()), decoder.decode(here), 'default cwd');
        } finally {
            removeTree(dir);
        }
    }],

    ['environment', () => {
        const q = makeQueue();
        GLib.setenv('OSIISO_TEST_INHERITED', 'inherited', true);
        try {
            // envp replaces the environment: no HOME, no PATH; 'sh' is still
            // found (in this process's PATH).
            const given = sh(q, 'printf "%s|%s|%s|%s" "$OSIISO_TEST_VALUE" "$OTHER" ' +
                '"${HOME-unset}" "${OSIISO_TEST_INHERITED-unset}"',
            {envp: ['OSIISO_TEST_VALUE=from-env', 'OTHER=a b=c']});
            // No envp: this process's environment.
            const inherited = sh(q, 'printf "%s|%s" "$OSIISO_TEST_INHERITED" "${OSIISO_TEST_VALUE-unset}"');
            q.run(null);
            assertEqual(text(succeeded(given).get_stdout()), 'from-env|a b=c|unset|unset', 'given');
            assertEqual(text(succeeded(inherited).get_stdout()), 'inherited|unset', 'inherited');
        } finally {
            GLib.unsetenv('OSIISO_TEST_INHERITED');
        }
    }],

    ['output-limit truncates', () => {
        assertEqual(makeQueue().output_limit, 16 * 1024 * 1024, 'default output-limit');
        const q = makeQueueWith({output_limit: 1000});
        assertEqual(q.output_limit, 1000, 'output-limit');
        const both = sh(q, 'seq 1 200000; head -c 300000 /dev/zero >&2');
        const exact = sh(q, 'head -c 1000 /dev/zero');
        const over = sh(q, 'head -c 1001 /dev/zero');
        const failing = sh(q, 'seq 1 100000; exit 4');
        const summary = q.run(null);
        assertEqual(summary.get_succeeded(), 3, 'succeeded');

        // The first bytes are kept, the rest read and dropped: the command
        // ran to its end and succeeded.
        let r = succeeded(both);
        assertEqual(r.get_success(), true, 'success');
        assertEqual(r.get_stdout().get_size(), 1000, 'stdout size');
        assertEqual(text(r.get_stdout()), seqText(1, 399).slice(0, 1000), 'stdout kept');
        assertEqual(r.get_stdout_truncated(), true, 'stdout truncated');
        assertEqual(r.get_stderr().get_size(), 1000, 'stderr size');
        assertEqual(r.get_stderr_truncated(), true, 'stderr truncated');

        r = succeeded(exact);
        assertEqual(r.get_stdout().get_size(), 1000, 'exact size');
        assertEqual(r.get_stdout_truncated(), false, 'exactly the limit is not truncated');
        assertEqual(r.get_stderr_truncated(), false, 'stderr truncated');
        r = succeeded(over);
        assertEqual(r.get_stdout().get_size(), 1000, 'over size');
        assertEqual(r.get_stdout_truncated(), true, 'one byte over is truncated');

        const error = errorOf(failing);
        assertOsiisoError(error, Osiiso.Error.COMMAND);
        assertIncludes(error.message, 'exit status 4', 'message');
        r = commandResult(failing);
        assertEqual(r.get_exit_status(), 4, 'exit status');
        assertEqual(r.get_stdout().get_size(), 1000, 'failed stdout size');
        assertEqual(r.get_stdout_truncated(), true, 'failed stdout truncated');
    }],

    // -- timeouts and cancellation ------------------------------------------

    ['a timeout kills the process tree', async () => {
        const dir = makeTmpDir();
        try {
            const q = makeQueue(1);
            const pidFile = GLib.build_filenamev([dir, 'pids']);
            const h = sh(q, pidFileScript(pidFile, 'sleep 30 &'), {options: {timeout: 2.0}});
            const after = sh(q, 'echo after');
            const started = GLib.get_monotonic_time();
            const summary = q.run(null);

            assertOsiisoError(errorOf(h), Osiiso.Error.TIMEOUT);
            assertEqual(summary.get_failed(), 1, 'failed');
            // The command sleeps 30 s: the run did not wait for it.
            assert(GLib.get_monotonic_time() - started < GUARD * 1000000, 'the run waited for the command');
            assertEqual(text(succeeded(after).get_stdout()), 'after\n', 'the next task');
            assert(fileExists(pidFile), 'the command never started its grandchild');
            const [shell, grandchild] = readPids(pidFile);
            assert(grandchild > 0, `grandchild pid ${grandchild}`);
            assert(await waitPidGone(shell), `the timed-out shell ${shell} lives on`);
            assert(await waitPidGone(grandchild), `its grandchild ${grandchild} lives on`);
        } finally {
            removeTree(dir);
        }
    }],

    ['a timeout escalates to SIGKILL after kill-grace', async () => {
        const dir = makeTmpDir();
        try {
            const q = makeQueueWith({workers: 1, kill_grace: 0.5});
            assertEqual(q.kill_grace, 0.5, 'kill-grace');
            const pidFile = GLib.build_filenamev([dir, 'pids']);
            // SIGTERM is ignored, by the shell and (inherited) by its child.
            const h = sh(q, pidFileScript(pidFile, "trap '' TERM; sleep 30 &"), {options: {timeout: 2.0}});
            const started = GLib.get_monotonic_time();
            q.run(null);
            assert(GLib.get_monotonic_time() - started < GUARD * 1000000, 'the run waited for the command');
            assertOsiisoError(errorOf(h), Osiiso.Error.TIMEOUT);
            const [shell, grandchild] = await waitForPidFile(pidFile);
            // The SIGKILL is a source on the queue's main context, which
            // runs while we wait.
            assert(await waitPidGone(shell), `the timed-out shell ${shell} lives on`);
            assert(await waitPidGone(grandchild), `its grandchild ${grandchild} lives on`);
        } finally {
            removeTree(dir);
        }
    }],

    ['a timeout, then a retry that succeeds', () => {
        const dir = makeTmpDir();
        try {
            const q = makeQueue(1);
            const counter = GLib.build_filenamev([dir, 'count']);
            // The first attempt hangs (killed at the timeout), the second
            // prints and exits: the late end of the first does not disturb it.
            const h = sh(q, `echo x >> ${counter}; if [ $(wc -l < ${counter}) -lt 2 ]; then sleep 30; fi; ` +
                'echo second', {options: {timeout: 2.0, retries: 1}});
            const summary = q.run(null);
            assertEqual(summary.get_succeeded(), 1, 'succeeded');
            assertEqual(h.get_attempts(), 2, 'attempts');
            assertEqual(text(succeeded(h).get_stdout()), 'second\n', 'stdout');
            assertEqual(readFile(counter), 'x\nx\n', 'runs');
        } finally {
            removeTree(dir);
        }
    }],

    ['cancel while running and while queued', async () => {
        const dir = makeTmpDir();
        try {
            const q = makeQueue(1);
            const pidFile = GLib.build_filenamev([dir, 'pids']);
            q.start();
            const running = sh(q, pidFileScript(pidFile, 'sleep 30 &'));
            const queued = sh(q, 'echo queued');
            // Mid-command: it has started its grandchild.
            const [shell, grandchild] = await waitForPidFile(pidFile);
            assertEqual(running.get_status(), S.RUNNING, 'running status');
            assertEqual(queued.get_status(), S.PENDING, 'queued status');

            assertEqual(queued.cancel(), true, 'cancel queued');
            assertEqual(running.cancel(), true, 'cancel running');
            const after = sh(q, 'echo after');
            const started = GLib.get_monotonic_time();
            const summary = q.run(null);

            assert(GLib.get_monotonic_time() - started < GUARD * 1000000, 'the run waited for the command');
            assertEqual(summary.get_cancelled(), 2, 'cancelled');
            assertEqual(summary.get_succeeded(), 1, 'succeeded');
            for (const h of [running, queued]) {
                assertEqual(h.get_status(), S.CANCELLED, 'status');
                assert(isCancelled(h.get_result().get_error()), 'G_IO_ERROR_CANCELLED');
            }
            assertEqual(queued.get_attempts(), 0, 'attempts of the queued task');
            assertEqual(running.get_attempts(), 1, 'attempts of the running task');
            assertEqual(text(succeeded(after).get_stdout()), 'after\n', 'the next task');
            assert(await waitPidGone(shell), `the cancelled shell ${shell} lives on`);
            assert(await waitPidGone(grandchild), `its grandchild ${grandchild} lives on`);
        } finally {
            removeTree(dir);
        }
    }],

    // -- retries ------------------------------------------------------------

    ['retries of a flaky command', () => {
        const dir = makeTmpDir();
        try {
            const q = makeQueue(1);
            const retried = [];
            q.connect('task-retrying', (_q, _handle, error) =>
                retried.push([GLib.quark_to_string(error.domain), error.code, error.message]));
            const counter = GLib.build_filenamev([dir, 'count']);
            // Fails twice, then succeeds: the count lives in a file.
            const h = sh(q, `echo x >> ${counter}; n=$(wc -l < ${counter}); echo "attempt $n"; ` +
                'echo "failure $n" >&2; test $n -ge 3', {options: {retries: 3}});
            const summary = q.run(null);

            assertEqual(summary.get_succeeded(), 1, 'succeeded');
            assertEqual(h.get_status(), S.SUCCEEDED, 'status');
            assertEqual(h.get_attempts(), 3, 'attempts');
            assertEqual(h.get_result().get_attempts(), 3, 'result attempts');
            // The value is the last attempt's.
            assertEqual(text(succeeded(h).get_stdout()), 'attempt 3\n', 'stdout');
            assertEqual(readFile(counter), 'x\nx\nx\n', 'runs');
            assertEqual(retried.length, 2, 'task-retrying emissions');
            retried.forEach(([domain, code, message], i) => {
                assertEqual(domain, 'osiiso-error-quark', 'retry error domain');
                assertEqual(code, Osiiso.Error.COMMAND, 'retry error code');
                assertIncludes(message, 'exit status 1', 'retry error message');
                assertIncludes(message, `failure ${i + 1}`, 'retry error message');
            });
        } finally {
            removeTree(dir);
        }
    }],

    ['retries exhausted', () => {
        const q = makeQueue(1);
        const h = sh(q, 'echo out; echo nope >&2; exit 7', {options: {retries: 2}});
        const summary = q.run(null);
        assertEqual(summary.get_failed(), 1, 'failed');
        assertEqual(h.get_attempts(), 3, 'attempts');
        const error = errorOf(h);
        assertOsiisoError(error, Osiiso.Error.COMMAND);
        assertIncludes(error.message, 'exit status 7', 'message');
        const r = commandResult(h);
        assertEqual(r.get_exit_status(), 7, 'exit status');
        assertEqual(text(r.get_stdout()), 'out\n', 'stdout');
    }],

    // -- commands that cannot start -----------------------------------------

    ['a missing program and a bad cwd fail with COMMAND', () => {
        const q = makeQueue(1);
        const missing = command(q, ['/nonexistent/program', 'arg']);
        const notInPath = command(q, ['osiiso-no-such-program-in-path']);
        const badCwd = command(q, ['true'], {cwd: '/nonexistent/dir'});
        const notADir = command(q, ['true'], {cwd: '/etc/hostname'});
        const retried = command(q, ['/nonexistent/program'], {options: {retries: 2}});
        const after = sh(q, 'echo after');
        const summary = q.run(null);
        assertEqual(summary.get_failed(), 5, 'failed');
        assertEqual(summary.get_succeeded(), 1, 'succeeded');

        for (const [h, part] of [[missing, '/nonexistent/program'],
            [notInPath, 'osiiso-no-such-program-in-path'],
            [badCwd, '/nonexistent/dir'], [notADir, '/etc/hostname']]) {
            const error = errorOf(h);
            assertOsiisoError(error, Osiiso.Error.COMMAND, part);
            assertIncludes(error.message, part, 'message');
            assertEqual(h.get_attempts(), 1, `${part} attempts`);
        }
        assertOsiisoError(errorOf(retried), Osiiso.Error.COMMAND, 'with retries');
        assertEqual(retried.get_attempts(), 3, 'attempts with retries');
        assertEqual(text(succeeded(after).get_stdout()), 'after\n', 'the next task');
    }],

    // -- the pool -----------------------------------------------------------

    ['commands count against workers', () => {
        const dir = makeTmpDir();
        try {
            const q = makeQueue(2);
            const running = GLib.build_filenamev([dir, 'running']);
            GLib.mkdir_with_parents(running, 0o755);
            // Each command counts the commands running with it (itself too).
            const script = `touch ${running}/$$; ls ${running} | wc -l; sleep 1; rm ${running}/$$`;
            const handles = [];
            for (let i = 0; i < 5; i++)
                handles.push(sh(q, script));
            const summary = q.run(null);
            assertEqual(summary.get_succeeded(), 5, 'succeeded');
            const seen = handles.map(h => parseInt(text(succeeded(h).get_stdout())));
            assert(Math.max(...seen) <= 2, `more than 2 at once: ${seen}`);
            assertEqual(Math.max(...seen), 2, `the two slots never ran together (${seen})`);
            // No worker process was started for commands.
            assertEqual(q.get_worker_pids().length, 0, 'worker pids');
        } finally {
            removeTree(dir);
        }
    }],

    ['no zombie, no fd leak', async () => {
        const dir = makeTmpDir();
        try {
            // Earlier tests' killed commands are reaped by the main context.
            assert(await waitUntil(() => zombieChildren().length === 0),
                `zombies before the test: ${zombieChildren()}`);
            const beforeFds = countFds();
            const before = new Set(children().keys());

            const q = Osiiso.ProcessQueue.new(['false'], 2);
            const handles = [];
            for (let i = 0; i < 16; i++)
                handles.push(sh(q, 'echo $$'));
            handles.push(sh(q, 'echo $$; exit 1'));
            handles.push(sh(q, 'echo $$; kill -KILL $$'));
            handles.push(sh(q, 'echo $$; wc -c >&2', {input: 'all read'}));
            handles.push(sh(q, `echo $$; sleep 30 >/dev/null 2>&1 & echo $! > ${dir}/bg`));
            const summary = q.run(null);
            assertEqual(summary.get_succeeded(), 18, 'succeeded');
            assertEqual(summary.get_failed(), 2, 'failed');
            const pids = new Set(handles.map(h => parseInt(text(commandResult(h).get_stdout()))));
            assertEqual(pids.size, handles.length, 'distinct command pids');

            // Every command was reaped before its task completed.
            const now = children();
            const left = [...now.keys()].filter(pid => pids.has(pid));
            assertEqual(left.join(), '', 'commands left as children');
            assertEqual(zombieChildren().join(), '', 'zombie children');
            const extra = [...now.keys()].filter(pid => !before.has(pid));
            assertEqual(extra.join(), '', 'child processes left over');
            // A background job left behind by a command that exited is
            // gone too (its group is killed when the command exits).
            const background = parseInt(readFile(`${dir}/bg`));
            assert(await waitPidGone(background), `background job ${background} lives on`);

            q.shutdown(true, null);
            assert(await waitUntil(() => countFds() <= beforeFds),
                `file descriptors leaked: ${beforeFds} before, ${countFds()} now`);
        } finally {
            removeTree(dir);
        }
    }],

    ['no zombie after timeouts', async () => {
        const dir = makeTmpDir();
        try {
            assert(await waitUntil(() => zombieChildren().length === 0), 'zombies before the test');
            const q = makeQueue(2);
            const handles = [];
            for (let i = 0; i < 3; i++)
                handles.push(sh(q, `echo $$ > ${dir}/t${i}; sleep 30`, {options: {timeout: 1.0}}));
            q.run(null);
            for (const h of handles)
                assertOsiisoError(errorOf(h), Osiiso.Error.TIMEOUT);
            const shells = [0, 1, 2].map(i => parseInt(readFile(`${dir}/t${i}`)));
            // The killed shells are our children until the main context
            // reaps them: no zombie stays.
            assert(await waitUntil(() => shells.every(pid => !children().has(pid))),
                'killed commands left as children');
            assert(await waitUntil(() => zombieChildren().length === 0), `zombies: ${zombieChildren()}`);
        } finally {
            removeTree(dir);
        }
    }],

    ['run_async with commands', async () => {
        const q = makeQueue(2);
        const handles = [0, 1, 2, 3].map(i => sh(q, `echo ${i}`));
        const summary = await q.run_async(GUARD, Osiiso.RunFlags.NONE, null);
        assert(summary instanceof Osiiso.RunSummary, 'run summary');
        assertEqual(summary.get_succeeded(), 4, 'succeeded');
        assertEqual(handles.map(h => text(succeeded(h).get_stdout())).join(''), '0\n1\n2\n3\n', 'outputs');
    }],
];

// Commands' input must neither kill nor block the host; both were library
// bugs at commit 1904dd1 (a plain, blocking stdin pipe). Run in a child gjs
// host: a host killed by SIGPIPE or hung fails one test, not the TAP run.
const hostSafetyTests = [
    // A command that exits without reading all its input ("no error") must
    // not raise SIGPIPE in the host, which gjs (like any C program) does
    // not ignore.
    ['the host survives a command that does not read its input', async () => {
        const dir = makeTmpDir();
        try {
            const child = await runChildHost('unread-input', dir);
            assert(!child.hung, `the host hung (still running after ${GUARD} s)`);
            assert(child.signal !== SIGPIPE, 'the host was killed by SIGPIPE');
            assertEqual(child.signal, 0, `signal (stderr: ${child.stderr})`);
            assertEqual(child.status, 0, `exit status (stderr: ${child.stderr})`);
            assertEqual(child.stdout.trim(), 'succeeded', 'status of the task');
        } finally {
            removeTree(dir);
        }
    }],

    // Writing a command's input must never block the owner thread: a
    // filter writing output while it reads (cat) would fill its stdout,
    // which nobody drains while the thread is stuck in write(): a deadlock
    // that not even the task's 2 s timeout can end.
    ['a filter with large input and output (cat, 1 MiB) completes', async () => {
        const dir = makeTmpDir();
        try {
            const child = await runChildHost('filter', dir, GUARD / 2);
            assert(!child.hung, `the host hung (still running after ${GUARD / 2} s)`);
            assertEqual(child.status, 0, `exit status (stderr: ${child.stderr})`);
            assertEqual(child.stdout.trim(), `succeeded ${1 << 20}`, 'task');
        } finally {
            removeTree(dir);
        }
    }],
];

// ---------------------------------------------------------------------------
// Library bugs found by these tests, fixed since
// ---------------------------------------------------------------------------

const fixedBugs = [
    // The SIGKILL after kill-grace was only a source on the queue's main
    // context: a host that exited (or stopped iterating) after run() left a
    // TERM-ignoring command group alive.
    ['a TERM-ignoring command is killed when its host exits after the timeout', async () => {
        const dir = makeTmpDir();
        let pids = [];
        try {
            const child = await runChildHost('exit-after-timeout', dir);
            assertEqual(child.status, 0, `exit status (stderr: ${child.stderr})`);
            assertEqual(child.stdout.trim(), 'timed-out', 'task');
            pids = readPids(GLib.build_filenamev([dir, 'pids']));
            // Grace 0.5 s; init reaps orphans within a couple of seconds.
            const gone = await waitUntil(() => pids.every(pid => !processExists(pid)), 10);
            assert(gone, `the command group lives on after its host exited: ${
                pids.filter(processExists)}`);
        } finally {
            for (const pid of pids) {
                if (processExists(pid))
                    GLib.spawn_command_line_sync(`kill -KILL ${pid}`);
            }
            removeTree(dir);
        }
    }],

    // The message is documented to give "the end of the standard error",
    // but it came from the captured stderr, whose *first* output-limit
    // bytes are kept.
    ['the error message has the end of stderr beyond output-limit', () => {
        const q = makeQueueWith({output_limit: 1000});
        try {
            const h = sh(q, 'head -c 5000 /dev/zero | tr "\\0" a >&2; echo >&2; ' +
                'echo "the real reason" >&2; exit 1');
            q.run(null);
            const error = errorOf(h);
            assertOsiisoError(error, Osiiso.Error.COMMAND);
            assertEqual(commandResult(h).get_stderr_truncated(), true, 'stderr truncated');
            assertIncludes(error.message, 'the real reason', 'message');
        } finally {
            shutdownAll();
        }
    }],
];

// ---------------------------------------------------------------------------

for (const [name, body, opts] of [...tests, ...hostSafetyTests, ...fixedBugs]) {
    try {
        // eslint-disable-next-line no-await-in-loop
        await test(name, body, opts);
    } finally {
        shutdownAll();
    }
}

done();

// SPDX-License-Identifier: LGPL-2.1-or-later
//
// OsiisoProcessQueue through GJS (raw introspection). Run as
// `gjs -m test-process-queue.js`; it prints TAP and exits non-zero if any
// test failed.
//
// The queue is driven from JavaScript (Osiiso.ProcessQueue.new(argv,
// workers), submit_call(function, GLib.Variant, options), run(), the task
// handles, get_worker_pids()) against three kinds of worker process that
// serve the same functions (tests/worker-module.c, tests/python/worker.py,
// tests/js/worker.js):
//
// - C: the osiiso-worker tool loading tests/worker-module.c, from the
//   OSIISO_TEST_WORKER_TOOL and OSIISO_TEST_WORKER_MODULE environment
//   variables (skipped without them);
// - Python: tests/python/worker.py run by /usr/bin/python3;
// - GJS: `gjs -m tests/js/worker.js`.
//
// Every test runs once per kind of worker.
//
// Assertions happen only in test bodies, never inside signal handlers
// (a throw there would only be logged; see reference/toolchain.md, pitfall
// 3): handlers record, tests assert. GJS has no pidfd, so waiting for a
// process that is not our child to end probes /proc every 10 ms from a
// main-loop timeout, up to a deadline; so does waiting for a file that a
// worker writes. Nothing else waits on time.
//
// Known library bugs are `not ok ... # TODO` (an expected failure for
// meson); once fixed they print `ok ... # TODO`, an unexpected pass, which
// fails the suite until the marker is removed.

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

const HERE = GLib.path_get_dirname(GLib.filename_from_uri(import.meta.url)[0]);
const TESTS_DIR = GLib.path_get_dirname(HERE);
const MY_PID = new Gio.Credentials().get_unix_pid();
const S = Osiiso.TaskStatus;
const SIGTRAP = 5, SIGABRT = 6, SIGKILL = 9, SIGSEGV = 11, SIGPIPE = 13;

// ---------------------------------------------------------------------------
// Workers
// ---------------------------------------------------------------------------

// In sanitizer builds (libasan preloaded), workers must die of their
// signals rather than exit with ASan's report.
function asanEnv() {
    return (GLib.getenv('LD_PRELOAD') ?? '').includes('asan')
        ? ['ASAN_OPTIONS=detect_leaks=0:handle_segv=0:handle_abort=0'] : [];
}

function cArgv() {
    const tool = GLib.getenv('OSIISO_TEST_WORKER_TOOL');
    const module = GLib.getenv('OSIISO_TEST_WORKER_MODULE');
    return tool && module ? [tool, module] : null;
}

const KINDS = [
    {
        name: 'C',
        argv: cArgv,
        crashes: [['crash', SIGABRT], ['segv', SIGSEGV]],
        plainError: null,
    },
    {
        name: 'Python',
        argv: () => ['/usr/bin/python3', GLib.build_filenamev([TESTS_DIR, 'python', 'worker.py'])],
        crashes: [['crash', SIGABRT], ['segv', SIGSEGV]],
        plainError: ['raise', 'osiiso-test-python-error'],
    },
    {
        name: 'GJS',
        argv: () => ['gjs', '-m', GLib.build_filenamev([HERE, 'worker.js'])],
        crashes: [['crash', SIGTRAP]],
        plainError: ['throw', 'gjs-js-error-quark'],
    },
];

// The worker's command line, with environment variables (['NAME=value']).
function workerArgv(kind, env = []) {
    const extra = [...env, ...asanEnv()];
    return extra.length > 0 ? ['env', ...extra, ...kind.argv()] : kind.argv();
}

// ---------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------

const decoder = new TextDecoder();

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

// True once @pid has exited (a zombie counts: it has exited).
function processGone(pid) {
    const stat = procStat(pid);
    return stat === null || stat[0] === 'Z' || stat[0] === 'X';
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

// Runs the main loop until @predicate() holds, looking every 10 ms (for
// conditions the OS gives no event for); false at the deadline.
function waitUntil(predicate, guard = GUARD) {
    if (predicate())
        return Promise.resolve(true);
    return new Promise(resolve => {
        const deadline = GLib.get_monotonic_time() + guard * 1000000;
        GLib.timeout_add(GLib.PRIORITY_DEFAULT, 10, () => {
            if (predicate()) {
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

function waitGone(pid, guard = GUARD) {
    return waitUntil(() => processGone(pid), guard);
}

function fileExists(path) {
    return GLib.file_test(path, GLib.FileTest.EXISTS);
}

function readPidFile(path) {
    const [, contents] = GLib.file_get_contents(path);
    return parseInt(decoder.decode(contents));
}

// ---------------------------------------------------------------------------
// The child mode: a host that gets killed must not take the TAP run with it
// ---------------------------------------------------------------------------

const childScenario = GLib.getenv('OSIISO_JS_TEST_CHILD');
if (childScenario === 'init-failure') {
    // The worker's initializer fails: it sends its hello and exits without
    // reading its first request, which is larger than a pipe's buffer.
    const argv = JSON.parse(GLib.getenv('OSIISO_JS_TEST_CHILD_ARGV'));
    const q = Osiiso.ProcessQueue.new(['env', 'OSIISO_TEST_INIT_FAIL=no', ...argv], 1);
    const big = GLib.Variant.new_from_bytes(new GLib.VariantType('ay'),
        new GLib.Bytes(new Uint8Array(1 << 20)), true);
    const h = q.submit_call('echo', big, null);
    q.run(null);
    print(`${h.get_status()}`);
    System.exit(0);
} else if (childScenario !== null) {
    const argv = JSON.parse(GLib.getenv('OSIISO_JS_TEST_CHILD_ARGV'));
    const q = Osiiso.ProcessQueue.new(argv, 1);
    let h = q.submit_call('pid', null, null);
    q.run(null);
    const pid = h.get_result().get_value().get_int32();
    if (childScenario === 'idle-death') {
        // The idle worker dies; the next task is sent without the main
        // context having run in between.
        GLib.spawn_command_line_sync(`kill -KILL ${pid}`);
        const deadline = GLib.get_monotonic_time() + GUARD * 1000000;
        while (processGone(pid) === false && GLib.get_monotonic_time() < deadline)
            GLib.usleep(10000);
        h = q.submit_call('pid', null, null);
    } else {
        const big = GLib.Variant.new_from_bytes(new GLib.VariantType('ay'),
            new GLib.Bytes(new Uint8Array(17 << 20)), true);
        try {
            h = q.submit_call('echo', big, null);
        } catch (e) {
            // Refused at submission, before it could reach a worker.
            print(`refused: ${e.message}`);
            System.exit(0);
        }
    }
    q.run(null);
    print(`${h.get_status()}`);
    System.exit(0);
}

// ---------------------------------------------------------------------------
// This TAP host ignores SIGPIPE, as Python does
// ---------------------------------------------------------------------------

// The library writes requests to workers' pipes with write(), so a worker
// that is gone when its request is written raises SIGPIPE in the host (a
// known bug, shown by the expected failures at the end, which run child
// hosts with SIGPIPE at its default action). A worker whose initializer
// fails exits without reading its first request, so the
// initializer-failure tests would kill this host now and then. gjs cannot
// ignore a signal itself: the host runs itself again under
// `env --ignore-signal=PIPE` (coreutils >= 8.31) and exits as that did.
// GLib resets SIGPIPE to its default in the processes it spawns.
function sigpipeIgnored() {
    const [, contents] = GLib.file_get_contents('/proc/self/status');
    const match = new TextDecoder().decode(contents).match(/^SigIgn:\s*([0-9a-f]+)/m);
    return match !== null && (BigInt(`0x${match[1]}`) & (1n << BigInt(SIGPIPE - 1))) !== 0n;
}

if (childScenario === null && !sigpipeIgnored()) {
    const host = Gio.Subprocess.new(['env', '--ignore-signal=PIPE', 'gjs', '-m',
        GLib.filename_from_uri(import.meta.url)[0]], Gio.SubprocessFlags.NONE);
    host.wait(null);
    System.exit(host.get_if_exited() ? host.get_exit_status() : 128 + host.get_term_sig());
}

// ---------------------------------------------------------------------------
// Queues and results
// ---------------------------------------------------------------------------

const liveQueues = [];

function makeQueue(kind, workers, env = []) {
    const q = Osiiso.ProcessQueue.new(workerArgv(kind, env), workers);
    liveQueues.push(q);
    return q;
}

function shutdownAll() {
    for (const q of liveQueues.splice(0))
        q.shutdown(true, null);
}

function call(q, fn, argument = null, options = null) {
    return q.submit_call(fn, argument, options === null ? null : new Osiiso.TaskOptions(options));
}

function valueOf(handle) {
    const result = handle.get_result();
    assert(result !== null, 'the task has no result');
    const error = result.get_error();
    assertEqual(result.get_status(), S.SUCCEEDED,
        `status (error: ${error ? error.message : 'none'})`);
    const value = result.get_value();
    assert(value instanceof GLib.Variant, `the value is not a GLib.Variant: ${value}`);
    return value;
}

function errorOf(handle) {
    const result = handle.get_result();
    assert(result !== null, 'the task has no result');
    assertEqual(result.get_status(), S.FAILED, 'status');
    const error = result.get_error();
    assert(error instanceof GLib.Error, `the error is not a GLib.Error: ${error}`);
    return error;
}

// The pid of the one worker of @q (a warm-up task starts it).
function workerPid(q) {
    const h = call(q, 'pid');
    q.run(null);
    const pid = valueOf(h).get_int32();
    assertEqual(`${q.get_worker_pids()}`, `${pid}`, 'worker pids');
    return pid;
}

function makeTmpDir() {
    return GLib.dir_make_tmp('osiiso-pq-js-XXXXXX');
}

function removeTree(path) {
    GLib.spawn_command_line_sync(`rm -rf ${GLib.shell_quote(path)}`);
}

// ---------------------------------------------------------------------------
// The tests, once per kind of worker
// ---------------------------------------------------------------------------

function defineTests(kind) {
    const t = (name, body, opts = {}) => [`${kind.name} worker: ${name}`, body, opts];

    return [
        t('N tasks on W workers use exactly W processes', () => {
            const before = new Set(children().keys());
            const q = makeQueue(kind, 2);
            const handles = [];
            for (let i = 0; i < 12; i++)
                handles.push(call(q, 'pid'));
            const summary = q.run(null);
            assertEqual(summary.get_succeeded(), 12, 'succeeded');
            assertEqual(summary.get_ok(), true, 'ok');

            const pids = new Set(handles.map(h => valueOf(h).get_int32()));
            assertEqual(pids.size, 2, `distinct pids (${[...pids]})`);
            assertEqual([...q.get_worker_pids()].sort().join(), [...pids].sort().join(),
                'get_worker_pids()');
            const live = [...children()].filter(([pid, state]) =>
                !before.has(pid) && state !== 'Z' && state !== 'X').map(([pid]) => pid);
            assertEqual(live.sort().join(), [...pids].sort().join(), 'live child processes');

            // The same processes serve the next run.
            const again = [];
            for (let i = 0; i < 4; i++)
                again.push(call(q, 'pid'));
            q.run(null);
            for (const h of again)
                assert(pids.has(valueOf(h).get_int32()), 'a new process served the next run');
        }),

        t('no worker before the first task; properties', () => {
            const q = makeQueue(kind, 2);
            assertEqual(q.get_worker_pids().length, 0, 'pids');
            assertEqual(q.workers, 2, 'workers');
            assertEqual(q.worker_argv.join(' '), workerArgv(kind).join(' '), 'worker_argv');
        }),

        t('state persists in a worker', () => {
            const q = makeQueue(kind, 1);
            const handles = [call(q, 'counter'), call(q, 'counter'), call(q, 'counter')];
            q.run(null);
            assertEqual(handles.map(h => valueOf(h).get_int32()).join(), '1,2,3', 'counters');
            const later = call(q, 'counter');
            const init = call(q, 'init-count');
            q.run(null);
            assertEqual(valueOf(later).get_int32(), 4, 'counter in the next run');
            assertEqual(valueOf(init).get_int32(), 1, 'initializer runs');
        }),

        t('values round trip', () => {
            const q = makeQueue(kind, 2);
            const add = call(q, 'add', new GLib.Variant('(ii)', [2, 40]));
            const argument = new GLib.Variant('a{sv}', {
                name: new GLib.Variant('s', 'ünïcødé'),
                list: new GLib.Variant('ai', [1, 2, 3]),
                big: new GLib.Variant('x', -(2 ** 40)),
            });
            const echo = call(q, 'echo', argument);
            const none = call(q, 'echo');
            const printed = call(q, 'print', new GLib.Variant('i', 20));
            const summary = q.run(null);
            assertEqual(summary.get_succeeded(), 4, 'succeeded');
            assertEqual(valueOf(add).get_int32(), 42, 'add');
            assert(valueOf(echo).equal(argument), `echo: ${valueOf(echo).print(true)}`);
            assertEqual(valueOf(echo).recursiveUnpack().name, 'ünïcødé', 'echoed name');
            assertEqual(valueOf(none).get_type_string(), '()', 'no argument');
            // Task output on stdout cannot corrupt the protocol.
            assertEqual(valueOf(printed).get_string()[0], 'done', 'print');
            const [ok, value] = add.get_value();
            assertEqual(ok, true, 'handle get_value()');
            assertEqual(value.get_int32(), 42, 'handle value');
            assertEqual(add.get_status(), S.SUCCEEDED, 'handle status');
            assertEqual(add.is_done(), true, 'is_done()');
            assertEqual(add.get_attempts(), 1, 'attempts');
        }),

        t('an unknown function fails with UNKNOWN_FUNCTION', () => {
            const q = makeQueue(kind, 1);
            const unknown = call(q, 'no-such-function', new GLib.Variant('i', 1));
            const after = call(q, 'add', new GLib.Variant('(ii)', [1, 1]));
            const summary = q.run(null);
            const error = errorOf(unknown);
            assertOsiisoError(error, Osiiso.Error.UNKNOWN_FUNCTION);
            assertIncludes(error.message, 'no-such-function', 'message');
            assertEqual(summary.get_failed(), 1, 'failed');
            assertEqual(valueOf(after).get_int32(), 2, 'the next task');
        }),

        t("the worker's GLib.Error keeps its domain, code and message", () => {
            const q = makeQueue(kind, 1);
            const pid = workerPid(q);
            const fail = call(q, 'fail');
            const badArgument = call(q, 'add', new GLib.Variant('s', 'not a pair'));
            q.run(null);

            let error = errorOf(fail);
            assertEqual(GLib.quark_to_string(error.domain), 'g-io-error-quark', 'domain');
            assertEqual(error.code, Gio.IOErrorEnum.PERMISSION_DENIED, 'code');
            assertEqual(error.message, 'told to fail', 'message');
            assert(error.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.PERMISSION_DENIED), 'matches()');

            error = errorOf(badArgument);
            assertEqual(GLib.quark_to_string(error.domain), 'g-io-error-quark', 'domain');
            assertEqual(error.code, Gio.IOErrorEnum.INVALID_ARGUMENT, 'code');
            assertEqual(error.message, 'add takes (ii), not s', 'message');
            // A failing function does not cost the worker.
            assertEqual(`${q.get_worker_pids()}`, `${pid}`, 'worker pids');
        }),

        t('a plain exception in the worker fails the task', () => {
            const [fn, domain] = kind.plainError;
            const q = makeQueue(kind, 1);
            const h = call(q, fn);
            const after = call(q, 'add', new GLib.Variant('(ii)', [3, 4]));
            q.run(null);
            const result = h.get_result();
            assertEqual(result.get_status(), S.FAILED, 'status');
            const error = result.get_error();
            if (domain === 'gjs-js-error-quark') {
                // GJS hands a GError of its own JS error domain to JS code
                // as the JavaScript exception it stands for.
                assert(error instanceof Error && !(error instanceof GLib.Error),
                    `expected a JS Error, got ${error}`);
            } else {
                assert(error instanceof GLib.Error, `expected a GLib.Error, got ${error}`);
                assertEqual(GLib.quark_to_string(error.domain), domain, 'domain');
            }
            assertIncludes(error.message, 'a plain', 'message');
            assertEqual(valueOf(after).get_int32(), 7, 'the next task');
        }, {skip: kind.plainError === null ? 'C has no exceptions' : null}),

        t('an initializer failure is reported, with back-off', () => {
            const q = makeQueue(kind, 1, ['OSIISO_TEST_INIT_FAIL=no database today']);
            const first = call(q, 'pid');
            const second = call(q, 'pid');
            q.run(null);
            const error = errorOf(first);
            assertOsiisoError(error, Osiiso.Error.WORKER);
            assertIncludes(error.message, 'initializer', 'message');
            assertIncludes(error.message, 'no database today', 'message');
            assertEqual(errorOf(second).message, error.message, 'the second task');
        }),

        t('a crash mid-task is reported and the pool recovers', async () => {
            for (const [fn, signum] of kind.crashes) {
                const q = makeQueue(kind, 1);
                const crashedPid = workerPid(q);
                const crash = call(q, fn);
                const after = call(q, 'pid');
                const summary = q.run(null);

                const error = errorOf(crash);
                assertOsiisoError(error, Osiiso.Error.WORKER, fn);
                assertIncludes(error.message, `signal ${signum}`, `${fn} message`);
                assertIncludes(error.message, `${crashedPid}`, `${fn} message`);
                assertEqual(crash.get_attempts(), 1, 'attempts');
                assertEqual(summary.get_failed(), 1, 'failed');
                assertEqual(summary.get_succeeded(), 1, 'succeeded');

                const newPid = valueOf(after).get_int32();
                assert(newPid !== crashedPid, 'the crashed worker served the next task');
                assertEqual(`${q.get_worker_pids()}`, `${newPid}`, 'worker pids');
                assert(await waitGone(crashedPid), `the crashed worker ${crashedPid} lives on`);
            }
        }),

        t('an exit mid-task is reported', () => {
            const q = makeQueue(kind, 1);
            const exits = call(q, 'exit', new GLib.Variant('i', 3));
            const after = call(q, 'add', new GLib.Variant('(ii)', [1, 2]));
            q.run(null);
            const error = errorOf(exits);
            assertOsiisoError(error, Osiiso.Error.WORKER);
            assertIncludes(error.message, 'exit status 3', 'message');
            assertEqual(valueOf(after).get_int32(), 3, 'the next task');
        }),

        t('retries apply across crashes', () => {
            const [fn, signum] = kind.crashes[0];
            const q = makeQueue(kind, 1);
            const retried = [];
            q.connect('task-retrying', (_q, handle, error) =>
                retried.push([GLib.quark_to_string(error.domain), error.code, error.message]));
            const crash = call(q, fn, null, {retries: 2});
            const after = call(q, 'counter');
            const summary = q.run(null);

            const error = errorOf(crash);
            assertOsiisoError(error, Osiiso.Error.WORKER);
            assertIncludes(error.message, `signal ${signum}`, 'message');
            assertEqual(crash.get_attempts(), 3, 'attempts');
            assertEqual(crash.get_result().get_attempts(), 3, 'result attempts');
            assertEqual(retried.length, 2, 'task-retrying emissions');
            for (const [domain, code, message] of retried) {
                assertEqual(domain, 'osiiso-error-quark', 'retry error domain');
                assertEqual(code, Osiiso.Error.WORKER, 'retry error code');
                assertIncludes(message, `signal ${signum}`, 'retry error message');
            }
            assertEqual(summary.get_failed(), 1, 'failed');
            // A fresh worker: its counter starts again.
            assertEqual(valueOf(after).get_int32(), 1, 'counter of the new worker');
        }),

        t('a timeout kills the worker and its grandchild', async () => {
            const dir = makeTmpDir();
            try {
                const q = makeQueue(kind, 1);
                const worker = workerPid(q);
                const pidFile = GLib.build_filenamev([dir, 'grandchild']);
                const h = call(q, 'spawn-grandchild', new GLib.Variant('s', pidFile), {timeout: 2.0});
                const after = call(q, 'pid');
                const started = GLib.get_monotonic_time();
                const summary = q.run(null);

                assertOsiisoError(errorOf(h), Osiiso.Error.TIMEOUT);
                assertEqual(summary.get_failed(), 1, 'failed');
                assert(GLib.get_monotonic_time() - started < GUARD * 1000000, 'the run waited for the task');
                assert(fileExists(pidFile), 'the task never started its grandchild');
                const grandchild = readPidFile(pidFile);
                assert(grandchild > 0, `grandchild pid ${grandchild}`);
                assert(await waitGone(worker), `the timed-out worker ${worker} lives on`);
                assert(await waitGone(grandchild), `its grandchild ${grandchild} lives on`);
                assert(valueOf(after).get_int32() !== worker, 'the killed worker served the next task');
            } finally {
                removeTree(dir);
            }
        }),

        t('cancel while running and while queued', async () => {
            const dir = makeTmpDir();
            try {
                const q = makeQueue(kind, 1);
                const worker = workerPid(q);
                const pidFile = GLib.build_filenamev([dir, 'grandchild']);

                q.start();
                const running = call(q, 'spawn-grandchild', new GLib.Variant('s', pidFile));
                const queued = call(q, 'add', new GLib.Variant('(ii)', [1, 2]));
                // Mid-task: the worker has started its grandchild.
                assert(await waitUntil(() => fileExists(pidFile)), 'the task never started');
                assertEqual(running.get_status(), S.RUNNING, 'running status');
                assertEqual(queued.get_status(), S.PENDING, 'queued status');
                const grandchild = readPidFile(pidFile);

                assertEqual(queued.cancel(), true, 'cancel queued');
                assertEqual(running.cancel(), true, 'cancel running');
                const after = call(q, 'add', new GLib.Variant('(ii)', [2, 2]));
                const started = GLib.get_monotonic_time();
                const summary = q.run(null);

                assert(GLib.get_monotonic_time() - started < GUARD * 1000000, 'the run waited for the task');
                assertEqual(summary.get_cancelled(), 2, 'cancelled');
                for (const h of [running, queued]) {
                    assertEqual(h.get_status(), S.CANCELLED, 'status');
                    assert(h.get_result().get_error().matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED),
                        'G_IO_ERROR_CANCELLED');
                }
                assertEqual(queued.get_attempts(), 0, 'attempts of the queued task');
                assertEqual(valueOf(after).get_int32(), 4, 'the next task');
                assert(await waitGone(worker), `the cancelled worker ${worker} lives on`);
                assert(await waitGone(grandchild), `its grandchild ${grandchild} lives on`);
                assert(![...q.get_worker_pids()].includes(worker), 'the cancelled worker is still listed');
            } finally {
                removeTree(dir);
            }
        }),

        t('cancel from a task-started handler, with run_async', async () => {
            const q = makeQueue(kind, 1);
            const started = [];
            q.connect('task-started', (_q, handle) => {
                started.push(handle.get_name());
                handle.cancel();
            });
            const h = call(q, 'sleep', new GLib.Variant('d', 30), {name: 'sleeper'});
            const begun = GLib.get_monotonic_time();
            const summary = await q.run_async(GUARD, Osiiso.RunFlags.NONE, null);
            assert(GLib.get_monotonic_time() - begun < GUARD * 1000000, 'the run waited for the task');
            assertEqual(started.join(), 'sleeper', 'task-started');
            assertEqual(summary.get_timed_out(), false, 'timed out');
            assertEqual(summary.get_cancelled(), 1, 'cancelled');
            assertEqual(h.get_status(), S.CANCELLED, 'status');
        }),

        t('no leftover workers after shutdown', async () => {
            const before = new Set(children().keys());
            const q = makeQueue(kind, 2);
            for (let i = 0; i < 6; i++)
                call(q, 'pid');
            q.run(null);
            const pids = [...q.get_worker_pids()];
            assertEqual(pids.length, 2, 'workers');
            assertEqual(q.shutdown(false, null), true, 'shutdown()');
            assertEqual(q.closed, true, 'closed');
            for (const pid of pids)
                assert(await waitGone(pid), `worker ${pid} lives on`);
            // Exited workers are reaped by GLib.
            assert(await waitUntil(() => pids.every(pid => !children().has(pid))),
                'workers left as children');
            const leftovers = [...children().keys()].filter(pid => !before.has(pid));
            assertEqual(leftovers.join(), '', 'child processes left over');
        }),
    ];
}

// ---------------------------------------------------------------------------
// Known library bugs
// ---------------------------------------------------------------------------

// Runs this file as a child gjs host in @scenario; returns [signal or 0,
// exit status, stderr].
async function runChildHost(scenario, argv) {
    const launcher = new Gio.SubprocessLauncher({
        flags: Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_PIPE,
    });
    launcher.setenv('OSIISO_JS_TEST_CHILD', scenario, true);
    launcher.setenv('OSIISO_JS_TEST_CHILD_ARGV', JSON.stringify(argv), true);
    const child = launcher.spawnv(['gjs', '-m', GLib.filename_from_uri(import.meta.url)[0]]);
    const [, , stderr] = await child.communicate_utf8_async(null, null);
    return [child.get_if_signaled() ? child.get_term_sig() : 0,
        child.get_if_exited() ? child.get_exit_status() : -1, stderr];
}

const BUG_SIGPIPE = 'library bug: a write to a dead worker raises SIGPIPE, killing the host';

const knownBugs = [
    // The idle worker died; its death is not seen before the next task is
    // written to its pipe: the write raises SIGPIPE (gjs, like any C
    // program, does not ignore it).
    ['the host survives a write to a worker that died while idle', async () => {
        const [sig, status, stderr] = await runChildHost('idle-death', workerArgv(KINDS[1]));
        assert(sig !== SIGPIPE, 'the host was killed by SIGPIPE');
        assertEqual(sig, 0, `signal (stderr: ${stderr})`);
        assertEqual(status, 0, `exit status (stderr: ${stderr})`);
    }],

    // A request over the 16 MiB frame limit is sent anyway; the worker
    // refuses it and exits, and the rest of the write raises SIGPIPE.
    ['the host survives an oversized request', async () => {
        const [sig, status, stderr] = await runChildHost('oversized', workerArgv(KINDS[1]));
        assert(sig !== SIGPIPE, 'the host was killed by SIGPIPE');
        assertEqual(sig, 0, `signal (stderr: ${stderr})`);
        assertEqual(status, 0, `exit status (stderr: ${stderr})`);
    }],

    // A worker whose initializer fails exits without reading its first
    // request: with one over the pipe buffer, the host always dies.
    ['the host survives a worker whose initializer fails', async () => {
        const [sig, status, stderr] = await runChildHost('init-failure', workerArgv(KINDS[1]));
        assert(sig !== SIGPIPE, 'the host was killed by SIGPIPE');
        assertEqual(sig, 0, `signal (stderr: ${stderr})`);
        assertEqual(status, 0, `exit status (stderr: ${stderr})`);
    }],
];

// ---------------------------------------------------------------------------

for (const kind of KINDS) {
    for (const [name, body, opts] of defineTests(kind)) {
        const skip = kind.argv() === null
            ? 'no C worker: set OSIISO_TEST_WORKER_TOOL and OSIISO_TEST_WORKER_MODULE'
            : opts.skip ?? null;
        try {
            // eslint-disable-next-line no-await-in-loop
            await test(name, body, {...opts, skip});
        } finally {
            shutdownAll();
        }
    }
}

for (const [name, body, opts] of knownBugs)
    // eslint-disable-next-line no-await-in-loop
    await test(name, body, opts);

done();

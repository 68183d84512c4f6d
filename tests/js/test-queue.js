// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Osiiso through GJS (raw introspection). Run as `gjs -m test-queue.js`; it
// prints TAP and exits non-zero if any test failed.
//
// JavaScript cannot run on a worker thread, so no JS function is ever
// submitted to a ThreadQueue here: these tests cover what GJS code touches
// of a queue (the typelib, options, enums, properties, signals, runs,
// the lifecycle and its errors) without tasks.
//
// Assertions happen only in test bodies, never inside signal handlers
// (a throw there would only be logged; see reference/toolchain.md, pitfall
// 3): handlers record, tests assert.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import Osiiso from 'gi://Osiiso?version=1.0';
import {test, assert, assertEqual, assertThrowsOsiiso, done} from './harness.js';

Gio._promisify(Osiiso.Queue.prototype, 'run_async', 'run_finish');
Gio._promisify(Osiiso.Queue.prototype, 'shutdown_async', 'shutdown_finish');

// ---------------------------------------------------------------------------
// Assertions of this file (the shared ones are in harness.js)
// ---------------------------------------------------------------------------

function assertClose(actual, expected, what = 'value') {
    if (Math.abs(actual - expected) > 1e-9)
        throw new Error(`${what}: expected ${expected}, got ${actual}`);
}

async function assertRejectsOsiiso(code, promise, what = 'call') {
    try {
        await promise;
    } catch (e) {
        if (!(e instanceof GLib.Error) || !e.matches(Osiiso.Error, code))
            throw new Error(`${what}: expected Osiiso.Error code ${code}, got ${e}`);
        return e;
    }
    throw new Error(`${what}: did not reject`);
}

function assertEmptySummary(summary, what = 'summary') {
    assert(summary instanceof Osiiso.RunSummary, `${what} is not an Osiiso.RunSummary`);
    assertEqual(summary.get_total(), 0, `${what} total`);
    assertEqual(summary.get_succeeded(), 0, `${what} succeeded`);
    assertEqual(summary.get_failed(), 0, `${what} failed`);
    assertEqual(summary.get_cancelled(), 0, `${what} cancelled`);
    assertEqual(summary.get_ok(), true, `${what} ok`);
    assertEqual(summary.get_timed_out(), false, `${what} timed out`);
    assertEqual(summary.get_results().length, 0, `${what} results`);
    assert(summary.get_duration() >= 0, `${what} duration`);
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

await test('the typelib loads and exposes the classes', () => {
    for (const name of ['Queue', 'ThreadQueue', 'TaskOptions', 'TaskHandle',
        'TaskResult', 'RunSummary', 'TaskContext'])
        assert(Osiiso[name] !== undefined, `Osiiso.${name} is missing`);
    assertEqual(GObject.type_name(Osiiso.ThreadQueue.$gtype), 'OsiisoThreadQueue', 'GType name');
    assert(GObject.type_is_a(Osiiso.ThreadQueue.$gtype, Osiiso.Queue.$gtype),
        'ThreadQueue is not a Queue');
    assert(GObject.type_test_flags(Osiiso.Queue.$gtype, GObject.TypeFlags.ABSTRACT),
        'Osiiso.Queue is not abstract');
    assertEqual(GLib.quark_to_string(Osiiso.error_quark()), 'osiiso-error-quark', 'error domain');
});

await test('the abstract queue cannot be instantiated', () => {
    let threw = false;
    try {
        new Osiiso.Queue();
    } catch (e) {
        threw = true;
    }
    assert(threw, 'new Osiiso.Queue() did not throw');
});

await test('enumerations', () => {
    assertEqual(Osiiso.QueueMode.FINITE, 0, 'QueueMode.FINITE');
    assertEqual(Osiiso.QueueMode.INFINITE, 1, 'QueueMode.INFINITE');
    assertEqual(Osiiso.FailPolicy.CONTINUE, 0, 'FailPolicy.CONTINUE');
    assertEqual(Osiiso.FailPolicy.FAIL_FIRST, 1, 'FailPolicy.FAIL_FIRST');
    assertEqual(Osiiso.ExitPolicy.COMPLETE_PRIORITY, 0, 'ExitPolicy.COMPLETE_PRIORITY');
    assertEqual(Osiiso.ExitPolicy.CANCEL, 1, 'ExitPolicy.CANCEL');
    const statuses = ['PENDING', 'SCHEDULED', 'RUNNING', 'RETRYING', 'SUCCEEDED',
        'FAILED', 'CANCELLED'];
    statuses.forEach((name, i) => assertEqual(Osiiso.TaskStatus[name], i, `TaskStatus.${name}`));
    assertEqual(Osiiso.RunFlags.NONE, 0, 'RunFlags.NONE');
    assertEqual(Osiiso.RunFlags.STRICT, 1, 'RunFlags.STRICT');
    assertEqual(Osiiso.RunFlags.FAIL_FIRST, 2, 'RunFlags.FAIL_FIRST');
    assertEqual(Osiiso.RunFlags.CONTINUE, 4, 'RunFlags.CONTINUE');
    const errors = ['FAILED', 'CLOSED', 'FULL', 'INVALID_OPTION', 'EXECUTION', 'TIMEOUT',
        'BUSY', 'NOT_READY'];
    errors.forEach((name, i) => assertEqual(Osiiso.Error[name], i, `Error.${name}`));
});

await test('TaskOptions defaults', () => {
    const opts = new Osiiso.TaskOptions();
    assertEqual(opts.priority, 3, 'priority');
    assertEqual(opts.retries, 0, 'retries');
    assertEqual(opts.retry_delay, 0, 'retry_delay');
    assertEqual(opts.backoff, 1, 'backoff');
    assertEqual(opts.timeout, -1, 'timeout');
    assertEqual(opts.delay, -1, 'delay');
    assertEqual(opts.run_at, -1, 'run_at');
    assertEqual(opts.must_complete, false, 'must_complete');
    assertEqual(opts.detached, false, 'detached');
    assertEqual(opts.name, null, 'name');
    assertEqual(opts.group_id, null, 'group_id');
    assertEqual(opts.metadata, null, 'metadata');
    assertEqual(opts.validate(), true, 'validate()');
    assertEqual(Osiiso.TaskOptions.new().priority, 3, 'TaskOptions.new().priority');
});

await test('TaskOptions from properties read back', () => {
    const opts = new Osiiso.TaskOptions({
        priority: 0, retries: 2, retry_delay: 0.25, backoff: 2.0, timeout: 1.5,
        must_complete: true, name: 'job', group_id: 'batch', detached: true,
        metadata: new GLib.Variant('a{sv}', {n: new GLib.Variant('i', 7)}),
    });
    assertEqual(opts.priority, 0, 'priority');
    assertEqual(opts.retries, 2, 'retries');
    assertClose(opts.retry_delay, 0.25, 'retry_delay');
    assertClose(opts.retryDelay, 0.25, 'retryDelay (camelCase)');
    assertClose(opts.backoff, 2.0, 'backoff');
    assertClose(opts.timeout, 1.5, 'timeout');
    assertEqual(opts.must_complete, true, 'must_complete');
    assertEqual(opts.mustComplete, true, 'mustComplete (camelCase)');
    assertEqual(opts.name, 'job', 'name');
    assertEqual(opts.group_id, 'batch', 'group_id');
    assertEqual(opts.detached, true, 'detached');
    assertEqual(opts.metadata.recursiveUnpack().n, 7, 'metadata');
    // The getters agree with the properties.
    assertEqual(opts.get_priority(), 0, 'get_priority()');
    assertEqual(opts.get_retries(), 2, 'get_retries()');
    assertEqual(opts.get_must_complete(), true, 'get_must_complete()');
    assertEqual(opts.get_name(), 'job', 'get_name()');
    assertEqual(opts.validate(), true, 'validate()');

    const delayed = new Osiiso.TaskOptions({delay: 0.5});
    assertClose(delayed.delay, 0.5, 'delay');
    const at = GLib.get_real_time() + 10000000;
    const scheduled = new Osiiso.TaskOptions({run_at: at});
    assertEqual(scheduled.run_at, at, 'run_at');
});

await test('invalid TaskOptions are refused by validate()', () => {
    const cases = {
        'negative retries': {retries: -1},
        'zero timeout': {timeout: 0},
        'negative timeout': {timeout: -2},
        'negative retry delay': {retry_delay: -0.5},
        'zero backoff': {backoff: 0},
        'negative delay': {delay: -3},
        'delay with run-at': {delay: 0.1, run_at: GLib.get_real_time() + 1000000},
    };
    for (const [what, props] of Object.entries(cases)) {
        const opts = new Osiiso.TaskOptions(props);
        const e = assertThrowsOsiiso(Osiiso.Error.INVALID_OPTION, () => opts.validate(), what);
        assert(e.message.length > 0, `${what}: empty message`);
    }
});

await test('queue construct properties read back', () => {
    const q = new Osiiso.ThreadQueue({
        workers: 3, size: 5, mode: Osiiso.QueueMode.INFINITE,
        fail_policy: Osiiso.FailPolicy.FAIL_FIRST, on_exit: Osiiso.ExitPolicy.CANCEL,
        timeout: 2.5, rate: 10, burst: 3, exit_timeout: 1, shutdown_grace: 0.5,
    });
    assertEqual(q.workers, 3, 'workers');
    assertEqual(q.get_workers(), 3, 'get_workers()');
    assertEqual(q.size, 5, 'size');
    assertEqual(q.mode, Osiiso.QueueMode.INFINITE, 'mode');
    assertEqual(q.fail_policy, Osiiso.FailPolicy.FAIL_FIRST, 'fail_policy');
    assertEqual(q.failPolicy, Osiiso.FailPolicy.FAIL_FIRST, 'failPolicy (camelCase)');
    assertEqual(q.on_exit, Osiiso.ExitPolicy.CANCEL, 'on_exit');
    assertClose(q.timeout, 2.5, 'timeout');
    assertClose(q.rate, 10, 'rate');
    assertEqual(q.burst, 3, 'burst');
    assertClose(q.exit_timeout, 1, 'exit_timeout');
    assertClose(q.shutdown_grace, 0.5, 'shutdown_grace');
});

await test('queue defaults and count properties', () => {
    const q = new Osiiso.ThreadQueue({workers: 2});
    assertEqual(q.mode, Osiiso.QueueMode.FINITE, 'mode');
    assertEqual(q.fail_policy, Osiiso.FailPolicy.CONTINUE, 'fail_policy');
    assertEqual(q.on_exit, Osiiso.ExitPolicy.COMPLETE_PRIORITY, 'on_exit');
    assertEqual(q.size, 0, 'size');
    assertEqual(q.timeout, -1, 'timeout');
    assertEqual(q.rate, 0, 'rate');
    assertEqual(q.burst, 1, 'burst');
    assertEqual(q.exit_timeout, -1, 'exit_timeout');
    for (const prop of ['pending', 'active', 'scheduled', 'completed'])
        assertEqual(q[prop], 0, prop);
    assertEqual(q.closed, false, 'closed');
    assertEqual(q.get_pending(), 0, 'get_pending()');
    assertEqual(q.get_active(), 0, 'get_active()');
    assertEqual(q.get_scheduled(), 0, 'get_scheduled()');
    assertEqual(q.get_completed(), 0, 'get_completed()');
    assertEqual(q.get_closed(), false, 'get_closed()');
    assert(q.get_main_context() !== null, 'main context');
    assertEqual(q.get_results().length, 0, 'history');

    assertEqual(Osiiso.ThreadQueue.new(4).workers, 4, 'ThreadQueue.new(4).workers');
    const auto = Osiiso.ThreadQueue.new(0).get_workers();
    const cpus = GLib.get_num_processors();
    assertEqual(auto, Math.max(4, Math.min(32, 4 * cpus)), 'automatic workers');
});

await test('connecting to the queue signals works', () => {
    const q = new Osiiso.ThreadQueue({workers: 1});
    const ids = [
        q.connect('task-started', (_q, handle) => void handle),
        q.connect('task-completed', (_q, result) => void result),
        q.connect('task-retrying', (_q, handle, error) => void error),
        q.connect('notify::closed', () => {}),
        q.connect('notify::pending', () => {}),
    ];
    for (const id of ids)
        assert(id > 0, `connect returned ${id}`);
    assertEqual(new Set(ids).size, ids.length, 'handler ids are distinct');
    for (const id of ids)
        q.disconnect(id);
    let threw = false;
    try {
        q.connect('no-such-signal', () => {});
    } catch (e) {
        threw = true;
    }
    assert(threw, 'connecting to an unknown signal did not throw');
});

await test('an empty blocking run', () => {
    const q = new Osiiso.ThreadQueue({workers: 2});
    const summary = q.run(null);
    assertEmptySummary(summary);
    assert(summary.to_string().includes('PASSED'), 'to_string() does not say PASSED');
    assertEqual(summary.check(true), true, 'check(true)');
    assertEqual(q.closed, false, 'closed after a run');
    // The queue stays usable: run again.
    assertEmptySummary(q.run_full(0, Osiiso.RunFlags.STRICT, null), 'second summary');
});

await test('an empty run through run_async and a promise', async () => {
    const q = new Osiiso.ThreadQueue({workers: 2});
    const summary = await q.run_async(0, Osiiso.RunFlags.NONE, null);
    assertEmptySummary(summary);
    assertEqual(q.closed, false, 'closed after a run');
    assertEmptySummary(await q.run_async(0, Osiiso.RunFlags.FAIL_FIRST, null), 'second summary');
});

await test('conflicting run flags are refused', async () => {
    const q = new Osiiso.ThreadQueue({workers: 1});
    await assertRejectsOsiiso(Osiiso.Error.INVALID_OPTION,
        q.run_async(0, Osiiso.RunFlags.FAIL_FIRST | Osiiso.RunFlags.CONTINUE, null),
        'run_async(FAIL_FIRST | CONTINUE)');
});

await test('an infinite run is busy until shut down', async () => {
    const q = new Osiiso.ThreadQueue({workers: 1, mode: Osiiso.QueueMode.INFINITE});
    const closedNotes = [];
    q.connect('notify::closed', () => closedNotes.push(q.closed));

    const running = q.run_async(30, Osiiso.RunFlags.NONE, null);
    assertThrowsOsiiso(Osiiso.Error.BUSY, () => q.run(null), 'run() during run_async()');
    assertThrowsOsiiso(Osiiso.Error.BUSY, () => q.reset(), 'reset() during run_async()');
    await assertRejectsOsiiso(Osiiso.Error.BUSY,
        q.run_async(0, Osiiso.RunFlags.NONE, null), 'a second run_async()');

    assertEqual(q.shutdown(false, null), true, 'shutdown()');
    const summary = await running;
    assertEmptySummary(summary, 'summary of the shut-down run');
    assertEqual(q.closed, true, 'closed');
    assertEqual(closedNotes.join(), 'true', 'notify::closed');
});

await test('an infinite run ends at its timeout, closed', async () => {
    const q = new Osiiso.ThreadQueue({workers: 1, mode: Osiiso.QueueMode.INFINITE});
    const summary = await q.run_async(0.2, Osiiso.RunFlags.NONE, null);
    assertEqual(summary.get_timed_out(), true, 'timed out');
    assertEqual(summary.get_ok(), false, 'ok');
    assertEqual(summary.get_total(), 0, 'total');
    assert(summary.to_string().includes('TIMED OUT'), 'to_string() does not say TIMED OUT');
    assertEqual(q.closed, true, 'closed');
    assertEqual(q.reset(), true, 'reset()');
    assertEqual(q.closed, false, 'closed after reset()');
});

await test('shutdown closes the queue; run then fails with CLOSED; reset reopens', () => {
    const q = new Osiiso.ThreadQueue({workers: 2});
    const closedNotes = [];
    q.connect('notify::closed', obj => closedNotes.push(obj.closed));

    assertEqual(q.shutdown(false, null), true, 'shutdown()');
    assertEqual(q.closed, true, 'closed');
    assertEqual(closedNotes.join(), 'true', 'notify::closed after shutdown');
    assertEqual(q.shutdown(true, null), true, 'shutting down a closed queue');

    const e = assertThrowsOsiiso(Osiiso.Error.CLOSED, () => q.run(null), 'run() after shutdown');
    assert(e.matches(Osiiso.error_quark(), Osiiso.Error.CLOSED), 'matches by quark');
    assertThrowsOsiiso(Osiiso.Error.CLOSED, () => q.start(), 'start() after shutdown');

    assertEqual(q.reset(), true, 'reset()');
    assertEqual(q.closed, false, 'closed after reset()');
    assertEqual(closedNotes.join(), 'true,false', 'notify::closed after reset');
    assertEmptySummary(q.run(null), 'summary after reset');
});

await test('forced shutdown through shutdown_async', async () => {
    const q = new Osiiso.ThreadQueue({workers: 1});
    assertEqual(q.start(), true, 'start()');
    assertEqual(await q.shutdown_async(true, null), true, 'shutdown_async(force)');
    assertEqual(q.closed, true, 'closed');
    await assertRejectsOsiiso(Osiiso.Error.CLOSED,
        q.run_async(0, Osiiso.RunFlags.NONE, null), 'run_async() after shutdown');
});

await test('cancel() closes an idle queue', () => {
    const q = new Osiiso.ThreadQueue({workers: 1});
    q.start();
    q.cancel();
    assertEqual(q.join(null), true, 'join()');
    assertEqual(q.closed, true, 'closed after cancel()');
});

await test('invalid queue settings are refused at start', () => {
    const q = new Osiiso.ThreadQueue({workers: 1, burst: 0});
    assertThrowsOsiiso(Osiiso.Error.INVALID_OPTION, () => q.start(), 'start() with burst 0');
    const r = new Osiiso.ThreadQueue({workers: 1, rate: -1});
    assertThrowsOsiiso(Osiiso.Error.INVALID_OPTION, () => r.run(null), 'run() with rate -1');
});

done();

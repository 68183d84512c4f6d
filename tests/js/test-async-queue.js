// SPDX-License-Identifier: LGPL-2.1-or-later
//
// JavaScript tasks on an Osiiso.AsyncQueue, through the shipped ES module
// (osiiso-glib/osiiso.js). Run as `gjs -m test-async-queue.js` with
// OSIISO_JS_MODULE set to the module's URI (tests/meson.build does); it
// prints TAP and exits non-zero if any test failed.
//
// Assertions happen only in test bodies, never inside task functions,
// signal handlers or main loop callbacks (a throw there would only be
// logged; see reference/toolchain.md, pitfall 3): those record, tests
// assert. Nothing sleeps to synchronize: tests wait on promises that the
// tasks, handles and runs resolve. Timeouts inside tasks are the work
// being measured, and timing checks are lower bounds with wide margins.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import Osiiso from 'gi://Osiiso?version=1.0';
import System from 'system';
import {
    test, assert, assertSameValue as assertEqual, assertArrayEqual, assertError,
    assertThrowsGError, assertRejectsGError, done,
} from './harness.js';

const moduleUri = GLib.getenv('OSIISO_JS_MODULE');
if (!moduleUri) {
    print('1..0 # SKIP OSIISO_JS_MODULE is not set');
    System.exit(0);
}
const Osiiso_js = await import(moduleUri);
const {submit, taskOptions, run, wait, shutdown, resultValue, toGValue, toGError} = Osiiso_js;

Gio._promisify(Gio.Subprocess.prototype, 'communicate_utf8_async', 'communicate_utf8_finish');
Gio._promisify(Gio.File.prototype, 'load_contents_async', 'load_contents_finish');

const Status = Osiiso.TaskStatus;

// ---------------------------------------------------------------------------
// Assertions of this file (the shared ones are in harness.js)
// ---------------------------------------------------------------------------

function assertStatus(handle, status, what = 'task') {
    const actual = handle.get_status();
    if (actual !== status) {
        const result = handle.get_result();
        const message = result?.get_message() ?? '';
        throw new Error(`${what}: expected status ${status}, got ${actual} ${message}`);
    }
}

// ---------------------------------------------------------------------------
// Helpers: promises, never sleeps for synchronization
// ---------------------------------------------------------------------------

const now = () => GLib.get_monotonic_time() / 1e6;

function deferred() {
    let resolve, reject;
    const promise = new Promise((res, rej) => {
        resolve = res;
        reject = rej;
    });
    return {promise, resolve, reject};
}

// A promise that never settles: an operation that never completes.
const never = () => new Promise(() => {});

// Resolves after @ms on the main context, or rejects with CANCELLED when
// @cancellable is cancelled: the "work" of many test tasks.
function sleep(ms, cancellable = null) {
    return new Promise((resolve, reject) => {
        let timer = 0;
        let handler = 0;
        timer = GLib.timeout_add(GLib.PRIORITY_DEFAULT, ms, () => {
            timer = 0;
            if (handler !== 0)
                cancellable.disconnect(handler);
            resolve();
            return GLib.SOURCE_REMOVE;
        });
        if (cancellable !== null) {
            // Runs at once if already cancelled. Never disconnect from
            // inside the handler (that deadlocks in GLib).
            handler = cancellable.connect(() => {
                if (timer !== 0) {
                    GLib.source_remove(timer);
                    timer = 0;
                    reject(new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, 'sleep cancelled'));
                }
            });
        }
    });
}

// Records the queue's signals per task id, in order; checks that each one
// arrives on the thread that runs the queue's main context.
function recordSignals(queue) {
    const rec = {events: new Map(), offThread: 0, retryErrors: new Map(), completed: []};
    const push = (id, what) => {
        if (!queue.get_main_context().is_owner())
            rec.offThread++;
        const key = String(id);
        if (!rec.events.has(key))
            rec.events.set(key, []);
        rec.events.get(key).push(what);
    };
    queue.connect('task-started', (_q, handle) => push(handle.get_id(), 'started'));
    queue.connect('task-retrying', (_q, handle, error) => {
        push(handle.get_id(), 'retrying');
        const key = String(handle.get_id());
        if (!rec.retryErrors.has(key))
            rec.retryErrors.set(key, []);
        rec.retryErrors.get(key).push(error?.message ?? null);
    });
    queue.connect('task-completed', (_q, result) => {
        push(result.get_task_id(), 'completed');
        rec.completed.push(result.get_name());
    });
    rec.of = handle => rec.events.get(String(handle.get_id())) ?? [];
    return rec;
}

// Runs @source as an ES module in a child gjs (same typelib and library
// paths) with @env added; resolves with [exit status or null, output].
async function runChild(source, env = {}) {
    const dir = GLib.dir_make_tmp('osiiso-js-XXXXXX');
    const path = GLib.build_filenamev([dir, 'child.js']);
    GLib.file_set_contents(path, source);
    try {
        const launcher = new Gio.SubprocessLauncher({
            flags: Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_MERGE,
        });
        for (const [name, value] of Object.entries(env))
            launcher.setenv(name, value, true);
        const proc = launcher.spawnv([GLib.find_program_in_path('gjs'), '-m', path]);
        const [stdout] = await proc.communicate_utf8_async(null, null);
        const status = proc.get_if_exited() ? proc.get_exit_status() : null;
        return [status, stdout ?? ''];
    } finally {
        GLib.unlink(path);
        GLib.rmdir(dir);
    }
}

// ---------------------------------------------------------------------------
// The module
// ---------------------------------------------------------------------------

await test('the module exports its helpers', () => {
    for (const name of ['submit', 'taskOptions', 'run', 'wait', 'shutdown', 'map',
        'resultValue', 'toGValue', 'toGError'])
        assertEqual(typeof Osiiso_js[name], 'function', `typeof ${name}`);
    // The prototypes it promisified still take callbacks.
    const q = new Osiiso.AsyncQueue({workers: 1});
    const loop = new GLib.MainLoop(null, false);
    let summary = null;
    q.run_async(0, Osiiso.RunFlags.NONE, null, (obj, res) => {
        summary = obj.run_finish(res);
        loop.quit();
    });
    loop.run();
    assert(summary instanceof Osiiso.RunSummary, 'callback form of run_async()');
});

await test('taskOptions() takes camelCase, snake_case and kebab-case names', () => {
    const opts = taskOptions({
        priority: 0, mustComplete: true, retry_delay: 0.25, 'retry-delay': 0.25,
        backoff: 2, retries: 3, timeout: 1.5, name: 'job', groupId: 'g', detached: true,
        metadata: new GLib.Variant('s', 'meta'),
    });
    assert(opts instanceof Osiiso.TaskOptions, 'not an Osiiso.TaskOptions');
    assertEqual(opts.priority, 0, 'priority');
    assertEqual(opts.must_complete, true, 'must_complete');
    assertEqual(opts.retry_delay, 0.25, 'retry_delay');
    assertEqual(opts.backoff, 2, 'backoff');
    assertEqual(opts.retries, 3, 'retries');
    assertEqual(opts.timeout, 1.5, 'timeout');
    assertEqual(opts.name, 'job', 'name');
    assertEqual(opts.group_id, 'g', 'group_id');
    assertEqual(opts.detached, true, 'detached');
    assertEqual(opts.metadata.unpack(), 'meta', 'metadata');

    const when = new Date(Date.now() + 60000);
    assertEqual(taskOptions({runAt: when}).run_at, when.getTime() * 1000, 'runAt from a Date');
    assertEqual(taskOptions({delay: 0.5}).delay, 0.5, 'delay');

    assertEqual(taskOptions(opts), opts, 'an Osiiso.TaskOptions is returned as is');
    assertEqual(taskOptions(null), null, 'null');
    assertEqual(taskOptions(), null, 'no argument');

    let threw = null;
    try {
        taskOptions({retryDelya: 1});
    } catch (e) {
        threw = e;
    }
    assert(threw instanceof TypeError && threw.message.includes('retryDelya'),
        `an unknown option: ${threw}`);
});

await test('invalid options and bad arguments are refused at submit', () => {
    const q = new Osiiso.AsyncQueue({workers: 1});
    let called = false;
    assertThrowsGError(Osiiso.Error, Osiiso.Error.INVALID_OPTION,
        () => submit(q, () => (called = true), {retries: -1}), 'retries -1');
    assertThrowsGError(Osiiso.Error, Osiiso.Error.INVALID_OPTION,
        () => submit(q, () => (called = true), {timeout: 0}), 'timeout 0');
    for (const [what, call] of [
        ['a non-function', () => submit(q, 42)],
        ['a non-queue', () => submit({}, () => 1)],
        ['a thread queue', () => submit(new Osiiso.ThreadQueue({workers: 1}), () => 1)],
    ]) {
        let threw = null;
        try {
            call();
        } catch (e) {
            threw = e;
        }
        assert(threw instanceof TypeError, `${what}: expected a TypeError, got ${threw}`);
    }
    assertEqual(q.get_pending(), 0, 'nothing queued');
    assertEqual(called, false, 'a refused function ran');
});

// ---------------------------------------------------------------------------
// Functions, values and errors
// ---------------------------------------------------------------------------

await test('a plain JS function is a task: its return value is the task value', async () => {
    const q = new Osiiso.AsyncQueue({workers: 2});
    const seen = [];
    const h = submit(q, ctx => {
        seen.push(ctx instanceof Osiiso.TaskContext, ctx.get_attempt(), ctx.get_name(),
            ctx.get_metadata()?.unpack() ?? null);
        return 6 * 7;
    }, {name: 'answer', metadata: new GLib.Variant('i', 9)});
    assert(h instanceof Osiiso.TaskHandle, 'submit() did not return a handle');
    assertEqual(h.get_name(), 'answer', 'handle name');

    const summary = await run(q);
    assertArrayEqual(seen, [true, 1, 'answer', 9], 'what the function saw');
    assertStatus(h, Status.SUCCEEDED);
    const result = h.get_result();
    assertEqual(result.get_value(), 42, 'value');
    assertEqual(result.get_attempts(), 1, 'attempts');
    assertEqual(result.get_error(), null, 'error');
    assertEqual(summary.get_total(), 1, 'total');
    assertEqual(summary.get_succeeded(), 1, 'succeeded');
    assertEqual(summary.get_ok(), true, 'ok');
});

await test('async functions and promise-returning functions are tasks', async () => {
    const q = new Osiiso.AsyncQueue({workers: 4});
    const a = submit(q, async ctx => {
        await sleep(20, ctx.get_cancellable());
        return 'slept';
    });
    const b = submit(q, () => sleep(10).then(() => ({n: 1})));
    const c = submit(q, async () => {
        const file = Gio.File.new_for_path(GLib.get_current_dir());
        const info = await new Promise((resolve, reject) => {
            file.query_info_async('standard::type', Gio.FileQueryInfoFlags.NONE,
                GLib.PRIORITY_DEFAULT, null, (f, res) => {
                    try {
                        resolve(f.query_info_finish(res));
                    } catch (e) {
                        reject(e);
                    }
                });
        });
        return info.get_file_type() === Gio.FileType.DIRECTORY;
    });
    const d = submit(q, () => undefined);
    const summary = await run(q);
    assertEqual(summary.get_succeeded(), 4, `succeeded\n${summary.to_string()}`);
    assertEqual(a.get_result().get_value(), 'slept', 'async function value');
    assertEqual(b.get_result().get_value().n, 1, 'promise value');
    assertEqual(c.get_result().get_value(), true, 'GIO result');
    assertStatus(d, Status.SUCCEEDED, 'a function returning undefined');
    assertEqual(d.get_result().get_value(), null, 'no value');
});

await test('values round-trip: numbers, strings, booleans, objects', async () => {
    const q = new Osiiso.AsyncQueue({workers: 4});
    const plain = {a: 1, nested: {b: [2]}};
    const array = [1, 'two', {three: 3}];
    const map = new Map([['k', 'v']]);
    const instance = new (class Point {
        constructor() {
            this.x = 1;
        }
    })();
    const fn = () => 'f';
    const file = Gio.File.new_for_path('/tmp');
    const cases = [
        ['zero', 0], ['int', 42], ['negative', -7], ['2^40', 2 ** 40],
        ['max safe', Number.MAX_SAFE_INTEGER], ['double', 3.5], ['negative double', -0.25],
        ['big double', 1e300], ['Infinity', Infinity], ['NaN', NaN],
        ['string', 'héllo ✓'], ['empty string', ''], ['true', true], ['false', false],
        ['null', null, null], ['undefined', undefined, null],
        ['plain object', plain], ['array', array], ['Map', map], ['class instance', instance],
        ['function', fn], ['GObject', file], ['BigInt', 5n, 5],
        ['wrapped number', new Number(8), 8], ['wrapped false', new Boolean(false), false],
    ];
    const handles = cases.map(([name, value]) => submit(q, async () => value, {name}));
    const variant = submit(q, () => new GLib.Variant('(si)', ['v', 1]));
    const bytes = submit(q, () => new GLib.Bytes([1, 2, 3]));
    await run(q);

    cases.forEach(([name, value, expected = value], i) => {
        assertStatus(handles[i], Status.SUCCEEDED, name);
        assertEqual(handles[i].get_result().get_value(), expected, name);
    });
    assertStatus(variant, Status.SUCCEEDED, 'variant');
    assertArrayEqual(variant.get_result().get_value().deepUnpack(), ['v', 1], 'variant');
    assertStatus(bytes, Status.SUCCEEDED, 'bytes');
    assertArrayEqual(Array.from(bytes.get_result().get_value().toArray()), [1, 2, 3], 'bytes');
    // The same JS object comes back, also after a garbage collection.
    System.gc();
    assertEqual(handles[16].get_result().get_value(), plain, 'plain object after GC');
    assertEqual(handles[16].get_result().get_value().nested.b[0], 2, 'nested contents');
});

await test('toGValue() picks the documented GTypes', () => {
    const typeOf = v => GObject.type_name(toGValue(v).g_type);
    assertEqual(typeOf(1), 'gint64', 'integer');
    assertEqual(typeOf(-(2 ** 53) + 1), 'gint64', 'min safe integer');
    assertEqual(typeOf(2 ** 53), 'gdouble', 'beyond safe integers');
    assertEqual(typeOf(0.5), 'gdouble', 'fraction');
    assertEqual(typeOf(-0), 'gdouble', '-0');
    assertEqual(typeOf(true), 'gboolean', 'boolean');
    assertEqual(typeOf('s'), 'gchararray', 'string');
    assertEqual(typeOf(-5n), 'gint64', 'BigInt');
    assertEqual(typeOf(2n ** 63n), 'guint64', 'large BigInt');
    assertEqual(typeOf({}), 'JSObject', 'object');
    assertEqual(typeOf([]), 'JSObject', 'array');
    assertEqual(toGValue(null), null, 'null');
    assertEqual(toGValue(undefined), null, 'undefined');
    const variant = new GLib.Variant('i', 1);
    assertEqual(toGValue(variant), variant, 'variant is passed as is');
    let threw = null;
    try {
        toGValue(Symbol('s'));
    } catch (e) {
        threw = e;
    }
    assert(threw instanceof TypeError, `a Symbol: ${threw}`);
});

await test('a throw or a rejection fails the task with its message, never SUCCEEDED', async () => {
    const q = new Osiiso.AsyncQueue({workers: 4});
    const thrown = submit(q, () => {
        throw new Error('sync boom');
    });
    const typeError = submit(q, () => null.property);
    const rejected = submit(q, async () => {
        await sleep(5);
        throw new RangeError('async boom');
    });
    const rejectedString = submit(q, () => Promise.reject('just a string'));
    const thrownObject = submit(q, () => {
        throw {toString: () => 'an odd object'};
    });
    const badValue = submit(q, () => Symbol('unrepresentable'));
    const summary = await run(q);

    for (const [what, h, message] of [
        ['throw', thrown, 'sync boom'],
        ['rejection', rejected, 'async boom'],
        ['string rejection', rejectedString, 'just a string'],
        ['thrown object', thrownObject, 'an odd object'],
    ]) {
        assertStatus(h, Status.FAILED, what);
        const result = h.get_result();
        assertError(result.get_error(), Osiiso.Error, Osiiso.Error.FAILED, what);
        assertEqual(result.get_error().message, message, `${what}: error message`);
        assertEqual(result.get_message(), message, `${what}: result message`);
        assertEqual(result.get_value(), null, `${what}: value`);
    }
    assertStatus(typeError, Status.FAILED, 'TypeError');
    assert(typeError.get_result().get_message().length > 0, 'TypeError message');
    assertStatus(badValue, Status.FAILED, 'a Symbol value');
    assert(badValue.get_result().get_message().includes('Symbol'), 'Symbol message');
    assertEqual(summary.get_failed(), 6, 'failed');
    assertEqual(summary.get_succeeded(), 0, 'succeeded');
    assertEqual(summary.get_ok(), false, 'ok');
    assertThrowsGError(Osiiso.Error, Osiiso.Error.EXECUTION, () => summary.check(false), 'check()');
});

await test('a GLib.Error keeps its domain, code and message', async () => {
    const q = new Osiiso.AsyncQueue({workers: 4});
    const sync = submit(q, () => {
        throw new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.PERMISSION_DENIED, 'no access');
    });
    const async_ = submit(q, async () => {
        await sleep(5);
        throw new GLib.Error(Gio.ResolverError, Gio.ResolverError.NOT_FOUND, 'no such host');
    });
    const gio = submit(q, async ctx => {
        const file = Gio.File.new_for_path('/nonexistent/osiiso/file');
        return await file.load_contents_async(ctx.get_cancellable());
    });
    const osiiso = submit(q, () => Promise.reject(
        new GLib.Error(Osiiso.Error, Osiiso.Error.BUSY, 'custom busy')));
    await run(q);

    assertStatus(sync, Status.FAILED, 'sync');
    assertError(sync.get_result().get_error(), Gio.IOErrorEnum, Gio.IOErrorEnum.PERMISSION_DENIED, 'sync');
    assertEqual(sync.get_result().get_error().message, 'no access', 'sync message');
    assertStatus(async_, Status.FAILED, 'async');
    assertError(async_.get_result().get_error(), Gio.ResolverError, Gio.ResolverError.NOT_FOUND, 'async');
    assertEqual(async_.get_result().get_message(), 'no such host', 'async message');
    assertStatus(gio, Status.FAILED, 'GIO');
    assertError(gio.get_result().get_error(), Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND, 'GIO');
    assertStatus(osiiso, Status.FAILED, 'osiiso');
    assertError(osiiso.get_result().get_error(), Osiiso.Error, Osiiso.Error.BUSY, 'osiiso');
});

await test('toGError() maps errors', () => {
    const gerror = new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.EXISTS, 'exists');
    assertEqual(toGError(gerror), gerror, 'a GLib.Error is kept');
    const e = toGError(new TypeError('bad type'));
    assertError(e, Osiiso.Error, Osiiso.Error.FAILED, 'TypeError');
    assertEqual(e.message, 'bad type', 'message');
    assertEqual(toGError(new Error('')).message, 'Error', 'an empty message names the error');
    assertEqual(toGError(17).message, '17', 'a number');
});

await test('resultValue() gives the value or throws the task error', async () => {
    const q = new Osiiso.AsyncQueue({workers: 1});
    const gate = deferred();
    const ok = submit(q, () => 'fine');
    const bad = submit(q, () => {
        throw new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.BUSY, 'busy');
    });
    const blocker = submit(q, () => gate.promise);
    const queued = submit(q, () => 'never runs');
    assertThrowsGError(Osiiso.Error, Osiiso.Error.NOT_READY, () => resultValue(queued), 'not ready');
    queued.cancel();
    gate.resolve();
    await run(q);
    assertStatus(blocker, Status.SUCCEEDED, 'blocker');
    assertEqual(resultValue(ok), 'fine', 'value from a handle');
    assertEqual(resultValue(ok.get_result()), 'fine', 'value from a result');
    assertThrowsGError(Gio.IOErrorEnum, Gio.IOErrorEnum.BUSY, () => resultValue(bad), 'failed');
    assertThrowsGError(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, () => resultValue(queued), 'cancelled');
});

await test('map() submits one task per input, in input order', async () => {
    const q = new Osiiso.AsyncQueue({workers: 3});
    const handles = Osiiso_js.map(q, async (n, ctx) => {
        await sleep(30 - 5 * n, ctx.get_cancellable());
        return n * n;
    }, [1, 2, 3, 4, 5], {retries: 1});
    await run(q);
    assertArrayEqual(handles.map(resultValue), [1, 4, 9, 16, 25], 'values');
});

// ---------------------------------------------------------------------------
// Scheduling
// ---------------------------------------------------------------------------

await test('workers=1 runs by priority, FIFO among equals', async () => {
    const q = new Osiiso.AsyncQueue({workers: 1});
    const order = [];
    let inFlight = 0, maxInFlight = 0;
    const specs = [['a', 5], ['b', 1], ['c', 3], ['d', 1], ['e', 0], ['f', 3], ['g', 5], ['h', 0]];
    for (const [name, priority] of specs) {
        submit(q, async () => {
            order.push(name);
            maxInFlight = Math.max(maxInFlight, ++inFlight);
            await sleep(2);
            inFlight--;
        }, {name, priority});
    }
    const summary = await run(q);
    assertEqual(summary.get_succeeded(), specs.length, 'succeeded');
    assertArrayEqual(order, ['e', 'h', 'b', 'd', 'c', 'f', 'a', 'g'], 'start order');
    assertEqual(maxInFlight, 1, 'in flight at once');
});

await test('the worker limit bounds the operations in flight', async () => {
    const q = new Osiiso.AsyncQueue({workers: 3});
    let inFlight = 0, maxInFlight = 0, maxActive = 0;
    const handles = [];
    for (let i = 0; i < 12; i++) {
        handles.push(submit(q, async ctx => {
            maxInFlight = Math.max(maxInFlight, ++inFlight);
            maxActive = Math.max(maxActive, q.get_active());
            try {
                await sleep(30, ctx.get_cancellable());
            } finally {
                inFlight--;
            }
            return i;
        }));
    }
    const summary = await run(q);
    assertEqual(summary.get_succeeded(), 12, 'succeeded');
    assertEqual(maxInFlight, 3, 'most operations in flight');
    assert(maxActive <= 3, `queue.active reached ${maxActive}`);
    assertArrayEqual(handles.map(resultValue), [...Array(12).keys()], 'values');
});

// ---------------------------------------------------------------------------
// Timeouts
// ---------------------------------------------------------------------------

await test('an operation that never completes times out; a later resolution is dropped', async () => {
    const q = new Osiiso.AsyncQueue({workers: 2});
    const late = deferred();
    let context = null;
    let calls = 0;
    const h = submit(q, ctx => {
        calls++;
        context = ctx;
        return late.promise;   // settles only after the attempt ended
    }, {timeout: 0.1, name: 'stuck'});
    const forever = submit(q, never, {timeout: 0.1, retries: 1, name: 'forever'});
    const t0 = now();
    const summary = await run(q);
    const elapsed = now() - t0;

    assertStatus(h, Status.FAILED, 'stuck');
    const result = h.get_result();
    assertError(result.get_error(), Osiiso.Error, Osiiso.Error.TIMEOUT, 'stuck');
    assert(result.get_message().includes('stuck'), `message: ${result.get_message()}`);
    assertEqual(result.get_attempts(), 1, 'attempts');
    assert(result.get_duration() >= 0.09, `duration ${result.get_duration()}`);
    assert(elapsed >= 0.18, `the run took ${elapsed}s, less than two 0.1 s timeouts`);
    assertEqual(context.get_cancellable().is_cancelled(), true, 'the attempt was cancelled');
    assertEqual(context.is_cancelled(), true, 'ctx.is_cancelled()');

    assertStatus(forever, Status.FAILED, 'forever');
    assertEqual(forever.get_result().get_attempts(), 2, 'each retry gets a fresh window');
    assertError(forever.get_result().get_error(), Osiiso.Error, Osiiso.Error.TIMEOUT, 'forever');
    assertEqual(summary.get_failed(), 2, 'failed');

    // The late outcome reaches the wrapper after the attempt ended.
    late.resolve('too late');
    await late.promise;
    assertStatus(h, Status.FAILED, 'after the late resolution');
    assertEqual(h.get_result().get_value(), null, 'value after the late resolution');
    assertEqual(calls, 1, 'attempts made');
    assertEqual(q.get_results().length, 2, 'history');
    const again = await run(q);
    assertEqual(again.get_total(), 0, 'nothing reported twice');
});

await test('the context stays usable after its attempt ended', async () => {
    // GJS does not reference boxed callback arguments; the module does, so
    // a function may use ctx after its attempt timed out (and was completed
    // for it). MALLOC_PERTURB_ (meson) or valgrind expose a dangling one.
    const q = new Osiiso.AsyncQueue({workers: 1});
    const done = deferred();
    const contexts = [];
    const h = submit(q, async ctx => {
        contexts.push(ctx);
        await sleep(150);   // ignores its cancellable on purpose
        done.resolve({
            attempt: ctx.get_attempt(), id: ctx.get_task_id(), name: ctx.get_name(),
            interrupted: ctx.is_cancelled(), cancelled: ctx.get_cancellable().is_cancelled(),
        });
        return 'ignored';
    }, {timeout: 0.05, retries: 1, name: 'outlives'});
    await run(q);
    assertStatus(h, Status.FAILED, 'task');
    assertEqual(contexts.length, 2, 'attempts');
    assert(contexts[0] !== contexts[1], 'each attempt has its own context');
    const seen = await done.promise;
    assertEqual(seen.attempt, 1, 'attempt');
    assertEqual(String(seen.id), String(h.get_id()), 'task id');
    assertEqual(seen.name, 'outlives', 'name');
    assertEqual(seen.interrupted, true, 'is_cancelled()');
    assertEqual(seen.cancelled, true, 'cancellable');
    System.gc();
    assertEqual(contexts[1].get_attempt(), 2, 'the second context after GC');
});

await test('abandoned attempts are completed although their promise never settles', async () => {
    // The queue logs a debug message for each completion it drops: one per
    // attempt it ended whose operation then completed. The module completes
    // every abandoned attempt whose promise is still pending (three timed-out
    // attempts, one cancelled, one ended by a forced shutdown), and drops
    // the outcome of a promise that settles later without a second
    // completion (which would be a critical, fatal here).
    const [status, output] = await runChild(`
        import GLib from 'gi://GLib';
        import Osiiso from 'gi://Osiiso?version=1.0';
        const M = await import(${JSON.stringify(moduleUri)});
        const q = new Osiiso.AsyncQueue({workers: 3});
        let release;
        const late = new Promise(resolve => (release = resolve));
        const timedOut = M.submit(q, () => new Promise(() => {}), {timeout: 0.05, retries: 2});
        const cancelled = M.submit(q, () => late);
        const started = M.submit(q, async () => {
            cancelled.cancel();
            return 'ok';
        });
        await M.run(q);
        let onStart;
        const begun = new Promise(resolve => (onStart = resolve));
        const shutDown = M.submit(q, () => {
            onStart();
            return late;
        });
        const running = M.run(q);
        await begun;
        q.cancel();
        await running;
        release('too late');
        await late;
        print('statuses', timedOut.get_status(), cancelled.get_status(), started.get_status(),
            shutDown.get_status());
    `, {G_MESSAGES_DEBUG: 'Osiiso', G_DEBUG: 'fatal-warnings'});
    assertEqual(status, 0, `child exit status; output:\n${output}`);
    const Fa = Status.FAILED, C = Status.CANCELLED, S = Status.SUCCEEDED;
    assert(output.includes(`statuses ${Fa} ${C} ${S} ${C}`), `statuses; output:\n${output}`);
    const drops = output.split('\n').filter(line => line.includes('Dropping the late outcome'));
    assertEqual(drops.length, 5, `dropped completions; output:\n${output}`);
});

await test('a task can force the shutdown of its own queue', async () => {
    const q = new Osiiso.AsyncQueue({workers: 2});
    const other = submit(q, ctx => sleep(60000, ctx.get_cancellable()), {priority: 0});
    const queued = submit(q, () => 'queued', {priority: 9});
    const self = submit(q, async () => {
        await sleep(1);
        q.cancel();
        return 'after cancel';
    }, {priority: 0});
    const summary = await run(q);
    assertStatus(self, Status.CANCELLED, 'the cancelling task');
    assertStatus(other, Status.CANCELLED, 'the other running task');
    assertStatus(queued, Status.CANCELLED, 'the queued task');
    assertEqual(summary.get_cancelled(), 3, 'cancelled');
    assertEqual(q.closed, true, 'closed');
});

await test('raw introspection: a completion after the timeout is dropped by the queue', async () => {
    // No wrapper: the task function keeps its context and completes it late.
    const q = new Osiiso.AsyncQueue({workers: 1});
    let context = null;
    const h = q.submit(ctx => {
        context = ctx;
        return true;
    }, new Osiiso.TaskOptions({timeout: 0.1}));
    await run(q);
    assertStatus(h, Status.FAILED, 'timed-out task');
    assertError(h.get_result().get_error(), Osiiso.Error, Osiiso.Error.TIMEOUT, 'error');
    // Late: dropped with a debug message, no critical (fatal-warnings here).
    const value = new GObject.Value();
    value.init(GObject.TYPE_STRING);
    value.set_string('late');
    context.return_value(value);
    assertStatus(h, Status.FAILED, 'after the late completion');
    assertEqual(h.get_result().get_value(), null, 'value');
    const next = submit(q, () => 'next');
    await run(q);
    assertEqual(resultValue(next), 'next', 'the queue goes on');
});

// ---------------------------------------------------------------------------
// Cancellation
// ---------------------------------------------------------------------------

await test('cancel while running and while queued', async () => {
    const q = new Osiiso.AsyncQueue({workers: 1});
    const started = deferred();
    let queuedCalls = 0;
    let sawCancel = null;
    const running = submit(q, async ctx => {
        started.resolve(ctx);
        try {
            await sleep(60000, ctx.get_cancellable());
        } catch (e) {
            sawCancel = e;
            throw e;
        }
        return 'not cancelled';
    }, {name: 'running', mustComplete: true});
    const queued = submit(q, () => {
        queuedCalls++;
    }, {name: 'queued'});
    const after = submit(q, () => 'after');
    const runDone = run(q);

    const ctx = await started.promise;
    assertStatus(queued, Status.PENDING, 'queued before the cancel');
    assertEqual(queued.cancel(), true, 'cancel() of the queued task');
    assertStatus(queued, Status.CANCELLED, 'queued');
    assertEqual(running.cancel(), true, 'cancel() of the running task (must-complete too)');
    assertStatus(running, Status.CANCELLED, 'running');
    assertEqual(ctx.get_cancellable().is_cancelled(), true, 'its cancellable');
    assertEqual(running.cancel(), false, 'a second cancel()');

    const summary = await runDone;
    assertEqual(queuedCalls, 0, 'the queued function ran');
    assertEqual(resultValue(after), 'after', 'the next task ran');
    const runningResult = running.get_result();
    assertError(runningResult.get_error(), Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, 'running');
    assertEqual(runningResult.get_attempts(), 1, 'running attempts');
    const queuedResult = queued.get_result();
    assertError(queuedResult.get_error(), Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, 'queued');
    assertEqual(queuedResult.get_attempts(), 0, 'queued attempts');
    assert(queuedResult.get_message().length > 0, 'queued message');
    assertError(sawCancel, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, 'what the task saw');
    assertEqual(summary.get_cancelled(), 2, 'cancelled');
    assertEqual(summary.get_succeeded(), 1, 'succeeded');
});

// ---------------------------------------------------------------------------
// Retries
// ---------------------------------------------------------------------------

await test('retries with delay and backoff', async () => {
    const q = new Osiiso.AsyncQueue({workers: 2});
    const rec = recordSignals(q);
    const times = [];
    const attempts = [];
    const flaky = submit(q, async ctx => {
        times.push(now());
        attempts.push(ctx.get_attempt());
        await sleep(1);
        if (ctx.get_attempt() < 3)
            throw new Error(`attempt ${ctx.get_attempt()} failed`);
        return 'third time lucky';
    }, {retries: 3, retryDelay: 0.1, backoff: 2, name: 'flaky'});
    const hopeless = submit(q, ctx => {
        throw new Error(`hopeless ${ctx.get_attempt()}`);
    }, {retries: 2, retryDelay: 0.01});
    const summary = await run(q);

    assertStatus(flaky, Status.SUCCEEDED, 'flaky');
    assertEqual(resultValue(flaky), 'third time lucky', 'value');
    assertArrayEqual(attempts, [1, 2, 3], 'ctx.get_attempt()');
    assertEqual(flaky.get_attempts(), 3, 'handle attempts');
    assertEqual(flaky.get_result().get_attempts(), 3, 'result attempts');
    const gap1 = times[1] - times[0], gap2 = times[2] - times[1];
    assert(gap1 >= 0.09, `first retry after ${gap1}s, before its 0.1 s delay`);
    assert(gap2 >= 0.18, `second retry after ${gap2}s, before its 0.2 s (backed-off) delay`);
    assert(gap1 < 10 && gap2 < 10, `retries took ${gap1}s and ${gap2}s`);
    assertArrayEqual(rec.retryErrors.get(String(flaky.get_id())),
        ['attempt 1 failed', 'attempt 2 failed'], 'task-retrying errors');

    assertStatus(hopeless, Status.FAILED, 'hopeless');
    assertEqual(hopeless.get_result().get_attempts(), 3, 'hopeless attempts');
    assertEqual(hopeless.get_result().get_message(), 'hopeless 3', 'the last error is kept');
    assertEqual(summary.get_succeeded(), 1, 'succeeded');
    assertEqual(summary.get_failed(), 1, 'failed');
});

// ---------------------------------------------------------------------------
// Fail-first, run timeouts, shutdown
// ---------------------------------------------------------------------------

await test('fail-first cancels the remaining work, must-complete spared', async () => {
    for (const how of ['run flag', 'queue policy']) {
        const q = how === 'run flag'
            ? new Osiiso.AsyncQueue({workers: 1})
            : new Osiiso.AsyncQueue({workers: 1, fail_policy: Osiiso.FailPolicy.FAIL_FIRST});
        let submitError = null;
        const first = submit(q, async () => {
            await sleep(1);
            throw new Error('first failure');
        }, {priority: 0});
        const ordinary = submit(q, () => 'ordinary', {priority: 1});
        const protected_ = submit(q, async () => {
            try {
                submit(q, () => 'refused');
            } catch (e) {
                submitError = e;
            }
            await sleep(5);
            return 'protected';
        }, {priority: 2, mustComplete: true});
        const last = submit(q, () => 'last', {priority: 3});
        const flags = how === 'run flag' ? Osiiso.RunFlags.FAIL_FIRST : Osiiso.RunFlags.NONE;
        const summary = await run(q, {flags});

        assertStatus(first, Status.FAILED, `${how}: first`);
        assertStatus(ordinary, Status.CANCELLED, `${how}: ordinary`);
        assertEqual(ordinary.get_result().get_attempts(), 0, `${how}: ordinary attempts`);
        assertStatus(protected_, Status.SUCCEEDED, `${how}: must-complete`);
        assertStatus(last, Status.CANCELLED, `${how}: last`);
        assertError(submitError, Osiiso.Error, Osiiso.Error.CLOSED, `${how}: submit after the trip`);
        assertEqual(summary.get_failed(), 1, `${how}: failed`);
        assertEqual(summary.get_cancelled(), 2, `${how}: cancelled`);
        assertEqual(summary.get_succeeded(), 1, `${how}: succeeded`);
        // The queue accepts work again once the run is over.
        const again = submit(q, () => 'again');
        await run(q, {flags: Osiiso.RunFlags.CONTINUE});
        assertEqual(resultValue(again), 'again', `${how}: after the run`);
    }
});

// Three tasks on two workers: an ordinary one that never completes, a
// must-complete one that takes @protectedMs, and an ordinary one still
// queued behind them. Returns once both running ones have started.
async function exitScenario(onExit, protectedMs) {
    const q = new Osiiso.AsyncQueue({workers: 2, on_exit: onExit});
    const startedA = deferred(), startedB = deferred();
    const protectedDone = deferred();
    let ordinaryCtx = null;
    const ordinary = submit(q, ctx => {
        ordinaryCtx = ctx;
        startedA.resolve();
        return never();
    }, {priority: 0, name: 'ordinary'});
    const protected_ = submit(q, async () => {
        startedB.resolve();
        try {
            await sleep(protectedMs);   // ignores its cancellable on purpose
            return 'protected done';
        } finally {
            protectedDone.resolve();
        }
    }, {priority: 0, mustComplete: true, name: 'protected'});
    let queuedCalls = 0;
    const queued = submit(q, () => {
        queuedCalls++;
    }, {priority: 5, name: 'queued'});
    return {q, ordinary, protected_, queued, startedA, startedB, protectedDone,
        ordinaryCtx: () => ordinaryCtx, queuedCalls: () => queuedCalls};
}

await test('a run timeout under complete-priority lets must-complete work finish', async () => {
    const s = await exitScenario(Osiiso.ExitPolicy.COMPLETE_PRIORITY, 400);
    const t0 = now();
    const summary = await run(s.q, {timeout: 0.15});
    const elapsed = now() - t0;
    assertEqual(summary.get_timed_out(), true, 'timed out');
    assertStatus(s.ordinary, Status.CANCELLED, 'ordinary');
    assertEqual(s.ordinaryCtx().get_cancellable().is_cancelled(), true, 'ordinary cancellable');
    assertStatus(s.protected_, Status.SUCCEEDED, 'must-complete');
    assertEqual(resultValue(s.protected_), 'protected done', 'must-complete value');
    assertStatus(s.queued, Status.CANCELLED, 'queued');
    assertEqual(s.queuedCalls(), 0, 'the queued function ran');
    assert(elapsed >= 0.35, `the run returned after ${elapsed}s, before the must-complete task`);
    assertEqual(summary.get_total(), 3, 'total');
    assertEqual(s.q.closed, true, 'closed');
    assertThrowsGError(Osiiso.Error, Osiiso.Error.CLOSED, () => submit(s.q, () => 1), 'submit');
});

await test('a run timeout under the cancel policy cancels must-complete work too', async () => {
    const s = await exitScenario(Osiiso.ExitPolicy.CANCEL, 300);
    const summary = await run(s.q, {timeout: 0.15});
    assertEqual(summary.get_timed_out(), true, 'timed out');
    assertStatus(s.ordinary, Status.CANCELLED, 'ordinary');
    assertStatus(s.protected_, Status.CANCELLED, 'must-complete');
    assertStatus(s.queued, Status.CANCELLED, 'queued');
    assertEqual(summary.get_cancelled(), 3, 'cancelled');
    assertEqual(s.q.closed, true, 'closed');
    // The protected function still finishes later; its value is dropped.
    await s.protectedDone.promise;
    assertStatus(s.protected_, Status.CANCELLED, 'must-complete after it returned');
    assertEqual(s.protected_.get_result().get_value(), null, 'value');
});

await test('a forced shutdown under complete-priority lets must-complete work finish', async () => {
    const s = await exitScenario(Osiiso.ExitPolicy.COMPLETE_PRIORITY, 200);
    const running = run(s.q);
    await s.startedA.promise;
    await s.startedB.promise;
    assertEqual(await shutdown(s.q, {force: true}), true, 'shutdown(force)');
    assertStatus(s.ordinary, Status.CANCELLED, 'ordinary');
    assertStatus(s.protected_, Status.SUCCEEDED, 'must-complete');
    assertStatus(s.queued, Status.CANCELLED, 'queued');
    const summary = await running;
    assertEqual(summary.get_timed_out(), false, 'timed out');
    assertEqual(summary.get_total(), 3, 'total');
    assertEqual(summary.get_succeeded(), 1, 'succeeded');
    assertEqual(summary.get_cancelled(), 2, 'cancelled');
    assertEqual(s.q.closed, true, 'closed');
});

await test('a forced shutdown under the cancel policy cancels everything', async () => {
    const s = await exitScenario(Osiiso.ExitPolicy.CANCEL, 200);
    const running = run(s.q);
    await s.startedA.promise;
    await s.startedB.promise;
    s.q.cancel();   // the forced shutdown that does not wait
    assertStatus(s.ordinary, Status.CANCELLED, 'ordinary');
    assertStatus(s.protected_, Status.CANCELLED, 'must-complete');
    assertStatus(s.queued, Status.CANCELLED, 'queued');
    const summary = await running;
    assertEqual(summary.get_cancelled(), 3, 'cancelled');
    assertEqual(s.q.closed, true, 'closed');
    await s.protectedDone.promise;
    assertStatus(s.protected_, Status.CANCELLED, 'must-complete after it returned');
});

await test('cancelling the run cancellable ends the run like a forced shutdown', async () => {
    const s = await exitScenario(Osiiso.ExitPolicy.COMPLETE_PRIORITY, 100);
    const cancellable = new Gio.Cancellable();
    const running = run(s.q, {cancellable});
    await s.startedA.promise;
    cancellable.cancel();
    const summary = await running;
    assertStatus(s.ordinary, Status.CANCELLED, 'ordinary');
    assertStatus(s.protected_, Status.SUCCEEDED, 'must-complete');
    assertEqual(summary.get_total(), 3, 'total');
    assertEqual(s.q.closed, true, 'closed');
});

await test('an infinite run serves tasks until a graceful shutdown drains it', async () => {
    const q = new Osiiso.AsyncQueue({workers: 2, mode: Osiiso.QueueMode.INFINITE});
    let runEnded = false;
    const running = run(q).then(summary => {
        runEnded = true;
        return summary;
    });
    const first = [1, 2, 3].map(n => submit(q, async () => {
        await sleep(5);
        return n;
    }));
    const results = await Promise.all(first.map(h => wait(h)));
    assertArrayEqual(results.map(r => r.get_value()), [1, 2, 3], 'values while serving');
    assertEqual(runEnded, false, 'the run ended with nothing outstanding');

    const delayed = submit(q, () => 'delayed', {delay: 0.1});
    const more = submit(q, async () => 'more');
    assertEqual(await shutdown(q), true, 'graceful shutdown');
    assertStatus(delayed, Status.SUCCEEDED, 'the delayed task was drained');
    assertStatus(more, Status.SUCCEEDED, 'more');
    const summary = await running;
    assertEqual(summary.get_total(), 5, 'total');
    assertEqual(summary.get_succeeded(), 5, 'succeeded');
    assertEqual(summary.get_timed_out(), false, 'timed out');
    assertEqual(q.closed, true, 'closed');
});

await test('reset() reopens a closed queue for reuse', async () => {
    const q = new Osiiso.AsyncQueue({workers: 1});
    submit(q, never);
    const first = await run(q, {timeout: 0.05});
    assertEqual(first.get_timed_out(), true, 'the first run timed out');
    assertEqual(q.closed, true, 'closed after the timeout');
    assertThrowsGError(Osiiso.Error, Osiiso.Error.CLOSED, () => submit(q, () => 1), 'submit while closed');
    assertEqual(q.get_results().length, 1, 'history before reset');

    assertEqual(q.reset(), true, 'reset()');
    assertEqual(q.closed, false, 'closed after reset()');
    assertEqual(q.get_results().length, 0, 'history after reset');
    const h = submit(q, async () => 'reused');
    const summary = await run(q);
    assertEqual(summary.get_total(), 1, 'total');
    assertEqual(resultValue(h), 'reused', 'value');

    // Busy while a run is in progress.
    const gate = deferred();
    submit(q, () => gate.promise);
    const running = run(q);
    assertThrowsGError(Osiiso.Error, Osiiso.Error.BUSY, () => q.reset(), 'reset() during a run');
    await assertRejectsGError(Osiiso.Error, Osiiso.Error.BUSY, run(q), 'a second run');
    gate.resolve();
    assertEqual((await running).get_ok(), true, 'the run finished');
});

await test('a strict run rejects with EXECUTION when a task failed', async () => {
    const q = new Osiiso.AsyncQueue({workers: 2});
    submit(q, () => 'fine');
    submit(q, () => Promise.reject(new Error('bad')));
    const e = await assertRejectsGError(Osiiso.Error, Osiiso.Error.EXECUTION,
        run(q, {flags: Osiiso.RunFlags.STRICT}), 'strict run');
    assert(e.message.includes('1'), `message: ${e.message}`);
});

// ---------------------------------------------------------------------------
// Signals and promises
// ---------------------------------------------------------------------------

await test('signals arrive on the main context in order, per task', async () => {
    const q = new Osiiso.AsyncQueue({workers: 3});
    const rec = recordSignals(q);
    const statuses = [];
    const ok = submit(q, async () => {
        await sleep(5);
        return 1;
    }, {name: 'ok'});
    ok.connect('notify::status', h => statuses.push(h.get_status()));
    const flaky = submit(q, ctx => {
        if (ctx.get_attempt() === 1)
            throw new Error('once');
        return 2;
    }, {name: 'flaky', retries: 2, retryDelay: 0.01});
    const bad = submit(q, async () => {
        throw new Error('bad');
    }, {name: 'bad'});
    const cancelled = submit(q, () => 4, {name: 'cancelled', delay: 30});
    cancelled.cancel();
    await run(q);

    assertEqual(rec.offThread, 0, 'signals off the main context');
    assertArrayEqual(rec.of(ok), ['started', 'completed'], 'ok');
    assertArrayEqual(rec.of(flaky), ['started', 'retrying', 'started', 'completed'], 'flaky');
    assertArrayEqual(rec.of(bad), ['started', 'completed'], 'bad');
    assertArrayEqual(rec.of(cancelled), ['completed'], 'cancelled');
    assertArrayEqual(rec.retryErrors.get(String(flaky.get_id())), ['once'], 'retry error');
    assertArrayEqual(rec.completed.slice().sort(), ['bad', 'cancelled', 'flaky', 'ok'], 'completed');
    assertEqual(statuses[statuses.length - 1], Status.SUCCEEDED, 'last notify::status');
    assert(statuses.includes(Status.RUNNING), `notify::status values ${statuses}`);
});

await test('Gio._promisify: run_async and wait_async can be awaited', async () => {
    const q = new Osiiso.AsyncQueue({workers: 2});
    const h = submit(q, async () => {
        await sleep(10);
        return 'awaited';
    });
    // The module promisified the prototypes: the plain methods return promises.
    const waiting = h.wait_async(null);
    const summaryPromise = q.run_async(0, Osiiso.RunFlags.NONE, null);
    assert(summaryPromise instanceof Promise, 'run_async() without a callback');
    const result = await waiting;
    assert(result instanceof Osiiso.TaskResult, 'wait_async() result');
    assertEqual(result.get_value(), 'awaited', 'value');
    const summary = await summaryPromise;
    assert(summary instanceof Osiiso.RunSummary, 'run_async() summary');
    assertEqual(summary.get_succeeded(), 1, 'succeeded');

    // wait() on a finished task resolves at once, with the same result.
    const again = await wait(h);
    assertEqual(again.get_task_id(), result.get_task_id(), 'task id');

    // A cancelled wait rejects; the task itself goes on.
    const gate = deferred();
    const slow = submit(q, () => gate.promise.then(() => 'slow'));
    const running = run(q);
    const cancellable = new Gio.Cancellable();
    const waitPromise = wait(slow, cancellable);
    cancellable.cancel();
    await assertRejectsGError(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, waitPromise, 'cancelled wait');
    gate.resolve();
    await running;
    assertEqual(resultValue(slow), 'slow', 'the task was not cancelled');
});

await test('a task can submit more tasks', async () => {
    const q = new Osiiso.AsyncQueue({workers: 2});
    let child = null;
    const parent = submit(q, async () => {
        child = submit(q, async () => 'child');
        return (await wait(child)).get_value() + ' of parent';
    });
    const summary = await run(q);
    assertEqual(resultValue(parent), 'child of parent', 'parent value');
    assertEqual(resultValue(child), 'child', 'child value');
    assertEqual(summary.get_total(), 2, 'total');
});

// ---------------------------------------------------------------------------
// Out values on failure
// ---------------------------------------------------------------------------

// osiiso_task_handle_get_value() and osiiso_task_result_propagate_value()
// must initialize their (out caller-allocates) GValue even when they fail:
// GJS 1.74 converts it anyway, and an uninitialized one made it emit a
// critical and throw "Don't know how to convert GType (null)" instead of the
// task's error. Checked in a child process, because under
// G_DEBUG=fatal-warnings the critical aborts it.
await test('handle.get_value() on a failed task throws the task error', async () => {
    const [status, output] = await runChild(`
        import GLib from 'gi://GLib';
        import Osiiso from 'gi://Osiiso?version=1.0';
        const q = new Osiiso.AsyncQueue({workers: 1});
        const h = q.submit(ctx => {
            ctx.return_error(new GLib.Error(Osiiso.Error, Osiiso.Error.BUSY, 'task error'));
            return true;
        }, null);
        q.run(null);
        for (const [what, call] of [['handle', () => h.get_value()],
                                    ['result', () => h.get_result().propagate_value()]]) {
            try {
                call();
                print(what + ': no throw');
            } catch (e) {
                print(what + ': ' + (e instanceof GLib.Error && e.matches(Osiiso.Error, Osiiso.Error.BUSY)
                    ? 'task error' : 'other error: ' + e));
            }
        }
    `, {G_DEBUG: 'fatal-warnings'});
    assertEqual(status, 0, `child exit status; output:\n${output}`);
    assertEqual(output.trim(), 'handle: task error\nresult: task error', 'child output');
});

done();

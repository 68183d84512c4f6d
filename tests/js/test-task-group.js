// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Osiiso.TaskGroup, Queue.map() and friends through GJS (raw
// introspection). Run as `gjs -m test-task-group.js`; it prints TAP and
// exits non-zero if any test failed.
//
// GJS cannot run JavaScript on worker threads, so JS task functions run
// on an Osiiso.AsyncQueue only, completed raw: the function returns true
// ("started") and completes its attempt with ctx.return_value() or
// ctx.return_error(), at once or later from a context it kept (a kept
// context is copied with `new Osiiso.TaskContext(ctx)`: GJS does not
// reference boxed callback arguments). Thread queues appear only in
// admission tests, where nothing runs. Worker calls use the C test worker
// (tests/worker-module.c through osiiso-worker, from
// OSIISO_TEST_WORKER_TOOL and OSIISO_TEST_WORKER_MODULE).
//
// Assertions happen only in test bodies, never inside task functions or
// signal handlers (a throw there would only be logged; see
// reference/toolchain.md, pitfall 3): those record, tests assert. Nothing
// sleeps: the tests decide when each task completes, and wait on promises.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import Osiiso from 'gi://Osiiso?version=1.0';
import {
    test, assert, assertSameValue as assertEqual, assertArrayEqual, assertError,
    assertThrowsGError, assertRejectsGError, done,
} from './harness.js';

Gio._promisify(Osiiso.Queue.prototype, 'run_async', 'run_finish');
Gio._promisify(Osiiso.TaskGroup.prototype, 'wait_async', 'wait_finish');
Gio._promisify(Osiiso.TaskGroup.prototype, 'wait_completed_async', 'wait_completed_finish');
Gio._promisify(Gio.Subprocess.prototype, 'communicate_utf8_async', 'communicate_utf8_finish');

const Status = Osiiso.TaskStatus;
const GUARD = 20;   // seconds: an upper bound, never a synchronization

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const ints = values => new GLib.Variant('ax', values);

// A raw async-queue task that completes at once with its input squared.
function square(ctx) {
    const n = ctx.get_input().get_int64();
    ctx.return_value(n * n);
    return true;
}

// A raw task that keeps its context (a reference of its own) in @kept and
// completes nothing: the test completes it when it wants.
function keeper(kept) {
    return ctx => {
        kept.push(new Osiiso.TaskContext(ctx));
        return true;
    };
}

// Iterates the default main context until @predicate() holds or the guard
// expires; returns whether it holds.
function iterateUntil(predicate, guard = GUARD) {
    const deadline = GLib.get_monotonic_time() + guard * 1e6;
    let expired = false;
    const id = GLib.timeout_add(GLib.PRIORITY_DEFAULT, guard * 1000, () => {
        expired = true;
        return GLib.SOURCE_REMOVE;
    });
    const context = GLib.MainContext.default();
    while (!predicate() && !expired && GLib.get_monotonic_time() < deadline)
        context.iteration(true);
    if (!expired)
        GLib.source_remove(id);
    return predicate();
}

// Values in input order through the summary of wait() (see the TODO test
// on get_values() below).
function valuesOf(group) {
    return group.wait(GUARD, null).get_results().map(r => r.get_value());
}

function statusesOf(group) {
    return Array.from({length: group.get_size()}, (_, i) => group.get_status(i));
}

function handlesOf(group) {
    return Array.from({length: group.get_size()}, (_, i) => group.get_handle(i));
}

// The indices of a finished group's tasks in completion order.
function completionOrder(group) {
    const handles = handlesOf(group);
    return handles.map((_, n) => handles.indexOf(group.wait_completed(n, GUARD, null)));
}

function cWorkerArgv() {
    const tool = GLib.getenv('OSIISO_TEST_WORKER_TOOL');
    const module = GLib.getenv('OSIISO_TEST_WORKER_MODULE');
    if (!tool || !module)
        return null;
    const asan = (GLib.getenv('LD_PRELOAD') ?? '').includes('asan')
        ? ['env', 'ASAN_OPTIONS=detect_leaks=0:handle_segv=0:handle_abort=0'] : [];
    return [...asan, tool, module];
}
const NO_WORKER = cWorkerArgv() === null
    ? 'no C worker: set OSIISO_TEST_WORKER_TOOL and OSIISO_TEST_WORKER_MODULE' : null;

// Runs @source as an ES module in a child gjs (same environment);
// resolves with [exit status or null if killed, output].
async function runChild(source) {
    const dir = GLib.dir_make_tmp('osiiso-js-group-XXXXXX');
    const path = GLib.build_filenamev([dir, 'child.js']);
    GLib.file_set_contents(path, source);
    try {
        const proc = Gio.Subprocess.new([GLib.find_program_in_path('gjs'), '-m', path],
            Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_MERGE);
        const [stdout] = await proc.communicate_utf8_async(null, null);
        return [proc.get_if_exited() ? proc.get_exit_status() : null, stdout ?? ''];
    } finally {
        GLib.unlink(path);
        GLib.rmdir(dir);
    }
}

// ---------------------------------------------------------------------------
// map on the async queue
// ---------------------------------------------------------------------------

await test('map: values in input order, completions in reverse', async () => {
    const q = new Osiiso.AsyncQueue({workers: 4});
    const kept = [];
    const g = q.map(ctx => {
        kept.push(new Osiiso.TaskContext(ctx));
        if (kept.length === 4) {
            GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
                for (const c of [...kept].reverse())
                    c.return_value(`v${c.get_input().get_int64()}`);
                return GLib.SOURCE_REMOVE;
            });
        }
        return true;
    }, ints([10, 20, 30, 40]), null);
    assert(g instanceof Osiiso.TaskGroup, 'map() gives an Osiiso.TaskGroup');
    assert(g.get_id().startsWith('group-'), `id ${g.get_id()}`);
    assertEqual(g.get_size(), 4, 'size');
    assertEqual(g.get_submitted(), true, 'submitted');
    const summary = await q.run_async(0, Osiiso.RunFlags.NONE, null);
    assertEqual(summary.get_succeeded(), 4, 'succeeded');
    assertArrayEqual(valuesOf(g), ['v10', 'v20', 'v30', 'v40'], 'values');
    assertArrayEqual(completionOrder(g), [3, 2, 1, 0], 'completion order');
    assertArrayEqual(kept.map(c => c.get_index()), [0, 1, 2, 3], 'indices');
    assertEqual(g.get_n_completed(), 4, 'completed');
    for (let i = 0; i < 4; i++)
        assertEqual(g.get_result(i).get_group_id(), g.get_id(), `group id of ${i}`);
});

await test('map over strings and tuples, and an empty map', async () => {
    const q = new Osiiso.AsyncQueue({workers: 2});
    const describe = ctx => {
        const v = ctx.get_input();
        ctx.return_value(`${v.get_type_string()}:${JSON.stringify(v.deepUnpack())}`);
        return true;
    };
    const strings = q.map(describe, new GLib.Variant('as', ['a', 'bb', '']), null);
    const tuples = q.map(describe, new GLib.Variant('a(si)', [['x', 1], ['y', 2]]), null);
    const empty = q.map(describe, new GLib.Variant('as', []), null);
    await q.run_async(0, Osiiso.RunFlags.NONE, null);
    assertArrayEqual(valuesOf(strings), ['s:"a"', 's:"bb"', 's:""'], 'strings');
    assertArrayEqual(valuesOf(tuples), ['(si):["x",1]', '(si):["y",2]'], 'tuples');
    assertEqual(empty.get_size(), 0, 'empty size');
    assertEqual(empty.get_n_items(), 0, 'empty items');
    assertEqual(empty.wait(GUARD, null).get_total(), 0, 'empty total');
});

await test('map options apply to every task; their group id names the group', async () => {
    const q = new Osiiso.AsyncQueue({workers: 2});
    const names = [];
    const g = q.map(ctx => {
        names.push(ctx.get_name());
        ctx.return_value(ctx.get_index());
        return true;
    }, ints([5, 6, 7]), new Osiiso.TaskOptions({name: 'same', group_id: 'chosen'}));
    await q.run_async(0, Osiiso.RunFlags.NONE, null);
    assertEqual(g.get_id(), 'chosen', 'id');
    assertArrayEqual(names, ['same', 'same', 'same'], 'names');
    assertArrayEqual(valuesOf(g), [0, 1, 2], 'values');
});

await test('map_objects over a Gio.ListStore', async () => {
    const store = new Gio.ListStore({item_type: Gio.SimpleAction});
    const actions = ['a', 'bb', 'ccc'].map(name => new Gio.SimpleAction({name}));
    for (const action of actions)
        store.append(action);
    const seen = [];
    const q = new Osiiso.AsyncQueue({workers: 2});
    const g = q.map_objects(ctx => {
        const obj = ctx.get_input_object();
        seen.push([ctx.get_index(), obj.get_name(), ctx.get_input()]);
        ctx.return_value(obj);
        return true;
    }, store, null);
    store.remove_all();   // the group took the items when it was made
    assertEqual(g.get_size(), 3, 'size');
    await q.run_async(0, Osiiso.RunFlags.NONE, null);
    const values = valuesOf(g);
    actions.forEach((action, i) => assert(values[i] === action, `value ${i} is its input object`));
    assertArrayEqual(seen, [[0, 'a', null], [1, 'bb', null], [2, 'ccc', null]], 'seen');
});

// ---------------------------------------------------------------------------
// Groups of different functions
// ---------------------------------------------------------------------------

await test('a heterogeneous group: different functions and inputs, one id', async () => {
    const g = Osiiso.TaskGroup.new('mixed');
    assertEqual(g.get_id(), 'mixed', 'id');
    assertEqual(g.id, 'mixed', 'id property');
    assertEqual(g.add(square, new GLib.Variant('x', 7), null), 0, 'first index');
    assertEqual(g.add(ctx => {
        ctx.return_value(`no input: ${ctx.get_input() === null}`);
        return true;
    }, null, new Osiiso.TaskOptions({name: 'labelled', group_id: 'other'})), 1, 'second index');
    assertEqual(g.add_map(ctx => {
        ctx.return_value(ctx.get_input().get_string()[0].toUpperCase());
        return true;
    }, new GLib.Variant('as', ['a', 'b']), null), 2, 'map index');
    assertEqual(g.get_size(), 4, 'size');

    const q = new Osiiso.AsyncQueue({workers: 2});
    q.submit_group(g);
    await q.run_async(0, Osiiso.RunFlags.NONE, null);
    assertArrayEqual(valuesOf(g), [49, 'no input: true', 'A', 'B'], 'values');
    for (let i = 0; i < 4; i++) {
        assertEqual(g.get_result(i).get_group_id(), 'mixed', `result ${i} group id`);
        assertEqual(g.get_handle(i).get_group_id(), 'mixed', `handle ${i} group id`);
    }
    assertEqual(g.get_result(1).get_name(), 'labelled', 'the other options stay');
    assertEqual(g.wait(GUARD, null).lookup_by_group('mixed').length, 4, 'lookup_by_group');
    const fresh = [Osiiso.TaskGroup.new(null), new Osiiso.TaskGroup()];
    assert(fresh.every(f => f.get_id().startsWith('group-')), 'fresh ids');
    assert(fresh[0].get_id() !== fresh[1].get_id(), 'distinct ids');
});

// ---------------------------------------------------------------------------
// The GListModel (no GTK)
// ---------------------------------------------------------------------------

await test('GListModel: one items-changed (0, 0, n) at submission, stable items', async () => {
    const g = Osiiso.TaskGroup.new('pictures');
    g.add(square, new GLib.Variant('x', 1), null);
    g.add_map(square, ints([2, 3]), null);
    assert(g instanceof Gio.ListModel, 'a Gio.ListModel');
    assertEqual(g.get_item_type(), Osiiso.TaskHandle.$gtype, 'item type');

    const changes = [];
    const notified = [];
    g.connect('items-changed', (model, position, removed, added) =>
        changes.push([position, removed, added, model.get_n_items()]));
    g.connect('notify::n-items', model => notified.push(model.n_items));
    assertEqual(g.get_n_items(), 0, 'no items before submission');
    assertEqual(g.n_items, 0, 'n-items before submission');
    assertEqual(g.get_item(0), null, 'no item before submission');
    assertArrayEqual(changes, [], 'no change before submission');

    const q = new Osiiso.AsyncQueue({workers: 1});
    const started = [];
    q.connect('task-started', (_q, handle) => started.push(handle));
    q.submit_group(g);
    assertArrayEqual(changes, [[0, 0, 3, 3]], 'items-changed at submission');
    assertArrayEqual(notified, [3], 'notify::n-items');
    assertEqual(g.get_n_items(), 3, 'n items');
    assertEqual(g.get_item(3), null, 'past the end');
    const handles = [0, 1, 2].map(i => g.get_item(i));
    handles.forEach((h, i) => {
        assert(h instanceof Osiiso.TaskHandle, `item ${i} is a handle`);
        assert(g.get_item(i) === h, `item ${i} is the same object each time`);
        assert(g.get_handle(i) === h, `item ${i} is the group's handle`);
        assertEqual(h.get_group_id(), 'pictures', `item ${i} group id`);
    });

    await q.run_async(0, Osiiso.RunFlags.NONE, null);
    assertEqual(started.length, 3, 'task-started count');
    started.forEach(h => assert(handles.includes(h), 'task-started carried a group handle'));
    handles.forEach((h, i) => {
        assertEqual(h.get_status(), Status.SUCCEEDED, `status ${i}`);
        assertEqual(h.get_result().get_value(), (i + 1) ** 2, `value ${i}`);
    });
    assertArrayEqual(changes, [[0, 0, 3, 3]], 'no change afterwards');
    assertArrayEqual(notified, [3], 'no notify afterwards');
});

await test('GListModel: a refused group stays empty and silent', () => {
    const q = new Osiiso.AsyncQueue({workers: 1, size: 1});
    const g = Osiiso.TaskGroup.new(null);
    g.add_map(square, ints([1, 2]), null);
    const changes = [];
    g.connect('items-changed', (_m, ...args) => changes.push(args));
    assertThrowsGError(Osiiso.Error, Osiiso.Error.FULL, () => q.submit_group(g), 'submit_group');
    assertArrayEqual(changes, [], 'changes');
    assertEqual(g.get_n_items(), 0, 'n items');
    assertEqual(g.get_item(0), null, 'item');
});

// ---------------------------------------------------------------------------
// Atomic admission
// ---------------------------------------------------------------------------

await test('admission: a queue without room for the whole group takes nothing', async () => {
    const ran = [];
    const recorder = tag => ctx => {
        ran.push(tag);
        ctx.return_value(null);
        return true;
    };
    const q = new Osiiso.AsyncQueue({workers: 1, size: 5});
    for (let i = 0; i < 3; i++)
        q.submit(recorder(`before-${i}`), null);
    const tooBig = Osiiso.TaskGroup.new('too-big');
    tooBig.add_map(recorder('too-big'), ints([0, 1, 2]), null);
    const e = assertThrowsGError(Osiiso.Error, Osiiso.Error.FULL, () => q.submit_group(tooBig));
    assert(e.message.includes('too-big'), `message: ${e.message}`);
    assertThrowsGError(Osiiso.Error, Osiiso.Error.FULL,
        () => q.map(recorder('map'), ints([0, 1, 2]), null), 'map');
    assertEqual(q.get_pending(), 3, 'pending');
    assertEqual(tooBig.get_submitted(), false, 'submitted');
    const fits = q.map(recorder('fits'), ints([0, 1]), null);
    assertEqual(q.get_pending(), 5, 'pending after what fits');
    const summary = await q.run_async(0, Osiiso.RunFlags.NONE, null);
    assertEqual(summary.get_total(), 5, 'total');
    assertArrayEqual([...ran].sort(), ['before-0', 'before-1', 'before-2', 'fits', 'fits'], 'ran');
    assertArrayEqual(statusesOf(fits), [Status.SUCCEEDED, Status.SUCCEEDED], 'fits');
    assertArrayEqual(statusesOf(tooBig), [Status.PENDING, Status.PENDING, Status.PENDING], 'refused');
});

await test('admission: invalid options, non-array inputs, commands, twice', async () => {
    let ran = 0;
    const fn = ctx => {
        ran++;
        ctx.return_value(null);
        return true;
    };
    const q = new Osiiso.AsyncQueue({workers: 1});
    const invalid = Osiiso.TaskGroup.new(null);
    invalid.add(fn, null, null);
    invalid.add(fn, null, new Osiiso.TaskOptions({retries: -3}));
    invalid.add(fn, null, null);
    assertThrowsGError(Osiiso.Error, Osiiso.Error.INVALID_OPTION, () => q.submit_group(invalid),
        'invalid options');
    assertEqual(invalid.get_submitted(), false, 'invalid submitted');
    for (const inputs of [new GLib.Variant('i', 3), new GLib.Variant('s', 'abc'),
        new GLib.Variant('(ii)', [1, 2])]) {
        const e = assertThrowsGError(Osiiso.Error, Osiiso.Error.INVALID_OPTION,
            () => q.map(fn, inputs, null), `map over ${inputs.get_type_string()}`);
        assert(e.message.includes(inputs.get_type_string()), `message: ${e.message}`);
    }
    // Worker calls and commands only run on a process queue.
    const tq = new Osiiso.ThreadQueue({workers: 1});
    for (const add of [g => g.add_command(['true'], null, null, null, null),
        g => g.add_call('echo', new GLib.Variant('i', 1), null),
        g => g.add_map_call('echo', ints([1, 2]), null)]) {
        for (const queue of [q, tq]) {
            const g = Osiiso.TaskGroup.new(null);
            add(g);
            assertThrowsGError(Osiiso.Error, Osiiso.Error.INVALID_OPTION, () => queue.submit_group(g),
                'a process entry elsewhere');
        }
    }
    assertEqual(tq.get_pending(), 0, 'thread queue pending');
    assertEqual(q.get_pending(), 0, 'pending');
    // A group is submitted once.
    const once = q.map(fn, ints([1, 2]), null);
    assertThrowsGError(Osiiso.Error, Osiiso.Error.INVALID_OPTION, () => q.submit_group(once), 'twice');
    const other = new Osiiso.AsyncQueue({workers: 1});
    assertThrowsGError(Osiiso.Error, Osiiso.Error.INVALID_OPTION, () => other.submit_group(once),
        'elsewhere');
    assertEqual(other.get_pending(), 0, 'other pending');
    await q.run_async(0, Osiiso.RunFlags.NONE, null);
    assertEqual(ran, 2, 'only the accepted group ran');
    // A closed queue takes nothing; an unsubmitted group cannot be waited on.
    q.shutdown(false, null);
    const late = Osiiso.TaskGroup.new(null);
    late.add(fn, null, null);
    assertThrowsGError(Osiiso.Error, Osiiso.Error.CLOSED, () => q.submit_group(late), 'closed');
    assertThrowsGError(Osiiso.Error, Osiiso.Error.NOT_READY, () => late.wait(1, null), 'wait');
    assertEqual(late.cancel(), 0, 'cancel unsubmitted');
});

// ---------------------------------------------------------------------------
// Values and errors
// ---------------------------------------------------------------------------

await test('values line up with inputs when some tasks fail or are cancelled', async () => {
    const q = new Osiiso.AsyncQueue({workers: 1});
    const g = q.map(ctx => {
        const n = ctx.get_input().get_int64();
        if (n === 1 || n === 5)
            ctx.return_error(new GLib.Error(Osiiso.Error, Osiiso.Error.FAILED, `no square for ${n}`));
        else
            ctx.return_value(n * n);
        return true;
    }, ints([0, 1, 2, 3, 4, 5, 6]), null);
    g.get_handle(3).cancel();
    const summary = await q.run_async(0, Osiiso.RunFlags.NONE, null);
    assertEqual(summary.get_failed(), 2, 'failed');
    assertEqual(summary.get_cancelled(), 1, 'cancelled');

    const e = assertThrowsGError(Osiiso.Error, Osiiso.Error.EXECUTION, () => g.get_values(GUARD, null),
        'get_values');
    assertEqual(e.message, '2 task(s) failed; 1 task(s) cancelled', 'message');

    const results = g.wait(GUARD, null).get_results();
    assertArrayEqual(results.map(r => r.get_task_id()), handlesOf(g).map(h => h.get_id()), 'ids');
    const S = Status;
    const expected = [S.SUCCEEDED, S.FAILED, S.SUCCEEDED, S.CANCELLED, S.SUCCEEDED, S.FAILED, S.SUCCEEDED];
    assertArrayEqual(results.map(r => r.get_status()), expected, 'result statuses');
    assertArrayEqual(statusesOf(g), expected, 'group statuses');
    assertArrayEqual(results.map(r => r.get_value()), [0, null, 4, null, 16, null, 36], 'values');
    assertEqual(results[1].get_error().message, 'no square for 1', 'error message');
    assertError(results[3].get_error(), Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, 'cancelled');
});

await test('values line up with inputs when some tasks are restored', async () => {
    const checkpoint = Osiiso.Checkpoint.new(':memory:');
    const ran = [];
    const fn = ctx => {
        const n = ctx.get_input().get_int64();
        ran.push(n);
        if (n === 7)
            ctx.return_error(new GLib.Error(Osiiso.Error, Osiiso.Error.FAILED, 'seven fails'));
        else
            ctx.return_value(new GLib.Variant('x', n * n));
        return true;
    };
    const group = inputs => {
        const g = Osiiso.TaskGroup.new(null);
        g.set_checkpoint(checkpoint, 'squares', null);
        g.add_map(fn, ints(inputs), null);
        return g;
    };
    const q = new Osiiso.AsyncQueue({workers: 1});
    const first = group([1, 2, 3]);
    q.submit_group(first);
    await q.run_async(0, Osiiso.RunFlags.NONE, null);
    assertArrayEqual(valuesOf(first).map(v => v.get_int64()), [1, 4, 9], 'first values');

    ran.length = 0;
    const second = group([4, 2, 7, 1, 5, 3, 6]);
    q.submit_group(second);
    second.get_handle(6).cancel();
    const summary = await q.run_async(0, Osiiso.RunFlags.NONE, null);
    assertEqual(second.get_n_restored(), 3, 'restored');
    assertArrayEqual([...ran].sort(), [4, 5, 7], 'ran');
    assertEqual(summary.get_total(), 4, 'run summary total');
    assertThrowsGError(Osiiso.Error, Osiiso.Error.EXECUTION, () => second.get_values(GUARD, null));
    const results = second.wait(GUARD, null).get_results();
    const S = Status;
    assertArrayEqual(results.map(r => r.get_status()),
        [S.SUCCEEDED, S.SUCCEEDED, S.FAILED, S.SUCCEEDED, S.SUCCEEDED, S.SUCCEEDED, S.CANCELLED],
        'statuses');
    assertArrayEqual(results.map(r => r.get_value()?.get_int64() ?? null),
        [16, 4, null, 1, 25, 9, null], 'values');
    assertArrayEqual(results.map(r => r.get_attempts()), [1, 0, 1, 0, 1, 0, 0], 'attempts');
    assertEqual(results[1].get_message(), 'restored from checkpoint', 'message');
    checkpoint.close();
});

await test('a JS function that returns nothing fails its task', async () => {
    const q = new Osiiso.AsyncQueue({workers: 1});
    const g = q.map(ctx => {
        if (ctx.get_index() === 1)
            return undefined;
        ctx.return_value(1);
        return true;
    }, ints([0, 1, 2]), null);
    await q.run_async(0, Osiiso.RunFlags.NONE, null);
    assertArrayEqual(statusesOf(g), [Status.SUCCEEDED, Status.FAILED, Status.SUCCEEDED], 'statuses');
    assertThrowsGError(Osiiso.Error, Osiiso.Error.EXECUTION, () => g.get_values(GUARD, null));
});

// osiiso_task_group_get_values() gives a C array of GValue. (Fixed library
// problem: it was a GPtrArray of GValue, which GJS 1.74 could not convert.)
// In a child process, since the bad read crashed it.
await test('get_values() gives the values in input order', async () => {
    const [status, output] = await runChild(`
        import GLib from 'gi://GLib';
        import Osiiso from 'gi://Osiiso?version=1.0';
        const q = new Osiiso.AsyncQueue({workers: 2});
        const g = q.map(ctx => {
            ctx.return_value('v' + ctx.get_input().get_int64());
            return true;
        }, new GLib.Variant('ax', [1, 2, 3]), null);
        q.run(null);
        try {
            print(JSON.stringify(g.get_values(10, null)));
        } catch (e) {
            print('threw: ' + e);
        }
    `);
    assertEqual(`${status}: ${output.trim()}`, '0: ["v1","v2","v3"]', 'child');
});

// ---------------------------------------------------------------------------
// Waiting
// ---------------------------------------------------------------------------

await test('wait with a timeout, then for real', async () => {
    const q = new Osiiso.AsyncQueue({workers: 2});
    q.start();
    const kept = [];
    const g = q.map(keeper(kept), ints([3, 4]), null);
    assert(iterateUntil(() => kept.length === 2), 'both tasks started');
    const before = GLib.get_monotonic_time();
    assertThrowsGError(Osiiso.Error, Osiiso.Error.TIMEOUT, () => g.wait(0.1, null), 'wait');
    assert(GLib.get_monotonic_time() - before >= 90000, 'waited the timeout');
    assertThrowsGError(Osiiso.Error, Osiiso.Error.TIMEOUT, () => g.get_values(0.05, null), 'values');
    assertThrowsGError(Osiiso.Error, Osiiso.Error.TIMEOUT, () => g.wait_completed(0, 0.05, null),
        'wait_completed');
    const cancellable = new Gio.Cancellable();
    cancellable.cancel();
    assertThrowsGError(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, () => g.wait(GUARD, cancellable),
        'cancelled wait');
    assertEqual(g.get_n_completed(), 0, 'completed');
    for (const c of kept)
        c.return_value(c.get_input().get_int64() * 10);
    const summary = g.wait(GUARD, null);
    assertEqual(summary.get_succeeded(), 2, 'succeeded');
    assertArrayEqual(summary.get_results().map(r => r.get_value()), [30, 40], 'values');
    q.shutdown(false, null);
});

await test('wait_async, also when called before submission', async () => {
    const q = new Osiiso.AsyncQueue({workers: 2});
    const g = Osiiso.TaskGroup.new(null);
    g.add_map(square, ints([...Array(20).keys()]), null);
    const waited = g.wait_async(null);
    q.submit_group(g);
    q.start();
    const summary = await waited;
    assertEqual(summary.get_succeeded(), 20, 'succeeded');
    assertArrayEqual(summary.get_results().map(r => r.get_value()),
        [...Array(20).keys()].map(i => i * i), 'values');
    const again = await g.wait_async(null);
    assertEqual(again.get_total(), 20, 'again');
    q.shutdown(false, null);
});

await test('wait_async is cancellable', async () => {
    const q = new Osiiso.AsyncQueue({workers: 1});   // never started
    const g = q.map(square, ints([1, 2]), null);
    const cancellable = new Gio.Cancellable();
    const waited = g.wait_async(cancellable);
    GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
        cancellable.cancel();
        return GLib.SOURCE_REMOVE;
    });
    await assertRejectsGError(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, waited, 'wait_async');
    assertArrayEqual(statusesOf(g), [Status.PENDING, Status.PENDING], 'statuses');
});

await test('wait_completed and wait_completed_async follow completion order', async () => {
    const q = new Osiiso.AsyncQueue({workers: 4});
    q.start();
    const kept = [];
    const g = q.map(keeper(kept), ints([10, 11, 12, 13]), null);
    assert(iterateUntil(() => kept.length === 4), 'all four started');
    const handles = handlesOf(g);
    const byIndex = new Map(kept.map(c => [c.get_index(), c]));
    // The asynchronous waits are all pending before anything completes.
    const got = [];
    const pending = [0, 1, 2, 3].map(n => g.wait_completed_async(n, null).then(h => {
        got[n] = h;
    }));
    assertThrowsGError(Osiiso.Error, Osiiso.Error.TIMEOUT, () => g.wait_completed(0, 0.05, null));
    const order = [2, 0, 3, 1];
    for (const [k, i] of order.entries()) {
        byIndex.get(i).return_value(i);
        const h = g.wait_completed(k, GUARD, null);
        assert(h === handles[i], `completion ${k} is task ${i}`);
        assertEqual(g.get_n_completed(), k + 1, 'completed');
    }
    await Promise.all(pending);
    got.forEach((h, n) => assert(h === handles[order[n]], `async completion ${n} is task ${order[n]}`));
    const late = await g.wait_completed_async(3, null);
    assert(late === handles[order[3]], 'a late wait completes at once');
    assertArrayEqual(valuesOf(g), [0, 1, 2, 3], 'values');
    q.shutdown(false, null);
});

await test('cancel ends running and queued tasks', async () => {
    const q = new Osiiso.AsyncQueue({workers: 1});
    q.start();
    const kept = [];
    const g = q.map(keeper(kept), ints([1, 2, 3]), null);
    assert(iterateUntil(() => kept.length === 1), 'the first task started');
    assertEqual(g.cancel(), 3, 'cancelled');
    assertEqual(kept[0].is_cancelled(), true, 'the running attempt saw it');
    const summary = await g.wait_async(null);
    assertEqual(summary.get_cancelled(), 3, 'summary cancelled');
    assertArrayEqual(statusesOf(g), [Status.CANCELLED, Status.CANCELLED, Status.CANCELLED],
        'statuses');
    assertEqual(kept.length, 1, 'queued tasks never started');
    assertEqual(kept[0].return_error_if_cancelled(), true, 'the abandoned attempt ends');
    assertEqual(g.cancel(), 0, 'nothing left to cancel');
    q.shutdown(false, null);
});

// ---------------------------------------------------------------------------
// The process queue
// ---------------------------------------------------------------------------

await test('map_call on the process queue, values in input order', async () => {
    const q = Osiiso.ProcessQueue.new(cWorkerArgv(), 2);
    try {
        const pairs = [...Array(12).keys()].map(i => [i, 100 * i]);
        const g = q.map_call('add', new GLib.Variant('a(ii)', pairs), null);
        assertEqual(g.get_size(), 12, 'size');
        const summary = await q.run_async(0, Osiiso.RunFlags.NONE, null);
        assertEqual(summary.get_succeeded(), 12, 'succeeded');
        const values = valuesOf(g);
        assert(values.every(v => v instanceof GLib.Variant), 'variants');
        assertArrayEqual(values.map(v => v.get_int32()), pairs.map(([a, b]) => a + b), 'sums');

        const mixed = Osiiso.TaskGroup.new('calls');
        mixed.add_map_call('echo', new GLib.Variant('as', ['a', 'b']), null);
        mixed.add_call('fail', null, null);
        mixed.add_call('add', new GLib.Variant('(ii)', [2, 3]), null);
        q.submit_group(mixed);
        await q.run_async(0, Osiiso.RunFlags.NONE, null);
        assertThrowsGError(Osiiso.Error, Osiiso.Error.EXECUTION, () => mixed.get_values(GUARD, null));
        const results = mixed.wait(GUARD, null).get_results();
        assertArrayEqual(results.map(r => r.get_status()),
            [Status.SUCCEEDED, Status.SUCCEEDED, Status.FAILED, Status.SUCCEEDED], 'statuses');
        assertEqual(results[1].get_value().unpack(), 'b', 'echo');
        assertEqual(results[2].get_error().message, 'told to fail', 'error');
        assertEqual(results[3].get_value().get_int32(), 5, 'add');

        const functions = Osiiso.TaskGroup.new(null);
        functions.add(square, new GLib.Variant('x', 2), null);
        assertThrowsGError(Osiiso.Error, Osiiso.Error.INVALID_OPTION, () => q.submit_group(functions),
            'a JS function on a process queue');
        assertThrowsGError(Osiiso.Error, Osiiso.Error.INVALID_OPTION,
            () => q.map_call('echo', new GLib.Variant('i', 1), null), 'non-array inputs');
    } finally {
        q.shutdown(true, null);
    }
}, {skip: NO_WORKER});

await test('a group of commands', async () => {
    const q = Osiiso.ProcessQueue.new(null, 2);
    try {
        const g = Osiiso.TaskGroup.new('commands');
        for (const word of ['one', 'two', 'three'])
            g.add_command(['sh', '-c', 'printf %s "$1"', 'sh', word], null, null, null, null);
        g.add_command(['sh', '-c', 'exit 3'], null, null, null, null);
        q.submit_group(g);
        await q.run_async(0, Osiiso.RunFlags.NONE, null);
        assertArrayEqual(statusesOf(g),
            [Status.SUCCEEDED, Status.SUCCEEDED, Status.SUCCEEDED, Status.FAILED], 'statuses');
        const decoder = new TextDecoder();
        const out = g.wait(GUARD, null).get_results().slice(0, 3)
            .map(r => decoder.decode(r.get_value().get_stdout().toArray()));
        assertArrayEqual(out, ['one', 'two', 'three'], 'stdout');
        assertThrowsGError(Osiiso.Error, Osiiso.Error.EXECUTION, () => g.get_values(GUARD, null));
        assertThrowsGError(Osiiso.Error, Osiiso.Error.INVALID_OPTION,
            () => q.map_call('echo', ints([1]), null), 'map_call without a worker');
    } finally {
        q.shutdown(true, null);
    }
});

// ---------------------------------------------------------------------------
// One-shot maps: Osiiso.async_map() and Osiiso.process_map()
// ---------------------------------------------------------------------------

// Both return the map's summary, its values in input order. (Fixed
// library problem: they returned a GPtrArray of GValue, on which GJS 1.74
// crashed; the children stay, in case that comes back.)

await test('async_map gives the values in input order', async () => {
    const [status, output] = await runChild(`
        import GLib from 'gi://GLib';
        import Osiiso from 'gi://Osiiso?version=1.0';
        const values = Osiiso.async_map(ctx => {
            ctx.return_value('v' + ctx.get_input().get_int64());
            return true;
        }, new GLib.Variant('ax', [1, 2, 3]), 2, null, 0, 0).get_values();
        print(JSON.stringify(values));
    `);
    assertEqual(`${status}: ${output.trim()}`, '0: ["v1","v2","v3"]', 'child');
});

await test('process_map gives the values in input order', async () => {
    const [status, output] = await runChild(`
        import GLib from 'gi://GLib';
        import Osiiso from 'gi://Osiiso?version=1.0';
        const values = Osiiso.process_map(${JSON.stringify(cWorkerArgv())}, 'add',
            new GLib.Variant('a(ii)', [[1, 2], [3, 4]]), 2, null, 0, 0).get_values();
        print(JSON.stringify(values.map(v => v.get_int32())));
    `);
    assertEqual(`${status}: ${output.trim()}`, '0: [3,7]', 'child');
}, {skip: NO_WORKER});

await test('async_map: a failure, a timeout, bad inputs', () => {
    let calls = 0;
    const e = assertThrowsGError(Osiiso.Error, Osiiso.Error.EXECUTION, () => Osiiso.async_map(ctx => {
        calls++;
        if (ctx.get_index() === 2)
            ctx.return_error(new GLib.Error(Osiiso.Error, Osiiso.Error.FAILED, 'bad input'));
        else
            ctx.return_value(null);
        return true;
    }, ints([0, 1, 2, 3]), 2, null, 0, 0), 'a failed task');
    assert(e.message.includes('1 task(s) failed'), `message: ${e.message}`);
    assertEqual(calls, 4, 'every task ran');

    // Tasks that never complete: the map's timeout cancels them.
    const kept = [];
    const before = GLib.get_monotonic_time();
    const t = assertThrowsGError(Osiiso.Error, Osiiso.Error.EXECUTION,
        () => Osiiso.async_map(keeper(kept), ints([0, 1, 2]), 3, null, 0, 0.2), 'timed out');
    assert(t.message.includes('3 task(s) cancelled'), `message: ${t.message}`);
    assert(GLib.get_monotonic_time() - before < GUARD * 1e6 / 2, 'the timeout ended the map');
    assertEqual(kept.length, 3, 'started');
    assert(kept.every(c => c.is_cancelled()), 'every attempt was cancelled');
    for (const c of kept)
        c.return_error_if_cancelled();

    assertThrowsGError(Osiiso.Error, Osiiso.Error.INVALID_OPTION,
        () => Osiiso.async_map(square, new GLib.Variant('s', 'x'), 1, null, 0, 0), 'not an array');
});

await test('process_map: failures', () => {
    const e = assertThrowsGError(Osiiso.Error, Osiiso.Error.EXECUTION,
        () => Osiiso.process_map(cWorkerArgv(), 'add', new GLib.Variant('as', ['a', 'b']), 2, null, 0, 0),
        'wrong arguments');
    assert(e.message.includes('2 task(s) failed'), `message: ${e.message}`);
    assertThrowsGError(Osiiso.Error, Osiiso.Error.INVALID_OPTION,
        () => Osiiso.process_map(cWorkerArgv(), 'echo', new GLib.Variant('i', 1), 1, null, 0, 0),
        'not an array');
}, {skip: NO_WORKER});

done();

// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Checkpointed task groups (Osiiso.TaskGroup.set_checkpoint()) through GJS
// (raw introspection). Run as `gjs -m test-checkpoint-group.js`; it prints
// TAP and exits non-zero if any test failed.
//
// GJS cannot run JavaScript on worker threads, so the task functions run
// on an Osiiso.AsyncQueue, completed raw: each returns true ("started")
// and completes its attempt with ctx.return_value() (a GLib.Variant: what
// a checkpoint stores) or ctx.return_error(). Each "run" is a fresh queue
// and a fresh group over the same inputs, with the checkpoint reopened from
// its file, as a program run again would do.
//
// Values are read three ways: get_values(), per index (get_result(i)),
// and through the group's own summary, which keeps restored tasks.
//
// The test environment has G_DEBUG=fatal-warnings, under which the
// library's warning about a value that is not a GVariant would abort: that
// case runs in child processes, one expecting the warning
// (GLib.test_expect_message()), one not, which must die of it.
//
// Assertions happen only in test bodies, never inside task functions,
// key functions or signal handlers (a throw there would only be logged):
// those record, tests assert. Nothing sleeps.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Osiiso from 'gi://Osiiso?version=1.0';
import {
    count, test, assert, assertSameValue as assertEqual, assertArrayEqual, done,
} from './harness.js';

Gio._promisify(Osiiso.Queue.prototype, 'run_async', 'run_finish');
Gio._promisify(Gio.Subprocess.prototype, 'communicate_utf8_async', 'communicate_utf8_finish');

const Status = Osiiso.TaskStatus;
const GUARD = 20;   // seconds: an upper bound, never a synchronization

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const dir = GLib.dir_make_tmp('osiiso-checkpoint-group-js-XXXXXX');
const pathIn = name => GLib.build_filenamev([dir, name]);

function removeTree(path) {
    const file = Gio.File.new_for_path(path);
    const children = file.enumerate_children('standard::name', Gio.FileQueryInfoFlags.NONE, null);
    let info;
    while ((info = children.next_file(null)) !== null)
        file.get_child(info.get_name()).delete(null);
    children.close(null);
    file.delete(null);
}

const ints = values => new GLib.Variant('ax', values);

// One run of a checkpointed group: a fresh queue and group, @setup(group)
// giving it the checkpoint, @add(group) adding its tasks, and
// @submitted(group) called between submission and the run. Resolves with
// the group, the run's summary and the signals the queue emitted.
async function runGroup(setup, add, submitted = null) {
    const queue = new Osiiso.AsyncQueue({workers: 2});
    const signals = {started: 0, completed: 0};
    queue.connect('task-started', () => signals.started++);
    queue.connect('task-completed', () => signals.completed++);
    const group = Osiiso.TaskGroup.new(null);
    setup(group);
    add(group);
    queue.submit_group(group);
    submitted?.(group);
    const summary = await queue.run_async(0, Osiiso.RunFlags.NONE, null);
    return {group, summary, signals};
}

// Squares its input into a GLib.Variant('x'); records the inputs it ran
// in @ran; fails the inputs in @failing.
function squarer(ran, failing = new Set()) {
    return ctx => {
        const n = ctx.get_input().get_int64();
        ran.push(n);
        if (failing.has(n))
            ctx.return_error(new GLib.Error(Osiiso.Error, Osiiso.Error.FAILED, `no square for ${n}`));
        else
            ctx.return_value(new GLib.Variant('x', n * n));
        return true;
    };
}

function resultsOf(group) {
    return Array.from({length: group.get_size()}, (_, i) => group.get_result(i));
}

// Runs @source as an ES module in a child gjs, with G_DEBUG=fatal-warnings;
// resolves with [exit status, or null if a signal ended it, output].
async function runChild(source) {
    const path = pathIn(`child-${count}.js`);
    GLib.file_set_contents(path, source);
    const launcher = new Gio.SubprocessLauncher({
        flags: Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_MERGE,
    });
    launcher.setenv('G_DEBUG', 'fatal-warnings', true);
    const proc = launcher.spawnv([GLib.find_program_in_path('gjs'), '-m', path]);
    const [stdout] = await proc.communicate_utf8_async(null, null);
    GLib.unlink(path);
    return [proc.get_if_exited() ? proc.get_exit_status() : null, stdout ?? ''];
}

// ---------------------------------------------------------------------------
// Resuming a map of GVariant inputs
// ---------------------------------------------------------------------------

await test('a failure and a cancellation are not recorded; the second run restores the rest', async () => {
    const path = pathIn('squares.db');
    const inputs = [...Array(10).keys()];

    // First run: 3 fails, 5 is cancelled before it starts; the other eight
    // succeed and are recorded under their canonical keys.
    let checkpoint = Osiiso.Checkpoint.new(path);
    const ran1 = [];
    const first = await runGroup(g => g.set_checkpoint(checkpoint, 'squares', null),
        g => g.add_map(squarer(ran1, new Set([3])), ints(inputs), null),
        g => assert(g.get_handle(5).cancel(), 'cancel 5'));
    assertEqual(first.group.get_n_restored(), 0, 'first run: restored');
    assertEqual(first.summary.get_total(), 10, 'first run: total');
    assertEqual(first.summary.get_failed(), 1, 'first run: failed');
    assertEqual(first.summary.get_cancelled(), 1, 'first run: cancelled');
    assertArrayEqual(ran1.sort((a, b) => a - b), [0, 1, 2, 3, 4, 6, 7, 8, 9], 'first run: ran');
    assertEqual(checkpoint.count('squares'), 8, 'first run: recorded');
    const key = n => Osiiso.Checkpoint.canonical_key(new GLib.Variant('x', n));
    assertEqual(checkpoint.is_done('squares', key(0)), true, '0 recorded');
    assertEqual(checkpoint.is_done('squares', key(3)), false, 'the failure is not recorded');
    assertEqual(checkpoint.is_done('squares', key(5)), false, 'the cancellation is not recorded');
    assert(checkpoint.close(), 'close');

    // Second run, from the file: only 3 and 5 run.
    checkpoint = Osiiso.Checkpoint.new(path);
    const ran2 = [];
    const second = await runGroup(g => g.set_checkpoint(checkpoint, 'squares', null),
        g => g.add_map(squarer(ran2), ints(inputs), null));
    const g = second.group;
    assertArrayEqual(ran2.sort((a, b) => a - b), [3, 5], 'second run: ran');
    assertEqual(g.get_n_restored(), 8, 'restored');
    // Restored tasks are left out of the run's summary and signals…
    assertEqual(second.summary.get_total(), 2, 'run total');
    assertEqual(second.summary.get_succeeded(), 2, 'run succeeded');
    assertEqual(second.signals.started, 2, 'task-started');
    assertEqual(second.signals.completed, 2, 'task-completed');
    // …but the group's values line up 1:1 with the inputs.
    const results = resultsOf(g);
    assertArrayEqual(results.map(r => r.get_status()), inputs.map(() => Status.SUCCEEDED), 'statuses');
    assert(results.every(r => r.get_value() instanceof GLib.Variant), 'GVariant values');
    assertArrayEqual(results.map(r => r.get_value().get_type_string()), inputs.map(() => 'x'), 'types');
    assertArrayEqual(results.map(r => r.get_value().get_int64()), inputs.map(n => n * n), 'values');
    assertArrayEqual(g.get_values(GUARD, null).map(v => v.get_int64()), inputs.map(n => n * n),
        'get_values()');
    assertArrayEqual(results.map(r => r.get_attempts()), inputs.map(n => n === 3 || n === 5 ? 1 : 0),
        'attempts');
    assertArrayEqual(results.map(r => r.get_message()),
        inputs.map(n => n === 3 || n === 5 ? '' : 'restored from checkpoint'), 'messages');
    assertEqual(g.get_n_completed(), 10, 'completed');
    const summary = g.wait(GUARD, null);
    assertEqual(summary.get_succeeded(), 10, 'the group summary keeps every task');
    assertArrayEqual(summary.get_results().map(r => r.get_value().get_int64()), inputs.map(n => n * n),
        'group summary values');
    assertEqual(checkpoint.count('squares'), 10, 'recorded');

    // A third run runs nothing; another namespace starts from nothing.
    const ran3 = [];
    const third = await runGroup(gr => gr.set_checkpoint(checkpoint, 'squares', null),
        gr => gr.add_map(squarer(ran3), ints(inputs), null));
    assertEqual(third.group.get_n_restored(), 10, 'third run: restored');
    assertEqual(third.summary.get_total(), 0, 'third run: total');
    assertArrayEqual(ran3, [], 'third run: ran');
    const other = await runGroup(gr => gr.set_checkpoint(checkpoint, 'cubes', null),
        gr => gr.add_map(squarer(ran3), ints([2, 3]), null));
    assertEqual(other.group.get_n_restored(), 0, 'another namespace: restored');
    assertArrayEqual(ran3, [2, 3], 'another namespace: ran');
    assert(checkpoint.close(), 'close');
});

await test('stored values keep their exact GVariant type', async () => {
    const checkpoint = Osiiso.Checkpoint.new(':memory:');
    const make = ctx => {
        const s = ctx.get_input().get_string()[0];
        ctx.return_value(new GLib.Variant('(sau)', [s.toUpperCase(), [s.length, 7]]));
        return true;
    };
    const inputs = new GLib.Variant('as', ['a', 'bb', '']);
    await runGroup(g => g.set_checkpoint(checkpoint, 'tuples', null), g => g.add_map(make, inputs, null));
    let ran = 0;
    const again = await runGroup(g => g.set_checkpoint(checkpoint, 'tuples', null), g => g.add_map(ctx => {
        ran++;
        return make(ctx);
    }, inputs, null));
    assertEqual(ran, 0, 'ran');
    const values = resultsOf(again.group).map(r => r.get_value());
    assertArrayEqual(values.map(v => v.get_type_string()), ['(sau)', '(sau)', '(sau)'], 'types');
    assertArrayEqual(values.map(v => v.deepUnpack()), [['A', [1, 7]], ['BB', [2, 7]], ['', [0, 7]]],
        'values');
});

// ---------------------------------------------------------------------------
// Key functions written in JavaScript
// ---------------------------------------------------------------------------

await test('a key function from JS replaces the default key', async () => {
    const checkpoint = Osiiso.Checkpoint.new(':memory:');
    const calls = [];
    // Case-insensitive keys: "b" and "B" are the same input.
    const byLowerCase = (input, object, index) => {
        calls.push([input.get_string()[0], object, index]);
        return `word:${input.get_string()[0].toLowerCase()}`;
    };
    const exclaim = ran => ctx => {
        const s = ctx.get_input().get_string()[0];
        ran.push(s);
        ctx.return_value(new GLib.Variant('s', `${s}!`));
        return true;
    };

    const ran1 = [];
    await runGroup(g => g.set_checkpoint(checkpoint, 'words', byLowerCase),
        g => g.add_map(exclaim(ran1), new GLib.Variant('as', ['a', 'b', 'c']), null));
    assertArrayEqual(calls, [['a', null, 0], ['b', null, 1], ['c', null, 2]], 'key function calls');
    assertArrayEqual(Object.keys(checkpoint.lookup('words', ['word:a', 'word:b', 'word:c', 'a'])).sort(),
        ['word:a', 'word:b', 'word:c'], 'recorded keys');

    // Another order, another case, one new input.
    const ran2 = [];
    const second = await runGroup(g => g.set_checkpoint(checkpoint, 'words', byLowerCase),
        g => g.add_map(exclaim(ran2), new GLib.Variant('as', ['C', 'd', 'B']), null));
    assertArrayEqual(ran2, ['d'], 'ran');
    assertEqual(second.group.get_n_restored(), 2, 'restored');
    // Restored values are the stored ones: those of "c" and "b".
    assertArrayEqual(resultsOf(second.group).map(r => r.get_value().unpack()), ['c!', 'd!', 'b!'], 'values');
    assertArrayEqual(second.group.get_values(GUARD, null).map(v => v.unpack()), ['c!', 'd!', 'b!'],
        'get_values()');
});

await test('a key function gives input objects, which have no default key, their keys', async () => {
    const checkpoint = Osiiso.Checkpoint.new(':memory:');
    const store = new Gio.ListStore({item_type: Gio.SimpleAction});
    for (const name of ['open', 'save', 'quit'])
        store.append(new Gio.SimpleAction({name}));
    const named = ran => ctx => {
        const name = ctx.get_input_object().get_name();
        ran.push(name);
        ctx.return_value(new GLib.Variant('u', name.length));
        return true;
    };

    // Without a key function the group cannot be submitted.
    const queue = new Osiiso.AsyncQueue({workers: 1});
    const keyless = Osiiso.TaskGroup.new(null);
    keyless.set_checkpoint(checkpoint, 'actions', null);
    keyless.add_map_objects(named([]), store, null);
    try {
        queue.submit_group(keyless);
        throw new Error('a group of input objects without a key function was accepted');
    } catch (e) {
        assert(e instanceof GLib.Error && e.matches(Osiiso.Error, Osiiso.Error.INVALID_OPTION),
            `expected INVALID_OPTION, got ${e}`);
    }

    const byName = (input, object) => `action:${object.get_name()}`;
    const ran1 = [];
    const first = await runGroup(g => g.set_checkpoint(checkpoint, 'actions', byName),
        g => g.add_map_objects(named(ran1), store, null));
    assertEqual(first.summary.get_succeeded(), 3, 'first run');
    assertEqual(checkpoint.is_done('actions', 'action:save'), true, 'recorded by name');

    store.insert(1, new Gio.SimpleAction({name: 'print'}));
    const ran2 = [];
    const second = await runGroup(g => g.set_checkpoint(checkpoint, 'actions', byName),
        g => g.add_map_objects(named(ran2), store, null));
    assertArrayEqual(ran2, ['print'], 'only the new object ran');
    assertArrayEqual(resultsOf(second.group).map(r => r.get_value().get_uint32()), [4, 5, 4, 4], 'values');
    assertArrayEqual(resultsOf(second.group).map(r => r.get_attempts()), [0, 1, 0, 0], 'attempts');
});

// ---------------------------------------------------------------------------
// A value that is not a GVariant
// ---------------------------------------------------------------------------

// The child runs a checkpointed group whose tasks return a JS string (a
// gchararray value, not a GVariant), under G_DEBUG=fatal-warnings.
function nonVariantChild(expectWarning) {
    return `
        import GLib from 'gi://GLib';
        import Osiiso from 'gi://Osiiso?version=1.0';
        const checkpoint = Osiiso.Checkpoint.new(':memory:');
        const queue = new Osiiso.AsyncQueue({workers: 1});
        const group = Osiiso.TaskGroup.new('strings');
        group.set_checkpoint(checkpoint, 'strings', null);
        group.add_map(ctx => {
            ctx.return_value('plain ' + ctx.get_input().get_int64());
            return true;
        }, new GLib.Variant('ax', [1, 2]), null);
        queue.submit_group(group);
        if (${expectWarning}) {
            for (let i = 0; i < 2; i++) {
                GLib.test_expect_message('Osiiso', GLib.LogLevelFlags.LEVEL_WARNING,
                    '*value of task * of group “strings” is a gchararray, not a GVariant*');
            }
        }
        const summary = queue.run(null);
        // Aborts the child if a warning did not come.
        GLib.test_assert_expected_messages_internal('Osiiso', 'child.js', 0, 'child');
        print(JSON.stringify([summary.get_succeeded(), checkpoint.count('strings'),
            group.get_result(0).get_value(), group.get_result(1).get_value()]));
    `;
}

await test('a value that is not a GVariant is not recorded (a warning), and its task succeeds', async () => {
    const [status, output] = await runChild(nonVariantChild(true));
    assertEqual(`${status}: ${output.trim()}`, '0: [2,0,"plain 1","plain 2"]', 'child');
});

await test('the warning is real: unexpected, it is fatal under fatal-warnings', async () => {
    const [status, output] = await runChild(nonVariantChild(false));
    assertEqual(status, null, `the child should die of the warning, but: ${status}: ${output}`);
    assert(output.includes('not a GVariant'), `the warning: ${output}`);
});

removeTree(dir);
done();

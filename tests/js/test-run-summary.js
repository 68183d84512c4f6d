// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Osiiso.RunSummary through GJS: summaries of real runs of an
// Osiiso.AsyncQueue whose tasks are JavaScript functions, submitted with the
// shipped ES module (osiiso-glib/osiiso.js, from OSIISO_JS_MODULE). Run as
// `gjs -m test-run-summary.js`; it prints TAP and exits non-zero if any
// test failed.
//
// Assertions happen only in test bodies, never inside task functions
// (a throw there would only be logged; see reference/toolchain.md,
// pitfall 3). Nothing sleeps to synchronize: tests await the runs.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Osiiso from 'gi://Osiiso?version=1.0';
import Gettext from 'gettext';
import System from 'system';
import {test, assert, done} from './harness.js';

// The report is translated, and gjs starts in the environment's locale:
// the texts below are the untranslated ones.
Gettext.setlocale(Gettext.LocaleCategory.ALL, 'C');

const moduleUri = GLib.getenv('OSIISO_JS_MODULE');
if (!moduleUri) {
    print('1..0 # SKIP OSIISO_JS_MODULE is not set');
    System.exit(0);
}
const {submit, run} = await import(moduleUri);

const Status = Osiiso.TaskStatus;
const RULE = `${'-'.repeat(40)}\n`;

// ---------------------------------------------------------------------------
// Assertions of this file (the shared ones are in harness.js)
// ---------------------------------------------------------------------------

function assertEqual(actual, expected, what = 'value') {
    if (actual !== expected)
        throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

function assertArrayEqual(actual, expected, what = 'array') {
    assert(Array.isArray(actual), `${what}: not an array: ${actual}`);
    assertEqual(JSON.stringify(actual), JSON.stringify(expected), what);
}

function ids(results) {
    return results.map(r => r.get_task_id());
}

function report(summary, status, [total, succeeded, failed_, cancelled], failures = '') {
    return `${RULE}  Run Summary: ${status}\n${RULE}` +
        `  Total tasks : ${total}\n` +
        `  Succeeded   : ${succeeded}\n` +
        `  Failed      : ${failed_}\n` +
        `  Cancelled   : ${cancelled}\n` +
        `  Duration    : ${summary.get_duration().toFixed(3)}s\n` +
        `${failures ? `${RULE}  Failures:\n${failures}` : ''}${RULE}`;
}

// ---------------------------------------------------------------------------
// One run with everything a summary distinguishes
// ---------------------------------------------------------------------------

const object = new GObject.Object();
const queue = new Osiiso.AsyncQueue({workers: 1});
const cancelledA = submit(queue, () => 0, {name: 'a', groupId: 'g2'});
const cancelledB = submit(queue, () => 0);
const cancelledBoth = cancelledA.cancel() && cancelledB.cancel();
const handles = {
    one: submit(queue, () => 1, {name: 'a', groupId: 'g1'}),
    two: submit(queue, async () => 'two', {name: 'a', groupId: 'g1'}),
    none: submit(queue, () => undefined, {name: 'b'}),
    object: submit(queue, () => object, {name: 'obj', groupId: 'g3'}),
    flaky: submit(queue, () => {
        throw new Error('still broken');
    }, {name: 'flaky', groupId: 'g2', retries: 2}),
    broken: submit(queue, () => Promise.reject(new Error('line one\nline two')), {name: 'a'}),
    unnamed: submit(queue, () => 3),
};
const hidden = submit(queue, () => 99, {name: 'hidden', groupId: 'g1', detached: true});
const summary = await run(queue);
const results = summary.get_results();

function filtered(keep) {
    return ids(results.filter(keep));
}

await test('counts', () => {
    assert(cancelledBoth, 'queued tasks could not be cancelled');
    assertEqual(summary.get_total(), 9, 'total');
    assertEqual(results.length, 9, 'results');
    assertEqual(summary.get_succeeded(), 5, 'succeeded');
    assertEqual(summary.get_failed(), 2, 'failed');
    assertEqual(summary.get_cancelled(), 2, 'cancelled');
    assertEqual(summary.get_timed_out(), false, 'timed out');
    assertEqual(summary.get_ok(), false, 'ok');
});

await test('lookup() finds a result by task id; detached tasks are left out', () => {
    for (const [key, handle] of Object.entries({...handles, cancelledA, cancelledB})) {
        const result = summary.lookup(handle.get_id());
        assert(result instanceof Osiiso.TaskResult, `${key}: no result`);
        assertEqual(result.get_task_id(), handle.get_id(), `${key} id`);
        assertEqual(result.get_name(), handle.get_name(), `${key} name`);
    }
    assertEqual(summary.lookup(handles.flaky.get_id()).get_attempts(), 3, 'attempts');
    assertEqual(hidden.get_status(), Status.SUCCEEDED, 'detached status');
    assertEqual(summary.lookup(hidden.get_id()), null, 'detached result');
    assertEqual(summary.lookup(0), null, 'unknown id');
});

await test('lookup_by_name() gives every result of a name, in result order', () => {
    const a = summary.lookup_by_name('a');
    assertEqual(a.length, 4, 'results named a');
    assert(a.every(r => r instanceof Osiiso.TaskResult), 'not results');
    assertArrayEqual(ids(a), filtered(r => r.get_name() === 'a'), 'a');
    assertArrayEqual(ids(summary.lookup_by_name('b')), [handles.none.get_id()], 'b');
    const unnamed = handles.unnamed;
    assertEqual(unnamed.get_name(), `task-${unnamed.get_id()}`, 'default name');
    assertArrayEqual(ids(summary.lookup_by_name(unnamed.get_name())), [unnamed.get_id()], 'unnamed');
    assertArrayEqual(summary.lookup_by_name('hidden'), [], 'detached');
    assertArrayEqual(summary.lookup_by_name('nobody'), [], 'nobody');
});

await test('lookup_by_group() gives a group, and null the ungrouped tasks', () => {
    for (const [group, n] of [['g1', 2], ['g2', 2], ['g3', 1], [null, 4]]) {
        const found = summary.lookup_by_group(group);
        assertEqual(found.length, n, `size of ${group}`);
        assertArrayEqual(ids(found), filtered(r => r.get_group_id() === group), `${group}`);
    }
    assertArrayEqual(summary.lookup_by_group('g4'), [], 'unknown group');
});

await test('successes, errors and cancellations', () => {
    for (const [get, status, n] of [['get_successes', Status.SUCCEEDED, 5],
        ['get_errors', Status.FAILED, 2], ['get_cancellations', Status.CANCELLED, 2]]) {
        const found = summary[get]();
        assertEqual(found.length, n, get);
        assertArrayEqual(ids(found), filtered(r => r.get_status() === status), get);
    }
    assertArrayEqual(summary.get_cancellations().map(r => r.get_message()),
        ['cancelled before execution', 'cancelled before execution'], 'cancellation messages');
    assertArrayEqual(summary.get_errors().map(r => r.get_error().message).sort(),
        ['line one\nline two', 'still broken'], 'error messages');
});

await test('get_values() gives the values of the successes, in result order', () => {
    const values = summary.get_values();
    assertEqual(values.length, 5, 'number of values');
    const expected = summary.get_successes().map(r => r.get_value());
    for (let i = 0; i < 5; i++)
        assertEqual(values[i], expected[i], `value ${i}`);
    // One worker: the successes finish in submission order.
    assertEqual(values[0], 1, 'a number');
    assertEqual(values[1], 'two', 'an async function\'s string');
    assertEqual(values[2], null, 'no value');
    assertEqual(values[3], object, 'an object');
    assertEqual(values[4], 3, 'the unnamed task');
    assertEqual(summary.get_values()[3], object, 'again');
});

await test('check() is the execution error, cancellations when asked', () => {
    for (const [include, message] of [[false, '2 task(s) failed'],
        [true, '2 task(s) failed; 2 task(s) cancelled']]) {
        let error = null;
        try {
            summary.check(include);
        } catch (e) {
            error = e;
        }
        assert(error instanceof GLib.Error, `check(${include}) did not throw`);
        assert(error.matches(Osiiso.Error, Osiiso.Error.EXECUTION), `check(${include}): ${error}`);
        assertEqual(error.message, message, `check(${include})`);
    }
});

await test('to_string() lists the failures in result order', () => {
    const failures = {
        flaky: '    - flaky (3 attempts)\n      still broken\n',
        a: '    - a\n      line one\n      line two\n',
    };
    const order = summary.get_errors().map(r => r.get_name());
    assertArrayEqual([...order].sort(), ['a', 'flaky'], 'failed tasks');
    assertEqual(summary.to_string(), report(summary, 'COMPLETED WITH ERRORS', [9, 5, 2, 2],
        order.map(name => failures[name]).join('')), 'report');
});

// ---------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------

await test('a clean run: PASSED, and nothing to check', async () => {
    const q = new Osiiso.AsyncQueue({workers: 2});
    for (const i of [0, 1, 2])
        submit(q, () => i);
    const s = await run(q);
    assertEqual(s.get_ok(), true, 'ok');
    s.check(true);
    const values = s.get_values();
    assertArrayEqual(values, s.get_results().map(r => r.get_value()), 'values');
    assertArrayEqual([...values].sort(), [0, 1, 2], 'sorted values');
    assertEqual(s.to_string(), report(s, 'PASSED', [3, 3, 0, 0]), 'report');
});

await test('failures: attempts when more than one, and every line of a message', async () => {
    const q = new Osiiso.AsyncQueue({workers: 1});
    submit(q, () => 1, {name: 'good'});
    submit(q, () => {
        throw new GLib.Error(Osiiso.error_quark(), Osiiso.Error.FAILED, 'first\nsecond\n');
    }, {name: 'once'});
    submit(q, () => {
        throw new GLib.Error(Osiiso.error_quark(), Osiiso.Error.FAILED, '');
    }, {name: 'silent'});
    submit(q, () => {
        throw new Error('planned');
    }, {name: 'retried', retries: 1});
    const s = await run(q);
    assertArrayEqual(s.get_errors().map(r => r.get_name()), ['once', 'silent', 'retried'], 'errors');
    assertEqual(s.to_string(), report(s, 'COMPLETED WITH ERRORS', [4, 1, 3, 0],
        '    - once\n      first\n      second\n' +
        '    - silent\n' +
        '    - retried (2 attempts)\n      planned\n'), 'report');
});

await test('cancellations only: an error only when asked', async () => {
    const q = new Osiiso.AsyncQueue({workers: 1});
    assert(submit(q, () => 1).cancel(), 'cancel');
    const s = await run(q);
    s.check(false);
    let error = null;
    try {
        s.check(true);
    } catch (e) {
        error = e;
    }
    assert(error instanceof GLib.Error, 'check(true) did not throw');
    assertEqual(error.message, '1 task(s) cancelled', 'message');
    assertArrayEqual(s.get_values(), [], 'values');
    assertArrayEqual(s.get_successes(), [], 'successes');
    assertEqual(s.get_cancellations().length, 1, 'cancellations');
    assertEqual(s.to_string(), report(s, 'COMPLETED WITH ERRORS', [1, 0, 0, 1]), 'report');
});

await test('a run that times out: TIMED OUT', async () => {
    const q = new Osiiso.AsyncQueue({workers: 1});
    submit(q, () => {
        throw new Error('bad');
    }, {name: 'bad'});
    // Runs until its attempt is cancelled, by the run's timeout.
    const stuck = submit(q, ctx => new Promise(resolve => {
        ctx.get_cancellable().connect(() => resolve('cancelled'));
    }), {name: 'stuck'});
    const s = await run(q, {timeout: 0.2});
    assertEqual(s.get_timed_out(), true, 'timed out');
    assertArrayEqual(ids(s.get_cancellations()), [stuck.get_id()], 'cancellations');
    assertEqual(s.to_string(), report(s, 'TIMED OUT', [2, 0, 1, 1], '    - bad\n      bad\n'),
        'report');
});

await test('an empty run: empty arrays, never null', async () => {
    const s = await run(new Osiiso.AsyncQueue({workers: 1}));
    assertArrayEqual(s.get_results(), [], 'results');
    assertArrayEqual(s.get_values(), [], 'values');
    assertArrayEqual(s.lookup_by_name('x'), [], 'by name');
    assertArrayEqual(s.lookup_by_group(null), [], 'by group');
    assertArrayEqual(s.get_errors(), [], 'errors');
    assertEqual(s.lookup(1), null, 'lookup');
    assertEqual(s.to_string(), report(s, 'PASSED', [0, 0, 0, 0]), 'report');
});

done();

// async-files.js: load files with GIO's asynchronous calls on an Osiiso.AsyncQueue
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The JavaScript flavour of async-files.c. Run it with `gjs -m async-files.js`.
//
// It writes three small files into a new temporary directory, then loads
// them as tasks of an async queue with 2 workers (at most 2 operations in
// flight). Through the osiiso.js module a task is a plain async function:
// what it returns is the task's value (here the contents, as a GLib.Bytes),
// and what it throws fails the task.
//
// A fourth task, "never-resolves", awaits a promise that never settles. Its
// 0.2 s per-attempt timeout fails it with Osiiso.Error.TIMEOUT and cancels
// the attempt's cancellable (ctx.get_cancellable()); the module completes
// the abandoned attempt for it, so nothing leaks although the promise never
// settles.
//
// Every task-completed signal prints a line, then the run's summary is
// printed. The outcome never varies: 3 succeeded, 1 failed (timeout), 0
// cancelled. The example checks that, and the contents, and exits 1 if
// anything differs, so its test (`meson test --suite examples`) catches a
// misbehaving queue.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Osiiso from 'gi://Osiiso?version=1.0';
import System from 'system';

// The module ships with the library; tests point at the source tree's copy.
const moduleUri = GLib.getenv('OSIISO_JS_MODULE') ??
    'file:///usr/local/share/osiiso-glib-1.0/js/osiiso.js';
const OsiisoJS = await import(moduleUri);

Gio._promisify(Gio.File.prototype, 'load_contents_async', 'load_contents_finish');

const files = [
    ['alpha.txt', 'The first file.\n'],
    ['beta.txt', 'The second file,\nwith two lines.\n'],
    ['gamma.txt', 'The third.\n'],
];

let ok = true;
function expect(condition, what) {
    if (!condition) {
        printerr(`async-files.js: unexpected outcome: ${what}`);
        ok = false;
    }
}

// The files to load.
const tmpdir = GLib.dir_make_tmp('osiiso-async-files-XXXXXX');
const paths = files.map(([name, contents]) => {
    const path = GLib.build_filenamev([tmpdir, name]);
    GLib.file_set_contents(path, contents);
    return path;
});

// The queue captures this thread's default main context: its task
// functions start there, and its signals are emitted there.
const queue = new Osiiso.AsyncQueue({workers: 2});
// "succeeded", "failed", … for each Osiiso.TaskStatus value.
const statusNames = new Map(Object.entries(Osiiso.TaskStatus)
    .filter(([, value]) => typeof value === 'number')
    .map(([key, value]) => [value, key.toLowerCase()]));

queue.connect('task-completed', (_queue, result) => {
    const value = result.get_value();
    const outcome = value instanceof GLib.Bytes ? `${value.get_size()} bytes` : result.get_message();
    const attempts = result.get_attempts();
    print(`task-completed  ${result.get_name().padEnd(14)}  ${statusNames.get(result.get_status()).padEnd(9)}  ` +
        `${attempts} attempt${attempts === 1 ? ' ' : 's'}  ${outcome}`);
});

// The stuck task goes first, so it holds one of the 2 workers while the
// files load through the other.
const stuck = OsiisoJS.submit(queue, ctx => {
    ctx.get_cancellable().connect(() =>
        print('never-resolves: the timeout cancelled the attempt\'s cancellable'));
    return new Promise(() => {});   // an operation that never completes
}, {name: 'never-resolves', timeout: 0.2});

const loads = paths.map((path, i) => OsiisoJS.submit(queue, async ctx => {
    const file = Gio.File.new_for_path(path);
    const [contents] = await file.load_contents_async(ctx.get_cancellable());
    return new GLib.Bytes(contents);
}, {name: files[i][0], timeout: 5}));

// Runs the queue without blocking the main loop, until all four tasks have
// ended.
const summary = await OsiisoJS.run(queue);
print(summary.to_string().trimEnd());

expect(summary.get_total() === files.length + 1, 'total');
expect(summary.get_succeeded() === files.length, 'succeeded');
expect(summary.get_failed() === 1, 'failed');
expect(summary.get_cancelled() === 0, 'cancelled');
expect(!summary.get_timed_out(), 'the run timed out');

const decoder = new TextDecoder();
loads.forEach((handle, i) => {
    const result = handle.get_result();
    if (result?.get_status() !== Osiiso.TaskStatus.SUCCEEDED) {
        expect(false, `${files[i][0]} did not succeed`);
        return;
    }
    const bytes = result.get_value();
    expect(bytes instanceof GLib.Bytes && decoder.decode(bytes.toArray()) === files[i][1],
        `the contents of ${files[i][0]} came back changed`);
});

const stuckResult = stuck.get_result();
expect(stuckResult?.get_status() === Osiiso.TaskStatus.FAILED &&
    stuckResult.get_error().matches(Osiiso.Error, Osiiso.Error.TIMEOUT),
`never-resolves did not fail with Osiiso.Error.TIMEOUT: ${stuckResult?.get_message()}`);

// Clean up the temporary directory.
for (const path of paths)
    GLib.unlink(path);
GLib.rmdir(tmpdir);

System.exit(ok ? 0 : 1);

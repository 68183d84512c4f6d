// map.js: one function over many inputs with Queue.map() (GJS)
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The JavaScript flavour of map.c. Run it with `gjs -m map.js`.
//
// GJS runs JavaScript on its main thread only, so the tasks run on an
// Osiiso.AsyncQueue, through plain introspection: a task function starts
// its work and returns true, and completes its task later with
// ctx.return_value() or ctx.return_error(). Here each task counts the
// Collatz steps of its input, then pretends to wait for I/O for that many
// milliseconds (a GLib timeout), so the tasks finish in order of steps,
// not in input order. The example prints each task as it finishes, then
// the values in input order, then maps again with an input that fails.
// It checks the known step counts and exits 1 on any other outcome.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Osiiso from 'gi://Osiiso?version=1.0';
import System from 'system';

Gio._promisify(Osiiso.TaskGroup.prototype, 'wait_async', 'wait_finish');
Gio._promisify(Osiiso.TaskGroup.prototype, 'wait_completed_async', 'wait_completed_finish');

const INPUTS = [837799, 27, 6171, 97, 77031, 871];
const EXPECTED = [524, 111, 261, 118, 350, 178];

function collatzSteps(borrowed) {
    // The context passed in is only lent for this call: keep a reference
    // of our own to complete the task later.
    const ctx = new Osiiso.TaskContext(borrowed);
    let n = ctx.get_input().get_uint64();
    if (n === 0) {
        ctx.return_error(new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.INVALID_ARGUMENT,
            '0 has no Collatz sequence'));
        return true;
    }
    let steps = 0;
    for (; n !== 1; steps++)
        n = n % 2 ? 3 * n + 1 : n / 2;
    GLib.timeout_add(GLib.PRIORITY_DEFAULT, steps, () => {
        ctx.return_value(steps);
        return GLib.SOURCE_REMOVE;
    });
    return true;   // started; completed by the timeout
}

let ok = true;
const queue = new Osiiso.AsyncQueue({workers: INPUTS.length});

// One task per input, admitted all together (or not at all).
const group = queue.map(collatzSteps, new GLib.Variant('at', INPUTS), null);
queue.start();

print('In completion order:');
for (let n = 0; n < group.get_size(); n++) {
    // eslint-disable-next-line no-await-in-loop
    const handle = await group.wait_completed_async(n, null);   // the (n + 1)th to finish
    print(`  ${handle.get_result().get_value()} steps`);
}

// The group's summary holds the results in input order, whatever the
// order the tasks finished in.
print('In input order:');
const summary = await group.wait_async(null);
const values = summary.get_results().map(result => result.get_value());
INPUTS.forEach((n, i) => print(`  ${String(n).padStart(7)} takes ${values[i]} steps`));
ok &&= JSON.stringify(values) === JSON.stringify(EXPECTED);

// A failed task: get_values() throws Osiiso.Error.EXECUTION, and the
// results still line up with the inputs.
const some = [7, 0, 9];
const failing = queue.map(collatzSteps, new GLib.Variant('at', some), null);
await failing.wait_async(null);
try {
    failing.get_values(0, null);
    ok = false;
} catch (e) {
    print(`Mapping again over 7, 0, 9: ${e.message}`);
    ok &&= e.matches(Osiiso.Error, Osiiso.Error.EXECUTION);
}
some.forEach((n, i) => {
    const error = failing.get_result(i).get_error();
    print(`  ${n}: ${error ? error.message : 'ok'}`);
    ok &&= (error !== null) === (n === 0);
});

queue.shutdown(false, null);
if (!ok)
    printerr('map.js: unexpected outcome');
System.exit(ok ? 0 : 1);

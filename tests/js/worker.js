// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A process queue worker written in JavaScript (raw introspection).
//
// Run as `gjs -m worker.js`, with the typelib and the library on
// GI_TYPELIB_PATH and LD_LIBRARY_PATH; it serves these functions on stdin
// and stdout until its input ends (argument -> value):
//
//   echo              any -> the argument
//   pid               any -> i, the worker's process id
//   add               (ii) -> i
//   counter           any -> i, a per-process counter, incremented per call
//   init-count        any -> i, how many times the initializer ran (1)
//   fail              any -> error G_IO_ERROR_PERMISSION_DENIED "told to fail"
//   throw             any -> a plain JavaScript Error, which GJS turns into
//                     an error in the domain "gjs-js-error-quark"
//   sleep             d (seconds) -> ()
//   crash             any -> System.breakpoint() (SIGTRAP)
//   exit              i -> System.exit(i)
//   spawn-grandchild  s (a file name) -> starts `sleep 30` in the same
//                     process group, writes its pid to the file, then
//                     sleeps 30 s
//   print             any (or i: a line count) -> prints lines to stdout
//                     (1000 by default), then returns s "done"
//
// With OSIISO_TEST_INIT_FAIL set in the environment, the initializer
// fails with G_IO_ERROR_NOT_INITIALIZED and that variable's value as message.
//
// The API, as GJS exposes it:
//
//   const worker = new Osiiso.Worker();     // or Osiiso.Worker.new()
//   worker.register(name, (worker, argument) => GLib.Variant or null);
//   worker.set_initializer(worker => true);
//   const status = worker.run();            // 0 at end of input, 1 if the initializer
//                                           // failed; throws on a protocol error
//
// A function fails its task by throwing: a GLib.Error keeps its domain,
// code and message; any other exception becomes a gjs-js-error-quark error.
// Return null (not undefined) for "no value".

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Osiiso from 'gi://Osiiso?version=1.0';
import System from 'system';

let counter = 0;
let initCount = 0;

function checkType(argument, type, name) {
    if (argument.get_type_string() !== type) {
        throw new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.INVALID_ARGUMENT,
            `${name} takes ${type}, not ${argument.get_type_string()}`);
    }
}

const functions = {
    'echo': (worker, argument) => argument,
    'pid': () => new GLib.Variant('i', new Gio.Credentials().get_unix_pid()),
    'add': (worker, argument) => {
        checkType(argument, '(ii)', 'add');
        const [a, b] = argument.deepUnpack();
        return new GLib.Variant('i', a + b);
    },
    'counter': () => new GLib.Variant('i', ++counter),
    'init-count': () => new GLib.Variant('i', initCount),
    'fail': () => {
        throw new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.PERMISSION_DENIED, 'told to fail');
    },
    'throw': () => {
        throw new Error('a plain JavaScript exception');
    },
    'sleep': (worker, argument) => {
        checkType(argument, 'd', 'sleep');
        GLib.usleep(argument.get_double() * 1000000);
        return null;
    },
    'crash': () => {
        System.breakpoint();
        return null;
    },
    'exit': (worker, argument) => {
        checkType(argument, 'i', 'exit');
        System.exit(argument.get_int32());
        return null;
    },
    'spawn-grandchild': (worker, argument) => {
        checkType(argument, 's', 'spawn-grandchild');
        const [, pid] = GLib.spawn_async(null, ['sleep', '30'], null,
            GLib.SpawnFlags.SEARCH_PATH | GLib.SpawnFlags.DO_NOT_REAP_CHILD, null);
        // Atomic: a reader never sees a partial pid.
        GLib.file_set_contents(argument.get_string()[0], `${pid}`);
        GLib.usleep(30 * 1000000);
        return null;
    },
    'print': (worker, argument) => {
        const lines = argument.get_type_string() === 'i' ? argument.get_int32() : 1000;
        for (let i = 0; i < lines; i++)
            print(`worker.js: line ${i} of task output on stdout`);
        return new GLib.Variant('s', 'done');
    },
};

const worker = new Osiiso.Worker();
for (const [name, func] of Object.entries(functions))
    worker.register(name, func);
worker.set_initializer(() => {
    initCount++;
    const message = GLib.getenv('OSIISO_TEST_INIT_FAIL');
    if (message !== null)
        throw new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_INITIALIZED, message);
    return true;
});
System.exit(worker.run());

// SPDX-License-Identifier: LGPL-2.1-or-later
//
// osiiso.js: JavaScript functions as tasks of an Osiiso.AsyncQueue (GJS).

/**
 * @file
 * An ES module for GJS (`gjs -m`) that lets plain and asynchronous
 * JavaScript functions run as tasks of an {@link Osiiso.AsyncQueue}.
 *
 * It is installed as `<prefix>/share/osiiso-glib-1.0/js/osiiso.js`
 * (`/usr/local` is meson's default prefix); import it by URI:
 *
 * ```js
 * import Gio from 'gi://Gio';
 * import Osiiso from 'gi://Osiiso?version=1.0';
 * import * as OsiisoJS from 'file:///usr/local/share/osiiso-glib-1.0/js/osiiso.js';
 *
 * Gio._promisify(Gio.File.prototype, 'load_contents_async', 'load_contents_finish');
 *
 * const queue = new Osiiso.AsyncQueue({workers: 4});
 * const file = Gio.File.new_for_path('/etc/os-release');
 * const handle = OsiisoJS.submit(queue, async ctx => {
 *     const [contents] = await file.load_contents_async(ctx.get_cancellable());
 *     return contents.length;
 * }, {timeout: 5, retries: 2, retryDelay: 0.5});
 * const summary = await OsiisoJS.run(queue);
 * print(summary.to_string());
 * print(OsiisoJS.resultValue(handle));
 * ```
 *
 * GJS runs JavaScript on its main thread only, so JavaScript tasks belong on
 * an `Osiiso.AsyncQueue` (or in a worker process), never on an
 * `Osiiso.ThreadQueue`. The queue must be created on the thread whose main
 * context GJS runs (in practice: anywhere in a GJS script).
 *
 * ## How a JavaScript task is run
 *
 * Through raw introspection a task function must return `true` ("started")
 * and complete its attempt later with `ctx.return_value()` or
 * `ctx.return_error()`; a function that returns nothing fails with a
 * generic message. {@link submit} wraps a JavaScript function so that:
 *
 * - the function is called once per attempt with the attempt's
 *   `Osiiso.TaskContext` (`ctx.get_attempt()`, `ctx.get_cancellable()`,
 *   `ctx.get_name()`, `ctx.get_metadata()`, …);
 * - its return value, or the value its promise resolves to, becomes the
 *   task's value (see "Values" below);
 * - a throw, or a rejected promise, fails the attempt (and so retries it if
 *   the options allow). A `GLib.Error` keeps its domain, code and message;
 *   anything else becomes `Osiiso.Error.FAILED` with the JavaScript error's
 *   message (`String(e)` for a thrown non-`Error`);
 * - the wrapped function never calls `ctx.return_*()` itself: the wrapper
 *   completes each attempt exactly once. Do not call them from the task.
 *
 * A JavaScript function cannot be pre-empted. When an attempt times out or
 * is cancelled (`handle.cancel()`, a forced shutdown, a run timeout,
 * fail-first), the queue ends it at once and cancels `ctx.get_cancellable()`;
 * pass that cancellable to the GIO calls the task makes so they stop too.
 * If the function's promise is still pending, the wrapper completes the
 * abandoned attempt itself (the queue drops that completion), which gives
 * back what the attempt held (its context and a reference on the queue)
 * even if the promise never settles. Whatever the function resolves or
 * rejects with after that is dropped. To notice those interruptions on
 * the queue's main context, whatever thread caused them, the module
 * connects once to the queue's `task-retrying` and `task-completed`
 * signals when it first runs an asynchronous function on it.
 *
 * The `ctx` a function receives holds a reference of its own, so it stays
 * usable after the attempt ended (GJS itself does not reference boxed
 * arguments of callbacks: through raw introspection a context must not be
 * touched once its attempt is completed).
 *
 * Importing the module promisifies `Osiiso.Queue.prototype.run_async()`,
 * `shutdown_async()` and `Osiiso.TaskHandle.prototype.wait_async()` with
 * `Gio._promisify()`: called without a callback they return a promise; the
 * callback forms keep working.
 *
 * ## Values
 *
 * The value is handed to the queue as a `GValue`:
 *
 * | JavaScript value | GType of the task value | read back as |
 * | --- | --- | --- |
 * | `undefined`, `null` | none: the task has no value | `null` |
 * | `true`, `false` | `gboolean` | boolean |
 * | an integral number within ±(2^53 − 1) | `gint64` | number |
 * | any other number (fractions, ±Infinity, NaN, -0) | `gdouble` | number |
 * | a `BigInt` within gint64 (else guint64) range | `gint64` (`guint64`) | number (precision beyond 2^53 is lost) |
 * | a string | `gchararray` (UTF-8) | string |
 * | a `GObject.Object` | its own object type | the same object |
 * | a `GLib.Variant` | `GVariant` | the variant |
 * | another introspected boxed value (e.g. `GLib.Bytes`) | its boxed type | a copy or reference, as the type defines |
 * | a `GObject.Value` | its own type, as is | — |
 * | any other object (plain objects, arrays, typed arrays, `Map`s, class instances, functions) | `JSObject` (`GObject.TYPE_JSOBJECT`) | the very same object (`===`) |
 * | a `Symbol` | — | the attempt fails with a `TypeError` message |
 *
 * `JSObject` values are only meaningful to JavaScript: C code and other
 * bindings see an opaque boxed value. Return a `GLib.Variant` for data that
 * must cross a language or process boundary, and a `GLib.Bytes` (not a
 * `Uint8Array`) for bytes other code should read.
 *
 * Read a value with `result.get_value()` (or {@link resultValue}).
 * Avoid `handle.get_value()` and `result.propagate_value()` from GJS 1.74
 * on a task that did not succeed: their uninitialized out `GValue` makes
 * GJS report "Don't know how to convert GType (null)" (with a critical)
 * instead of the task's error. {@link resultValue} does the same job
 * safely.
 *
 * @module osiiso
 */

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import Osiiso from 'gi://Osiiso?version=1.0';

Gio._promisify(Osiiso.Queue.prototype, 'run_async', 'run_finish');
Gio._promisify(Osiiso.Queue.prototype, 'shutdown_async', 'shutdown_finish');
Gio._promisify(Osiiso.TaskHandle.prototype, 'wait_async', 'wait_finish');

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/* GJS 1.74 fills a GValue of type JSObject from any JS object only when the
 * GValue is already typed, e.g. when it sets a property of that type; a
 * GValue whose type it has to guess works for plain objects only. So
 * arbitrary objects go through a property of this small class, registered
 * on first use under a free name (the module may be loaded more than once,
 * from different URIs, in one process). */
let box = null;

function getBox() {
    if (box === null) {
        let name = 'OsiisoJSObjectBox';
        for (let i = 2; GObject.type_from_name(name) !== null; i++)
            name = `OsiisoJSObjectBox${i}`;
        const JSObjectBox = GObject.registerClass({
            GTypeName: name,
            Properties: {
                'value': GObject.ParamSpec.jsobject('value', 'Value', 'A JavaScript object',
                    GObject.ParamFlags.READWRITE),
            },
        }, class JSObjectBox extends GObject.Object {});
        box = new JSObjectBox();
    }
    return box;
}

function newValue(gtype, setter, v) {
    const gvalue = new GObject.Value();
    gvalue.init(gtype);
    gvalue[setter](v);
    return gvalue;
}

function jsObjectValue(obj) {
    const holder = getBox();
    const gvalue = new GObject.Value();
    gvalue.init(GObject.TYPE_JSOBJECT);
    holder.value = obj;
    try {
        holder.get_property('value', gvalue);
    } finally {
        holder.value = null;
    }
    return gvalue;
}

/**
 * Converts a JavaScript value to what `Osiiso.TaskContext.return_value()`
 * takes, following the table in the module documentation.
 *
 * @param {*} value - any JavaScript value
 * @returns {GObject.Value|GObject.Object|GLib.Variant|object|null} a
 *   `GObject.Value`, or an introspected object GJS converts by itself, or
 *   `null` for "no value"
 * @throws {TypeError} for a value that cannot be a task value (a Symbol)
 */
export function toGValue(value) {
    if (value === undefined || value === null)
        return null;
    if (value instanceof Number || value instanceof String || value instanceof Boolean)
        value = value.valueOf();

    switch (typeof value) {
    case 'boolean':
        return newValue(GObject.TYPE_BOOLEAN, 'set_boolean', value);
    case 'number':
        if (Number.isInteger(value) && Math.abs(value) <= MAX_SAFE && !Object.is(value, -0))
            return newValue(GObject.TYPE_INT64, 'set_int64', value);
        return newValue(GObject.TYPE_DOUBLE, 'set_double', value);
    case 'bigint':
        if (value >= INT64_MIN && value <= INT64_MAX)
            return newValue(GObject.TYPE_INT64, 'set_int64', value);
        if (value > INT64_MAX && value <= UINT64_MAX)
            return newValue(GObject.TYPE_UINT64, 'set_uint64', value);
        throw new TypeError(`the BigInt ${value} does not fit in 64 bits`);
    case 'string':
        return newValue(GObject.TYPE_STRING, 'set_string', value);
    case 'symbol':
        throw new TypeError(`a Symbol cannot be a task value (${String(value)})`);
    }

    // Objects and functions. Introspected values (GObjects, variants,
    // boxed types, GObject.Value) carry a GType that GJS converts them with;
    // everything else is a JSObject.
    if (value instanceof GObject.Object || value instanceof GLib.Variant ||
        value instanceof GObject.Value)
        return value;
    const gtype = value.constructor?.$gtype;
    if (gtype !== undefined && gtype !== GObject.TYPE_JSOBJECT &&
        GObject.type_is_a(gtype, GObject.TYPE_BOXED))
        return value;
    return jsObjectValue(value);
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/**
 * Converts anything thrown or rejected into a `GLib.Error`: a `GLib.Error`
 * is kept as it is (domain, code and message); any other value becomes
 * `Osiiso.Error.FAILED` with its message (`e.message` for an `Error`,
 * `String(e)` otherwise).
 *
 * @param {*} e - what the task threw or rejected with
 * @returns {GLib.Error} the error to fail the attempt with
 */
export function toGError(e) {
    if (e instanceof GLib.Error)
        return e;
    let message;
    try {
        if (e instanceof Error)
            message = e.message !== '' ? e.message : e.name;
        else
            message = String(e);
    } catch {
        message = Object.prototype.toString.call(e);   // a toString() that throws
    }
    if (!message)
        message = 'the JavaScript task failed';
    return new GLib.Error(Osiiso.error_quark(), Osiiso.Error.FAILED, message);
}

// ---------------------------------------------------------------------------
// Task options
// ---------------------------------------------------------------------------

let optionNames = null;

function optionName(key) {
    if (optionNames === null) {
        optionNames = new Set(GObject.Object.list_properties.call(Osiiso.TaskOptions)
            .map(pspec => pspec.get_name()));
    }
    // retryDelay, retry_delay and retry-delay all name "retry-delay".
    const name = key.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`).replace(/_/g, '-');
    if (!optionNames.has(name))
        throw new TypeError(`unknown task option "${key}"`);
    return name;
}

/**
 * Builds an `Osiiso.TaskOptions` from a plain object whose keys are option
 * names in camelCase, snake_case or kebab-case (`retryDelay`,
 * `retry_delay` and `'retry-delay'` are the same option). For convenience
 * `runAt` may also be a `Date`. Values are checked when a task is submitted
 * with the options (or by `options.validate()`), as for any
 * `Osiiso.TaskOptions`.
 *
 * An `Osiiso.TaskOptions` is returned as it is, and `null` or `undefined`
 * give `null` (the defaults).
 *
 * @example
 * const options = taskOptions({priority: 0, retries: 2, retryDelay: 0.25,
 *                              backoff: 2, timeout: 10, mustComplete: true});
 *
 * @param {object|Osiiso.TaskOptions|null} [obj] - the options
 * @returns {Osiiso.TaskOptions|null} the options object
 * @throws {TypeError} for an unknown option name
 */
export function taskOptions(obj = null) {
    if (obj === null || obj === undefined)
        return null;
    if (obj instanceof Osiiso.TaskOptions)
        return obj;
    if (typeof obj !== 'object')
        throw new TypeError(`task options must be an object, not ${typeof obj}`);

    const props = {};
    for (const [key, value] of Object.entries(obj)) {
        const name = optionName(key);
        props[name] = name === 'run-at' && value instanceof Date ? value.getTime() * 1000 : value;
    }
    return new Osiiso.TaskOptions(props);
}

// ---------------------------------------------------------------------------
// Submitting JavaScript functions
// ---------------------------------------------------------------------------

function isThenable(value) {
    return value !== null && (typeof value === 'object' || typeof value === 'function') &&
        typeof value.then === 'function';
}

/* Attempts whose promise has not settled yet, per queue: task id (as a
 * string) → the set of their abandon() functions. A task can have more
 * than one: a retry may start while an abandoned attempt still awaits. */
const unsettled = new WeakMap();

/* An attempt the queue ends (timeout, cancel, shutdown, fail-first) is
 * always followed by task-retrying or task-completed for its task, emitted
 * on the queue's main context whichever thread ended it. Those signals are
 * the cue to complete abandoned attempts whose promise is still pending. */
function unsettledOf(queue) {
    let attempts = unsettled.get(queue);
    if (attempts === undefined) {
        attempts = new Map();
        unsettled.set(queue, attempts);
        const abandonInterrupted = id => {
            const set = attempts.get(String(id));
            if (set !== undefined) {
                for (const abandon of [...set])
                    abandon();
            }
        };
        queue.connect('task-retrying', (_queue, handle) => abandonInterrupted(handle.get_id()));
        queue.connect('task-completed', (_queue, result) => abandonInterrupted(result.get_task_id()));
    }
    return attempts;
}

/* Runs one attempt of @fn and completes its context exactly once. */
function runAttempt(queue, borrowed, fn) {
    // GJS hands boxed callback arguments over without a reference of their
    // own: the wrapper is valid only while the C side keeps the context
    // alive, which ends when the attempt is completed. Take a reference
    // (the boxed copy constructor refs it) so the function may keep using
    // ctx after that, e.g. after an await that outlived its attempt.
    const ctx = new Osiiso.TaskContext(borrowed);
    let settled = false;
    let forget = null;

    const settle = (ok, outcome) => {
        if (settled) {
            // The attempt already ended (timed out or cancelled) and was
            // completed for it: a late outcome is dropped.
            return;
        }
        settled = true;
        forget?.();
        if (ok) {
            let gvalue;
            try {
                gvalue = toGValue(outcome);
            } catch (e) {
                ctx.return_error(toGError(e));
                return;
            }
            ctx.return_value(gvalue);
        } else {
            ctx.return_error(toGError(outcome));
        }
    };

    let outcome;
    try {
        outcome = fn(ctx);
    } catch (e) {
        settle(false, e);
        return;
    }
    if (!isThenable(outcome)) {
        settle(true, outcome);
        return;
    }

    // Once the queue has ended the attempt, complete it without waiting
    // for the promise: the queue drops that completion, and it gives back
    // the context and the queue reference the attempt holds, so a promise
    // that never settles leaks nothing. Its outcome is dropped later.
    const abandon = () => {
        if (!settled && ctx.is_cancelled()) {
            settled = true;
            forget?.();
            ctx.return_error_if_cancelled();
        }
    };
    if (ctx.is_cancelled()) {
        abandon();   // ended while fn() ran
    } else {
        const attempts = unsettledOf(queue);
        const key = String(ctx.get_task_id());
        let set = attempts.get(key);
        if (set === undefined)
            attempts.set(key, set = new Set());
        set.add(abandon);
        forget = () => {
            forget = null;
            set.delete(abandon);
            if (set.size === 0 && attempts.get(key) === set)
                attempts.delete(key);
        };
    }

    Promise.resolve(outcome).then(value => settle(true, value), e => settle(false, e));
}

/**
 * Submits a JavaScript function, plain or asynchronous, as a task of an
 * `Osiiso.AsyncQueue`, and returns its handle at once.
 *
 * `fn(ctx)` is called on the queue's main context once per attempt with the
 * attempt's `Osiiso.TaskContext`. Its return value, or what its promise
 * resolves to, becomes the task's value (see "Values" in the module
 * documentation); a throw or a rejection fails the attempt with the error's
 * message (a `GLib.Error` keeps its domain and code). Pass
 * `ctx.get_cancellable()` to the GIO calls it makes: it is cancelled when
 * the attempt times out or the task is cancelled.
 *
 * @example
 * const handle = submit(queue, async ctx => {
 *     const [contents] = await file.load_contents_async(ctx.get_cancellable());
 *     return new TextDecoder().decode(contents);
 * }, {timeout: 2, retries: 1});
 *
 * @param {Osiiso.Queue} queue - the queue, normally an `Osiiso.AsyncQueue`
 * @param {function(Osiiso.TaskContext): *} fn - the task
 * @param {object|Osiiso.TaskOptions|null} [options] - the task's options:
 *   an `Osiiso.TaskOptions` or a plain object for {@link taskOptions}
 * @returns {Osiiso.TaskHandle} the task's handle
 * @throws {GLib.Error} `Osiiso.Error.CLOSED`, `Osiiso.Error.FULL` or
 *   `Osiiso.Error.INVALID_OPTION` when the queue refuses the task
 * @throws {TypeError} when `fn` is not a function or an option is unknown
 */
export function submit(queue, fn, options = null) {
    if (!(queue instanceof Osiiso.Queue))
        throw new TypeError('submit() needs an Osiiso.Queue');
    if (typeof fn !== 'function')
        throw new TypeError('submit() needs a function');
    if (queue instanceof Osiiso.ThreadQueue)
        throw new TypeError('JavaScript cannot run on worker threads: use an Osiiso.AsyncQueue');

    return queue.submit(ctx => {
        runAttempt(queue, ctx, fn);
        return true;   // started; the completion goes through ctx
    }, taskOptions(options));
}

/**
 * Submits the same function once per input, in input order: `fn(input,
 * ctx)` for each element of `inputs`.
 *
 * @param {Osiiso.Queue} queue - the queue
 * @param {function(*, Osiiso.TaskContext): *} fn - the task
 * @param {Iterable} inputs - one task per element
 * @param {object|Osiiso.TaskOptions|null} [options] - options shared by all
 * @returns {Osiiso.TaskHandle[]} the handles, in input order
 */
export function map(queue, fn, inputs, options = null) {
    const shared = taskOptions(options);
    return Array.from(inputs, input => submit(queue, ctx => fn(input, ctx), shared));
}

// ---------------------------------------------------------------------------
// Promises for runs, shutdowns and handles
// ---------------------------------------------------------------------------

/**
 * Runs a queue without blocking the main loop: a promise for
 * `queue.run_async()`. Starts the queue if needed; in finite mode the run
 * ends when nothing is outstanding, in infinite mode when the queue is shut
 * down. A run timeout, or cancelling `cancellable`, ends the run like a
 * forced shutdown (the queue's exit policy applies) and closes the queue.
 *
 * @param {Osiiso.Queue} queue - the queue
 * @param {object} [params] - per-run settings
 * @param {number} [params.timeout=0] - run timeout in seconds; 0 for the
 *   queue's `timeout` property
 * @param {Osiiso.RunFlags} [params.flags=Osiiso.RunFlags.NONE] - per-run
 *   overrides (`STRICT`, `FAIL_FIRST`, `CONTINUE`)
 * @param {Gio.Cancellable|null} [params.cancellable=null] - ends the run
 * @returns {Promise<Osiiso.RunSummary>} the run's summary; rejects with a
 *   `GLib.Error` (`Osiiso.Error.BUSY`, `CLOSED`, or `EXECUTION` for a
 *   strict run in which a task failed)
 */
export async function run(queue, {timeout = 0, flags = Osiiso.RunFlags.NONE, cancellable = null} = {}) {
    return await queue.run_async(timeout, flags, cancellable);
}

/**
 * Shuts a queue down without blocking: a promise for
 * `queue.shutdown_async()`. A graceful shutdown drains everything
 * outstanding; a forced one applies the exit policy.
 *
 * @param {Osiiso.Queue} queue - the queue
 * @param {object} [params] - shutdown settings
 * @param {boolean} [params.force=false] - cancel instead of draining
 * @param {Gio.Cancellable|null} [params.cancellable=null] - reserved
 * @returns {Promise<boolean>} `true` once the queue is closed
 */
export async function shutdown(queue, {force = false, cancellable = null} = {}) {
    return await queue.shutdown_async(force, cancellable);
}

/**
 * Waits for a task without blocking: a promise for `handle.wait_async()`.
 * It resolves with the task's `Osiiso.TaskResult` whatever its final state;
 * use {@link resultValue} to get its value or error.
 *
 * @param {Osiiso.TaskHandle} handle - the task's handle
 * @param {Gio.Cancellable|null} [cancellable=null] - stops the wait (not
 *   the task); the promise then rejects with `Gio.IOErrorEnum.CANCELLED`
 * @returns {Promise<Osiiso.TaskResult>} the task's result
 */
export async function wait(handle, cancellable = null) {
    return await handle.wait_async(cancellable);
}

/**
 * Gives back what a finished task produced: its value (`null` if it has
 * none) for a succeeded task; otherwise it throws the task's `GLib.Error`
 * (`Gio.IOErrorEnum.CANCELLED` for a cancelled task).
 *
 * @param {Osiiso.TaskResult|Osiiso.TaskHandle} resultOrHandle - a result,
 *   or the handle of a finished task
 * @returns {*} the task's value
 * @throws {GLib.Error} the task's error, or `Osiiso.Error.NOT_READY` for a
 *   handle whose task is not finished
 */
export function resultValue(resultOrHandle) {
    let result = resultOrHandle;
    if (resultOrHandle instanceof Osiiso.TaskHandle) {
        result = resultOrHandle.get_result();
        if (result === null) {
            throw new GLib.Error(Osiiso.error_quark(), Osiiso.Error.NOT_READY,
                'the task has no result yet');
        }
    }
    if (result.get_status() !== Osiiso.TaskStatus.SUCCEEDED)
        throw result.get_error();
    return result.get_value();
}

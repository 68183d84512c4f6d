// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The minimal TAP harness the GJS tests share: test() prints one TAP line
// per test, done() the plan and the exit status, and the assertions the
// test files have in common. Imported relatively by each test-*.js
// (`import {test, assert, done} from './harness.js';`): gjs -m resolves the
// path from the importing module's own location.
//
// Only what the files use identically lives here; helpers particular to one
// file (or written differently in different files) stay in that file.

import GLib from 'gi://GLib';
import Osiiso from 'gi://Osiiso?version=1.0';
import System from 'system';

// The number of tests started so far (a live binding: importers see it
// grow).
export let count = 0;
let failed = 0;

// Runs @body (which may return a promise) as the next test; a thrown error
// or rejection fails it, with the error and its stack as TAP comments.
// Await every call: tests run one after another.
//
// @skip: a reason not to run the test; it is reported as "ok … # SKIP".
// @todo: a known library problem the test shows; a failure is reported as
// "not ok … # TODO" (an expected failure, not counted), a pass as
// "ok … # TODO" (an unexpected pass, so whoever fixes it removes the
// marker).
export async function test(name, body, {skip = null, todo = null} = {}) {
    count++;
    if (skip !== null) {
        print(`ok ${count} - ${name} # SKIP ${skip}`);
        return;
    }
    const directive = todo !== null ? ` # TODO ${todo}` : '';
    try {
        await body();
        print(`ok ${count} - ${name}${directive}`);
    } catch (e) {
        if (todo === null)
            failed++;
        print(`not ok ${count} - ${name}${directive}`);
        for (const line of `${e}\n${e.stack ?? ''}`.trim().split('\n'))
            print(`# ${line}`);
    }
}

// Prints the plan and exits: non-zero if any test failed (TODO failures
// do not count).
export function done() {
    print(`1..${count}`);
    System.exit(failed > 0 ? 1 : 0);
}

export function assert(condition, message = 'assertion failed') {
    if (!condition)
        throw new Error(message);
}

// Strict equality (===).
export function assertEqual(actual, expected, what = 'value') {
    if (actual !== expected)
        throw new Error(`${what}: expected ${expected}, got ${actual}`);
}

// SameValue equality (Object.is: NaN equals NaN, 0 differs from -0); the
// files that want it import it as their assertEqual.
export function assertSameValue(actual, expected, what = 'value') {
    if (!Object.is(actual, expected))
        throw new Error(`${what}: expected ${String(expected)}, got ${String(actual)}`);
}

// Equality of the JSON forms.
export function assertArrayEqual(actual, expected, what = 'array') {
    const a = JSON.stringify(actual), e = JSON.stringify(expected);
    if (a !== e)
        throw new Error(`${what}: expected ${e}, got ${a}`);
}

export function assertIncludes(text, part, what = 'text') {
    if (!`${text}`.includes(part))
        throw new Error(`${what}: "${text}" does not contain "${part}"`);
}

export function assertError(error, domain, code, what = 'error') {
    assert(error instanceof GLib.Error, `${what}: expected a GLib.Error, got ${error}`);
    assert(error.matches(domain, code),
        `${what}: expected code ${code} of its domain, got ${error} (code ${error.code})`);
}

export function assertThrowsGError(domain, code, fn, what = 'call') {
    try {
        fn();
    } catch (e) {
        assertError(e, domain, code, what);
        return e;
    }
    throw new Error(`${what}: did not throw`);
}

export async function assertRejectsGError(domain, code, promise, what = 'call') {
    try {
        await promise;
    } catch (e) {
        assertError(e, domain, code, what);
        return e;
    }
    throw new Error(`${what}: did not reject`);
}

// @error (possibly null) is an Osiiso.Error with @code.
export function assertOsiisoError(error, code, what = 'error') {
    assert(error !== null && error.matches(Osiiso.Error, code),
        `${what}: expected Osiiso.Error code ${code}, got ${error} (code ${error?.code})`);
}

export function assertThrowsOsiiso(code, fn, what = 'call') {
    try {
        fn();
    } catch (e) {
        if (!(e instanceof GLib.Error))
            throw new Error(`${what}: expected an Osiiso.Error, got ${e}`);
        if (!e.matches(Osiiso.Error, code))
            throw new Error(`${what}: expected Osiiso.Error code ${code}, got ${e} (code ${e.code})`);
        return e;
    }
    throw new Error(`${what}: did not throw`);
}

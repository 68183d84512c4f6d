// SPDX-License-Identifier: LGPL-2.1-or-later
//
// OsiisoCheckpoint through GJS (raw introspection). Run as
// `gjs -m test-checkpoint.js`; it prints TAP and exits non-zero if any test
// failed.
//
// GJS sees lookup() as a plain object from key to Osiiso.CheckpointHit and
// errors as GLib.Error in the Osiiso domain. Database files go to a private
// temporary directory that is removed at the end.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Osiiso from 'gi://Osiiso?version=1.0';
import {test, assert, assertEqual, assertThrowsOsiiso, done} from './harness.js';

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const dir = GLib.dir_make_tmp('osiiso-checkpoint-js-XXXXXX');
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

// ---------------------------------------------------------------------------

await test('record, lookup, is_done, count, namespaces, clear', () => {
    const cp = Osiiso.Checkpoint.new(':memory:');
    assertEqual(cp.count(null), 0, 'count() when empty');
    assertEqual(cp.namespaces().length, 0, 'namespaces() when empty');
    assertEqual(cp.record('job', 'a', new GLib.Variant('i', 1), 'task-a'), true, 'record()');
    cp.record('job', 'b', null, null);
    cp.record('other', 'a', new GLib.Variant('s', 'x'), null);

    assertEqual(cp.is_done('job', 'a'), true, 'is_done(a)');
    assertEqual(cp.is_done('job', 'missing'), false, 'is_done(missing)');
    assertEqual(cp.count(null), 3, 'count(null)');
    assertEqual(cp.count('job'), 2, 'count(job)');
    assertEqual(cp.namespaces().join(), 'job,other', 'namespaces()');

    const hits = cp.lookup('job', ['a', 'b', 'missing']);
    assertEqual(Object.keys(hits).sort().join(), 'a,b', 'keys found');
    assert(hits.a instanceof Osiiso.CheckpointHit, 'a hit is an Osiiso.CheckpointHit');
    assertEqual(hits.a.has_value(), true, 'a has a value');
    assertEqual(hits.a.get_value().get_type_string(), 'i', 'type of a');
    assertEqual(hits.a.get_value().unpack(), 1, 'value of a');
    assertEqual(hits.a.get_name(), 'task-a', 'name of a');
    assertEqual(hits.b.has_value(), false, 'b has no value');
    assertEqual(hits.b.get_value(), null, 'value of b');
    assert(!('missing' in hits), 'missing is not found');
    assertEqual(Object.keys(cp.lookup('job', [])).length, 0, 'lookup of no keys');

    assertEqual(cp.clear('job'), 2, 'clear(job)');
    assertEqual(cp.clear(null), 1, 'clear(null)');
    assertEqual(cp.count(null), 0, 'count() after clear');
});

await test('values keep their exact types', () => {
    const values = [
        new GLib.Variant('i', 5), new GLib.Variant('x', 5), new GLib.Variant('u', 5),
        new GLib.Variant('d', 0.5), new GLib.Variant('b', true),
        new GLib.Variant('s', 'héllo ✓'), new GLib.Variant('ay', new Uint8Array([0, 1, 255, 0])),
        new GLib.Variant('as', []), new GLib.Variant('(i(xs)ab)', [1, [2, 'three'], [true]]),
        new GLib.Variant('av', [new GLib.Variant('i', 1), new GLib.Variant('s', 'x')]),
        new GLib.Variant('a{sv}', {a: new GLib.Variant('i', 1), b: new GLib.Variant('x', 2)}),
        new GLib.Variant('mi', null), new GLib.Variant('ms', 'x'),
        new GLib.Variant('v', new GLib.Variant('x', 5)),
    ];
    const path = pathIn('types.db');
    let cp = Osiiso.Checkpoint.new(path);
    const keys = values.map((_, i) => `k${i}`);
    values.forEach((v, i) => cp.record('types', keys[i], v, null));
    cp.close();

    cp = Osiiso.Checkpoint.new(path);
    const hits = cp.lookup('types', keys);
    values.forEach((v, i) => {
        const got = hits[keys[i]].get_value();
        assertEqual(got.get_type_string(), v.get_type_string(), `type of ${keys[i]}`);
        assert(got.equal(v), `${keys[i]}: ${got.print(true)} != ${v.print(true)}`);
    });
    cp.close();
});

await test('store-values false keeps keys only', () => {
    const cp = new Osiiso.Checkpoint({path: ':memory:', store_values: false});
    assertEqual(cp.get_store_values(), false, 'get_store_values()');
    cp.record('ns', 'k', new GLib.Variant('s', 'dropped'), 'named');   // opens at first use
    const hit = cp.lookup('ns', ['k']).k;
    assertEqual(hit.has_value(), false, 'has_value()');
    assertEqual(hit.get_name(), 'named', 'get_name()');
});

await test('a batched lookup of 2000 keys', () => {
    const cp = Osiiso.Checkpoint.new(':memory:');
    const keys = [];
    for (let i = 0; i < 2000; i++) {
        keys.push(`input-${i}`);
        if (i % 4 !== 3)
            cp.record('batch', keys[i], new GLib.Variant('u', i), null);
    }
    const hits = cp.lookup('batch', keys);
    assertEqual(Object.keys(hits).length, 1500, 'hits');
    for (let i = 0; i < 2000; i++) {
        if (i % 4 === 3)
            assert(!(keys[i] in hits), `${keys[i]} not found`);
        else
            assertEqual(hits[keys[i]].get_value().unpack(), i, keys[i]);
    }
});

await test('use after close is a CLOSED error', () => {
    const cp = Osiiso.Checkpoint.new(pathIn('closed.db'));
    assertEqual(cp.close(), true, 'close()');
    assertEqual(cp.close(), true, 'close() again');
    assertEqual(cp.is_closed(), true, 'is_closed()');
    const e = assertThrowsOsiiso(Osiiso.Error.CLOSED,
        () => cp.record('ns', 'k', null, null), 'record() after close');
    assert(e.message.includes('closed'), `message: ${e.message}`);
    assertThrowsOsiiso(Osiiso.Error.CLOSED, () => cp.lookup('ns', ['k']), 'lookup()');
    assertThrowsOsiiso(Osiiso.Error.CLOSED, () => cp.is_done('ns', 'k'), 'is_done()');
    assertThrowsOsiiso(Osiiso.Error.CLOSED, () => cp.count(null), 'count()');
    assertThrowsOsiiso(Osiiso.Error.CLOSED, () => cp.namespaces(), 'namespaces()');
    assertThrowsOsiiso(Osiiso.Error.CLOSED, () => cp.clear(null), 'clear()');
});

await test('bad paths and an empty namespace are errors', () => {
    assertThrowsOsiiso(Osiiso.Error.CHECKPOINT,
        () => Osiiso.Checkpoint.new(pathIn('no-such-dir/x.db')), 'missing directory');
    const text = pathIn('notes.txt');
    GLib.file_set_contents(text, 'Not a database at all, just text that is long enough. '.repeat(4));
    const e = assertThrowsOsiiso(Osiiso.Error.CHECKPOINT,
        () => Osiiso.Checkpoint.new(text), 'a text file');
    assert(e.message.includes('not a database'), `message: ${e.message}`);
    const cp = Osiiso.Checkpoint.new(':memory:');
    assertThrowsOsiiso(Osiiso.Error.INVALID_OPTION, () => cp.record('', 'k', null, null), 'empty ns');
});

await test('rows persist across reopening', () => {
    const path = pathIn('persist.db');
    let cp = Osiiso.Checkpoint.new(path);
    cp.record('first', 'a', new GLib.Variant('(ii)', [1, 2]), 'task');
    cp.close();
    cp = Osiiso.Checkpoint.new(path);
    assertEqual(cp.namespaces().join(), 'first', 'namespaces()');
    const hit = cp.lookup('first', ['a']).a;
    assertEqual(hit.get_value().deepUnpack().join(), '1,2', 'value');
    assertEqual(hit.get_name(), 'task', 'name');
    cp.close();
});

await test('canonical keys', () => {
    const key = Osiiso.Checkpoint.canonical_key;
    assertEqual(key(new GLib.Variant('i', 5)), 'i 5', 'int32');
    assertEqual(key(new GLib.Variant('s', 'photo.jpg')), "s 'photo.jpg'", 'string');
    const items = [new GLib.Variant('i', 1), new GLib.Variant('i', 2)];
    const asList = key(new GLib.Variant('av', items));
    const asTuple = key(new GLib.Variant('(ii)', [1, 2]));
    assert(asList !== asTuple, 'a list and a tuple of the same items differ');
    assert(key(new GLib.Variant('i', 5)) !== key(new GLib.Variant('x', 5)), 'int32 and int64 differ');
    assertEqual(key(new GLib.Variant('(sai)', ['a', [1]])), key(new GLib.Variant('(sai)', ['a', [1]])),
        'the same value twice');
    const a = new GLib.Variant('a{sv}', {b: new GLib.Variant('i', 1), a: new GLib.Variant('s', 'x')});
    const b = GLib.Variant.parse(null, "{'a': <'x'>, 'b': <1>}", null, null);
    assertEqual(key(a), key(b), 'dictionaries in another order');
});

removeTree(dir);

done();

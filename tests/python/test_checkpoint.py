#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""OsiisoCheckpoint through raw introspection (PyGObject, no override).

The store is used the way bindings see it: ``Osiiso.Checkpoint.new(path)``
(or construct properties, opened at first use), ``record()`` with a
``GLib.Variant`` or None, ``lookup()`` returning a dict from key to
``Osiiso.CheckpointHit``, errors as ``GLib.Error`` in the Osiiso domain.
The database is inspected and damaged with Python's own sqlite3 module.
"""

import os
import sqlite3
import tempfile
import threading
import unittest

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Osiiso', '1.0')

from gi.repository import GLib, Osiiso  # noqa: E402
from osiiso_test_support import is_osiiso_error  # noqa: E402


E = Osiiso.Error


class CheckpointTestCase(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix='osiiso-checkpoint-')
        self.dir = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def path(self, name='run.db'):
        return os.path.join(self.dir, name)

    def assertOsiisoError(self, code, fn, *args):
        with self.assertRaises(GLib.Error) as caught:
            fn(*args)
        self.assertTrue(is_osiiso_error(caught.exception, code),
                        '%s is not Osiiso error %s' % (caught.exception, code))
        return caught.exception


class TestBasics(CheckpointTestCase):
    def test_record_lookup_count_clear(self):
        cp = Osiiso.Checkpoint.new(':memory:')
        self.assertEqual(cp.count(None), 0)
        self.assertEqual(cp.namespaces(), [])
        self.assertTrue(cp.record('job', 'a', GLib.Variant('i', 1), 'task-a'))
        self.assertTrue(cp.record('job', 'b', None, None))
        cp.record('other', 'a', GLib.Variant('s', 'x'), None)

        self.assertTrue(cp.is_done('job', 'a'))
        self.assertTrue(cp.is_done('job', 'b'))
        self.assertFalse(cp.is_done('job', 'missing'))
        self.assertEqual(cp.count(None), 3)
        self.assertEqual(cp.count('job'), 2)
        self.assertEqual(cp.namespaces(), ['job', 'other'])

        hits = cp.lookup('job', ['a', 'b', 'missing'])
        self.assertEqual(sorted(hits), ['a', 'b'])
        self.assertTrue(hits['a'].has_value())
        self.assertEqual(hits['a'].get_value().get_type_string(), 'i')
        self.assertEqual(hits['a'].get_value().unpack(), 1)
        self.assertEqual(hits['a'].get_name(), 'task-a')
        now_us = GLib.get_real_time()
        self.assertLess(abs(hits['a'].get_recorded_at() - now_us), 60 * 1000000)
        # Found without a value is not the same as not found.
        self.assertFalse(hits['b'].has_value())
        self.assertIsNone(hits['b'].get_value())
        self.assertNotIn('missing', hits)
        self.assertEqual(cp.lookup('job', []), {})

        # The last record wins.
        cp.record('job', 'a', GLib.Variant('x', 2), None)
        self.assertEqual(cp.count('job'), 2)
        self.assertEqual(cp.lookup('job', ['a'])['a'].get_value().get_type_string(), 'x')

        self.assertEqual(cp.clear('job'), 2)
        self.assertEqual(cp.clear('job'), 0)
        self.assertEqual(cp.clear(None), 1)
        self.assertEqual(cp.count(None), 0)

    def test_properties_and_first_use(self):
        cp = Osiiso.Checkpoint(path=self.path(), store_values=False)
        self.assertEqual(cp.props.path, self.path())
        self.assertFalse(cp.props.store_values)
        self.assertFalse(cp.get_store_values())
        # Opened at first use.
        cp.record('ns', 'k', GLib.Variant('s', 'dropped'), None)
        hit = cp.lookup('ns', ['k'])['k']
        self.assertFalse(hit.has_value())
        self.assertTrue(os.path.exists(self.path()))
        cp.close()

        bad = Osiiso.Checkpoint(path=os.path.join(self.dir, 'missing', 'x.db'))
        self.assertOsiisoError(E.CHECKPOINT, bad.count, None)
        self.assertOsiisoError(E.CHECKPOINT, bad.count, None)

    def test_empty_namespace(self):
        cp = Osiiso.Checkpoint.new(':memory:')
        self.assertOsiisoError(E.INVALID_OPTION, cp.record, '', 'k', None, None)
        self.assertOsiisoError(E.INVALID_OPTION, cp.lookup, '', ['k'])
        self.assertOsiisoError(E.INVALID_OPTION, cp.is_done, '', 'k')
        self.assertOsiisoError(E.INVALID_OPTION, cp.count, '')
        self.assertOsiisoError(E.INVALID_OPTION, cp.clear, '')

    def test_closed(self):
        cp = Osiiso.Checkpoint.new(self.path())
        cp.record('ns', 'k', None, None)
        self.assertTrue(cp.close())
        self.assertTrue(cp.close())   # idempotent
        self.assertTrue(cp.is_closed())
        for call, args in [(cp.record, ('ns', 'k', GLib.Variant('i', 1), None)),
                           (cp.lookup, ('ns', ['k'])),
                           (cp.is_done, ('ns', 'k')),
                           (cp.count, (None,)),
                           (cp.namespaces, ()),
                           (cp.clear, (None,))]:
            e = self.assertOsiisoError(E.CLOSED, call, *args)
            self.assertIn('closed', e.message)

    def test_bad_paths(self):
        e = self.assertOsiisoError(E.CHECKPOINT, Osiiso.Checkpoint.new,
                                   os.path.join(self.dir, 'no-such-dir', 'x.db'))
        self.assertIn('no-such-dir', e.message)
        text = self.path('notes.txt')
        with open(text, 'w') as f:
            f.write('Not a database at all, just some text that is long enough.\n' * 4)
        e = self.assertOsiisoError(E.CHECKPOINT, Osiiso.Checkpoint.new, text)
        self.assertIn('not a database', e.message)
        with open(text) as f:
            self.assertTrue(f.read().startswith('Not a database'))
        self.assertOsiisoError(E.INVALID_OPTION, Osiiso.Checkpoint.new, '')


class TestStorage(CheckpointTestCase):
    def test_wal_and_row_format(self):
        cp = Osiiso.Checkpoint.new(self.path())
        cp.record('ns', 'k', GLib.Variant('(ii)', (1, 2)), 'n')
        db = sqlite3.connect(self.path())
        try:
            self.assertEqual(db.execute('PRAGMA journal_mode').fetchone()[0], 'wal')
            row = db.execute('SELECT type, value, name FROM completions').fetchone()
        finally:
            db.close()
        self.assertEqual(row[0], '(ii)')
        self.assertEqual(bytes(row[1]), GLib.Variant('(ii)', (1, 2)).get_data_as_bytes().get_data())
        self.assertEqual(row[2], 'n')

    def test_exact_types(self):
        values = [
            GLib.Variant('i', 5), GLib.Variant('x', 5), GLib.Variant('u', 5),
            GLib.Variant('t', 2 ** 64 - 1), GLib.Variant('n', -3), GLib.Variant('y', 7),
            GLib.Variant('b', True), GLib.Variant('d', 0.1), GLib.Variant('d', -0.0),
            GLib.Variant('s', 'héllo ✓'), GLib.Variant('o', '/org/example'),
            GLib.Variant('ay', b'\x00\x01\xff\x00'), GLib.Variant('ay', b''),
            GLib.Variant('as', []), GLib.Variant('()', ()),
            GLib.Variant('(i(xs)ab)', (1, (2, 'three'), [True, False])),
            GLib.Variant('av', [GLib.Variant('i', 1), GLib.Variant('s', 'x')]),
            GLib.Variant('a{sv}', {'a': GLib.Variant('i', 1), 'b': GLib.Variant('x', 2)}),
            GLib.Variant('a{is}', {1: 'one', 2: 'two'}),
            GLib.Variant('mi', None), GLib.Variant('mi', 4), GLib.Variant('ms', 'x'),
            GLib.Variant('v', GLib.Variant('x', 5)),
            GLib.Variant('ay', bytes(range(256)) * 4096),   # 1 MiB
        ]
        cp = Osiiso.Checkpoint.new(self.path())
        keys = ['k%d' % i for i in range(len(values))]
        for key, value in zip(keys, values):
            cp.record('types', key, value, None)
        cp.close()

        cp = Osiiso.Checkpoint.new(self.path())   # a fresh connection
        hits = cp.lookup('types', keys)
        self.assertEqual(len(hits), len(values))
        for key, value in zip(keys, values):
            got = hits[key].get_value()
            self.assertEqual(got.get_type_string(), value.get_type_string(), key)
            self.assertTrue(got.equal(value), '%s: %s != %s' % (key, got, value))
        # int64 stays int64, uint stays uint: the types differ, not just the values.
        self.assertEqual(hits['k1'].get_value().get_type_string(), 'x')
        self.assertEqual(hits['k2'].get_value().get_type_string(), 'u')

    def test_batched_lookup(self):
        cp = Osiiso.Checkpoint.new(':memory:')
        keys = ['input-%d' % i for i in range(2000)]
        for i, key in enumerate(keys):
            if i % 4 != 3:
                cp.record('batch', key, GLib.Variant('u', i), None)
        hits = cp.lookup('batch', keys)
        self.assertEqual(len(hits), 1500)
        for i, key in enumerate(keys):
            if i % 4 == 3:
                self.assertNotIn(key, hits)
            else:
                self.assertEqual(hits[key].get_value().unpack(), i)

    def test_threads(self):
        cp = Osiiso.Checkpoint.new(self.path())
        start = threading.Barrier(4)
        errors = []

        def writer(t):
            try:
                start.wait(timeout=20)
                for i in range(500):
                    cp.record('threads', 'w%d-%d' % (t, i), GLib.Variant('(uu)', (t, i)), None)
            except Exception as e:   # asserted below, on the main thread
                errors.append(e)

        threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
            self.assertFalse(thread.is_alive())
        self.assertEqual(errors, [])
        self.assertEqual(cp.count('threads'), 2000)
        keys = ['w%d-%d' % (t, i) for t in range(4) for i in range(500)]
        hits = cp.lookup('threads', keys)
        self.assertEqual(len(hits), 2000)
        self.assertEqual(hits['w3-499'].get_value().unpack(), (3, 499))

    def test_corrupt_rows_are_skipped(self):
        cp = Osiiso.Checkpoint.new(self.path())
        cp.record('ns', 'good', GLib.Variant('i', 42), None)
        db = sqlite3.connect(self.path())
        try:
            db.executemany('INSERT OR REPLACE INTO completions VALUES (?, ?, ?, ?, ?, 0)', [
                ('ns', 'unknown-type', b'\x01\x00\x00\x00', 'zz', None),
                ('ns', 'short-int', b'\x01\x02\x03', 'i', None),
                ('ns', 'unterminated', b'abc', 's', None),
                ('ns', 'bad-bool', b'\x02', 'b', None),
                ('ns', 'null-value', None, 'i', None),
            ])
            db.commit()
        finally:
            db.close()
        hits = cp.lookup('ns', ['good', 'unknown-type', 'short-int', 'unterminated',
                                'bad-bool', 'null-value'])
        self.assertEqual(list(hits), ['good'])
        self.assertEqual(hits['good'].get_value().unpack(), 42)
        # The input runs again and its record heals the row.
        cp.record('ns', 'short-int', GLib.Variant('i', 3), None)
        self.assertEqual(cp.lookup('ns', ['short-int'])['short-int'].get_value().unpack(), 3)

    def test_persistence(self):
        cp = Osiiso.Checkpoint.new(self.path())
        cp.record('first', 'a', GLib.Variant('a{sv}', {'k': GLib.Variant('ai', [1, 2])}), 'task')
        cp.close()
        cp = Osiiso.Checkpoint.new(self.path())
        self.assertEqual(cp.namespaces(), ['first'])
        hit = cp.lookup('first', ['a'])['a']
        self.assertEqual(hit.get_value().unpack(), {'k': [1, 2]})
        self.assertEqual(hit.get_name(), 'task')


class TestCanonicalKey(unittest.TestCase):
    key = staticmethod(Osiiso.Checkpoint.canonical_key)

    def test_format(self):
        self.assertEqual(self.key(GLib.Variant('i', 5)), 'i 5')
        self.assertEqual(self.key(GLib.Variant('s', 'photo.jpg')), "s 'photo.jpg'")
        self.assertEqual(self.key(GLib.Variant('(ii)', (1, 2))), '(ii) (1, 2)')

    def test_distinguishes_what_a_task_sees_differently(self):
        items = [GLib.Variant('i', 1), GLib.Variant('i', 2)]
        as_list = self.key(GLib.Variant('av', items))
        as_tuple = self.key(GLib.Variant('(ii)', (1, 2)))
        as_ints = self.key(GLib.Variant('ai', [1, 2]))
        self.assertEqual(len({as_list, as_tuple, as_ints}), 3)
        self.assertNotEqual(self.key(GLib.Variant('i', 5)), self.key(GLib.Variant('x', 5)))

    def test_equal_values_equal_keys(self):
        self.assertEqual(self.key(GLib.Variant('(sai)', ('a', [1]))),
                         self.key(GLib.Variant('(sai)', ('a', [1]))))
        a = GLib.Variant('a{sv}', {'b': GLib.Variant('i', 1), 'a': GLib.Variant('s', 'x')})
        b = GLib.Variant.parse(None, "{'a': <'x'>, 'b': <1>}", None, None)
        self.assertEqual(self.key(a), self.key(b))
        self.assertNotEqual(self.key(a), self.key(GLib.Variant('a{sv}', {'a': GLib.Variant('i', 1)})))

    def test_long_inputs_are_digested(self):
        k = self.key(GLib.Variant('ai', list(range(1000))))
        self.assertTrue(k.startswith('ai sha256:'))
        self.assertEqual(len(k), len('ai sha256:') + 64)
        self.assertNotEqual(k, self.key(GLib.Variant('ai', list(range(1001)))))


if __name__ == '__main__':
    unittest.main(verbosity=2)

#!/usr/bin/python3
# pythonic-map.py: batches, one-shot maps and resumable runs, through the PyGObject override
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# `q.map(fn, inputs)` submits one task per input, all or nothing, and
# returns a TaskGroup: its handles, values and results are in input order,
# `as_completed()` hands the handles out as they finish. An input that is a
# tuple is spread into arguments, a dict becomes keyword arguments,
# anything else is the one argument. `q.group([(fn, *args), ...])` batches
# different functions. `Osiiso.tmap`/`pmap`/`amap` map on a fresh thread,
# process or async queue and return the values.
#
# With `checkpoint=Osiiso.Checkpoint(path)` a batch is resumable: the
# first run below "crashes" on one input (it raises), the second run only
# does that input again and still returns every value in input order.
#
# The outcome never varies; the example checks it and exits 1 if anything
# differs.
#
#   meson devenv -C build -w . /usr/bin/python3 examples/pythonic-map.py

import os
import shutil
import sys
import tempfile

import gi
gi.require_version('Osiiso', '1.0')
from gi.repository import Osiiso  # noqa: E402

TEXTS = {
    'fox': 'the quick brown fox jumps over the lazy dog',
    'lorem': 'lorem ipsum dolor sit amet',
    'empty': '',
    'glib': 'GLib is the low-level core library of GTK and GNOME',
}


def word_count(name, text, lower=True):
    """Module-level, so pmap's worker processes can import it."""
    words = (text.lower() if lower else text).split()
    return {'name': name, 'words': len(words), 'distinct': len(set(words))}


def collatz_steps(n):
    steps = 0
    while n != 1:
        n = 3 * n + 1 if n % 2 else n // 2
        steps += 1
    return steps


def collatz_or_fail(n):
    if n <= 0:
        raise ValueError('no Collatz sequence for %d' % n)
    return collatz_steps(n)


ok = True


def expect(condition, what):
    global ok
    if not condition:
        print('pythonic-map.py: unexpected outcome: %s' % what, file=sys.stderr)
        ok = False


def batches():
    with Osiiso.ThreadQueue(workers=3) as q:
        # Tuples are spread into arguments, dicts become keyword arguments.
        inputs = [('fox', TEXTS['fox']), {'name': 'glib', 'text': TEXTS['glib'], 'lower': False},
                  ('empty', '')]
        counts = q.map(word_count, inputs, retries=1)
        for handle in counts.as_completed(timeout=30):       # completion order
            print('done: %s' % handle.value()['name'])
        values = counts.values()                              # input order
        print('word counts: %s' % [(v['name'], v['words']) for v in values])
        expect([v['words'] for v in values] == [9, 10, 0], 'word counts')

        # Different functions in one named group.
        mixed = q.group([(word_count, 'lorem', TEXTS['lorem']), (collatz_steps, 27), (len, 'abc')],
                        group_id='mixed')
        summary = mixed.wait()
        print('group %s: %s' % (mixed.group_id, [r.value for r in summary.results]))
        expect([h.group_id for h in mixed] == ['mixed'] * 3, 'group ids')
        expect(mixed.values()[1:] == [111, 3], 'mixed values')

        # A failure: values() raises, the handles tell which input failed.
        steps = q.map(collatz_or_fail, [6, 0, 7])
        try:
            steps.values()
            expect(False, 'values() of a failed group did not raise')
        except Osiiso.ExecutionError as e:
            failed = [i for i, h in enumerate(steps) if h.status == 'failed']
            print('%s: input %s failed (%s)' % (e, failed, steps[1].exception()))
            expect(failed == [1], 'the failed input')


def resumable(directory):
    path = os.path.join(directory, 'collatz.db')
    runs = []
    broken = {9}

    def steps(n):
        runs.append(n)
        if n in broken:
            raise ConnectionError('lost the connection on %d' % n)   # a crash, say
        return collatz_steps(n)

    inputs = list(range(1, 13))
    with Osiiso.Checkpoint(path) as checkpoint:
        try:
            Osiiso.tmap(steps, inputs, workers=2, checkpoint=checkpoint, namespace='collatz')
            expect(False, 'the first run did not fail')
        except Osiiso.ExecutionError as e:
            print('first run: %s; %d inputs recorded' % (e, checkpoint.count('collatz')))
        expect(checkpoint.count('collatz') == 11, 'successes recorded')

    broken.clear()
    runs.clear()
    with Osiiso.Checkpoint(path) as checkpoint:          # the program runs again
        with Osiiso.ThreadQueue(workers=2) as q:
            group = q.map(steps, inputs, checkpoint=checkpoint, namespace='collatz')
            values = group.values()
        print('second run: ran %s, restored %d, values %s' % (runs, group.n_restored, values))
        expect(runs == [9] and group.n_restored == 11, 'only the missing input ran')
        expect(values == [collatz_steps(n) for n in inputs], 'values in input order')
        expect(group[0].attempts == 0 and group[0].result().message == 'restored from checkpoint',
               'restored tasks')


if __name__ == '__main__':
    batches()

    # One-shot maps: a fresh queue each, shut down on return (and on error).
    print('tmap: %s' % Osiiso.tmap(collatz_steps, [27, 97, 871], workers=3))
    print('amap: %s' % Osiiso.amap(collatz_steps, [27, 97, 871]))
    words = Osiiso.pmap(word_count, list(TEXTS.items()), workers=2, timeout=60)
    print('pmap: %s' % [w['words'] for w in words])
    expect(Osiiso.tmap(collatz_steps, [27, 97, 871]) == [111, 118, 178], 'tmap')
    expect([w['words'] for w in words] == [9, 5, 0, 10], 'pmap')

    directory = tempfile.mkdtemp(prefix='pythonic-map-')
    try:
        resumable(directory)
    finally:
        shutil.rmtree(directory)
    sys.exit(0 if ok else 1)

#!/usr/bin/python3
# map.py: one function over many inputs with Queue.map() (PyGObject)
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The Python flavour of map.c, through plain introspection (no override):
# count the Collatz steps of a few numbers on four worker threads, print
# each task as it finishes, then the values in input order, then map again
# with an input that fails. Finally the same map in one call with
# Osiiso.thread_map().get_values(). The example checks the known step counts and exits
# 1 on any other outcome.
import sys

import gi
gi.require_version('Osiiso', '1.0')
from gi.repository import GLib, Osiiso  # noqa: E402

INPUTS = [837799, 27, 6171, 97, 77031, 871]
EXPECTED = [524, 111, 261, 118, 350, 178]


def collatz_steps(ctx, user_data):
    """Runs on a worker thread, once per input: ctx.get_input() is the
    input (a GLib.Variant), ctx.set_value() sets the task's value."""
    n = ctx.get_input().get_uint64()
    if n == 0:
        raise GLib.Error('0 has no Collatz sequence')
    start, steps = n, 0
    while n != 1:
        n = 3 * n + 1 if n % 2 else n // 2
        steps += 1
    ctx.set_value((start, steps))
    return True


ok = True
queue = Osiiso.ThreadQueue(workers=4)

# One task per input, admitted all together (or not at all).
group = queue.map(collatz_steps, None, GLib.Variant('at', INPUTS), None)
queue.start()

print('In completion order:')
for n in range(group.get_size()):
    handle = group.wait_completed(n, 30, None)   # the (n + 1)th to finish
    start, steps = handle.get_result().get_value()
    print('  %7d finished: %d steps' % (start, steps))

print('In input order:')
values = group.get_values(30, None)   # one per input, whatever the order they finished in
for (start, steps), n, expected in zip(values, INPUTS, EXPECTED):
    print('  %7d takes %d steps' % (start, steps))
    ok &= start == n and steps == expected
ok &= len(values) == len(INPUTS)

# A failed task: no values but a GLib.Error (OSIISO_ERROR_EXECUTION), and
# the results still line up with the inputs.
some = [7, 0, 9]
failing = queue.map(collatz_steps, None, GLib.Variant('at', some), None)
try:
    failing.get_values(30, None)
    ok = False
except GLib.Error as e:
    print('Mapping again over 7, 0, 9:', e.message)
    ok &= e.matches(Osiiso.error_quark(), Osiiso.Error.EXECUTION)
for i, n in enumerate(some):
    error = failing.get_result(i).get_error()
    print('  %d: %s' % (n, error.message if error else 'ok'))
    ok &= (error is not None) == (n == 0)
queue.shutdown(False, None)

# The same map in one call, on a fresh queue that is shut down before it
# returns: Osiiso.thread_map(func, user_data, inputs, workers, options,
# rate, timeout).get_values().
values = Osiiso.thread_map(collatz_steps, None, GLib.Variant('at', INPUTS), 4, None, 0, 0).get_values()
print('thread_map():', [steps for _, steps in values])
ok &= [steps for _, steps in values] == EXPECTED

if not ok:
    sys.exit('map.py: unexpected outcome')

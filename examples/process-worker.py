#!/usr/bin/python3
# process-worker.py: the worker side of process-pool.py, written in Python
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# An Osiiso.ProcessQueue runs this script as a worker process:
#
#   Osiiso.ProcessQueue.new(['/usr/bin/python3', '/path/to/process-worker.py'], 2)
#
# It serves these functions on its standard input and output until the
# queue closes its input (argument -> value):
#
#   fib  u (n) -> t, the n-th Fibonacci number (fib(0) = 0, fib(1) = 1;
#        n <= 93, the largest that fits in 64 bits)
#   pid  any -> i, the process id of the worker that served the call
#
# A function returns a GLib.Variant (or None for no value) and fails its
# task by raising GLib.Error, whose domain, code and message reach the
# parent. PyGObject only *prints* any other exception and returns None, so
# the task would succeed with the value (): the @task decorator turns
# every exception into a GLib.Error.
#
# Whatever a function prints goes to standard error: the worker keeps its
# standard output for the protocol.

import functools
import os
import sys

import gi
gi.require_version('Osiiso', '1.0')
from gi.repository import GLib, Gio, Osiiso  # noqa: E402

WORKER_ERROR = GLib.quark_from_string('osiiso-example-worker-error')


def task(func):
    """Makes any exception raised by @func fail the task."""
    @functools.wraps(func)
    def wrapper(worker, argument):
        try:
            return func(worker, argument)
        except GLib.Error:
            raise
        except Exception as e:
            raise GLib.Error.new_literal(WORKER_ERROR, '%s: %s' % (type(e).__name__, e), 0)
    return wrapper


@task
def fib(worker, argument):
    # The argument comes from another process: check it.
    if argument.get_type_string() != 'u':
        raise GLib.Error.new_literal(Gio.io_error_quark(),
                                     'fib takes u, not %s' % argument.get_type_string(),
                                     Gio.IOErrorEnum.INVALID_ARGUMENT)
    n = argument.get_uint32()
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    # Past fib(93) this raises OverflowError, which @task turns into a
    # failed task.
    return GLib.Variant('t', a)


@task
def pid(worker, argument):
    return GLib.Variant('i', os.getpid())


def main():
    worker = Osiiso.Worker.new()
    worker.register('fib', fib)
    worker.register('pid', pid)
    # 0 once the queue closes our input; 1 if an initializer failed.
    return worker.run()


if __name__ == '__main__':
    sys.exit(main())

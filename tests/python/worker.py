#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A process queue worker written in Python (raw introspection).

Run as ``python3 worker.py``, with the typelib and the library on
GI_TYPELIB_PATH and LD_LIBRARY_PATH; it serves these functions on stdin and
stdout until its input ends (argument -> value):

  echo              any -> the argument
  pid               any -> i, the worker's process id
  add               (ii) -> i
  counter           any -> i, a per-process counter, incremented per call
  init-count        any -> i, how many times the initializer ran (1)
  fail              any -> error G_IO_ERROR_PERMISSION_DENIED "told to fail"
  raise             any -> a plain Python exception (ValueError), which the
                    @task wrapper turns into an error in the domain
                    "osiiso-test-python-error"
  sleep             d (seconds) -> ()
  crash             any -> os.abort() (SIGABRT)
  segv              any -> SIGSEGV
  exit              i -> os._exit(i)
  spawn-grandchild  s (a file name) -> starts `sleep 30` in the same process
                    group, writes its pid to the file, then sleeps 30 s
  print             any (or i: a line count) -> prints lines to stdout
                    (1000 by default), then returns s "done"

With OSIISO_TEST_INIT_FAIL set in the environment, the initializer
fails with G_IO_ERROR_NOT_INITIALIZED and that variable's value as message.

The API, as PyGObject exposes it:

  worker = Osiiso.Worker.new()           # or Osiiso.Worker()
  worker.register(name, func)            # func(worker, argument) -> GLib.Variant or None
  worker.set_initializer(func)           # func(worker) -> True
  status = worker.run()                  # 0 at end of input, 1 if the initializer failed;
                                         # raises GLib.Error on a protocol error

A function fails its task by raising GLib.Error. PyGObject only prints any
other exception and returns None, which would make the task succeed with
(): the @task wrapper below turns every exception into a GLib.Error.
"""

import functools
import os
import signal
import subprocess
import sys
import time

import gi

gi.require_version('Osiiso', '1.0')
from gi.repository import GLib, Gio, Osiiso  # noqa: E402

PYTHON_ERROR = GLib.quark_from_string('osiiso-test-python-error')

counter = 0
init_count = 0


def task(func):
    """Makes any exception raised by @func fail the task."""
    @functools.wraps(func)
    def wrapper(worker, argument):
        try:
            return func(worker, argument)
        except GLib.Error:
            raise
        except Exception as e:
            raise GLib.Error.new_literal(PYTHON_ERROR, '%s: %s' % (type(e).__name__, e), 0)
    return wrapper


def check_type(argument, type_string, name):
    if argument.get_type_string() != type_string:
        raise GLib.Error.new_literal(Gio.io_error_quark(),
                                     '%s takes %s, not %s' % (name, type_string, argument.get_type_string()),
                                     Gio.IOErrorEnum.INVALID_ARGUMENT)


@task
def echo(worker, argument):
    return argument


@task
def pid(worker, argument):
    return GLib.Variant('i', os.getpid())


@task
def add(worker, argument):
    check_type(argument, '(ii)', 'add')
    a, b = argument.unpack()
    return GLib.Variant('i', a + b)


@task
def count(worker, argument):
    global counter
    counter += 1
    return GLib.Variant('i', counter)


@task
def get_init_count(worker, argument):
    return GLib.Variant('i', init_count)


@task
def fail(worker, argument):
    raise GLib.Error.new_literal(Gio.io_error_quark(), 'told to fail', Gio.IOErrorEnum.PERMISSION_DENIED)


@task
def raise_plain(worker, argument):
    raise ValueError('a plain Python exception')


@task
def sleep(worker, argument):
    check_type(argument, 'd', 'sleep')
    time.sleep(argument.get_double())
    return None


@task
def crash(worker, argument):
    os.abort()


@task
def segv(worker, argument):
    os.kill(os.getpid(), signal.SIGSEGV)


@task
def exit_with(worker, argument):
    check_type(argument, 'i', 'exit')
    os._exit(argument.get_int32())


@task
def spawn_grandchild(worker, argument):
    check_type(argument, 's', 'spawn-grandchild')
    child = subprocess.Popen(['sleep', '30'])
    # Atomic: a reader never sees a partial pid.
    GLib.file_set_contents(argument.get_string(), str(child.pid).encode())
    time.sleep(30)
    return None


@task
def print_lines(worker, argument):
    lines = argument.get_int32() if argument.get_type_string() == 'i' else 1000
    for i in range(lines):
        print('worker.py: line %d of task output on stdout' % i)
    sys.stdout.flush()
    return GLib.Variant('s', 'done')


def initialize(worker):
    global init_count
    init_count += 1
    message = os.environ.get('OSIISO_TEST_INIT_FAIL')
    if message is not None:
        raise GLib.Error.new_literal(Gio.io_error_quark(), message, Gio.IOErrorEnum.NOT_INITIALIZED)
    return True


def main():
    worker = Osiiso.Worker.new()
    for name, func in [('echo', echo), ('pid', pid), ('add', add), ('counter', count),
                       ('init-count', get_init_count), ('fail', fail), ('raise', raise_plain),
                       ('sleep', sleep), ('crash', crash), ('segv', segv), ('exit', exit_with),
                       ('spawn-grandchild', spawn_grandchild), ('print', print_lines)]:
        worker.register(name, func)
    worker.set_initializer(initialize)
    return worker.run()


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/python3
# async-files.py: load files with GIO's asynchronous calls on an Osiiso.AsyncQueue
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The Python flavour of async-files.c, through plain introspection.
#
# It writes three small files into a new temporary directory, then loads
# them as tasks of an async queue with 2 workers (at most 2 operations in
# flight). Each task function runs on the queue's main context (this
# thread), only *starts* Gio.File.load_contents_async() and returns True;
# the callback completes the attempt through the task context, with the
# contents as the value (ctx.return_value) or with GIO's error
# (ctx.return_error).
#
# A fourth task, "silent-peer", reads from a socket whose peer never
# writes: the read never completes by itself. Its 0.2 s per-attempt
# timeout fails the task with Osiiso.Error.TIMEOUT and cancels the
# attempt's cancellable. The read then completes with
# G_IO_ERROR_CANCELLED, and its callback still completes the attempt
# (ctx.return_error_if_cancelled()): the queue drops that late completion,
# and it gives back the context and the queue reference the operation
# held. An operation must always complete its attempt once, even after a
# timeout, or it leaks both.
#
# Every task-completed signal prints a line, then the run's summary is
# printed. The outcome never varies: 3 succeeded, 1 failed (timeout), 0
# cancelled. The example checks that, and the contents, and exits 1 if
# anything differs, so its test (`meson test --suite examples`) catches a
# misbehaving queue.

import os
import shutil
import socket
import sys
import tempfile

import gi
gi.require_version('Gio', '2.0')
gi.require_version('Osiiso', '1.0')
from gi.repository import GLib, Gio, Osiiso  # noqa: E402

FILES = [
    ('alpha.txt', 'The first file.\n'),
    ('beta.txt', 'The second file,\nwith two lines.\n'),
    ('gamma.txt', 'The third.\n'),
]

ok = True


def expect(condition, what):
    global ok
    if not condition:
        print('async-files.py: unexpected outcome: %s' % what, file=sys.stderr)
        ok = False


# Operations started and not yet called back (only this thread touches it:
# GIO calls back on the context the operation started on, the queue's).
ops_in_flight = 0


def load_file(ctx, path):
    """Runs on the queue's main context: starts the operation and returns."""
    global ops_in_flight

    def loaded(file, result):
        global ops_in_flight
        ops_in_flight -= 1
        try:
            _, contents, _ = file.load_contents_finish(result)
        except GLib.Error as e:
            ctx.return_error(e)            # GIO's error, unchanged
            return
        ctx.return_value(contents.decode('utf-8'))

    ops_in_flight += 1
    Gio.File.new_for_path(path).load_contents_async(ctx.get_cancellable(), loaded)
    return True                            # started; loaded() completes it


def read_silent_peer(ctx, stream):
    global ops_in_flight

    def read_done(stream, result):
        global ops_in_flight
        ops_in_flight -= 1
        try:
            data = stream.read_bytes_finish(result)
            error = None
        except GLib.Error as e:
            data, error = None, e
        # After the timeout the attempt has already failed in the queue;
        # this late completion is dropped, but it must still be made.
        if ctx.return_error_if_cancelled():
            print('silent-peer: the read ended after the timeout (%s); '
                  'its late completion was dropped' % (error.message if error else 'no error'))
            return
        if error is not None:
            ctx.return_error(error)
        else:
            ctx.return_value(data.get_size())

    ops_in_flight += 1
    stream.read_bytes_async(64, GLib.PRIORITY_DEFAULT, ctx.get_cancellable(), read_done)
    return True


def on_task_completed(queue, result):
    """Emitted on the queue's main context (this thread), once per task."""
    status = result.get_status()
    value = result.get_value()
    if status == Osiiso.TaskStatus.SUCCEEDED and isinstance(value, str):
        outcome = '%d bytes' % len(value.encode('utf-8'))
    else:
        outcome = result.get_message()
    attempts = result.get_attempts()
    print('task-completed  %-11s  %-9s  %u attempt%s  %s' % (
        result.get_name(), status.value_nick, attempts, ' ' if attempts == 1 else 's', outcome))


def main():
    tmpdir = tempfile.mkdtemp(prefix='osiiso-async-files-')
    try:
        paths = []
        for name, contents in FILES:
            path = os.path.join(tmpdir, name)
            with open(path, 'w', encoding='utf-8') as f:
                f.write(contents)
            paths.append(path)

        # A connected pair of local sockets: we read from the first, nobody
        # ever writes to the second.
        ours, peer = socket.socketpair()
        connection = Gio.Socket.new_from_fd(ours.detach()).connection_factory_create_connection()

        # The queue captures this thread's default main context: its task
        # functions start there, and its signals are emitted there.
        queue = Osiiso.AsyncQueue(workers=2)
        finalized = []
        queue.weak_ref(lambda: finalized.append(True))
        queue.connect('task-completed', on_task_completed)

        # The stuck read goes first, so it holds one of the 2 workers while
        # the files load through the other.
        silent = queue.submit(read_silent_peer, connection.get_input_stream(),
                              Osiiso.TaskOptions(name='silent-peer', timeout=0.2))
        loads = [queue.submit(load_file, path, Osiiso.TaskOptions(name=name, timeout=5.0))
                 for (name, _), path in zip(FILES, paths)]

        # Blocks, iterating this thread's main context, until all four
        # tasks have ended.
        summary = queue.run(None)
        print(summary.to_string(), end='')

        expect(summary.get_total() == len(FILES) + 1, 'total')
        expect(summary.get_succeeded() == len(FILES), 'succeeded')
        expect(summary.get_failed() == 1, 'failed')
        expect(summary.get_cancelled() == 0, 'cancelled')
        expect(not summary.get_timed_out(), 'run timed out')
        for handle, (name, contents) in zip(loads, FILES):
            result = handle.get_result()
            expect(result is not None and result.get_status() == Osiiso.TaskStatus.SUCCEEDED,
                   '%s did not succeed' % name)
            expect(result is not None and result.get_value() == contents,
                   "%s's contents came back changed" % name)
        silent_result = silent.get_result()
        expect(silent_result is not None
               and silent_result.get_status() == Osiiso.TaskStatus.FAILED
               and silent_result.get_error() is not None
               and silent_result.get_error().matches(Osiiso.error_quark(), Osiiso.Error.TIMEOUT),
               'silent-peer did not fail with Osiiso.Error.TIMEOUT')

        # The abandoned read still holds its context and a reference on the
        # queue until its callback runs: let it (bounded). Then the queue
        # is gone.
        del queue, silent, loads, summary, silent_result
        guard = []
        guard_id = GLib.timeout_add_seconds(20, lambda: guard.append(True) or False)
        context = GLib.MainContext.default()
        while (ops_in_flight > 0 or not finalized) and not guard:
            context.iteration(True)
        if not guard:
            GLib.source_remove(guard_id)
        expect(ops_in_flight == 0, 'the silent read never called back')
        expect(finalized, 'the queue outlived its last operation')

        connection.close(None)
        peer.close()
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)

    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())

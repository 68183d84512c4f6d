#!/usr/bin/python3
# pythonic-async.py: GIO asynchronous work on an async queue, through the PyGObject override
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The Pythonic flavour of async-files.py. On an Osiiso.AsyncQueue a task
# function runs on the queue's main context (this thread). A plain function
# completes its task by returning; a function that starts GIO work creates
# an Osiiso.Completion, hands its cancellable to the GIO call and its
# callback() as the GIO callback, and returns it: the task ends when the
# GIO callback runs, with the value the finish function returned or the
# GLib.Error it raised.
#
# Three files load; a fourth task reads from a socket whose peer never
# writes, so its 0.2 s per-attempt timeout fails it and cancels the read
# (the completion then completes itself; nothing leaks). The run uses
# run_async() on this program's own GLib.MainLoop, as a GTK application
# would. The example checks the outcome and exits 1 if anything differs.
#
#   meson devenv -C build -w . /usr/bin/python3 examples/pythonic-async.py

import os
import shutil
import socket
import sys
import tempfile

import gi
gi.require_version('Gio', '2.0')
gi.require_version('Osiiso', '1.0')
from gi.repository import GLib, Gio, Osiiso  # noqa: E402

FILES = {'alpha.txt': 'The first file.\n', 'beta.txt': 'The second,\nwith two lines.\n',
         'gamma.txt': 'The third.\n'}

ok = True


def expect(condition, what):
    global ok
    if not condition:
        print('pythonic-async.py: unexpected outcome: %s' % what, file=sys.stderr)
        ok = False


def load(path):
    """Starts loading @path; the GIO callback completes the task."""
    done = Osiiso.Completion()
    Gio.File.new_for_path(path).load_contents_async(
        done.cancellable, done.callback(lambda file, res: file.load_contents_finish(res)[1].decode()))
    return done


def read_silent_peer(stream):
    done = Osiiso.Completion()
    stream.read_bytes_async(64, GLib.PRIORITY_DEFAULT, done.cancellable,
                            done.callback(lambda s, res: s.read_bytes_finish(res).get_size()))
    return done


def count_lines(text):
    """A plain function: its return value is the task's value."""
    return text.count('\n')


def main():
    tmpdir = tempfile.mkdtemp(prefix='osiiso-pythonic-async-')
    ours, peer = socket.socketpair()
    connection = Gio.Socket.new_from_fd(ours.detach()).connection_factory_create_connection()
    try:
        for name, text in FILES.items():
            with open(os.path.join(tmpdir, name), 'w', encoding='utf-8') as f:
                f.write(text)

        q = Osiiso.AsyncQueue(workers=2, on_complete=lambda r: print(
            'complete  %-11s %-9s %s' % (r.name, r.status, r.message or '')))
        silent = q.submit(read_silent_peer, connection.get_input_stream(), name='silent-peer',
                          timeout=0.2)
        loads = {name: q.submit(load, os.path.join(tmpdir, name), name=name, timeout=5)
                 for name in FILES}
        lines = q.submit(count_lines, ''.join(FILES.values()))

        loop = GLib.MainLoop()
        summaries = []

        def finished(queue, result):
            summaries.append(queue.run_finish(result))
            loop.quit()

        q.run_async(callback=finished)
        GLib.timeout_add_seconds(30, loop.quit)      # a guard, never reached normally
        loop.run()
        expect(summaries, 'the run ended')
        if not summaries:
            return 1
        summary = summaries[0]
        print(summary.to_string(), end='')

        for name, handle in loads.items():
            expect(handle.value() == FILES[name], '%s came back changed' % name)
        expect(lines.value() == 4, 'lines')
        expect(isinstance(silent.exception(), Osiiso.TimeoutError), 'silent-peer timed out')
        expect((summary.succeeded, summary.failed, summary.cancelled) == (4, 1, 0), 'counts')
        q.shutdown()
    finally:
        connection.close(None)
        peer.close()
        shutil.rmtree(tmpdir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/python3
# simple.py: square ten numbers on four worker threads (the README's Python example)
#
# SPDX-License-Identifier: LGPL-2.1-or-later
import gi
gi.require_version('Osiiso', '1.0')
from gi.repository import Osiiso, GLib


def work(ctx, n):          # runs on a worker thread, once per attempt
    ctx.set_value(n * n)   # the task's value
    return True            # True = success; raise GLib.Error to fail


q = Osiiso.ThreadQueue(workers=4)
options = Osiiso.TaskOptions(retries=2)
handles = [q.submit(work, n, options) for n in range(1, 11)]
summary = q.run(None)      # blocks until every task is done
print(summary.to_string(), end='')
print('values:', [h.get_result().get_value() for h in handles])
try:
    summary.check(False)   # like raise_for_errors(): GLib.Error if a task failed
except GLib.Error as e:
    raise SystemExit(e.message)

# osiiso_test_support.py: helpers shared by the PyGObject tests
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Imported by the test files of this directory (Python puts a script's
# directory first on sys.path). Nothing here depends on whether the
# PyGObject override is loaded.

import functools
import os
import signal
import subprocess
import sys
import unittest

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Osiiso', '1.0')

from gi.repository import GLib, Gio, Osiiso  # noqa: E402

# Upper bound for anything that should take well under a second: the test
# machine has 2 shared cores, so margins are wide.
GUARD = 20.0

CHILD_ENV = 'OSIISO_PYTHON_TEST_CHILD'


def isolated(test):
    """Runs @test in a child interpreter (this file, that one test).

    The test passes if the child's run of it passes; a child killed by a
    signal fails the test with the signal's name and the child's stderr.
    """
    @functools.wraps(test)
    def wrapper(self):
        if os.environ.get(CHILD_ENV):
            return test(self)
        test_id = '%s.%s' % (type(self).__name__, test.__name__)
        env = dict(os.environ)
        env[CHILD_ENV] = '1'
        try:
            child = subprocess.run([sys.executable, os.path.abspath(sys.modules[test.__module__].__file__), test_id],
                                   env=env, capture_output=True, text=True,
                                   timeout=4 * GUARD)
        except subprocess.TimeoutExpired as e:
            self.fail('%s hung in its child process:\n%s' % (test_id, e.stderr))
        if child.returncode < 0:
            how = 'was killed by %s' % signal.Signals(-child.returncode).name
        elif child.returncode > 0:
            how = 'exited with status %d' % child.returncode
        elif 'Ran 1 test' not in child.stderr:
            how = 'did not run'
        else:
            return
        self.fail('%s %s in its child process; its output:\n%s' % (
            test_id, how, child.stderr[-6000:]))
    return wrapper


def run_loop_until(loop, guard=GUARD):
    """Runs @loop until something quits it; returns False on the guard."""
    fired = []

    def on_guard():
        fired.append(True)
        loop.quit()
        return GLib.SOURCE_REMOVE

    guard_id = GLib.timeout_add(int(guard * 1000), on_guard)
    loop.run()
    if not fired:
        GLib.source_remove(guard_id)
    return not fired


def iterate_until(condition, what, guard=60):
    """Iterates the default main context until condition() holds."""
    expired = []
    guard = GLib.timeout_add_seconds(guard, lambda: expired.append(True) or False)
    context = GLib.MainContext.default()
    while not condition() and not expired:
        context.iteration(True)
    if not expired:
        GLib.source_remove(guard)
    if expired:
        raise AssertionError('gave up waiting for %s' % what)


def options(**props):
    return Osiiso.TaskOptions(**props)


def is_osiiso_error(error, code):
    return error is not None and error.matches(Osiiso.error_quark(), code)


def is_cancelled_error(error):
    return error is not None and error.matches(Gio.io_error_quark(),
                                               Gio.IOErrorEnum.CANCELLED)


class QueueTestCase(unittest.TestCase):
    """Shared assertions."""

    def assertOsiisoError(self, error, code):
        self.assertTrue(is_osiiso_error(error, code),
                        'expected %s, got %s: %s' % (
                            Osiiso.Error(code).value_nick,
                            getattr(error, 'domain', None), error))

    def assertRaisesOsiiso(self, code, fn, *args, **kwargs):
        with self.assertRaises(GLib.Error) as cm:
            fn(*args, **kwargs)
        self.assertOsiisoError(cm.exception, code)
        return cm.exception

    def assertStatus(self, handle_or_result, status):
        self.assertEqual(handle_or_result.get_status(), status)

    def summary_ids(self, summary):
        return [r.get_task_id() for r in summary.get_results()]


def check_override():
    """Fails at once if the override under test is not the one loaded
    (an installed copy earlier on gi.overrides.__path__ would win)."""
    loaded = sys.modules.get('gi.overrides.Osiiso')
    if loaded is None:
        sys.exit('the Osiiso PyGObject override was not loaded: is python/ on PYTHONPATH?')
    override_dir = os.environ.get('OSIISO_TEST_OVERRIDE_DIR')
    if override_dir and os.path.dirname(os.path.abspath(loaded.__file__)) != os.path.abspath(override_dir):
        sys.exit('the Osiiso override under test (%s) is shadowed by %s'
                 % (override_dir, loaded.__file__))

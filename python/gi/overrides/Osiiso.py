# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Osiiso.py: the PyGObject override of osiiso-glib (gi.repository.Osiiso)
"""A Pythonic face for osiiso-glib.

PyGObject loads this module when a program imports ``gi.repository.Osiiso``.
It keeps the introspected classes (every class here subclasses the
introspected one, so the C API stays callable) and adds what a Python
programmer expects from the original *osiiso*:

- ``with Osiiso.ThreadQueue(workers=4) as q:`` on every queue: entering
  starts the queue; a clean exit drains it (graceful shutdown); an
  exception forces a shutdown (the exit policy applies) and propagates.
- Constructor keywords for every queue setting, with strings beside the
  enumerations (``mode="infinite"``, ``fail_policy="fail_first"``,
  ``on_exit="complete_priority"``), hooks (``on_start=``, ``on_complete=``,
  ``on_retry=``) connected to the queue's signals, and ``initializer=`` /
  ``initargs=`` on thread and process queues. Unknown keywords raise
  ``TypeError``.
- ``q.submit(fn, *args, priority=0, retries=2, ...)`` with plain Python
  functions: the return value becomes the task's value, any exception a
  failure whose exception object ``handle.value()`` raises again. Keyword
  arguments are task options; unknown ones raise ``TypeError``.
- ``@q.task(...)`` (a :class:`BoundTask`: calling it submits),
  ``run(timeout=, fail_policy=, strict=)``, summaries with ``values`` and
  ``errors`` lists and ``raise_for_errors()``, handles with ``wait()``,
  ``result()``, ``value()``, ``done()``, ``cancel()`` and
  ``add_done_callback()``.
- On an :class:`ProcessQueue`, ``q.submit(fn, *args)`` runs a module-level
  function in a worker process (``osiiso-python-worker.py``, installed
  beside this file), by reference; arguments and values travel as
  ``GVariant`` (:func:`to_variant`, :func:`from_variant`).
- On an :class:`AsyncQueue`, a function that starts GIO asynchronous work
  returns a :class:`Completion` and completes the task from its callback.

Methods whose meaning changed (``submit``, ``run``, ``wait`` ...) keep
accepting the positional forms of the C API where they do not conflict;
the one that cannot is ``Queue.submit``: the introspected
``submit(func, user_data, options)``, whose function takes the task
context, stays reachable as :meth:`Queue.submit_func`.

Batches wrap the C batch API (``OsiisoTaskGroup``, admitted all or
nothing with ``osiiso_queue_submit_group()``):

- ``q.map(fn, iterable, **options)`` and ``q.group(fn, iterable)`` /
  ``q.group([(fn, *args), ...])`` return a :class:`TaskGroup` (handles in
  input order, ``wait()``, ``values()``, ``as_completed()``, ``cancel()``);
  ``bound.map()`` and ``bound.group()`` do the same with a decorator's
  options; ``tmap``/``pmap``/``amap`` are one-shot maps on a fresh queue.
- ``checkpoint=`` (a :class:`Checkpoint`), ``key=`` and ``namespace=``
  make a batch resumable: inputs that already succeeded are restored from
  the checkpoint instead of run (see :meth:`Queue.map`).

The introspected ``map(func, user_data, inputs, options)`` stays reachable
as :meth:`Queue.map_func`.
"""

import array
import collections.abc
import concurrent.futures
import functools
import inspect
import logging
import os
import re
import sys
import threading
import time
import weakref

from ..module import get_introspection_module
from ..overrides import override
from gi.repository import GLib, GObject, Gio

Osiiso = get_introspection_module('Osiiso')

__all__ = []

_log = logging.getLogger('osiiso')

# The introspected methods the override replaces, kept for its own use.
_raw_submit = Osiiso.Queue.submit
_raw_run_full = Osiiso.Queue.run_full
_raw_run_async = Osiiso.Queue.run_async
_raw_run_finish = Osiiso.Queue.run_finish
_raw_start = Osiiso.Queue.start
_raw_join = Osiiso.Queue.join
_raw_shutdown = Osiiso.Queue.shutdown
_raw_shutdown_finish = Osiiso.Queue.shutdown_finish
_raw_reset = Osiiso.Queue.reset
_raw_clear_results = Osiiso.Queue.clear_results
_raw_ctx_set_value = Osiiso.TaskContext.set_value
_raw_ctx_return_value = Osiiso.TaskContext.return_value
_raw_handle_wait = Osiiso.TaskHandle.wait
_raw_handle_wait_finish = Osiiso.TaskHandle.wait_finish
_raw_map = Osiiso.Queue.map
_raw_submit_group = Osiiso.Queue.submit_group
_raw_group_get_handle = Osiiso.TaskGroup.get_handle
_raw_group_wait = Osiiso.TaskGroup.wait
_raw_group_wait_completed = Osiiso.TaskGroup.wait_completed
_raw_group_wait_async = Osiiso.TaskGroup.wait_async

#: The GError domain of failures raised as Python exceptions (other than
#: ``GLib.Error``) by task functions; the message is ``"Type: message"``.
PYTHON_ERROR_DOMAIN = 'osiiso-python-error-quark'
_PYTHON_ERROR = GLib.quark_from_string(PYTHON_ERROR_DOMAIN)
_OSIISO_DOMAIN = GLib.quark_to_string(Osiiso.error_quark())
_IO_DOMAIN = GLib.quark_to_string(Gio.io_error_quark())

#: The function the Python worker serves (see osiiso-python-worker.py).
PYTHON_CALL = 'osiiso-python-call'
_WORKER_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'osiiso-python-worker.py')


def python_error_quark():
    """The domain of task failures that were Python exceptions."""
    return _PYTHON_ERROR


__all__ += ['PYTHON_ERROR_DOMAIN', 'PYTHON_CALL', 'python_error_quark']


# ---------------------------------------------------------------------------
# Exceptions
# ---------------------------------------------------------------------------

class OsiisoError(GLib.Error):
    """An error of the ``OSIISO_ERROR`` domain, as a Python exception.

    It is a ``GLib.Error`` (``domain``, ``code``, ``message``, ``matches()``
    work as usual), so ``except GLib.Error`` still catches it.
    """
    code_value = Osiiso.Error.FAILED

    def __init__(self, message='', code=None):
        super().__init__(message, _OSIISO_DOMAIN, int(self.code_value if code is None else code))

    def __str__(self):
        return self.message


class ClosedError(OsiisoError):
    """The queue is closed or draining (``Osiiso.Error.CLOSED``)."""
    code_value = Osiiso.Error.CLOSED


class QueueFullError(OsiisoError):
    """The queue holds ``size`` outstanding tasks (``Osiiso.Error.FULL``)."""
    code_value = Osiiso.Error.FULL


class InvalidOptionError(OsiisoError, ValueError):
    """An option or setting has an invalid value (``Osiiso.Error.INVALID_OPTION``)."""
    code_value = Osiiso.Error.INVALID_OPTION


class BusyError(OsiisoError):
    """Not allowed while a run is in progress (``Osiiso.Error.BUSY``)."""
    code_value = Osiiso.Error.BUSY


class NotReadyError(OsiisoError):
    """The task has no result yet (``Osiiso.Error.NOT_READY``)."""
    code_value = Osiiso.Error.NOT_READY


class TimeoutError(OsiisoError, TimeoutError):   # noqa: A001 (also a builtins.TimeoutError)
    """A wait or an attempt timed out (``Osiiso.Error.TIMEOUT``); also a
    ``builtins.TimeoutError``."""
    code_value = Osiiso.Error.TIMEOUT


class ExecutionError(OsiisoError):
    """Tasks failed (or were cancelled): ``raise_for_errors()``,
    ``run(strict=True)``. ``summary`` is the run summary (or None) and
    ``results`` the failed (and cancelled) results."""
    code_value = Osiiso.Error.EXECUTION

    def __init__(self, message='', code=None, summary=None, results=()):
        super().__init__(message, code)
        self.summary = summary
        self.results = tuple(results)


class CheckpointError(OsiisoError):
    """The checkpoint's database failed (``Osiiso.Error.CHECKPOINT``)."""
    code_value = Osiiso.Error.CHECKPOINT


class CancelledError(GLib.Error, concurrent.futures.CancelledError):
    """The task was cancelled: ``handle.value()`` of a cancelled task.
    A ``GLib.Error`` in the ``G_IO_ERROR`` domain with code ``CANCELLED``,
    and a ``concurrent.futures.CancelledError``."""

    def __init__(self, message='cancelled'):
        super().__init__(message, _IO_DOMAIN, int(Gio.IOErrorEnum.CANCELLED))

    def __str__(self):
        return self.message


_ERROR_CLASSES = {int(cls.code_value): cls for cls in
                  (ClosedError, QueueFullError, InvalidOptionError, BusyError,
                   NotReadyError, TimeoutError, ExecutionError, CheckpointError)}

__all__ += ['OsiisoError', 'ClosedError', 'QueueFullError', 'InvalidOptionError', 'BusyError',
            'NotReadyError', 'TimeoutError', 'ExecutionError', 'CheckpointError', 'CancelledError']


def _translate(error):
    """The Python exception for a GLib.Error from the library."""
    if isinstance(error, OsiisoError) or not isinstance(error, GLib.Error):
        return error
    if error.domain == _OSIISO_DOMAIN:
        cls = _ERROR_CLASSES.get(error.code, OsiisoError)
        return cls(error.message, error.code)
    if error.domain == _IO_DOMAIN and error.code == int(Gio.IOErrorEnum.CANCELLED):
        return CancelledError(error.message)
    return error


def _call(method, *args):
    """Calls an introspected method, raising library errors as the
    matching Python exceptions."""
    try:
        return method(*args)
    except GLib.Error as e:
        translated = _translate(e)
        if translated is e:
            raise
        raise translated from None


def _describe(exc):
    """The failure message of a Python exception: ``Type: message``."""
    cls = type(exc)
    name = cls.__qualname__
    if cls.__module__ not in ('builtins', '__main__', '__mp_main__', None):
        name = '%s.%s' % (cls.__module__, name)
    text = str(exc)
    return '%s: %s' % (name, text) if text else name


_DESCRIPTION = re.compile(r'^([A-Za-z_][\w.]*)(?:: (.*))?$', re.S)


def _exception_from_description(message):
    """Rebuilds an exception from a ``Type: message`` failure message: a
    builtin exception, or a class of an already imported module; None if
    that is not possible."""
    match = _DESCRIPTION.match(message or '')
    if match is None:
        return None
    name, text = match.group(1), match.group(2) or ''
    module_name, _, qualname = name.rpartition('.')
    candidates = []
    if not module_name:
        candidates = [sys.modules.get('builtins'), sys.modules.get('__main__')]
    else:
        candidates = [sys.modules.get(module_name)]
    for module in candidates:
        obj = module
        for part in qualname.split('.'):
            obj = getattr(obj, part, None)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            try:
                return obj(text) if text else obj()
            except Exception:
                return None
    return None


def _exception_from_gerror(error):
    """The best Python exception for a task's GError (no stored object)."""
    if error is None:
        return None
    if error.domain == PYTHON_ERROR_DOMAIN:
        rebuilt = _exception_from_description(error.message)
        if rebuilt is not None:
            return rebuilt
    return _translate(error)


# ---------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------

_INT64 = (-(1 << 63), (1 << 63) - 1)
_UINT64_MAX = (1 << 64) - 1


def _to_gvalue(value):
    """What TaskContext.set_value() gets for a Python value, or None for
    "no value". Exact builtin types become their GTypes (int as gint64 when
    it fits), GObjects and GVariants stay themselves, everything else
    (big ints, lists, instances ...) is kept as the very Python object."""
    if value is None:
        return None
    cls = type(value)
    if cls is bool:
        return GObject.Value(GObject.TYPE_BOOLEAN, value)
    if cls is int:
        if _INT64[0] <= value <= _INT64[1]:
            return GObject.Value(GObject.TYPE_INT64, value)
        return GObject.Value(GObject.TYPE_PYOBJECT, value)
    if cls is float:
        return GObject.Value(GObject.TYPE_DOUBLE, value)
    if cls is str:
        try:
            value.encode('utf-8')
        except UnicodeEncodeError:
            return GObject.Value(GObject.TYPE_PYOBJECT, value)
        return GObject.Value(GObject.TYPE_STRING, value)
    if isinstance(value, GObject.Value):
        return value
    if isinstance(value, GLib.Variant):
        return GObject.Value(GObject.TYPE_VARIANT, value)
    if isinstance(value, GObject.Object):
        return GObject.Value(value.__gtype__, value)
    return GObject.Value(GObject.TYPE_PYOBJECT, value)


def _checkpoint_gvalue(value):
    """What a task of a checkpointed batch hands the C side for a Python
    value. The library records only GVariant values, so a value that
    :func:`to_variant` converts goes as that variant wrapped in one more
    (type ``v``), as a process worker's value does: the checkpoint stores
    it, and the override converts it back (:func:`_result_value`) whether
    the task ran now or was restored. A GLib.Variant goes as itself. Any
    other value stays the Python object (``handle.value()`` gives it back);
    the library does not record it (a GLib warning) and the input runs
    again next time."""
    if isinstance(value, GLib.Variant):
        return GObject.Value(GObject.TYPE_VARIANT, value)
    try:
        variant = to_variant(value)
    except TypeError:
        return _to_gvalue(value)
    return GObject.Value(GObject.TYPE_VARIANT, GLib.Variant('v', variant))


def _variant_error(value, where):
    return TypeError('%s: a %s cannot travel as a GVariant (supported: None, bool, int, float, '
                     'str, bytes, list, tuple, dict with str keys, nested)'
                     % (where, type(value).__name__))


def to_variant(value, _where='value'):
    """Converts a Python value to a GLib.Variant that :func:`from_variant`
    turns back into an equal value of the same types.

    =======================  ===========================================
    Python                   GVariant
    =======================  ===========================================
    None                     ``mv`` (nothing)
    bool                     ``b``
    int (64-bit signed)      ``x``
    int (up to 2**64 - 1)    ``t``
    any other int            ``v`` holding the decimal string (``s``)
    float                    ``d``
    str                      ``s``
    bytes                    ``ay``
    list                     ``av`` (each element as above)
    tuple                    a tuple of the elements' types, e.g. ``(xs)``
    dict with str keys       ``a{sv}``
    =======================  ===========================================

    Only these exact types (not subclasses, which would come back as their
    base type) are accepted; anything else raises ``TypeError``.
    """
    cls = type(value)
    if value is None:
        return GLib.Variant('mv', None)
    if cls is bool:
        return GLib.Variant('b', value)
    if cls is int:
        if _INT64[0] <= value <= _INT64[1]:
            return GLib.Variant('x', value)
        if 0 <= value <= _UINT64_MAX:
            return GLib.Variant('t', value)
        return GLib.Variant('v', GLib.Variant('s', str(value)))
    if cls is float:
        return GLib.Variant('d', value)
    if cls is str:
        if '\0' in value:
            raise TypeError('%s: a str with a NUL character cannot be a GVariant string' % _where)
        try:
            return GLib.Variant('s', value)
        except (UnicodeEncodeError, TypeError):
            raise TypeError('%s: the str is not valid UTF-8' % _where) from None
    if cls is bytes:
        return GLib.Variant.new_from_bytes(GLib.VariantType('ay'), GLib.Bytes.new(value), True)
    if cls is list:
        return GLib.Variant.new_array(GLib.VariantType('v'), [
            GLib.Variant('v', to_variant(item, '%s[%d]' % (_where, i))) for i, item in enumerate(value)])
    if cls is tuple:
        return GLib.Variant.new_tuple(*[to_variant(item, '%s[%d]' % (_where, i))
                                        for i, item in enumerate(value)])
    if cls is dict:
        entries = []
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError('%s: dict keys must be str, not %s' % (_where, type(key).__name__))
            entries.append(GLib.Variant.new_dict_entry(
                GLib.Variant('s', key), GLib.Variant('v', to_variant(item, '%s[%r]' % (_where, key)))))
        return GLib.Variant.new_array(GLib.VariantType('{sv}'), entries)
    raise _variant_error(value, _where)


_INTEGER_TYPES = frozenset('ynqiuxth')
_DECIMAL = re.compile(r'-?[0-9]+')


def from_variant(variant):
    """Converts a GLib.Variant to Python: the inverse of :func:`to_variant`,
    and a plain conversion for any other variant (integers to int, arrays
    to lists, dictionaries to dicts, maybes to the value or None, ...)."""
    if variant is None:
        return None
    t = variant.get_type_string()
    c = t[0]
    if c == 'b':
        return variant.get_boolean()
    if c in _INTEGER_TYPES:
        return variant.unpack()
    if c == 'd':
        return variant.get_double()
    if c in 'sog':
        return variant.get_string()
    if c == 'v':
        inner = variant.get_variant()
        if inner.get_type_string() == 's' and _DECIMAL.fullmatch(inner.get_string()):
            return int(inner.get_string())
        return from_variant(inner)
    if c == 'm':
        if variant.n_children() == 0:
            return None
        return from_variant(variant.get_child_value(0))
    if t == 'ay':
        return bytes(variant.get_data_as_bytes().get_data() or b'')
    if c == 'a':
        if t[1] == '{':
            result = {}
            for i in range(variant.n_children()):
                entry = variant.get_child_value(i)
                item = entry.get_child_value(1)
                if t[3] == 'v':
                    item = item.get_variant()
                result[from_variant(entry.get_child_value(0))] = from_variant(item)
            return result
        if t == 'av':
            return [from_variant(variant.get_child_value(i).get_variant())
                    for i in range(variant.n_children())]
        return [from_variant(variant.get_child_value(i)) for i in range(variant.n_children())]
    if c == '(':
        return tuple(from_variant(variant.get_child_value(i)) for i in range(variant.n_children()))
    return variant.unpack()


def _metadata_variant(value):
    if value is None or isinstance(value, GLib.Variant):
        return value
    return to_variant(value, 'metadata')


__all__ += ['to_variant', 'from_variant']


# ---------------------------------------------------------------------------
# Per-queue Python state: exception objects of failed attempts
# ---------------------------------------------------------------------------

class _Failure:
    __slots__ = ('attempt', 'exc', 'domain', 'code', 'message')

    def __init__(self, attempt, exc, error):
        self.attempt = attempt
        self.exc = exc
        self.domain, self.code, self.message = error.domain, error.code, error.message

    def matches(self, error):
        return (error is not None and error.domain == self.domain
                and error.code == self.code and error.message == self.message)


class _State:
    """What the Python side keeps for one queue: the exception objects of
    failed attempts. Handles hold it too, so a failed task's exception
    outlives the queue as long as its handle does; results find it through
    _STATES while it lives. reset() and clear_results() free it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.failures = {}          # task id -> [_Failure], by attempt
        self.keep_retried = False   # an on_retry hook still wants them

    def record_failure(self, task_id, attempt, exc, error):
        with self.lock:
            failures = self.failures.setdefault(task_id, [])
            failures[:] = [f for f in failures if f.attempt != attempt]
            failures.append(_Failure(attempt, exc, error))
            failures.sort(key=lambda f: f.attempt)
            _STATES[task_id] = self

    def record_success(self, task_id, attempt):
        # The task succeeded: only an on_retry hook still to be called
        # needs the exceptions of its earlier attempts (it drops them).
        if self.keep_retried:
            return
        with self.lock:
            if self.failures.pop(task_id, None) is not None:
                _STATES.pop(task_id, None)

    def find(self, task_id, error):
        """The newest failure of the task matching @error, or None."""
        for failure in reversed(self.failures.get(task_id, ())):
            if failure.matches(error):
                return failure
        return None

    def exception(self, task_id, error):
        failure = self.find(task_id, error)
        return failure.exc if failure is not None else None

    def retried(self, task_id, failure):
        """An on_retry hook saw @failure: drop it and older ones."""
        with self.lock:
            failures = self.failures.get(task_id)
            if failures is None:
                return
            failures[:] = [f for f in failures if f.attempt > failure.attempt]
            if not failures:
                del self.failures[task_id]
                _STATES.pop(task_id, None)

    def clear(self):
        with self.lock:
            for task_id in self.failures:
                _STATES.pop(task_id, None)
            self.failures.clear()


# task id -> the _State holding its exception (only for failed attempts)
_STATES = weakref.WeakValueDictionary()


def _task_exception(task_id, error, state=None):
    """The exception object of a failed task: the one its function raised,
    if still known, else one rebuilt from its GError."""
    if error is None:
        return None
    state = state or _STATES.get(task_id)
    if state is not None:
        exc = state.exception(task_id, error)
        if exc is not None:
            return exc
    return _exception_from_gerror(error)


def _queue_state(queue):
    state = queue.__dict__.get('_osiiso_state')
    if state is None:
        state = queue.__dict__.setdefault('_osiiso_state', _State())
    return state


# ---------------------------------------------------------------------------
# Task contexts and completions
# ---------------------------------------------------------------------------

_local = threading.local()


def current_context():
    """The :class:`TaskContext` of the attempt whose task function is
    running on this thread (thread and async queues): its cancellable,
    attempt number, name and metadata. Raises RuntimeError elsewhere."""
    ctx = getattr(_local, 'context', None)
    if ctx is None:
        raise RuntimeError('no task function of an Osiiso queue is running on this thread')
    return ctx


__all__.append('current_context')


class TaskContext(Osiiso.TaskContext):
    """The context of one attempt. ``set_value()`` and ``return_value()``
    take any Python value (an int of any size included)."""

    def set_value(self, value):
        gvalue = _to_gvalue(value)
        if gvalue is None:
            gvalue = GObject.Value(GObject.TYPE_PYOBJECT, None)
        _raw_ctx_set_value(self, gvalue)

    def return_value(self, value=None):
        _raw_ctx_return_value(self, _to_gvalue(value))


TaskContext = override(TaskContext)
__all__.append('TaskContext')


class Completion:
    """Completes an attempt of an :class:`AsyncQueue` task later.

    A task function that starts asynchronous work creates one, passes its
    :attr:`cancellable` to the GIO call, completes it from the callback and
    *returns it*: the task then ends when the completion does, not when the
    function returns::

        def load(path):
            done = Osiiso.Completion()
            Gio.File.new_for_path(path).load_contents_async(
                done.cancellable, done.callback(lambda f, res: f.load_contents_finish(res)[1]))
            return done

        with Osiiso.AsyncQueue(workers=4) as q:
            handle = q.submit(load, '/etc/os-release', timeout=5)
            q.run()

    Create it inside the task function (``Completion()`` gives the running
    attempt's completion; calling it twice gives the same object). Complete
    it once, from any thread: :meth:`set_result`, :meth:`set_exception`, or
    the function :meth:`callback` makes. The first completion wins (also
    against the function's own return or exception); later ones are
    ignored. If the queue ends the attempt first (its timeout, a cancel, a
    shutdown), the attempt's cancellable is cancelled and the completion
    completes itself, so an operation that never calls back leaks nothing;
    whatever arrives later is dropped.
    """

    def __new__(cls):
        attempt = getattr(_local, 'attempt', None)
        if attempt is None:
            raise RuntimeError('Osiiso.Completion() must be created inside a task function '
                               'running on an Osiiso.AsyncQueue')
        return attempt

    @classmethod
    def _new(cls, ctx, state, convert=None):
        self = object.__new__(cls)
        self._convert = convert or _to_gvalue
        # A reference of our own: the context outlives the call.
        self._ctx = ctx.copy()
        self._state = state
        self._task_id = ctx.get_task_id()
        self._attempt = ctx.get_attempt()
        self._lock = threading.Lock()
        self._completed = False
        self._abandoned = False
        self._cancel_id = 0
        return self

    @property
    def context(self):
        """The attempt's :class:`TaskContext`."""
        return self._ctx

    @property
    def cancellable(self):
        """The attempt's Gio.Cancellable: pass it to the GIO calls."""
        return self._ctx.get_cancellable()

    @property
    def attempt(self):
        """The attempt's number (1 for the first)."""
        return self._attempt

    def done(self):
        """Whether the completion is completed."""
        return self._completed

    def _claim(self):
        with self._lock:
            if self._completed:
                return False
            self._completed = True
        if self._cancel_id:
            cancellable = self._ctx.get_cancellable()
            if cancellable is not None:
                # The GObject signal API: Gio.Cancellable.connect() and
                # .disconnect() are g_cancellable_connect()/_disconnect().
                GObject.Object.disconnect(cancellable, self._cancel_id)
            self._cancel_id = 0
        return True

    def set_result(self, value=None):
        """Completes the attempt successfully with @value (None: no value).
        Returns False if it was completed already."""
        if not self._claim():
            return False
        self._state.record_success(self._task_id, self._attempt)
        _raw_ctx_return_value(self._ctx, self._convert(value))
        return True

    def set_exception(self, exc):
        """Fails the attempt with @exc (kept for ``handle.value()`` to raise).
        Returns False if it was completed already."""
        if not self._claim():
            return False
        error = _as_gerror(exc)
        if not self._abandoned:
            self._state.record_failure(self._task_id, self._attempt, exc, error)
        self._ctx.return_error(error)
        return True

    def callback(self, finish):
        """A ``Gio.AsyncReadyCallback`` (``(source, result, *user_data)``)
        that calls ``finish(source, result)`` and completes the attempt with
        what it returns, or with the exception it raises."""
        def ready(source, result, *user_data):
            try:
                value = finish(source, result)
            except BaseException as e:
                self.set_exception(e)
            else:
                self.set_result(value)
        return ready

    def _defer(self):
        """The function returned the completion: watch for the queue ending
        the attempt before the operation completes it."""
        cancellable = self._ctx.get_cancellable()
        if cancellable is None or self._completed:
            return

        def abandon_later(_cancellable):
            # Emitted in whichever thread cancelled: complete on the
            # queue's context, outside the cancellable's emission.
            source = GLib.idle_source_new()
            source.set_callback(self._abandon)
            source.attach(self._main_context)

        self._cancel_id = GObject.Object.connect(cancellable, 'cancelled', abandon_later)
        if cancellable.is_cancelled():
            self._abandon()

    def _abandon(self, *_args):
        if not self._completed:
            self._abandoned = True
            self.set_exception(CancelledError('the attempt ended before its operation completed'))
        return GLib.SOURCE_REMOVE

    def __repr__(self):
        return '<Osiiso.Completion of task %d, attempt %d%s>' % (
            self._task_id, self._attempt, ', completed' if self._completed else '')


__all__.append('Completion')


def _as_gerror(exc):
    """The GLib.Error that fails an attempt for a Python exception."""
    if isinstance(exc, GLib.Error):
        return exc
    return GLib.Error.new_literal(_PYTHON_ERROR, _describe(exc), 0)


def _check_callable(fn):
    if not callable(fn):
        raise TypeError('a task function must be callable, not %s' % type(fn).__name__)
    if inspect.iscoroutinefunction(fn) or inspect.isawaitable(fn):
        raise TypeError('coroutines cannot be tasks (PyGObject has no asyncio loop here): on an '
                        'Osiiso.AsyncQueue, start GIO work and return an Osiiso.Completion')


def _thread_call(ctx, fn, args, kwargs, state, convert):
    """Runs ``fn(*args, **kwargs)`` as one attempt on a worker thread."""
    task_id, number = ctx.get_task_id(), ctx.get_attempt()
    previous = getattr(_local, 'context', None)
    _local.context = ctx
    try:
        value = fn(*args, **kwargs) if kwargs else fn(*args)
    except BaseException as e:
        error = _as_gerror(e)
        state.record_failure(task_id, number, e, error)
        raise error from None
    finally:
        _local.context = previous
    state.record_success(task_id, number)
    gvalue = convert(value)
    if gvalue is not None:
        _raw_ctx_set_value(ctx, gvalue)
    return True


def _thread_attempt(fn, args, state):
    """The OsiisoTaskFunc of a plain Python function on a thread queue."""
    def attempt(ctx, *_user_data):
        return _thread_call(ctx, fn, args, None, state, _to_gvalue)
    return attempt


def _async_call(ctx, fn, args, kwargs, state, main_context, convert):
    """Runs ``fn(*args, **kwargs)`` as one attempt on an async queue's
    context; the attempt completes through its Completion."""
    completion = Completion._new(ctx, state, convert)
    completion._main_context = main_context
    previous = (getattr(_local, 'context', None), getattr(_local, 'attempt', None))
    _local.context, _local.attempt = ctx, completion
    try:
        value = fn(*args, **kwargs) if kwargs else fn(*args)
    except BaseException as e:
        completion.set_exception(e)
        return True
    finally:
        _local.context, _local.attempt = previous
    if value is completion:
        completion._defer()
    else:
        completion.set_result(value)
    return True


def _async_attempt(fn, args, state, main_context):
    """The OsiisoTaskFunc of a plain Python function on an async queue:
    called on the queue's context; completes the attempt itself."""
    def attempt(ctx, *_user_data):
        return _async_call(ctx, fn, args, None, state, main_context, _to_gvalue)
    return attempt


# ---------------------------------------------------------------------------
# Task options
# ---------------------------------------------------------------------------

def _pspecs(cls):
    return {p.name.replace('-', '_'): p for p in cls.list_properties()}


_OPTION_PSPECS = _pspecs(Osiiso.TaskOptions)
OPTION_NAMES = tuple(sorted(_OPTION_PSPECS))
__all__.append('OPTION_NAMES')


def _run_at_us(value):
    """run_at: seconds since the epoch (time.time()), or a datetime."""
    if value is None:
        return -1
    if hasattr(value, 'timestamp'):
        value = value.timestamp()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError('run_at must be seconds since the epoch (a number) or a datetime')
    if abs(value) > 1e14:
        # The C property's unit would be a date millions of years away.
        raise InvalidOptionError('run_at is in seconds since the epoch (like time.time()), '
                                 'not microseconds')
    return int(round(value * 1e6))


def _option_props(options):
    """Task options as GObject property values (Python-friendly values
    converted: None for "not set", run_at in epoch seconds, any metadata)."""
    unknown = sorted(k for k in options if k not in _OPTION_PSPECS)
    if unknown:
        raise TypeError('Unknown task option(s): %s' % ', '.join(unknown))
    props = {}
    for key, value in options.items():
        pspec = _OPTION_PSPECS[key]
        if key == 'run_at':
            value = _run_at_us(value)
        elif key == 'metadata':
            value = _metadata_variant(value)
        elif value is None:
            value = pspec.default_value
        props[key] = value
    return props


class TaskOptions(Osiiso.TaskOptions):
    """Task options; the keywords take Python values: ``timeout=None``,
    ``delay=None``, ``run_at`` in seconds since the epoch (or a datetime),
    ``metadata`` as any value :func:`to_variant` converts (or a
    GLib.Variant). Unknown keywords raise TypeError."""

    def __init__(self, **options):
        super().__init__(**_option_props(options))

    def _props(self):
        return {key: self.get_property(pspec.name) for key, pspec in _OPTION_PSPECS.items()}

    def replace(self, **options):
        """A copy with some options changed (the same keywords)."""
        props = self._props()
        props.update(_option_props(options))
        return _new_options(props)

    def __repr__(self):
        changed = ['%s=%r' % (k, v) for k, v in self._props().items()
                   if v != _OPTION_PSPECS[k].default_value]
        return 'Osiiso.TaskOptions(%s)' % ', '.join(changed)


TaskOptions = override(TaskOptions)
__all__.append('TaskOptions')


def _new_options(props):
    """TaskOptions from raw property values."""
    options = TaskOptions.__new__(TaskOptions)
    Osiiso.TaskOptions.__init__(options, **props)
    return options


def _resolve_options(opts, overrides, default_name=None):
    """One TaskOptions from a base (or None) and keyword overrides. A name
    derived from the function is used unless one is given."""
    props = _option_props(overrides)
    if opts is not None:
        if not isinstance(opts, Osiiso.TaskOptions):
            raise TypeError('opts must be an Osiiso.TaskOptions, not %s' % type(opts).__name__)
        if not props and (opts.get_name() is not None or default_name is None):
            return opts
        base = {key: opts.get_property(pspec.name) for key, pspec in _OPTION_PSPECS.items()}
        base.update(props)
        props = base
    if default_name is not None and props.get('name') is None:
        props['name'] = default_name
    return _new_options(props)


def _callable_name(fn):
    name = getattr(fn, '__name__', None)
    return name if isinstance(name, str) else type(fn).__name__


# ---------------------------------------------------------------------------
# Queues
# ---------------------------------------------------------------------------

_HOOKS = ('on_start', 'on_complete', 'on_retry')


def _enum_value(pspec, key, value):
    if isinstance(value, str):
        members = type(pspec.default_value).__enum_values__.values()
        wanted = value.replace('_', '-').lower()
        for member in members:
            if member.value_nick == wanted:
                return member
        nicks = sorted(m.value_nick.replace('-', '_') for m in members)
        raise ValueError('%s must be one of %s, not %r' % (key, ', '.join(repr(n) for n in nicks), value))
    return value


def _setting_props(cls, settings):
    pspecs = {key: p for key, p in _pspecs(cls).items()
              if p.flags & GObject.ParamFlags.CONSTRUCT_ONLY and p.flags & GObject.ParamFlags.WRITABLE}
    unknown = sorted(k for k in settings if k not in pspecs)
    if unknown:
        raise TypeError('Unknown queue setting(s): %s' % ', '.join(unknown))
    props = {}
    for key, value in settings.items():
        pspec = pspecs[key]
        if value is None:
            value = pspec.default_value
        elif pspec.value_type.is_a(GObject.TYPE_ENUM):
            value = _enum_value(pspec, key, value)
        elif pspec.value_type in (GObject.TYPE_UINT, GObject.TYPE_UINT64) and isinstance(value, int) \
                and value < 0:
            raise ValueError('%s must be >= 0' % key)
        props[key] = value
    return props


def _safe_hook(hook, name):
    def call(*args):
        try:
            hook(*args)
        except Exception:
            _log.exception('osiiso: the %s hook raised', name)
    return call


def _run_flags(fail_policy, strict=False):
    flags = Osiiso.RunFlags.NONE
    if fail_policy is not None:
        if isinstance(fail_policy, str):
            wanted = fail_policy.replace('_', '-').lower()
            if wanted == 'fail-first':
                fail_policy = Osiiso.FailPolicy.FAIL_FIRST
            elif wanted == 'continue':
                fail_policy = Osiiso.FailPolicy.CONTINUE
            else:
                raise ValueError("fail_policy must be 'continue' or 'fail_first', not %r" % fail_policy)
        flags |= (Osiiso.RunFlags.FAIL_FIRST if fail_policy == Osiiso.FailPolicy.FAIL_FIRST
                  else Osiiso.RunFlags.CONTINUE)
    if strict:
        flags |= Osiiso.RunFlags.STRICT
    return flags


def _run_timeout(timeout):
    if timeout is None:
        return 0.0
    timeout = float(timeout)
    if not timeout > 0:
        raise InvalidOptionError('timeout must be > 0')
    return timeout


def _strict_check(summary):
    if summary.get_failed() > 0:
        summary._raise(False)


class Queue(Osiiso.Queue):
    """The Pythonic queue API, shared by :class:`ThreadQueue`,
    :class:`AsyncQueue` and :class:`ProcessQueue`."""

    def __init__(self, **settings):
        hooks = {name: settings.pop(name) for name in _HOOKS if name in settings}
        initializer = settings.pop('initializer', None)
        initargs = settings.pop('initargs', ())
        props = _setting_props(type(self), settings)
        self._prepare(props, initializer, tuple(initargs))
        super().__init__(**props)
        self._setup(initializer, tuple(initargs))
        for name, hook in hooks.items():
            if hook is None:
                continue
            if not callable(hook):
                raise TypeError('%s must be callable' % name)
            self._connect_hook(name, hook)

    # Subclasses: adjust the construct properties, then finish setting up.
    def _prepare(self, props, initializer, initargs):
        if initializer is not None:
            raise TypeError('%s takes no initializer' % type(self).__name__)

    def _setup(self, initializer, initargs):
        pass

    def _connect_hook(self, name, hook):
        call = _safe_hook(hook, name)
        if name == 'on_start':
            self.connect('task-started', lambda _q, handle: call(handle))
        elif name == 'on_complete':
            self.connect('task-completed', lambda _q, result: call(result))
        else:
            state = _queue_state(self)
            state.keep_retried = True

            def retrying(_q, handle, error):
                task_id = handle.get_id()
                failure = state.find(task_id, error)
                call(handle, failure.exc if failure is not None else _exception_from_gerror(error))
                if failure is not None:
                    state.retried(task_id, failure)
            self.connect('task-retrying', retrying)

    # -- context manager ---------------------------------------------------

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.shutdown(False)       # drains everything outstanding
        else:
            try:
                self.shutdown(True)    # the exit policy cancels the rest
            except Exception:
                _log.exception('osiiso: the forced shutdown after %s failed', exc_type.__name__)
        return False

    # -- submission --------------------------------------------------------

    def submit(self, fn, /, *args, opts=None, **options):
        """Submits ``fn(*args)`` as a task and returns its
        :class:`TaskHandle` at once. Keywords are task options (``priority``,
        ``retries``, ``timeout``, ``name`` ...; ``opts`` is a base
        :class:`TaskOptions`); unknown ones raise TypeError. The return value
        becomes the task's value; an exception fails the attempt.
        Raises ClosedError, QueueFullError or InvalidOptionError if the
        queue refuses the task."""
        _check_callable(fn)
        options = _resolve_options(opts, options, _callable_name(fn))
        return self._submit(fn, args, options)

    def _submit(self, fn, args, options):
        state = _queue_state(self)
        handle = _call(_raw_submit, self, _thread_attempt(fn, args, state), None, options)
        handle._osiiso_state = state
        return handle

    def submit_func(self, func, user_data=None, options=None):
        """The introspected ``submit()``: ``func(ctx, user_data)`` returns
        True (the value set with ``ctx.set_value()``) or raises GLib.Error."""
        return _call(_raw_submit, self, func, user_data, options)

    def task(self, opts=None, **options):
        """A decorator: ``@q.task(retries=2)`` turns a function into a
        :class:`BoundTask`; calling it submits the function (it does not run
        it) and returns the handle."""
        def decorate(fn):
            _check_callable(fn)
            return BoundTask(fn, self, _resolve_options(opts, options, _callable_name(fn)))
        return decorate

    # -- batches -----------------------------------------------------------

    def map(self, fn, iterable, *, opts=None, checkpoint=None, key=None, namespace=None,
            **options):
        """Submits one task of @fn per element of @iterable, all or nothing,
        and returns the :class:`TaskGroup` (handles in input order). An
        element that is a tuple is spread into positional arguments, a dict
        (any mapping, with str keys) becomes keyword arguments, anything
        else is the one argument: wrap a tuple or dict to pass it whole,
        ``(t,)``. Keywords are task options for every task, as for
        :meth:`submit`.

        The iterable is read to its end first, and the group is admitted
        in one step: if an element, an option or a key is invalid, or the
        queue is closed or has no room for every task, the call raises and
        nothing is submitted.

        With ``checkpoint=`` (a :class:`Checkpoint`) the batch is
        resumable: inputs whose task already succeeded under the same
        @namespace (default: @fn's qualified name) are not run again; their
        tasks are restored, succeeded at once with the stored value, so
        values still line up 1:1 with the inputs. An input's key is
        ``str(key(element))`` with a @key function, else the canonical key
        (``Checkpoint.canonical_key()``) of ``to_variant(element)``; an
        element that cannot be converted raises TypeError (pass key=).
        Values are recorded only when :func:`to_variant` converts them (see
        the manual)."""
        return self._map(fn, iterable, None, opts, checkpoint, key, namespace, options)

    def group(self, tasks, iterable=None, *, group_id=None, opts=None, checkpoint=None, key=None,
              namespace=None, **options):
        """A named batch, admitted all or nothing: ``group(fn, iterable)``
        maps @fn as :meth:`map` does; ``group([(fn, *args), ...])`` runs
        different functions, one task per entry (TypeError for an entry
        that is not a tuple starting with a callable). An empty group is
        legal. The group's id is @group_id, else the options' ``group_id``,
        else a fresh ``group-N``. With a checkpoint, the heterogeneous form
        needs @namespace or @group_id (ValueError otherwise); its default
        key is the canonical key of ``to_variant((fn.__qualname__, args))``
        and a @key function gets the entry tuple."""
        if iterable is not None:
            return self._map(tasks, iterable, group_id, opts, checkpoint, key, namespace, options)
        if callable(tasks) and not isinstance(tasks, collections.abc.Iterable):
            raise TypeError('group(fn) needs an iterable of inputs: group(fn, iterable), '
                            'or group([(fn, *args), ...])')
        return self._group(tasks, group_id, opts, checkpoint, key, namespace, options)

    def map_func(self, func, user_data, inputs, options=None):
        """The introspected ``map()``: ``func(ctx, user_data)`` (which reads
        its input with ``ctx.get_input()``) over the elements of the
        GLib.Variant array @inputs; returns the :class:`TaskGroup`."""
        return _call(_raw_map, self, func, user_data, inputs, options)

    def _map(self, fn, iterable, group_id, opts, checkpoint, key, namespace, options):
        _check_callable(fn)
        _check_checkpoint(checkpoint, key, namespace)
        options = _resolve_options(opts, options, _callable_name(fn))
        elements = list(iterable)
        calls = []
        for i, element in enumerate(elements):
            args, kwargs = _element_arguments(element, i)
            calls.append(_Call(fn, args, kwargs, options))
        keys = None
        if checkpoint is not None:
            if namespace is None:
                namespace = _qualified_name(fn)
            keys = _checkpoint_keys(elements, key)
        return self._submit_calls(calls, _group_id(group_id, options), checkpoint, namespace, keys)

    def _group(self, tasks, group_id, opts, checkpoint, key, namespace, options):
        _check_checkpoint(checkpoint, key, namespace)
        base = _resolve_options(opts, options)
        entries = list(tasks)
        resolved = {}
        calls = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, tuple) or not entry or not callable(entry[0]):
                raise TypeError('each group entry must be a tuple of (callable, *args), '
                                'not %r (entry %d)' % (entry, i))
            fn = entry[0]
            _check_callable(fn)
            name = _callable_name(fn)
            if name not in resolved:
                resolved[name] = _resolve_options(opts, options, name)
            calls.append(_Call(fn, entry[1:], None, resolved[name]))
        keys = None
        if checkpoint is not None:
            if namespace is None:
                if group_id is None:
                    raise ValueError('a group of different functions with a checkpoint needs a stable '
                                     'name for its records: pass namespace= or group_id=')
                namespace = str(group_id)
            keys = _checkpoint_keys(entries, key,
                                    lambda entry: (_qualified_name(entry[0]), tuple(entry[1:])))
        return self._submit_calls(calls, _group_id(group_id, base), checkpoint, namespace, keys)

    def _submit_calls(self, calls, group_id, checkpoint, namespace, keys):
        """Builds the C group of @calls (a list of _Call, in input order)
        and submits it, all or nothing."""
        self._prepare_calls(calls)
        group = Osiiso.TaskGroup.new(group_id)
        if checkpoint is not None:
            def key_func(_input, _input_object, index, *_data):
                return keys[index]
            group.set_checkpoint(checkpoint, namespace, key_func, None)
        self._add_calls(group, calls, checkpoint is not None)
        _call(_raw_submit_group, self, group)
        group._osiiso_state = _queue_state(self)
        group._osiiso_queue = weakref.ref(self)
        return group

    # Subclasses: check and convert the calls before the group exists, then
    # add them to it. Thread and async queues add runs of calls sharing
    # their options as one map of a dispatcher, which finds its call by the
    # task's index in the group.
    def _prepare_calls(self, calls):
        pass

    def _add_calls(self, group, calls, checkpointed):
        attempt = self._group_attempt(calls, _checkpoint_gvalue if checkpointed else _to_gvalue)
        for start, end, options in _runs(calls):
            group.add_map(attempt, None, _index_inputs(start, end), options)

    def _group_attempt(self, calls, convert):
        state = _queue_state(self)

        def attempt(ctx, *_user_data):
            call = calls[ctx.get_index()]
            return _thread_call(ctx, call.fn, call.args, call.kwargs, state, convert)
        return attempt

    # -- lifecycle ---------------------------------------------------------

    def start(self):
        """Starts the queue: submitted tasks run as soon as they may."""
        return _call(_raw_start, self)

    def run(self, timeout=None, cancellable=None, *, fail_policy=None, strict=False):
        """Runs the queue (starting it if needed) and returns the
        :class:`RunSummary`: until nothing is outstanding (finite mode) or
        until shutdown (infinite mode), at most @timeout seconds (None: the
        queue's ``timeout`` setting). @fail_policy (``"continue"`` or
        ``"fail_first"``) overrides the queue's for this run; with @strict,
        ExecutionError (carrying the summary) if a task failed. The
        introspected form ``run(cancellable)`` works too."""
        if isinstance(timeout, Gio.Cancellable) and cancellable is None:
            timeout, cancellable = None, timeout
        summary = _call(_raw_run_full, self, _run_timeout(timeout), _run_flags(fail_policy), cancellable)
        if strict:
            _strict_check(summary)
        return summary

    def run_async(self, timeout=None, flags=None, cancellable=None, callback=None, *user_data,
                  fail_policy=None, strict=False):
        """The introspected ``run_async(timeout, flags, cancellable,
        callback, user_data)``, also with the keywords of :meth:`run`
        (``timeout=None`` uses the queue's setting). Finish with
        :meth:`run_finish` in @callback, on the queue's main context."""
        run_flags = _run_flags(fail_policy, strict)
        if flags is not None:
            run_flags |= flags
        timeout = 0.0 if timeout is None else float(timeout)   # 0 or less: the queue's setting
        return _raw_run_async(self, timeout, run_flags, cancellable, callback, *user_data)

    def run_finish(self, result):
        """The summary of run_async(); raises like :meth:`run`."""
        return _call(_raw_run_finish, self, result)

    def join(self, cancellable=None):
        """Starts the queue if needed and waits until nothing is
        outstanding, without stopping anything (infinite mode too)."""
        return _call(_raw_join, self, cancellable)

    def shutdown(self, force=False, cancellable=None):
        """Shuts the queue down: gracefully (drains everything outstanding),
        or with @force under the exit policy. A closed queue stays closed."""
        return _call(_raw_shutdown, self, force, cancellable)

    def shutdown_finish(self, result):
        return _call(_raw_shutdown_finish, self, result)

    def reset(self):
        """Cancels what is outstanding, clears results and state, and
        reopens the queue (BusyError during a run)."""
        _call(_raw_reset, self)
        _queue_state(self).clear()
        return True

    def clear_results(self):
        """Frees the result history (handles keep their results)."""
        _raw_clear_results(self)
        _queue_state(self).clear()

    # -- introspection -----------------------------------------------------

    @property
    def results(self):
        """Every result since the last reset or clear_results(), across runs,
        in completion order."""
        return tuple(self.get_results())

    @property
    def closed(self):
        return self.get_closed()

    @property
    def pending_count(self):
        """Tasks waiting to start (queued and scheduled)."""
        return self.get_pending()

    @property
    def active_count(self):
        """Attempts in flight and tasks waiting to retry."""
        return self.get_active()

    @property
    def stats(self):
        return {'pending': self.get_pending(), 'active': self.get_active(),
                'scheduled': self.get_scheduled(), 'completed': self.get_completed(),
                'workers': self.get_workers(), 'closed': self.get_closed()}

    def __repr__(self):
        return '<Osiiso.%s workers=%d pending=%d active=%d%s>' % (
            type(self).__name__, self.get_workers(), self.get_pending(), self.get_active(),
            ' closed' if self.get_closed() else '')


Queue = override(Queue)
__all__.append('Queue')


class ThreadQueue(Osiiso.ThreadQueue):
    """Tasks as blocking Python functions on worker threads (PyGObject takes
    the GIL for each call: good for I/O-bound work). Settings: ``workers``,
    ``size``, ``timeout``, ``mode``, ``fail_policy``, ``on_exit``, ``rate``,
    ``burst``, ``exit_timeout``, ``shutdown_grace``; hooks; and
    ``initializer(*initargs)``, run once in each worker thread."""

    def _prepare(self, props, initializer, initargs):
        if initializer is not None and not callable(initializer):
            raise TypeError('initializer must be callable')

    def _setup(self, initializer, initargs):
        if initializer is not None:
            def init(*_args):
                try:
                    initializer(*initargs)
                except Exception:
                    _log.exception('osiiso: the thread initializer raised')
            self.set_initializer(init)


ThreadQueue = override(ThreadQueue)
__all__.append('ThreadQueue')


class AsyncQueue(Osiiso.AsyncQueue):
    """Tasks as operations on the queue's main context (the thread-default
    context when the queue was created). A plain function runs there and
    its return value is the task's value; a function that starts GIO work
    returns a :class:`Completion` and completes it from its callback.
    ``workers`` bounds the operations in flight."""

    def _submit(self, fn, args, options):
        state = _queue_state(self)
        attempt = _async_attempt(fn, args, state, self.get_main_context())
        handle = _call(_raw_submit, self, attempt, None, options)
        handle._osiiso_state = state
        return handle

    def _group_attempt(self, calls, convert):
        state = _queue_state(self)
        main_context = self.get_main_context()

        def attempt(ctx, *_user_data):
            call = calls[ctx.get_index()]
            return _async_call(ctx, call.fn, call.args, call.kwargs, state, main_context, convert)
        return attempt


AsyncQueue = override(AsyncQueue)
__all__.append('AsyncQueue')


def _function_reference(fn):
    """(module, qualified name, main script path) naming a module-level
    function, for a worker process to import; TypeError otherwise."""
    module_name = getattr(fn, '__module__', None)
    qualname = getattr(fn, '__qualname__', None)
    if not isinstance(module_name, str) or not isinstance(qualname, str) or '<' in qualname:
        raise TypeError('process tasks must be module-level functions (a worker process imports '
                        'them by module and name), not %r' % (fn,))
    module = sys.modules.get(module_name)
    main_path = ''
    if module_name == '__main__' and module is not None:
        spec = getattr(module, '__spec__', None)
        if spec is not None and spec.name not in ('__main__', None):
            module_name = spec.name            # python3 -m package.module
        else:
            main_path = getattr(module, '__file__', None) or ''
            if not main_path:
                raise TypeError('%s is defined in an interactive __main__: a worker process cannot '
                                'import it; define it in a module or a script file' % qualname)
            main_path = os.path.abspath(main_path)
    obj = module
    for part in qualname.split('.'):
        obj = getattr(obj, part, None)
    if obj is not fn and getattr(obj, '__wrapped__', None) is not fn:
        raise TypeError('%s.%s is not reachable by its name, so a worker process cannot import it; '
                        'process tasks must be module-level functions' % (module_name, qualname))
    return module_name, qualname, main_path


def _call_argument(fn, args, kwargs=None):
    """The worker request of ``fn(*args)`` (``(sssav)``), or with
    @kwargs not None of ``fn(*args, **kwargs)`` (``(sssava{sv})``)."""
    module_name, qualname, main_path = _function_reference(fn)
    items = []
    for i, arg in enumerate(args):
        items.append(GLib.Variant('v', to_variant(arg, 'argument %d of %s' % (i + 1, qualname))))
    children = [GLib.Variant('s', module_name), GLib.Variant('s', qualname), GLib.Variant('s', main_path),
                GLib.Variant.new_array(GLib.VariantType('v'), items)]
    if kwargs is not None:
        entries = [GLib.Variant.new_dict_entry(
            GLib.Variant('s', name),
            GLib.Variant('v', to_variant(value, 'keyword argument %s of %s' % (name, qualname))))
            for name, value in kwargs.items()]
        children.append(GLib.Variant.new_array(GLib.VariantType('{sv}'), entries))
    return GLib.Variant.new_tuple(*children)


def _python_worker_argv(initializer=None, initargs=()):
    argv = [sys.executable or '/usr/bin/python3', _WORKER_SCRIPT]
    for entry in sys.path:
        argv += ['--path', entry]
    if initializer is not None:
        module_name, qualname, main_path = _function_reference(initializer)
        argv += ['--initializer', '%s:%s' % (module_name, qualname), '--main', main_path,
                 '--initargs', to_variant(tuple(initargs), 'initargs').print_(True)]
    return argv


class ProcessQueue(Osiiso.ProcessQueue):
    """Tasks in a pool of persistent worker processes. By default each
    worker is a Python interpreter running ``osiiso-python-worker.py``
    (installed beside this override), and ``q.submit(fn, *args)`` runs the
    module-level function @fn there by reference; arguments and the value
    travel as GVariants (:func:`to_variant`), an argument that cannot is a
    TypeError at submit. ``initializer(*initargs)`` (module-level too) runs
    once in each worker process. With ``worker_argv`` of your own, use the
    introspected ``submit_call()`` and ``submit_command()``."""

    def _prepare(self, props, initializer, initargs):
        if initializer is not None and props.get('worker_argv') is not None:
            raise TypeError('initializer needs the Python worker: do not pass worker_argv too')
        if props.get('worker_argv') is None:
            props['worker_argv'] = _python_worker_argv(initializer, initargs)

    def _python_worker(self):
        argv = self.props.worker_argv or []
        return len(argv) >= 2 and argv[1] == _WORKER_SCRIPT

    def _check_python_worker(self):
        if not self._python_worker():
            raise TypeError('this process queue runs workers of its own (worker_argv), which do not '
                            'serve Python functions: use submit_call(), submit_command() or the '
                            'introspected TaskGroup API')

    def _submit(self, fn, args, options):
        self._check_python_worker()
        argument = _call_argument(fn, args)
        handle = _call(Osiiso.ProcessQueue.submit_call, self, PYTHON_CALL, argument, options)
        handle._osiiso_state = _queue_state(self)
        return handle

    # Batches: worker calls by reference, converted before the group exists
    # (an argument that cannot travel is a TypeError and nothing is
    # submitted); a run of calls sharing their options is one map_call.
    def _prepare_calls(self, calls):
        self._check_python_worker()
        for call in calls:
            call.argument = _call_argument(call.fn, call.args, call.kwargs or {})

    def _add_calls(self, group, calls, checkpointed):
        for start, end, options in _runs(calls):
            if end - start == 1:
                group.add_call(PYTHON_CALL, calls[start].argument, options)
            else:
                group.add_map_call(PYTHON_CALL, GLib.Variant.new_array(
                    GLib.VariantType('(sssava{sv})'), [c.argument for c in calls[start:end]]), options)

    def submit_call(self, function, argument=None, options=None):
        return _call(Osiiso.ProcessQueue.submit_call, self, function, argument, options)

    def submit_command(self, argv, input=None, cwd=None, envp=None, options=None):
        return _call(Osiiso.ProcessQueue.submit_command, self, argv, input, cwd, envp, options)


ProcessQueue = override(ProcessQueue)
__all__.append('ProcessQueue')


class BoundTask:
    """A function bound to a queue by ``@q.task(...)``: calling it submits
    the function with the bound options (per-call keywords override them)
    and returns the handle."""

    def __init__(self, fn, queue, opts):
        _check_callable(fn)
        functools.update_wrapper(self, fn)
        self._fn = fn
        self._queue = queue
        self._opts = opts

    def __call__(self, *args, **options):
        return self._queue.submit(self._fn, *args, opts=self._opts, **options)

    def map(self, iterable, *, checkpoint=None, key=None, namespace=None, **options):
        """``q.map(fn, iterable)`` with the bound options (keywords override
        them); returns the :class:`TaskGroup`."""
        return self._queue.map(self._fn, iterable, opts=self._opts, checkpoint=checkpoint, key=key,
                               namespace=namespace, **options)

    def group(self, iterable, *, group_id=None, checkpoint=None, key=None, namespace=None, **options):
        """``q.group(fn, iterable, group_id=...)`` with the bound options."""
        return self._queue.group(self._fn, iterable, group_id=group_id, opts=self._opts,
                                 checkpoint=checkpoint, key=key, namespace=namespace, **options)

    def __repr__(self):
        return 'BoundTask(%r)' % self.__name__


__all__.append('BoundTask')


def _one_shot(queue, fn, iterable, timeout, checkpoint, key, namespace, options):
    # The with statement shuts the queue down on every way out: drained
    # after a clean run, forced (the exit policy) on an exception.
    with queue:
        group = queue.map(fn, iterable, checkpoint=checkpoint, key=key, namespace=namespace, **options)
        queue.run(timeout=timeout)
        return group.values()


def tmap(fn, iterable, *, workers=None, rate=None, timeout=None, checkpoint=None, key=None,
         namespace=None, **options):
    """Maps @fn over @iterable on a fresh :class:`ThreadQueue` (@workers,
    @rate), runs it (at most @timeout seconds) and returns the values in
    input order; ExecutionError if a task failed or was cancelled (a run
    that timed out cancels what is left). Keywords are task options; the
    element rule and ``checkpoint=``/``key=``/``namespace=`` are those of
    :meth:`Queue.map`. The queue is shut down on return, and on error."""
    return _one_shot(ThreadQueue(workers=workers, rate=rate), fn, iterable, timeout,
                     checkpoint, key, namespace, options)


def pmap(fn, iterable, *, workers=None, rate=None, timeout=None, initializer=None, initargs=(),
         checkpoint=None, key=None, namespace=None, **options):
    """:func:`tmap` on a fresh :class:`ProcessQueue`: @fn (module-level)
    runs in worker processes by reference; ``initializer(*initargs)`` runs
    once in each."""
    return _one_shot(ProcessQueue(workers=workers, rate=rate, initializer=initializer, initargs=initargs),
                     fn, iterable, timeout, checkpoint, key, namespace, options)


def amap(fn, iterable, *, workers=None, rate=None, timeout=None, checkpoint=None, key=None,
         namespace=None, **options):
    """:func:`tmap` on a fresh :class:`AsyncQueue` of the thread-default
    main context, which the call iterates until the values are there
    (@workers bounds the operations in flight). The GLib form of the
    original's ``await amap(...)``: a task function may return an
    :class:`Completion`."""
    return _one_shot(AsyncQueue(workers=workers, rate=rate), fn, iterable, timeout,
                     checkpoint, key, namespace, options)


__all__ += ['tmap', 'pmap', 'amap']


# ---------------------------------------------------------------------------
# Handles, results, summaries
# ---------------------------------------------------------------------------

def _nick(status):
    return status.value_nick


def _result_value(result):
    value = result.get_value()
    if isinstance(value, GLib.Variant) and value.get_type_string() == 'v':
        # A value from the Python worker (see osiiso-python-worker.py).
        return from_variant(value.get_variant())
    return value


class TaskResult(Osiiso.TaskResult):
    """A task's final result, with Python attributes: ``status`` (the
    status name: ``"succeeded"``, ``"failed"`` or ``"cancelled"``),
    ``value``, ``exception``, ``error`` (the GLib.Error), ``message``,
    ``attempts``, ``duration`` ..."""

    task_id = property(lambda self: self.get_task_id())
    name = property(lambda self: self.get_name())
    status = property(lambda self: _nick(self.get_status()))
    attempts = property(lambda self: self.get_attempts())
    priority = property(lambda self: self.get_priority())
    must_complete = property(lambda self: self.get_must_complete())
    group_id = property(lambda self: self.get_group_id())
    detached = property(lambda self: self.get_detached())
    message = property(lambda self: self.get_message() or '')
    duration = property(lambda self: self.get_duration())
    created = property(lambda self: self.get_created())
    started = property(lambda self: self.get_started())
    finished = property(lambda self: self.get_finished())
    error = property(lambda self: self.get_error())

    @property
    def value(self):
        """The value of a succeeded task (None otherwise)."""
        if self.get_status() != Osiiso.TaskStatus.SUCCEEDED:
            return None
        return _result_value(self)

    @property
    def exception(self):
        """The exception of a failed task: the very object its function
        raised when still known, else one rebuilt from its error."""
        if self.get_status() != Osiiso.TaskStatus.FAILED:
            return None
        return _task_exception(self.get_task_id(), self.get_error())

    @property
    def metadata(self):
        return from_variant(self.get_metadata())

    def __repr__(self):
        return 'TaskResult(%r, status=%r, attempts=%d)' % (self.name, self.status, self.attempts)


TaskResult = override(TaskResult)
__all__.append('TaskResult')


def _value_of(result, state=None):
    status = result.get_status()
    if status == Osiiso.TaskStatus.SUCCEEDED:
        return _result_value(result)
    if status == Osiiso.TaskStatus.CANCELLED:
        raise CancelledError(result.get_message() or 'cancelled')
    exc = _task_exception(result.get_task_id(), result.get_error(), state)
    raise exc


class TaskHandle(Osiiso.TaskHandle):
    """A task's handle: ``name``, ``status``, ``attempts``, ``task_id``;
    ``wait()``, ``result()``, ``value()``, ``exception()``, ``done()``,
    ``cancelled()``, ``cancel()``, ``add_done_callback()``."""

    task_id = property(lambda self: self.get_id())
    name = property(lambda self: self.get_name())
    status = property(lambda self: _nick(self.get_status()))
    attempts = property(lambda self: self.get_attempts())
    priority = property(lambda self: self.get_priority())
    group_id = property(lambda self: self.get_group_id())

    @property
    def metadata(self):
        return from_variant(self.get_metadata())

    def _state(self):
        return self.__dict__.get('_osiiso_state')

    def done(self):
        """Whether the task reached its final state."""
        return self.is_done()

    def cancelled(self):
        return self.get_status() == Osiiso.TaskStatus.CANCELLED

    def wait(self, timeout=None, cancellable=None):
        """Blocks until the task is done and returns its :class:`TaskResult`;
        Osiiso.TimeoutError (a TimeoutError) after @timeout seconds. On the
        thread of the queue's main context, it iterates that context. It
        does not start the queue."""
        return _call(_raw_handle_wait, self, -1.0 if timeout is None else float(timeout), cancellable)

    def wait_finish(self, result):
        return _call(_raw_handle_wait_finish, self, result)

    def result(self):
        """The :class:`TaskResult`; NotReadyError before the task is done."""
        result = self.get_result()
        if result is None:
            raise NotReadyError('result not ready')
        return result

    def exception(self):
        """The exception of a failed task (None otherwise)."""
        result = self.result()
        if result.get_status() != Osiiso.TaskStatus.FAILED:
            return None
        return _task_exception(self.get_id(), result.get_error(), self._state())

    def value(self):
        """The task's value; for a failed task its exception is raised
        again, for a cancelled one Osiiso.CancelledError; NotReadyError
        before the task is done."""
        return _value_of(self.result(), self._state())

    def add_done_callback(self, fn):
        """Calls ``fn(handle)`` once the task is done, on the queue's main
        context (at once, in this thread, if it is done already).
        Callbacks run in registration order; their exceptions are logged."""
        call = _safe_hook(fn, 'done callback')
        lock = threading.Lock()
        fired = []

        def fire():
            with lock:
                if fired:
                    return
                fired.append(True)
            _pending_callbacks.discard(entry)
            if handler_id[0]:
                self.disconnect(handler_id[0])
                handler_id[0] = 0
            call(self)

        def notified(_handle, _pspec):
            if self.is_done():
                fire()

        handler_id = [0]
        entry = (self, fire)
        if self.is_done():
            fire()
            return
        _pending_callbacks.add(entry)     # keeps the handle observed
        handler_id[0] = self.connect('notify::status', notified)
        if self.is_done():                # finished meanwhile (another thread)
            fire()

    def __repr__(self):
        return 'TaskHandle(%r, status=%r, id=%d)' % (self.name, self.status, self.task_id)


# (handle, fire) of done callbacks not yet called: the handle must stay
# referenced for the queue to notify it.
_pending_callbacks = set()

TaskHandle = override(TaskHandle)
__all__.append('TaskHandle')


class RunSummary(Osiiso.RunSummary):
    """A run's summary: ``total``, ``succeeded``, ``failed``, ``cancelled``,
    ``timed_out``, ``duration``, ``ok``; ``results`` (completion order),
    ``values`` (of the succeeded tasks, in that order), ``errors`` (the
    failed results); ``raise_for_errors()``, ``display()``."""

    total = property(lambda self: self.get_total())
    total_submitted = total
    succeeded = property(lambda self: self.get_succeeded())
    failed = property(lambda self: self.get_failed())
    cancelled = property(lambda self: self.get_cancelled())
    timed_out = property(lambda self: self.get_timed_out())
    duration = property(lambda self: self.get_duration())
    ok = property(lambda self: self.get_ok())

    @property
    def results(self):
        return list(self.get_results())

    @property
    def values(self):
        return [_result_value(r) for r in self.get_results()
                if r.get_status() == Osiiso.TaskStatus.SUCCEEDED]

    @property
    def errors(self):
        return [r for r in self.get_results() if r.get_status() == Osiiso.TaskStatus.FAILED]

    def successes(self):
        return [r for r in self.get_results() if r.get_status() == Osiiso.TaskStatus.SUCCEEDED]

    def cancellations(self):
        return [r for r in self.get_results() if r.get_status() == Osiiso.TaskStatus.CANCELLED]

    def by_task_id(self):
        return {r.get_task_id(): r for r in self.get_results()}

    def by_name(self):
        names = {}
        for r in self.get_results():
            names.setdefault(r.get_name(), []).append(r)
        return {k: tuple(v) for k, v in names.items()}

    def by_group(self):
        groups = {}
        for r in self.get_results():
            groups.setdefault(r.get_group_id(), []).append(r)
        return {k: tuple(v) for k, v in groups.items()}

    def _raise(self, include_cancelled):
        try:
            self.check(include_cancelled)
        except GLib.Error as e:
            bad = self.errors + (self.cancellations() if include_cancelled else [])
            raise ExecutionError(e.message, summary=self, results=bad) from None

    def raise_for_errors(self, include_cancelled=False):
        """Raises ExecutionError ("N task(s) failed; M task(s) cancelled"),
        carrying this summary, if a task failed (or, with
        @include_cancelled, was cancelled)."""
        self._raise(include_cancelled)

    def display(self):
        """Prints the report (``to_string()``)."""
        print(self.to_string(), end='')

    def __str__(self):
        return self.to_string()

    def __repr__(self):
        return 'RunSummary(total=%d, succeeded=%d, failed=%d, cancelled=%d, timed_out=%s)' % (
            self.total, self.succeeded, self.failed, self.cancelled, self.timed_out)


RunSummary = override(RunSummary)
__all__.append('RunSummary')


# ---------------------------------------------------------------------------
# Batches: groups, checkpoints
# ---------------------------------------------------------------------------

class _Call:
    """One task of a batch: ``fn(*args, **kwargs)`` with its options (and,
    on a process queue, its worker request)."""
    __slots__ = ('fn', 'args', 'kwargs', 'options', 'argument')

    def __init__(self, fn, args, kwargs, options):
        self.fn, self.args, self.kwargs, self.options = fn, tuple(args), kwargs, options
        self.argument = None


def _element_arguments(element, index):
    """(args, kwargs) of a map element: a mapping becomes keyword
    arguments, a tuple is spread into positional ones, anything else is
    the one argument."""
    if isinstance(element, collections.abc.Mapping):
        kwargs = dict(element)
        for name in kwargs:
            if not isinstance(name, str):
                raise TypeError('element %d is a dict, which becomes keyword arguments, so its keys '
                                'must be str, not %s (wrap it, (d,), to pass it as one argument)'
                                % (index, type(name).__name__))
        return (), kwargs
    if isinstance(element, tuple):
        return tuple(element), None
    return (element,), None


def _qualified_name(fn):
    name = getattr(fn, '__qualname__', None)
    return name if isinstance(name, str) else _callable_name(fn)


def _check_checkpoint(checkpoint, key, namespace):
    if checkpoint is None:
        if key is not None or namespace is not None:
            raise TypeError('key= and namespace= need checkpoint=')
        return
    if not isinstance(checkpoint, Osiiso.Checkpoint):
        raise TypeError('checkpoint must be an Osiiso.Checkpoint, not %s' % type(checkpoint).__name__)
    if key is not None and not callable(key):
        raise TypeError('key must be a function of the input, not %s' % type(key).__name__)
    if namespace is not None and (not isinstance(namespace, str) or not namespace):
        raise TypeError('namespace must be a non-empty str')


def _checkpoint_keys(items, key, default_input=None):
    """The checkpoint key of every input, computed before anything is
    submitted: ``str(key(item))``, else the canonical key of
    ``to_variant(default_input(item))`` (the item itself by default)."""
    keys = []
    for i, item in enumerate(items):
        if key is not None:
            keys.append(str(key(item)))
            continue
        try:
            variant = to_variant(item if default_input is None else default_input(item), 'input %d' % i)
        except TypeError as e:
            raise TypeError('%s, so it has no canonical checkpoint key: pass key= (a function of '
                            'the input that returns its key)' % e) from None
        keys.append(Osiiso.Checkpoint.canonical_key(variant))
    return keys


def _group_id(group_id, options):
    if group_id is not None:
        return str(group_id)
    return options.get_group_id()     # None: the group makes a fresh group-N


def _runs(calls):
    """(start, end, options) of each run of consecutive calls sharing the
    same options object."""
    start = 0
    for i in range(1, len(calls) + 1):
        if i == len(calls) or calls[i].options is not calls[start].options:
            yield start, i, calls[start].options
            start = i


def _index_inputs(start, end):
    """The inputs of a dispatcher's map: the tasks' indices (``au``)."""
    data = array.array('I', range(start, end)).tobytes()
    return GLib.Variant.new_from_bytes(GLib.VariantType('au'), GLib.Bytes.new(data), True)


def _wait_timeout(timeout):
    if timeout is None:
        return -1.0
    timeout = float(timeout)
    if timeout < 0:
        raise ValueError('timeout must be >= 0 (None: no limit)')
    return timeout


class TaskGroup(Osiiso.TaskGroup):
    """A batch of tasks (``q.map()``, ``q.group()``): ``group_id``,
    ``handles`` (in input order), ``len()``, iteration and indexing over
    the handles, ``cancel()``, ``wait(timeout=None)``,
    ``values(timeout=None)``, ``as_completed(timeout=None)``,
    ``n_restored``. Waiting does not start the queue."""

    group_id = property(lambda self: self.get_id())
    n_restored = property(lambda self: self.get_n_restored())
    n_completed = property(lambda self: self.get_n_completed())
    submitted = property(lambda self: self.get_submitted())

    def _adopt(self, handle):
        state = self.__dict__.get('_osiiso_state')
        if state is not None and handle.__dict__.get('_osiiso_state') is None:
            handle._osiiso_state = state
        return handle

    def get_handle(self, index):
        """The handle of the task at @index (input order)."""
        if not self.get_submitted():
            raise NotReadyError('the group %r was not submitted' % self.get_id())
        if not 0 <= index < self.get_size():
            raise IndexError('task index %d out of range (the group has %d)' % (index, self.get_size()))
        return self._adopt(_raw_group_get_handle(self, index))

    @property
    def handles(self):
        """The handles, in input order (none before the group is submitted)."""
        return tuple(self.get_handle(i) for i in range(len(self)))

    def __len__(self):
        return self.get_n_items()

    def __iter__(self):
        return iter(self.handles)

    def __getitem__(self, key):
        if isinstance(key, slice):
            return [self.get_handle(i) for i in range(*key.indices(len(self)))]
        index = key.__index__()
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError('group index out of range')
        return self.get_handle(index)

    def wait(self, timeout=None, cancellable=None):
        """Blocks until every task is done and returns the
        :class:`RunSummary` of their results in input order (restored tasks
        included); Osiiso.TimeoutError after @timeout seconds. On the
        thread that runs the queue's main context (outside a dispatch of
        it), it also lets the context deliver the completions, so done
        callbacks and hooks have run and checkpoint records are written
        when it returns."""
        summary = _call(_raw_group_wait, self, _wait_timeout(timeout), cancellable)
        self._settle()
        return summary

    def _settle(self):
        # The blocking wait returns once the tasks finished; their
        # completions (handle notifications, done callbacks, hooks and
        # checkpoint records) are delivered by the queue's context. The
        # asynchronous wait completes only after that delivery.
        queue_ref = self.__dict__.get('_osiiso_queue')
        queue = queue_ref() if queue_ref is not None else None
        if queue is None:
            return
        context = queue.get_main_context()
        if context.is_owner():
            return        # inside a dispatch: the delivery may be the one running
        if context == GLib.MainContext.default():
            if threading.current_thread() is not threading.main_thread():
                return
        elif context != GLib.MainContext.get_thread_default():
            return
        if not context.acquire():
            return        # another thread runs it, and delivers
        try:
            settled = []
            _raw_group_wait_async(self, None, lambda *_args: settled.append(True))
            while not settled:
                context.iteration(True)
        finally:
            context.release()

    def values(self, timeout=None, cancellable=None):
        """Waits as :meth:`wait` does and returns the values in input order,
        one per task; ExecutionError (with the summary, and the failed and
        cancelled results) if a task failed or was cancelled."""
        summary = self.wait(timeout, cancellable)
        summary._raise(True)
        return [_result_value(r) for r in summary.get_results()]

    def as_completed(self, timeout=None, cancellable=None):
        """An iterator of the handles in completion order (tasks done
        already first, restored ones before all). It blocks for each; with
        @timeout, one deadline for the whole iteration, counted from this
        call: Osiiso.TimeoutError (a TimeoutError) when it passes."""
        deadline = None if timeout is None else time.monotonic() + _wait_timeout(timeout)
        size = self.get_size()

        def completed():
            for n in range(size):
                left = -1.0 if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    handle = _call(_raw_group_wait_completed, self, n, left, cancellable)
                except TimeoutError:
                    raise TimeoutError('%d of the %d tasks of group %r did not complete within %gs'
                                       % (size - n, size, self.get_id(), timeout)) from None
                yield self._adopt(handle)
        return completed()

    def __repr__(self):
        return 'TaskGroup(%r, tasks=%d)' % (self.get_id(), self.get_size())


TaskGroup = override(TaskGroup)
__all__.append('TaskGroup')


class Checkpoint(Osiiso.Checkpoint):
    """Completion tracking keyed by input, in an SQLite file:
    ``Osiiso.Checkpoint(path, store_values=True)`` opens (or creates) it,
    raising at once if it cannot; ``':memory:'`` is a private in-memory
    store. A context manager (leaving the block closes it). Give it to
    ``q.map(..., checkpoint=...)``; ``count(namespace)``,
    ``namespaces()``, ``clear(namespace)``, ``close()`` as in C."""

    def __init__(self, path=':memory:', *, store_values=True):
        super().__init__(path=os.fspath(path), store_values=store_values)
        _call(Gio.Initable.init, self, None)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close()
        return False

    @property
    def closed(self):
        return self.is_closed()

    def count(self, ns=None):
        return _call(Osiiso.Checkpoint.count, self, ns)

    def clear(self, ns=None):
        return _call(Osiiso.Checkpoint.clear, self, ns)

    def namespaces(self):
        return _call(Osiiso.Checkpoint.namespaces, self)

    def is_done(self, ns, key):
        return _call(Osiiso.Checkpoint.is_done, self, ns, key)

    def lookup(self, ns, keys):
        return _call(Osiiso.Checkpoint.lookup, self, ns, keys)

    def record(self, ns, key, value=None, name=None):
        return _call(Osiiso.Checkpoint.record, self, ns, key, value, name)

    def close(self):
        """Closes the store (again: nothing); any other use then raises
        Osiiso.ClosedError."""
        return _call(Osiiso.Checkpoint.close, self)

    def __repr__(self):
        if self.is_closed():
            return 'Checkpoint(%r, closed)' % self.get_path()
        return 'Checkpoint(%r)' % self.get_path()


Checkpoint = override(Checkpoint)
__all__.append('Checkpoint')

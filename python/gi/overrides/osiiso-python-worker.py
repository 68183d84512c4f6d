#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# osiiso-python-worker.py: serves module-level Python functions to an Osiiso.ProcessQueue
"""The worker process of the Python override's ProcessQueue.

``Osiiso.ProcessQueue()`` (through the override in Osiiso.py, installed
beside this script) runs this script as its worker command line::

    python3 osiiso-python-worker.py [--path DIR]... \\
        [--initializer MODULE:QUALNAME --main SCRIPT --initargs VARIANT]

and ``q.submit(fn, *args)`` sends it the request ``osiiso-python-call``
with the argument ``(sssav)``: the function's module, its qualified name,
the path of the main script when the module is ``__main__`` (loaded here as
the module ``__mp_main__``, so its ``if __name__ == "__main__":`` block does
not run), and the arguments, each converted with ``Osiiso.to_variant()``.
The tasks of ``q.map()`` and ``q.group()`` send ``(sssava{sv})``: the same,
plus keyword arguments (a dict element of a map), each value converted the
same way.

The reply's value is ``Osiiso.to_variant(return value)`` wrapped in one
more variant (type ``v``), which tells the override to convert it back. A
``GLib.Error`` raised by the function reaches the parent unchanged; any
other exception fails the task with an error in the domain
``osiiso-python-error-quark`` whose message is ``Type: message``, from
which the parent rebuilds the exception.

``--path`` entries (the parent's ``sys.path``) come first on ``sys.path``,
so the worker imports what the parent can. Module globals persist from one
task to the next in the same process, as in any process queue worker.
"""

import importlib
import importlib.util
import os
import sys


def _arguments(argv):
    options = {'path': [], 'initializer': None, 'main': '', 'initargs': None}
    i = 0
    while i < len(argv):
        key = argv[i]
        if key not in ('--path', '--initializer', '--main', '--initargs') or i + 1 >= len(argv):
            sys.exit('osiiso-python-worker: bad argument %r' % key)
        value = argv[i + 1]
        if key == '--path':
            options['path'].append(value)
        else:
            options[key[2:]] = value
        i += 2
    return options


def _setup_path(paths):
    here = os.path.dirname(os.path.abspath(__file__))
    # Not the directory of this script (gi/overrides): never import from it.
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or '.') != here]
    for entry in reversed(paths):
        if entry in sys.path:
            sys.path.remove(entry)
        sys.path.insert(0, entry)
    # The override beside this script, if the parent's path does not
    # already lead to one (.../gi/overrides/ -> ...).
    root = os.path.dirname(os.path.dirname(here))
    if root not in sys.path:
        sys.path.append(root)


_modules = {}


def _module(name, main_path):
    key = (name, main_path)
    module = _modules.get(key)
    if module is not None:
        return module
    if name == '__main__':
        if not main_path:
            raise ImportError('the function lives in an interactive __main__')
        module = sys.modules.get('__mp_main__')
        if module is None or getattr(module, '__file__', None) != main_path:
            spec = importlib.util.spec_from_file_location('__mp_main__', main_path)
            if spec is None:
                raise ImportError('cannot load the main script %s' % main_path)
            module = importlib.util.module_from_spec(spec)
            sys.modules['__mp_main__'] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules['__mp_main__']
                raise
    else:
        module = importlib.import_module(name)
    _modules[key] = module
    return module


def _resolve(name, qualname, main_path):
    obj = _module(name, main_path)
    for part in qualname.split('.'):
        obj = getattr(obj, part)
    # A function decorated in place by @q.task() is a BoundTask here.
    return getattr(obj, '__wrapped__', obj) if type(obj).__name__ == 'BoundTask' else obj


def main():
    options = _arguments(sys.argv[1:])
    _setup_path(options['path'])

    import gi
    gi.require_version('Osiiso', '1.0')
    from gi.repository import GLib, Osiiso

    if not hasattr(Osiiso, 'to_variant'):
        sys.exit('osiiso-python-worker: the Osiiso PyGObject override is not on the path')

    python_error = Osiiso.python_error_quark()

    def describe(exc):
        cls = type(exc)
        name = cls.__qualname__
        if cls.__module__ not in ('builtins', '__main__', '__mp_main__', None):
            name = '%s.%s' % (cls.__module__, name)
        text = str(exc)
        return '%s: %s' % (name, text) if text else name

    def failure(exc):
        if isinstance(exc, GLib.Error):
            return exc
        return GLib.Error.new_literal(python_error, describe(exc), 0)

    def call(worker, argument):
        try:
            signature = argument.get_type_string() if argument is not None else 'nothing'
            if signature not in ('(sssav)', '(sssava{sv})'):
                raise TypeError('%s takes (sssav) or (sssava{sv}), not %s' % (Osiiso.PYTHON_CALL, signature))
            name = argument.get_child_value(0).get_string()
            qualname = argument.get_child_value(1).get_string()
            main_path = argument.get_child_value(2).get_string()
            args = Osiiso.from_variant(argument.get_child_value(3))
            kwargs = Osiiso.from_variant(argument.get_child_value(4)) if signature != '(sssav)' else {}
            fn = _resolve(name, qualname, main_path)
            value = fn(*args, **kwargs)
            return GLib.Variant('v', Osiiso.to_variant(value, 'the value of %s()' % qualname))
        except BaseException as e:
            raise failure(e) from None

    worker = Osiiso.Worker.new()
    worker.register(Osiiso.PYTHON_CALL, call)

    if options['initializer']:
        name, _, qualname = options['initializer'].partition(':')
        initargs = ()
        if options['initargs']:
            initargs = Osiiso.from_variant(GLib.Variant.parse(None, options['initargs'], None, None))

        def initialize(worker, *_user_data):
            try:
                _resolve(name, qualname, options['main'])(*initargs)
            except BaseException as e:
                raise failure(e) from None
            return True
        worker.set_initializer(initialize)

    return worker.run()


if __name__ == '__main__':
    sys.exit(main())

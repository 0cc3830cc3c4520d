"""Lazy attribute access for the package namespaces (PEP 562)."""

# License: BSD (3-clause)

import importlib
import sys


def attach(package, names, submodules=()):
    """Module ``__getattr__``/``__dir__`` that import public names on first use.

    Parameters
    ----------
    package : str
        ``__name__`` of the package.
    names : dict of str to str
        Public name -> submodule (relative to ``package``) that defines it.
    submodules : collection of str
        Submodules also reachable as attributes.

    Returns
    -------
    __getattr__, __dir__ : callable
        To assign in the package's namespace.
    """

    def __getattr__(name):
        if name in submodules:
            return importlib.import_module(f".{name}", package)
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        setattr(sys.modules[package], name, value)  # later look-ups skip __getattr__
        return value

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(names) | set(submodules))

    return __getattr__, __dir__

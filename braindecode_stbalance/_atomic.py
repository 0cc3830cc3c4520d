"""Atomic file writes that respect the umask and keep an existing file's mode.

Every file the package writes (manifests, figures, events files, caches) goes
through :func:`atomic_write`: the content is written to a temporary file in
the target's folder, synced and renamed over the target, so an interrupted
write never leaves a half-written file and never damages the previous one.
"""

# License: BSD (3-clause)

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

__all__ = ["atomic_write", "atomic_write_text", "check_writable"]


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _target_mode(path):
    """The mode the written file gets: the existing file's, else 0666 minus the umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return 0o666 & ~_umask()


def check_writable(path, what="output file"):
    """Raise now, not after hours of work, if ``path`` cannot be written.

    Parameters
    ----------
    path : str | pathlib.Path
        The file to be written (its folder may not exist yet).
    what : str
        Names the file in messages.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    IsADirectoryError
        If ``path`` is a folder.
    NotADirectoryError
        If a parent of ``path`` is a file.
    PermissionError
        If the folder (or its first existing parent) is not writable.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"The {what} {os.fspath(path)!r} is a folder; give a file name.")
    parent = path.parent if os.fspath(path.parent) else Path(".")
    existing = parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise NotADirectoryError(f"Cannot write the {what} {os.fspath(path)!r}: "
                                 f"{os.fspath(existing)!r} is not a folder.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise PermissionError(f"Cannot write the {what} {os.fspath(path)!r}: the folder "
                              f"{os.fspath(existing)!r} is not writable.")
    return path  # (a read-only file in a writable folder is replaced: the rename allows it)


def atomic_write(path, write):
    """Call ``write(fileobj)`` on a temp file beside ``path``, then rename it over ``path``.

    The file gets the mode of the file it replaces, or ``0666`` minus the
    umask for a new file (what ``open(path, "w")`` gives), not the ``0600``
    of a temporary file. On any error (or interruption) the temporary file is
    removed and ``path`` is left as it was.

    Parameters
    ----------
    path : str | pathlib.Path
        The target file; missing parent folders are created.
    write : callable
        Called with a binary file object open for writing.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = check_writable(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _target_mode(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _sync_folder(path.parent)
    return path


def _sync_folder(folder):
    """Make the rename durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_text(path, text, encoding="utf-8"):
    """:func:`atomic_write` of a text (written as is: no newline translation).

    Parameters
    ----------
    path : str | pathlib.Path
        The target file.
    text : str
        The content.
    encoding : str
        Text encoding.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    data = text.encode(encoding)
    return atomic_write(path, lambda f: f.write(data))

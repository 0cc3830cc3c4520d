"""Atomic text writes: temp file in the target's folder, then :func:`os.replace`."""

# License: BSD (3-clause)

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path


def atomic_write_text(path, text, encoding="utf-8"):
    """Write ``text`` to ``path`` so that readers see the old or the new file, never a part.

    The text goes to a new file beside ``path`` (same folder, hence same file
    system), is flushed and fsynced, then renamed over ``path``. An existing
    file keeps its permission bits; a new file gets ``0o666`` minus the
    process umask (the temp file is created with that mode, so the kernel
    applies the umask). On any error the temp file is removed and ``path`` is
    untouched.

    Parameters
    ----------
    path : str | pathlib.Path
        Target file; its folder must exist.
    text : str
        Content.
    encoding : str
        Text encoding.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = None
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path

"""The error of a file (or folder) of the package's own formats that cannot be used as is."""

# License: BSD (3-clause)

from __future__ import annotations

import os

__all__ = ["StoredFileError"]


class StoredFileError(ValueError):
    """A stored file or folder that is missing parts, damaged, edited or inconsistent.

    Subclasses name what they store in :attr:`what` (``"manifest"``, ``"window cache"``).

    Parameters
    ----------
    path : str | pathlib.Path | None
        The file or folder (``None`` for an object that came from no file).
    reason : str
        What is wrong (and what to do).

    Attributes
    ----------
    path, reason
        As above.
    """

    what = "file"

    def __init__(self, path, reason):
        self.path = None if path is None else os.fspath(path)
        self.reason = reason
        where = self.what if path is None else f"{self.what} {self.path}"
        super().__init__(f"Invalid {where}: {reason}")

    def __reduce__(self):  # picklable across worker processes
        return type(self), (self.path, self.reason)

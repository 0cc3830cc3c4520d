"""The documentation builds without a warning (``sphinx-build -W``), offline, as in CI.

A broken docstring, a missing API entry or a page outside the toctree fails this test.
The gallery examples are not executed here (they run in ``tests/test_examples.py``).
"""

# License: BSD (3-clause)

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    pytest.importorskip("sphinx")
    env = dict(os.environ, STBALANCE_DOCS_OFFLINE="1", STBALANCE_PLOT_GALLERY="0")
    out = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "-q",
         "-d", str(tmp_path / "doctrees"), str(ROOT / "docs"), str(tmp_path / "html")],
        check=False, capture_output=True, text=True, env=env, timeout=900, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-4000:]
    assert (tmp_path / "html" / "api.html").exists()

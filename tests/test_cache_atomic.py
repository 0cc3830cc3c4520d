"""A build killed with SIGKILL leaves no half cache and no damaged previous cache."""

# License: BSD (3-clause)

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from cache_data import make_preprocessed, reread

from braindecode_stbalance.cache import build_cache, load_cache

ROOT = Path(__file__).resolve().parents[1]

# builds a cache of the EDF corpus at argv[1] into argv[2], slowly: each recording's
# load waits 1 s, so that the kill lands while signal files are being written
_SCRIPT = textwrap.dedent("""\
    import sys, time
    from cache_data import reread
    from braindecode_stbalance.cache.build import DatasetSource, build_from_sources

    class SlowSource(DatasetSource):
        def load(self):
            time.sleep(1.0)
            return self.ds

    windows = reread(sys.argv[1], h_freq=float(sys.argv[3]))
    sources = [SlowSource(ds, f"Recording {i}") for i, ds in enumerate(windows.datasets)]
    build_from_sources(sources * 3, sys.argv[2], progress=False)
    print("finished", flush=True)
""")


def _snapshot(folder):
    """Name and SHA-256 of every file under ``folder``."""
    out = {}
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file():
            out[os.fspath(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _start_and_kill(tmp_path, edf, cache, h_freq):
    script = tmp_path / "slow_build.py"
    script.write_text(_SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests")]))
    proc = subprocess.Popen([sys.executable, str(script), str(edf), str(cache), str(h_freq)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        # wait until the build has written signal files into its temporary folder
        while time.monotonic() < deadline:
            written = list(Path(cache).glob(".tmp-*/r*.npy"))
            if len(written) >= 2:
                break
            if proc.poll() is not None:
                pytest.fail(f"the build ended before it could be killed: "
                            f"{proc.communicate()[1].decode()[-2000:]}")
            time.sleep(0.05)
        else:
            pytest.fail("the build wrote no signal file in 120 s")
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert b"finished" not in proc.stdout.read()


@pytest.mark.slow
def test_killed_first_build_leaves_no_cache(tmp_path):
    edf = tmp_path / "edf"
    make_preprocessed(edf, n_recordings=3, seed=1)
    cache = tmp_path / "cache"
    _start_and_kill(tmp_path, edf, cache, 10.0)
    assert list(cache.glob(".tmp-*")) and not (cache / "index.json").exists()
    with pytest.raises(FileNotFoundError, match="never finished"):
        load_cache(cache)
    # the next build completes and removes what the killed one left
    cached = build_cache(reread(edf), cache, progress=False)
    assert not list(cache.glob(".tmp-*")) and len(list(cache.glob("data-*"))) == 1
    assert len(cached.datasets) == 3


@pytest.mark.slow
def test_killed_rebuild_leaves_the_previous_cache_intact(tmp_path):
    edf = tmp_path / "edf"
    source = make_preprocessed(edf, n_recordings=3, seed=1)
    cache = tmp_path / "cache"
    build_cache(source, cache, progress=False)
    before = _snapshot(cache)
    _start_and_kill(tmp_path, edf, cache, 12.0)  # other preprocessing: another cache
    after = _snapshot(cache)
    assert {k: v for k, v in after.items() if not k.startswith(".tmp-")} == before
    cached = load_cache(cache).verify()  # the previous cache, whole and valid
    assert cached.check(reread(edf)) is cached  # and it still is the h_freq=10 cache
    for i in (0, 11, len(source) - 1):
        assert np.array_equal(cached[i][1], source[i][1])
        x = cached[i][0].astype(np.float64) / cached.scale
        assert np.abs(x - source[i][0]).max() <= 2.0 ** -10 * np.abs(source[i][0]).max()

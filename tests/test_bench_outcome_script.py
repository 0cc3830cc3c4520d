"""The ablation benchmark runs end to end (smallest sizes) and writes its results and figure."""

# License: BSD (3-clause)

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_bench_outcome_quick_runs(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_outcome.py"), "--quick", "--seeds", "1",
         "--epochs", "1", "--models", "window", "--out", str(tmp_path / "r.json"),
         "--figure", str(tmp_path / "f.png")],
        check=True, env=env, timeout=900, capture_output=True, text=True).stdout
    lines = [line for line in out.splitlines() if "event F1" in line]
    assert len(lines) >= 6  # per configuration, then the summary
    runs = json.loads((tmp_path / "r.json").read_text())["runs"]
    assert {r["method"] for r in runs} == {"balanced", "random", "weighted"}
    assert len({r["epoch_size"] for r in runs}) == 1  # same budget for every method
    assert all(0 <= r["event_f1"] <= 1 or r["event_f1"] != r["event_f1"] for r in runs)
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"

"""The prepared GPU benchmark of the dense detector runs end to end on CPU with --tiny."""

# License: BSD (3-clause)

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_gpu_dense_tiny_runs_on_cpu(tmp_path):
    out = tmp_path / "result.json"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_dense.py"), "--tiny",
                    "--device", "cpu", "--out", str(out)],
                   check=True, env=env, timeout=600, capture_output=True, text=True)
    result = json.loads(out.read_text())
    assert result["device"]["device"] == "cpu"
    assert len(result["epochs"]) == 2 and len(result["history"]) == 2
    epoch = result["epochs"][-1]
    assert epoch["windows"] > 0 and epoch["scoring_seconds"] > 0
    assert 0 < result["median_busy_fraction"] <= 1
    assert "valid_event_f1" in result["history"][-1]

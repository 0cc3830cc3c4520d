"""The prepared GPU benchmark script runs end to end on CPU with --tiny."""

# License: BSD (3-clause)

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_gpu_train_tiny_runs_on_cpu(tmp_path):
    out = tmp_path / "result.json"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu_train.py"), "--tiny", "--device", "cpu",
         "--n-recordings", "1", "--duration", "1200", "--batch-size", "8", "--out", str(out)],
        check=True, env=env, timeout=600, capture_output=True, text=True,
    )
    result = json.loads(out.read_text())
    assert [r["sampler"] for r in result["results"]] == ["balanced", "shuffle"]
    assert result["results"][0]["windows_per_epoch"] == result["results"][1]["windows_per_epoch"]
    assert result["ratio_balanced_over_shuffle"] > 0
    assert result["device"]["device"] == "cpu"

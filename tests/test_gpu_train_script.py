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
         "--n-recordings", "1", "--duration", "1200", "--batch-size", "8", "--repeats", "2",
         "--out", str(out)],
        check=True, env=env, timeout=600, capture_output=True, text=True,
    )
    result = json.loads(out.read_text())
    # alternating order, so that drift between runs cancels out
    assert [r["sampler"] for r in result["results"]] == ["balanced", "shuffle", "shuffle", "balanced"]
    assert len({tuple(r["windows_per_epoch"]) for r in result["results"]}) == 1
    assert set(result["median_samples_per_s"]) == {"balanced", "shuffle"}
    assert result["ratio_balanced_over_shuffle"] > 0
    assert result["device"]["device"] == "cpu"

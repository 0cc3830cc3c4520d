"""The prepared GPU data-path benchmark runs end to end on CPU with --tiny."""

# License: BSD (3-clause)

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_gpu_datapath_tiny_runs_on_cpu(tmp_path):
    out = tmp_path / "result.json"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu_datapath.py"), "--tiny", "--device", "cpu",
         "--out", str(out), "--workdir", str(tmp_path / "work")],
        check=False, env=env, timeout=600, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    names = [r["name"] for r in result["results"]]
    assert names[0].startswith("device") and any(n.startswith("cache") for n in names)
    assert any(n.startswith("lazy EDF") for n in names)
    # every run trained on the same balanced epochs
    assert len({tuple(r["epoch_windows"]) for r in result["results"]}) == 1
    assert result["ratios"]["cache_over_device"] > 0 and result["ratios"]["cache_over_lazy_edf"] > 0
    assert result["device"]["device"] == "cpu"
    assert "cache / lazy EDF:" in proc.stdout.strip().splitlines()[-2]

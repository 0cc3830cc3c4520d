"""Package-level promises: public API documented, README commands, CI entry point."""

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

import braindecode_stbalance as pkg
import braindecode_stbalance.datasets as datasets_pkg

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("module", [pkg, datasets_pkg], ids=lambda m: m.__name__)
def test_every_public_name_is_in_the_api_docs_and_documented(module):
    api = (ROOT / "docs" / "api.rst").read_text()
    for name in module.__all__:
        assert re.search(rf"^\s+{re.escape(name)}\s*$", api, re.MULTILINE), f"{name} missing from docs/api.rst"
        obj = getattr(module, name)
        if callable(obj):
            doc = inspect.getdoc(obj) or ""
            assert doc.strip(), f"{name} has no docstring"
            if inspect.isfunction(obj) and inspect.signature(obj).parameters:
                assert "Parameters" in doc, f"{name} docstring has no Parameters section"


def test_ci_runs_the_readme_test_command_verbatim():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- ci: test command -->", 1)[1]
    command = block.split("```bash\n", 1)[1].split("\n", 1)[0]
    extracted = subprocess.run(
        ["bash", "-c", ("awk '/<!-- ci: test command -->/{f=1; next} f && /^```/{if (c++) exit; "
                        "next} f{print; exit}' README.md")], cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert extracted == command
    assert "python -m pytest" in command
    assert "awk '/<!-- ci: test command -->/" in (ROOT / ".ci" / "run").read_text()


def test_demo_runs(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "braindecode_stbalance.demo", "--recordings", "3",
         "--minutes", "10", "--out", str(tmp_path)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout
    assert "Windows per category" in out and "partial_seizure" in out
    assert len(list(tmp_path.glob("*.edf"))) == 3


def test_lazy_package_exposes_submodules_and_names():
    code = (
        "import sys, braindecode_stbalance as b, braindecode_stbalance.datasets as d\n"
        "assert 'torch' not in sys.modules and 'braindecode' not in sys.modules\n"
        "assert b.samplers.BalancedSeizureSampler is b.BalancedSeizureSampler\n"
        "assert d.tusz.TUSZ is d.TUSZ and d.tusz.CorpusError is d.CorpusError\n"
        "assert set(b.__all__) <= set(dir(b))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)

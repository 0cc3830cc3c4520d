"""Package-level promises: public API documented, README commands, CI entry point."""

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

import braindecode_stbalance as pkg
import braindecode_stbalance.cache as cache_pkg
import braindecode_stbalance.datasets as datasets_pkg
import braindecode_stbalance.evaluation as evaluation_pkg
from braindecode_stbalance import labels, manifest, plots, ratio, synthetic

ROOT = Path(__file__).resolve().parents[1]
#: public module -> how docs/api.rst names its members
PUBLIC = {pkg: "", datasets_pkg: "", evaluation_pkg: "", cache_pkg: "", ratio: "ratio.", labels: "labels.", plots: "plots.",
          synthetic: "synthetic.", manifest: "manifest."}


def _api_entries():
    api = (ROOT / "docs" / "api.rst").read_text()
    return set(re.findall(r"^   ([A-Za-z_][\w.]*)\s*$", api, re.MULTILINE))


@pytest.mark.parametrize("module", list(PUBLIC), ids=lambda m: m.__name__)
def test_every_public_name_is_in_the_api_docs_and_documented(module):
    entries = _api_entries()
    for name in module.__all__:
        if module is not pkg and name in pkg.__all__:
            continue  # re-exported at the top level, documented there
        assert PUBLIC[module] + name in entries, f"{name} missing from docs/api.rst"
        obj = getattr(module, name)
        if callable(obj):
            doc = inspect.getdoc(obj) or ""
            assert doc.strip(), f"{name} has no docstring"
            if inspect.isfunction(obj) and inspect.signature(obj).parameters:
                assert "Parameters" in doc, f"{name} docstring has no Parameters section"


def test_api_docs_list_only_public_names():
    public = {PUBLIC[m] + n for m in PUBLIC for n in m.__all__ if m is pkg or n not in pkg.__all__}
    assert _api_entries() <= public, _api_entries() - public


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
        "assert b.ratio.window_seizure_ratio is b.ratio.window_seizure_ratio\n"
        "assert d.tusz.TUSZ is d.TUSZ and d.tusz.CorpusError is d.CorpusError\n"
        "assert set(b.__all__) <= set(dir(b))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)

"""The evaluation package: public names, docstrings, and no torch/braindecode import."""

import inspect
import subprocess
import sys
from pathlib import Path

from braindecode_stbalance import evaluation


def test_public_names_have_numpydoc_docstrings():
    assert sorted(evaluation.__all__) == sorted(set(evaluation.__all__))
    for name in evaluation.__all__:
        obj = getattr(evaluation, name)
        if inspect.isfunction(obj):
            doc = inspect.getdoc(obj)
            for section in ("Parameters", "Returns", "Raises"):
                assert f"{section}\n----" in doc, (name, section)
        elif inspect.isclass(obj):
            assert "Attributes\n----" in inspect.getdoc(obj)
    assert set(dir(evaluation)) >= set(evaluation.__all__)


def test_importing_everything_imports_neither_torch_nor_braindecode():
    code = ("import sys, braindecode_stbalance.evaluation as e\n"
            "from braindecode_stbalance.evaluation import _cli\n"
            "[getattr(e, n) for n in e.__all__]\n"
            "bad = [m for m in ('torch', 'braindecode', 'mne', 'skorch') if m in sys.modules]\n"
            "assert not bad, bad\n"
            "assert e.__file__.startswith(sys.argv[1]), e.__file__\n")
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", code, str(root)], check=True, cwd=root)

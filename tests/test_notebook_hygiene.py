"""The committed source notebooks are output-free, in the form JupyterLab and jupytext save them, and agree with
their paired .py scripts; executed copies are not paired; Lab's pre-save hook strips source notebooks only."""

import json
import re
from pathlib import Path
from types import SimpleNamespace

import jupytext
import nbformat
import pytest
from jupytext.config import load_jupytext_config

from rankseg.lab import KERNELSPEC, strip_notebook, strip_source_notebook
from rankseg.paths import NOTEBOOKS, RESULTS, ROOT

SOURCES = sorted(NOTEBOOKS.glob("*.ipynb"))
# A path from someone's machine (an output, a traceback, a hard-coded folder), e.g. PosixPath('/home/...').
ABSOLUTE_PATH = re.compile(r"(?<![\w.])(/(home|Users|work|tmp|root|mnt|opt|private)/|[A-Za-z]:\\\\)")


def test_there_are_source_notebooks():
    assert len(SOURCES) >= 12


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_source_notebook_is_committed_without_outputs(path: Path):
    text = path.read_text()
    nb = nbformat.reads(text, as_version=4)
    with_outputs = [i for i, c in enumerate(nb.cells) if c.get("outputs") or c.get("execution_count") is not None]
    assert not with_outputs, f"{path.name}: cells {with_outputs} hold outputs or execution counts; save it from " \
                             "`make lab` (which strips them) or run `nbstripout --keep-id` on it"
    assert strip_notebook(nb) == nb, f"{path.name} holds volatile metadata (see rankseg.lab)"
    assert nb.metadata.kernelspec == KERNELSPEC, f"{path.name}: kernelspec is not the one JupyterLab writes"
    assert not ABSOLUTE_PATH.search(text) and str(ROOT) not in text, f"{path.name} holds an absolute path"
    assert text == nbformat.writes(nb) + "\n", f"{path.name} is not in the form Jupyter saves (nbformat.writes)"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_source_notebook_agrees_with_its_paired_script(path: Path):
    config = load_jupytext_config(str(NOTEBOOKS))
    script = path.with_suffix(".py")
    assert script.is_file(), f"{path.name} has no paired {script.name}"
    expected = jupytext.writes(nbformat.read(path, as_version=4), fmt="py:percent", config=config)
    assert script.read_text() == expected, f"{path.name} and {script.name} disagree: `jupytext --sync {path}`"


def test_only_source_notebooks_are_paired():
    config = load_jupytext_config(str(NOTEBOOKS))
    assert config.default_formats("notebooks/01_quickstart.ipynb")
    assert config.default_formats("results/executed/default/01_quickstart.ipynb") is None
    for path in sorted((RESULTS / "executed").glob("*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        assert "formats" not in nb.metadata.get("jupytext", {}), f"{path} would be paired by its own metadata"
        assert not path.with_suffix(".py").exists(), f"stray paired script {path.with_suffix('.py')}"


def executed_model() -> dict:
    """A source notebook after a run, as the server's pre-save hook receives it (plain JSON, not a NotebookNode)."""
    nb = nbformat.read(SOURCES[0], as_version=4)
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.2"}
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text=f"PosixPath('{ROOT}')")]
    nb.cells[1].execution_count = 3
    nb.cells[1].metadata["execution"] = {"iopub.status.busy": "2024-01-01T00:00:00"}
    return {"type": "notebook", "content": json.loads(nbformat.writes(nb))}


@pytest.mark.parametrize("root", [ROOT, NOTEBOOKS])
def test_pre_save_hook_strips_source_notebooks_back_to_their_committed_form(root: Path):
    model = executed_model()
    strip_source_notebook(model, str(SOURCES[0].relative_to(root)), SimpleNamespace(root_dir=str(root)))
    assert nbformat.writes(model["content"]) + "\n" == SOURCES[0].read_text()


def test_pre_save_hook_keeps_executed_copies_and_other_files():
    model = executed_model()
    strip_source_notebook(model, "results/executed/ci/01_quickstart.ipynb", SimpleNamespace(root_dir=str(ROOT)))
    assert model["content"]["cells"][1]["outputs"] and model["content"]["metadata"]["language_info"]
    text = {"type": "file", "format": "text", "content": "x = 1\n"}
    strip_source_notebook(text, "notebooks/01_quickstart.py", SimpleNamespace(root_dir=str(ROOT)))
    assert text["content"] == "x = 1\n"

"""The batch driver and the notebooks' set-up cell reject bad parameters with clear messages."""

import pytest

from rankseg.config import parse_value
from rankseg.experiments.notebook import setup
from rankseg.notebooks import check_parameters, notebook_paths


def test_every_notebook_is_found_and_declares_the_common_parameters():
    paths = notebook_paths()
    assert [p.stem[:2] for p in paths] == [f"{i:02d}" for i in range(1, 13)]
    for p in paths:
        check_parameters(p, {"profile": "ci", "dataset": "emojiscenes", "data_root": None, "device": "cpu",
                             "seeds": [0], "retrain": False, "results_root": None, "figures_root": None})


def test_unknown_parameter_fails():
    with pytest.raises(SystemExit, match=r"unknown parameter\(s\) \['epochs'\]"):
        check_parameters(notebook_paths(["04"])[0], {"epochs": 3})
    with pytest.raises(SystemExit, match="no notebook matches"):
        notebook_paths(["99"])


def test_setup_validates_values():
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        setup(profile="fast")
    with pytest.raises(ValueError, match="is read from disk: set DataConfig.root"):
        setup(profile="ci", dataset="ade20k")
    with pytest.raises(ValueError, match="seeds must name at least one seed"):
        setup(profile="ci", seeds=[])
    ctx = setup(profile="ci", num_classes=847, device="cpu")
    assert ctx.base.data.num_classes == 847 and ctx.profile == "ci"


def test_parse_value():
    assert parse_value("10") == 10 and parse_value("[0, 1]") == [0, 1] and parse_value("ade20k") == "ade20k"


def test_executed_copies_are_sanitised(tmp_path):
    import nbformat

    from rankseg.notebooks import sanitise

    root = tmp_path / "project"
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("ctx.save_figure(fig, 'x')")
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="TqdmWarning: IProgress not found\n"),
                    nbformat.v4.new_output("stream", name="stdout", text="profile=ci\n"),
                    nbformat.v4.new_output("execute_result", data={"text/plain": f"PosixPath('{root}/figures/ci/x.png')"},
                                           execution_count=1),
                    nbformat.v4.new_output("display_data", data={"application/vnd.jupyter.widget-view+json":
                                                                 {"model_id": "abc", "version_major": 2,
                                                                  "version_minor": 0}, "text/plain": "label stats"})]
    nb.cells.append(cell)
    nb.metadata["papermill"] = {"input_path": f"{root}/notebooks/x.ipynb"}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, path)
    sanitise(path, root=root)
    text = path.read_text()
    assert str(tmp_path) not in text and "TqdmWarning" not in text and "profile=ci" in text
    assert "widget" not in text
    assert "PosixPath('figures/ci/x.png')" in text and '"input_path": "notebooks/x.ipynb"' in text
    nbformat.validate(nbformat.read(path, as_version=4))


def test_dry_run_checks_and_lists_without_running(capsys):
    from rankseg.notebooks import main

    assert main(["--profile", "ci", "--only", "01", "02", "--dry-run", "-p", "device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "would run 01_quickstart.ipynb" in out and "would run 02_label_statistics.ipynb" in out
    with pytest.raises(SystemExit, match="unknown parameter"):
        main(["--dry-run", "-p", "epochs", "3"])


def test_say_prints_outside_a_kernel_and_renders_markdown_inside(capsys, monkeypatch):
    import types

    import IPython

    from rankseg.experiments.notebook import say

    say("RankSeg is **above** the baseline")  # no kernel in a test: plain text
    assert capsys.readouterr().out == "RankSeg is **above** the baseline\n"

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: types.SimpleNamespace(kernel=object()))
    monkeypatch.setattr(IPython.display, "display", shown.append)
    say("RankSeg is **above** the baseline")
    assert capsys.readouterr().out == ""
    assert len(shown) == 1 and isinstance(shown[0], IPython.display.Markdown)
    assert shown[0].data == "RankSeg is **above** the baseline"


def test_committed_executed_notebooks_hold_no_machine_paths_or_stderr():
    import json
    import re

    from rankseg.paths import RESULTS, ROOT

    paths = sorted((RESULTS / "executed" / "default").glob("*.ipynb"))
    assert paths, "no executed notebooks committed"
    for path in paths:
        text = path.read_text()
        assert str(ROOT) not in text and not re.search(r"PosixPath\('/", text), path.name
        assert "/work/" not in text and "/home/" not in text, path.name
        outputs = [o for c in json.loads(text)["cells"] for o in c.get("outputs", [])]
        assert not [o for o in outputs if o.get("name") == "stderr"], path.name
        assert "widget" not in text, path.name


def test_an_executed_copy_that_only_changed_timings_is_kept(tmp_path):
    import json

    from rankseg.notebooks import keep_if_unchanged

    def executed(start, output, cell_id):
        return json.dumps({"metadata": {"papermill": {"start_time": start, "duration": 1.5}}, "nbformat": 4,
                           "nbformat_minor": 5,
                           "cells": [{"id": cell_id, "cell_type": "code", "source": "x",
                                      "metadata": {"execution": {"iopub.status.busy": start}},
                                      "outputs": [{"output_type": "stream", "name": "stdout", "text": output}]}]})

    path = tmp_path / "01.ipynb"
    before = executed("10:00", "mIoU 7.19\n", "aa")
    path.write_text(executed("11:00", "mIoU 7.19\n", "bb"))
    assert keep_if_unchanged(path, before) and path.read_text() == before
    path.write_text(executed("11:00", "mIoU 7.20\n", "bb"))
    assert not keep_if_unchanged(path, before) and "7.20" in path.read_text()
    assert not keep_if_unchanged(path, None)

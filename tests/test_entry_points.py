"""The console scripts of pyproject.toml name functions that exist, take argv, and print help."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

SCRIPTS = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]["scripts"]


def test_the_three_commands_are_declared():
    assert set(SCRIPTS) == {"rankseg-train", "rankseg-notebooks", "rankseg-bench"}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_entry_point_resolves_and_prints_help(name, capsys):
    module, _, attr = SCRIPTS[name].partition(":")
    main = getattr(importlib.import_module(module), attr)
    # a console script calls main() and exits with its return value: it must be an int (or None), not data
    assert inspect.signature(main).return_annotation in ("int", int)
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "usage:" in capsys.readouterr().out

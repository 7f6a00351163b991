"""`make lab`'s server command: localhost, the project root, an importable pre-save hook, the profile in the
environment of the server and its kernels, matplotlib's inline backend."""

import sys

import pytest
from traitlets.utils.importstring import import_item

from rankseg.lab import describe, server_command, server_env, strip_source_notebook
from rankseg.paths import ROOT


def test_server_command_starts_lab_from_this_environment_on_localhost():
    cmd = server_command(["--port=8899"])
    assert cmd[:3] == [sys.executable, "-m", "jupyterlab"] and "--ip=127.0.0.1" in cmd and cmd[-1] == "--port=8899"
    assert f"--ServerApp.root_dir={ROOT}" in cmd
    hook = next(a.split("=", 1)[1] for a in cmd if a.startswith("--FileContentsManager.pre_save_hook="))
    assert import_item(hook) is strip_source_notebook  # resolved by the server process, not by `python -m`


def test_server_env_sets_the_profile(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    env = server_env("ci")
    assert env["RANKSEG_PROFILE"] == "ci" and "MPLBACKEND" not in env
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        server_env("fast")
    assert "results/executed/ci/" in describe("ci") and "figures/ci/" in describe("ci")

"""JupyterLab from the project's environment, with the source notebooks kept as they are committed.

    python -m rankseg.lab --profile ci          # what `make lab PROFILE=ci` runs
    python -m rankseg.lab -- --port=8899        # arguments after `--` go to JupyterLab

The server (and so every kernel it starts) gets RANKSEG_PROFILE, which the notebooks' `profile = None` reads.
Saving a notebook under notebooks/ writes it without outputs, execution counts or the kernel's language_info
(`strip_source_notebook`, a pre-save hook), so opening, running and saving leaves `git status` clean; the figures
and tables the run made are under figures/<profile>/ and results/<profile>/.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from rankseg.paths import FIGURES, NOTEBOOKS, RESULTS, ROOT

PROFILES = ("ci", "default", "paper")
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}

# What a kernel, Lab or papermill adds to a notebook beyond its source (nbstripout's `extra_keys` syntax).
VOLATILE_KEYS = ("metadata.language_info", "metadata.widgets", "metadata.signature", "metadata.papermill",
                 "cell.metadata.collapsed", "cell.metadata.scrolled", "cell.metadata.execution",
                 "cell.metadata.ExecuteTime", "cell.metadata.jupyter", "cell.metadata.papermill",
                 "cell.metadata.trusted")


def strip_notebook(nb: dict[str, Any]) -> NotebookNode:
    """The source form of a notebook (a copy): no outputs, execution counts or volatile metadata; cell ids kept."""
    from nbstripout import strip_output

    return strip_output(nbformat.from_dict(nb), keep_output=False, keep_count=False, keep_id=True,
                        extra_keys=list(VOLATILE_KEYS))


def is_source_notebook(path: Path) -> bool:
    """True for a notebook directly in notebooks/ (executed copies elsewhere keep their outputs)."""
    return path.suffix == ".ipynb" and path.resolve().parent == NOTEBOOKS.resolve()


def strip_source_notebook(model: dict[str, Any], path: str, contents_manager: Any, **_: Any) -> None:
    """Jupyter server pre-save hook (`FileContentsManager.pre_save_hook`): strips a source notebook before it is
    written; `path` is relative to the server's root folder."""
    if model.get("type") == "notebook" and is_source_notebook(Path(contents_manager.root_dir) / path):
        model["content"] = strip_notebook(model["content"])


def server_command(extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The command that starts JupyterLab from this interpreter's environment, on localhost, at the project root."""
    return [sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", f"--ServerApp.root_dir={ROOT}",
            "--ServerApp.default_url=/lab/tree/notebooks",
            "--FileContentsManager.pre_save_hook=rankseg.lab.strip_source_notebook",
            *(["--allow-root"] if os.name == "posix" and os.geteuid() == 0 else []),  # containers run as root
            *extra]


def server_env(profile: str) -> dict[str, str]:
    """The environment of the server and its kernels: the profile, the environment's own kernelspecs first, and
    matplotlib's inline backend."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; use one of {PROFILES}")
    env = {**os.environ, "RANKSEG_PROFILE": profile, "JUPYTER_PREFER_ENV_PATH": "1"}
    env.pop("MPLBACKEND", None)  # the Makefile exports Agg for batch runs; Lab's kernels need the inline backend
    return env


def describe(profile: str) -> str:
    """Where a Lab session at `profile` writes (the notebooks' default results_root / figures_root)."""
    results, figures, executed = (p.relative_to(ROOT) for p in (RESULTS, FIGURES, RESULTS / "executed"))
    return (f"JupyterLab, profile {profile!r} (RANKSEG_PROFILE; restart Lab to change it)\n"
            f"  notebooks:       {NOTEBOOKS.relative_to(ROOT)}/  (saved without outputs)\n"
            f"  tables, runs:    {results / profile}/\n"
            f"  figures:         {figures / profile}/\n"
            f"  executed copies: {executed / profile}/  (make notebooks PROFILE={profile})")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=PROFILES, default=os.environ.get("RANKSEG_PROFILE", "default"))
    ap.add_argument("lab_args", nargs="*", help="passed on to JupyterLab (after --)")
    args = ap.parse_args(argv)
    print(describe(args.profile), flush=True)
    cmd = server_command(args.lab_args)
    os.execve(cmd[0], cmd, server_env(args.profile))


if __name__ == "__main__":
    main()

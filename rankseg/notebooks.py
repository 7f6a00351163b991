"""Batch driver: run every notebook (or some) with papermill for one profile and keep executed copies.

    python -m rankseg.notebooks --profile default
    python -m rankseg.notebooks --profile ci --only 01 04 -p device cpu -p seeds "[0, 1]"
    python -m rankseg.notebooks --dry-run            # check the parameters, list what would run, run nothing

Executed notebooks go to results/executed/<profile>/ (papermill records parameters and durations in
their metadata), sanitised: no stderr streams (warnings, text progress bars), no progress widgets and no absolute paths of this
machine; an executed copy whose outputs did not change is left as it was (timings aside). A parameter that a
notebook does not declare is an error, not a warning. One progress bar covers the
whole job, each notebook weighted by its duration in the last executed copy, so the ETA means something.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import nbformat
from tqdm import tqdm

from rankseg.config import parse_value
from rankseg.paths import NOTEBOOKS, RESULTS, ROOT

DEFAULT_SECONDS = 60.0  # expected duration of a notebook never executed at this profile


def notebook_paths(only: list[str] | None = None) -> list[Path]:
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if only:
        paths = [p for p in paths if any(p.name.startswith(o) or p.stem == o for o in only)]
        if not paths:
            raise SystemExit(f"no notebook matches {only}; available: {[p.stem for p in sorted(NOTEBOOKS.glob('*.ipynb'))]}")
    return paths


def check_parameters(path: Path, parameters: dict) -> None:
    """Fails on a parameter the notebook's `parameters` cell does not declare (papermill only warns)."""
    import papermill as pm

    declared = set(pm.inspect_notebook(str(path)))
    unknown = sorted(set(parameters) - declared)
    if unknown:
        raise SystemExit(f"{path.name}: unknown parameter(s) {unknown}; it declares {sorted(declared)}")


def expected_seconds(executed: Path) -> float:
    """The duration papermill recorded in the last executed copy (DEFAULT_SECONDS when there is none)."""
    try:
        duration = json.loads(executed.read_text())["metadata"]["papermill"]["duration"]
        return float(duration) if duration else DEFAULT_SECONDS
    except (OSError, KeyError, TypeError, ValueError):
        return DEFAULT_SECONDS


WIDGET = "application/vnd.jupyter.widget-view+json"


def sanitise(path: Path, root: Path = ROOT) -> None:
    """Drops stderr streams and progress-bar widgets (tqdm.notebook ignores TQDM_DISABLE), and replaces this
    machine's project path by a relative one, in an executed copy."""
    nb = nbformat.read(path, as_version=4)
    prefix = str(root.resolve()) + os.sep
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")
                            and WIDGET not in o.get("data", {})]
    text = nbformat.writes(nb).replace(prefix, "")
    path.write_text(text if text.endswith("\n") else text + "\n")


def _content(text: str) -> str:
    """An executed copy without what changes on every run (timings, the injected cell's random id)."""
    nb = json.loads(text)
    nb["metadata"].get("papermill", {}).update(start_time=None, end_time=None, duration=None)
    for cell in nb["cells"]:
        cell["id"] = None
        for key in ("execution", "papermill"):
            cell.get("metadata", {}).pop(key, None)
    return json.dumps(nb, sort_keys=True)


def keep_if_unchanged(path: Path, before: str | None) -> bool:
    """Puts the previous executed copy back when the new run changed nothing but timings (so `make all` on an
    unchanged checkout leaves `git status` clean); returns whether it did."""
    if before is None or _content(before) != _content(path.read_text()):
        return False
    path.write_text(before)
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="rankseg-notebooks", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=["ci", "default", "paper"], default="default",
                    help="experiment profile every notebook runs at (default: %(default)s)")
    ap.add_argument("--only", nargs="*", help="notebook name prefixes, e.g. 01 04")
    ap.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                    help="a notebook parameter (Python literal or string)")
    ap.add_argument("--retrain", action="store_true", help="ignore cached runs and derived results: retrain all")
    ap.add_argument("--dry-run", action="store_true", help="check the parameters and list the notebooks; run nothing")
    args = ap.parse_args(argv)

    import papermill as pm

    parameters = {"profile": args.profile, **{k: parse_value(v) for k, v in args.parameter}}
    if args.retrain:
        parameters["retrain"] = True
    paths = notebook_paths(args.only)
    for path in paths:
        check_parameters(path, parameters)
    out_dir = RESULTS / "executed" / args.profile
    expected = {p: expected_seconds(out_dir / p.name) for p in paths}
    if args.dry_run:
        for p in paths:
            print(f"[{args.profile}] would run {p.name} (last took {expected[p]:.0f} s)")
        return 0
    out_dir.mkdir(parents=True, exist_ok=True)
    # Bars inside the kernels would only land in the executed copies as stderr noise: this bar is the progress.
    os.environ["TQDM_DISABLE"] = "1"
    bar = tqdm(total=round(sum(expected.values())), unit="s", desc=f"notebooks ({args.profile})", file=sys.stdout,
               bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s of expected work [{elapsed}<{remaining}]{postfix}")
    with bar:
        for i, path in enumerate(paths, 1):
            bar.set_postfix_str(f"{i}/{len(paths)} {path.name}")
            start, target = time.time(), out_dir / path.name
            before = target.read_text() if target.is_file() else None
            try:
                pm.execute_notebook(str(path), str(out_dir / path.name), parameters=parameters, kernel_name="python3",
                                    cwd=str(ROOT), log_output=False, progress_bar=False)
            except pm.PapermillExecutionError as err:
                bar.close()
                print(f"FAILED: {path.name}, cell {err.exec_count}: {err.ename}: {err.evalue}\n"
                      f"executed copy with the error: {out_dir / path.name}", file=sys.stderr)
                return 1
            sanitise(target)
            keep_if_unchanged(target, before)
            bar.update(round(expected[path]))
            bar.write(f"[{args.profile}] {path.name} done in {time.time() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

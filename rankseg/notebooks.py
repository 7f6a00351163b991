"""Batch driver: run every notebook (or some) with papermill for one profile and keep executed copies.

    python -m rankseg.notebooks --profile default
    python -m rankseg.notebooks --profile ci --only 01 04 -p device cpu -p seeds "[0, 1]"

Executed notebooks go to results/executed/<profile>/ (papermill records parameters and durations in
their metadata). A parameter that a notebook does not declare is an error, not a warning.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rankseg.config import parse_value
from rankseg.paths import NOTEBOOKS, RESULTS, ROOT


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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=["ci", "default", "paper"], default="default")
    ap.add_argument("--only", nargs="*", help="notebook name prefixes, e.g. 01 04")
    ap.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                    help="a notebook parameter (Python literal or string)")
    ap.add_argument("--retrain", action="store_true", help="ignore cached runs")
    args = ap.parse_args(argv)

    import papermill as pm

    parameters = {"profile": args.profile, **{k: parse_value(v) for k, v in args.parameter}}
    if args.retrain:
        parameters["retrain"] = True
    paths = notebook_paths(args.only)
    for path in paths:
        check_parameters(path, parameters)
    out_dir = RESULTS / "executed" / args.profile
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in paths:
        start = time.time()
        print(f"[{args.profile}] {path.name} ...", flush=True)
        try:
            pm.execute_notebook(str(path), str(out_dir / path.name), parameters=parameters, kernel_name="python3",
                                cwd=str(ROOT), log_output=False, progress_bar=False)
        except pm.PapermillExecutionError as err:
            print(f"FAILED: {path.name}, cell {err.exec_count}: {err.ename}: {err.evalue}\n"
                  f"executed copy with the error: {out_dir / path.name}", file=sys.stderr)
            return 1
        print(f"[{args.profile}] {path.name} done in {time.time() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

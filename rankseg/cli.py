"""Command-line training, for single runs and for multi-GPU runs under torchrun (DDP).

    python -m rankseg.cli --profile default --run-dir runs/my_run --set model.top_k=10
    torchrun --nproc_per_node 8 -m rankseg.cli --profile paper --dataset ade20k --data-root /data/ADEChallengeData2016

Each `--set key=value` overrides one config key (dotted, Python literal values); unknown keys and values of the
wrong type are errors. `--dataset` brings its vocabulary size (data.num_classes). A run directory that holds a
checkpoint is resumed if the checkpoint's config matches (--allow-config-change continues with a changed one).
"""

from __future__ import annotations

import argparse
import json

from rankseg.config import Config, mask2former_profile, override, parse_sets, profile


def build_config(profile_name: str, dataset: str, data_root: str | None, sets: list[str]) -> Config:
    """The profile for `dataset` (its vocabulary size included) with each KEY=VALUE of `sets` applied."""
    data = {} if data_root is None else {"root": data_root}
    changes = parse_sets(sets)
    if changes.get("model.framework") == "mask2former":  # its own CPU profiles (issue 7)
        if profile_name == "paper":
            raise ValueError("there is no paper profile for mask2former yet; use --profile ci or default")
        cfg = override(mask2former_profile(profile_name), {f"data.{k}": v for k, v in data.items()} |
                       {"data.name": dataset})
    else:
        cfg = profile(profile_name, dataset, **data)
    return override(cfg, changes)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=["ci", "default", "paper"], default="default")
    ap.add_argument("--dataset", default="emojiscenes")
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--run-dir", required=True)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--no-resume", action="store_true")
    ap.add_argument("--allow-config-change", action="store_true",
                    help="resume a checkpoint trained with another result-relevant config, continuing with this one")
    args = ap.parse_args(argv)

    try:
        cfg = build_config(args.profile, args.dataset, args.data_root, args.set)
    except (KeyError, TypeError, ValueError, FileNotFoundError) as exc:
        ap.error(exc.args[0] if exc.args else str(exc))

    from rankseg.engine import train
    from rankseg.engine.runtime import init_distributed, pick_device

    result = train(cfg, args.run_dir, resume=not args.no_resume, allow_config_change=args.allow_config_change)
    if init_distributed(pick_device(cfg.train.device)).is_main:
        print(json.dumps(result.final.summary(), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

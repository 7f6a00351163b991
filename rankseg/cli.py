"""Command-line training, for single runs and for multi-GPU runs under torchrun (DDP).

    python -m rankseg.cli --profile default --run-dir runs/my_run --set model.top_k=10
    torchrun --nproc_per_node 8 -m rankseg.cli --profile paper --dataset ade20k --data-root /data/ADEChallengeData2016

Each `--set key=value` overrides one config key (dotted, Python literal values); unknown keys are errors.
A run directory that holds a checkpoint is resumed.
"""

from __future__ import annotations

import argparse
import json

from rankseg.config import mask2former_profile, override, parse_value, profile


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=["ci", "default", "paper"], default="default")
    ap.add_argument("--dataset", default="emojiscenes")
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--run-dir", required=True)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--no-resume", action="store_true")
    args = ap.parse_args(argv)

    kwargs = {} if args.data_root is None else {"root": args.data_root}
    cfg = profile(args.profile, args.dataset, **kwargs) if args.profile == "paper" else profile(args.profile)
    if args.profile != "paper":
        cfg = override(cfg, {"data.name": args.dataset, **({"data.root": args.data_root} if args.data_root else {})})
    changes = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            ap.error(f"--set expects KEY=VALUE, got {item!r}")
        changes[key] = parse_value(value)
    if changes.get("model.framework") == "mask2former":  # its own CPU profiles (issue 7)
        if args.profile == "paper":
            ap.error("there is no paper profile for mask2former yet; use --profile ci or default")
        cfg = override(mask2former_profile(args.profile), {"data.name": args.dataset})
    cfg = override(cfg, changes)

    from rankseg.engine import train
    from rankseg.engine.runtime import init_distributed, pick_device

    result = train(cfg, args.run_dir, resume=not args.no_resume)
    if init_distributed(pick_device(cfg.train.device)).is_main:
        print(json.dumps(result.final.summary(), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

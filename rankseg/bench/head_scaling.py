"""The cost of pixel classification as the vocabulary grows, and end-to-end training throughput.

    python -m rankseg.bench.head_scaling --device cpu     # ≈20 min on 2 shared CPU cores
    python -m rankseg.bench.head_scaling --device cuda    # eager fp32, eager bf16, compiled bf16

Writes results/benchmarks/head_scaling.csv and end_to_end.csv (rows of other devices are kept), the tables
as results/benchmarks/head_scaling.md (also printed) and figures/benchmarks/head_scaling.{png,pdf}.
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd
import torch
from tqdm import tqdm

from rankseg.bench import report
from rankseg.bench.end_to_end import EndToEndCase, measure_end_to_end
from rankseg.bench.head import HeadCase, measure_head
from rankseg.bench.runner import TimingPlan, run_isolated, summarise
from rankseg.bench.settings import HEADS, VOCABULARIES, HeadName, Variant, paper_k

SPREAD = ["ms_q1", "ms_q3", "ms_min", "ms_max", "wall_ms_median", "clock", "rounds"]
HEAD_COLUMNS = ["device", "head", "n_classes", "k", "batch", "height", "width", "phase", "ms_median", "peak_mem_mb",
                "note", "variant", "setting", "d_model", "grid", "repeats", *SPREAD]
E2E_COLUMNS = ["device", "size", "head", "n_classes", "k", "batch", "height", "width", "variant", "ms_median",
               "images_per_s", "peak_mem_mb", "note", "repeats", *SPREAD]


@dataclass(frozen=True)
class BenchConfig:
    """What one run measures.

    Every case runs once per round, each time in a fresh process (warm-up, then `plan.repeats` timed calls),
    and the rounds are interleaved (round r runs every case before round r + 1 starts) so that drift in the
    machine's load hits all rows alike. `max_mem_gb` skips settings whose (B, C, H, W) fp32 logits at label
    resolution (×3 for training: logits, log-softmax, gradient) would exceed it (CPU only: CUDA reports its own
    out-of-memory); `max_n` lists (setting, head, largest N measured) time budgets ("" = every head); `cap_s`
    kills a process that runs longer, and a case that fails in any round is reported as not measured (and the
    larger N of its series are skipped)."""

    device: str = "cpu"
    settings: tuple[str, ...] = ("cpu_tiny", "tiny_p16_256")
    heads: tuple[HeadName, ...] = HEADS
    vocabularies: tuple[int, ...] = VOCABULARIES
    variants: tuple[Variant, ...] = ("eager_fp32",)
    batch: int = 2
    e2e_sizes: tuple[str, ...] = ("vit_tiny_128",)
    e2e_vocabularies: tuple[int, ...] = (150, 1284)
    cap_s: float = 210.0
    max_mem_gb: float | None = 8.5
    max_n: tuple[tuple[str, str, int], ...] = (("cpu_tiny", "segmenter", 5000), ("tiny_p16_256", "segmenter", 1284),
                                               ("tiny_p16_256", "rankseg", 5000),
                                               ("vitb16_512", "", 847))
    threads: int | None = 1  # CPU: one intra-op thread, robust to other jobs on the cores (None: torch's default)
    rounds: int = 3
    plan: TimingPlan = TimingPlan(warmup=1, repeats=2, min_repeats=2, budget_s=180.0)


def default_config(device: str) -> BenchConfig:
    """Batch 2, eager fp32, CPU time of one thread on CPU; batch 8, eager/compiled, fp32/bf16 at ViT-B/16 512²,
    synchronised wall time on CUDA."""
    if device == "cuda":
        return BenchConfig(device="cuda", settings=("vitb16_512",), variants=("eager_fp32", "eager_bf16",
                           "compile_bf16"), batch=8, e2e_sizes=("vit_b16_512",), cap_s=300.0, max_mem_gb=None,
                           max_n=(), threads=None, rounds=2,
                           plan=TimingPlan(warmup=3, repeats=5, min_repeats=3, budget_s=120.0))
    return BenchConfig()


def _guard(case: HeadCase, cfg: BenchConfig) -> str | None:
    """Why a case is skipped without running it, or None."""
    limits = [n for s, h, n in cfg.max_n if s == case.setting and h in ("", case.head)]
    if limits and case.n_classes > min(limits):
        return f"skipped: {case.head} at {case.setting} on {case.device} is measured up to N={min(limits)} (time budget)"
    if cfg.max_mem_gb is None:
        return None
    need = case.channel_bytes() * (3 if case.phase == "train" else 1) / 2**30
    if need > cfg.max_mem_gb:
        return f"skipped: full-resolution logits need ≈{need:.1f} GB (> {cfg.max_mem_gb:g} GB limit)"
    return None


def _summary_row(case: Any, results: list[dict[str, Any]], note: str | None, cfg: BenchConfig) -> dict[str, Any]:
    """One CSV row: the case, and (when every round succeeded) the pooled warm samples' median and spread."""
    row = case.row() | {"note": note or ""}
    if note is not None or not results:
        return row
    clock = "wall" if cfg.device == "cuda" else "cpu"  # CPU time is what load on a shared machine does not inflate
    samples = [t for r in results for t in r[f"{clock}_ms"]]
    stats = summarise(samples)
    return row | dict(ms_median=stats["median"], ms_q1=stats["q1"], ms_q3=stats["q3"], ms_min=stats["min"],
                      ms_max=stats["max"], wall_ms_median=summarise([t for r in results for t in r["wall_ms"]])["median"],
                      peak_mem_mb=statistics.median(r["peak_mem_mb"] for r in results), clock=clock,
                      repeats=len(samples), rounds=len(results))


def run_interleaved(cases: Sequence[Any], measure: Callable[..., dict[str, Any]], cfg: BenchConfig,
                    guard: Callable[[Any], str | None], desc: str) -> list[dict[str, Any]]:
    """Measure every case once per round, in the given order, for `cfg.rounds` rounds; one summary row per case.
    A case that fails (timeout, out of memory, too slow for its warm repeats, error) in any round is not measured,
    and the larger N of its series (same case but N) are skipped from then on."""
    results: dict[Any, list[dict[str, Any]]] = {c: [] for c in cases}
    notes: dict[Any, str | None] = {c: guard(c) for c in cases}
    failed: dict[tuple, int] = {}
    series = lambda c: tuple(v for k, v in asdict(c).items() if k != "n_classes")  # noqa: E731
    with tqdm(total=len(cases) * cfg.rounds, desc=desc) as bar:
        for r in range(cfg.rounds):
            for case in cases:
                bar.update()
                n_failed = failed.get(series(case))
                if notes[case] is None and n_failed is not None and case.n_classes > n_failed:
                    notes[case] = f"skipped: N={n_failed} of this series was not measured"
                if notes[case] is not None:
                    continue
                bar.set_postfix_str(f"round {r + 1} " + " ".join(str(v) for v in asdict(case).values()), refresh=True)
                status, result = run_isolated(measure, dict(case=case, plan=cfg.plan), device=torch.device(cfg.device),
                                              cap_s=cfg.cap_s, threads=cfg.threads)
                if status == "ok":
                    results[case].append(result)
                    continue
                reason = result if status != "oom" else f"out of memory: {result}"
                notes[case] = f"{reason} (round {r + 1})" if r else reason
                failed[series(case)] = min(case.n_classes, n_failed or case.n_classes)
    return [_summary_row(c, results[c], notes[c], cfg) for c in cases]


def run_heads(cfg: BenchConfig) -> pd.DataFrame:
    """The head benchmark over settings × variants × N × phases × heads (heads innermost, so that the heads
    compared at one N run back to back)."""
    cases = [HeadCase(setting=s, head=h, n_classes=n, k=None if h == "segmenter" else min(paper_k(n), n),
                      batch=cfg.batch, phase=p, variant=v, device=cfg.device)
             for s in cfg.settings for v in cfg.variants for n in sorted(cfg.vocabularies) for p in ("train", "infer")
             for h in cfg.heads]
    rows = run_interleaved(cases, measure_head, cfg, lambda c: _guard(c, cfg), "heads")
    return pd.DataFrame(rows).reindex(columns=HEAD_COLUMNS)


def run_end_to_end(cfg: BenchConfig) -> pd.DataFrame:
    """Whole-model training throughput for each head at the end-to-end vocabularies."""
    cases = [EndToEndCase(size=s, head=h, n_classes=n, batch=cfg.batch, variant=v, device=cfg.device)
             for s in cfg.e2e_sizes for v in cfg.variants for n in sorted(cfg.e2e_vocabularies) for h in cfg.heads]
    df = pd.DataFrame(run_interleaved(cases, measure_end_to_end, cfg, lambda c: None, "end-to-end"))
    df = df.reindex(columns=E2E_COLUMNS)
    df["images_per_s"] = df["batch"] / (df["ms_median"] / 1e3)
    return df


def merge_csv(new: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Write `new` to `path`, keeping the rows of other devices already there."""
    if path.exists():
        old = pd.read_csv(path)
        new = pd.concat([old[~old.device.isin(new.device.unique())], new], ignore_index=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    new.to_csv(path, index=False, float_format="%.4g")
    return new


def parse_args(argv: Sequence[str] | None = None) -> tuple[BenchConfig, argparse.Namespace]:
    p = argparse.ArgumentParser(prog="rankseg-bench", description=__doc__.splitlines()[0])
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                   help="auto: CUDA when available, else CPU (default: %(default)s)")
    p.add_argument("--settings", nargs="+", help="feature settings (cpu_tiny, vitb16_512, test)")
    p.add_argument("--heads", nargs="+", choices=HEADS, help="decoder heads to time (default: all)")
    p.add_argument("--vocab", nargs="+", type=int, help="numbers of classes N")
    p.add_argument("--variants", nargs="+", choices=["eager_fp32", "eager_bf16", "compile_fp32", "compile_bf16"],
                   help="execution variants: eager or torch.compile, fp32 or bf16 autocast")
    p.add_argument("--batch", type=int, help="images per step")
    p.add_argument("--e2e-sizes", nargs="*", help="end-to-end model sizes (vit_tiny_128, vit_b16_512); none skips")
    p.add_argument("--e2e-vocab", nargs="+", type=int, help="numbers of classes N of the end-to-end runs")
    p.add_argument("--cap-s", type=float, help="hard time limit per setting (s)")
    p.add_argument("--max-mem-gb", type=float, help="skip settings predicted to need more (CPU)")
    p.add_argument("--repeats", type=int, help="warm timed repetitions per case and round")
    p.add_argument("--rounds", type=int, help="interleaved rounds (each case once per round, in a fresh process)")
    p.add_argument("--threads", type=int, help="CPU intra-op threads per setting (default 1; 0: torch's default)")
    p.add_argument("--report-only", action="store_true", help="only redraw the figure and tables from the CSVs")
    p.add_argument("--prefix", default="", help="prefix of every file written (the GPU check uses gpu_)")
    p.add_argument("--results", type=Path, default=Path("results/benchmarks"),
                   help="folder of the CSVs and the markdown report (default: %(default)s)")
    p.add_argument("--figures", type=Path, default=Path("figures/benchmarks"),
                   help="folder of the figure (default: %(default)s)")
    args = p.parse_args(argv)
    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    cfg = default_config(args.device)
    changes = {k: tuple(v) if isinstance(v, list) else v for k, v in dict(
        settings=args.settings, heads=args.heads, vocabularies=args.vocab, variants=args.variants, batch=args.batch,
        e2e_sizes=args.e2e_sizes, e2e_vocabularies=args.e2e_vocab, cap_s=args.cap_s,
        max_mem_gb=args.max_mem_gb, rounds=args.rounds).items() if v is not None}
    cfg = replace(cfg, **changes)
    if args.threads is not None:
        cfg = replace(cfg, threads=args.threads or None)
    if args.repeats is not None:
        cfg = replace(cfg, plan=replace(cfg.plan, repeats=args.repeats, min_repeats=min(cfg.plan.min_repeats,
                                                                                         args.repeats)))
    return cfg, args


def run(argv: Sequence[str] | None = None) -> pd.DataFrame:
    """Runs (or with --report-only, reads) the head-scaling benchmark, draws its figure, writes and prints its
    report; returns the head timings."""
    cfg, args = parse_args(argv)
    heads_csv, e2e_csv = (args.results / f"{args.prefix}{name}.csv" for name in ("head_scaling", "end_to_end"))
    if args.report_only:
        heads = pd.read_csv(heads_csv)
        e2e = pd.read_csv(e2e_csv) if e2e_csv.exists() else pd.DataFrame(columns=E2E_COLUMNS)
    else:
        if cfg.device == "cuda" and not torch.cuda.is_available():
            raise SystemExit("--device cuda: no CUDA device is available")
        heads = merge_csv(run_heads(cfg), heads_csv)
        e2e = run_end_to_end(cfg) if cfg.e2e_sizes else pd.DataFrame(columns=E2E_COLUMNS)
        if not e2e.empty:
            e2e = merge_csv(e2e, e2e_csv)
    report.plot_scaling(heads, args.figures / f"{args.prefix}head_scaling")
    text = report.markdown_report(heads, e2e)
    (args.results / f"{args.prefix}head_scaling.md").write_text(text)
    print(text)
    return heads


def main(argv: Sequence[str] | None = None) -> int:
    """The `rankseg-bench` command: exit status 0 (a console script exits with what main returns)."""
    run(argv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

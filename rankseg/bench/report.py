"""Tables and figures of the benchmark results (pandas / seaborn), and the checks against the targets."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

HEAD_ORDER = ["segmenter", "rankseg", "rankseg_xattn"]


def _fmt(ms: float, mem: float, note: str) -> str:
    if pd.isna(ms):
        return "—" if not isinstance(note, str) or not note else note.split(":")[0]
    return f"{ms:,.0f} ms / {mem:,.0f} MB"


def main_table(df: pd.DataFrame, *, device: str, setting: str, variant: str = "eager_fp32") -> pd.DataFrame:
    """One row per (phase, head), one column per N: "time / peak memory", or why the setting was skipped."""
    sub = df[(df.device == device) & (df.setting == setting) & (df.variant == variant)].copy()
    sub["cell"] = [_fmt(m, p, n) for m, p, n in zip(sub.ms_median, sub.peak_mem_mb, sub.note.fillna(""), strict=True)]
    sub["head"] = pd.Categorical(sub["head"], HEAD_ORDER, ordered=True)
    table = sub.pivot_table(index=["phase", "head"], columns="n_classes", values="cell", aggfunc="first",
                            observed=True)
    table.columns = [f"N={c}" for c in table.columns]
    return table.sort_index(level=["phase", "head"], ascending=[False, True]).reset_index()


def targets(df: pd.DataFrame, *, vocabularies: tuple[int, ...] = (847, 1284)) -> pd.DataFrame:
    """The issue's targets per (device, setting, variant) and N: a RankSeg training step uses at most half the
    baseline's peak memory (mem_ratio ≤ 0.5) and is at least as fast (speedup ≥ 1). Settings where either
    side was not measured are left out."""
    rows = []
    train = df[df.phase == "train"]
    for (device, setting, variant, n_classes), sub in train.groupby(["device", "setting", "variant", "n_classes"]):
        if n_classes not in vocabularies:
            continue
        base = sub[(sub["head"] == "segmenter") & sub.ms_median.notna()]
        for head in ("rankseg", "rankseg_xattn"):
            ours = sub[(sub["head"] == head) & sub.ms_median.notna()]
            if base.empty or ours.empty:
                continue
            b, o = base.iloc[0], ours.iloc[0]
            mem_ratio = o.peak_mem_mb / b.peak_mem_mb if pd.notna(b.peak_mem_mb) else float("nan")
            speedup = b.ms_median / o.ms_median if pd.notna(b.ms_median) else float("nan")
            rows.append(dict(device=device, setting=setting, variant=variant, head=head, n_classes=n_classes,
                             mem_ratio=mem_ratio, speedup=speedup,
                             memory_target_met=bool(mem_ratio <= 0.5) if pd.notna(mem_ratio) else pd.NA,
                             speed_target_met=bool(speedup >= 1.0) if pd.notna(speedup) else pd.NA))
    return pd.DataFrame(rows)


def plot_scaling(df: pd.DataFrame, path: Path, *, variant: str = "eager_fp32") -> None:
    """Median step time and peak memory against N (log–log), one row of panels per (device, setting);
    colour = head, line style = phase. Writes `path` with .png and .pdf suffixes."""
    data = df[(df.variant == variant) & df.ms_median.notna()].copy()
    groups = list(data.groupby(["device", "setting"]))
    fig, axes = plt.subplots(len(groups), 2, figsize=(10, 3.6 * len(groups)), squeeze=False)
    for row, ((device, setting), sub) in zip(axes, groups, strict=True):
        for ax, (y, label) in zip(row, [("ms_median", "median step time (ms)"), ("peak_mem_mb", "peak memory (MB)")], strict=True):
            sns.lineplot(data=sub, x="n_classes", y=y, hue="head", hue_order=HEAD_ORDER, style="phase",
                         style_order=["train", "infer"], markers=True, ax=ax)
            ax.set(xscale="log", yscale="log", xlabel="number of classes N", ylabel=label,
                   title=f"{setting} ({device}, batch {int(sub.batch.iloc[0])}, {int(sub.height.iloc[0])}²)")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path.with_suffix(".png"), dpi=120, metadata={"Software": None})
    fig.savefig(path.with_suffix(".pdf"), metadata={"Creator": None, "Producer": None, "CreationDate": None})
    plt.close(fig)


def markdown_report(heads: pd.DataFrame, e2e: pd.DataFrame) -> str:
    """All tables as one markdown document: per (device, setting, variant) the main table, the end-to-end
    throughput and the target checks."""
    parts = []
    for (device, setting, variant), _ in heads.groupby(["device", "setting", "variant"], sort=False):
        parts += [f"### {setting} on {device} ({variant}): median step time / peak memory\n",
                  main_table(heads, device=device, setting=setting, variant=variant).to_markdown(index=False), ""]
    if not e2e.empty:
        cols = ["device", "size", "head", "n_classes", "k", "batch", "height", "variant", "ms_median", "images_per_s",
                "peak_mem_mb", "note"]
        table = e2e[cols].copy()
        table["k"] = ["all N" if pd.isna(v) else str(int(v)) for v in table["k"]]
        table["note"] = table["note"].fillna("")
        table = table.round({"ms_median": 0, "images_per_s": 2, "peak_mem_mb": 0})
        parts += ["### End-to-end training step (backbone + head, AdamW)\n",
                  table.to_markdown(index=False, floatfmt="g"), ""]
    parts += ["### Targets (training step, RankSeg head vs Segmenter head at the same N)\n",
              targets(heads).to_markdown(index=False, floatfmt=".3g"), ""]
    return "\n".join(parts)

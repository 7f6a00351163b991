"""Tables and figures of the benchmark results (pandas / seaborn), and the checks against the targets."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from rankseg.bench.settings import SHORTLIST_M  # noqa: E402

HEAD_ORDER = ["segmenter", "rankseg", "rankseg_xattn", "rankseg_shortlist"]
TARGET_SETTINGS = ("tiny_p16_256", "cpu_tiny", "vitb16_512")  # the project's two, and the GPU check's


def _fmt(ms: float, q1: float, q3: float, mem: float, note: str) -> str:
    if pd.isna(ms):
        return "—" if not isinstance(note, str) or not note else note.split(":")[0]
    spread = f" ±{50 * (q3 - q1) / ms:.0f}%" if pd.notna(q1) and pd.notna(q3) and ms > 0 else ""
    return f"{ms:,.0f} ms{spread} / {mem:,.0f} MB"


def main_table(df: pd.DataFrame, *, device: str, setting: str, variant: str = "eager_fp32") -> pd.DataFrame:
    """One row per (phase, head), one column per N: "median time ±half the interquartile range (% of the
    median) / peak memory", or why the setting was not measured."""
    sub = df[(df.device == device) & (df.setting == setting) & (df.variant == variant)].copy()
    for col in ("ms_q1", "ms_q3"):
        if col not in sub.columns:
            sub[col] = float("nan")
    sub["cell"] = [_fmt(*v) for v in zip(sub.ms_median, sub.ms_q1, sub.ms_q3, sub.peak_mem_mb, sub.note.fillna(""),
                                          strict=True)]
    sub["head"] = pd.Categorical(sub["head"], HEAD_ORDER, ordered=True)
    table = sub.pivot_table(index=["phase", "head"], columns="n_classes", values="cell", aggfunc="first",
                            observed=True)
    table.columns = [f"N={c}" for c in table.columns]
    return table.sort_index(level=["phase", "head"], ascending=[False, True]).reset_index()


def _value(df: pd.DataFrame, **keys: object) -> pd.Series | None:
    """The one measured row matching `keys`, or None."""
    sub = df
    for k, v in keys.items():
        sub = sub[sub[k] == v]
    sub = sub[sub.ms_median.notna()]
    return None if sub.empty else sub.iloc[0]


def _ratio_spread(num: pd.Series | None, den: pd.Series | None) -> str:
    """The ratio's range from the two rows' quartiles (numerator q1 ÷ denominator q3 to q3 ÷ q1), or ""."""
    if num is None or den is None or any(pd.isna(r.get(c)) for r in (num, den) for c in ("ms_q1", "ms_q3")):
        return ""
    return f"{num.ms_q1 / den.ms_q3:.3g}–{num.ms_q3 / den.ms_q1:.3g}"


def targets(df: pd.DataFrame, *, settings: tuple[str, ...] = TARGET_SETTINGS, n_ref: int = 1284,
            n_large: int = 21841) -> pd.DataFrame:
    """The project's targets (issue 16), head only, per (device, variant) at each of `settings`:

    * RankSeg ÷ baseline at N = `n_ref`: training peak memory ≤ 0.15, training time ≤ 0.15, inference time < 0.24
      (for each RankSeg head measured);
    * the large-vocabulary option (`rankseg_shortlist`): its training step at N = `n_large` ≤ 3× its step at
      N = `n_ref`, and its training peak memory at N = `n_large` below one N×H×W fp32 tensor at that setting.

    One row per check with the measured value (ratio of medians), its spread (from the rows' quartiles), the
    threshold and `holds` (judged on the medians; True, False, or NA when a side was not measured)."""
    rows = []
    for (device, variant, setting), sub in df.groupby(["device", "variant", "setting"]):
        if setting not in settings:
            continue
        where = dict(device=device, variant=variant, setting=setting)
        for head in HEAD_ORDER[1:]:
            for phase, what, limit, strict in [("train", "peak_mem_mb", 0.15, False), ("train", "ms_median", 0.15, False),
                                               ("infer", "ms_median", 0.24, True)]:
                base = _value(sub, head="segmenter", n_classes=n_ref, phase=phase)
                ours = _value(sub, head=head, n_classes=n_ref, phase=phase)
                value = float("nan") if base is None or ours is None else ours[what] / base[what]
                quantity = "memory" if what == "peak_mem_mb" else "time"
                rows.append(where | dict(head=head, check=f"{phase} {quantity} ÷ baseline at N={n_ref}", value=value,
                                         spread=_ratio_spread(ours, base) if quantity == "time" else "",
                                         target=f"{'<' if strict else '≤'} {limit}",
                                         holds=pd.NA if pd.isna(value) else bool(value < limit if strict else value <= limit)))
        ref = _value(sub, head="rankseg_shortlist", n_classes=n_ref, phase="train")
        large = _value(sub, head="rankseg_shortlist", n_classes=n_large, phase="train")
        ratio = float("nan") if ref is None or large is None else large.ms_median / ref.ms_median
        rows.append(where | dict(head="rankseg_shortlist", check=f"train time at N={n_large} ÷ at N={n_ref}",
                                 value=ratio, spread=_ratio_spread(large, ref), target="≤ 3", holds=pd.NA if pd.isna(ratio) else bool(ratio <= 3)))
        if large is not None:
            nhw_mb = 4 * n_large * large.height * large.width / 2**20
            rows.append(where | dict(head="rankseg_shortlist", check=f"train memory at N={n_large} ÷ one N×H×W fp32 tensor",
                                     value=large.peak_mem_mb / nhw_mb, spread="", target="< 1",
                                     holds=bool(large.peak_mem_mb < nhw_mb)))
    return pd.DataFrame(rows)


def _cell(df: pd.DataFrame, head: str, n: int, phase: str = "train") -> pd.Series | None:
    return _value(df, head=head, n_classes=n, phase=phase)


def headline_table(df: pd.DataFrame, *, settings: tuple[str, ...] = ("tiny_p16_256", "cpu_tiny"), device: str = "cpu",
                   variant: str = "eager_fp32", n_ref: int = 1284, n_large: int = 21841) -> str:
    """The README's rows: per setting and head, the training step (time / peak memory) at N = `n_ref` and
    N = `n_large` (or why it was not measured), and the growth of its time between them."""
    rows = []
    for setting in settings:
        sub = df[(df.device == device) & (df.setting == setting) & (df.variant == variant) & (df.phase == "train")]
        for head in HEAD_ORDER:
            cells = {n: sub[(sub["head"] == head) & (sub.n_classes == n)] for n in (n_ref, n_large)}
            if all(c.empty for c in cells.values()):
                continue
            shown = {n: "—" if c.empty else _fmt(c.ms_median.iloc[0], float("nan"), float("nan"),
                                                 c.peak_mem_mb.iloc[0], c.note.fillna("").iloc[0])
                     for n, c in cells.items()}
            ref, large = _cell(sub, head, n_ref), _cell(sub, head, n_large)
            growth = "" if ref is None or large is None else f"{large.ms_median / ref.ms_median:.2f}×"
            rows.append({"setting": setting, "head": head, f"train N={n_ref:,}": shown[n_ref],
                         f"train N={n_large:,}": shown[n_large], f"time N={n_large:,} ÷ N={n_ref:,}": growth})
    return pd.DataFrame(rows).to_markdown(index=False)


def readings(df: pd.DataFrame, *, n_ref: int = 1284, n_large: int = 21841) -> list[str]:
    """Findings computed from the CSV (no number typed by hand): target checks, the shortlist's growth with N,
    and the share of the paper's multi-label layer in RankSeg's step."""
    out = []
    checks = targets(df)
    for setting, sub in checks.groupby("setting", sort=False):
        held = sub[sub.holds.eq(True)].apply(lambda r: f"{r['head']} {r.check} = {r.value:.3g}", axis=1).tolist()
        failed = sub[sub.holds.eq(False)].apply(lambda r: f"{r['head']} {r.check} = {r.value:.3g} ({r.target})",
                                                axis=1).tolist()
        out.append(f"**Targets at `{setting}`**: {len(held)} of {len(sub)} checks hold"
                   + (f"; not met: {'; '.join(failed)}" if failed else "")
                   + (f" ({sub.holds.isna().sum()} not computable: a side was not measured)" if sub.holds.isna().any() else "")
                   + ".")
    train = df[(df.phase == "train") & df.ms_median.notna() & (df.variant == "eager_fp32")]
    for (device, setting), sub in train.groupby(["device", "setting"], sort=False):
        growth = []
        for head in HEAD_ORDER:
            ref, large = _cell(sub, head, n_ref), _cell(sub, head, n_large)
            if ref is not None and large is not None:
                growth.append(f"{head} {large.ms_median / ref.ms_median:.2f}× ({ref.ms_median:,.0f} → "
                              f"{large.ms_median:,.0f} ms, {ref.peak_mem_mb:,.0f} → {large.peak_mem_mb:,.0f} MB)")
        if growth:
            out.append(f"**Training step from N = {n_ref:,} to N = {n_large:,} at `{setting}` ({device})**: "
                       + "; ".join(growth) + ".")
        shares = []
        for n in sorted(set(sub.n_classes)):
            faithful, short = _cell(sub, "rankseg", n), _cell(sub, "rankseg_shortlist", n)
            if faithful is not None and short is not None and n > SHORTLIST_M:
                shares.append(f"{short.ms_median / faithful.ms_median:.2f} at N = {n:,}")
        if shares:
            out.append(f"The shortlist's training step ÷ the paper's head's at `{setting}`: " + ", ".join(shares) + ".")
    return out


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
    throughput and the target checks. Times are CPU time of the process on CPU, synchronised wall time on CUDA."""
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
    checks = targets(heads)
    if not checks.empty:
        held = checks.holds.eq(True).sum()
        parts += ["### Targets (head only; RankSeg ÷ baseline at N = 1284, and the large-vocabulary option)\n",
                  checks.to_markdown(index=False, floatfmt=".3g"), "",
                  f"{held} of {len(checks)} checks hold; {checks.holds.isna().sum()} could not be computed.", ""]
    return "\n".join(parts)

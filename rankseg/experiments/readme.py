"""Regenerates RESULTS.md and the result sections of README.md and BENCHMARK.md from what the notebooks wrote
(the CSVs in results/, the figures, and the readings computed in the executed notebooks): never typed by hand.

    python -m rankseg.experiments.readme [--profile default]

Each document holds pairs of markers ``<!-- BEGIN generated:NAME -->`` / ``<!-- END generated:NAME -->``; the
text between them is replaced by the table NAME below, with a provenance line (profile, data set, device,
training time, git revision) read from the CSV itself.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pandas as pd

from rankseg.bench import report as bench_report
from rankseg.experiments.readings import verdict
from rankseg.experiments.tables import PRIOR_ROW
from rankseg.paths import FIGURES, NOTEBOOKS, RESULTS, ROOT

# name -> (csv file stem, columns to show (None: all but provenance), caption)
TABLES: dict[str, tuple[str, list[str] | None, str]] = {
    "quickstart": ("01_quickstart", ["model", "miou", "miou_late_change", "pixel_acc", "map", "recall_at_k",
                                     "train_seconds"],
                   "Baseline vs RankSeg"),
    "label_stats": ("02_label_statistics", None, "Label statistics (Figure 3, left)"),
    "oracle": ("03_oracle", ["setting", "miou mean", "pixel_acc mean", "recall_at_k mean", "gain vs baseline"],
               "Oracle label sets (Figure 3, right)"),
    "oracle_paper": ("03_oracle_paper_reference", None, "Paper (official release) reference for the oracle"),
    "table1": ("04_table1_components", None, "Component ablation (Table 1)"),
    "schemes": ("05_table6ab_schemes", None, "Independent vs joint scheme (Table 6a, b)"),
    "top_k": ("05_table6c_top_k", None, "Top-K (Table 6c)"),
    "loss_weight": ("05_table6d_loss_weight", None, "Multi-label loss weight (Table 6d)"),
    "heads": ("05_table6e_heads", None, "Multi-label head (Table 6e)"),
    "temperatures": ("06_temperature_realisations", None, "Temperature realisations (Figure 7)"),
    "dynamic_k": ("08_dynamic_k", None, "Dynamic K (supplementary)"),
    "false_positives": ("09_false_positive_classes", None, "False-positive classes per image (Figure 10)"),
    "frameworks": ("10_table8_frameworks", ["framework", "backbone", "classifier", "miou", "gain", "miou_late_change",
                                            "miou K=N at eval", "miou GT labels at eval", "map", "recall_at_k",
                                            "params (M)", "GFLOPs", "train_seconds", "paper backbone",
                                            "paper ADE20K", "paper COCO-Stuff-10K", "paper COCO+LVIS"],
                   "RankSeg on other frameworks (Table 8)"),
    "encnet_essnet": ("11_table9_encnet_essnet", None, "EncNet and ESSNet (supplementary Table 9)"),
    "essnet_ablations": ("11_essnet_ablations", ["ablation", "k", "dim", "miou", "miou_late_change", "pixel_acc",
                                                 "params (M)", "GFLOPs", "RankSeg mIoU"],
                         "ESSNet ablations (supplementary)"),
    "mask2former": ("12_mask2former", ["task", "method", "metric", "ours", "gain vs Mask2Former", "sq", "rq",
                                      "pq_th", "pq_st", "params_M", "gflops_per_frame", "train_seconds",
                                      "paper setting", "paper value", "paper gain"],
                    "Mask2Former + RankSeg (the paper's Mask2Former table)"),
    # not a notebook's: scripts/regime_pilots.py writes them (the baseline and a standalone classifier, never RankSeg)
    "regime_pilot": ("regime_pilot", ["setting", "cpu_s_per_step", "steps", "evaluations", "miou", "miou_late_change",
                                      "recall_at_k", "map", "map_late_change"],
                     "Pilots for the default regime (baseline and standalone multi-label classifier only)"),
    "regime_costs": ("regime_step_costs", None, "Step costs of the grid's costliest runs in the default regime"),
}
# Written by scripts/large_vocab_accuracy.py, shown in BENCHMARK.md (not a notebook's table)
LARGE_VOCAB = ("large_vocab_accuracy", None, "Large-vocabulary shortlist vs the paper's head on EmojiScenes-1284")
PROVENANCE = ["profile", "dataset", "seeds", "device", "git_revision"]


def _training_time(profile: str) -> str:
    """How many runs the profile's run cache holds, and how long they trained (wall clock, one CPU thread each)."""
    records = [json.loads(p.read_text()) for p in (RESULTS / profile / "runs").glob("*.json")]
    if not records:
        return "no runs"
    return f"{len(records)} training runs, {sum(r['seconds'] for r in records) / 3600:.1f} h of training in total"


def _compact(table: str) -> str:
    """A markdown table without tabulate's column padding (renders the same, reads smaller in the source)."""
    rows = []
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        cells = [re.sub(r"-{3,}", "---", c) for c in cells] if set(line) <= set("|:- ") else cells
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def render(name: str, profile: str) -> str:
    return render_table(*TABLES[name], profile)


def render_table(stem: str, cols: list[str] | None, caption: str, profile: str, *, how: str = "run the notebook") -> str:
    """results/<profile>/<stem>.csv as a markdown table (columns `cols`, or all but the provenance) with its source."""
    path = RESULTS / profile / f"{stem}.csv"
    if not path.is_file():
        return f"*{caption}: not yet produced at the `{profile}` profile ({how}).*"
    df = pd.read_csv(path)
    prov = df[PROVENANCE].iloc[0].to_dict() if set(PROVENANCE) <= set(df.columns) else {}
    shown = df[cols] if cols else df.drop(columns=[c for c in PROVENANCE if c in df.columns])
    shown = shown.copy()
    for c in shown.select_dtypes("float").columns:  # counts stay counts (2000, not 2000.00) beside blank cells
        if len(shown[c].dropna()) and (shown[c].dropna() % 1 == 0).all():
            shown[c] = shown[c].astype("Int64")
    # a value that does not exist (a baseline's mAP, a paper value we lack) is a blank cell, not "nan"
    table = _compact(shown.astype(object).where(shown.notna(), None).to_markdown(index=False, floatfmt=".2f",
                                                                                    missingval=""))
    source = (f"*Source: [`results/{profile}/{stem}.csv`](results/{profile}/{stem}.csv); profile `{prov.get('profile')}`, "
              f"data `{prov.get('dataset')}`, seed(s) {prov.get('seeds')}, device {prov.get('device')}, "
              f"git {prov.get('git_revision')}.*") if prov else f"*Source: `results/{profile}/{stem}.csv`.*"
    return f"{table}\n\n{source}"


def _gain(paper_pairs: dict[str, tuple[float, float]]) -> str:
    return ", ".join(f"{name} {after - before:+.1f}" for name, (before, after) in paper_pairs.items())


# The rows of the README's headline: Table 1 (every row, both oracles), each framework, and Mask2Former.
HEADLINE = ("vs baseline (Table 1", "(Table 8)", "Mask2Former + RankSeg vs")


def _direction(pairs: dict[str, tuple[float, float]]) -> int:
    """The sign of the paper's gain (its mean over benchmarks); a gain where the paper gives none."""
    gains = [after - before for before, after in pairs.values()]
    return -1 if gains and sum(gains) < 0 else 1


def _judge(gain: float, spread: float | None, pairs: dict[str, tuple[float, float]],
           baseline: float | None = None) -> dict[str, str]:
    """The seeds and verdict of a one-seed row, judged against Table 1's seed spread (`readings.verdict`), and not
    at all when its `baseline` mIoU (where the row has its own) is below the floor."""
    return {"seeds": "1", "verdict": verdict([gain], spread, _direction(pairs), baseline)}


def gains_table(profile: str, *, headline: bool = False) -> str:
    """The comparison of our gain with the paper's gain, per setting (conventions: compare the direction and size
    of the gain, never a reduced-scale value with a paper-scale one), each with its verdict (`readings.verdict`:
    does our gain have the paper's sign beyond the seed spread). Table 1's rows are judged on their own per-seed
    differences; a row of one seed against the spread of Table 1's per-seed differences (full method vs baseline,
    first vocabulary). `headline`: the README's rows only."""
    from rankseg.experiments import paper, variants

    rows = []
    t1_path, oracle_path, heads_path = (RESULTS / profile / f"{n}.csv" for n in
                                        ("04_table1_components", "03_oracle", "05_table6e_heads"))
    spread, base_miou = None, {}
    if t1_path.is_file():
        t1 = pd.read_csv(t1_path)
        full = t1[t1["method"] == "+MT+LS+RA"]
        spread = float(full["gain_std"].iloc[0]) if len(full) and full["gain_std"].notna().iloc[0] else None
        base_miou = t1[t1["method"] == "Baseline"].set_index("num_classes")["miou"].to_dict()
        for _, r in t1[~t1["method"].isin(["Baseline", PRIOR_ROW])].iterrows():
            if r["method"] == "GT at train+eval":
                pairs = {b: (v["baseline"], v["gt_train_eval"]) for b, v in paper.ORACLE.items()}
            else:
                pairs = {b: (v["Baseline"], v[r["method"]]) for b, v in paper.TABLE1.items() if r["method"] in v}
            if r["num_classes"] == variants.LARGE_VOCAB_N:  # beside the paper's own 1,284-class benchmark only
                pairs = {b: v for b, v in pairs.items() if b == "COCO+LVIS"}
            seeds = len(str(r["run_seeds"]).split(","))
            std = f" ± {r['gain_std']:.2f}" if seeds > 1 else ""
            judged = ({"seeds": str(seeds), "verdict": r["verdict"]} if seeds > 1
                      else _judge(r["gain"], spread, pairs, base_miou.get(r["num_classes"])))
            rows.append({"setting": f"{r['method']} vs baseline (Table 1, N={r['num_classes']})", "metric": "mIoU",
                         "ours": f"{r['gain']:+.2f}{std}", **judged, "paper": _gain(pairs) or "not available",
                         "notebook": "04"})
    seg_base = next(iter(base_miou.values()), None)  # Segmenter's baseline at the first vocabulary
    if oracle_path.is_file():
        o = pd.read_csv(oracle_path).set_index("setting")
        for setting in ["RankSeg + GT (eval)", "RankSeg + GT (train+eval)"]:
            pairs = ({b: (v["baseline"], v["gt_train_eval"]) for b, v in paper.ORACLE.items()}
                     if "train" in setting else {})
            gain = o.loc[setting, "gain vs baseline"]
            rows.append({"setting": f"{setting} vs baseline (Fig. 3 right)", "metric": "mIoU", "ours": f"{gain:+.2f}",
                         **_judge(gain, spread, pairs, seg_base), "paper": _gain(pairs) or "not available",
                         "notebook": "03"})
    if heads_path.is_file():
        h = pd.read_csv(heads_path).set_index("head")
        for head, value in paper.HEAD_CHOICE.items():
            pairs = {"COCO-Stuff": (paper.HEAD_CHOICE_BASELINE, value)}
            rows.append({"setting": f"{head} multi-label head vs baseline (Table 6e)", "metric": "mIoU",
                         "ours": f"{h.loc[head, 'gain']:+.2f}",
                         **_judge(h.loc[head, "gain"], spread, pairs, seg_base), "paper": _gain(pairs),
                         "notebook": "05"})
    fw_path, enc_path = RESULTS / profile / "10_table8_frameworks.csv", RESULTS / profile / "11_table9_encnet_essnet.csv"
    if fw_path.is_file():
        fw = pd.read_csv(fw_path)
        own = fw[fw["classifier"].str.startswith("own")].set_index("framework")["miou"]
        for _, r in fw[fw["classifier"] == "RankSeg"].iterrows():
            ref = paper.FRAMEWORKS.get(r["framework"], {})
            pairs = {b: v for b, v in ref.items() if b != "backbone"}
            rows.append({"setting": f"{r['framework']} + RankSeg vs {r['framework']} (Table 8)", "metric": "mIoU",
                         "ours": f"{r['gain']:+.2f}", **_judge(r["gain"], spread, pairs, own.get(r["framework"])),
                         "paper": _gain(pairs) or "not available", "notebook": "10"})
    if enc_path.is_file():
        enc = pd.read_csv(enc_path).set_index("method")
        base = {b: v for b, v in paper.ENC_ESS["Baseline"].items()}
        for method in [m for m in enc.index[1:] if m != PRIOR_ROW]:  # the prior's row holds no run
            ours = paper.ENC_ESS.get(method)
            pairs = {b: (base[b], ours[b]) for b in base} if ours else {}
            rows.append({"setting": f"{method} vs baseline (Table 9)", "metric": "mIoU",
                         "ours": f"{enc.loc[method, 'gain']:+.2f}",
                         **_judge(enc.loc[method, "gain"], spread, pairs, seg_base),
                         "paper": _gain(pairs) or "not available", "notebook": "11"})
    m2f_path = RESULTS / profile / "12_mask2former.csv"
    if m2f_path.is_file():
        m2f = pd.read_csv(m2f_path)
        # one model serves both image tasks: its floor is read on its semantic mIoU
        plain = m2f[(m2f["method"] == "Mask2Former") & (m2f["metric"] == "mIoU")]
        plain_miou = {t.split()[0]: v for t, v in zip(plain["task"], plain["ours"], strict=True)}
        for _, r in m2f[~m2f["method"].isin(["Mask2Former", PRIOR_ROW])].iterrows():
            has_paper = r["paper gain"] == r["paper gain"]
            pairs = {r["paper setting"]: (0.0, r["paper gain"])} if has_paper else {}
            rows.append({"setting": f"Mask2Former {r['method']} vs Mask2Former, {r['task']}", "metric": r["metric"],
                         "ours": f"{r['gain vs Mask2Former']:+.2f}",
                         **_judge(r["gain vs Mask2Former"], spread, pairs, plain_miou.get(r["task"].split()[0])),
                         "paper": f"{r['paper setting']} {r['paper gain']:+.1f}" if has_paper else "not available",
                         "notebook": "12"})
    if headline:
        rows = [r for r in rows if any(h in r["setting"] for h in HEADLINE)]
    if not rows:
        return f"*Gains: not yet produced at the `{profile}` profile.*"
    return _compact(pd.DataFrame(rows).to_markdown(index=False, disable_numparse=True))


DOCUMENTS = ("README.md", "RESULTS.md", "BENCHMARK.md")


def readings(stem: str, profile: str) -> list[str]:
    """The findings a notebook computed and stated (its `say` outputs) in its executed copy."""
    path = RESULTS / "executed" / profile / f"{stem}.ipynb"
    if not path.is_file():
        return []
    cells = json.loads(path.read_text())["cells"]
    return ["".join(o["data"]["text/markdown"]).strip() for c in cells for o in c.get("outputs", [])
            if o.get("output_type") == "display_data" and "text/markdown" in o.get("data", {})]


def _title(notebook: Path) -> str:
    first = json.loads(notebook.read_text())["cells"][0]
    return "".join(first["source"]).splitlines()[0].lstrip("# ").strip()


def results_markdown(profile: str) -> str:
    """RESULTS.md: per notebook, its tables, figures and computed readings, after the headline gains."""
    parts = [f"# Results at the `{profile}` profile", "",
             "<!-- Generated by `python -m rankseg.experiments.readme` from results/, figures/ and the executed "
             "notebooks; do not edit. -->", "",
             f"Every number here was produced by the notebooks at the `{profile}` profile (see the README for its "
             f"scale: small images, models trained on a CPU; the paper's values, on real benchmarks at full scale, "
             f"are quoted beside ours as a reference, never as ours). Training cost: {_training_time(profile)}; "
             f"wall-clock seconds and provenance per run are in `results/{profile}/runs/*.json`, the executed "
             f"notebooks in `results/executed/{profile}/`. The readings are the notebooks' own, computed from "
             "these tables.", "", "## The gains, ours beside the paper's", "", gains_table(profile)]
    if (RESULTS / profile / "regime_pilot.csv").is_file():
        parts += ["", f"## {TABLES['regime_pilot'][2]}", "", "Written by `scripts/regime_pilots.py`; the choice they "
                  "support is argued in the README.", "", render("regime_pilot", profile)]
    if (RESULTS / profile / "regime_step_costs.csv").is_file():
        parts += ["", f"### {TABLES['regime_costs'][2]}", "", render("regime_costs", profile)]
    for notebook in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        prefix = notebook.stem[:3]
        parts += ["", f"## {_title(notebook)}", "", f"Notebook: [`notebooks/{notebook.name}`](notebooks/{notebook.name})."]
        for name, (stem, _, caption) in TABLES.items():
            if stem.startswith(prefix):
                parts += ["", f"### {caption}", "", render(name, profile)]
        for fig in sorted((FIGURES / profile).glob(f"{prefix}*.png")):
            parts += ["", f"![{fig.stem}](figures/{profile}/{fig.name})"]
        found = readings(notebook.stem, profile)
        if found:
            parts += ["", "**Readings** (computed in the executed notebook):", ""]
            parts += ["- " + " ".join(r.split("\n")) for r in found]
    return "\n".join(parts).rstrip() + "\n"


BENCH = RESULTS / "benchmarks"
_TABLES_SLOT = "<!-- tables: generated from results/benchmarks/ -->"


def benchmark_markdown(profile: str) -> str:
    """BENCHMARK.md's section: the prose of benchmarks/README_section.md, then the tables, target checks and
    readings computed from results/benchmarks/*.csv, and the shortlist's accuracy at `profile`."""
    prose = (ROOT / "benchmarks" / "README_section.md").read_text().strip()
    heads_csv, e2e_csv = BENCH / "head_scaling.csv", BENCH / "end_to_end.csv"
    if not heads_csv.is_file():
        return prose.replace(_TABLES_SLOT, "*Not yet measured: run `make bench`.*")
    heads = pd.read_csv(heads_csv)
    e2e = pd.read_csv(e2e_csv) if e2e_csv.is_file() else pd.DataFrame()
    parts = [bench_report.markdown_report(heads, e2e).strip(), "", "### Readings (computed from the CSV)", ""]
    parts += ["- " + r for r in bench_report.readings(heads)]
    parts += ["", f"### {LARGE_VOCAB[2]}", "", render_table(*LARGE_VOCAB, profile,
                                                                 how=f"python scripts/large_vocab_accuracy.py --profile {profile}")]
    path = RESULTS / profile / f"{LARGE_VOCAB[0]}.csv"
    if path.is_file():
        parts += ["", large_vocab_reading(pd.read_csv(path))]
    gpu = BENCH / "gpu_head_scaling.md"
    parts += ["", "### GPU check", "", f"See [`{gpu.relative_to(ROOT)}`]({gpu.relative_to(ROOT)})." if gpu.is_file()
              else "*Not yet run: `scripts/gpu_check.sh` on a machine with a GPU writes results/benchmarks/gpu_*.*"]
    return prose.replace(_TABLES_SLOT, "\n".join(parts))


def large_vocab_reading(df: pd.DataFrame) -> str:
    """The shortlist against the paper's head, computed from large_vocab_accuracy.csv (one run each)."""
    faithful, short = df[df["ml_shortlist"].isna()].iloc[0], df[df["ml_shortlist"].notna()].iloc[0]

    def diff(col: str, unit: str) -> str:
        d, name = short[col] - faithful[col], {"miou": "mIoU", "recall_at_k": "recall@K", "map": "mAP"}[col]
        return f"{'+' if d >= 0 else '−'}{abs(d):.2f}{unit} {name} ({faithful[col]:.2f} → {short[col]:.2f})"

    return (f"**Reading.** One run each at N = {faithful['n_classes']:,}, K = {faithful['top_k']}, "
            f"{faithful['iterations']:,} steps: the shortlist (M = {short['ml_shortlist']:.0f}) scores "
            f"{diff('miou', '')}, {diff('recall_at_k', ' points')} and {diff('map', '')} against the paper's head, "
            f"in {short['seconds_per_step'] / faithful['seconds_per_step']:.2f}× its wall-clock time per step (runs "
            "on a shared machine: the benchmark above gives the cost). With one seed a difference of a point or less "
            f"is not evidence either way; both heads' mIoU is low at this vocabulary and schedule.")


def bench_headline() -> str:
    """The README's rows: training step per head at N = 1,284 and 21,841 (`tiny_p16_256` and `cpu_tiny`, CPU)."""
    path = BENCH / "head_scaling.csv"
    if not path.is_file():
        return "*Not yet measured: run `make bench`.*"
    table = _compact(bench_report.headline_table(pd.read_csv(path)))
    return (f"{table}\n\n*Head only, 16×16 tokens of width 192 with 256×256 labels (`tiny_p16_256`) or 128×128 "
            f"(`cpu_tiny`), batch 2, median CPU time / peak memory; skipped: beyond the run's time budget. Source: "
            f"[`results/benchmarks/head_scaling.csv`](results/benchmarks/head_scaling.csv), all of it in "
            f"[BENCHMARK.md](BENCHMARK.md).*")


def update(readme: Path, profile: str) -> str:
    """Rewrites every generated section of one document in place (RESULTS.md whole); returns its new text."""
    if readme.name == "RESULTS.md":
        text = results_markdown(profile)
        readme.write_text(text)
        return text
    text = readme.read_text()
    for name in TABLES:
        pattern = re.compile(rf"(<!-- BEGIN generated:{name} -->).*?(<!-- END generated:{name} -->)", re.S)
        text = pattern.sub(lambda m, name=name: m.group(1) + "\n" + render(name, profile) + "\n" + m.group(2), text)
    text = re.sub(r"(<!-- BEGIN generated:gains -->).*?(<!-- END generated:gains -->)",
                  lambda m: m.group(1) + "\n" + gains_table(profile, headline=True) + "\n" + m.group(2), text,
                  flags=re.S)
    text = re.sub(r"(<!-- BEGIN generated:time -->).*?(<!-- END generated:time -->)",
                  lambda m: m.group(1) + _training_time(profile) + m.group(2), text, flags=re.S)
    if "generated:benchmark" in text:
        text = re.sub(r"(<!-- BEGIN generated:benchmark -->).*?(<!-- END generated:benchmark -->)",
                      lambda m: m.group(1) + "\n" + benchmark_markdown(profile) + "\n" + m.group(2), text, flags=re.S)
    text = re.sub(r"(<!-- BEGIN generated:bench_headline -->).*?(<!-- END generated:bench_headline -->)",
                  lambda m: m.group(1) + "\n" + bench_headline() + "\n" + m.group(2), text, flags=re.S)
    readme.write_text(text)
    return text


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m rankseg.experiments.readme", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default="default", help="whose results/<profile>/ CSVs to show (default: %(default)s)")
    profile = ap.parse_args().profile
    for name in DOCUMENTS:
        update(ROOT / name, profile)


if __name__ == "__main__":
    main()

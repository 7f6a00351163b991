# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: -jupytext.text_representation
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 4. Component ablation (Table 1)
#
# Baseline (Segmenter), then +MT (the multi-label head and loss added; pixels still classified over all
# N classes), +MT+LS (label selection: pixels classified over the top-K classes, one shared temperature),
# +MT+LS+RA (rank-adaptive temperatures: the full method). The paper's reference column holds its baseline
# and full-method values (the +MT and +MT+LS values are not available to us).

# %% tags=["parameters"]
profile = None  # "ci", "default" or "paper"; None reads $RANKSEG_PROFILE, else "default"
dataset = "emojiscenes"  # or a real benchmark: "ade20k", "ade20k_full", "coco_stuff164k", "pascal_context", "coco_lvis"
data_root = None  # folder of the real benchmark, in its standard prepared layout
num_classes = None  # EmojiScenes vocabulary: 150, 847 or 1284 (None: the profile's)
device = "auto"  # "auto" takes CUDA when present
seeds = [0, 1, 2]  # Table 1 differences are small: three seeds show the spread
retrain = False  # True ignores cached runs in results/<profile>/runs
results_root = None  # None: <project>/results
figures_root = None  # None: <project>/figures

# %%
from rankseg.experiments.notebook import say, setup

ctx = setup(profile=profile, dataset=dataset, data_root=data_root, num_classes=num_classes, device=device, seeds=seeds,
            retrain=retrain, results_root=results_root, figures_root=figures_root)
print(f"profile={ctx.profile}  data={ctx.base.data.name} (N={ctx.base.data.num_classes})  device={ctx.device_name}")

# %%
import matplotlib.pyplot as plt
import pandas as pd

from rankseg.experiments import paper, variants
from rankseg.experiments.plots import gain_bars
from rankseg.experiments.tables import PRIOR_ROW

records = {name: ctx.run_seeds(changes) for name, changes in variants.TABLE1.items()}
runs = pd.DataFrame([{"method": name, "seed": r.config.train.seed, **r.final, "train_seconds": r.seconds}
                     for name, rs in records.items() for r in rs])
table = runs.groupby("method", sort=False).agg(miou=("miou", "mean"), miou_std=("miou", "std"),
                                               miou_late_change=("miou_late_change", "mean"),
                                               map=("map", "mean"), recall_at_k=("recall_at_k", "mean"),
                                               train_seconds=("train_seconds", "mean")).reset_index()
table["gain"] = table["miou"] - table.loc[0, "miou"]
for bench, values in paper.TABLE1.items():
    table[f"paper {bench}"] = table["method"].map(values)
table = ctx.with_prior(table, label="method")
ctx.save_table(table, "04_table1_components")
table.round(2)

# %% [markdown]
# **How to read the table.** The paper's Table 1 adds RankSeg's parts one at a time to the Segmenter baseline:
# +MT the multi-label head and its loss (pixels still classified over all N classes), +MT+LS label selection
# (pixels classified over the top K classes only), +MT+LS+RA the rank-adaptive temperatures (the full method).
# `miou` is the mean over the seeds and `miou_std` its standard deviation across them; `gain` is `miou` minus the
# baseline's. `miou_late_change` is the mIoU change over the last 20 % of the training steps, mean over the seeds
# (blank with fewer than two evaluations there): near zero, the runs had converged. `map` is the multi-label head's
# mean average precision and `recall_at_k` the share of the ground-truth classes of the validation images that the top
# K keeps: a class left out cannot be predicted. The "class-frequency prior" row ranks every image's classes by their
# training-image counts, without looking at the image: its `map` and `recall_at_k` are what the head must beat. The
# `paper ...` columns hold the paper's baseline and full-method values on its benchmarks (Segmenter ViT-B, official
# release); it reports the full method above the baseline on all of them (its middle rows are not available to us).
# Compare the sign and size of our `gain` with the paper's, not the values. Below, each step is compared with the
# row before it seed by seed (the same seed trains both).

# %%
per_seed = runs.pivot(index="seed", columns="method", values="miou")[list(records)]


def step(new: str, old: str) -> str:
    """The per-seed mIoU difference new - old, judged against its spread across seeds."""
    diff = per_seed[new] - per_seed[old]
    side = "above" if diff.mean() > 0 else "below"
    text = (f"{new} is {side} {old} by {abs(diff.mean()):.2f} mIoU points" if abs(diff.mean()) >= 0.005
            else f"{new} scores the same as {old} to two decimals")
    if len(diff) < 2:
        return text + " (one seed: no spread to judge it by)"
    spread, wins = diff.std(), int((diff > 0).sum())
    if abs(diff.mean()) <= spread:
        return text + (f" on average over {len(diff)} seeds: inconclusive, the spread across seeds ({spread:.2f}) "
                       f"is at least as large as the effect")
    if wins in (0, len(diff)):
        return text + (f" on average, {side} it in all {len(diff)} seeds, and the effect is larger than the spread "
                       f"across seeds ({spread:.2f})")
    return text + f" on average, but above it in {wins} of {len(diff)} seeds only: inconclusive"


names = list(records)
paper_gain = pd.Series({b: v["+MT+LS+RA"] - v["Baseline"] for b, v in paper.TABLE1.items()})
full, prior = (table.set_index("method").loc[name] for name in (names[-1], PRIOR_ROW))
say("\n".join([f"- {step(new, old)}." for old, new in zip(names[:-1], names[1:], strict=True)] + [
    f"- Overall, {step(names[-1], names[0])}; the paper's full method gains {paper_gain.min():+.1f} to "
    f"{paper_gain.max():+.1f} on its {len(paper_gain)} benchmarks.",
    f"- The full method's top K keeps {full['recall_at_k']:.1f}% of the ground-truth classes (multi-label mAP "
    f"{full['map']:.1f}); the class-frequency prior keeps {prior['recall_at_k']:.1f}% (mAP {prior['map']:.1f})."]))

# %%
fig, ax = plt.subplots(figsize=(6, 3.4))
gain_bars(runs, x="method", y="miou", ax=ax, title=f"Table 1 on {ctx.base.data.name} ({ctx.profile})")
ax.set(xlabel="", ylabel="mIoU (%)")
ctx.save_figure(fig, "04_table1_components")

# %% [markdown]
# **How to read the figure.** One bar per row of Table 1: the mean mIoU over the seeds, with its value on top and,
# when there are several seeds, a black line spanning one standard deviation either side. A bar above the
# baseline's is a gain; bars whose lines overlap differ by less than the seeds vary, which is what the step-by-step
# reading above judges with the per-seed differences.

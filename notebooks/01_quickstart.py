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
# # 1. Quick start: Segmenter baseline vs RankSeg
#
# Trains the Segmenter baseline and RankSeg (joint multi-task scheme: multi-label head, top-K label
# selection, rank-adaptive temperature) on the embedded **EmojiScenes** data set, evaluates both, shows
# predictions and the multi-label score histogram of one image (the paper's Figure 1).

# %% tags=["parameters"]
profile = None  # "ci", "default" or "paper"; None reads $RANKSEG_PROFILE, else "default"
dataset = "emojiscenes"  # or a real benchmark: "ade20k", "ade20k_full", "coco_stuff164k", "pascal_context", "coco_lvis"
data_root = None  # folder of the real benchmark, in its standard prepared layout
num_classes = None  # EmojiScenes vocabulary: 150, 847 or 1284 (None: the profile's)
device = "auto"  # "auto" takes CUDA when present
seeds = [0]
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

from rankseg.data import build_datasets, preview_grid
from rankseg.experiments import variants
from rankseg.experiments.plots import plot_predictions, plot_topk_scores
from rankseg.experiments.tables import PRIOR_ROW

train_set, val_set = build_datasets(ctx.base.data)
fig = preview_grid(val_set, range(6))
ctx.save_figure(fig, "01_data_preview")

# %% [markdown]
# **How to read the figure.** Validation images of the data set (top row) above their label maps (bottom row), each
# colour a class; the title gives the number of classes in the image and the names below list its largest classes by
# area. Each image holds a few classes out of the N of the vocabulary: the property RankSeg exploits.

# %%
shown = [int(val_set[i][1].unique().ge(0).sum()) for i in range(6)]
say(f"These images hold {min(shown)} to {max(shown)} classes each, out of N = {ctx.base.data.num_classes}.")

# %% [markdown]
# ## Train and evaluate (cached: a finished run with the same config is reused)

# %%
runs = {"Segmenter (baseline)": ctx.run(variants.BASELINE), "RankSeg": ctx.run(variants.RANKSEG)}
table = pd.DataFrame([{"model": name, **r.final, "train_seconds": r.seconds} for name, r in runs.items()])
table = ctx.with_prior(table, label="model")
ctx.save_table(table, "01_quickstart")
table.round(2)

# %% [markdown]
# **How to read the table.** One row per model, evaluated on the validation split: `miou` is the mean intersection
# over union across classes (the paper's metric), `pixel_acc` the share of pixels labelled correctly. For RankSeg,
# `map` is the mean average precision of its multi-label head (how well it ranks the classes present in an image above
# the absent ones) and `recall_at_k` the share of the ground-truth classes of the validation images that its top K
# keeps: pixels of a class left out cannot be predicted. `train_seconds` is the training time of the run. The
# "class-frequency prior" row ranks every image's classes by their training-image counts, without looking at the
# image: its `map` and `recall_at_k` are what a multi-label head must beat. `miou_late_change` is the mIoU change over
# the last 20 % of the training steps (blank with fewer than two evaluations there): near zero, the run had converged.
# The paper reports RankSeg above the Segmenter baseline on every benchmark of its Table 1; here the model is small
# and trained briefly on a synthetic data set, so compare the sign and size of the difference, not the values.

# %%
t = table.set_index("model")
gain = t.loc["RankSeg", "miou"] - t.loc["Segmenter (baseline)", "miou"]
say(f"RankSeg is {'above' if gain > 0 else 'below'} the baseline by {abs(gain):.2f} mIoU points (seed "
    f"{ctx.seeds[0]} only; notebook 04 measures the spread across seeds). Its multi-label head ranks the classes with "
    f"mAP {t.loc['RankSeg', 'map']:.1f}, and its top K = {ctx.base.model.top_k} keeps "
    f"{t.loc['RankSeg', 'recall_at_k']:.1f}% of the ground-truth classes (the class-frequency prior: mAP "
    f"{t.loc[PRIOR_ROW, 'map']:.1f}, {t.loc[PRIOR_ROW, 'recall_at_k']:.1f}%).")

# %% [markdown]
# ## Predictions, and the top-20 categories of one image (Figure 1)

# %%
samples = {name: ctx.samples(r, range(4)) for name, r in runs.items()}  # cached beside the run records
fig = plot_predictions(samples, val_set.class_names)
ctx.save_figure(fig, "01_predictions")

# %% [markdown]
# **How to read the figure.** One row per validation image: the image, its ground truth, then each model's
# prediction, with the names of the classes present in each panel below it. A prediction is good when its regions and
# names match the ground truth's. RankSeg classifies an image's pixels among its top K classes only: a class its
# ranking leaves out cannot appear in its panel, however its pixels look.

# %%
rs = samples["RankSeg"]
truth = [set(s.label[s.label >= 0].tolist()) for s in rs]
missed = sum(len(gt - set(s.selected.tolist())) for gt, s in zip(truth, rs, strict=True))
say(f"On these {len(rs)} images, RankSeg's top K leaves out {missed} of the {sum(map(len, truth))} ground-truth "
    f"classes.")

# %%
fig, ax = plt.subplots(figsize=(8, 3.4))
k = min(20, ctx.base.data.num_classes)
plot_topk_scores(samples["RankSeg"][0], val_set.class_names, k=k, ax=ax)
ctx.save_figure(fig, "01_fig1_topk_scores")

# %% [markdown]
# **How to read the figure.** The paper's Figure 1 for one validation image: the classes that RankSeg's multi-label
# head ranks highest, in rank order (x), with their predicted probability (bar height), green when the class is in the
# image and red when it is not. A good ranking puts every green bar first, so that a short top K holds all the
# image's classes. The paper shows the same plot for a COCO-Stuff image to motivate classifying its pixels among the
# top-ranked classes only.

# %%
first = samples["RankSeg"][0]
ranks = sorted(int((first.scores > first.scores[c]).sum()) + 1 for c in set(first.label[first.label >= 0].tolist()))
say(f"This image holds {len(ranks)} classes; the head ranks them at positions {', '.join(map(str, ranks))} of "
    f"{ctx.base.data.num_classes}, so {sum(r <= k for r in ranks)} of them appear among the top {k} shown and "
    f"{sum(r <= ctx.base.model.top_k for r in ranks)} among the top K = {ctx.base.model.top_k} that RankSeg keeps.")

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
from rankseg.experiments.notebook import setup

ctx = setup(profile=profile, dataset=dataset, data_root=data_root, num_classes=num_classes, device=device, seeds=seeds,
            retrain=retrain, results_root=results_root, figures_root=figures_root)
print(f"profile={ctx.profile}  data={ctx.base.data.name} (N={ctx.base.data.num_classes})  device={ctx.device_name}")

# %%
import matplotlib.pyplot as plt
import pandas as pd

from rankseg.data import build_datasets, preview_grid
from rankseg.experiments import variants
from rankseg.experiments.plots import plot_predictions, plot_topk_scores

train_set, val_set = build_datasets(ctx.base.data)
fig = preview_grid(val_set, range(6))
ctx.save_figure(fig, "01_data_preview")

# %% [markdown]
# ## Train and evaluate (cached: a finished run with the same config is reused)

# %%
runs = {"Segmenter (baseline)": ctx.run(variants.BASELINE), "RankSeg": ctx.run(variants.RANKSEG)}
table = pd.DataFrame([{"model": name, **r.final, "train_seconds": r.seconds} for name, r in runs.items()])
ctx.save_table(table, "01_quickstart")
table.round(2)

# %% [markdown]
# ## Predictions, and the top-20 categories of one image (Figure 1)

# %%
samples = {name: ctx.samples(r, range(4)) for name, r in runs.items()}  # cached beside the run records
fig = plot_predictions(samples, val_set.class_names)
ctx.save_figure(fig, "01_predictions")

# %%
fig, ax = plt.subplots(figsize=(8, 3.4))
k = min(20, ctx.base.data.num_classes)
plot_topk_scores(samples["RankSeg"][0], val_set.class_names, k=k, ax=ax)
ctx.save_figure(fig, "01_fig1_topk_scores")

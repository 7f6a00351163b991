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
# # 7. Multi-label over-fitting (Figure 9)
#
# The paper observes that the multi-label head over-fits late in training (its mAP drops while mIoU still
# rises) and that a smaller learning rate and loss weight for the head help. This notebook trains with the
# default settings and with both reduced, and plots mAP and mIoU against iterations (the evaluations the
# engine logs every `train.eval_every` steps).

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
import seaborn as sns

from rankseg.experiments import variants

curves = []
for name, changes in variants.OVERFITTING.items():
    for record in ctx.run_seeds(changes):
        evals = record.curves.dropna(subset=["miou"])[["iteration", "miou", "map"]]
        curves.append(evals.assign(setting=name, seed=record.config.train.seed))
curves = pd.concat(curves, ignore_index=True)
ctx.save_table(curves, "07_fig9_overfitting")
curves.round(2)

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
for ax, metric, label in zip(axes, ["map", "miou"], ["multi-label mAP (%)", "mIoU (%)"], strict=True):
    sns.lineplot(curves, x="iteration", y=metric, hue="setting", marker="o", ax=ax)
    ax.set(ylabel=label)
ctx.save_figure(fig, "07_fig9_overfitting")

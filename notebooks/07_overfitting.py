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
from rankseg.experiments.notebook import say, setup

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
shown = ctx.with_prior(curves, label="setting")  # the readings and the figure use the runs' evaluations only
ctx.save_table(shown, "07_fig9_overfitting")
shown.round(2)

# %% [markdown]
# **How to read the table.** One row per evaluation logged during training: the `iteration`, the validation `miou`
# and the multi-label head's `map`, for each `setting` and `seed`. The paper's Figure 9 (Swin-B UPerNet + RankSeg on
# ADE20K, over a schedule far longer than ours) shows the head's mAP peaking and then falling late in training while
# mIoU keeps rising, and a smaller learning rate and loss weight for the head removing the fall. Over-fitting shows
# here as an mAP that peaks before the last evaluation and then drops. The last row, the "class-frequency prior",
# ranks every image's classes by their training-image counts, without looking at the image: its `map` is what the
# head must beat.

# %%
mean_curves = curves.groupby(["setting", "iteration"], sort=False)[["miou", "map"]].mean().reset_index()
n_seeds = curves["seed"].nunique()
lines, ends = [], {}
for name, c in mean_curves.groupby("setting", sort=False):
    peak, last = c.loc[c["map"].idxmax()], c.iloc[-1]
    ends[name] = last
    if peak["iteration"] < last["iteration"] and last["map"] < peak["map"]:
        mark = (f"its mAP peaks at iteration {peak['iteration']:.0f} ({peak['map']:.2f}) and ends "
                f"{peak['map'] - last['map']:.2f} points lower, while mIoU "
                f"{'still rises' if last['miou'] > peak['miou'] else 'does not rise'} over the same iterations "
                f"({peak['miou']:.2f} to {last['miou']:.2f})")
    else:
        mark = (f"its mAP is highest at the last evaluation, iteration {last['iteration']:.0f} ({last['map']:.2f}): "
                f"no sign of over-fitting within these iterations")
    lines.append(f"- {name}: {mark}.")
(a, ea), (b, eb) = list(ends.items())[:2]
lines.append(f"- At the end, {b} is {'above' if eb['map'] > ea['map'] else 'below'} {a} by "
             f"{abs(eb['map'] - ea['map']):.2f} mAP and {'above' if eb['miou'] > ea['miou'] else 'below'} it by "
             f"{abs(eb['miou'] - ea['miou']):.2f} mIoU points "
             f"({'mean over ' + str(n_seeds) + ' seeds' if n_seeds > 1 else 'one seed, so the spread is unknown'}).")
say("\n".join(lines))

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
for ax, metric, label in zip(axes, ["map", "miou"], ["multi-label mAP (%)", "mIoU (%)"], strict=True):
    sns.lineplot(curves, x="iteration", y=metric, hue="setting", marker="o", ax=ax)
    ax.set(ylabel=label)
ctx.save_figure(fig, "07_fig9_overfitting")

# %% [markdown]
# **How to read the figure.** The paper's Figure 9 in our setting: the multi-label mAP (left) and the mIoU (right)
# at each logged evaluation, one line per setting (the mean over the seeds, with a shaded band when there are
# several). Over-fitting of the multi-label head is a left-hand line that turns down while the right-hand one still
# climbs; a remedy works if its left-hand line does not turn down and its right-hand line ends no lower.

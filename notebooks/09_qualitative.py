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
# # 9. Qualitative results (Figure 10)
#
# Baseline vs RankSeg predictions. RankSeg classifies each image's pixels among its top-K classes only, so
# classes it ranks low cannot appear: the false-positive classes (predicted, absent from the ground truth)
# of the baseline are counted over the validation set, and the images where RankSeg removes the most are
# shown.

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
import numpy as np
import pandas as pd

from rankseg.experiments import variants
from rankseg.experiments.plots import false_positive_classes, plot_predictions

runs = {"Segmenter (baseline)": ctx.run(variants.BASELINE), "RankSeg": ctx.run(variants.RANKSEG)}
val_set = ctx.val_set()
indices = range(len(val_set))
samples = {name: ctx.samples(r, indices) for name, r in runs.items()}  # cached beside the run records
fp = pd.DataFrame({name: [len(false_positive_classes(s)) for s in ss] for name, ss in samples.items()})
table = fp.describe().loc[["mean", "50%", "max"]].T.rename(columns={"mean": "false-positive classes / image (mean)",
                                                                    "50%": "median", "max": "max"})
ctx.save_table(table.reset_index(names="model"), "09_false_positive_classes")
table.round(2)

# %% [markdown]
# **How to read the table.** For each model, the number of false-positive classes in an image: classes that appear in
# its prediction but not in the ground truth, summarised over the validation images (mean, median, maximum). Fewer is
# better. RankSeg can predict only the classes its top K keeps, so it cannot make a false positive of a class its
# ranking leaves out; the paper's Figure 10 shows such cases qualitatively and gives no count.

# %%
base_fp, rank_fp = fp["Segmenter (baseline)"], fp["RankSeg"]
say(f"RankSeg predicts {rank_fp.mean():.2f} false-positive classes per image on average, the baseline "
    f"{base_fp.mean():.2f}. RankSeg has fewer than the baseline on {100 * (rank_fp < base_fp).mean():.0f}% of the "
    f"{len(fp)} validation images, as many on {100 * (rank_fp == base_fp).mean():.0f}% and more on "
    f"{100 * (rank_fp > base_fp).mean():.0f}% (seed {ctx.seeds[0]} only).")

# %%
removed = fp["Segmenter (baseline)"] - fp["RankSeg"]
show = list(np.argsort(-removed.to_numpy(), kind="stable")[:4])
fig = plot_predictions({name: [ss[i] for i in show] for name, ss in samples.items()}, val_set.class_names)
ctx.save_figure(fig, "09_fig10_qualitative")

# %% [markdown]
# **How to read the figure.** The paper's Figure 10 in our setting: one row per validation image, the image, its
# ground truth, the baseline's and RankSeg's predictions, with the names of the classes present in each panel below
# it. The images are those where RankSeg removes the most false-positive classes compared with the baseline: chosen in
# RankSeg's favour, they illustrate the mechanism and are not a fair sample (the table above is).

# %%
say(f"On the images shown (validation indices {', '.join(map(str, show))}), the baseline's false-positive classes "
    f"minus RankSeg's are {', '.join(str(int(removed[i])) for i in show)}.")

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
from rankseg.experiments.notebook import setup

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

# %%
removed = fp["Segmenter (baseline)"] - fp["RankSeg"]
show = list(np.argsort(-removed.to_numpy(), kind="stable")[:4])
fig = plot_predictions({name: [ss[i] for i in show] for name, ss in samples.items()}, val_set.class_names)
ctx.save_figure(fig, "09_fig10_qualitative")

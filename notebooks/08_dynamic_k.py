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
# # 8. Dynamic K (supplementary)
#
# Instead of a fixed K, keep the selected classes whose multi-label probability exceeds a threshold (at
# least the top-1). The paper finds it always beats the baseline but is not clearly better than a fixed K.
# The RankSeg model trained with fixed K is evaluated with each threshold; no training.

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

from rankseg.experiments import variants

baseline = ctx.run(variants.BASELINE)
rankseg = ctx.run(variants.RANKSEG)
rows = [{"selection": "baseline (all N)", "threshold": None, **baseline.final},
        {"selection": f"fixed K = {ctx.base.model.top_k}", "threshold": None, **rankseg.final}]
rows += [{"selection": "dynamic K", "threshold": t, **ctx.evaluate(rankseg, threshold=t)} for t in variants.THRESHOLDS]
table = pd.DataFrame(rows)
table["gain vs baseline"] = table["miou"] - baseline.final["miou"]
ctx.save_table(table, "08_dynamic_k")
table.round(2)

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.4))
dyn = table[table["selection"] == "dynamic K"]
ax.plot(dyn["threshold"], dyn["miou"], marker="o", label="dynamic K (threshold)")
ax.axhline(rankseg.final["miou"], color="tab:green", ls="--", label=f"fixed K = {ctx.base.model.top_k}")
ax.axhline(baseline.final["miou"], color="grey", ls=":", label="baseline")
ax.set(xscale="log", xlabel="probability threshold", ylabel="mIoU (%)")
ax.legend(fontsize=8)
ctx.save_figure(fig, "08_dynamic_k")

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
from rankseg.experiments.notebook import setup

ctx = setup(profile=profile, dataset=dataset, data_root=data_root, num_classes=num_classes, device=device, seeds=seeds,
            retrain=retrain, results_root=results_root, figures_root=figures_root)
print(f"profile={ctx.profile}  data={ctx.base.data.name} (N={ctx.base.data.num_classes})  device={ctx.device_name}")

# %%
import matplotlib.pyplot as plt
import pandas as pd

from rankseg.experiments import paper, variants
from rankseg.experiments.plots import gain_bars

records = {name: ctx.run_seeds(changes) for name, changes in variants.TABLE1.items()}
runs = pd.DataFrame([{"method": name, "seed": r.config.train.seed, **r.final, "train_seconds": r.seconds}
                     for name, rs in records.items() for r in rs])
table = runs.groupby("method", sort=False).agg(miou=("miou", "mean"), miou_std=("miou", "std"),
                                               map=("map", "mean"), recall_at_k=("recall_at_k", "mean"),
                                               train_seconds=("train_seconds", "mean")).reset_index()
table["gain"] = table["miou"] - table.loc[0, "miou"]
for bench, values in paper.TABLE1.items():
    table[f"paper {bench}"] = table["method"].map(values)
ctx.save_table(table, "04_table1_components")
table.round(2)

# %%
fig, ax = plt.subplots(figsize=(6, 3.4))
gain_bars(runs, x="method", y="miou", ax=ax, title=f"Table 1 on {ctx.base.data.name} ({ctx.profile})")
ax.set(xlabel="", ylabel="mIoU (%)")
ctx.save_figure(fig, "04_table1_components")

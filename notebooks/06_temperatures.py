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
# # 6. Learned rank-adaptive temperatures (Figure 7)
#
# RankSeg learns one temperature per rank position: the classes ranked first are likely present and the
# pixel scores for them can be sharper or softer than for classes ranked last. Two realisations: the
# official code's LayerNorm over the K scores with per-rank affine weights (temperature = 1 / weight), and
# the paper's formula, a learnable scale per rank on the cosine similarities (temperature = 1 / scale).

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

rows, scores = [], []
for name, changes in variants.TEMPERATURE_IMPL.items():
    for record in ctx.run_seeds(changes):
        temps = ctx.temperatures(record)  # learned values, cached beside the run record
        rows += [{"realisation": name, "seed": record.config.train.seed, "rank": k + 1, "temperature": t}
                 for k, t in enumerate(temps)]
        scores.append({"realisation": name, "seed": record.config.train.seed, **record.final})
temperatures = pd.DataFrame(rows)
ctx.save_table(temperatures, "06_fig7_temperatures")
summary = pd.DataFrame(scores)
ctx.save_table(summary, "06_temperature_realisations")
summary.round(2)

# %%
fig, axes = plt.subplots(1, len(variants.TEMPERATURE_IMPL), figsize=(11, 3.4), squeeze=False)
for ax, (name, df) in zip(axes[0], temperatures.groupby("realisation", sort=False), strict=True):
    sns.lineplot(df, x="rank", y="temperature", marker="o", ax=ax)
    ax.set(title=name, xlabel="rank position k", ylabel="learned temperature $T_k$")
ctx.save_figure(fig, "06_fig7_temperatures")

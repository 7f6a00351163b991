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
seeds = [0, 1, 2]  # scores over every seed; the learned temperatures of the first
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

rows, scores = [], []
for name, changes in variants.TEMPERATURE_IMPL.items():
    for record in ctx.run_seeds(changes):
        scores.append({"realisation": name, "seed": record.config.train.seed, **record.final})
        if record.config.train.seed == ctx.seeds[0]:  # the curves of the first seed: a model per curve
            temps = ctx.temperatures(record)  # learned values, cached beside the run record
            rows += [{"realisation": name, "seed": record.config.train.seed, "rank": k + 1, "temperature": t}
                     for k, t in enumerate(temps)]
temperatures = pd.DataFrame(rows)
ctx.save_table(temperatures, "06_fig7_temperatures")
summary = pd.DataFrame(scores)
shown = ctx.with_prior(summary, label="realisation")  # the reading below compares the runs only
ctx.save_table(shown, "06_temperature_realisations")
shown.round(2)

# %% [markdown]
# **How to read the table.** RankSeg trained with each realisation of the rank-adaptive temperature, one row per seed:
# the official code's LayerNorm over the K scores with a learned weight per rank, and the paper's formula, a learned
# scale per rank on the cosine similarities. `miou` is the segmentation, `map` and `recall_at_k` the ranking (the
# multi-label head is the same in both). The "class-frequency prior" row ranks every image's classes by their
# training-image counts, without looking at the image: its `map` and `recall_at_k` are what the head must beat.
# `miou_late_change` is the mIoU change over the last 20 % of the training steps (blank with fewer than two
# evaluations there): near zero, the run had converged. The paper states the formula and its code implements the
# LayerNorm, so the realisations should score alike if the difference between them does not matter; this comparison
# is ours, not the paper's. Below, each realisation is compared with the other and with the baseline of Table 1 (the
# same seeds), seed by seed.

# %%
from rankseg.experiments.readings import paired_step

baseline = {r.config.train.seed: r.final["miou"] for r in ctx.run_seeds(variants.BASELINE)}  # Table 1's baseline
per_seed = summary.pivot(index="seed", columns="realisation", values="miou")
a, b = per_seed.columns[:2]
say("\n".join([f"- {paired_step(per_seed[b], per_seed[a], f'the {b} realisation', f'the {a} one')}."] + [
    f"- {paired_step(per_seed[name], pd.Series(baseline)[per_seed.index], f'RankSeg with the {name}', 'the baseline')}."
    for name in per_seed.columns]))

# %%
fig, axes = plt.subplots(1, len(variants.TEMPERATURE_IMPL), figsize=(11, 3.4), squeeze=False)
for ax, (name, df) in zip(axes[0], temperatures.groupby("realisation", sort=False), strict=True):
    sns.lineplot(df, x="rank", y="temperature", marker="o", ax=ax)
    ax.set(title=name, xlabel="rank position k", ylabel="learned temperature $T_k$")
ctx.save_figure(fig, "06_fig7_temperatures")

# %% [markdown]
# **How to read the figure.** The paper's Figure 7 in our setting: the learned temperature (y) at each rank position k
# (x), the first rank being the class the multi-label head scores highest, one panel per realisation, from the first
# seed's models (the table above scores every seed; a curve needs the trained model). Both start training with the
# same temperature at every rank. A curve that rises with k softens the scores of the low-ranked classes and sharpens
# those of the top-ranked ones; a flat curve means the rank-adaptive temperature has learned nothing beyond a single
# shared one. The paper's figure shows
# its learned temperatures for a fully trained model; its values are not available to us.

# %%
lines = []
for name, df in temperatures.groupby("realisation", sort=False):
    curve = df.groupby("rank")["temperature"].mean()
    rho = curve.index.to_series().corr(curve, method="spearman")
    spread = 100 * (curve.max() - curve.min()) / curve.mean()
    lines.append(f"- {name}: {curve.iloc[0]:.4g} at rank {curve.index[0]}, {curve.iloc[-1]:.4g} at rank "
                 f"{curve.index[-1]}; across the ranks it spans {spread:.2g}% of its mean, "
                 f"{'rising' if rho > 0 else 'falling' if rho < 0 else 'neither rising nor falling'} with the rank on "
                 f"the whole (rank correlation {rho:+.2f}).")
say("\n".join(lines))

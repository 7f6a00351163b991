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
# # 11. EncNet and ESSNet against RankSeg (supplementary Table 9 and the ESSNet ablations)
#
# All on the Segmenter backbone of the profile. **EncNet**: context encoding (32 codewords) rescales the
# channels and an SE-loss (an image-level multi-label loss, BCE weight 0.2) supervises it; pixels are still
# classified over all N classes. **ESSNet**: pixels and classes share an embedding space; each pixel is
# trained against its k nearest class embeddings (k = RankSeg's K) and takes the nearest at inference.
# **RankSeg** selects K classes per image. Then the ESSNet ablations: number of nearest neighbours k and
# embedding dimension. The paper's EncNet/ESSNet values and ablation values are not available to us.

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

from rankseg.experiments import paper, variants
from rankseg.experiments.tables import with_paper_columns

k = ctx.base.model.top_k
methods = {"Baseline": variants.BASELINE, "EncNet": variants.ENCNET,
           f"ESSNet (k={k})": {**variants.ESSNET, "model.essnet_k": k}, "RankSeg": variants.RANKSEG}
rows = [{"method": name, **(r := ctx.run(changes)).final, **ctx.cost(r), "train_seconds": r.seconds}
        for name, changes in methods.items()]
table = pd.DataFrame(rows)
table["gain"] = table["miou"] - table.loc[0, "miou"]
table = with_paper_columns(table, "method", {"Baseline": paper.ENC_ESS["Baseline"],
                                             "RankSeg": paper.ENC_ESS["RankSeg"]})
ctx.save_table(table, "11_table9_encnet_essnet")
table.round(2)

# %% [markdown]
# ## ESSNet ablations: nearest neighbours k and embedding dimension

# %%
rows = []
for kk in variants.ESSNET_K_GRID[ctx.profile]:
    r = ctx.run({**variants.ESSNET, "model.essnet_k": kk})
    rows.append({"ablation": "nearest neighbours k", "k": kk, "dim": ctx.base.model.essnet_dim, **r.final,
                 **ctx.cost(r)})
for dim in variants.ESSNET_DIM_GRID[ctx.profile]:
    r = ctx.run({**variants.ESSNET, "model.essnet_k": k, "model.essnet_dim": dim})
    rows.append({"ablation": "embedding dimension", "k": k, "dim": dim, **r.final, **ctx.cost(r)})
ablation = pd.DataFrame(rows)
ablation["RankSeg mIoU"] = table.set_index("method").loc["RankSeg", "miou"]
ctx.save_table(ablation, "11_essnet_ablations")
ablation.round(2)

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
sns.barplot(table, x="method", y="miou", ax=axes[0])
axes[0].set(xlabel="", ylabel="mIoU (%)", title="Table 9")
axes[0].tick_params(axis="x", labelsize=7)
for ax, (name, x) in zip(axes[1:], [("nearest neighbours k", "k"), ("embedding dimension", "dim")], strict=True):
    part = ablation[ablation["ablation"] == name]
    sns.lineplot(part, x=x, y="miou", marker="o", ax=ax, label="ESSNet")
    ax.axhline(part["RankSeg mIoU"].iloc[0], color="C1", ls="--", label=f"RankSeg (K={k})")
    ax.set(xscale="log", ylabel="mIoU (%)", title=f"ESSNet: {name}")
    ax.set_xticks(part[x].tolist(), [str(v) for v in part[x]])
    ax.minorticks_off()
    ax.legend(fontsize=7)
ctx.save_figure(fig, "11_essnet_ablations")

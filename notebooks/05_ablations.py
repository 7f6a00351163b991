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
# # 5. Ablations (Table 6)
#
# (a) multi-label accuracy vs segmentation gain (independent scheme, classifiers of different strength);
# (b) independent vs joint scheme (parameters, FLOPs, mIoU); (c) top-K, at training and changed at
# evaluation (including K = N, sorting without selection); (d) multi-label loss weight; (e) multi-label
# head type. Parameters and FLOPs come from torch's FLOP counter.

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

base_k, base_w = ctx.base.model.top_k, ctx.base.loss.ml_weight
baseline = ctx.run(variants.BASELINE)
joint = ctx.run(variants.RANKSEG)


# %% [markdown]
# ## (a) Multi-label accuracy vs segmentation gain, and (b) independent vs joint

# %%
rows = [{"scheme": "baseline", "classifier": "-", **baseline.final, **ctx.cost(baseline)},
        {"scheme": "joint (multi-task)", "classifier": "-", **joint.final, **ctx.cost(joint)}]
for name, share in variants.CLASSIFIER_STRENGTH.items():
    steps = max(1, int(share * ctx.base.train.classifier_iterations))
    r = ctx.run({**variants.INDEPENDENT, "train.classifier_iterations": steps})
    rows.append({"scheme": "independent", "classifier": f"{ctx.base.model.classifier_backbone}, {name}", **r.final,
                 **ctx.cost(r)})
schemes = pd.DataFrame(rows)
schemes["gain"] = schemes["miou"] - schemes.loc[0, "miou"]
ctx.save_table(schemes, "05_table6ab_schemes")
schemes.round(2)

# %% [markdown]
# ## (c) Top-K: trained with each K, and one model evaluated with other K

# %%
k_rows = []
for k in variants.K_GRID[ctx.profile]:
    r = joint if k == base_k else ctx.run({"model.top_k": k})
    k_rows.append({"experiment": "K at training and evaluation", "K": k, **r.final})
n = ctx.base.data.num_classes
for k in sorted({*variants.K_GRID[ctx.profile], base_k, n}):
    k_rows.append({"experiment": f"trained with K={base_k}, K changed at evaluation", "K": k,
                   **ctx.evaluate(joint, top_k=k)})
top_k = pd.DataFrame(k_rows)
top_k["gain"] = top_k["miou"] - baseline.final["miou"]
ctx.save_table(top_k, "05_table6c_top_k")
top_k.round(2)

# %% [markdown]
# ## (d) Multi-label loss weight, and (e) multi-label head type

# %%
w_rows = []
for w in sorted({*variants.ML_WEIGHT_GRID[ctx.profile], base_w}):
    r = joint if w == base_w else ctx.run({"loss.ml_weight": w})
    w_rows.append({"ml loss weight": w, **r.final})
weights = pd.DataFrame(w_rows)
ctx.save_table(weights, "05_table6d_loss_weight")
h_rows = []
for head, changes in variants.HEADS.items():
    r = ctx.run(changes)
    h_rows.append({"head": head, **r.final, **ctx.cost(r), "paper mIoU (COCO-Stuff)": paper.HEAD_CHOICE[head]})
heads = pd.DataFrame(h_rows)
heads["gain"] = heads["miou"] - baseline.final["miou"]
heads["paper gain"] = heads["paper mIoU (COCO-Stuff)"] - paper.HEAD_CHOICE_BASELINE
ctx.save_table(heads, "05_table6e_heads")
display(weights.round(2))
heads.round(2)

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
sns.lineplot(top_k, x="K", y="miou", hue="experiment", marker="o", ax=axes[0])
axes[0].axhline(baseline.final["miou"], color="grey", ls="--", label="baseline")
axes[0].set(xscale="log", ylabel="mIoU (%)", title="(c) top-K")
axes[0].legend(fontsize=6)
sns.lineplot(weights.melt(id_vars="ml loss weight", value_vars=["miou", "map"]), x="ml loss weight", y="value",
             hue="variable", marker="o", ax=axes[1])
axes[1].set(xscale="log", ylabel="%", title="(d) multi-label loss weight")
sns.barplot(heads.melt(id_vars="head", value_vars=["miou", "map"]), x="head", y="value", hue="variable", ax=axes[2])
axes[2].set(ylabel="%", title="(e) multi-label head")
ctx.save_figure(fig, "05_table6_ablations")

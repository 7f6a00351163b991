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
from rankseg.experiments.notebook import say, setup

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

# %% [markdown]
# **How to read the table.** One row per data set. `mean classes / image` is the average number of distinct
# classes in an image, to be set against the vocabulary size in `classes` (N). `% images with < 25 classes` is the
# statistic the paper gives for Figure 3 (left): the `(paper)` rows hold its values for its benchmarks, which
# is all the paper's text gives. `% classes in < 1% of images` measures the long tail: the share of the vocabulary
# that almost never occurs. The `(real, dataset-ninja)` rows come from the public per-class image counts of
# real benchmarks; their per-image class counts are not public, so their share of images by class count is blank.
# RankSeg's premise is that an image holds a small, image-specific subset of a large vocabulary: a mean far below
# N, and a share of images with few classes close to all of them.

# %%
emoji = table[table["data set"].str.startswith("EmojiScenes-")]
real_rows = table[table["data set"].str.endswith("(real, dataset-ninja)")]
per_image = emoji["mean classes / image"]
under = emoji["% images with < 25 classes"]
paper_under = pd.Series(paper.LABEL_STATS_UNDER_25)
tail = emoji.set_index("classes")["% classes in < 1% of images"]
say(f"An EmojiScenes image holds {per_image.min():.2f} to {per_image.max():.2f} classes on average across the "
    f"{len(emoji)} vocabularies (N from {emoji['classes'].min():.0f} to {emoji['classes'].max():.0f}), that is at most "
    f"{100 * (per_image / emoji['classes']).max():.1f}% of the vocabulary; the real benchmarks' images hold "
    f"{real_rows['mean classes / image'].min():.1f} to {real_rows['mean classes / image'].max():.1f}. "
    f"{'All the' if under.min() == 100 else f'{under.min():.2f}% or more of the'} EmojiScenes images have fewer "
    f"than 25 classes, against {paper_under.min():.2f}% to {paper_under.max():.2f}% on the paper's benchmarks. The long tail "
    f"{'grows' if tail.iloc[-1] > tail.iloc[0] else 'does not grow'} with the vocabulary: {tail.iloc[0]:.1f}% of the "
    f"classes occur in fewer than 1% of the images at N = {tail.index[0]:.0f}, "
    f"{tail.iloc[-1]:.1f}% at N = {tail.index[-1]:.0f} (real benchmarks: "
    f"{real_rows['% classes in < 1% of images'].min():.1f}% to {real_rows['% classes in < 1% of images'].max():.1f}%).")

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

# %% [markdown]
# **How to read the figure.** Left, the paper's Figure 3 (left): for each EmojiScenes vocabulary, the share of
# images (y) that contain at most n classes (x). The dashed line marks the paper's cut-off and the crosses its
# values there for its benchmarks. A curve that reaches the top well left of the cut-off means that images hold
# few classes; curves that lie on one another mean that this does not change with N. Right (not in the paper): the
# classes sorted by how many images contain them (x, rank) against the share of images that contain them (y), both
# on log scales, with the real benchmarks' curves from their public counts. A curve that falls steeply is a long
# tail of rare classes: the classes a ranking must still place in its top K on the few images that hold them.

# %%
most = {name: int(s.classes_per_image.max(initial=0)) for name, s in stats.items()}
say("The most classes in any one image: " + ", ".join(f"{n} for {name}" for name, n in most.items()) + ".")

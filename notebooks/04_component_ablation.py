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
# +MT+LS+RA (rank-adaptive temperatures: the full method), each over several seeds; beside them the two
# ground-truth oracles: the full method's models given every ground-truth class at evaluation, and models trained
# and evaluated with the ground-truth label set. At N = 150 (K = 50) and, when `large_vocab_seeds` names seeds, at
# the large vocabulary the method exists for (EmojiScenes-1284, K = 100, as the official COCO+LVIS config). The
# paper's reference columns hold its baseline and full-method values (its +MT and +MT+LS values are not available
# to us).

# %% tags=["parameters"]
profile = None  # "ci", "default" or "paper"; None reads $RANKSEG_PROFILE, else "default"
dataset = "emojiscenes"  # or a real benchmark: "ade20k", "ade20k_full", "coco_stuff164k", "pascal_context", "coco_lvis"
data_root = None  # folder of the real benchmark, in its standard prepared layout
num_classes = None  # EmojiScenes vocabulary: 150, 847 or 1284 (None: the profile's)
device = "auto"  # "auto" takes CUDA when present
seeds = [0, 1, 2]  # Table 1 differences are small: three seeds show the spread
large_vocab_seeds = None  # seeds at N 1284; None: variants.LARGE_VOCAB_SEEDS of the profile; empty: none
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

from rankseg.experiments import paper, variants
from rankseg.experiments.plots import gain_bars
from rankseg.experiments.tables import component_runs, component_table, with_paper_columns

lv_seeds = variants.LARGE_VOCAB_SEEDS.get(ctx.profile, []) if large_vocab_seeds is None else list(large_vocab_seeds)
blocks = {ctx.base.data.num_classes: ({}, ctx.seeds)}
if lv_seeds and ctx.base.data.num_classes != variants.LARGE_VOCAB_N:
    blocks[variants.LARGE_VOCAB_N] = (variants.large_vocab(ctx.base.data.num_train), lv_seeds)
runs = pd.concat([component_runs(ctx, s, vocab) for vocab, s in blocks.values()], ignore_index=True)
priors = {}
for n, (vocab, _) in blocks.items():
    cfg = ctx.config(vocab)
    priors[n] = (cfg.model.top_k, ctx.class_frequency_prior(cfg.model.top_k, cfg))
table = with_paper_columns(component_table(runs, priors), "method", paper.TABLE1)
ctx.save_table(table, "04_table1_components")
table.drop(columns="runs").round(2)

# %% [markdown]
# **How to read the table.** The paper's Table 1 adds RankSeg's parts one at a time to the Segmenter baseline:
# +MT the multi-label head and its loss (pixels still classified over all N classes), +MT+LS label selection
# (pixels classified over the top K classes only), +MT+LS+RA the rank-adaptive temperatures (the full method).
# One block of rows per vocabulary (`num_classes`, with its K in `top_k`). `miou` is the mean over the seeds in
# `run_seeds` and `miou_std` its standard deviation; `gain` is the mean per-seed difference from the same
# vocabulary's baseline (the same seed trains both) and `gain_std` the standard deviation of those differences,
# the spread a gain is judged by. `miou_late_change` is the mIoU change over the last 20 % of the training steps,
# mean over the seeds: near zero, the runs had converged. `map` is the multi-label head's mean average precision
# and `recall_at_k` the share of the ground-truth classes of the validation images that the top K keeps: a class
# left out cannot be predicted. "+MT+LS+RA, GT at eval" evaluates the full method's own models with every
# ground-truth class of each image selected (as many channels as the image has classes, not K): what a perfect
# ranking would give them. "GT at train+eval" trains and evaluates with the ground-truth label set (the paper's
# oracle, Fig. 3 right). The "class-frequency prior" row ranks every image's classes by their training-image
# counts, without looking at the image: its `map` and `recall_at_k` are what the head must beat. `runs` names the
# run records. The `paper ...` columns hold the paper's baseline and full-method values on its benchmarks
# (Segmenter ViT-B, official release): compare the sign and size of our `gain` with the paper's, not the values.
# Below, each step is compared with the row before it seed by seed.

# %%
from rankseg.experiments.readings import paired_step
from rankseg.experiments.tables import GT_AT_EVAL, GT_TRAIN_EVAL, PRIOR_ROW

names = list(variants.TABLE1)
steps = list(zip(names[:-1], names[1:], strict=True)) + [
    ("Baseline", "+MT+LS+RA"), ("Baseline", GT_AT_EVAL), ("Baseline", GT_TRAIN_EVAL)]
paper_gain = pd.Series({b: v["+MT+LS+RA"] - v["Baseline"] for b, v in paper.TABLE1.items()})
for n, block in runs.groupby("num_classes", sort=False):
    per_seed = block.pivot(index="seed", columns="method", values="miou")
    rows = table[table["num_classes"] == n].set_index("method")
    full, prior = rows.loc["+MT+LS+RA"], rows.loc[PRIOR_ROW]
    lines = [f"**N = {n}, K = {int(full['top_k'])}.**", ""]
    lines += [f"- {paired_step(per_seed[new], per_seed[old], new, old)}." for old, new in steps]
    lines.append(f"- The full method's top K keeps {full['recall_at_k']:.1f}% of the ground-truth classes (multi-label "
                 f"mAP {full['map']:.1f}); the class-frequency prior keeps {prior['recall_at_k']:.1f}% (mAP "
                 f"{prior['map']:.1f}).")
    say("\n".join(lines))
say(f"The paper's full method gains {paper_gain.min():+.1f} to {paper_gain.max():+.1f} mIoU over its baseline on its "
    f"{len(paper_gain)} benchmarks.")

# %%
fig, axes = plt.subplots(1, len(blocks), figsize=(6.5 * len(blocks), 3.6), squeeze=False)
for ax, (n, block) in zip(axes[0], runs.groupby("num_classes", sort=False), strict=True):
    gain_bars(block, x="method", y="miou", ax=ax, title=f"Table 1, {ctx.base.data.name} N = {n} ({ctx.profile})")
    ax.set(xlabel="", ylabel="mIoU (%)")
    ax.tick_params(axis="x", labelrotation=25)
ctx.save_figure(fig, "04_table1_components")

# %% [markdown]
# **How to read the figure.** One panel per vocabulary, one bar per row of Table 1 (the oracles last): the mean
# mIoU over the seeds, with its value on top and, when there are several seeds, a black line spanning one standard
# deviation either side. A bar above the baseline's is a gain; bars whose lines overlap differ by less than the
# seeds vary, which is what the step-by-step reading above judges with the per-seed differences.

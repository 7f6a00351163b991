"""The benchmark code on a tiny setting, and RankSeg's promise that no N×H×W tensor is ever built."""

from __future__ import annotations

import time

import pandas as pd
import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from rankseg.bench import head_scaling
from rankseg.bench.head import HeadCase, measure_head
from rankseg.bench.report import targets
from rankseg.bench.runner import NotMeasured, TimingPlan, run_isolated, summarise, time_step
from rankseg.bench.settings import FeatureSetting, build_decoder
from rankseg.bench.steps import infer_step, random_labels, train_step

N_LARGE = 3001  # a size no other dimension of the tiny model has
# 4×4 tokens of width 32, labels at 32×32: the (B, N, 4·D) MLP activations are an eighth of N×H×W
TINY = FeatureSetting(name="tiny", grid=4, d_model=32, n_heads=2, patch=8)


class LargestPerClassMap(TorchDispatchMode):
    """Records the largest tensor produced by any op that has a dimension of size `n`."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n, self.largest, self.op = n, 0, None

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor) and self.n in t.shape and t.numel() > self.largest:
                self.largest, self.op = t.numel(), str(func)
        return out


def _steps(head: str, phase: str):
    torch.manual_seed(0)
    s = TINY
    model = build_decoder(head, s, N_LARGE, k=5)
    tokens = torch.randn(1, s.grid ** 2, s.d_model)
    labels = random_labels(1, s.label_size, N_LARGE, cell=4)
    forward = lambda: model(tokens, (s.grid, s.grid))  # noqa: E731
    cpu = torch.device("cpu")
    if phase == "infer":
        return infer_step(forward, (s.label_size, s.label_size), device=cpu, bf16=False), s.label_size ** 2
    return train_step(model, forward, labels, device=cpu, bf16=False), s.label_size ** 2


@pytest.mark.parametrize("phase", ["infer", "train"])
@pytest.mark.parametrize("head", ["rankseg", "rankseg_xattn", "rankseg_shortlist"])
def test_rankseg_builds_no_class_by_pixel_tensor(head: str, phase: str) -> None:
    step, pixels = _steps(head, phase)
    with LargestPerClassMap(N_LARGE) as probe:
        step()
    # (B, N, D) class tokens and (B, N) scores are allowed; nothing N × H × W.
    assert probe.largest < N_LARGE * pixels // 4, (probe.largest, probe.op)


@pytest.mark.parametrize("phase", ["infer", "train"])
def test_the_probe_sees_the_baselines_class_by_pixel_tensor(phase: str) -> None:
    step, pixels = _steps("segmenter", phase)
    with LargestPerClassMap(N_LARGE) as probe:
        step()
    assert probe.largest >= N_LARGE * pixels


def test_measure_head_in_a_child_process() -> None:
    case = HeadCase(setting="test", head="rankseg", n_classes=40, k=8, batch=2, phase="train")
    status, result = run_isolated(measure_head, dict(case=case, plan=TimingPlan(warmup=1, repeats=2)),
                                  device=torch.device("cpu"), cap_s=120, threads=1)
    assert status == "ok", result
    assert len(result["cpu_ms"]) == len(result["wall_ms"]) == 2 and min(result["cpu_ms"]) > 0
    assert result["peak_mem_mb"] >= 0


def test_every_timed_call_is_warm_and_a_slow_step_is_not_measured() -> None:
    calls = []
    step = lambda: calls.append(time.perf_counter())  # noqa: E731
    timing = time_step(step, torch.device("cpu"), TimingPlan(warmup=2, repeats=3, min_repeats=2))
    assert len(calls) == 5 and len(timing.cpu_ms) == len(timing.wall_ms) == 3
    with pytest.raises(NotMeasured, match="not measured"):
        time_step(lambda: time.sleep(0.05), torch.device("cpu"),
                  TimingPlan(warmup=1, repeats=3, min_repeats=2, budget_s=0.01))


def test_summarise_reports_median_and_spread() -> None:
    stats = summarise([4.0, 1.0, 3.0, 2.0, 5.0])
    assert stats == dict(median=3.0, q1=2.0, q3=4.0, min=1.0, max=5.0)
    assert summarise([7.0])["q1"] == 7.0


def _row(head, n, phase, ms, mem, setting="tiny_p16_256"):
    return dict(device="cpu", variant="eager_fp32", setting=setting, head=head, n_classes=n, phase=phase,
                ms_median=ms, peak_mem_mb=mem, height=256, width=256)


def test_targets_are_the_projects_and_say_which_hold() -> None:
    df = pd.DataFrame([_row("segmenter", 1284, "train", 1000, 1000), _row("segmenter", 1284, "infer", 100, 100),
                       _row("rankseg", 1284, "train", 100, 200), _row("rankseg", 1284, "infer", 30, 10),
                       _row("rankseg_shortlist", 1284, "train", 100, 100), _row("rankseg_shortlist", 1284, "infer", 20, 10),
                       _row("rankseg_shortlist", 21841, "train", 350, 500)])
    t = targets(df).set_index(["head", "check"])
    assert bool(t.loc[("rankseg", "train time ÷ baseline at N=1284"), "holds"]) is True  # 0.10 ≤ 0.15
    assert bool(t.loc[("rankseg", "train memory ÷ baseline at N=1284"), "holds"]) is False  # 0.20 > 0.15
    assert bool(t.loc[("rankseg", "infer time ÷ baseline at N=1284"), "holds"]) is False  # 0.30 ≥ 0.24
    assert bool(t.loc[("rankseg_shortlist", "train time at N=21841 ÷ at N=1284"), "holds"]) is False  # 3.5 > 3
    mem = t.loc[("rankseg_shortlist", "train memory at N=21841 ÷ one N×H×W fp32 tensor")]
    assert bool(mem.holds) is True and mem.value == pytest.approx(500 / (4 * 21841 * 256 * 256 / 2**20))
    assert pd.isna(t.loc[("rankseg_xattn", "train time ÷ baseline at N=1284"), "holds"])  # not measured


def test_head_scaling_writes_csv_and_figure(tmp_path, capsys) -> None:
    assert head_scaling.main(["--settings", "test", "--vocab", "12", "200", "--e2e-sizes", "--repeats", "1", "--rounds", "2",
                              "--max-mem-gb", "0.0008", "--results", str(tmp_path / "res"),
                              "--figures", str(tmp_path / "fig")]) == 0
    df = pd.read_csv(tmp_path / "res" / "head_scaling.csv")
    required = ["device", "head", "n_classes", "k", "batch", "height", "width", "phase", "ms_median", "peak_mem_mb"]
    assert list(df.columns[:len(required)]) == required and "note" in df.columns
    assert set(df["phase"]) == {"infer", "train"}
    assert set(df["head"]) == {"segmenter", "rankseg", "rankseg_xattn", "rankseg_shortlist"}
    assert len(df) == 16
    measured = df[df.ms_median.notna()]
    assert (measured.rounds == 2).all() and (measured.repeats == 2).all() and (measured.clock == "cpu").all()
    assert (measured.ms_min <= measured.ms_median).all() and (measured.ms_median <= measured.ms_max).all()
    # the tiny memory limit (0.8 MB) skips the baseline's 200-channel training logits, not RankSeg's K = 100
    skipped = df[df.ms_median.isna()]
    assert (skipped["head"] == "segmenter").all() and skipped.note.str.startswith("skipped").all()
    assert df[df["head"] != "segmenter"].ms_median.notna().all()
    assert (tmp_path / "fig" / "head_scaling.png").is_file() and (tmp_path / "fig" / "head_scaling.pdf").is_file()
    assert "N=200" in capsys.readouterr().out

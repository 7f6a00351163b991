"""Real benchmarks through the config, the CLI and the notebooks; the COCO-Stuff converter; --set type errors."""

import numpy as np
import pytest
from PIL import Image

from rankseg.cli import build_config, main
from rankseg.config import PAPER_SETTINGS, override, profile
from rankseg.constants import IGNORE_INDEX
from rankseg.data.benchmarks import BENCHMARKS, build_benchmark
from rankseg.data.config import BENCHMARK_NUM_CLASSES, DataConfig
from rankseg.data.convert import coco_stuff_lut
from rankseg.data.convert import main as convert_main
from rankseg.data.layout import write_classes


def test_set_type_errors_name_the_key_and_the_type(capsys):
    with pytest.raises(TypeError, match=r"config key 'train.iterations' expects int, got 'abc' \(str\)"):
        override(profile("ci"), {"train.iterations": "abc"})
    with pytest.raises(TypeError, match=r"'train.grad_clip' expects float or None"):
        override(profile("ci"), {"train.grad_clip": "x"})
    with pytest.raises(TypeError, match=r"'train.optimizer' expects one of 'adamw', 'sgd'"):
        override(profile("ci"), {"train.optimizer": "adam"})
    with pytest.raises(SystemExit):
        main(["--profile", "ci", "--run-dir", "unused", "--set", "train.iterations=abc"])
    assert "config key 'train.iterations' expects int" in capsys.readouterr().err
    # what was accepted before still is: ints for floats, NumPy integers, lists for tuples
    cfg = override(profile("ci"), {"train.lr": 1, "model.top_k": np.int64(7), "data.ratio_range": [0.5, 1.5]})
    assert (cfg.train.lr, cfg.model.top_k, cfg.data.ratio_range) == (1, 7, (0.5, 1.5))
    # tuple[int, ...] takes any length of ints, and a config round-trips through its dict
    cfg = override(profile("ci"), {"model.feature_indices": [1, 4]})
    assert cfg.model.feature_indices == (1, 4) and type(cfg).from_dict(cfg.to_dict()) == cfg
    with pytest.raises(TypeError, match=r"'model.feature_indices' expects tuple\[int, \.\.\.\]"):
        override(profile("ci"), {"model.feature_indices": (1, "x")})


def test_vocabulary_sizes_agree():
    for name, n in BENCHMARK_NUM_CLASSES.items():
        assert BENCHMARKS[name].num_classes == n == PAPER_SETTINGS[name][0], name


def test_dataset_brings_its_vocabulary(tmp_path):
    cfg = profile("ci", "coco_stuff164k", root=str(tmp_path))
    assert (cfg.data.name, cfg.data.num_classes, cfg.data.root) == ("coco_stuff164k", 171, str(tmp_path))
    assert build_config("default", "pascal_context", str(tmp_path), []).data.num_classes == 59
    with pytest.raises(ValueError, match="data.num_classes=150 does not match coco_stuff164k, which has 171"):
        DataConfig(name="coco_stuff164k", root=str(tmp_path), num_classes=150)
    with pytest.raises(ValueError, match="does not match ade20k_full"):
        override(profile("ci"), {"data.name": "ade20k_full", "data.root": str(tmp_path)})
    write_classes(tmp_path, [f"c{i}" for i in range(30)], [False] * 30)
    assert profile("ci", "folder", root=str(tmp_path)).data.num_classes == 30
    assert profile("ci") == profile("ci", "emojiscenes")


def test_notebook_setup_brings_the_vocabulary(tmp_path):
    from rankseg.experiments import output
    from rankseg.experiments.notebook import setup

    try:
        ctx = setup(profile="ci", dataset="coco_stuff164k", data_root=str(tmp_path), results_root=str(tmp_path),
                    figures_root=str(tmp_path))
    finally:
        output.RESULTS_OVERRIDE = output.FIGURES_OVERRIDE = None
    assert (ctx.base.data.name, ctx.base.data.num_classes) == ("coco_stuff164k", 171)


def test_coco_stuff_converter(tmp_path):
    # mmsegmentation's clsID_to_trID at the boundaries of every gap, and the stuff range
    expected = {0: 0, 10: 10, 11: 255, 12: 11, 24: 23, 25: 255, 26: 24, 27: 25, 28: 255, 29: 255, 30: 26, 43: 39,
                44: 255, 45: 40, 64: 59, 65: 255, 66: 60, 69: 61, 70: 255, 71: 62, 81: 72, 82: 255, 83: 73,
                89: 79, 90: 255, 91: 80, 92: 81, 181: 170, 182: 255, 255: 255}
    lut = coco_stuff_lut()
    assert {k: int(lut[k]) for k in expected} == expected
    assert sorted(set(lut[:182].tolist()) - {255}) == list(range(171))
    raw = np.concatenate([np.arange(182), [255, 255]]).astype(np.uint8).reshape(4, 46)
    for split in ("train2017", "val2017"):
        (tmp_path / "raw" / split).mkdir(parents=True)
        Image.fromarray(raw).save(tmp_path / "raw" / split / "000000000139.png")
        (tmp_path / "coco" / "images" / split).mkdir(parents=True)
        Image.fromarray(np.zeros((4, 46, 3), np.uint8)).save(tmp_path / "coco" / "images" / split / "000000000139.jpg")
    assert convert_main(["coco_stuff", str(tmp_path / "raw"), str(tmp_path / "coco" / "annotations")]) == 0
    val = build_benchmark("coco_stuff164k", root=tmp_path / "coco", split="val")
    label = val[0][1].numpy()
    assert label.flatten()[:182].tolist() == [IGNORE_INDEX if v == 255 else v for v in lut[:182].tolist()]
    assert sorted(set(label.flatten().tolist()) - {IGNORE_INDEX}) == list(range(171))
    Image.fromarray(np.full((2, 2), 200, np.uint8)).save(tmp_path / "raw" / "val2017" / "bad.png")
    with pytest.raises(ValueError, match=r"bad.png: values \[200\] are not COCO-Stuff ids"):
        convert_main(["coco_stuff", str(tmp_path / "raw"), str(tmp_path / "out")])

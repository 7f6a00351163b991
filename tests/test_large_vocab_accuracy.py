"""scripts/large_vocab_accuracy.py at the `ci` profile with two training steps: both runs go through the run
cache and the CSV holds one row per head with the scores."""

import importlib.util

import pandas as pd

from rankseg.paths import ROOT


def test_large_vocab_accuracy_writes_its_csv(tmp_path):
    spec = importlib.util.spec_from_file_location("large_vocab_accuracy", ROOT / "scripts" / "large_vocab_accuracy.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    from rankseg.experiments import output, runner
    saved = output.RESULTS_OVERRIDE, runner.RUNS
    try:
        path = script.main(["--profile", "ci", "--shortlist", "128", "--set", "train.iterations=2",
                            "--set", "data.num_train=8", "--set", "data.num_val=4", "--set", "train.device='cpu'",
                            "--results-root", str(tmp_path / "results"), "--runs-root", str(tmp_path / "runs")])
    finally:
        output.RESULTS_OVERRIDE, runner.RUNS = saved
    assert path == tmp_path / "results" / "ci" / "large_vocab_accuracy.csv"
    df = pd.read_csv(path)
    assert list(df["head"]) == ["faithful", "shortlist M=128"]
    assert df["ml_shortlist"].isna().tolist() == [True, False] and (df["n_classes"] == 1284).all()
    assert df[["miou", "map", "recall_at_k", "seconds_per_step"]].notna().all().all()
    assert df["run_key"].nunique() == 2
    assert len(list((tmp_path / "results" / "ci" / "runs").glob("*.json"))) == 2


def test_large_vocab_reading_states_the_differences():
    from rankseg.experiments.readme import large_vocab_reading

    df = pd.DataFrame([dict(ml_shortlist=None, n_classes=1284, top_k=100, iterations=1500, miou=4.0, recall_at_k=60.0,
                            map=10.0, seconds_per_step=2.0),
                       dict(ml_shortlist=256, n_classes=1284, top_k=100, iterations=1500, miou=3.5, recall_at_k=70.0,
                            map=15.0, seconds_per_step=1.0)])
    text = large_vocab_reading(df)
    assert "−0.50 mIoU (4.00 → 3.50)" in text and "+10.00 points recall@K" in text and "+5.00 mAP" in text
    assert "0.50× its wall-clock time" in text and "N = 1,284" in text

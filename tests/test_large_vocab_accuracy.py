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

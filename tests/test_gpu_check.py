"""scripts/gpu_check.sh --dry-run: every step of the GPU check at a tiny setting on CPU, offline, into a folder
of its own (never results/)."""

import os
import subprocess
import sys

import pandas as pd

from rankseg.paths import ROOT


def test_gpu_check_dry_run_writes_every_result(tmp_path):
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS="1", PYTHONPATH=path)
    out = subprocess.run([str(ROOT / "scripts" / "gpu_check.sh"), "--dry-run", "--out", str(tmp_path)], env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    train = pd.read_csv(tmp_path / "gpu_train_ci.csv")
    assert train.loc[0, "profile"] == "ci" and pd.notna(train.loc[0, "miou"])
    heads = pd.read_csv(tmp_path / "gpu_head_scaling.csv")
    assert set(heads["head"]) == {"segmenter", "rankseg", "rankseg_shortlist"} and heads.ms_median.notna().all()
    e2e = pd.read_csv(tmp_path / "gpu_end_to_end.csv")
    assert (e2e.images_per_s > 0).all()
    assert (tmp_path / "gpu_head_scaling.md").is_file() and (tmp_path / "figures" / "gpu_head_scaling.png").is_file()


def test_gpu_check_is_offline_and_takes_no_pretrained_weights():
    text = (ROOT / "scripts" / "gpu_check.sh").read_text()
    assert "HF_HUB_OFFLINE=1" in text and "set -euo pipefail" in text
    source = (ROOT / "rankseg" / "experiments" / "train_check.py").read_text()
    assert '"model.pretrained": False' in source

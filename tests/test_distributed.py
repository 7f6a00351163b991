"""DDP under torchrun: two CPU processes (gloo) train the `ci` profile for a few steps and agree."""

import json
import subprocess
import sys

from safetensors.torch import load_file


def test_torchrun_two_processes(tmp_path):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29533",
           "-m", "rankseg.cli", "--profile", "ci", "--run-dir", str(tmp_path), "--set", "train.iterations=2",
           "--set", "train.batch_size=2", "--set", "data.num_val=4"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env={"OMP_NUM_THREADS": "1",
                                                                                 "TQDM_DISABLE": "1",
                                                                                 "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr[-3000:]
    summary = json.loads(out.stdout[out.stdout.index("{"):])
    assert 0 <= summary["miou"] <= 100
    state = load_file(str(tmp_path / "checkpoint" / "model.safetensors"))
    assert any(k.startswith("decoder.") for k in state)

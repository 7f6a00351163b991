"""DDP under torchrun: two CPU processes (gloo) train the `ci` profile for a few steps and agree; evaluation
sharded over two processes gives the scores of one process."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from rankseg.config import override, profile
from rankseg.engine import evaluate
from rankseg.models.build import build_segmenter
from synthetic import Rectangles


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


class _Recording(torch.utils.data.Dataset):
    def __init__(self, base):
        self.base, self.reads = base, []

    def __len__(self):
        return len(self.base)

    def __getitem__(self, i):
        self.reads.append(i)
        return self.base[i]


def _evaluate_shard(rank, world, folder):
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{folder}/store", rank=rank, world_size=world)
    try:
        model, val = _model_and_data()
        result = evaluate(model, val, batch_size=2, progress=False)
        scores = {**result.summary(), "iou": result.per_class_iou.tolist(), "reads": val.reads}
        Path(folder, f"rank{rank}.json").write_text(json.dumps(scores))
    finally:
        dist.destroy_process_group()


def _model_and_data():
    torch.manual_seed(0)
    cfg = override(profile("ci"), {"data.image_size": 32, "model.top_k": 10})
    return build_segmenter(cfg).eval(), _Recording(Rectangles(n=5, num_classes=150, size=32, seed=3))


def test_sharded_evaluation_equals_one_process(tmp_path):
    torch.multiprocessing.spawn(_evaluate_shard, args=(2, str(tmp_path)), nprocs=2)
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert ranks[0]["reads"] == [0, 1] and ranks[1]["reads"] == [2, 3, 4]  # each rank read its shard only
    model, val = _model_and_data()
    single = evaluate(model, val, batch_size=2, progress=False)
    assert not math.isnan(single.map)  # a real mAP is compared, not NaN with NaN
    for sharded in ranks:
        sharded.pop("reads")
        assert sharded.pop("iou") == pytest.approx(single.per_class_iou.tolist(), nan_ok=True, abs=0)
        assert sharded == pytest.approx(single.summary(), nan_ok=True, abs=0)


def _train_rank(rank, world, folder, port):
    import os

    from safetensors.torch import save_file

    from rankseg.engine import train

    os.environ.update({"RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": str(world),
                       "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)})
    torch.set_num_threads(1)
    cfg = override(profile("ci"), {"data.image_size": 32, "model.top_k": 10, "train.iterations": 3,
                                   "train.batch_size": 2, "train.device": "cpu"})
    data = Rectangles(n=8, num_classes=150, size=32), Rectangles(n=4, num_classes=150, size=32, seed=1)
    result = train(cfg, Path(folder) / "run", datasets=data, progress=False)
    state = {k: v.detach().contiguous() for k, v in result.model.state_dict().items()}
    save_file(state, str(Path(folder) / f"rank{rank}.safetensors"))


def test_ranks_hold_identical_weights_after_ddp_training(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    torch.multiprocessing.spawn(_train_rank, args=(2, str(tmp_path), port), nprocs=2)
    a, b = (load_file(str(tmp_path / f"rank{r}.safetensors")) for r in range(2))
    assert a.keys() == b.keys() and len(a) > 10
    for name in a:
        assert torch.equal(a[name], b[name]), name
    from rankseg.engine.runtime import seed_everything

    seed_everything(0)  # as train() does before it builds the model
    start = build_segmenter(override(profile("ci"), {"data.image_size": 32, "model.top_k": 10})).state_dict()
    assert any(not torch.equal(a[k], start[k]) for k in a)  # the ranks agree on trained weights, not initial ones

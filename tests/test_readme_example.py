"""The README's Python example runs as printed (a user's first contact with the API)."""

import re

from rankseg.paths import ROOT


def test_readme_python_example_runs(tmp_path, monkeypatch, capsys):
    text = (ROOT / "README.md").read_text()
    section = text.split("## Use it from Python", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)  # runs/example is written here
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    assert re.match(r"mIoU \d+\.\d\d", capsys.readouterr().out)
    n, k = scope["cfg"].data.num_classes, scope["cfg"].model.top_k
    assert scope["ranking"].shape == (1, n) and scope["selected"].shape == (1, k)
    assert scope["pred"].shape == (1, *scope["label"].shape)
    assert set(scope["pred"].unique().tolist()) <= set(scope["selected"][0].tolist())
    assert (tmp_path / "runs" / "example").is_dir()

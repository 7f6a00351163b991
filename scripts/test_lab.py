"""Real-browser test: JupyterLab (as `make lab` starts it) runs notebook 01 at the `ci` profile and saves it.

    python scripts/test_lab.py                     # make test-lab
    python scripts/test_lab.py --profile default   # the committed results: nothing may change

Starts JupyterLab on 127.0.0.1 (a free port, a random token) with RANKSEG_PROFILE=ci, drives headless Chromium
(Debian's `chromium`, through Playwright) to open notebooks/01_quickstart.ipynb, Run -> Run All Cells, and save
(Ctrl+S). Passes when no cell has an error or a warning on stderr, every cell that saves a figure shows it, the
tracked notebook and its paired script are byte-identical to before, and `git status` is as clean as before.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from rankseg.lab import PROFILES, server_command, server_env
from rankseg.paths import NOTEBOOKS, ROOT

NOTEBOOK = NOTEBOOKS / "01_quickstart.ipynb"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
RUN_TIMEOUT_S = 900


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout


def start_lab(port: int, token: str, scratch: Path, profile: str) -> subprocess.Popen:
    """JupyterLab at `profile`, with its workspace, settings and runtime files in `scratch`."""
    env = server_env(profile)
    env.update(JUPYTERLAB_WORKSPACES_DIR=str(scratch / "workspaces"), JUPYTERLAB_SETTINGS_DIR=str(scratch / "settings"),
               JUPYTER_RUNTIME_DIR=str(scratch / "runtime"))
    cmd = server_command([f"--port={port}", "--no-browser", f"--IdentityProvider.token={token}",
                          "--LabApp.expose_app_in_browser=True", "--ServerApp.port_retries=0"])
    proc = subprocess.Popen(cmd, env=env, stdout=open(scratch / "lab.log", "w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/api/status?token={token}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"JupyterLab exited ({proc.returncode}):\n{(scratch / 'lab.log').read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return proc
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit("JupyterLab did not answer within 120 s")


def run_in_browser(port: int, token: str) -> tuple[dict, dict[str, float], bool]:
    """Opens, runs and saves the notebook; returns the notebook as the browser holds it (with outputs), timings and
    whether Lab marked it modified on open (it adds the kernel's language_info, which source notebooks leave out)."""
    from playwright.sync_api import sync_playwright

    times: dict[str, float] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        start = time.time()
        page.goto(f"http://127.0.0.1:{port}/lab/tree/notebooks/{NOTEBOOK.name}?token={token}")
        page.wait_for_function("() => { const w = window.jupyterapp?.shell.currentWidget;"
                               " return w?.sessionContext?.session?.kernel?.status === 'idle'; }", timeout=120_000)
        times["open and start the kernel"] = time.time() - start
        dirty_on_open = page.evaluate("() => window.jupyterapp.shell.currentWidget.context.model.dirty")

        start = time.time()
        page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()
        page.wait_for_function(
            "() => { const w = window.jupyterapp.shell.currentWidget; const cells = w.content.model.cells;"
            " const code = Array.from({length: cells.length}, (_, i) => cells.get(i)).filter(c => c.type === 'code');"
            " return w.sessionContext.session.kernel.status === 'idle'"
            "   && code.every(c => c.executionCount !== null && c.executionState !== 'running'); }",
            timeout=RUN_TIMEOUT_S * 1000, polling=1000)
        times["run all cells"] = time.time() - start

        start = time.time()
        page.keyboard.press("Control+s")
        page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=60_000)
        times["save"] = time.time() - start
        nb = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.model.toJSON()")
        browser.close()
    return nb, times, dirty_on_open


def check(nb: dict) -> list[str]:
    """The problems in the executed notebook (as Lab holds it): errors, warnings, figures that did not render."""
    problems = []
    for i, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
        source = "".join(cell["source"])
        outputs = cell.get("outputs", [])
        for out in outputs:
            text = "".join(out.get("text", ""))
            if out["output_type"] == "error":
                problems.append(f"code cell {i}: {out['ename']}: {out['evalue']}")
            elif out.get("name") == "stderr" and ("Warning" in text or "Error" in text or "Traceback" in text):
                problems.append(f"code cell {i} wrote to stderr: {text.strip()[:300]}")
        if "save_figure(" in source and not any("image/png" in out.get("data", {}) for out in outputs):
            problems.append(f"code cell {i} saves a figure but shows none")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=PROFILES, default="ci")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` stops the server when killed
    before = {p: p.read_bytes() for p in (NOTEBOOK, NOTEBOOK.with_suffix(".py"))}
    status_before = git_status()
    port, token = free_port(), secrets.token_hex(16)
    total = time.time()
    with tempfile.TemporaryDirectory(prefix="rankseg-lab-") as tmp:
        scratch = Path(tmp)
        start = time.time()
        lab = start_lab(port, token, scratch, args.profile)
        times = {"start JupyterLab": time.time() - start}
        try:
            nb, browser_times, dirty_on_open = run_in_browser(port, token)
            times.update(browser_times)
        finally:
            lab.terminate()
            try:
                lab.wait(timeout=30)
            except subprocess.TimeoutExpired:
                lab.kill()
        log = (scratch / "lab.log").read_text()

    problems = check(nb)
    changed = [p.name for p, data in before.items() if p.read_bytes() != data]
    if changed:
        problems.append(f"saving changed tracked files: {changed}")
    if git_status() != status_before:
        problems.append(f"git status changed:\nbefore:\n{status_before}after:\n{git_status()}")
    n_images = sum("image/png" in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))
    n_widgets = sum("application/vnd.jupyter.widget-view+json" in o.get("data", {})
                    for c in nb["cells"] for o in c.get("outputs", []))
    times["total"] = time.time() - total
    print(json.dumps({"times_s": {k: round(v, 1) for k, v in times.items()}, "images": n_images,
                      "progress_widgets": n_widgets, "modified_on_open": dirty_on_open}, indent=1))
    if problems:
        print("FAILED:\n- " + "\n- ".join(problems), f"\n--- JupyterLab log (tail) ---\n{log[-3000:]}", file=sys.stderr)
        return 1
    print(f"OK: {NOTEBOOK.name} ran in JupyterLab at {args.profile}, saved, tracked files unchanged")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

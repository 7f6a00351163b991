# The two commands of the README:  `make all` (every notebook, papermill, default profile)  and  `make test`.
# Each creates or reuses the virtual environment $(VENV) and installs the package from this checkout.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PROFILE ?= default
NOTEBOOK_ARGS ?=
BENCH_ARGS ?=
GPU_CHECK_ARGS ?=
export MPLBACKEND := Agg

.PHONY: all notebooks test lint bench gpu-check env lab test-lab

all: notebooks

env: $(VENV)/.installed

# Re-installs when pyproject.toml changes. The distribution is rankseg-repro, installed from this checkout:
# nothing here ever asks PyPI for `rankseg` (an unrelated project).
# The environment takes about 7 GiB (torch and torchvision are CUDA builds): say so up front rather than fail
# half-way with "No space left on device".
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c "import shutil, sys; free = shutil.disk_usage('.').free / 2**30; sys.exit(0 if free >= 8 or \
	  '$(wildcard $(VENV)/bin/python)' else f'make env: the environment needs about 7 GiB of disk (torch is a CUDA build), \
	  only {free:.1f} GiB are free here; free some space (old clones, caches) and run make again')"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

notebooks: env
	$(PY) -m rankseg.notebooks --profile $(PROFILE) $(NOTEBOOK_ARGS)
ifeq ($(PROFILE),default)
	$(PY) -m rankseg.experiments.readme --profile default
endif

lint: env
	$(VENV)/bin/ruff check rankseg tests scripts notebooks

test: env lint
	TQDM_DISABLE=1 $(PY) -m pytest -q tests --ignore=tests/outputs --durations=15
	TQDM_DISABLE=1 RANKSEG_PROFILE=ci $(PY) -m pytest -q --nbval-lax --nbval-current-env -p no:cacheprovider notebooks
	$(PY) -m pytest -q tests/outputs

# JupyterLab on 127.0.0.1 at the project root; the server and its kernels get RANKSEG_PROFILE=$(PROFILE).
# Arguments for JupyterLab itself: make lab LAB_ARGS="--port=8899"
lab: env
	$(PY) -m rankseg.lab --profile $(PROFILE) -- $(LAB_ARGS)

# Notebook 01 run and saved in JupyterLab by headless Chromium (Debian: apt-get install chromium)
test-lab: env
	$(PY) scripts/test_lab.py

bench: env
	$(PY) -m rankseg.bench.head_scaling --device auto $(BENCH_ARGS)

# One GPU, under 8 minutes, no network: results/benchmarks/gpu_*. GPU_CHECK_ARGS=--dry-run: tiny, on CPU, to a temp dir
gpu-check: env
	PYTHON=$(PY) scripts/gpu_check.sh $(GPU_CHECK_ARGS)

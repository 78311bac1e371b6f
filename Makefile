# groupkit developer tasks.  Everything runs inside ./.venv (created on demand).
SHELL := /bin/bash
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip -q
EXTRAS := torch,test,exact,emlp,bench,modelnet

# Benchmark scripts: every bench/*.py that is not a private helper (bench/_*.py),
# e.g. bench/solver.py.  Override with `make bench BENCH_SCRIPTS="bench/solver.py"`.
BENCH_SCRIPTS ?= $(sort $(filter-out bench/_%,$(wildcard bench/*.py)))
NOTEBOOKS     := $(wildcard notebooks/*.ipynb)

.PHONY: venv test demo bench lint clean-venv lab notebooks

venv: $(VENV)/.stamp

# Re-runs only when pyproject.toml changes (or the venv is missing).
# torch is installed FIRST, pinned to 2.13.0: pip's configured find-links/constraints
# resolve that to the local CPU wheel (2.13.0+cpu); the `torch` extra is only a range,
# so the editable install below keeps it and never pulls a CUDA build.
$(VENV)/.stamp: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install torch==2.13.0
	$(PIP) install -e '.[$(EXTRAS)]'
	@touch $@

test: venv
	$(PY) -m pytest -q --doctest-modules groupkit kernels tests $(if $(NOTEBOOKS),--nbmake notebooks)

demo: venv
	$(PY) -m groupkit demo

bench: venv
	@$(if $(BENCH_SCRIPTS),,echo "no bench scripts found (bench/*.py)")
	@set -e; for s in $(BENCH_SCRIPTS); do \
	  if [ -f "$$s" ]; then echo ">> $$s"; $(PY) "$$s"; else echo "skip $$s (missing)"; fi; \
	done

# The lessons in notebooks/, in JupyterLab (installs the `lab` extra; not part of `make test`).
lab: venv
	$(PIP) install -e '.[$(EXTRAS),lab]'
	$(VENV)/bin/jupyter lab notebooks

# Re-execute every notebook in place, so that the stored outputs and figures are current.
notebooks: venv
	$(PY) notebooks/execute.py $(NOTEBOOKS)

lint: venv
	$(VENV)/bin/ruff check .

clean-venv:
	rm -rf $(VENV)

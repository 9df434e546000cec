# Both entry points create the virtual environment they need.
VENV ?= .venv
PY := $(VENV)/bin/python
FLOE := $(VENV)/bin/floe

.PHONY: demo test lint venv clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[runner,dev]'
	touch $@

lint: venv
	$(PY) -m ruff check floe_compiler tests $(wildcard benchmarks)
	$(PY) -m mypy

test: lint
	$(PY) -m pytest -q

demo: venv
	$(FLOE) validate examples/customer-analytics/floe.yaml examples/customer-analytics/manifest.yaml

clean:
	rm -rf $(VENV) target .floe

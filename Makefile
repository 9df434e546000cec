# Both entry points create the virtual environment they need.
VENV ?= .venv
PY := $(VENV)/bin/python
FLOE := $(VENV)/bin/floe

.PHONY: demo test lint venv clean bench

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[runner,dev]'
	touch $@

lint: venv
	$(PY) -m ruff check floe_compiler tests benchmarks
	$(PY) -m mypy
	$(FLOE) schema --check

test: lint
	$(PY) -m pytest -q

# Not part of `make test`: benchmarks measure, they do not pass or fail.
bench: venv
	$(PY) benchmarks/run.py

EXAMPLE := examples/customer-analytics

demo: venv
	$(FLOE) validate $(EXAMPLE)/floe.yaml $(EXAMPLE)/manifest.yaml
	$(FLOE) compile --spec $(EXAMPLE)/floe.yaml --output target/compiled_artifacts.json

clean:
	rm -rf $(VENV) target .floe

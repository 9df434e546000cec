# Both entry points create the virtual environment they need.
VENV ?= .venv
PY := $(VENV)/bin/python
FLOE := $(VENV)/bin/floe

.PHONY: demo test lint venv clean bench bench-lsp yaml-language-server conformance interop

venv: $(VENV)/.installed

# pip install -e builds the loader's C extension in place (floe_compiler/_yamlfast.*.so)
# when libyaml's headers are installed (Debian: libyaml-dev); without them it is skipped.
$(VENV)/.installed: pyproject.toml floe_compiler/_yamlfast.c
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[runner,dagster,dev]'
	touch $@

lint: venv
	$(PY) -m ruff check floe_compiler tests conformance interop $(wildcard benchmarks)
	$(PY) -m mypy
	$(FLOE) schema --check
	$(PY) -m floe_compiler.accept_gen --check

# Debian's pg_virtualenv (package postgresql) runs the tests beside a throwaway
# PostgreSQL cluster and exports PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE.
# Without it the PostgreSQL tests skip (and fail when CI is set).
PG_VIRTUALENV := $(shell command -v pg_virtualenv 2>/dev/null)

# tests/test_schema_in_editor.py drives Red Hat's yaml-language-server (the engine of
# VS Code's YAML extension) with our schemas. Pinned; 2.x needs node >= 22 and
# Debian's nodejs is 20. Without npm the editor tests skip (and fail when CI is set).
YLS_VERSION := 1.25.0
YLS := .cache/yls/.installed-$(YLS_VERSION)
NPM := $(shell command -v npm 2>/dev/null)

yaml-language-server: $(YLS)

$(YLS):
ifdef NPM
	$(NPM) install --prefix .cache/yls --no-audit --no-fund --no-save --loglevel=error \
		yaml-language-server@$(YLS_VERSION)
	touch $@
else
	@echo "npm not found: the editor tests will skip (apt-get install nodejs npm)"
endif

test: lint $(YLS)
	$(PG_VIRTUALENV) $(PY) -m pytest -q

# The differential test against the real floe-core, in a virtual environment of its own
# (its dependencies are heavy, and it is never one of ours). A fixed seed by default, so a
# run can be repeated; CONFORMANCE_SEED= (empty) draws new documents each run.
ORACLE_VENV ?= .venv-floe-core
ORACLE := $(ORACLE_VENV)/bin/python
CONFORMANCE_EXAMPLES ?= 4000
CONFORMANCE_SEED ?= 0

$(ORACLE_VENV)/.installed: conformance/oracle-requirements.txt
	python3 -m venv $(ORACLE_VENV)
	$(ORACLE) -m pip install --quiet --upgrade pip
	$(ORACLE) -m pip install --quiet -r conformance/oracle-requirements.txt
	touch $@

conformance: venv $(ORACLE_VENV)/.installed
	$(PY) conformance/run.py --oracle $(ORACLE) --examples $(CONFORMANCE_EXAMPLES) \
		$(if $(CONFORMANCE_SEED),--seed $(CONFORMANCE_SEED))

# floe's own plugin (floe-ingestion-dlt) and floe-core in the conformance venv, with floe
# installed beside them (editable, so its entry points are found): the same surface,
# the contract kit against DltIngestionPlugin, `floe run` with floe-core connectors.
INTEROP := $(ORACLE_VENV)/.interop-installed

$(INTEROP): $(ORACLE_VENV)/.installed interop/requirements.txt pyproject.toml
	$(ORACLE) -m pip install --quiet -r interop/requirements.txt -e '.[runner]'
	touch $@

interop: $(INTEROP)
	$(PG_VIRTUALENV) $(ORACLE) -m pytest -q -p no:cacheprovider interop

# Not part of `make test`: benchmarks measure, they do not pass or fail.
bench: venv
	$(PY) -m pip install --quiet -r benchmarks/requirements.txt
	$(PG_VIRTUALENV) $(PY) benchmarks/run.py

# `floe lsp` against yaml-language-server: change -> diagnostics, interleaved.
bench-lsp: venv $(YLS)
	$(PY) benchmarks/lsp_latency.py

EXAMPLE := examples/customer-analytics

demo: venv
	$(FLOE) validate $(EXAMPLE)/floe.yaml $(EXAMPLE)/manifest.yaml
	$(FLOE) compile --spec $(EXAMPLE)/floe.yaml --output target/compiled_artifacts.json
	$(FLOE) seed-demo
	mkdir -p .floe/secrets/warehouse-export-db
	printf '%s\n' 'sqlite:///.floe/warehouse_export.db' > .floe/secrets/warehouse-export-db/url
	FLOE_SECRETS_DIR=.floe/secrets $(FLOE) run --artifact target/compiled_artifacts.json \
		--destination warehouse-export

clean:
	rm -rf $(VENV) $(ORACLE_VENV) target .floe .cache

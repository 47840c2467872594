# The README's commands. Each target installs what it needs on first use.
PYTHON ?= python3
VENV ?= .venv
SAM_VENV ?= .venv-sam
PY := $(VENV)/bin/python
export SAM_CLI_TELEMETRY := 0

.PHONY: demo test lint bench install sam build validate clean axe catalogs

demo: install            ## run the monitoring job locally on bundled sample feeds
	$(VENV)/bin/portevoix demo

test: install sam axe    ## the whole test suite (what CI runs), in 3 processes
	$(PY) -m pytest -n 3

# axe-core for the pages' accessibility check (Playwright injects it; needs npm).
axe: tests/e2e/axe/node_modules/axe-core/axe.min.js
tests/e2e/axe/node_modules/axe-core/axe.min.js: tests/e2e/axe/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/e2e/axe --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the accessibility check will be skipped (or fail in CI)"; fi

catalogs: install         ## compile the translation catalogs (.po -> .mo) after editing them
	$(PY) -m portevoix_local.catalogs

lint: install
	$(VENV)/bin/ruff check layers functions tests bench

bench: install           ## benchmarks: print numbers, compare with bench/baseline.json
	$(PY) bench/veille.py
	$(PY) bench/networks.py
	$(PY) bench/publish.py
	$(PY) bench/reply.py
	$(PY) bench/cost.py
	$(PY) bench/studio.py
	$(PY) bench/links.py
	$(PY) bench/coldstart.py

validate: sam            ## sam validate --lint on the template
	$(SAM_VENV)/bin/sam validate --lint

build: sam               ## sam build (needs python3.12 on PATH; pyenv: PYENV_VERSION=3.11.7:3.12.1)
	$(SAM_VENV)/bin/sam build

install: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Porte-voix needs Python 3.11 or newer (found $$($(PYTHON) --version))"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $@

# The SAM CLI pins its own boto3: it lives in a virtual environment of its own.
sam: $(SAM_VENV)/.installed
$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check aws-sam-cli
	@touch $@

clean:
	rm -rf .portevoix .aws-sam .pytest_cache

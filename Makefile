# Two commands: `make run` (demo gateway) and `make test` (whole suite). Both set everything up first.
VENV ?= .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PANEL := gateway/panel/dist/index.html

.PHONY: run test setup system-packages lint typecheck clean

run: setup
	@$(VENV)/bin/helpline demo

# Two worker processes: the suite mostly waits (calls, timers, browsers), so two overlap well even on
# two cores. Whole files go to one worker, so a module's server starts once.
test: setup
	$(VENV)/bin/python -m pytest -n 2 --dist loadfile

setup: system-packages $(STAMP) $(PANEL)

system-packages:
	@sh scripts/install-system-packages.sh

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

# The agent panel: front-end packages from the npm registry, bundled by esbuild into dist/.
$(PANEL): gateway/panel/package-lock.json gateway/panel/build.mjs $(wildcard gateway/panel/src/*) $(wildcard gateway/panel/src/widget/*) \
	$(wildcard gateway/panel/src/console/*)
	npm ci --prefix gateway/panel --no-audit --no-fund
	npm run build --prefix gateway/panel

lint: setup
	$(VENV)/bin/ruff check gateway cti_adapter bench tests
	$(VENV)/bin/ruff format --check gateway cti_adapter bench tests
	npm run check --prefix gateway/panel

typecheck: setup
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# customer360: the front door. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
C360 := $(BIN)/c360
# the demo equipment's own command: the generator and the Bitrix24 stand-in
C360_DEMO := $(BIN)/c360-demo

# demo size, seed and corruption profile: `make demo CUSTOMERS=100000 SEED=7`,
# `make demo PROFILE=harsh` (docs/demo_data.md)
CUSTOMERS ?= 10000
SEED ?= 42
PROFILE ?= default
# the local Bitrix24 stand-in's webhook token; a real portal's token comes from
# the environment or the git-ignored .secrets.toml, never from this file
export C360_CRM_WEBHOOK_TOKEN ?= demo-webhook-token

.PHONY: help venv demo ui test lint format clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing the locked dependencies into $(VENV) (about a minute the first time)"
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $@

venv: $(BIN)/.installed ## create the virtual environment with the locked dependencies

demo: venv ## generate demo data, start the CRM stand-in, run the main job end to end
	@# new demo data is a new company: start its warehouse (and the pipelines' cursors
	@# kept in it) afresh, or a second demo of another size would land only a diff
	rm -rf data/warehouse
	$(C360_DEMO) generate --customers $(CUSTOMERS) --seed $(SEED) --profile $(PROFILE)
	$(C360_DEMO) standin seed --reseed
	@set -euo pipefail; \
	$(C360_DEMO) standin serve > data/crm_standin.log 2>&1 & standin=$$!; \
	trap 'kill $$standin 2>/dev/null; wait $$standin 2>/dev/null || true' EXIT; \
	$(C360_DEMO) standin wait --timeout 30; \
	$(C360) run
	$(C360) identity evaluate
	@echo
	@echo "The CRM stand-in's portals now hold the synced fields (UF_CRM_C360_*, docs/crm_sync.md)."
	@echo "What the sync did:  $(C360) query --working \"select destination, status, considered, sent, confirmed, rejected, seconds from crm_sync.runs\""
	@echo "A synced contact:   $(C360_DEMO) standin serve &  then"
	@echo "  curl -s 'http://127.0.0.1:18701/rest/1/$(C360_CRM_WEBHOOK_TOKEN)/crm.contact.get.json?id=1'"

ui: venv ## the Dagster UI on http://127.0.0.1:3000: asset graph, checks, schedule, sensors
	$(C360) ui

test: lint ## run the linters (as `make lint`) and the test suite
	@# two workers, a test file each at a time (a file's tests share its fixtures)
	$(BIN)/pytest -q -n 2 --dist loadfile

lint: venv ## ruff (check and format), sqlfluff (dbt SQL) and the import-layer contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint models
	$(BIN)/lint-imports --no-cache --no-logo

format: venv ## format the Python code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean: ## remove the generated data and the local warehouse (not the venv)
	rm -rf data target logs

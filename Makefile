# pointstream: `make run` starts everything with demo traffic, `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@command -v python3 >/dev/null || { echo "python3 (3.11+) is required"; exit 1; }
	@test -d $(VENV) || python3 -m venv $(VENV)
	@mkdir -p .local/logs
	@$(PY) -m pip install -q --upgrade pip > .local/logs/pip.log 2>&1 || { cat .local/logs/pip.log; exit 1; }
	@$(PY) -m pip install -q -e '.[dev]' >> .local/logs/pip.log 2>&1 || { cat .local/logs/pip.log; exit 1; }
	@touch $(STAMP)

install: $(STAMP) ## create the virtualenv and install the pinned dependencies

up: install ## start Kafka, PostgreSQL and Prometheus; create topics and the database schema
	@deploy/local/up.sh

run: install ## everything, with demo traffic, in the foreground (Ctrl-C stops it)
	@deploy/local/run.sh

stop: ## stop everything `make run` or `make up` started
	@deploy/local/stop.sh

status: ## what is running
	@for c in kafka postgres prometheus services; do deploy/local/$$c.sh status; done

test: up ## the whole suite against real Kafka and PostgreSQL
	@deploy/local/demo-env.sh $(PY) -m pytest tests/unit tests/integration tests/e2e

unit: install ## the pure unit tests only (no servers)
	@deploy/local/demo-env.sh $(PY) -m pytest tests/unit

lint: install ## ruff, mypy and the import boundaries; changes nothing
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy
	@$(VENV)/bin/lint-imports

hooks: install ## run the lint checks before each git commit (pre-commit, .pre-commit-config.yaml)
	@$(VENV)/bin/pre-commit install

fmt: install ## fix formatting and the lint findings ruff can fix
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

gate: up ## the exactly-once gate: 50k orders, 5% duplicates, 5 SIGKILLs (RUNTIME=txn|faust; INSTANCES=N earns)
	@$(PY) -m pip install -q -e '.[dev,faust]' >> .local/logs/pip.log 2>&1 || { cat .local/logs/pip.log; exit 1; }
	@deploy/local/demo-env.sh $(PY) -m tests.bench.gate --runtime $${RUNTIME:-txn} --instances $${INSTANCES:-1}

drill: up ## crash drills of the broker itself (SIGKILL under traffic), repeated: DRILL_RUNS=5
	@for i in $$(seq 1 $${DRILL_RUNS:-5}); do deploy/local/demo-env.sh $(PY) -m pytest -q -m drill tests/integration || exit 1; done

bench: up ## throughput, CPU/event, latency vs the ceilings and a peer; bench/results.json (ARGS='--only earn,peer')
	@$(PY) -m pip install -q -e '.[dev,faust]' >> .local/logs/pip.log 2>&1 || { cat .local/logs/pip.log; exit 1; }
	@deploy/local/demo-env.sh $(PY) -m tests.bench.run $(ARGS)

scale: up ## 1M customers, 10M events through earn, tier, redeem: memory, disk, restart; bench/scale.json (hours)
	@deploy/local/demo-env.sh $(PY) -m tests.bench.scale $(ARGS)

clean: stop ## stop everything and delete local data (Kafka log, database, Prometheus)
	@rm -rf .local

.PHONY: help install up run stop status test unit lint hooks fmt gate drill bench scale clean

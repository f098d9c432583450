# Ulinzi: `make demo` to run it, `make test` to test it. Nothing else is needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
export ULINZI_VAR_DIR ?= $(CURDIR)/var
PORT   ?= 8000

.PHONY: demo test check lint format bench install clean-demo

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

## make demo: install, create the SQLite database, load the real gazetteer and demo data, serve on 127.0.0.1:8000
demo: $(STAMP)
	$(BIN)/ulinzi migrate --noinput
	$(BIN)/ulinzi collectstatic --noinput --verbosity 0
	$(BIN)/ulinzi demo-setup --base-url http://127.0.0.1:$(PORT)
	PORT=$(PORT) scripts/serve_demo.sh

## make test: install and run the whole suite on SQLite, then on PostgreSQL when one is reachable
test: $(STAMP)
	$(BIN)/python scripts/run_tests.py $(ARGS)

## make check: format, lint, types of the pure modules, missing migrations, then the suite
check: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy ulinzi/lib ulinzi/places/records.py ulinzi/places/sources.py ulinzi/places/gazetteer.py ulinzi/places/describe.py ulinzi/places/matching.py ulinzi/places/namesakes.py ulinzi/audit/retention.py ulinzi/accounts/roles.py \
		ulinzi/alerts/taxonomy.py ulinzi/alerts/place_phrases.py ulinzi/alerts/triage.py ulinzi/alerts/triage_lexicon.py ulinzi/alerts/grouping.py ulinzi/alerts/keywords.py ulinzi/alerts/figures.py ulinzi/alerts/sla.py ulinzi/alerts/texts.py \
		ulinzi/threats/matrix.py ulinzi/threats/scan.py ulinzi/threats/forecast.py ulinzi/threats/sources.py ulinzi/threats/exports.py \
		ulinzi/patrols/planner.py ulinzi/patrols/texts.py ulinzi/engagement/rules.py ulinzi/engagement/summary.py ulinzi/indicators/did.py ulinzi/surveys/estimators.py ulinzi/surveys/xlsform.py ulinzi/surveys/responses.py
	$(BIN)/ulinzi makemigrations --check --dry-run
	$(MAKE) test

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make bench [ONLY=name]: run the benchmarks in bench/, write bench/results/*.json
bench: $(STAMP)
	$(BIN)/python scripts/run_bench.py $(ONLY)

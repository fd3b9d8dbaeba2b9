# Opora: `make run` starts everything, `make test` checks everything. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The interpreters: the first of these that really is the wanted version (pyenv shims that
# point at another version are skipped).
find_python = $(shell for p in python$(1) $$HOME/.pyenv/versions/$(1)*/bin/python$(1) \
	/usr/local/bin/python$(1) /usr/bin/python$(1); do \
	$$p -c 'import sys; sys.exit(sys.version_info[:2] != tuple(map(int, "$(1)".split("."))))' \
	2>/dev/null && { echo $$p; break; }; done)
PY311 ?= $(call find_python,3.11)
PY310 ?= $(call find_python,3.10)

VENV := .venv
BIN := $(VENV)/bin
NLU_VENV := nlu/.venv
STAMPS := .stamps
MODEL := nlu/models/opora.tar.gz
NLU_DATA := $(shell find nlu/data -name '*.yml' 2>/dev/null) $(wildcard nlu/opora_nlu/*.py)
# Fixed hash seed and a project-local cache (not ~/.rasa) keep training reproducible;
# PYTHONPATH finds Opora's own components in nlu/opora_nlu.
RASA_ENV := RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=3 PYTHONHASHSEED=0 \
	RASA_CACHE_DIRECTORY=.rasa/cache PYTHONPATH=.
NLU_PORT ?= 5005

.PHONY: help setup run chat train nlu nlu-eval test lint typecheck content-check pytest locales clean

help:
	@echo "make run     start Opora: the local chat, or Telegram if TELEGRAM_BOT_TOKEN is set"
	@echo "make test    lint, type-check and run the whole test suite"
	@echo "make setup   create both environments (bot: Python 3.11, NLU: Python 3.10 + Rasa)"
	@echo "make train   train the NLU model if its data or config changed"
	@echo "make nlu     serve the NLU model on 127.0.0.1:$(NLU_PORT) (needs NLU_AUTH_TOKEN)"
	@echo "make nlu-eval  per-language accuracy, macro-F1, out-of-scope and urgent recall"
	@echo "make locales extract UI and answer texts, update every language's .po files"

setup: $(STAMPS)/bot-env $(STAMPS)/nlu-env

$(STAMPS)/bot-env: pyproject.toml requirements.lock
	@test -n "$(PY311)" || { echo "Python 3.11 is needed for the bot. Install it (Debian/Ubuntu: apt-get install python3.11 python3.11-venv; or pyenv install 3.11) or set PY311=/path/to/python3.11."; exit 1; }
	@test -x $(BIN)/python || $(PY311) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/nlu-env: nlu/requirements.lock
	@test -n "$(PY310)" || { echo "Python 3.10 is needed for the NLU service (Rasa 3.6 supports 3.8-3.10). Install it (pyenv install 3.10; or Debian: add the deadsnakes-style package python3.10-venv) or set PY310=/path/to/python3.10."; exit 1; }
	@test -x $(NLU_VENV)/bin/python || $(PY310) -m venv $(NLU_VENV)
	$(NLU_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(NLU_VENV)/bin/python -m pip install --quiet -r nlu/requirements.lock
	@mkdir -p $(STAMPS) && touch $@

# Retrained only when the training data or the pipeline changed.
$(MODEL): $(STAMPS)/nlu-env nlu/config.yml $(NLU_DATA)
	cd nlu && $(RASA_ENV) .venv/bin/rasa train nlu --config config.yml --nlu data \
		--out models --fixed-model-name opora
	@touch $@

nlu-eval: $(MODEL)
	cd nlu && $(RASA_ENV) .venv/bin/python evaluate.py --model models/opora.tar.gz $(EVAL_ARGS)

train: $(MODEL)

nlu: $(MODEL)
	@test -n "$$NLU_AUTH_TOKEN" || { echo "Set NLU_AUTH_TOKEN (the bot sends the same one)."; exit 1; }
	cd nlu && $(RASA_ENV) .venv/bin/rasa run --enable-api --model models/opora.tar.gz \
		--interface 127.0.0.1 --port $(NLU_PORT) --auth-token="$$NLU_AUTH_TOKEN" --quiet

run: setup $(MODEL)
	$(BIN)/python -m bot run

chat: setup $(MODEL)
	$(BIN)/python -m bot chat

lint: $(STAMPS)/bot-env
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMPS)/bot-env
	$(BIN)/mypy

# Every answer, translation and number an editor can break (docs/editing-content.md).
content-check: $(STAMPS)/bot-env
	$(BIN)/python -m bot content check

# End-to-end tests mostly wait on the bot, so three workers share two cores well; a file's
# tests stay together (module fixtures, one Rasa service). PYTEST_WORKERS=0 runs them in order.
PYTEST_WORKERS ?= 3
pytest: setup $(MODEL)
	$(BIN)/python -m pytest -ra -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test: lint typecheck content-check pytest

locales: $(STAMPS)/bot-env
	$(BIN)/pybabel extract -F locales/babel.cfg -k N_ -k gettext -k ngettext:1,2 \
		--no-location --add-comments="Translators:" --sort-output --project=Opora \
		--copyright-holder="Opora contributors" -o locales/bot.pot .
	$(BIN)/pybabel extract -F locales/content.cfg --project=Opora \
		--copyright-holder="Opora contributors" -o locales/content.pot .
	$(BIN)/python -m bot content update-locales

clean:
	rm -rf $(VENV) $(NLU_VENV) $(STAMPS) nlu/models nlu/.rasa

# Broker Playground. `make run` serves the app on the embedded simulator;
# `make test` runs the tests; `make shots` photographs every scenario's every step in
# presenter mode (1280×720 and 1920×1080) into artifacts/shots/. They set up .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum < requirements.txt | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run test bench shots services services-stop lint format

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	@echo "Broker Playground on http://$(HOST):$(PORT)/ (embedded simulator)"
	$(BIN)/python manage.py runserver --insecure $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/run.py

# The app on the simulator (its own throwaway database, a free port) and Chromium
# (/usr/bin/chromium): a screenshot per step and size, what was measured in measure.json.
shots: install
	$(BIN)/python scripts/shots.py --out artifacts/shots

services:
	bash scripts/services.sh start

services-stop:
	bash scripts/services.sh stop

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

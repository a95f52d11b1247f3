# Two commands set everything up on a fresh machine with Python 3.11:
#   make run    serve on http://$(HOST):$(PORT) (SQLite + in-memory layer unless DATABASE_URL / REDIS_URL are set)
#   make test   run the whole suite
#   make cluster N=2   N server processes on ports $(PORT)+1… over DATABASE_URL/REDIS_URL (see README)
#   make bench  load scenarios against our server and the naive baseline (docs/performance.md)
#   make localstripe   the Stripe stand-in on 127.0.0.1:$(LOCALSTRIPE_PORT), for billing in development (docs/billing.md)
#   make messages      update locale/*/LC_MESSAGES/*.po from the code (needs GNU gettext); then translate, then
#   make compilemessages   the .mo files the site reads (committed: running the site needs no gettext)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Daphne's default listen backlog of 50 overflows in a reconnect storm.
BACKLOG ?= 4096
# Processes for `make cluster` and `make bench`; they listen on PORT+1, PORT+2, …
N ?= 2
FIRST_PORT = $(shell echo $$(($(PORT) + 1)))
# Empty: every scenario. Or some of (comma-separated) classrooms, big-room, connect-storm,
# rolling-restart, vote-storm, post-throughput, overload, sockets-10k, big-room-5k, history-reads, cost.
SCENARIO ?=
BENCH_SECONDS ?= 30
# ours,naive (the baseline where it applies), or one of them.
SERVERS ?= ours,naive
# Posts/s for overload to double; empty: post-throughput's result (this run's, else the last one's).
SUSTAINED ?=
LOCALSTRIPE_PORT ?= 8420

.PHONY: run test cluster bench localstripe messages compilemessages lint format check-deploy clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed-run $@

run: $(VENV)/.installed-run
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py serve --host $(HOST) --port $(PORT) --backlog $(BACKLOG)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

cluster: $(VENV)/.installed-run
	$(BIN)/python deploy/cluster --processes $(N) --first-port $(FIRST_PORT)

bench/node_modules/.package-lock.json: bench/package.json bench/package-lock.json
	cd bench && npm ci --no-audit --no-fund

bench: $(VENV)/.installed-run bench/node_modules/.package-lock.json
	$(BIN)/python bench/suite.py --processes $(N) --first-port $(FIRST_PORT) --duration $(BENCH_SECONDS) \
		--servers $(SERVERS) $(if $(SCENARIO),--scenarios $(SCENARIO)) $(if $(SUSTAINED),--sustained $(SUSTAINED))

localstripe: $(VENV)/.installed-dev
	$(BIN)/python -m tests.localstripe_server --port $(LOCALSTRIPE_PORT)

# Both catalogues (templates and Python; the page scripts) of every language in locale/.
# Which files are read is decided in todaysmeet/management/commands/makemessages.py.
messages: $(VENV)/.installed-run
	$(BIN)/python manage.py makemessages --all --domain django --no-obsolete --add-location file
	$(BIN)/python manage.py makemessages --all --domain djangojs --no-obsolete --add-location file

# Only locale/: not the catalogues of the packages under .venv.
compilemessages: $(VENV)/.installed-run
	$(BIN)/python manage.py compilemessages --ignore '.*' --ignore bench

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache db.sqlite3 .test-db.sqlite3 staticfiles

# The entry point for people and CI. `make run` for the demo, `make test` for the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The suite runs on real PostgreSQL and Redis (the machine's own, or docker-compose's).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/pairwise
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test screenshots lint fmt clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# The demo: SQLite under var/, a real Celery worker on kombu's filesystem broker (no Redis),
# demo project and users printed, served on http://$(HOST):$(PORT).
run: export DEBUG = 1
run: $(BIN)/.installed
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo --with-simulated --url http://$(HOST):$(PORT)/
	@# The worker stops with the server. Not `kill 0`: that signals this shell too, whose trap runs
	@# again, and again, until dash overflows its stack ("Segmentation fault" at every Ctrl-C).
	@$(BIN)/celery -A config worker --beat --pool=solo --queues=celery,sweeps --loglevel=warning --schedule var/celerybeat-schedule & \
	worker=$$!; trap 'trap - INT TERM EXIT; kill $$worker 2>/dev/null; wait $$worker' INT TERM EXIT; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(BIN)/.installed
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/pytest $(PYTEST_ARGS)

# The README's screenshots, taken by the browser tests (a plain test run leaves docs/ alone).
screenshots: $(BIN)/.installed
	PAIRWISE_SCREENSHOTS=1 DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/pytest -m e2e

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(BIN)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var staticfiles

# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export AID_DATA_DIR ?= var

# The UI's messages: one gettext catalog per language, compiled to .mo at install (the .mo
# files are not in git). `make messages` extracts every key the pages, templates and
# api/ui/message_keys.py use into messages.pot (babel.cfg says where) and adds a new key,
# untranslated, to each language's .po; translate it there in every language.
LOCALE := api/ui/locale
CATALOGS := $(wildcard $(LOCALE)/*/LC_MESSAGES/messages.po)
POT_HEADER := \# Messages of the AidLedger web UI, extracted by `make messages`. Each msgid is a \
	message key (templates and pages call t("key", **values)), not English text; the \
	French catalog holds the source text. Placeholders are {names} for str.format and \
	must be the same in every language. Keys the code builds at run time are listed in \
	api/ui/message_keys.py.

.PHONY: run test install lint unit integration bench clean messages

run: install
	$(BIN)/aid up

# Two pytest runs: the unit and browser tiers (no Kafka) on UNIT_WORKERS processes, then the
# integration tier on INTEGRATION_WORKERS processes, each with a test broker of its own (on
# AID_TEST_KAFKA_PORT + 1000 per worker, see tests/conftest.py). The unit workers steal
# queued tests from each other (--dist worksteal), so one worker's share of the long
# property tests does not leave the other idle at the end. Integration tests mostly wait on
# Kafka and timeouts, so two of them overlap well even on two cores; --dist loadgroup keeps
# the tests of a module that starts a broker of its own (xdist_group) on one worker.
# Both always run; either failing fails the target (a tier whose tests PYTEST_ARGS all
# deselect, pytest's exit status 5, is no failure). PYTEST_ARGS go to both (e.g. -x, or
# -m "not slow" to leave out the long fault and scale tests while developing).
UNIT_WORKERS ?= 2
INTEGRATION_WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -p no:warnings --durations=15
test: install lint
	@bash infra/chromium.sh
	@PG_URL=$$(bash infra/postgres.sh start) || exit 1; \
	export AID_TEST_POSTGRES_URL=$$PG_URL AID_REQUIRE_POSTGRES=1 AID_REQUIRE_BROWSER=1; \
	status=0; \
	$(PYTEST) -n $(UNIT_WORKERS) --dist worksteal tests/unit tests/e2e $(PYTEST_ARGS) || { rc=$$?; [ $$rc = 5 ] || status=$$rc; }; \
	$(PYTEST) -n $(INTEGRATION_WORKERS) --dist loadgroup tests/integration $(PYTEST_ARGS) || { rc=$$?; [ $$rc = 5 ] || status=$$rc; }; \
	exit $$status

# Benchmarks (bench/RESULTS.md): all six, or some with BENCH="projection rebuild";
# sizes from AID_BENCH_* variables (see bench/RESULTS.md). Kafka on 17092, database aid_bench*.
bench: install
	@PG_URL=$$(bash infra/postgres.sh start) && \
	AID_BENCH_POSTGRES_URL=$$PG_URL $(BIN)/python -m bench $(BENCH)

install: $(VENV)/.installed infra/kafka/target/lib/.resolved $(CATALOGS:.po=.mo)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

infra/kafka/target/lib/.resolved: infra/kafka/pom.xml
	mvn -B -q -f infra/kafka/pom.xml dependency:copy-dependencies
	touch $@

%.mo: %.po | $(VENV)/.installed
	$(BIN)/pybabel -q compile -i $< -o $@

messages: install
	$(BIN)/pybabel -q extract -F babel.cfg -k t --no-location --sort-output --project AidLedger \
		--version 0.1.0 --copyright-holder AidLedger --header-comment '$(POT_HEADER)' \
		-o $(LOCALE)/messages.pot .
	$(BIN)/pybabel -q update -N --ignore-pot-creation-date -D messages -i $(LOCALE)/messages.pot \
		-d $(LOCALE)

lint: install
	$(BIN)/ruff check events services projections api tests bench
	$(BIN)/mypy
	$(BIN)/python -m events.schemas --check

clean:
	-$(BIN)/aid kafka stop
	-bash infra/postgres.sh stop
	rm -rf var

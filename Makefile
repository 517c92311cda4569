# lakeshelf developer commands. `make help` lists them.
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: help setup browser test demo bench lint clean cluster-up cluster-down

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

setup: $(VENV)/.installed  ## create .venv and install lakeshelf with its dev extra

# Debian's Chromium for the site's browser tests (Playwright drives it; no browser download).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:  ## install Debian's chromium and chromium-driver for the browser tests (once)
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  echo "installing Debian's chromium and chromium-driver"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

# Run again on lakeshelf's own engine (no JVM jars): the fallback every machine can take.
OWN_ENGINE_TESTS ?= tests/table tests/gate tests/delta_format tests/storage tests/pipeline/test_avro.py \
	tests/guarantees/test_s3_pipeline.py tests/guarantees/test_s3_faults.py tests/session/test_engines.py

test: $(VENV)/.installed browser  ## the whole suite on delta-spark, then table/gate/format/S3 tests on the own engine
	$(PY) -m pytest $(PYTEST_ARGS)
	LAKESHELF_ENGINE=lakeshelf $(PY) -m pytest $(OWN_ENGINE_TESTS) $(PYTEST_ARGS)

demo: $(VENV)/.installed  ## run the main job on the embedded default (local Spark, ./lake)
	$(PY) jobs/demo.py --conf conf

bench: $(VENV)/.installed  ## lakeshelf vs plain Spark on the same data; prints ratios
	$(PY) -m benchmarks.run $(BENCH_ARGS)

lint: $(VENV)/.installed  ## ruff, import contracts (import-linter), no cycles, short import chains
	$(VENV)/bin/ruff check src tests jobs benchmarks tools
	$(VENV)/bin/ruff format --check src tests jobs benchmarks tools
	$(VENV)/bin/lint-imports --no-cache --no-logo
	$(PY) -m tools.import_graph

cluster-up: $(VENV)/.installed  ## start a standalone Spark master + 2 workers on 127.0.0.1
	$(PY) -m tools.cluster up

cluster-down:  ## stop the standalone cluster
	$(PY) -m tools.cluster down

clean:  ## remove the venv, the demo lake and caches
	rm -rf $(VENV) lake raw site .artifacts .cluster .pytest_cache spark-warehouse

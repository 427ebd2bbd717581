# jejak: make demo | make test | make install | make bench
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck pytest bench bench-ingest clean

install: $(STAMP)

$(STAMP): pyproject.toml scripts/debian-deps
	@scripts/debian-deps
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[disk,dask,postgres,dev]"
	@touch $(STAMP)

demo: install
	$(BIN)/jejak demo build demo
	rm -f demo/jejak.db demo/jejak.db-wal demo/jejak.db-shm
	$(BIN)/jejak --db sqlite:///demo/jejak.db case create DEMO-2026-0001 --agency "Demo Unit"
	$(BIN)/jejak --db sqlite:///demo/jejak.db ingest demo/seizure/phone1 demo/seizure/camera-sd.img \
		demo/seizure/usb-stick --case DEMO-2026-0001
	$(BIN)/jejak --db sqlite:///demo/jejak.db summary --case DEMO-2026-0001
	@echo "Database: demo/jejak.db   (try: $(BIN)/jejak --db sqlite:///demo/jejak.db files --case DEMO-2026-0001)"

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest -q

test: lint typecheck pytest

bench: bench-ingest

bench-ingest: install
	$(BIN)/python benchmarks/ingest.py

clean:
	rm -rf $(VENV) demo .pytest_cache .mypy_cache .ruff_cache

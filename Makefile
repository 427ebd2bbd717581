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

DEMO_DB := sqlite:///demo/jejak.db
DEMO := $(BIN)/jejak --db $(DEMO_DB)

demo: install
	$(BIN)/jejak demo build demo
	rm -f demo/jejak.db demo/jejak.db-wal demo/jejak.db-shm
	$(DEMO) case create DEMO-2026-0001 --agency "Demo Unit"
	@echo "== ingest: a phone folder, an SD-card disk image (with a deleted photo), a USB stick of archives"
	$(DEMO) ingest demo/seizure/phone1 demo/seizure/camera-sd.img demo/seizure/usb-stick --case DEMO-2026-0001
	@echo "== the same command again resumes: everything committed is skipped"
	$(DEMO) ingest demo/seizure/phone1 demo/seizure/camera-sd.img demo/seizure/usb-stick --case DEMO-2026-0001
	$(DEMO) summary --case DEMO-2026-0001
	@echo "== what could not be read, and why (nothing is dropped)"
	$(DEMO) warnings --case DEMO-2026-0001
	@echo "== the card's files: provenance through the disk image, the deleted photo flagged"
	$(DEMO) files --case DEMO-2026-0001 --exhibit camera-sd.img --format table
	@echo "Database: demo/jejak.db   (try: $(DEMO) files --case DEMO-2026-0001 --format jsonl)"

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

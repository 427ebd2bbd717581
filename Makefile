# jejak: make demo | make test | make install | make bench
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: screenshots install demo test lint typecheck pytest bench bench-ingest bench-index bench-lists bench-robustness bench-video bench-audio bench-scene bench-server bench-ui clean

install: $(STAMP)

$(STAMP): pyproject.toml scripts/debian-deps
	@scripts/debian-deps
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[disk,dask,postgres,server,bench,dev]"
	@touch $(STAMP)

DEMO_DB := sqlite:///demo/jejak.db
DEMO := $(BIN)/jejak --db $(DEMO_DB)

demo: install
	$(BIN)/jejak demo build demo
	rm -rf demo/jejak.db demo/jejak.db-wal demo/jejak.db-shm demo/jejak.db.index demo/jejak.db.preserved
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
	@echo "== known-hash lists: Project VIC (VICS 2.0), an ICSE export, a platform's PDQ list, NSRL (known-good)"
	$(DEMO) lists import demo/lists/projectvic-2026-10.json --name ProjectVIC --by "demo examiner"
	$(DEMO) lists import demo/lists/icse-export.csv --name ICSE --by "demo examiner"
	$(DEMO) lists import demo/lists/platform-pdq.txt --name platform --format pdq --by "demo examiner"
	$(DEMO) lists import demo/lists/nsrl-rds-demo.db --name NSRL --known-good --by "demo examiner"
	@echo "== a unit's own list, built from files: one phone photo (its resized copy will match by PDQ)"
	$(DEMO) lists build demo/seizure/phone1/DCIM/Camera/IMG_20260101_120001.jpg --name unit-known --category 2
	@echo "== a unit's reference pictures, described with local features for the robust stage"
	$(DEMO) lists build demo/reference --name unit-series --category 1 --series "Demo Series Blue"
	$(DEMO) lists ls
	@echo "== a laptop: ingest matches it at once now that lists exist (exact, PDQ, rotated and mirrored copies)"
	$(DEMO) ingest demo/seizure/laptop --case DEMO-2026-0001
	@echo "== a tablet: cropped, rotated 7 degrees, padded, screenshotted, mirrored+cropped copies and a small thumbnail of a crop, which PDQ cannot follow;"
	@echo "   and a checkerboard saved again at JPEG quality 20: PDQ 44 bits away, its corners in place (pdq+aligned)"
	$(DEMO) ingest demo/seizure/tablet --case DEMO-2026-0001
	$(DEMO) triage --case DEMO-2026-0001 --format table --exhibit tablet
	@echo "== match the whole case again (the phone, card and stick were ingested before the lists)"
	$(DEMO) match --case DEMO-2026-0001
	$(DEMO) triage --case DEMO-2026-0001 --summary
	@echo "== triage: new material first (it may show a child nobody has identified), then known, then known-good"
	$(DEMO) triage --case DEMO-2026-0001 --format table --limit 8
	$(DEMO) triage --case DEMO-2026-0001 --format table --status known
	$(DEMO) triage --case DEMO-2026-0001 --format table --status known_good
	@echo "== the November release of the Project VIC list: one entry withdrawn, one re-categorised, one added"
	$(DEMO) lists import demo/lists/projectvic-2026-11.json --name ProjectVIC --by "demo examiner"
	$(DEMO) lists show ProjectVIC
	$(DEMO) match --case DEMO-2026-0001
	@echo "== video and audio: a unit's known clip (vPDQ frame hashes) and known song (Chromaprint fingerprint)"
	$(DEMO) lists build demo/reference-media --name unit-media --category 1 --series "Demo Series Blue"
	@echo "== a messenger export: the clip inside a longer re-encoded video and a greyscale copy of that video,"
	@echo "   one of the clip's frames as a still, two videos with different pictures sharing the song,"
	@echo "   an unrelated video and voice note; the clip re-shared with bars and a big sticker, and a"
	@echo "   rotated, cropped frame of it (vPDQ misses both: the robust stage finds them by keyframes)"
	$(DEMO) ingest demo/seizure/messenger --case DEMO-2026-0001
	$(DEMO) triage --case DEMO-2026-0001 --format table --exhibit messenger
	$(DEMO) links --case DEMO-2026-0001 --rules vpdq,chromaprint,orb.frame,orb.frames
	@echo "== the video's contact sheet, greyscale and blurred (--reveal shows it sharp); a categorised segment"
	$(DEMO) preview VID-20260301-WA0001.mp4 --case DEMO-2026-0001 --output demo/contact-sheet.png
	$(DEMO) segment add VID-20260301-WA0001.mp4 --case DEMO-2026-0001 --start 12 --end 20 --category 1
	@echo "== the unit's known videos as Meta vPDQ files, imported again as a partner's list"
	$(DEMO) lists export unit-media --format vpdq --output demo/vpdq
	$(DEMO) lists import demo/vpdq --format vpdq --name partner-vpdq --by "demo examiner"
	@echo "== only the known items, as CSV; and the case as a VICS 2.0 export (with the video's segment)"
	$(DEMO) triage --case DEMO-2026-0001 --status known --format csv | cut -d, -f4-7,14-18 | head -12
	$(DEMO) export --case DEMO-2026-0001 --format vics --output demo/DEMO-2026-0001.vics.json
	@echo "== link analysis: two agencies, three seizures; links by near-duplicate, camera serial, place,"
	@echo "   chat invite link and shared soundtrack, and the alerts each side receives"
	$(DEMO) case create NL-1 --agency "Politie NL"
	$(DEMO) case create ID-7 --agency "Polri ID"
	$(DEMO) case create ID-9 --agency "Polri ID"
	JEJAK_SCENE_ENABLED=1 $(DEMO) ingest demo/agencies/nl-phone --case NL-1
	JEJAK_SCENE_ENABLED=1 $(DEMO) ingest demo/agencies/id-laptop --case ID-7
	JEJAK_SCENE_ENABLED=1 $(DEMO) ingest demo/agencies/id-phone --case ID-9
	$(DEMO) alerts --case NL-1
	@echo "== an examiner in NL asserts a victim; the copies held in Indonesia are suggested for her"
	$(DEMO) assert media IMG_0002.jpg --case NL-1 --victim V-12 --unidentified --by "demo examiner NL"
	$(DEMO) workboard --case ID-7
	@echo "== an examiner in Indonesia rejects one suggestion: it stays rejected"
	$(DEMO) assert media foto_d.jpg --case ID-9 --victim V-12 --reject --by "demo examiner ID"
	$(DEMO) workboard --case ID-9
	$(DEMO) links --person V-12
	@echo "== same room (experimental rule): a room asserted for victim V-31 in NL; a new photo of it in Indonesia"
	$(DEMO) assert media IMG_0004.jpg --case NL-1 --victim V-31 --by "demo examiner NL"
	JEJAK_SCENE_ENABLED=1 $(DEMO) match --case ID-7
	$(DEMO) workboard --case ID-7
	$(DEMO) links --case NL-1 --min-score 0.5
	$(DEMO) graph --case NL-1 --format graphml > demo/NL-1.graphml
	$(DEMO) graph --case NL-1 --format geojson > demo/NL-1.places.geojson
	$(DEMO) graph --case NL-1 --path case:NL-1 case:ID-9
	@echo "== the multi-agency server: accounts, tokens, jejak serve, a platform's HMA-style lookups, isolation,"
	@echo "   sharing, and the hash-chained audit trail (scripts/demo-server)"
	scripts/demo-server
	@echo "== the review UI: jejak serve --roles ui walked by Chromium, a screenshot of every screen (scripts/demo-ui)"
	scripts/demo-ui demo/screenshots
	@echo "Database: demo/jejak.db   (try: $(DEMO) triage --case DEMO-2026-0001 --format jsonl)"

# docs/ui/*.png, the screenshots docs/ui.md shows: the review UI over the demo database (run make demo first)
screenshots: install
	scripts/demo-ui docs/ui

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest -q

test: lint typecheck pytest

bench: bench-ingest bench-index bench-lists bench-robustness bench-video bench-audio bench-scene bench-server bench-ui

bench-ingest: install
	$(BIN)/python benchmarks/ingest.py

bench-index: install
	$(BIN)/python benchmarks/index.py

bench-lists: install
	$(BIN)/python benchmarks/lists.py

bench-robustness: install
	$(BIN)/python benchmarks/robustness.py

# Meta's vpdq package (the video benchmark's third column) builds against Debian's FFmpeg development files.
bench-video: install
	@dpkg-query -W libavcodec-dev >/dev/null 2>&1 || apt-get install -y -qq libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libavdevice-dev libavfilter-dev pkg-config cmake
	@$(BIN)/python -c "import vpdq" 2>/dev/null || $(BIN)/python -m pip install -q vpdq
	$(BIN)/python benchmarks/video.py

bench-audio: install
	$(BIN)/python benchmarks/audio.py

bench-scene: install
	$(BIN)/python benchmarks/scene.py

bench-ui: install
	$(BIN)/python benchmarks/ui.py

bench-server: install
	$(BIN)/python benchmarks/server.py

clean:
	rm -rf $(VENV) demo .pytest_cache .mypy_cache .ruff_cache

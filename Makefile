# Two commands a new user needs: `make run` (batch job on the bundled sample → ./out)
# and `make test` (the whole suite). Both build the virtualenv from the project's
# own pinned requirements first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FORMAT ?= avro

.PHONY: install run test bench-extraction bench-throughput bench-ner bench-events train-event-types clean

$(STAMP): requirements.txt requirements-dev.txt setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m pipelines.batch --input 'sample/seed/*.txt' --input 'sample/html/*.htm*' --input 'sample/feeds/*.jsonl' --output out --format $(FORMAT)

test: $(STAMP)
	$(BIN)/python -m pytest

bench-extraction: $(STAMP)
	$(BIN)/python -m benchmarks.extraction

bench-throughput: $(STAMP)
	$(BIN)/python -m benchmarks.throughput

bench-ner: $(STAMP)
	$(BIN)/python -m benchmarks.ner --calibrate

bench-events: $(STAMP)
	$(BIN)/python -m benchmarks.events

train-event-types: $(STAMP)
	$(BIN)/python -m benchmarks.train_event_types

clean:
	rm -rf out build *.egg-info .pytest_cache

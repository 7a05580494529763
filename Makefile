# Two commands a new user needs: `make run` (batch job on the bundled sample → ./out)
# and `make test` (the whole suite, what CI runs). Both build the virtualenv from the
# project's own pinned requirements first. `make test-fast` runs everything that needs
# no runner, broker or cluster (3 minutes on 2 cores); `make lint` runs ruff and mypy.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FORMAT ?= avro

.PHONY: install lock run run-daily report report-screenshot chromium test test-fast lint format runners bench-extraction bench-page-dates bench-throughput bench-whole bench-stage-costs bench-ner bench-events bench-event-detection bench-event-losses bench-events-nested bench-event-type-weights bench-event-learning-curve bench-typing-gate train-event-types clean

# the runtime from the hash-pinned lock (every wheel checked), then the test and lint tools
$(STAMP): requirements.lock requirements-dev.txt setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# requirements.lock: requirements.txt resolved with every wheel's sha256 (uv, from PyPI)
lock:
	$(PYTHON) -m venv .cache/uv-venv && .cache/uv-venv/bin/pip install --quiet uv==0.13.9
	.cache/uv-venv/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 --no-header --annotation-style line \
		requirements.txt -o requirements.lock

run: $(STAMP)
	$(BIN)/python -m pipelines.batch --input 'sample/seed/*.txt' --input 'sample/html/*.htm*' --input 'sample/feeds/*.jsonl' --output out --format $(FORMAT) --summary_json out/summary.json

# the sample as a dated incremental run in Parquet: out-daily/<kind>/dt=$(RUN_DATE)/, out-daily/_runs/
RUN_DATE ?= $(shell date -u +%F)
run-daily: $(STAMP)
	$(BIN)/python -m pipelines.batch $(SAMPLE_INPUTS) --output out-daily --format parquet --run_date $(RUN_DATE) --incremental
	$(BIN)/python -m pipelines.runs out-daily

# after `make run`: one self-contained HTML page over out/ (map, timelines, entities, events, run health)
report: $(STAMP)
	$(BIN)/python -m pipelines.report out --html out/report.html

# docs/report.png: the sample report in headless Chromium, network off (needs `make chromium`)
report-screenshot: report chromium
	$(BIN)/python -m tools.headless_chromium out/report.html --screenshot docs/report.png --height 1560

# Debian's chromium for the browser test (apt-get as root; says what to do elsewhere)
chromium:
	bash scripts/install_chromium.sh

# the suite includes the runner and Kafka tests (markers prism, flink, kafka): their binaries,
# jars and distributions are fetched first by the project's own scripts (cached in .cache/);
# the report's browser test (marker browser): Debian's chromium, installed by `make chromium`;
# and the deploy tests (marker deploy): the Airflow environment and the Flink operator CRDs
test: $(STAMP) runners chromium deploy-setup
	$(BIN)/python -m pytest

# no Prism, Flink, Kafka or Airflow: unit tests and DirectRunner pipelines, one pytest process per core
test-fast: $(STAMP)
	$(BIN)/python -m pytest -n auto -m "not prism and not flink and not kafka and not deploy"

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy pipelines transforms reporting

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

runners: prism kafka-setup flink-setup

bench-extraction: $(STAMP)
	$(BIN)/python -m benchmarks.extraction

# publication dates found in pages vs WCXB dev's gold dates (the cleanup's policy and htmldate's extensive search)
bench-page-dates: $(STAMP)
	$(BIN)/python -m benchmarks.page_dates

bench-throughput: $(STAMP)
	$(BIN)/python -m benchmarks.throughput

# issue #4's speed bar: the whole job vs its NER stage alone, and where the difference goes
bench-whole: $(STAMP)
	$(BIN)/python -m benchmarks.throughput --whole --pages 500 --repeats 2

bench-stage-costs: $(STAMP)
	$(BIN)/python -m benchmarks.stage_costs --pages 500 --repeats 3

bench-ner: $(STAMP)
	$(BIN)/python -m benchmarks.ner --calibrate

bench-events: $(STAMP)
	$(BIN)/python -m benchmarks.events

# event detection on the labelled sentences' held-out test split; did-not-happen drops on CASE
bench-event-detection: $(STAMP)
	$(BIN)/python -m benchmarks.event_detection
	$(BIN)/python -m benchmarks.event_filters

# where the event stage loses real events (train split, out-of-fold detectors; test split unread)
bench-event-losses: $(STAMP)
	$(BIN)/python -m benchmarks.event_losses

bench-events-nested: $(STAMP)
	$(BIN)/python -m benchmarks.events_nested

# how the detector's out-of-fold ranking grows with the labelled train documents
bench-event-learning-curve: $(STAMP)
	$(BIN)/python -m benchmarks.event_learning_curve

# the typing gate (min_probability) against the cuts and the whole stage's out-of-fold figures
bench-typing-gate: $(STAMP)
	$(BIN)/python -m benchmarks.typing_gate

# how much the labelled news events weigh in the English typing model (CASE and news CV)
bench-event-type-weights: $(STAMP)
	$(BIN)/python -m benchmarks.event_type_weights

train-event-types: $(STAMP)
	$(BIN)/python -m tools.train_event_types

clean:
	rm -rf out build *.egg-info .pytest_cache

# --- issue #5: local runners and Kafka (caches under .cache/, gitignored) ---
.PHONY: prism kafka-setup kafka-start kafka-stop
KAFKA_PORT ?= 9092

# Beam's Prism runner binary -> .cache/bin/prism (Go module proxy; idempotent)
prism:
	bash scripts/build_prism.sh

# Kafka broker jars from Maven Central -> .cache/kafka/<version>/libs (idempotent)
kafka-setup:
	bash deploy/kafka/fetch.sh

# a single-node KRaft broker on 127.0.0.1:$(KAFKA_PORT), data in $${TMPDIR:-/tmp}/newsfeed-kafka-$(KAFKA_PORT)
kafka-start: kafka-setup
	bash deploy/kafka/start.sh --port $(KAFKA_PORT)

kafka-stop:
	bash deploy/kafka/stop.sh --port $(KAFKA_PORT)

# --- Flink runner (deploy/flink/; jars and a Flink 1.19 distribution cached under .cache/flink) ---
.PHONY: flink-setup flink-run-local flink-cluster-start flink-cluster-stop flink-run-cluster test-flink
FLINK_REST_PORT ?= 8081
FLINK_JOB_SERVER_JAR = $(shell bash -c 'source deploy/flink/env.sh && echo $$FLINK_JOB_SERVER_JAR')
FLINK_OPTS = --runner FlinkRunner --flink_version 1.19 --flink_job_server_jar $(FLINK_JOB_SERVER_JAR) --parallelism 2
SAMPLE_INPUTS = --input 'sample/seed/*.txt' --input 'sample/html/*.htm*' --input 'sample/feeds/*.jsonl'

# Beam's Flink job server (Maven Central) + Flink distribution (PyPI); idempotent
flink-setup:
	bash deploy/flink/fetch.sh

# the batch job on an embedded Flink mini-cluster (inside the job-server JVM) -> out/flink-local
flink-run-local: $(STAMP) flink-setup
	$(BIN)/python -m pipelines.batch $(SAMPLE_INPUTS) --output out/flink-local --format $(FORMAT) $(FLINK_OPTS) --flink_master '[local]' --flink_conf_dir deploy/flink/conf

# JobManager + TaskManager (2 slots) on 127.0.0.1:$(FLINK_REST_PORT)
flink-cluster-start: flink-setup
	bash deploy/flink/start-cluster.sh --rest-port $(FLINK_REST_PORT)

flink-cluster-stop:
	bash deploy/flink/stop-cluster.sh --rest-port $(FLINK_REST_PORT)

# the batch job submitted to the session cluster (SDK harness in this process: LOOPBACK) -> out/flink-cluster
flink-run-cluster: $(STAMP) flink-setup
	$(BIN)/python -m pipelines.batch $(SAMPLE_INPUTS) --output out/flink-cluster --format $(FORMAT) $(FLINK_OPTS) --flink_master localhost:$(FLINK_REST_PORT) --environment_type LOOPBACK

# parity test: DirectRunner = Flink embedded = Flink session cluster (starts/stops its own cluster)
test-flink: $(STAMP) flink-setup
	$(BIN)/python -m pytest -m flink

# --- issue #5 benchmarks (results in benchmarks/results/; each starts and stops its own broker/cluster) ---
.PHONY: bench-stream-latency bench-flink-scaleout
# Kafka append -> first early-firing aggregate counting the article, p50/p99, 20 articles/s for 2 min, Prism and Flink
bench-stream-latency: $(STAMP) prism kafka-setup flink-setup
	$(BIN)/python -m benchmarks.stream_latency --runner prism --rate 20 --seconds 120 --early_firing_seconds 5 --drain_seconds 900 --quiet_seconds 200
	$(BIN)/python -m benchmarks.stream_latency --runner flink --worker_pool --rate 20 --seconds 120 --early_firing_seconds 5 --drain_seconds 600

# batch job on the Flink session cluster, parallelism 2 vs 1 on 5,000 pages (PROCESS worker pool)
bench-flink-scaleout: $(STAMP) flink-setup
	$(BIN)/python -m benchmarks.flink_scaleout --pages 5000 --skip_entities

# --- issue #14: scheduling (docs/deployment.md) ---
.PHONY: deploy-setup airflow-env flink-operator-crds test-deploy validate-manifests
# Airflow 3.3.2 in its own environment -> .cache/airflow/venv (pinned, deploy/airflow/requirements.txt)
airflow-env:
	bash deploy/airflow/build-env.sh

# the Flink Kubernetes Operator's CRD schemas (Maven Central) -> .cache/flink-operator/1.10.0
flink-operator-crds:
	bash deploy/flink/k8s/fetch-crds.sh

deploy-setup: airflow-env flink-operator-crds

# DagBag, two-date `airflow dags test`, manifest validation, Flex Template parameters
test-deploy: $(STAMP) deploy-setup
	$(BIN)/python -m pytest -m deploy

validate-manifests: $(STAMP) flink-operator-crds
	$(BIN)/python -m tools.validate_manifests deploy/flink/k8s/*.yaml --crds .cache/flink-operator/1.10.0

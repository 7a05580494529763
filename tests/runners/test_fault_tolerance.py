"""Fault tolerance: the streaming job on a Flink session cluster loses its TaskManager
mid-stream (SIGKILL), Flink restores the last checkpoint on a replacement TaskManager,
and the final aggregates equal those of an uninterrupted run.

What runs (each piece started here, on free 127.0.0.1 ports, and stopped at the end):

* a Kafka broker (``kafka_fixture.kafka_broker``) and a one-partition topic;
* a Flink 1.19 session cluster (``deploy/flink/start-cluster.sh --checkpoints DIR``:
  hashmap state backend, checkpoints under the test's tmp dir, fixed-delay restart
  strategy, 1 s heartbeats);
* a producer thread writing N article records at a steady rate, built from the seed
  dump (tests/fixtures/seed) and sample/feeds: each a copy of one of the templates
  with its own id, URL, body (a reference line) and a publication time spread over
  a few closed 15-minute windows;
* ``python -m pipelines.stream`` on the cluster (``--streaming``, LOOPBACK SDK harness
  in the launching process, ``--checkpointing_interval``); it stops reading
  ``--stop_after_minutes`` after its start, and the Flink job ends
  ``--shutdown_sources_after_idle_ms`` after its (re)start;
* once checkpoints have completed and pane files exist, the TaskManager is killed
  (SIGKILL) and ``deploy/flink/taskmanager.sh start`` starts a new one.

The reference is the same records through the same job on the DirectRunner
(FnApiRunner, bounded by ``--stop_after_minutes``), see ``reference_snapshot``.

Compared: per window, the final snapshot (the highest pane, without its pane
fields) of the aggregates and the latest version of every event (ids, articles).
Event ids depend on the order in which a cluster's reports arrive (an event keeps the
id of its first report), so the job runs with ``--parallelism 1`` over one partition:
the order is the topic's, on both runners and across a restore.

The first record in the topic is dated 2099 (a feed's clock error): the reader clamps it
and its watermark stays at the record's ingestion time, so every current article after
it is counted on Flink as on the DirectRunner (none too late).

Known defect (Beam 2.62 portable Flink runner, the newest whose jars Maven Central serves
here): the watermark of a Python splittable DoFn is not tracked reliably
(apache/beam#19637, fixed only by apache/beam#39191 in 2026). In some starts (2 of 7 seen
here, more under load) the end-of-time watermark reaches the stages after the reader before the reader's
watermark hold does, the global window counts as expired, and the stateful stages drop
every record (``StatefulParDoDropped``). Such a start is detected by the job itself:
while it runs, ``pipelines/flink_watch.py`` sees the end-of-time input watermark of the
dedup stage on the cluster's REST API and cancels the job; at its end, the
``StatefulParDoDropped`` counter fails the run. Either way ``pipelines.stream`` exits 1
with a diagnosis (it used to exit 0 with a MISMATCH line). The test asserts that
detection for every start that ended early, submits the job again from the start of the
topic (as the diagnosis says), up to MAX_SUBMISSIONS times, and fails (never xfails) if
every start dropped. The reader's end-of-time watch (``transforms.io.kafka._WatchEndOfTime``) did not
fire in the one dropped start observed after it was added (its own element was dropped
too); ``test_end_of_time_watch_fails_a_flink_job`` forces the condition it does catch.

Needs ``make flink-setup`` and ``make kafka-setup``; without them it skips, except
under CI=true, where a missing setup fails (as tests/test_flink.py).
"""

from __future__ import annotations

import datetime as dt
import glob
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Dict, List, Optional, Set

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLINK_DIR = ROOT / "deploy" / "flink"
WINDOW_MINUTES = 15

pytestmark = [pytest.mark.flink, pytest.mark.kafka, pytest.mark.slow]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- the records ---------------------------------------------------------------------------------


def article_templates() -> List[dict]:
    """The seed dump's and sample feed's clean articles, as feed records (text = paragraphs)."""
    sys.path.insert(0, str(ROOT))
    from transforms.clean.cleanup import clean_document
    from transforms.io.formats import read_documents
    from transforms.records import CleanedArticle, RawDocument

    paths = sorted(glob.glob(str(ROOT / "tests" / "fixtures" / "seed" / "*.txt")))
    paths += sorted(glob.glob(str(ROOT / "sample" / "feeds" / "*.jsonl")))
    templates = []
    for path in paths:
        with open(path, "rb") as handle:
            for doc in read_documents(path, handle):
                if not isinstance(doc, RawDocument):
                    continue
                for article in clean_document(doc):
                    if isinstance(article, CleanedArticle) and article.url:
                        templates.append(
                            {
                                "title": article.title,
                                "source": article.source,
                                "language": article.declared_language,
                                "paragraphs": list(article.paragraphs),
                            }
                        )
    assert len(templates) >= 5, f"only {len(templates)} templates from {paths}"
    return templates


def make_articles(count: int, now: Optional[dt.datetime] = None) -> List[dict]:
    """``count`` distinct article records (own id, URL and body), round-robin over the
    templates, published in the 4 closed windows before the current one."""
    now = now or dt.datetime.now(dt.UTC)
    window = dt.timedelta(minutes=WINDOW_MINUTES)
    current = now.replace(minute=now.minute - now.minute % WINDOW_MINUTES, second=0, microsecond=0)
    first = current - 4 * window
    templates = article_templates()
    records = []
    for n in range(count):
        template = templates[n % len(templates)]
        published = first + (4 * window - dt.timedelta(seconds=1)) * (n / max(count - 1, 1))
        paragraphs = list(template["paragraphs"])
        paragraphs[-1] = f"{paragraphs[-1]} (Réf. FT-{n:05d}.)"  # own body fingerprint
        records.append(
            {
                "id": f"ft-{n:05d}",
                "url": f"https://ft{n % len(templates)}.example.org/news/{n:05d}",
                "title": template["title"],
                "source": template["source"],
                "language": template["language"],
                "published": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "text": "\n\n".join(paragraphs),
            }
        )
    return records


def produce(
    bootstrap: str,
    topic: str,
    records: List[dict],
    per_second: float,
    stop: threading.Event,
    produced: List[int],
    pause_at: Optional[int] = None,
    resume: Optional[threading.Event] = None,
    max_pause: float = 180.0,
) -> None:
    """Writes ``records`` in order at a steady rate (key = id); ``produced[0]`` counts them.
    After ``pause_at`` records it waits (at most ``max_pause`` s) for ``resume``: the
    fault is injected while the stream is half written."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "enable.idempotence": True})
    started = time.monotonic()
    for n, record in enumerate(records):
        if stop.is_set():
            break
        if pause_at is not None and n == pause_at and resume is not None:
            producer.flush(30)
            paused = time.monotonic()
            resume.wait(max_pause)
            started += time.monotonic() - paused
        delay = started + n / per_second - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        producer.produce(topic, key=record["id"].encode(), value=json.dumps(record, ensure_ascii=False).encode())
        producer.poll(0)
        produced[0] = n + 1
    assert producer.flush(30) == 0


def new_topic(bootstrap: str) -> str:
    from confluent_kafka.admin import AdminClient, NewTopic

    name = f"ft-articles-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, 1, 1)])[name].result(timeout=30)
    return name


# --- the cluster ---------------------------------------------------------------------------------


def flink_env() -> Dict[str, str]:
    out = subprocess.run(
        ["bash", "-c", f"source {FLINK_DIR / 'env.sh'} && env -0"], check=True, capture_output=True, text=True
    ).stdout
    env = dict(item.split("=", 1) for item in out.split("\0") if "=" in item)
    return {
        key: env[key] for key in ("FLINK_JOB_SERVER_JAR", "FLINK_JOB_SERVER_DIR", "FLINK_HOME_DIR", "FLINK_RUN_ROOT")
    }


def rest(port: int, path: str, method: str = "GET") -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    with urllib.request.urlopen(request, timeout=5) as response:
        body = response.read()
    return json.loads(body) if body else {}


def taskmanager_pids(rest_port: int) -> List[int]:
    out = subprocess.run(
        ["bash", str(FLINK_DIR / "taskmanager.sh"), "pids", "--rest-port", str(rest_port)],
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    return [int(line) for line in out.split()]


def flink_jobs(rest_port: int) -> List[dict]:
    """Every job the session cluster knows, finished ones included (earlier submissions)."""
    try:
        return rest(rest_port, "/jobs/overview").get("jobs", [])
    except (OSError, ValueError):
        return []


def submitted_job(rest_port: int, earlier: Set[str]) -> Optional[dict]:
    """The job of the current submission: the one not among the ``earlier`` job ids."""
    fresh = [job for job in flink_jobs(rest_port) if job["jid"] not in earlier]
    return max(fresh, key=lambda job: job.get("start-time", 0)) if fresh else None


def job_state(rest_port: int, job_id: str) -> Optional[str]:
    return next((job.get("state") for job in flink_jobs(rest_port) if job["jid"] == job_id), None)


def checkpoint_counts(rest_port: int, job_id: str) -> dict:
    """{"completed": …, "restored": …, …}; {} while the job is still being scheduled (HTTP 500)."""
    try:
        return rest(rest_port, f"/jobs/{job_id}/checkpoints").get("counts", {})
    except (OSError, ValueError):
        return {}


def end_of_time_failures(rest_port: int, job_id: str) -> List[str]:
    """The job's task failures raised by the reader's end-of-time watch (Flink keeps a history)."""
    try:
        history = rest(rest_port, f"/jobs/{job_id}/exceptions").get("exceptionHistory", {}).get("entries", [])
    except (OSError, ValueError):
        return []
    return [entry.get("exceptionName", "") for entry in history if "EndOfTimeTooEarly" in json.dumps(entry)]


def flink_committed(bootstrap: str, topic: str, group_args: List[str]) -> int:
    from confluent_kafka import Consumer, TopicPartition

    group = group_args[0].split("=", 1)[1]
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        return consumer.committed([TopicPartition(topic, 0)], timeout=10)[0].offset
    finally:
        consumer.close()


def counter(summary: str, stage: str, name: str) -> int:
    """A counter from the job's printed table ("stage  counter  value"); 0 when absent."""
    for line in summary.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == stage and parts[1] == name and parts[2].isdigit():
            return int(parts[2])
    return 0


def clock_error(template: dict) -> dict:
    """A record whose feed's clock says 2099."""
    return dict(
        template,
        id="ft-clock-error",
        url="https://clock.example.org/news/2099",
        published="2099-06-01T12:00:00Z",
        text=template["text"] + " (Réf. FT-2099.)",
    )


# --- outputs -------------------------------------------------------------------------------------


def read_jsonl(path: Path) -> List[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


PANE_FIELDS = ("pane_index", "timing", "is_first", "is_last")


def final_snapshots(output: Path, kind: str) -> Dict[str, List[str]]:
    """{window: sorted canonical JSON rows of its final snapshot, without pane fields}: the
    window's pane written last, ``<output>/latest/<kind>/<window>.jsonl`` (pane indices
    start over after a restore, so the highest index is not the final pane there)."""
    return {
        path.stem: sorted(
            json.dumps({k: v for k, v in row.items() if k not in PANE_FIELDS}, sort_keys=True)
            for row in read_jsonl(path)
        )
        for path in sorted((output / "latest" / kind).glob("*.jsonl"))
    }


def stale_highest_panes(output: Path, kind: str) -> List[str]:
    """Windows whose highest-numbered pane file differs from the final snapshot (a pane of the
    failed attempt numbered above the restored attempt's panes)."""
    stale = []
    for folder in sorted(p for p in (output / kind).iterdir() if p.is_dir()):
        highest = sorted(folder.glob("pane-*.jsonl"))[-1]
        strip = lambda rows: [{k: v for k, v in r.items() if k not in PANE_FIELDS} for r in rows]  # noqa: E731
        if strip(read_jsonl(highest)) != strip(read_jsonl(output / "latest" / kind / f"{folder.name}.jsonl")):
            stale.append(f"{folder.name}/{highest.name}")
    return stale


def stream_command(bootstrap: str, topic: str, output: Path, extra: List[str]) -> List[str]:
    return [
        sys.executable,
        "-m",
        "pipelines.stream",
        "--kafka_bootstrap",
        bootstrap,
        "--kafka_topic",
        topic,
        "--output",
        str(output),
        "--format",
        "jsonl",
        *extra,
    ]


# --- the test ------------------------------------------------------------------------------------

ARTICLES = 60
RATE = 4.0  # records a second
CHECKPOINT_MS = 3000
STOP_AFTER_MINUTES = 1.0  # the reader stops this long after the job listed the partitions
IDLE_SHUTDOWN_MS = 75000  # the Flink job ends this long after its (re)start
JOB_TIMEOUT = 420
# a start loses the watermark race in ~2 of 7 runs on a quiet machine, and more often under load
# (4 of 4 once, 2026-12-06, with other tests running beside CI); each loss must be detected
MAX_SUBMISSIONS = 8


def require_setup() -> Dict[str, str]:
    from tests.runners.test_flink import require_setup as flink_setup

    return flink_setup()  # skips without `make flink-setup`, fails under CI=true


@pytest.fixture
def flink_cluster(tmp_path: Path):
    """A session cluster with checkpoints under tmp_path; yields its REST port."""
    from tests.runners.test_flink import free_port

    paths = require_setup()
    rest_port, rpc_port = free_port(), free_port()
    started = time.monotonic()
    start = subprocess.run(
        [
            "bash",
            str(FLINK_DIR / "start-cluster.sh"),
            "--rest-port",
            str(rest_port),
            "--rpc-port",
            str(rpc_port),
            "--checkpoints",
            str(tmp_path / "checkpoints"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        assert start.returncode == 0, f"cluster did not start:\n{start.stdout}\n{start.stderr}"
        log(f"Flink session cluster on 127.0.0.1:{rest_port} up in {time.monotonic() - started:.0f} s")
        yield rest_port, paths
    finally:
        subprocess.run(
            ["bash", str(FLINK_DIR / "stop-cluster.sh"), "--rest-port", str(rest_port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        import shutil

        shutil.rmtree(Path(paths["FLINK_RUN_ROOT"]) / f"cluster-{rest_port}", ignore_errors=True)


from tests.support.kafka import kafka_broker  # noqa: E402,F401  (pytest fixture)


def test_taskmanager_killed_mid_stream_gives_the_uninterrupted_aggregates(kafka_broker, flink_cluster, tmp_path):
    rest_port, paths = flink_cluster
    began = time.monotonic()
    topic = new_topic(kafka_broker)
    records = [clock_error(make_articles(1)[0])] + make_articles(ARTICLES)
    half = ARTICLES // 2
    stop, resume, produced = threading.Event(), threading.Event(), [0]
    producer = threading.Thread(
        target=produce, daemon=True, args=(kafka_broker, topic, records, RATE, stop, produced, half, resume)
    )
    producer.start()
    # the first half is in the topic before the job starts reading (and the fault comes while
    # the second half is missing)
    deadline = time.monotonic() + 60
    while produced[0] < half and time.monotonic() < deadline:
        time.sleep(0.2)
    assert produced[0] == half, f"producer stuck at {produced[0]} records"
    log(f"{half} of {ARTICLES} articles in topic {topic}; submitting the streaming job")

    flink_args = [
        "--runner=FlinkRunner",
        "--flink_version=1.19",
        f"--flink_job_server_jar={paths['FLINK_JOB_SERVER_JAR']}",
        f"--flink_master=localhost:{rest_port}",
        "--environment_type=LOOPBACK",
        "--parallelism=1",
        f"--checkpointing_interval={CHECKPOINT_MS}",
        f"--shutdown_sources_after_idle_ms={IDLE_SHUTDOWN_MS}",
        f"--stop_after_minutes={STOP_AFTER_MINUTES}",
        "--early_firing_seconds=5",
    ]
    seen: Dict[str, object] = {"dropped_starts": 0}
    job = None
    try:
        # 1. wait for completed checkpoints and pane files, then kill the TaskManager. A start that
        # loses the job server's watermark race (see the module docstring) must end loudly: exit code
        # 1 and the job's own diagnosis. It is then submitted again, from the start of the topic
        # with a fresh consumer group, as the diagnosis tells a user to.
        for attempt in range(1, MAX_SUBMISSIONS + 1):
            output = tmp_path / f"flink-{attempt}"
            job_log = tmp_path / f"flink-job-{attempt}.log"
            submitted = time.monotonic()
            earlier = {job["jid"] for job in flink_jobs(rest_port)}
            group = [f"--kafka_group=ft-flink-{topic}-{attempt}", "--kafka_start=earliest"]
            with job_log.open("w") as log_handle:
                job = subprocess.Popen(
                    stream_command(kafka_broker, topic, output, flink_args + group),
                    cwd=ROOT,
                    stdout=log_handle,
                    stderr=subprocess.STDOUT,
                )
            dropped = False
            while True:
                if job.poll() is not None:
                    text = job_log.read_text()
                    if job.returncode != 0 and "apache/beam#19637" in text:
                        # the detection: cancelled live (pipelines/flink_watch.py) or failed at its end
                        # on the StatefulParDoDropped counter, loudly, with the diagnosis
                        seen.setdefault("detections", []).append(
                            "live" if "reached the end of time while the Kafka read still runs" in text else "end"
                        )
                        dropped = True
                        break
                    pytest.fail(f"job ended before the fault (exit {job.returncode}):\n{text[-4000:]}")
                assert time.monotonic() - submitted < 300, "no checkpoint and output within 300 s"
                running = submitted_job(rest_port, earlier)
                counts = checkpoint_counts(rest_port, running["jid"]) if running else {}
                panes = list(output.glob("aggregates/*/pane-*")) if output.exists() else []
                if counts.get("completed", 0) >= 2 and panes:
                    break
                time.sleep(1)
            if not dropped:
                break
            seen["dropped_starts"] += 1
            log(f"submission {attempt}: the job dropped every record and failed loudly (detected); submitting again")
        else:
            pytest.fail(f"all {MAX_SUBMISSIONS} starts lost the job server's watermark race (each detected)")
        job_id = running["jid"]
        victims = taskmanager_pids(rest_port)
        seen.update(
            checkpoints_before_kill=counts["completed"],
            panes_before_kill=len(panes),
            read_before_kill=produced[0],
            seconds_to_kill=round(time.monotonic() - submitted),
        )
        log(f"SIGKILL TaskManager {victims} after {counts['completed']} checkpoints, {len(panes)} pane files")
        killed = time.monotonic()
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        resume.set()  # the second half is written while the job recovers
        restarted = subprocess.run(
            ["bash", str(FLINK_DIR / "taskmanager.sh"), "start", "--rest-port", str(rest_port), "--wait-slots", "2"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert restarted.returncode == 0, restarted.stderr
        log(restarted.stdout.strip())
        # 2. the job restores the last checkpoint on the new TaskManager
        while True:
            counts = checkpoint_counts(rest_port, job_id)
            state = job_state(rest_port, job_id)
            if counts.get("restored", 0) >= 1 and state == "RUNNING":
                break
            assert job.poll() is None and time.monotonic() - killed < 180, (
                f"job not restored within 180 s (state {state}, {counts}):\n{job_log.read_text()[-4000:]}"
            )
            time.sleep(0.5)
        seen["recovery_seconds"] = round(time.monotonic() - killed, 1)
        log(f"job restored from a checkpoint {seen['recovery_seconds']} s after the kill; waiting for its end")
        # 3. the job ends by itself (reader stop condition, then idle sources shut down)
        job.wait(timeout=JOB_TIMEOUT)
    finally:
        stop.set()
        resume.set()
        if job is not None and job.poll() is None:
            job.kill()
            job.wait(30)
    producer.join(timeout=60)
    text = job_log.read_text()
    assert job.returncode == 0, f"streaming job failed ({job.returncode}):\n{text[-6000:]}"
    assert produced[0] == ARTICLES + 1
    final = checkpoint_counts(rest_port, job_id)
    assert final.get("restored", 0) >= 1, final
    seen.update(checkpoints_total=final.get("completed"), flink_run_seconds=round(time.monotonic() - submitted))
    # nothing dropped in the run that went through (it would have failed loudly); the counters of a
    # restored Flink job are those of the attempt after the restore
    watch_failures = len(end_of_time_failures(rest_port, job_id))
    seen.update(end_of_time_watch_failures=watch_failures, committed_offset=flink_committed(kafka_broker, topic, group))
    assert "StatefulParDoDropped" not in text, text[-4000:]
    # offsets committed to the job's consumer group on checkpoints: a second consumer sees progress
    assert 0 < seen["committed_offset"] <= ARTICLES + 1, seen

    # 4. the reference: the same topic through the same job on the DirectRunner (FnApiRunner)
    reference = tmp_path / "reference"
    started = time.monotonic()
    ref = subprocess.run(
        stream_command(
            kafka_broker,
            topic,
            reference,
            [
                "--runner=DirectRunner",
                "--kafka_group=ft-reference",
                "--kafka_start=earliest",
                "--direct_num_workers=1",
                "--stop_after_minutes=0.25",
                "--early_firing_seconds=0",
            ],
        ),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ref.returncode == 0, f"reference run failed:\n{ref.stdout[-3000:]}\n{ref.stderr[-4000:]}"
    total = ARTICLES + 1  # and the record dated 2099
    assert f"in = out + rejected + duplicates: {total} = {total} + 0 + 0  OK; too late for their window: 0" in (
        ref.stdout
    ), ref.stdout
    assert counter(ref.stdout, "kafka_read", "event_time_after_tomorrow") == 1, ref.stdout
    assert counter(ref.stdout, "kafka_read", "end_of_time_watches") == 1, ref.stdout
    seen["reference_seconds"] = round(time.monotonic() - started)

    # 5. final snapshots: every article counted once, the same events under the same ids
    seen["stale_highest_panes"] = {kind: stale_highest_panes(output, kind) for kind in ("aggregates", "events")}
    for kind in ("aggregates", "events"):
        got, expected = final_snapshots(output, kind), final_snapshots(reference, kind)
        assert expected and sorted(got) == sorted(expected), f"{kind}: windows {sorted(got)} != {sorted(expected)}"
        for window, rows in expected.items():
            assert got[window] == rows, (
                f"{kind} {window}: {len(got[window])} rows after the fault, {len(rows)} uninterrupted\n"
                f"only after the fault: {sorted(set(got[window]) - set(rows))[:3]}\n"
                f"only uninterrupted: {sorted(set(rows) - set(got[window]))[:3]}"
            )
    expected_events = final_snapshots(reference, "events")
    event_ids = {json.loads(row)["id"] for rows in expected_events.values() for row in rows}
    articles = {
        m["article_id"] for rows in expected_events.values() for row in rows for m in json.loads(row)["mentions"]
    }
    country_articles = sum(
        json.loads(row)["articles"]
        for rows in final_snapshots(reference, "aggregates").values()
        for row in rows
        if json.loads(row)["level"] == "country"
    )
    seen.update(
        windows=len(expected_events),
        events=len(event_ids),
        articles_with_events=len(articles),
        country_article_counts=country_articles,
        test_seconds=round(time.monotonic() - began),
    )
    assert len(expected_events) >= 3 and len(articles) >= ARTICLES // 2, seen
    log(f"fault tolerance: {seen}")


def test_end_of_time_watch_fails_a_flink_job():
    """The detection itself, forced: a reader that ends at once, long before its stop
    condition, lets the watermark reach the end of time; the watch fails the Flink job
    with its diagnosis instead of letting it run on with every record dropped."""
    from tests.streaming.test_kafka_stream import watch_pipeline

    paths = require_setup()
    flink_args = [
        "--runner=FlinkRunner",
        "--flink_version=1.19",
        f"--flink_job_server_jar={paths['FLINK_JOB_SERVER_JAR']}",
        "--flink_master=[local]",
        "--parallelism=1",
        "--streaming",
    ]
    in_an_hour = int((time.time() + 3600) * 1000)
    with pytest.raises(Exception) as failed:
        watch_pipeline(flink_args, in_an_hour)
    assert "reached the end of time while the Kafka read of topic 'articles' still runs" in str(failed.value)
    watch_pipeline(flink_args, int((time.time() - 1) * 1000))  # after the stop condition: a normal end

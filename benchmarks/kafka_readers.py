"""The project's Python Kafka reader vs Beam's own (Java) KafkaIO, on Flink embedded.

    .venv/bin/python -m benchmarks.kafka_readers                    # 50,000 records, 2 partitions, 1 repeat
    .venv/bin/python -m benchmarks.kafka_readers --records 5000     # a quick check

Beam's ``ReadFromKafka`` is cross-language: it needs a Java expansion service holding KafkaIO.
Maven Central does not serve ``beam-sdks-java-io-expansion-service`` at the job server's
version (2.62.0) here, but it serves ``beam-sdks-java-io-kafka:2.62.0``; its pom pulls
``io.confluent`` artifacts from Confluent's own repository, which is not reachable, so
``deploy/flink/kafka-expansion-pom.xml`` resolves it with those excluded (plus kafka-clients
3.7.0). This script:

1. resolves that classpath (``mvn dependency:copy-dependencies``, cached under
   ``.cache/flink/kafka-expansion/``; the jars the job server already has are left out);
2. starts ``org.apache.beam.sdk.expansion.service.ExpansionService`` on the job server's
   classpath + KafkaIO, with ``--defaultEnvironmentType=EMBEDDED`` (the Java transform then runs
   in the Flink TaskManager's JVM, no Docker);
3. writes a job-server launcher jar whose classpath also holds KafkaIO (the embedded Flink
   cluster runs in the job server's JVM);
4. starts a Kafka broker (deploy/kafka/start.sh), fills a topic with ``--records`` article-like
   JSON records over ``--partitions`` partitions;
5. runs, ``--repeats`` times each, alternating, on Flink embedded (``--flink_master [local]``,
   parallelism 1, streaming): ``ReadFromKafka`` (ours, bounded to the end offsets) and Beam's
   KafkaIO (2.62 payload fields only: the 2.77 Python wrapper sends fields 2.62 does not know,
   ``max_num_records`` = records). Both feed the same Python step that counts records and
   distinct (partition, offset) pairs. Reported: launcher wall seconds, the counts, records/s
   over wall time (the job server start, ~30-60 s, is in both);
6. writes ``benchmarks/results/kafka-readers.json``.

Both readers are checked for exactly-once (every offset once); medians are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import typing
from typing import Any, Dict, List

ROOT = pathlib.Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
BA = "org.apache.kafka.common.serialization.ByteArrayDeserializer"


def flink_paths() -> Dict[str, str]:
    out = subprocess.run(
        ["bash", "-c", f"source {ROOT / 'deploy/flink/env.sh'} && env -0"], check=True, capture_output=True, text=True
    ).stdout
    env = dict(item.split("=", 1) for item in out.split("\0") if "=" in item)
    return {key: env[key] for key in ("FLINK_JOB_SERVER_JAR", "FLINK_JOB_SERVER_DIR", "FLINK_CACHE")}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def kafka_expansion_classpath(paths: Dict[str, str]) -> pathlib.Path:
    """KafkaIO 2.62 and what the job server lacks of its dependencies, in one folder (cached)."""
    target = pathlib.Path(paths["FLINK_CACHE"]) / "kafka-expansion"
    if (target / ".complete").exists():
        return target
    resolved = pathlib.Path(tempfile.mkdtemp(prefix="kafka-expansion-"))
    subprocess.run(
        [
            "mvn",
            "-B",
            "-q",
            "-f",
            str(ROOT / "deploy/flink/kafka-expansion-pom.xml"),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={resolved}",
        ],
        check=True,
    )

    def base(name: str) -> str:
        """``grpc-api-1.61.0.jar`` → ``grpc-api``: the artifact, whatever its version."""
        parts = name[: -len(".jar")].split("-")
        head = [part for index, part in enumerate(parts) if not any(p[:1].isdigit() for p in parts[: index + 1])]
        return "-".join(head)

    present = {base(jar.name) for jar in (pathlib.Path(paths["FLINK_JOB_SERVER_DIR"]) / "lib").glob("*.jar")}
    target.mkdir(parents=True, exist_ok=True)
    for jar in sorted(resolved.glob("*.jar")):
        if base(jar.name) not in present:
            shutil.copy2(jar, target / jar.name)
    shutil.rmtree(resolved, ignore_errors=True)
    (target / ".complete").touch()
    return target


def launcher_jar(paths: Dict[str, str], extra: pathlib.Path) -> pathlib.Path:
    """A job-server launcher whose manifest classpath is the job server's plus KafkaIO."""
    jar = extra / "job-server-with-kafkaio.jar"
    if jar.exists():
        return jar
    jars = sorted((pathlib.Path(paths["FLINK_JOB_SERVER_DIR"]) / "lib").glob("*.jar")) + sorted(extra.glob("*-*.jar"))
    line = "Class-Path:" + "".join(f" file:{path}" for path in jars if path != jar)
    wrapped = [line[:70]] + [" " + line[i : i + 69] for i in range(70, len(line), 69)]
    manifest = extra / "MANIFEST.MF"
    manifest.write_text(
        "Manifest-Version: 1.0\nMain-Class: org.apache.beam.runners.flink.FlinkJobServerDriver\n"
        + "\n".join(wrapped)
        + "\n"
    )
    subprocess.run(["jar", "--create", "--file", str(jar), "--manifest", str(manifest)], check=True)
    return jar


class Read262(typing.NamedTuple):
    """KafkaIO 2.62's external read configuration (the 2.77 Python wrapper adds fields it rejects)."""

    consumer_config: typing.Mapping[str, str]
    topics: typing.List[str]
    key_deserializer: str
    value_deserializer: str
    start_read_time: typing.Optional[int]
    max_num_records: typing.Optional[int]
    max_read_time: typing.Optional[int]
    commit_offset_in_finalize: bool
    timestamp_policy: str
    consumer_polling_timeout: typing.Optional[int]
    redistribute: typing.Optional[bool]
    redistribute_num_keys: typing.Optional[Any]  # set to numpy.int32: KafkaIO 2.62 wants an Integer
    allow_duplicates: typing.Optional[bool]


def run_job(reader: str, bootstrap: str, topic: str, records: int, jar: pathlib.Path, expansion: str) -> Dict[str, Any]:
    """One job (in this process), returns wall seconds and counters."""
    import apache_beam as beam
    import numpy as np
    from apache_beam.metrics import Metrics
    from apache_beam.options.pipeline_options import PipelineOptions
    from apache_beam.transforms.external import ExternalTransform, NamedTupleBasedPayloadBuilder

    from transforms.io import kafka as kafka_io

    options = PipelineOptions(
        [
            "--runner=FlinkRunner",
            "--flink_version=1.19",
            f"--flink_job_server_jar={jar}",
            "--flink_master=[local]",
            "--parallelism=1",
            "--streaming",
        ]
    )
    counted = Metrics.counter("bench", "records")

    def offset_of(record):
        counted.inc()
        if isinstance(record, tuple) and len(record) == 2:  # KafkaIO without metadata: (key, value)
            return json.loads(record[1])["n"]
        return json.loads(record.value)["n"]

    started = time.monotonic()
    pipeline = beam.Pipeline(options=options)
    if reader == "python":
        read = pipeline | "Read" >> kafka_io.ReadFromKafka(bootstrap, topic, bounded=True, commit_offsets=False)
    else:
        payload = Read262(
            {"bootstrap.servers": bootstrap, "auto.offset.reset": "earliest", "group.id": f"bench-{time.time()}"},
            [topic],
            BA,
            BA,
            None,
            records,
            None,
            False,
            "LogAppendTime",
            2,
            False,
            np.int32(0),
            False,
        )
        read = pipeline | "Read" >> ExternalTransform(
            "beam:transform:org.apache.beam:kafka_read_without_metadata:v1",
            NamedTupleBasedPayloadBuilder(payload),
            expansion,
        )
    numbers = read | "Numbers" >> beam.Map(offset_of)
    distinct = (
        numbers
        | "One" >> beam.Map(lambda n: ("all", n))
        | "Group" >> beam.GroupByKey()
        | "Distinct" >> beam.MapTuple(lambda _, ns: (len(list(ns)), len(set(ns))))
    )
    _ = distinct | "Report" >> beam.Map(lambda counts: Metrics.distribution("bench", "distinct").update(counts[1]))
    result = pipeline.run()
    result.wait_until_finish()
    seconds = time.monotonic() - started
    query = result.metrics().query()
    total = sum(c.committed or 0 for c in query["counters"] if c.key.metric.name == "records")
    distinct_values = [
        d.committed.max for d in query["distributions"] if d.key.metric.name == "distinct" and d.committed
    ]
    return {"reader": reader, "seconds": round(seconds, 1), "records": total, "distinct": max(distinct_values or [0])}


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--partitions", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    paths = flink_paths()
    extra = kafka_expansion_classpath(paths)
    jar = launcher_jar(paths, extra)
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="kafka-readers-"))
    port, controller, expansion_port = free_port(), free_port(), free_port()
    classpath = f"{paths['FLINK_JOB_SERVER_DIR']}/lib/*:{extra}/*"
    expansion = subprocess.Popen(
        [
            "java",
            "-cp",
            classpath,
            "org.apache.beam.sdk.expansion.service.ExpansionService",
            str(expansion_port),
            "--defaultEnvironmentType=EMBEDDED",
        ],
        stdout=open(workdir / "expansion.log", "w"),
        stderr=subprocess.STDOUT,
    )
    runs: List[Dict[str, Any]] = []
    try:
        subprocess.run(
            [
                "bash",
                str(ROOT / "deploy/kafka/start.sh"),
                "--port",
                str(port),
                "--controller-port",
                str(controller),
                "--dir",
                str(workdir / "broker"),
            ],
            check=True,
            capture_output=True,
        )
        bootstrap = f"127.0.0.1:{port}"
        from confluent_kafka import Producer
        from confluent_kafka.admin import AdminClient, NewTopic

        topic = "bench-articles"
        admin = AdminClient({"bootstrap.servers": bootstrap})
        admin.create_topics([NewTopic(topic, args.partitions, 1, config={"message.timestamp.type": "LogAppendTime"})])[
            topic
        ].result(timeout=30)
        producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20})
        body = "Paris council met on Monday to discuss the new museum. " * 15
        for n in range(args.records):
            value = {"id": f"b-{n:07d}", "n": n, "published": "2026-12-01T10:00:00Z", "text": body}
            producer.produce(topic, key=value["id"].encode(), value=json.dumps(value).encode())
            if n % 10_000 == 0:
                producer.poll(0)
        assert producer.flush(60) == 0
        deadline = time.monotonic() + 120
        while subprocess.run(
            ["bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{expansion_port}"], capture_output=True
        ).returncode:
            if time.monotonic() > deadline:
                raise RuntimeError("expansion service did not start")
            time.sleep(1)
        for _ in range(args.repeats):
            for reader in ("python", "java"):
                run = run_job(reader, bootstrap, topic, args.records, jar, f"localhost:{expansion_port}")
                run["records_per_second"] = round(run["records"] / run["seconds"], 1)
                run["load_after"] = os.getloadavg()[0]
                print(run, flush=True)
                runs.append(run)
    finally:
        expansion.terminate()
        subprocess.run(
            ["bash", str(ROOT / "deploy/kafka/stop.sh"), "--dir", str(workdir / "broker")], capture_output=True
        )
        shutil.rmtree(workdir, ignore_errors=True)
    summary = {
        reader: {
            "median_seconds": statistics.median(r["seconds"] for r in runs if r["reader"] == reader),
            "median_records_per_second": statistics.median(
                r["records_per_second"] for r in runs if r["reader"] == reader
            ),
            "exactly_once": all(r["records"] == r["distinct"] == args.records for r in runs if r["reader"] == reader),
        }
        for reader in ("python", "java")
    }
    report = {
        "records": args.records,
        "partitions": args.partitions,
        "repeats": args.repeats,
        "runs": runs,
        "median": summary,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "kafka-readers.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

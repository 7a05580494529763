"""Batch scale-out on the local Flink session cluster: parallelism 2 vs 1, in one run.

    .venv/bin/python -m benchmarks.flink_scaleout                         # 5,000 pages, whole job, 1 repeat
    .venv/bin/python -m benchmarks.flink_scaleout --pages 300 --repeats 1 # a quick check
    .venv/bin/python -m benchmarks.flink_scaleout --skip_entities         # the job without NER/events
    make bench-flink-scaleout

1. Builds (or reuses) a corpus of --pages HTML pages with ``benchmarks.throughput.build_corpus``
   (the 181 real pages of ../shared/data/extraction, each copy with its own host, canonical URL and
   unique sentence, so no de-duplication drops it).
2. Starts one Flink 1.19 session cluster (deploy/flink/start-cluster.sh, one TaskManager with
   2 slots, 127.0.0.1, free ports) and, for the SDK harness, a Beam worker pool in PROCESS mode
   (``python -m apache_beam.runners.worker.worker_pool_main``): every SDK worker the runner asks for
   is its own Python process. The job runs with ``--environment_type EXTERNAL`` pointing at that
   pool and ``--sdk_worker_parallelism`` = ``--parallelism``.
   Why not LOOPBACK: there the SDK workers are threads of the launching Python process (one GIL),
   and with the default ``--sdk_worker_parallelism 1`` the TaskManager shares ONE SDK worker between
   its slots, so parallelism 2 cannot use the second core for the Python stages (the whole job is
   Python). ``--sdk_worker_parallelism 2`` with LOOPBACK still gives threads of one process;
   ``--loopback`` runs that variant for comparison.
3. Runs the batch job (``python -m pipelines.batch --runner FlinkRunner … --parallelism P``) for
   P = 1 then P = 2, back to back, ``--repeats`` times (alternating), and takes medians. For each
   run it records: launcher wall seconds (job-server start, submission, staging included), the
   Flink job's own duration (REST ``/jobs/overview``: start to end of the job on the cluster),
   articles written (the job's ``in = out + …`` line), and the most SDK worker processes seen at
   once (children of the worker pool, sampled every 0.5 s).
4. Reports articles/s by the Flink job duration (primary: the processing itself) and by launcher
   wall time (secondary: includes a fixed start-up cost of ~20-40 s that does not scale), the
   ratio p2/p1 for both (bar: >= 1.6x), and the load average (``os.getloadavg``, as ``uptime``)
   before and after, since the 2 cores are shared, plus a probe of the cores actually available
   (two busy-loop processes for 3 s: CPU seconds obtained / 3; 2.0 on an idle machine). Writes benchmarks/results/flink-scaleout.json.

Every process started here (cluster, worker pool and its workers, job launcher and job server) is
stopped in ``finally``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pathlib
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from typing import Any, Dict, List, Optional

import psutil

from benchmarks.processes import (
    free_port,
    loadavg,
    start_worker_pool,
    stop_group,
    uptime,
)
from benchmarks.throughput import DEFAULT_DATA, build_corpus

ROOT = pathlib.Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def cpu_probe(seconds: float = 3.0, processes: int = 2) -> float:
    """Cores this benchmark can get right now: CPU seconds that `processes` busy loops
    obtain in `seconds` of wall time, divided by `seconds` (2.0 on an idle 2-core machine)."""
    loop = f"import time\nt = time.time()\nwhile time.time() - t < {seconds}: pass\n"
    children = [subprocess.Popen([sys.executable, "-c", loop]) for _ in range(processes)]
    used = 0.0
    for child in children:
        _, _, usage = os.wait4(child.pid, 0)
        child.returncode = 0
        used += usage.ru_utime + usage.ru_stime
    return round(used / seconds, 2)


def flink_paths() -> Dict[str, str]:
    out = subprocess.run(
        ["bash", "-c", f"source {ROOT / 'deploy/flink/env.sh'} && echo $FLINK_JOB_SERVER_JAR && echo $FLINK_RUN_ROOT"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return {"jar": out[0], "run_root": out[1]}


def flink_jobs(rest: int) -> List[Dict[str, Any]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{rest}/jobs/overview", timeout=10) as response:
        return json.loads(response.read())["jobs"]


def run_job(
    args,
    corpus: pathlib.Path,
    output: pathlib.Path,
    parallelism: int,
    rest: int,
    jar: str,
    pool_pid: Optional[int],
    pool_port: Optional[int],
) -> Dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "pipelines.batch",
        "--input",
        str(corpus),
        "--output",
        str(output),
        "--runner",
        "FlinkRunner",
        "--flink_version",
        "1.19",
        "--flink_job_server_jar",
        jar,
        "--flink_master",
        f"localhost:{rest}",
        f"--parallelism={parallelism}",
        f"--sdk_worker_parallelism={parallelism}",
    ]
    if pool_port is not None:
        command += ["--environment_type", "EXTERNAL", "--environment_config", f"localhost:{pool_port}"]
    else:
        command += ["--environment_type", "LOOPBACK"]
    if args.skip_entities:
        command.append("--skip_entities")
    before = {job["jid"] for job in flink_jobs(rest)}
    shutil.rmtree(output, ignore_errors=True)
    started = time.monotonic()
    log_path = output.parent / f"{output.name}.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    workers_max = 0
    cpu: Dict[int, float] = {}  # SDK worker pid -> CPU seconds (user + system), last sample
    try:
        while process.poll() is None:
            if pool_pid is not None:
                try:
                    # the pool's SDK workers: `python -c … SdkHarness(…)` children
                    children = [
                        c
                        for c in psutil.Process(pool_pid).children(recursive=True)
                        if "SdkHarness" in " ".join(c.cmdline())
                    ]
                    workers_max = max(workers_max, len(children))
                    for child in children:
                        try:
                            times = child.cpu_times()
                            cpu[child.pid] = times.user + times.system
                        except psutil.Error:
                            pass
                except psutil.Error:
                    pass
            if time.monotonic() - started > args.timeout:
                raise RuntimeError(f"p={parallelism}: no result within {args.timeout} s (log: {log_path})")
            time.sleep(0.5)
    finally:
        stop_group(process)
    wall = time.monotonic() - started
    text = log_path.read_text(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"p={parallelism} failed ({process.returncode}):\n{text[-4000:]}")
    match = re.search(r"in = out \+ rejected \+ duplicates: (\d+) = (\d+)", text)
    if not match:
        raise RuntimeError(f"no article count in the job output:\n{text[-3000:]}")
    articles = int(match.group(2))
    new = [job for job in flink_jobs(rest) if job["jid"] not in before]
    job = max(new, key=lambda j: j.get("start-time", 0)) if new else None
    flink_seconds = job["duration"] / 1000.0 if job else None
    vertices = []
    if job:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{rest}/jobs/{job['jid']}", timeout=10) as response:
                detail = json.loads(response.read())
            vertices = [
                {"name": v["name"][:120], "parallelism": v["parallelism"], "seconds": round(v["duration"] / 1000.0, 1)}
                for v in detail.get("vertices", [])
            ]
        except (OSError, ValueError, KeyError):
            pass
    return {
        "parallelism": parallelism,
        "articles": articles,
        "candidates": int(match.group(1)),
        "launcher_wall_seconds": round(wall, 2),
        "flink_job_seconds": round(flink_seconds, 2) if flink_seconds else None,
        "flink_job_state": job["state"] if job else None,
        "articles_per_s_flink_job": round(articles / flink_seconds, 3) if flink_seconds else None,
        "articles_per_s_wall": round(articles / wall, 3),
        "sdk_worker_processes_max": workers_max if pool_pid is not None else "LOOPBACK (threads of the launcher)",
        "sdk_worker_cpu_seconds": sorted((round(v, 1) for v in cpu.values()), reverse=True),
        "load_after": loadavg(),
        "flink_vertices": vertices,
    }


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA)
    parser.add_argument("--repeats", type=int, default=1, help="p=1/p=2 pairs; medians are reported")
    parser.add_argument("--skip_entities", action="store_true", help="run the job without NER and events")
    parser.add_argument(
        "--loopback", action="store_true", help="LOOPBACK SDK harness instead of the PROCESS worker pool"
    )
    parser.add_argument("--slots", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=7200.0, help="per job run")
    parser.add_argument("--workdir", type=pathlib.Path, default=pathlib.Path(tempfile.gettempdir()) / "newsfeed-bench")
    parser.add_argument("--results", type=pathlib.Path, default=RESULTS / "flink-scaleout.json")
    args = parser.parse_args(argv)
    # SIGTERM (and SIGINT, which a non-interactive shell's background job ignores) end the run
    # through the `finally` blocks that stop the broker, cluster and job
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda number, frame: sys.exit(128 + number))
    argv = sys.argv[1:] if argv is None else argv
    if not (args.data / "ground-truth.json").exists():
        print(f"extraction data not found at {args.data} (pass --data)", file=sys.stderr)
        return 2
    paths = flink_paths()
    if not pathlib.Path(paths["jar"]).exists():
        print("Flink runner not set up: run `make flink-setup`", file=sys.stderr)
        return 2
    corpus = build_corpus(args.data, args.pages, args.workdir / f"corpus-{args.pages}")
    print(f"corpus: {args.pages} pages in {corpus}", flush=True)
    rest, rpc = free_port(), free_port()
    pool_port = None if args.loopback else free_port()
    pool = None
    started_cluster = False
    runs: List[Dict[str, Any]] = []
    report: Dict[str, Any] = {
        "command": " ".join([sys.executable, "-m", "benchmarks.flink_scaleout", *argv]),
        "pages": args.pages,
        "skip_entities": args.skip_entities,
        "repeats": args.repeats,
        "cpu_count": os.cpu_count(),
        "slots": args.slots,
        "sdk_harness": "LOOPBACK"
        if args.loopback
        else "EXTERNAL worker pool, PROCESS mode (one Python process per SDK worker)",
        "sdk_worker_parallelism": "= parallelism",
        "uptime_before": uptime(),
        "load_before": loadavg(),
        "cores_available_before": cpu_probe(),
    }
    try:
        print(f"starting the Flink session cluster on 127.0.0.1:{rest} ({args.slots} slots) …", flush=True)
        started_cluster = True
        subprocess.run(
            [
                "bash",
                str(ROOT / "deploy/flink/start-cluster.sh"),
                "--rest-port",
                str(rest),
                "--rpc-port",
                str(rpc),
                "--slots",
                str(args.slots),
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if pool_port is not None:
            pool = start_worker_pool(pool_port, args.workdir / "worker-pool.log", ROOT)
            print(f"worker pool (PROCESS mode) on localhost:{pool_port}", flush=True)
        for repeat in range(args.repeats):
            order = (1, 2) if repeat % 2 == 0 else (2, 1)
            for parallelism in order:
                print(f"[{repeat + 1}/{args.repeats}] p={parallelism} …", flush=True)
                run = run_job(
                    args,
                    corpus,
                    args.workdir / f"out-flink-p{parallelism}",
                    parallelism,
                    rest,
                    paths["jar"],
                    pool.pid if pool else None,
                    pool_port,
                )
                run["repeat"] = repeat + 1
                runs.append(run)
                print(
                    f"[{repeat + 1}/{args.repeats}] p={parallelism}: {run['articles']} articles, Flink job "
                    f"{run['flink_job_seconds']} s = {run['articles_per_s_flink_job']}/s; launcher "
                    f"{run['launcher_wall_seconds']} s = {run['articles_per_s_wall']}/s; SDK worker processes: "
                    f"{run['sdk_worker_processes_max']} (CPU s {run['sdk_worker_cpu_seconds']}); load {run['load_after']}",
                    flush=True,
                )
    finally:
        stop_group(pool)
        if started_cluster:
            subprocess.run(
                ["bash", str(ROOT / "deploy/flink/stop-cluster.sh"), "--rest-port", str(rest)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=180,
            )
            shutil.rmtree(pathlib.Path(paths["run_root"]) / f"cluster-{rest}", ignore_errors=True)
    report["uptime_after"] = uptime()
    report["load_after"] = loadavg()
    report["cores_available_after"] = cpu_probe()

    def median(p: int, key: str) -> Optional[float]:
        values = [r[key] for r in runs if r["parallelism"] == p and r[key]]
        return round(statistics.median(values), 3) if values else None

    for p in (1, 2):
        report[f"p{p}_articles_per_s_flink_job"] = median(p, "articles_per_s_flink_job")
        report[f"p{p}_articles_per_s_wall"] = median(p, "articles_per_s_wall")
    if report["p1_articles_per_s_flink_job"] and report["p2_articles_per_s_flink_job"]:
        report["ratio_p2_over_p1_flink_job"] = round(
            report["p2_articles_per_s_flink_job"] / report["p1_articles_per_s_flink_job"], 3
        )
    if report["p1_articles_per_s_wall"] and report["p2_articles_per_s_wall"]:
        report["ratio_p2_over_p1_wall"] = round(report["p2_articles_per_s_wall"] / report["p1_articles_per_s_wall"], 3)
    report["bar"] = 1.6
    report["runs"] = runs
    report["measured_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    print()
    for p in (1, 2):
        print(
            f"p={p}: {report[f'p{p}_articles_per_s_flink_job']} articles/s (Flink job time), "
            f"{report[f'p{p}_articles_per_s_wall']} articles/s (launcher wall time)"
        )
    print(
        f"p2/p1: {report.get('ratio_p2_over_p1_flink_job')}x by Flink job time, {report.get('ratio_p2_over_p1_wall')}x "
        f"by wall time (bar >= 1.6x); load before {report['load_before']}, after {report['load_after']}; "
        f"cores available before {report['cores_available_before']}, after {report['cores_available_after']}"
    )
    if args.results.exists():  # keep the headline numbers of earlier runs (shared CPU: runs differ)
        try:
            previous = json.loads(args.results.read_text())
            earlier = previous.pop("earlier_runs", [])
            earlier.append({k: v for k, v in previous.items() if k != "runs"})
            report["earlier_runs"] = earlier
        except (ValueError, AttributeError):
            pass
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results: {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

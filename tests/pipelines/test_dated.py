"""Dated incremental runs end to end (``--run_date``, ``--incremental``, Parquet): two
run dates over a growing input directory, then a rerun of the second; DuckDB and
pandas read the partitions. Then the launcher's planning on its own."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Dict, Tuple

import duckdb  # requirements-dev.txt: the issue's own query, as users run it
import pandas
import pytest

from pipelines import dated
from pipelines.batch import reconcile, run
from transforms.io import ledger

SEED = Path(__file__).parents[1] / "fixtures" / "seed" / "000_243c87bbee7a852f.txt"

# the next day's wire: the British embassy car bombed on Tuesday 15 (an event of the seed,
# told again) and a new rocket attack on Basra airport on Wednesday 16
NEXT_DAY = [
    {
        "id": "ambassade-britannique-2020-09-16",
        "url": "https://actu.example.fr/monde/2020/09/16/bagdad-ambassade-britannique",
        "title": "Bagdad : un engin explosif vise un véhicule de l'ambassade britannique",
        "published": "2020-09-16",
        "language": "fr",
        "text": "Un engin explosif improvisé a visé mardi 15 septembre au matin un véhicule de l'ambassade britannique "
        "qui revenait de l'aéroport de Bagdad, a indiqué une source diplomatique.\n\n"
        "L'explosion n'a pas fait de blessés, selon la même source. Le véhicule a été endommagé.",
    },
    {
        "id": "bassora-roquettes-2020-09-16",
        "url": "https://actu.example.fr/monde/2020/09/16/bassora-roquettes",
        "title": "Irak : trois roquettes tirées sur l'aéroport de Bassora",
        "published": "2020-09-16",
        "language": "fr",
        "text": "Trois roquettes Katioucha ont été tirées mercredi 16 septembre sur l'aéroport de Bassora, dans le sud "
        "de l'Irak, a annoncé la police locale.\n\nAucune victime n'a été signalée, mais une piste a été endommagée.",
    },
]

DAY1, DAY2 = "2020-09-15", "2020-09-16"


def write_jsonl(path: Path, records) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def dated_run(feeds: Path, out: Path, run_date: str, *extra: str):
    argv = ["--input", str(feeds), "--output", str(out), "--format", "parquet", "--run_date", run_date, "--incremental"]
    _, counters = run([*argv, *extra], save_main_session=False)
    return counters


def partition_files(out: Path, run_date: str) -> Dict[str, Tuple[bytes, int, int]]:
    """Every file of a run date's partitions: (bytes, inode, mtime in ns)."""
    found = {}
    for path in sorted(out.glob(f"*/dt={run_date}/*")):
        stat = path.stat()
        found[path.relative_to(out).as_posix()] = (path.read_bytes(), stat.st_ino, stat.st_mtime_ns)
    return found


@pytest.fixture(scope="module")
def two_days(tmp_path_factory: pytest.TempPathFactory):
    """Day 1 reads the seed; the next day's wire lands; day 2 reads it alone; a late
    file lands; day 2 is run again."""
    feeds, out = tmp_path_factory.mktemp("feeds"), tmp_path_factory.mktemp("out")
    shutil.copy(SEED, feeds / "seed.txt")
    first = dated_run(feeds, out, DAY1)
    day1 = partition_files(out, DAY1)
    write_jsonl(feeds / "wire-2020-09-16.jsonl", NEXT_DAY)
    second = dated_run(feeds, out, DAY2)
    day2 = partition_files(out, DAY2)
    manifest2 = ledger.read_manifests(str(out))[DAY2]
    write_jsonl(feeds / "late.jsonl", [{"id": "late", "url": "https://actu.example.fr/late", "text": "Arrivé tard."}])
    rerun = dated_run(feeds, out, DAY2)
    return {
        "out": out,
        "feeds": feeds,
        "counters": (first, second, rerun),
        "day1": day1,
        "day2": day2,
        "manifest2": manifest2,
    }


def test_the_rerun_writes_identical_files_and_the_first_partition_is_untouched(two_days) -> None:
    out = two_days["out"]
    assert partition_files(out, DAY1) == two_days["day1"]  # same bytes, same inodes, same mtimes
    rerun = partition_files(out, DAY2)
    assert sorted(rerun) == sorted(two_days["day2"])
    assert {k: v[0] for k, v in rerun.items()} == {k: v[0] for k, v in two_days["day2"].items()}
    kinds = {name.split("/")[0] for name in rerun}
    assert kinds == {
        "aggregates",
        "aggregates_csv",
        "articles",
        "duplicates",
        "entities",
        "events",
        "mentions",
        "rejected",
        "repeats",
        "sentences",
    }
    assert all(f"{kind}/dt={DAY2}/_SUCCESS" in rerun for kind in kinds)
    assert not list((out / "_staging").iterdir())  # nothing half-published left behind


def test_duckdb_sees_both_partitions_with_their_articles(two_days) -> None:
    out = two_days["out"]
    articles = duckdb.sql(
        f"SELECT dt, count(*) FROM read_parquet('{out}/articles/**/*.parquet', hive_partitioning=true) "
        "GROUP BY dt ORDER BY dt"
    ).fetchall()
    assert [(str(day), n) for day, n in articles] == [(DAY1, 10), (DAY2, 2)]
    events = duckdb.sql(f"SELECT * FROM read_parquet('{out}/events/**/*.parquet', hive_partitioning=true)")
    rows = events.fetchall()
    columns = events.columns
    by_day: Dict[str, int] = {}
    for row in rows:
        day = str(row[columns.index("dt")])
        by_day[day] = by_day.get(day, 0) + 1
    written = [c["write"]["events"] for c in two_days["counters"][:2]]
    assert by_day == {DAY1: written[0], DAY2: written[1]} and written[1] >= 1
    assert len({row[columns.index("id")] for row in rows}) == len(rows)  # no event published twice
    # the issue's query, per partition: the articles its events come from. Day 2's embassy
    # report retells a day-1 event (a repeat), so only the Basra article has a day-2 event
    reporting = duckdb.sql(
        "SELECT dt, count(DISTINCT mention.article_id) FROM (SELECT dt, unnest(mentions) AS mention "
        f"FROM read_parquet('{out}/events/**/*.parquet', hive_partitioning=true)) GROUP BY dt ORDER BY dt"
    ).fetchall()
    assert [(str(day), n) for day, n in reporting] == [(DAY1, 10), (DAY2, 1)]
    day2_reporting = duckdb.sql(
        "SELECT DISTINCT mention.article_id FROM (SELECT unnest(mentions) AS mention "
        f"FROM read_parquet('{out}/events/**/*.parquet', hive_partitioning=true) WHERE dt = '{DAY2}')"
    ).fetchall()
    assert day2_reporting == [(NEXT_DAY[1]["id"],)]


def test_pandas_reads_a_partition(two_days) -> None:
    frame = pandas.read_parquet(two_days["out"] / "articles" / f"dt={DAY2}")
    assert sorted(frame["id"]) == sorted(a["id"] for a in NEXT_DAY)
    assert set(frame["language"]) == {"fr"}


def test_an_event_told_again_the_next_day_is_one_event(two_days) -> None:
    out = two_days["out"]
    repeats = duckdb.sql(
        f"SELECT r.event_id, r.first_run_date, e.type, e.date, e.place, r.mentions[1].article_id "
        f"FROM read_parquet('{out}/repeats/**/*.parquet', hive_partitioning=true) r "
        f"JOIN read_parquet('{out}/events/**/*.parquet', hive_partitioning=true) e ON e.id = r.event_id "
        f"WHERE r.dt = '{DAY2}'"
    ).fetchall()
    assert [row[1:] for row in repeats] == [(DAY1, "REM_EXPLOS", DAY1, "Baghdad", NEXT_DAY[0]["id"])]
    second = two_days["counters"][1]
    assert second["events"]["repeats"] == 1
    # the repeat is left out of day 2's events and aggregates
    day2_events = duckdb.sql(
        f"SELECT id FROM read_parquet('{out}/events/dt={DAY2}/*.parquet') WHERE id = '{repeats[0][0]}'"
    ).fetchall()
    assert day2_events == []
    counted = duckdb.sql(
        f"SELECT sum(events) FROM read_parquet('{out}/aggregates/dt={DAY2}/*.parquet') WHERE level = 'country'"
    ).fetchall()[0][0]
    assert counted == second["write"]["events"]


def test_the_manifests_say_what_each_run_read_and_published(two_days) -> None:
    out = two_days["out"]
    manifests = ledger.read_manifests(str(out))
    assert list(manifests) == [DAY1, DAY2]
    first, second = manifests[DAY1], manifests[DAY2]
    feeds = two_days["feeds"]
    assert [Path(i["path"]).name for i in first["inputs"]] == ["seed.txt"]
    assert [Path(i["path"]).name for i in second["inputs"]] == ["wire-2020-09-16.jsonl"]
    assert two_days["manifest2"]["skipped_inputs"]["by_run_date"] == {DAY1: 1}
    assert second["rerun"] and second["published"]["identical_to_previous"] is True
    assert second["previous"]["run_id"] == two_days["manifest2"]["run_id"] != second["run_id"]
    assert second["cross_run"]["partitions"][0]["run_date"] == DAY1
    first_counters, _, rerun_counters = two_days["counters"]
    for manifest, counters in ((first, first_counters), (second, rerun_counters)):
        assert manifest["counters"]["write"] == counters["write"]
        assert manifest["status"] == "complete" and manifest["reconciliation"]["balanced"]
        assert manifest["options"]["format"] == "parquet" and manifest["options"]["incremental"]
        assert manifest["code_version"]["source_digest"]
    assert reconcile(two_days["counters"][2])["in"] == 2  # the late file waits for the next date
    assert (feeds / "late.jsonl").exists()


def test_an_incremental_run_with_nothing_new_publishes_an_empty_partition(two_days, tmp_path: Path) -> None:
    out = tmp_path / "out"
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    write_jsonl(feeds / "a.jsonl", [{"id": "a1", "url": "https://example.org/a1", "text": "Un court article."}])
    dated_run(feeds, out, DAY1, "--skip_entities")
    counters = dated_run(feeds, out, DAY2, "--skip_entities")
    assert reconcile(counters) == {"in": 0, "out": 0, "rejected": 0, "duplicates": 0, "annotation_failures": 0}
    manifest = ledger.read_manifests(str(out))[DAY2]
    assert manifest["inputs"] == [] and manifest["reconciliation"]["balanced"]
    assert manifest["cross_run"]["partitions"] == []  # --skip_entities: no events to compare
    assert sorted(p.name for p in (out / "articles" / f"dt={DAY2}").iterdir())[0] == "_SUCCESS"


def test_a_rerun_refuses_when_its_inputs_are_gone(tmp_path: Path) -> None:
    feeds, out = tmp_path / "feeds", tmp_path / "out"
    feeds.mkdir()
    write_jsonl(feeds / "a.jsonl", [{"id": "a1", "url": "https://example.org/a1", "text": "Un court article."}])
    dated_run(feeds, out, DAY1, "--skip_entities")
    (feeds / "a.jsonl").unlink()
    with pytest.raises(SystemExit, match="cannot rerun 2020-09-15: 1 input"):
        dated_run(feeds, out, DAY1, "--skip_entities")


def test_incremental_needs_a_run_date_and_files(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="--incremental needs --run_date"):
        run(["--input", str(tmp_path), "--output", str(tmp_path / "o"), "--incremental"], save_main_session=False)
    with pytest.raises(SystemExit, match="reads files only"):
        run(
            ["--feeds", str(tmp_path / "f.txt"), "--output", str(tmp_path / "o"), "--run_date", DAY1, "--incremental"],
            save_main_session=False,
        )


class Options:
    """The BatchOptions fields the planner reads."""

    def __init__(
        self, output: str, run_date: str, incremental: bool = True, skip_entities: bool = False, lookback: int = 7
    ):
        self.output, self.run_date, self.incremental = output, run_date, incremental
        self.skip_entities, self.event_lookback_days = skip_entities, lookback
        self.format, self.num_shards, self.boilerplate_min_articles = "parquet", 4, 5
        self.event_window_days, self.include_background = 1, False


def test_a_rerun_compares_with_the_partitions_its_first_run_compared_with() -> None:
    manifests = {
        "2020-09-14": {"status": "complete", "published": {"files": [{"path": "events/dt=2020-09-14/p"}]}},
        "2020-09-16": {"cross_run": {"partitions": []}},
    }
    options = Options("out", "2020-09-16")
    # 2020-09-14 was backfilled after 2020-09-16's first run: the rerun still compares with nothing
    assert dated.cross_run_plan("2020-09-16", manifests, manifests["2020-09-16"], options)["partitions"] == []
    first_run = dated.cross_run_plan("2020-09-16", manifests, None, options)
    assert first_run["partitions"] == [{"run_date": "2020-09-14", "files": ["events/dt=2020-09-14/p"]}]
    assert (
        "not de-duplicated"
        in dated.cross_run_plan("2020-09-16", manifests, None, Options("o", "d", lookback=0))["events"]
    )
    assert (
        "--skip_entities"
        in dated.cross_run_plan("2020-09-16", manifests, None, Options("o", "d", skip_entities=True))["events"]
    )


def test_the_plan_warns_about_changed_files_and_options(tmp_path: Path) -> None:
    feeds, out = tmp_path / "feeds", tmp_path / "out"
    feeds.mkdir()
    (feeds / "a.jsonl").write_text("{}\n")
    plan = dated.plan_dated_run(Options(str(out), DAY1), [str(feeds)], "DirectRunner")
    assert plan.inputs == [str(feeds / "a.jsonl")] and plan.staging.startswith(str(out / "_staging" / f"dt={DAY1}."))
    assert ledger.read_manifests(str(out))[DAY1]["status"] == "started"
    (feeds / "a.jsonl").write_text("{}\n{}\n")
    later = dated.plan_dated_run(Options(str(out), DAY2), [str(feeds)], "DirectRunner")
    assert later.inputs == [] and "changed size since an earlier run read" in dated.describe_plan(later)
    other = Options(str(out), DAY2)
    other.num_shards = 8
    assert "options differ from the previous run of this date: num_shards" in dated.describe_plan(
        dated.plan_dated_run(other, [str(feeds)], "DirectRunner")
    )


def test_run_date_in_an_input_pattern_picks_that_day_s_folder(tmp_path: Path) -> None:
    assert dated.expand_patterns(["/feeds/{run_date}/", "/x/*.jsonl"], "2020-09-16") == [
        "/feeds/2020-09-16/",
        "/x/*.jsonl",
    ]
    feeds, out = tmp_path / "feeds", tmp_path / "out"
    for day in (DAY1, DAY2):
        (feeds / day).mkdir(parents=True)
        write_jsonl(
            feeds / day / "wire.jsonl", [{"id": f"w-{day}", "url": f"https://example.org/{day}", "text": "Brève."}]
        )
    # a backfill of DAY2 before DAY1 still reads only DAY2's folder
    argv = [
        "--input",
        str(feeds / "{run_date}"),
        "--output",
        str(out),
        "--run_date",
        DAY2,
        "--incremental",
        "--skip_entities",
    ]
    run(argv, save_main_session=False)
    manifest = ledger.read_manifests(str(out))[DAY2]
    assert manifest["patterns"] == [str(feeds / DAY2)]
    assert [Path(i["path"]).parent.name for i in manifest["inputs"]] == [DAY2]


def test_a_dated_run_judges_publication_dates_against_its_own_day(tmp_path: Path) -> None:
    # a story published five days after the run date cannot have been read that day: its date
    # is dropped as out of range whatever day the job is run (re)run on
    feeds, out = tmp_path / "feeds", tmp_path / "out"
    feeds.mkdir()
    write_jsonl(feeds / "wire.jsonl", [dict(NEXT_DAY[0], id="future", published="2020-09-20")])
    counters = dated_run(feeds, out, DAY1)
    assert counters["cleanup"]["published_out_of_range"] == 1
    published = duckdb.sql(f"SELECT published FROM read_parquet('{out}/articles/dt={DAY1}/*.parquet')").fetchall()
    assert published == [(None,)]

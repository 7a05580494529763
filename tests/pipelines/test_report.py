"""pipelines.report: the command on batch, partitioned and streaming outputs."""

import pytest

from pipelines import report
from reporting.page import external_references
from tests.support.run_outputs import event, sample_records, write_batch, write_jsonl


def test_report_on_batch_output_writes_one_self_contained_page(tmp_path, capsys):
    out = write_batch(tmp_path / "out", sample_records(), fmt="avro")
    assert report.main([str(out)]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert external_references(html) == []
    assert "window.vegaEmbed" in html and "countries" in html  # library and basemap inline
    assert html.count('<tr class="event"') == 3
    assert "report: " in capsys.readouterr().out


def test_same_output_same_page(tmp_path):
    out = write_batch(tmp_path / "out", sample_records())
    assert report.main([str(out), "--html", str(tmp_path / "a.html")]) == 0
    assert report.main([str(out), "--html", str(tmp_path / "b.html")]) == 0
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()


def test_one_partition(tmp_path):
    records = sample_records()
    write_batch(
        tmp_path / "out", {"events": records["events"][:1], "articles": records["articles"]}, partition="2020-09-14"
    )
    write_batch(tmp_path / "out", {"events": records["events"][1:]}, partition="2020-09-15")
    html_path = tmp_path / "one.html"
    assert report.main([str(tmp_path / "out"), "--dt", "2020-09-15", "--html", str(html_path)]) == 0
    html = html_path.read_text(encoding="utf-8")
    assert "run-date partitions dt=2020-09-15" in html and html.count('<tr class="event"') == 2
    assert report.main([str(tmp_path / "out"), "--dt", "2021-01-01"]) == 2


def test_streaming_latest_snapshot(tmp_path):
    write_jsonl(tmp_path / "out" / "latest" / "events" / "20200914T000000Z--20200914T001500Z.jsonl", [event("e1")])
    assert report.main([str(tmp_path / "out")]) == 0
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "streaming snapshot (latest/)" in html and html.count('<tr class="event"') == 1


def test_missing_directory_is_an_error_not_a_traceback(tmp_path, capsys):
    assert report.main([str(tmp_path / "nowhere")]) == 2
    assert "no output directory" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [[], ["--html"]])
def test_usage(argv):
    with pytest.raises(SystemExit):
        report.main(argv)

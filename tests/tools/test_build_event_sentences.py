"""Tests of tools.build_event_sentences: the sources that become labelled event sentences."""

from pathlib import Path

from tools.build_event_sentences import cnc, split_of, wikinews_en


def test_cnc_undoes_tokenised_spacing_keeps_one_copy_and_splits_by_article(tmp_path: Path):
    csv_file = tmp_path / "train_subtask1.csv"
    csv_file.write_text(
        "\ufeffindex,text,label\n"
        'train_01_7_12,"Police fired tear gas ( and rubber bullets ) at 300 protesters , witnesses said .",1\n'
        'train_01_7_40,"The strike entered its third day on Tuesday .",0\n'
        'dev_02_3_5,"The strike entered its third day on Tuesday .",0\n',
        encoding="utf-8",
    )
    rows = list(cnc([str(csv_file)]))
    assert [r["text"] for r in rows] == [
        "Police fired tear gas (and rubber bullets) at 300 protesters, witnesses said.",
        "The strike entered its third day on Tuesday.",
    ]
    assert all(r["lang"] == "en" and r["index"] == 0 and r["end"] == len(r["text"]) for r in rows)
    # both sentences of article train_01_7 fall on the same side of the split
    assert rows[0]["split"] == rows[1]["split"] == split_of("en-cnc", "train_01_7")


def test_wikinews_articles_keep_paragraph_offsets_title_and_date(tmp_path: Path):
    csv_file = tmp_path / "wikinews_2020.csv"
    csv_file.write_text(
        "url,date,title,text\n"
        "https://en.wikinews.org//wiki/Flood_hits_town,2020-02-03,Flood hits town,"
        '"Monday, February 3, 2020 \n\n\nA flood struck the town on Sunday.  Two people died.\n\n\nRescuers  searched all night."\n',
        encoding="utf-8",
    )
    rows = list(wikinews_en([str(csv_file)]))
    assert [r["text"] for r in rows] == [
        "Monday, February 3, 2020",
        "A flood struck the town on Sunday.",
        "Two people died.",
        "Rescuers searched all night.",
    ]
    first = rows[0]
    assert (first["doc"], first["title"], first["published"]) == ("Flood_hits_town", "Flood hits town", "2020-02-03")
    assert [r["index"] for r in rows] == [0, 1, 2, 3]
    assert len({r["split"] for r in rows}) == 1

"""Corpus-level boilerplate learning: a line in >= K articles of one source goes."""

from __future__ import annotations

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from transforms.clean.boilerplate import (
    StripCorpusBoilerplate,
    count_votes,
    line_key,
    line_keys,
    source_key,
    strip_lines,
)
from transforms.records import CleanedArticle

PROMO = "Suivez-nous sur Telegram pour ne rien manquer de l’actualité"


def _article(n: int, source, paragraphs) -> CleanedArticle:
    return CleanedArticle(f"id{n}", f"feed.txt#{n}", None, source, "t", None, None, list(paragraphs))


def test_line_keys_count_a_line_once_per_article_and_fold_typography() -> None:
    article = _article(1, "site.fr", [PROMO, PROMO.replace("’", "'"), "Un fait."])
    keys = line_keys(article)
    assert len(keys) == 2
    assert line_key("site.fr", PROMO) in keys
    assert line_key("autre.fr", PROMO) != line_key("site.fr", PROMO)


def test_source_falls_back_to_the_input_file() -> None:
    assert source_key(_article(3, None, ["x"])) == "feed.txt"
    assert source_key(_article(3, "site.fr", ["x"])) == "site.fr"


def test_strip_lines_removes_only_learnt_lines() -> None:
    article = _article(1, "site.fr", ["Un fait.", PROMO])
    stripped, removed = strip_lines(article, {line_key("site.fr", PROMO): 7})
    assert stripped.paragraphs == ["Un fait."] and removed == 1


def test_min_articles_below_two_is_refused() -> None:
    with pytest.raises(ValueError, match="seen once"):
        StripCorpusBoilerplate(min_articles=1)


def test_line_in_k_articles_of_one_source_is_stripped_everywhere_but_not_from_other_sources() -> None:
    corpus = [_article(n, "site.fr", [f"Fait numéro {n}.", PROMO]) for n in range(3)]
    corpus.append(_article(9, "autre.fr", ["Un fait ailleurs.", PROMO]))  # one article of that source: kept
    corpus.append(_article(10, "site.fr", [PROMO]))  # nothing but boilerplate: rejected, not lost
    with TestPipeline() as p:
        result = p | beam.Create(corpus) | StripCorpusBoilerplate(min_articles=3)
        assert_that(
            result["articles"] | "Kept" >> beam.Map(lambda a: (a.id, a.paragraphs)),
            equal_to(
                [
                    ("id0", ["Fait numéro 0."]),
                    ("id1", ["Fait numéro 1."]),
                    ("id2", ["Fait numéro 2."]),
                    ("id9", ["Un fait ailleurs.", PROMO]),
                ]
            ),
            label="articles",
        )
        assert_that(
            result["rejected"] | "Rej" >> beam.Map(lambda r: (r.origin, r.stage, r.reason)),
            equal_to([("feed.txt#10", "boilerplate", "only corpus boilerplate lines")]),
            label="rejected",
        )
        assert_that(result["lines"], equal_to([(line_key("site.fr", PROMO), 4)]), label="lines")


def test_line_below_threshold_or_seen_once_is_never_removed() -> None:
    corpus = [_article(n, "site.fr", [f"Fait {n}.", PROMO]) for n in range(2)]
    corpus.append(_article(5, "site.fr", ["Une phrase unique."]))
    with TestPipeline() as p:
        result = p | beam.Create(corpus) | StripCorpusBoilerplate(min_articles=3)
        assert_that(
            result["articles"] | "Kept" >> beam.Map(lambda a: (a.id, a.paragraphs)),
            equal_to([("id0", ["Fait 0.", PROMO]), ("id1", ["Fait 1.", PROMO]), ("id5", ["Une phrase unique."])]),
        )


def test_copies_of_one_story_do_not_vote_a_real_paragraph_into_boilerplate() -> None:
    story = ["Un fait rapporté par trois sites.", "Un second paragraphe réel."]
    copies = [_article(n, "site.fr", story) for n in range(4)]  # dedup drops three of them later
    with TestPipeline() as p:
        result = p | beam.Create(copies) | StripCorpusBoilerplate(min_articles=2)
        assert_that(result["lines"], equal_to([]), label="lines")
        assert_that(result["articles"] | beam.Map(lambda a: a.paragraphs), equal_to([story] * 4), label="articles")


def test_count_votes_counts_distinct_bodies_per_line_across_packets() -> None:
    line_a, line_b = b"A" * 8, b"B" * 8
    packets = [line_a + b"1" * 8 + line_b + b"1" * 8, line_a + b"2" * 8 + line_a + b"1" * 8, line_a + b"3" * 8]
    assert list(count_votes(packets, 3)) == [(line_a, 3)]  # body 1 voted twice for A counts once
    assert list(count_votes(packets, 1)) == [(line_a, 3), (line_b, 1)]


def test_small_packets_and_few_buckets_learn_the_same_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    import transforms.clean.boilerplate as boilerplate

    monkeypatch.setattr(boilerplate, "PACKET_BYTES", 32)  # a packet every two votes
    corpus = [_article(n, "site.fr", [f"Fait numéro {n}.", PROMO, "Photo : DR"]) for n in range(6)]
    with TestPipeline() as p:
        learnt = p | beam.Create(corpus) | boilerplate.LearnBoilerplate(min_articles=5, buckets=3)
        assert_that(learnt, equal_to([(line_key("site.fr", PROMO), 6), (line_key("site.fr", "Photo : DR"), 6)]))


def test_votes_through_files_learn_the_same_lines(tmp_path) -> None:
    import transforms.clean.boilerplate as boilerplate

    corpus = [_article(n, "site.fr", [f"Fait numéro {n}.", PROMO, "Photo : DR"]) for n in range(6)]
    corpus += [_article(6, "site.fr", ["Fait numéro 1.", PROMO, "Photo : DR"])]  # a copy of article 1: no second vote
    corpus += [_article(n, "autre.fr", [PROMO]) for n in range(7, 10)]  # another source, under the threshold
    with TestPipeline() as p:
        learnt = p | beam.Create(corpus) | boilerplate.LearnBoilerplate(min_articles=5, spill_dir=str(tmp_path))
        assert_that(learnt, equal_to([(line_key("site.fr", PROMO), 6), (line_key("site.fr", "Photo : DR"), 6)]))
    assert list((tmp_path / "group-boilerplate-votes").glob("*.jsonl.gz"))

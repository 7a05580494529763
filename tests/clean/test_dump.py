"""Tests of transforms.split_dump: splitting a pasted-articles text dump (pure, no Beam)."""

from __future__ import annotations

import pytest

from tests.support.seed import SEED, SEED_ARTICLES
from transforms.clean.dump import (
    DumpArticle,
    find_dateline,
    published_from_url,
    split_dump,
)

ORIGIN = "seed/000.txt"


@pytest.fixture(scope="module")
def seed_articles():
    return split_dump(SEED.read_text(encoding="utf-8"), ORIGIN)


# ------------------------------------------------------------------ the seed


def test_seed_has_ten_articles(seed_articles):
    assert len(seed_articles) == 10
    assert all(isinstance(a, DumpArticle) for a in seed_articles)
    assert [a.origin for a in seed_articles] == [f"{ORIGIN}#{n}" for n in range(1, 11)]


@pytest.mark.parametrize("n", range(1, 11))
def test_seed_article_metadata(seed_articles, n):
    url, title, published = SEED_ARTICLES[n - 1]
    article = seed_articles[n - 1]
    assert article.url == url
    assert article.title == title
    assert article.published == published


def test_seed_kickers_and_bodies(seed_articles):
    first = seed_articles[0]
    # two capitals lines above the title, joined
    assert first.kicker == "IRAK | IRAK : LA CIA DANS LE VISEUR DE LA RESISTANCE"
    assert seed_articles[3].kicker == "IRAK : LE COUP DE BLUFF US DE TROP?"
    for article in seed_articles:
        assert article.lines, article.origin
        # body: trimmed of gaps, no URL line and no title line in it
        assert article.lines[0].strip() and article.lines[-1].strip()
        assert not any(line.strip().startswith("http") for line in article.lines)
        assert article.title not in article.lines
    # the body ends with the text just above the URL line
    assert seed_articles[0].lines[-1].startswith("«\u00a0Les États-Unis ont décidé de réduire")  # raw: NBSP kept


def test_seed_almanar_date_comes_from_dateline(seed_articles):
    almanar = seed_articles[2]
    assert published_from_url(almanar.url) is None
    assert find_dateline(almanar.lines) == "2020-09-15"
    assert "15 septembre 2020" in almanar.lines[0]


def test_seed_origin_numbering_follows_given_origin():
    text = SEED.read_text(encoding="utf-8")
    assert [a.origin for a in split_dump(text, "x")][-1] == "x#10"


def test_seed_with_bom_and_crlf(seed_articles):
    text = "\ufeff" + SEED.read_text(encoding="utf-8").replace("\n", "\r\n")
    again = split_dump(text, ORIGIN)
    assert [(a.url, a.title, a.published) for a in again] == [(a.url, a.title, a.published) for a in seed_articles]


# --------------------------------------------------------- synthetic dumps

URL_LAST = """\
MONDE

Premier titre de test

Premier paragraphe du premier article.

Second paragraphe du premier article.

https://example.org/2021/03/04/premier

Deuxième titre de test

Texte du deuxième article.

https://example.org/2021-03-05-deuxieme
"""


def test_url_last_order():
    articles = split_dump(URL_LAST, "d")
    assert [(a.origin, a.url, a.title, a.kicker, a.published) for a in articles] == [
        ("d#1", "https://example.org/2021/03/04/premier", "Premier titre de test", "MONDE", "2021-03-04"),
        ("d#2", "https://example.org/2021-03-05-deuxieme", "Deuxième titre de test", None, "2021-03-05"),
    ]
    assert articles[0].lines == ["Premier paragraphe du premier article.", "", "Second paragraphe du premier article."]
    assert articles[1].lines == ["Texte du deuxième article."]


def test_url_first_order():
    text = """\

https://example.org/2021/03/04/premier
Premier titre de test
Premier paragraphe.

https://example.org/2021/03/05/deuxieme
SPORT
Deuxième titre de test
Deuxième paragraphe.
"""
    articles = split_dump(text, "d")
    assert [(a.url, a.title, a.kicker, a.published, a.lines) for a in articles] == [
        (
            "https://example.org/2021/03/04/premier",
            "Premier titre de test",
            None,
            "2021-03-04",
            ["Premier paragraphe."],
        ),
        (
            "https://example.org/2021/03/05/deuxieme",
            "Deuxième titre de test",
            "SPORT",
            "2021-03-05",
            ["Deuxième paragraphe."],
        ),
    ]


def test_text_after_last_url_is_one_more_article():
    text = URL_LAST + "\nTitre sans lien\n\nUn texte final sans URL.\n"
    articles = split_dump(text, "d")
    assert len(articles) == 3
    assert (articles[2].url, articles[2].title, articles[2].published) == (None, "Titre sans lien", None)
    assert articles[2].lines == ["Un texte final sans URL."]


def test_labelled_url_line():
    text = "Un titre\n\nUn paragraphe.\n\nSource : https://example.org/2019/12/31/x\n"
    (article,) = split_dump(text, "d")
    assert article.url == "https://example.org/2019/12/31/x"
    assert article.published == "2019-12-31"
    assert article.lines == ["Un paragraphe."]


def test_url_inside_a_sentence_does_not_split():
    text = "Un titre\n\nVoir https://example.org/2020/01/01/x pour plus.\n\nFin du texte.\n"
    (article,) = split_dump(text, "d")
    assert article.url is None
    assert len(article.lines) == 3


@pytest.mark.parametrize("rule", ["-----", "* * *", "=====", "———", "  - - -  "])
def test_separator_lines_split_articles(rule):
    text = f"Premier titre\n\nPremier texte.\n{rule}\nDeuxième titre\n\nDeuxième texte.\n{rule}\n"
    articles = split_dump(text, "d")
    assert [(a.origin, a.url, a.title, a.lines) for a in articles] == [
        ("d#1", None, "Premier titre", ["Premier texte."]),
        ("d#2", None, "Deuxième titre", ["Deuxième texte."]),
    ]


def test_three_blank_lines_split_articles_without_urls():
    text = "Premier titre\n\nPremier texte.\n\n\n\nDeuxième titre\n\nDeuxième texte.\n"
    assert [a.title for a in split_dump(text, "d")] == ["Premier titre", "Deuxième titre"]


def test_single_article_without_url():
    text = "ÉCONOMIE\nLa Bourse recule\n\nLe CAC 40 a perdu 2 % mardi 15 septembre 2020.\n\nLes analystes restent prudents.\n"
    (article,) = split_dump(text, "dump.txt")
    assert article.origin == "dump.txt#1"
    assert article.url is None
    assert article.kicker == "ÉCONOMIE"
    assert article.title == "La Bourse recule"
    assert article.published == "2020-09-15"  # the date opens no line but the line is short
    assert article.lines == ["Le CAC 40 a perdu 2 % mardi 15 septembre 2020.", "", "Les analystes restent prudents."]


def test_caps_only_article_uses_last_caps_line_as_title():
    (article,) = split_dump("MONDE\nTITRE EN CAPITALES\n", "d")
    assert (article.kicker, article.title, article.lines) == ("MONDE", "TITRE EN CAPITALES", [])
    # a whole paragraph after the capitals is body, not title
    paragraph = "Le texte commence ici " + " ".join(["et continue"] * 15) + "."
    (article,) = split_dump(f"MONDE\nTITRE EN CAPITALES\n\n{paragraph}\n", "d")
    assert (article.kicker, article.title, article.lines) == ("MONDE", "TITRE EN CAPITALES", [paragraph])


def test_long_first_line_is_body_not_title():
    paragraph = " ".join(["mot"] * 40) + "."
    (article,) = split_dump(paragraph + "\n\nSuite.\n", "d")
    assert article.title is None
    assert article.lines[0] == paragraph


@pytest.mark.parametrize("text", ["", "   ", "\n\n\n", "\u00a0\n \n\t\n", "\ufeff", "-----\n* * *\n"])
def test_empty_text_gives_no_article(text):
    assert split_dump(text, "d") == []


def test_nbsp_lines_are_gaps():
    text = "Un titre\n\u00a0\nUn paragraphe.\n\u00a0\nhttps://example.org/a\n\u00a0\n"
    (article,) = split_dump(text, "d")
    assert article.lines == ["Un paragraphe."]
    assert article.title == "Un titre"


# ------------------------------------------------------ published_from_url


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://french.presstv.com/Detail/2020/09/18/634363/Irak", "2020-09-18"),
        ("https://site.fr/2020/9/8/titre", "2020-09-08"),
        ("https://site.fr/2020/09/18", "2020-09-18"),
        ("https://site.fr/monde/2020-09-18-titre-de-l-article", "2020-09-18"),
        ("https://site.fr/monde/titre_2020-09-18.html", "2020-09-18"),
        ("https://site.fr/monde/20200918/titre", "2020-09-18"),
        ("https://site.fr/archives/20200918.html", "2020-09-18"),
        ("https://site.fr/article?date=2020-09-18&id=3", "2020-09-18"),
        # invalid or absent dates
        ("https://site.fr/2020/13/45/titre", None),
        ("https://site.fr/2020/02/30/titre", None),
        ("https://site.fr/2020-13-01-titre", None),
        ("https://site.fr/20201345/titre", None),
        ("https://site.fr/1800/01/01/titre", None),
        ("http://french.almanar.com.lb/1874457", None),
        ("https://site.fr/article/123456789", None),
        ("https://2020-09-18.site.fr/titre", None),  # the host is not the path
        ("", None),
        (None, None),
    ],
)
def test_published_from_url(url, expected):
    assert published_from_url(url) == expected


def test_published_from_url_takes_first_valid_date():
    assert published_from_url("https://site.fr/2020/13/45/x/2021/01/02/y") == "2021-01-02"


# ------------------------------------------------------------ find_dateline


@pytest.mark.parametrize(
    "lines, expected",
    [
        (["\u00a0Depuis 3 heures\u00a0\u00a0 15 septembre 2020"], "2020-09-15"),
        (["Publié le mardi 15 septembre 2020 à 10h32"], "2020-09-15"),
        (["1er octobre 2020"], "2020-10-01"),
        (["Le 1er mai 2019, mis à jour le 2 mai 2019"], "2019-05-01"),
        (["15 Sept. 2020"], "2020-09-15"),
        (["3 aout 2020"], "2020-08-03"),
        (["3 août 2020"], "2020-08-03"),
        (["12 février 2021"], "2021-02-12"),
        (["12 fevrier 2021"], "2021-02-12"),
        (["25 décembre 2020"], "2020-12-25"),
        (["September 15, 2020"], "2020-09-15"),
        (["Updated: Sep 15, 2020 10:32 GMT"], "2020-09-15"),
        (["1st March 2020"], "2020-03-01"),
        (["15/09/2020"], "2020-09-15"),
        (["09/15/2020"], "2020-09-15"),  # day first impossible: month first
        (["2020-09-15"], "2020-09-15"),
        # a blank first line does not count among the lines looked at
        (["", "   ", "Par la rédaction", "15 septembre 2020"], "2020-09-15"),
    ],
)
def test_find_dateline(lines, expected):
    assert find_dateline(lines) == expected


def test_find_dateline_ignores_dates_deep_in_long_lines():
    caption = (
        "Des forces irakiennes montent la garde devant le siège de l'ambassade américaine à Bagdad, "
        "un jour de grande tension dans la capitale, le 2 janvier 2020."
    )
    assert len(caption) > 80
    assert find_dateline([caption]) is None
    # the same date opening a long line is a dateline
    assert find_dateline(["2 janvier 2020 — " + caption]) == "2020-01-02"


def test_find_dateline_only_looks_near_the_top():
    lines = [f"Paragraphe numéro {i}." for i in range(6)] + ["15 septembre 2020"]
    assert find_dateline(lines) is None
    assert find_dateline(lines, max_lines=7) == "2020-09-15"


@pytest.mark.parametrize(
    "lines", [[], [""], ["Aucune date ici."], ["31 février 2020"], ["le 15 de septembre"], ["32/13/2020"]]
)
def test_find_dateline_none(lines):
    assert find_dateline(lines) is None

"""Tests of transforms.segment: paragraph offsets, sentence splitting, SegmentArticles."""

import time

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing import test_pipeline
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from transforms.records import Article, CleanedArticle, Paragraph, Sentence
from transforms.text.language import LanguagedArticle
from transforms.text.segment import (
    SegmentArticles,
    join_paragraphs,
    segment_article,
    split_sentences,
)


def sentences(paragraph, language=None):
    return [paragraph[start:end] for start, end in split_sentences(paragraph, language)]


# --- join_paragraphs -------------------------------------------------------------------------


def test_join_paragraphs_offsets():
    text, spans = join_paragraphs(["Un.", "Deux trois.", "Quatre"])
    assert text == "Un.\n\nDeux trois.\n\nQuatre"
    assert spans == [(0, 3), (5, 16), (18, 24)]
    assert [text[s:e] for s, e in spans] == ["Un.", "Deux trois.", "Quatre"]


def test_join_paragraphs_empty_and_single():
    assert join_paragraphs([]) == ("", [])
    assert join_paragraphs(["Seul."]) == ("Seul.", [(0, 5)])


def test_join_paragraphs_code_point_offsets():
    # Astral chars are one code point in Python str (two UTF-16 units, four UTF-8 bytes).
    paragraphs = ["Émoji 😀 ici.", "Ensuite 𝔘𝔫𝔦𝔠𝔬𝔡𝔢."]
    text, spans = join_paragraphs(paragraphs)
    assert spans == [(0, 12), (14, 30)]
    assert [text[s:e] for s, e in spans] == paragraphs


# --- split_sentences: French -----------------------------------------------------------------

FRENCH_CASES = [
    (
        "M. Macron a reçu Mme. Zakharova hier. Elle a refusé.",
        ["M. Macron a reçu Mme. Zakharova hier.", "Elle a refusé."],
    ),
    ("Mme Zakharova a répondu. M. Dupont aussi.", ["Mme Zakharova a répondu.", "M. Dupont aussi."]),
    (
        "Selon M. Le Pen, rien n'est joué. MM. Dupont et Durand approuvent.",
        ["Selon M. Le Pen, rien n'est joué.", "MM. Dupont et Durand approuvent."],
    ),
    (
        "Le Dr. Martin habite à St. Denis, au No. 5. Il est content.",
        ["Le Dr. Martin habite à St. Denis, au No. 5.", "Il est content."],
    ),
    (
        "Le budget atteint 5.200 euros, soit 3.5 % de plus. C'est beaucoup.",
        ["Le budget atteint 5.200 euros, soit 3.5 % de plus.", "C'est beaucoup."],
    ),
    ("« Il est parti. » Puis il est revenu.", ["« Il est parti. »", "Puis il est revenu."]),
    (
        "Il a dit : « Je pars demain. » Elle n'a rien répondu.",
        ["Il a dit : « Je pars demain. »", "Elle n'a rien répondu."],
    ),
    (
        "« Je ne sais pas... » a-t-il dit. Puis il est parti.",
        ["« Je ne sais pas... » a-t-il dit.", "Puis il est parti."],
    ),
    ("« Qui est-ce ? » demande-t-il. Personne ne répond.", ["« Qui est-ce ? » demande-t-il.", "Personne ne répond."]),
    ("« Vraiment ? » Oui.", ["« Vraiment ? »", "Oui."]),
    (
        "Il a lu J. R. R. Tolkien, Proust, etc. et d'autres. Qui ? Personne !",
        ["Il a lu J. R. R. Tolkien, Proust, etc. et d'autres.", "Qui ?", "Personne !"],
    ),
    ("Pourquoi ? Parce que. Vraiment !", ["Pourquoi ?", "Parce que.", "Vraiment !"]),
    ("Il hésite… Puis il part.", ["Il hésite…", "Puis il part."]),
    ("Il hésite… et part.", ["Il hésite… et part."]),
    (
        "Rendez-vous le 5 janv. 2025 à Paris. Voir p. 12 et cf. Le Monde.",
        ["Rendez-vous le 5 janv. 2025 à Paris.", "Voir p. 12 et cf. Le Monde."],
    ),
    (
        "Elle est née en 1990. 25 ans plus tard, elle est ministre.",
        ["Elle est née en 1990.", "25 ans plus tard, elle est ministre."],
    ),
    ("— Oui. — Non.", ["— Oui.", "— Non."]),
    ("1. Le premier point. 2. Le second.", ["1. Le premier point.", "2. Le second."]),
    (
        "César est mort en 44 av. J.-C. à Rome. Les Romains l'ont pleuré.",
        ["César est mort en 44 av. J.-C. à Rome.", "Les Romains l'ont pleuré."],
    ),
    ("Il cite Voltaire, Hugo, etc. Le public applaudit.", ["Il cite Voltaire, Hugo, etc.", "Le public applaudit."]),
    ("Il n'y a pas de ponctuation finale", ["Il n'y a pas de ponctuation finale"]),
    # Narrow no-break space before » ? ! as French typography does.
    (
        "«\u202fC'est fini.\u202f» Il s'en va\u202f! Quand\u202f? Demain.",
        ["«\u202fC'est fini.\u202f»", "Il s'en va\u202f!", "Quand\u202f?", "Demain."],
    ),
]

ENGLISH_CASES = [
    (
        "Gen. Smith joined the U.S. Army in 1990. He retired later.",
        ["Gen. Smith joined the U.S. Army in 1990.", "He retired later."],
    ),
    (
        "US Rep. Ilhan Omar (D-MN) (L) talks with Speaker of the House Nancy Pelosi (D-CA) during a rally with "
        "fellow Democrats before voting on H.R. 1, or the People Act, on the East Steps of the US Capitol on "
        "March 08, 2019 in Washington, DC.",
        [
            "US Rep. Ilhan Omar (D-MN) (L) talks with Speaker of the House Nancy Pelosi (D-CA) during a rally with "
            "fellow Democrats before voting on H.R. 1, or the People Act, on the East Steps of the US Capitol on "
            "March 08, 2019 in Washington, DC."
        ],
    ),
    (
        "Nancy Pelosi (D-CA) said she would vote. Others did not.",
        ["Nancy Pelosi (D-CA) said she would vote.", "Others did not."],
    ),
    ("Dr. Jones met Mr. Brown at St. Paul's. They talked.", ["Dr. Jones met Mr. Brown at St. Paul's.", "They talked."]),
    ("He lives at No. 5 Downing Street. It is small.", ["He lives at No. 5 Downing Street.", "It is small."]),
    (
        "Books by J. R. R. Tolkien, apples, pears, etc. are here. Is it? Yes!",
        ["Books by J. R. R. Tolkien, apples, pears, etc. are here.", "Is it?", "Yes!"],
    ),
    ("He served in the U.S. The next year he left.", ["He served in the U.S.", "The next year he left."]),
    (
        "The vote is at 3 p.m. Was it a surprise? Not really!",
        ["The vote is at 3 p.m.", "Was it a surprise?", "Not really!"],
    ),
    (
        "The rate rose 3.5 % to 5.200 points. Analysts were surprised.",
        ["The rate rose 3.5 % to 5.200 points.", "Analysts were surprised."],
    ),
    ("“He is gone.” Then he came back.", ["“He is gone.”", "Then he came back."]),
    ("“I don't know...” he said. Then he left.", ["“I don't know...” he said.", "Then he left."]),
    ('She said "It is over." Nobody moved.', ['She said "It is over."', "Nobody moved."]),
    ('He left. "Go," she said.', ["He left.", '"Go," she said.']),
    (
        "Some fruit (apples, e.g. Granny Smith) was sold. Prices rose.",
        ["Some fruit (apples, e.g. Granny Smith) was sold.", "Prices rose."],
    ),
    ("Where is he?! Nobody knows.", ["Where is he?!", "Nobody knows."]),
    (
        "Lt. Col. J. R. Jones (Ret.) spoke. Sen. Warren replied on Jan. 5 in Washington.",
        ["Lt. Col. J. R. Jones (Ret.) spoke.", "Sen. Warren replied on Jan. 5 in Washington."],
    ),
]


@pytest.mark.parametrize("paragraph, expected", FRENCH_CASES)
def test_split_sentences_french(paragraph, expected):
    assert sentences(paragraph, "fr") == expected


@pytest.mark.parametrize("paragraph, expected", ENGLISH_CASES)
def test_split_sentences_english(paragraph, expected):
    assert sentences(paragraph, "en") == expected


@pytest.mark.parametrize("paragraph, expected", FRENCH_CASES[:6] + ENGLISH_CASES[:6])
def test_split_sentences_does_not_depend_on_a_wrong_language(paragraph, expected):
    # A paragraph's detected language can be wrong or missing: same answer.
    assert sentences(paragraph, None) == sentences(paragraph, "de") == expected


def test_split_sentences_strips_whitespace_and_skips_empty():
    paragraph = "  Première phrase.   Deuxième phrase.  "
    spans = split_sentences(paragraph, "fr")
    assert spans == [(2, 18), (21, 37)]
    assert [paragraph[s:e] for s, e in spans] == ["Première phrase.", "Deuxième phrase."]
    assert split_sentences("", "fr") == []
    assert split_sentences("   \n ", "fr") == []


def test_split_sentences_cjk():
    assert sentences("今天天气很好。我们去公园吧！好吗？", "zh") == ["今天天气很好。", "我们去公园吧！", "好吗？"]


def test_split_sentences_spans_cover_the_paragraph_in_order():
    # Cases glued into one paragraph (all but the one without a final stop).
    cases = [case for case in FRENCH_CASES + ENGLISH_CASES if case[0][-1] in ".!?…»”\u202f"]
    assert len(cases) == len(FRENCH_CASES) + len(ENGLISH_CASES) - 1
    paragraph = " ".join(text for text, _ in cases)
    spans = split_sentences(paragraph, "fr")
    expected = [s for _, ss in cases for s in ss]
    assert [paragraph[s:e] for s, e in spans] == expected
    for (s1, e1), (s2, e2) in zip(spans, spans[1:]):
        assert s1 < e1 <= s2 < e2
        assert paragraph[e1:s2].isspace()


def test_split_sentences_is_fast_and_linear():
    paragraph = (
        "M. Macron a reçu mardi Mme Zakharova à l'Élysée. « Nous avons parlé de tout. » Selon le Dr. Martin, "
        "la rencontre a duré 3.5 heures. Gen. Smith joined the U.S. Army in 1990. Was it a surprise? Not really! "
    )
    started = time.perf_counter()
    for _ in range(2000):
        split_sentences(paragraph, "fr")
    per_second = 2000 / (time.perf_counter() - started)
    assert per_second > 2000, per_second  # measured ~60,000/s; generous for slow CI
    long_paragraph = paragraph * 200  # ~45,000 chars, ~1,200 sentences
    started = time.perf_counter()
    spans = split_sentences(long_paragraph, "fr")
    assert len(spans) == 6 * 200
    assert time.perf_counter() - started < 1.0


# --- segment_article -------------------------------------------------------------------------

CLEANED = CleanedArticle(
    id="a1",
    origin="feed.jsonl#3",
    url="https://example.org/a1",
    source="example.org",
    title="Titre",
    published="2019-03-08T10:00:00Z",
    declared_language="fr",
    paragraphs=[
        "M. Macron a reçu Mme Zakharova. « Il est parti. » Puis il est revenu.",
        "US Rep. Ilhan Omar (D-MN) talks with Nancy Pelosi (D-CA). They met in Washington, DC.",
        "Photo : AFP",
        "Émoji 😀 inclus. Fin",
    ],
)
LANGUAGES = ["fr", "en", "fr", "fr"]
FOREIGN = [False, True, False, False]

EXPECTED_TEXT = "\n\n".join(CLEANED.paragraphs)
EXPECTED_PARAGRAPHS = [
    Paragraph(index=0, start=0, end=69, language="fr", foreign=False),
    Paragraph(index=1, start=71, end=156, language="en", foreign=True),
    Paragraph(index=2, start=158, end=169, language="fr", foreign=False),
    Paragraph(index=3, start=171, end=190, language="fr", foreign=False),
]
EXPECTED_SENTENCES = [
    Sentence("a1", 0, 0, 0, 31, "M. Macron a reçu Mme Zakharova.", "fr"),
    Sentence("a1", 1, 0, 32, 49, "« Il est parti. »", "fr"),
    Sentence("a1", 2, 0, 50, 69, "Puis il est revenu.", "fr"),
    Sentence("a1", 3, 1, 71, 128, "US Rep. Ilhan Omar (D-MN) talks with Nancy Pelosi (D-CA).", "en"),
    Sentence("a1", 4, 1, 129, 156, "They met in Washington, DC.", "en"),
    Sentence("a1", 5, 2, 158, 169, "Photo : AFP", "fr"),
    Sentence("a1", 6, 3, 171, 186, "Émoji 😀 inclus.", "fr"),
    Sentence("a1", 7, 3, 187, 190, "Fin", "fr"),
]


def test_segment_article_values():
    article, found = segment_article(CLEANED, "fr", LANGUAGES, FOREIGN)
    assert article == Article(
        id="a1",
        origin="feed.jsonl#3",
        url="https://example.org/a1",
        source="example.org",
        title="Titre",
        published="2019-03-08T10:00:00Z",
        language="fr",
        text=EXPECTED_TEXT,
        paragraphs=EXPECTED_PARAGRAPHS,
    )
    assert found == EXPECTED_SENTENCES


def test_segment_article_invariants():
    article, found = segment_article(CLEANED, "fr", LANGUAGES, FOREIGN)
    assert [s.index for s in found] == list(range(len(found)))
    for paragraph, original in zip(article.paragraphs, CLEANED.paragraphs):
        assert article.text[paragraph.start : paragraph.end] == original
    for sentence in found:
        paragraph = article.paragraphs[sentence.paragraph]
        assert article.text[sentence.start : sentence.end] == sentence.text
        assert paragraph.start <= sentence.start < sentence.end <= paragraph.end
        assert "\n\n" not in sentence.text
        assert sentence.text == sentence.text.strip()
        assert sentence.language == paragraph.language
    # Code point offsets: the emoji counts as one.
    emoji = next(s for s in found if "😀" in s.text)
    assert emoji.end - emoji.start == len("Émoji 😀 inclus.") == 15
    assert len(emoji.text.encode("utf-16-le")) // 2 == 16  # not UTF-16 units


def test_sentence_never_crosses_a_paragraph():
    cleaned = CLEANED._replace(paragraphs=["Un titre sans point", "Le texte commence ici. Et finit"])
    article, found = segment_article(cleaned, "fr", ["fr", "fr"], [False, False])
    assert [(s.paragraph, s.text) for s in found] == [
        (0, "Un titre sans point"),
        (1, "Le texte commence ici."),
        (1, "Et finit"),
    ]


def test_segment_article_without_language_and_without_paragraphs():
    article, found = segment_article(CLEANED._replace(paragraphs=[]), None, [], [])
    assert article.text == "" and article.paragraphs == [] and article.language is None
    assert found == []


def test_segment_article_rejects_mismatched_languages():
    with pytest.raises(ValueError):
        segment_article(CLEANED, "fr", ["fr"], FOREIGN)


# --- SegmentArticles -------------------------------------------------------------------------


def test_segment_articles_transform():
    second = CLEANED._replace(id="a2", paragraphs=["Phrase unique sans langue"])
    inputs = [
        LanguagedArticle(article=CLEANED, language="fr", paragraph_languages=LANGUAGES, foreign=FOREIGN),
        LanguagedArticle(article=second, language=None, paragraph_languages=[None], foreign=[False]),
    ]
    pipeline = test_pipeline.TestPipeline()
    outputs = pipeline | beam.Create(inputs) | SegmentArticles()
    assert_that(
        outputs.articles
        | "ArticleValues" >> beam.Map(lambda a: (a.id, a.language, a.text, [tuple(p) for p in a.paragraphs])),
        equal_to(
            [
                ("a1", "fr", EXPECTED_TEXT, [tuple(p) for p in EXPECTED_PARAGRAPHS]),
                ("a2", None, "Phrase unique sans langue", [(0, 0, 25, None, False)]),
            ]
        ),
        label="articles",
    )
    assert_that(
        outputs.sentences | "SentenceValues" >> beam.Map(tuple),
        equal_to([tuple(s) for s in EXPECTED_SENTENCES] + [("a2", 0, 0, 0, 25, "Phrase unique sans langue", None)]),
        label="sentences",
    )
    assert_that(
        outputs.sentences | "SentenceTypes" >> beam.Map(lambda s: type(s).__name__) | beam.Distinct(),
        equal_to(["Sentence"]),
        label="sentence_type",
    )
    result = pipeline.run()
    result.wait_until_finish()
    counters = {
        c.key.metric.name: c.committed
        for c in result.metrics().query(MetricsFilter().with_namespace("segment"))["counters"]
    }
    assert counters == {"articles": 2, "sentences": 9}
    assert outputs.articles.element_type is Article
    assert outputs.sentences.element_type is Sentence


def test_segment_outputs_are_schema_rows():
    pipeline = TestPipeline()
    outputs = (
        pipeline
        | beam.Create(
            [LanguagedArticle(article=CLEANED, language="fr", paragraph_languages=LANGUAGES, foreign=FOREIGN)]
        )
        | SegmentArticles()
    )
    proto, context = pipeline.to_runner_api(return_context=True)
    for pcollection in (outputs.articles, outputs.sentences):
        coder_id = context.pcollections.get_proto(pcollection).coder_id
        assert proto.components.coders[coder_id].spec.urn == "beam:coder:row:v1"

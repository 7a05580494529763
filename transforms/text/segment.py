"""Article text, paragraph offsets and sentence segmentation.

Splitter choice, measured on this machine (2-core VM, CPython 3.11) on the
two ~320-char FR/EN paragraphs of ``benchmarks/segment_speed.py`` and the cases of
tests/test_segment.py:

* pysbd 0.3.4 (``char_span=True``): ~1,700 (en) to ~2,200 (fr) paragraphs/s,
  at or under the 2,000/s target, and wrong in French: it splits after
  "Mme.", "Dr.", "St.", "No." ("Le Dr. | Martin habite à St. | Denis") and
  does not split « Il est parti. » Puis il est revenu.
* sentencex 1.0.32 (Rust): ~255,000 paragraphs/s, but in French it splits
  after the title "M." ("M. | Macron"), "Dr.", "St.", "No.", and returns
  strings, not offsets.
* not tried: nltk punkt (needs a data download at run time, none offline);
  spaCy (a large dependency whose sentencizer only knows the abbreviations of
  each language's tokenizer exceptions).

So this module has its own compact splitter: one regex finds candidate ends
(terminal punctuation, then closing quotes/brackets, then whitespace, then a
char that can open a sentence) and explicit FR/EN rules veto the candidates
after a title or reference abbreviation, an initial or a dotted acronym. It
passes every case of tests/test_segment.py at ~70,000 paragraphs/s on the
same paragraphs (``python -m benchmarks.segment_speed`` prints the figure).
"""

from __future__ import annotations

import re
from typing import Iterable, List, Optional, Tuple

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms.records import Article, CleanedArticle, Paragraph, Sentence
from transforms.text.language import LanguagedArticle

PARAGRAPH_SEPARATOR = "\n\n"


# Abbreviations after which "." never ends a sentence (case-sensitive: "No." is
# a number sign, "no." is a word). Titles, then references, then months.
_TITLES = {
    # French
    "M",
    "MM",
    "Mme",
    "Mmes",
    "Mlle",
    "Mlles",
    "Me",
    "Mes",
    "Mgr",
    "Dr",
    "Drs",
    "Pr",
    "St",
    "Ste",
    "Gal",
    "Gén",
    "Cdt",
    "Col",
    "Lt",
    "Sgt",
    "Vve",
    "Ets",
    "Cie",
    "Dpt",
    "Av",
    "Bd",
    "av",
    "apr",
    # English
    "Mr",
    "Mrs",
    "Ms",
    "Messrs",
    "Prof",
    "Gen",
    "Lieut",
    "Capt",
    "Cmdr",
    "Adm",
    "Maj",
    "Gov",
    "Sen",
    "Rep",
    "Reps",
    "Rev",
    "Hon",
    "Pres",
    "Supt",
    "Sr",
    "Mt",
    "Ft",
    "Cpl",
    "Pvt",
    "Atty",
    "Insp",
    "Det",
    "Cllr",
    "Amb",
    # references, before a number or a name
    "No",
    "Nos",
    "Nr",
    "Vol",
    "Fig",
    "Art",
    "Chap",
    "Ch",
    "Sec",
    "Ex",
    "p",
    "pp",
    "cf",
    "Cf",
    "vs",
    "e.g",
    "i.e",
    "E.g",
    "I.e",
    "viz",
    "env",
    "ca",
    "approx",
    "ch",
    "fig",
    "chap",
    "al",
    "réf",
    "Réf",
    # months
    "Jan",
    "Feb",
    "Febr",
    "Apr",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Sept",
    "Oct",
    "Nov",
    "Dec",
    "janv",
    "févr",
    "avr",
    "juil",
    "sept",
    "oct",
    "nov",
    "déc",
}


# Words that start sentences; after an initial ("J.") or an upper-case dotted
# acronym ("U.S.", "H.R.") a "." ends the sentence only when one of these follows.
_STARTERS = {
    # English
    "The",
    "A",
    "An",
    "He",
    "She",
    "It",
    "They",
    "We",
    "I",
    "You",
    "This",
    "That",
    "These",
    "Those",
    "There",
    "Here",
    "His",
    "Her",
    "Its",
    "Their",
    "Our",
    "My",
    "But",
    "And",
    "Or",
    "So",
    "Yet",
    "In",
    "On",
    "At",
    "As",
    "If",
    "When",
    "While",
    "After",
    "Before",
    "Since",
    "For",
    "With",
    "By",
    "From",
    "Some",
    "Many",
    "Most",
    "All",
    "No",
    "Not",
    "What",
    "Who",
    "How",
    "Why",
    "Where",
    "Then",
    "Now",
    "Still",
    "However",
    "Meanwhile",
    "Also",
    "Last",
    "Earlier",
    "Later",
    "Is",
    "Are",
    "Was",
    "Were",
    "Do",
    "Does",
    "Did",
    "Has",
    "Have",
    "Had",
    "Will",
    "Would",
    "Can",
    "Could",
    "Should",
    # French
    "Le",
    "La",
    "Les",
    "L",
    "Un",
    "Une",
    "Des",
    "Du",
    "De",
    "Il",
    "Elle",
    "Ils",
    "Elles",
    "Je",
    "Nous",
    "Vous",
    "Ce",
    "Cet",
    "Cette",
    "Ces",
    "Ça",
    "Cela",
    "Mais",
    "Et",
    "Ou",
    "Donc",
    "En",
    "Au",
    "Aux",
    "Dans",
    "Pour",
    "Par",
    "Sur",
    "Avec",
    "Selon",
    "Depuis",
    "Après",
    "Avant",
    "Puis",
    "Lors",
    "Alors",
    "Pourtant",
    "Cependant",
    "Ainsi",
    "Enfin",
    "Si",
    "Quand",
    "Lorsque",
    "Son",
    "Sa",
    "Ses",
    "Leur",
    "Leurs",
    "Qui",
    "Que",
    "Quoi",
    "Pourquoi",
    "Comment",
    "Où",
    "C",
    "Est",
    "Sont",
    "Était",
    "Mon",
    "Ma",
    "Mes",
    "Notre",
    "Nos",
    "Votre",
    "Vos",
    "Aucun",
    "Aucune",
}


# A candidate end: terminal punctuation, closing quotes/brackets (French puts a
# space before »), whitespace, then a char that may open a sentence: checked in
# Python (upper-case letter, digit, opening quote or bracket, dash).
_CANDIDATE = re.compile(r"[.!?…]+(?:\s*[»”\"’')\]])*(?=\s+(\S))")


# CJK full stops end sentences without a following space.
_CJK_END = re.compile(r"[。！？]+[」』）”]*(?=\S)")


_OPENERS = set("«“„\"'‘([¿¡—–-•")


_INITIAL = re.compile(r"^[^\W\d_]$")  # a single letter ("J", "É")


_DOTTED = re.compile(r"^(?:[^\W\d_]{1,2}\.)+[^\W\d_]{1,2}$")  # "U.S", "p.m", "H.R", "Ph.D"


_NEXT_WORD = re.compile(r"[^\W\d_]+(\.)?")  # "Army", "R." (an initial)


_OPENING_PUNCT = "«“„\"'‘(["


def join_paragraphs(paragraphs: List[str]) -> Tuple[str, List[Tuple[int, int]]]:
    """Article text (paragraphs joined by a blank line) and each paragraph's
    (start, end) offsets into it, in code points."""
    spans: List[Tuple[int, int]] = []
    position = 0
    for paragraph in paragraphs:
        spans.append((position, position + len(paragraph)))
        position += len(paragraph) + len(PARAGRAPH_SEPARATOR)
    return PARAGRAPH_SEPARATOR.join(paragraphs), spans


def _is_end(paragraph: str, match: re.Match[str], sentence_start: int) -> bool:
    """Whether a candidate found by _CANDIDATE really ends the sentence that
    began at ``sentence_start``."""
    start = match.start()
    next_char = match.group(1)
    if not (next_char.isupper() or next_char.isdigit() or next_char in _OPENERS):
        return False  # "... » a-t-il dit", "etc. et", "Why? because" rarely
    if paragraph[start] != "." or paragraph.startswith("..", start):
        return True  # ? ! … and "..." before a capital
    # The word before the ".", scanned backwards (a regex search anchored at
    # ``start`` would rescan the paragraph from 0 for every candidate).
    word_start, floor = start, max(0, start - 40)
    while word_start > floor and not paragraph[word_start - 1].isspace():
        word_start -= 1
    word = paragraph[word_start:start].lstrip(_OPENING_PUNCT)
    if not word:
        return True
    if word in _TITLES:
        return False
    if word.isdigit() and len(word) <= 3 and not paragraph[sentence_start:word_start].strip():
        return False  # a list number opening the sentence: "1. Le premier point. 2. Le second."
    if _INITIAL.match(word) or (_DOTTED.match(word) and not word.islower()):
        # "J. R. R. Tolkien", "the U.S. Army", "H.R. 1" go on;
        # "in the U.S. The next day" ends. (Lower-case "p.m." / "a.m." before
        # a capital end, like any word: "e.g." and "i.e." are in _TITLES.)
        if next_char in _OPENERS:
            return True
        following = _NEXT_WORD.match(paragraph, match.start(1))
        if following is None:
            return False  # a number: "H.R. 1"
        if following.group(1) and len(following.group(0)) == 2:
            return False  # another initial: "J. R."
        return following.group(0).rstrip(".") in _STARTERS
    return True


def split_sentences(paragraph: str, language: Optional[str] = None) -> List[Tuple[int, int]]:
    """Sentence (start, end) spans in ``paragraph``, stripped of surrounding
    whitespace. ``language`` is accepted for future per-language rules: the
    FR and EN abbreviation lists are safe to apply to both (and to other
    Latin-script languages), since a paragraph's detected language can be wrong."""
    ends: List[int] = []
    for match in _CANDIDATE.finditer(paragraph):
        if _is_end(paragraph, match, ends[-1] if ends else 0):
            ends.append(match.end())
    if "。" in paragraph or "！" in paragraph or "？" in paragraph:
        ends = sorted(set(ends) | {match.end() for match in _CJK_END.finditer(paragraph)})
    spans: List[Tuple[int, int]] = []
    start = 0
    for end in ends + [len(paragraph)]:
        span = _strip(paragraph, start, end)
        if span is not None:
            spans.append(span)
        start = end
    return spans


def _strip(text: str, start: int, end: int) -> Optional[Tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def segment_article(
    cleaned: CleanedArticle,
    article_language: Optional[str],
    paragraph_languages: List[Optional[str]],
    foreign_flags: List[bool],
) -> Tuple[Article, List[Sentence]]:
    """The final Article (text, paragraph offsets and languages) and its
    Sentences, whose offsets index into Article.text and never cross a paragraph."""
    paragraphs = list(cleaned.paragraphs)
    if not len(paragraphs) == len(paragraph_languages) == len(foreign_flags):
        raise ValueError(
            f"article {cleaned.id}: {len(paragraphs)} paragraphs but {len(paragraph_languages)} "
            f"languages and {len(foreign_flags)} foreign flags"
        )
    text, spans = join_paragraphs(paragraphs)
    records: List[Paragraph] = []
    sentences: List[Sentence] = []
    for index, (paragraph, (p_start, p_end), language, foreign) in enumerate(
        zip(paragraphs, spans, paragraph_languages, foreign_flags)
    ):
        records.append(Paragraph(index=index, start=p_start, end=p_end, language=language, foreign=bool(foreign)))
        for s_start, s_end in split_sentences(paragraph, language):
            sentences.append(
                Sentence(
                    article_id=cleaned.id,
                    index=len(sentences),
                    paragraph=index,
                    start=p_start + s_start,
                    end=p_start + s_end,
                    text=paragraph[s_start:s_end],
                    language=language,
                )
            )
    article = Article(
        id=cleaned.id,
        origin=cleaned.origin,
        url=cleaned.url,
        source=cleaned.source,
        title=cleaned.title,
        published=cleaned.published,
        language=article_language,
        text=text,
        paragraphs=records,
    )
    return article, sentences


class _SegmentFn(beam.DoFn):
    SENTENCES = "sentences"

    def __init__(self):
        self.articles = Metrics.counter("segment", "articles")
        self.sentences = Metrics.counter("segment", "sentences")

    def process(self, languaged: LanguagedArticle) -> Iterable:
        article, sentences = segment_article(
            languaged.article, languaged.language, list(languaged.paragraph_languages), list(languaged.foreign)
        )
        self.articles.inc()
        self.sentences.inc(len(sentences))
        yield article
        for sentence in sentences:
            yield beam.pvalue.TaggedOutput(self.SENTENCES, sentence)


class SegmentArticles(beam.PTransform):
    """PCollection[LanguagedArticle] -> DoOutputsTuple with ``articles``
    (PCollection[Article]) and ``sentences`` (PCollection[Sentence]).

    Counters (namespace "segment"): articles, sentences.
    """

    def expand(self, languaged):
        outputs = languaged | "Segment" >> beam.ParDo(_SegmentFn()).with_outputs(_SegmentFn.SENTENCES, main="articles")
        outputs.articles.element_type = Article
        outputs.sentences.element_type = Sentence
        return outputs

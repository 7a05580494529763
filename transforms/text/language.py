"""Language detection of articles and of their paragraphs.

langdetect (a port of Google's language-detection, 55 languages) is randomised:
it samples n-grams with ``random.Random`` seeded from the detector factory's
seed, and draws a fresh OS seed when that is None. Here one private factory per
process loads the profiles once and carries ``seed = 0``; every call builds a
fresh ``Detector`` from it, so a text gets the same answer in every process,
thread and run (tests check this across two subprocesses).

Cost: langdetect's work is a char-by-char normalisation of the text plus up to
7 trials of at most 1000 random n-gram updates each, so the text is cut at
``MAX_CHARS`` characters. Measured on this machine (2-core VM, CPython 3.11):
~1.0 ms per call on a 300-char paragraph, ~1.4 ms per call at the 1000-char
cap, vs ~4.9 ms on a 5,000-char article uncapped; a 6-paragraph article costs
~6 ms in all (one call for the article, one per long-enough paragraph).
Loading the profiles costs ~0.7 s once per process (DoFn.setup). A French or English
paragraph (or article sample) whose function words plainly show its language
(``plainly_in``) skips its langdetect call: on 489 articles (11,006 paragraphs) of the
throughput corpus that took detection from 38.8 to 11.7 ms an article (3.3x), with not
one article or paragraph labelled differently (``python -m benchmarks.language``).
"""

import re
import threading
from typing import List, NamedTuple, Optional, Tuple

import apache_beam as beam
from apache_beam.metrics import Metrics
from langdetect import DetectorFactory
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.lang_detect_exception import LangDetectException

from transforms.records import CleanedArticle

# Text longer than this is cut before detection (see the timings above).
MAX_CHARS = 1000


# An article longer than MAX_CHARS is sampled: the first SAMPLE_SHARE or more
# chars of paragraphs spread over it (see article_sample).
SAMPLE_SHARE = 200


# Below this many letters a text is not worth asking about: detect_language -> None.
MIN_LETTERS = 20


# A paragraph gets its own language (and may be flagged foreign) only from this
# many letters on; shorter ones ("Photo : AFP", a name, a date line) inherit the
# article's language. langdetect is unreliable on one short sentence.
PARAGRAPH_MIN_LETTERS = 40


# ... and only when langdetect is at least this sure of a language that differs
# from the article's; otherwise the paragraph inherits the article's language.
FOREIGN_MIN_PROB = 0.90


# Deterministic langdetect everywhere, also for code calling langdetect.detect().
DetectorFactory.seed = 0


_factory: Optional[DetectorFactory] = None


_factory_lock = threading.Lock()


# Typographic characters folded before detection. langdetect maps both the
# typographic and the ASCII apostrophe to a space, but counts ’ (U+2019) as a
# "non-Latin" character when it decides whether to strip Latin text, so fold it.
_FOLD = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00a0": " ", "\u202f": " "})


def _get_factory() -> DetectorFactory:
    """The process-wide factory, profiles loaded once, seed 0."""
    global _factory
    if _factory is None:
        with _factory_lock:
            if _factory is None:
                factory = DetectorFactory()
                factory.load_profile(PROFILES_DIRECTORY)
                factory.set_seed(0)
                _factory = factory
    return _factory


def normalize_code(code: Optional[str]) -> Optional[str]:
    """ISO 639-1 code from a langdetect or feed code: 'zh-cn' -> 'zh', 'FR_fr' -> 'fr'."""
    if not code:
        return None
    code = code.strip().lower().replace("_", "-").split("-")[0]
    return code if code.isalpha() and 2 <= len(code) <= 3 else None


def count_letters(text: str) -> int:
    return sum(1 for ch in text if ch.isalpha())


def _probabilities(text: str) -> List[Tuple[str, float]]:
    """[(iso code, probability)] best first; [] when undecidable."""
    if count_letters(text) < MIN_LETTERS:
        return []
    detector = _get_factory().create()
    detector.set_max_text_length(MAX_CHARS)
    detector.append(text[:MAX_CHARS].translate(_FOLD))
    try:
        found = detector.get_probabilities()
    except LangDetectException:
        return []
    merged: dict = {}
    for lang in found:
        code = normalize_code(lang.lang)
        if code:
            merged[code] = merged.get(code, 0.0) + lang.prob
    return sorted(merged.items(), key=lambda item: (-item[1], item[0]))


def detect_language_with_probability(text: str) -> Tuple[Optional[str], float]:
    """(ISO 639-1 code, probability), or (None, 0.0) when undecidable."""
    found = _probabilities(text)
    return found[0] if found else (None, 0.0)


def detect_language(text: str) -> Optional[str]:
    """ISO 639-1 code of ``text`` ('fr', 'en', 'zh', ...), None when it has fewer
    than MIN_LETTERS letters or langdetect finds no feature in it."""
    return detect_language_with_probability(text)[0]


def article_sample(paragraphs: List[str], limit: int = MAX_CHARS) -> str:
    """The text the article language is detected on: the whole text when it fits
    in ``limit`` chars, else the starts of paragraphs spread evenly over the
    article (at least SAMPLE_SHARE chars each), so a long English caption or
    quote at the top of a French article does not decide alone."""
    text = "\n\n".join(paragraphs)
    if len(text) <= limit:
        return text
    count = max(1, min(len(paragraphs), limit // SAMPLE_SHARE))
    share = limit // count - 2
    picked = sorted({round(i * (len(paragraphs) - 1) / max(1, count - 1)) for i in range(count)})
    return "\n\n".join(paragraphs[i][:share] for i in picked)[:limit]


def detect_article_languages(
    paragraphs: List[str], declared: Optional[str]
) -> Tuple[Optional[str], List[Optional[str]], List[bool]]:
    """(article language, language per paragraph, foreign flag per paragraph).

    The article language is detected on the whole text (a MAX_CHARS sample of
    it, see article_sample), else it is the declared one, else None. A
    paragraph with at least PARAGRAPH_MIN_LETTERS letters whose detected
    language differs from the article's with probability >= FOREIGN_MIN_PROB
    keeps that language and is flagged foreign; every other paragraph inherits
    the article language. When the article has no language, long-enough
    paragraphs keep their own detection and nothing is flagged foreign.
    """
    return _article_languages(paragraphs, declared)[1:]


# Function words that are frequent in one language and rare in its neighbours (Spanish,
# Italian, Catalan, Portuguese share "de", "la", "que", "en" with French, so those are left out).
_FUNCTION_WORDS = {
    "fr": frozenset(
        "le les des du au aux est sont été une dans pour avec sur qui ont il elle ce cette ces "
        "mais pas ne nous vous leur leurs était avait selon plus aussi".split()
    ),
    "en": frozenset(
        "the and of to is was were that with for are has have had this from by which it its "
        "been be their they he she said not but after".split()
    ),
}


_WORD = re.compile(r"[^\W\d_]+")


# A paragraph inherits the article's language without a langdetect call when at least this many
# of its words, and this share of them, are function words of that language and it has more
# of them than of the other listed language: it is not a foreign quote.
OWN_LANGUAGE_MIN_HITS = 3


OWN_LANGUAGE_MIN_SHARE = 0.12


def plainly_in(paragraph: str, language: Optional[str]) -> bool:
    """True when function words show the paragraph is in ``language`` (fr or en) beyond doubt;
    False means "ask langdetect", not "another language"."""
    own = _FUNCTION_WORDS.get(language or "")
    if own is None:
        return False
    words = [w.lower() for w in _WORD.findall(paragraph.translate(_FOLD))]
    hits = sum(1 for w in words if w in own)
    others = max(
        (sum(1 for w in words if w in vocabulary) for code, vocabulary in _FUNCTION_WORDS.items() if code != language),
        default=0,
    )
    return hits >= OWN_LANGUAGE_MIN_HITS and hits >= OWN_LANGUAGE_MIN_SHARE * len(words) and hits > 2 * others


def _article_languages(paragraphs: List[str], declared: Optional[str]):
    """As detect_article_languages, with a leading flag: was the article language detected."""
    sample = article_sample(paragraphs)
    # the same function-word test spares the article's own langdetect call: a sample that is
    # plainly French (or English) is, and so are its plain paragraphs below
    plain = next((code for code in _FUNCTION_WORDS if plainly_in(sample, code)), None)
    detected_article = plain or detect_language(sample)
    article_language = detected_article or normalize_code(declared)
    languages: List[Optional[str]] = []
    foreign: List[bool] = []
    for paragraph in paragraphs:
        language = article_language
        # langdetect costs ~1 ms a paragraph, half the spine's time on long articles: a paragraph
        # whose function words plainly say it is in the article's language does not need it
        if count_letters(paragraph) >= PARAGRAPH_MIN_LETTERS and not plainly_in(paragraph, article_language):
            detected, probability = detect_language_with_probability(paragraph)
            if detected is not None and detected != article_language:
                if article_language is None or probability >= FOREIGN_MIN_PROB:
                    language = detected
        languages.append(language)
        foreign.append(article_language is not None and language is not None and language != article_language)
    return detected_article is not None, article_language, languages, foreign


class LanguagedArticle(NamedTuple):
    """A cleaned article with the languages found for it and its paragraphs."""

    article: CleanedArticle
    language: Optional[str]
    paragraph_languages: List[Optional[str]]
    foreign: List[bool]


beam.coders.registry.register_coder(LanguagedArticle, beam.coders.RowCoder)


class _DetectLanguageFn(beam.DoFn):
    def __init__(self):
        self.undetermined = Metrics.counter("language", "articles_undetermined")
        self.from_declared = Metrics.counter("language", "articles_from_declared")
        self.foreign_paragraphs = Metrics.counter("language", "foreign_paragraphs")
        self.paragraphs = Metrics.counter("language", "paragraphs")

    def setup(self):
        _get_factory()  # load the profiles once per worker process, not on the first element

    def process(self, cleaned: CleanedArticle):
        detected, language, paragraph_languages, foreign = _article_languages(
            list(cleaned.paragraphs), cleaned.declared_language
        )
        if language is None:
            self.undetermined.inc()
        else:
            Metrics.counter("language", f"articles_{language}").inc()
            if not detected:
                self.from_declared.inc()
        self.paragraphs.inc(len(foreign))
        self.foreign_paragraphs.inc(sum(foreign))
        yield LanguagedArticle(
            article=cleaned, language=language, paragraph_languages=paragraph_languages, foreign=foreign
        )


class DetectLanguage(beam.PTransform):
    """PCollection[CleanedArticle] -> PCollection[LanguagedArticle].

    Counters (namespace "language"): articles_<code>, articles_undetermined,
    articles_from_declared, paragraphs, foreign_paragraphs.
    """

    def expand(self, articles):
        return articles | "DetectLanguage" >> beam.ParDo(_DetectLanguageFn()).with_output_types(LanguagedArticle)

"""Transliteration skeletons: one key for the French and English spellings of a name
romanised from another script, so that "Diwaniyeh" finds GeoNames' "Al Diwaniyah",
"Chirqat" "Ash Sharqat", "Salaheddine" "Salah ad Din", "Zaporijia" "Zaporizhzhia".

The gazetteer uses it only as a fallback (``docs/gazetteer.md``): when the exact key finds
nothing in the article's countries, among the cities of those countries above a population
floor and their subdivisions. A skeleton is lossy on purpose; these limits keep it safe.

Each rule maps a spelling difference between the romanisation systems that news uses:
ALA-LC (Library of Congress, Arabic and Persian tables) and BGN/PCGN (the US and UK boards on
geographic names, whose forms GeoNames mostly carries: "Ash Sharqāt", "Ad Dīwānīyah"), against
French usage (the French press and the IGN/CNT exonym lists: "Chirqat", "Diwaniyeh", "Nadjaf",
"Tchernihiv", "Zaporijia"). ``skeletons`` applies them to a ``names.surface_key`` (lower case,
accents, apostrophes and hyphens already folded):

1. Articles. The Arabic article is "al-" in ALA-LC; BGN/PCGN and the spoken form assimilate it
   before the "sun letters" (t th d dh r z s sh ṣ ḍ ṭ ẓ l n): "ash Sharqāt", "ad Dīwānīyah",
   "an Najaf"; French writes "al-", "el-", "ech-Ch…", "ed-D…" or leaves it out. A word "al",
   "el", "il", "ul" before another word, or an assimilated form before a word starting with its
   consonant ("ash" + "sh…", "ad" + "d…"), is dropped: a second skeleton, next to the full one.
2. Consonants written with different letters (one symbol each):
   ش (Arabic, Persian) and ш (Russian, Ukrainian) are "sh" in English, "ch" in French, "sch" in
   German; ч and Persian چ are "ch" in English, "tch" in French: "S" for all of them (ALA-LC sh,
   ch; BGN/PCGN sh, ch; French ch, tch). ج is "j" in English (ALA-LC, BGN/PCGN), "dj" in French;
   ж is "zh" in BGN/PCGN, "j" in French; дж "dzh": "J". خ and х are "kh" everywhere: "X".
   ث, ذ are "th", "dh" in ALA-LC and BGN/PCGN, often "t", "d" in French: "t", "d".
   ق is "q" in ALA-LC and BGN/PCGN, "q" or "k" in French ("Irak", "Kaboul"): "k"; so are "ck"
   and a hard "c". "ph" is "f".
3. Vowels. Arabic writes three short vowels that each system renders differently (a/e, i/e,
   u/o/ou), long vowels get macrons that folding removes, and Russian и, ы, і, ї come out as i,
   y, ï, yi: every vowel run is one mark ".". French "ou" is English "u" (Mossoul/Mosul,
   Kirkouk/Kirkuk). A glide is a consonant: "w" before a vowel, and "i", "y", "u" at a word's
   start before a vowel or between vowels (French "ou"/"ï" for w/y: Ouassit/Wasit,
   Maïadine/Mayadin, Koweït/Kuwait, Iekaterinbourg/Yekaterinburg). ALA-LC's nisba "-īyah",
   "-iyya" is French "-ia", "-ié": "iy" before a vowel is "i". Ukrainian ї is "yi" in the
   national system (2010) and BGN/PCGN, "ï" in French: "yi" is "i".
4. Word ends. Arabic's ta marbuta ends a name in "-ah" (ALA-LC in pause, BGN/PCGN), "-a",
   "-e", "-eh" or "-é" (French): the last word's "h" after a vowel is dropped. A word's final
   vowels are dropped too: ta marbuta and case endings, French mute "e" ("Salaheddine",
   "Médine"), Slavic endings (Vinnytsia/Vinnitsa, Sumy/Soumy).
5. Doubled letters are one (Arabic shadda, doubled in ALA-LC, often single in French and the
   press; French "ss" keeps an s unvoiced: Hassaké/Hasakah).
6. Words are joined: French writes "Salaheddine" for Salah ad-Din, "Deir Ezzor" for Dayr az-Zawr.

What it does not do: exonyms with other letters ("Bassora"/"Basra", "Ispahan"/"Isfahan"),
s/z ("Agadès"/"Agadez"), German "ch" = kh ("Charkiw").
"""

from __future__ import annotations

import re
import threading
from array import array
from typing import Dict, List, Sequence, Tuple

# Rule 1: the article as a word ("al", "el", "il", "ul") or assimilated before a word that starts
# with its sun letter ("ash" + "sh…"/"ch…", "ad" + "d…"); never a name's last word.
_ARTICLE_FORMS = (
    r"(?:(?:al|el|il|ul) |(?:ad|ed) (?=d)|adh (?=dh)|(?:an|en) (?=n)|(?:ar|er) (?=r)|"
    r"(?:as|es) (?=s)|(?:ash|esh|ach|ech) (?=sh|ch)|(?:at|et) (?=t)|ath (?=th)|(?:az|ez) (?=z))(?=\S)"
)


# A leading article is always dropped (its "l" would count as a consonant: "Al Qaeda" is not
# Alcúdia); an inner one gives a second skeleton, since French fuses it ("Salaheddine").
_LEADING_ARTICLE = re.compile(r"^" + _ARTICLE_FORMS, re.MULTILINE)


_ARTICLE = re.compile(r"(?<= )" + _ARTICLE_FORMS)


# Rule 4, on the letters as written: the last word's ta marbuta "h", every word's final vowels.
_TA_MARBUTA = re.compile(r"(?<=[aeiouy])h$", re.MULTILINE)


_FINAL_VOWELS = re.compile(r"[aeiouy]+(?= |$)", re.MULTILINE)


# Rule 2, longest spelling first; a "c" before e, i, y is soft (French and English spelling),
# any other is k (no spelling here has a "c" before e, i or y, so the soft ones go first).
_LETTERS = (
    ("tsch", "S"),
    ("tsh", "S"),
    ("tch", "S"),
    ("sch", "S"),
    ("ch", "S"),
    ("sh", "S"),
    ("dzh", "J"),
    ("dj", "J"),
    ("zh", "J"),
    ("j", "J"),
    ("kh", "X"),
    ("th", "t"),
    ("dh", "d"),
    ("ph", "f"),
    ("ck", "k"),
    ("c", "k"),
    ("q", "k"),
    ("x", "ks"),
)


_SOFT_C = re.compile(r"c(?=[eiy])")


# Rule 3: nisba "iy" + vowel; glides; vowel runs.
_NISBA = re.compile(r"iy(?=[aeiou])")


_PALATAL_GLIDE = re.compile(r"(?:^|(?<=[ aeiouy]))[iy](?=[aeiou])", re.MULTILINE)


_LABIAL_GLIDE = re.compile(r"(?:^|(?<=[ aeiouy]))u(?=[aeiou])|w(?=[aeiouy])", re.MULTILINE)


_VOWEL_RUN = re.compile(r"[aeiouyw]+")


# Rule 5 (within a line: names are reduced many at once, one a line).
_DOUBLED = re.compile(r"([^\n])\1+")


# A skeleton with fewer consonants than this is too common to mean one place: within one
# country, a 2-consonant skeleton is shared by several towns far more often than a longer one
# (``python -m benchmarks.transliteration``, ``docs/gazetteer.md``).
MIN_SKELETON_CONSONANTS = 3


def _word_ends(text: str) -> str:
    """Rule 4, on the letters as written."""
    return _FINAL_VOWELS.sub("", _TA_MARBUTA.sub("", text))


def _consonant_letters(text: str) -> str:
    """Rule 2."""
    text = _SOFT_C.sub("s", text)
    for spelling, symbol in _LETTERS:
        if spelling in text:
            text = text.replace(spelling, symbol)
    return text


def _vowels(text: str) -> str:
    """Rule 3."""
    text = _NISBA.sub("i", text.replace("ou", "u")).replace("yi", "i")
    text = _LABIAL_GLIDE.sub("v", _PALATAL_GLIDE.sub("Y", text))
    return _VOWEL_RUN.sub(".", text)


def _joined(text: str) -> str:
    """Rule 6."""
    return text.replace(" ", "")


def _undoubled(text: str) -> str:
    """Rule 5."""
    return _DOUBLED.sub(r"\1", text)


# Rules 2 to 6, in this order (``benchmarks.transliteration`` measures each by leaving it out).
_REDUCTIONS = (_word_ends, _consonant_letters, _vowels, _joined, _undoubled)


def _reduce_lines(text: str) -> List[str]:
    """The skeleton of every line of ``text`` (one key a line)."""
    for reduction in _REDUCTIONS:
        text = reduction(text)
    return text.split("\n")


def without_articles(key: str) -> str:
    """The key without Arabic articles (rule 1): "an najaf al ashraf" -> "najaf ashraf"."""
    return _ARTICLE.sub("", _LEADING_ARTICLE.sub("", key))


def skeletons_of_keys(keys: Sequence[str]) -> List[Tuple[str, ...]]:
    """``[skeletons(k) for k in keys]``, several times faster on many names."""
    if not keys:
        return []
    keys = _LEADING_ARTICLE.sub("", "\n".join(keys)).split("\n")
    bare = _ARTICLE.sub("", "\n".join(keys)).split("\n")
    with_article = [i for i, (key, b) in enumerate(zip(keys, bare)) if key != b]
    reduced = _reduce_lines("\n".join(list(keys) + [bare[i] for i in with_article]))
    found = [[s] if consonants(s) >= MIN_SKELETON_CONSONANTS else [] for s in reduced[: len(keys)]]
    for i, s in zip(with_article, reduced[len(keys) :]):
        if s not in found[i] and consonants(s) >= MIN_SKELETON_CONSONANTS:
            found[i].append(s)
    return [tuple(f) for f in found]


def skeletons(key: str) -> Tuple[str, ...]:
    """The skeletons of a surface key (one line, words separated by single spaces, as
    ``names.surface_key`` writes it), without a leading Arabic article: of all its words, and
    without its inner articles when it has any ("an najaf al ashraf" -> "n.J.f.l.Sr.f",
    "n.J.f.Sr.f"). Too short ones (``MIN_SKELETON_CONSONANTS``) are left out."""
    return skeletons_of_keys([key])[0]


def consonants(skeleton: str) -> int:
    """Consonant symbols of a skeleton (everything but the vowel mark)."""
    return len(skeleton) - skeleton.count(".")


class VariantIndex:
    """Places by country and skeleton, for the gazetteer's fallback.

    Names are added while the gazetteer loads (their surface keys, which it has computed
    anyway); a country's skeletons are computed on its first lookup, since an article touches a
    few countries and the 180,000 names of the cities over the population floor would take
    seconds to reduce at load. Thread-safe: a worker's threads share one gazetteer.
    """

    def __init__(self) -> None:
        self._names: Dict[str, Tuple[List[str], array]] = {}  # country -> (keys, place numbers)
        self._built: Dict[str, Dict[str, Tuple[int, ...]]] = {}
        self._lock = threading.Lock()

    def add(self, country: str, key: str, number: int) -> None:
        keys, numbers = self._names.setdefault(country, ([], array("I")))
        keys.append(key)
        numbers.append(number)

    def find(self, country: str, wanted: Sequence[str]) -> List[int]:
        """Place numbers of ``country`` with one of the ``wanted`` skeletons, in order, once each."""
        if not wanted or country not in self._names:
            return []
        index = self._built.get(country)
        if index is None:
            with self._lock:
                index = self._built.get(country)
                if index is None:
                    index = self._built[country] = self._build(country)
        found: List[int] = []
        for skeleton in wanted:
            found += [n for n in index.get(skeleton, ()) if n not in found]
        return found

    def _build(self, country: str) -> Dict[str, Tuple[int, ...]]:
        index: Dict[str, List[int]] = {}
        keys, numbers = self._names[country]
        for found, number in zip(skeletons_of_keys(keys), numbers):
            for skeleton in found:
                owners = index.setdefault(skeleton, [])
                if number not in owners:
                    owners.append(number)
        return {skeleton: tuple(owners) for skeleton, owners in index.items()}

"""Does a sentence report an in-scope event that happened? A learned decision, per sentence,
in the context of its article.

Most news sentences report no event; many that name one do not report that it happened
(threats, plans, hypotheses, denials, questions, generic statements, metaphors). The
decision is a logistic regression trained on labelled sentences of ordinary French and
English text with a real negative class (``benchmarks/data/events/``, train split only;
``tools/train_event_detector.py`` rebuilds ``data/event_detector.zip`` byte-identically).

Its features, all computed here so training and the pipeline share them:

* the sentence's words and word pairs (case- and accent-folded), hashed;
* the trigger lexicon's evidence (``lexicon``): which event families it names, its score;
* modality and grammar cues, general to each language rather than to any text: modal and
  conditional verbs, future tense, plans, threats, calls, denials, negation, questions,
  speculation, habitual and generic statements, past-tense verbs, time anchors;
* the article context: whether the title and the neighbouring sentences name an event, the
  sentence's position, how eventful the whole article is;
* in a second stage, the multilingual sentence embedding (USE-m v3) of the sentences the
  cheap first stage keeps (``STAGE_ONE_MIN`` is a recall-oriented threshold), so the costly
  encoder runs on a small share of the text.

``detect(sentences, language, context)`` returns one probability per sentence; a sentence
is an event when it reaches the artefact's threshold (chosen by cross-validation on the
train split, for precision first).
"""

import io
import json
import math
import re
import zipfile
import zlib
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from transforms.events.lexicon import CONTEXT_ONLY_PREFIX, DATA_DIR, MIN_LEXICON_SCORE, fold, words
from transforms.loading import load_once

DETECTOR_PATH = f"{DATA_DIR}/event_detector.zip"
HASH_BITS = 18
DIM = 1 << HASH_BITS


class SentenceContext(NamedTuple):
    """What the article says around one sentence."""

    title: str  # "" when the article has none
    previous: str  # the sentence before ("" for the first)
    following: str  # the sentence after ("" for the last)
    position: int  # 0-based sentence index in the article
    sentences: int  # sentences in the article
    eventful_share: float  # share of the article's sentences that carry a trigger


NO_CONTEXT = SentenceContext("", "", "", 0, 1, 0.0)


def _rx(pattern: str) -> "re.Pattern[str]":
    return re.compile(pattern, re.IGNORECASE)


# Grammar and modality cues, written from each language's grammar (not from any text we
# score): a name, and a pattern on the folded sentence (accents removed, lower case).
CUES: Dict[str, "re.Pattern[str]"] = {
    # English
    "en_modal": _rx(r"\b(?:could|would|might|may|should|must|can|cannot|can't|will|won't|shall)\b|'ll\b"),
    # "due to" says what is to come only after a form of "be" and before a verb ("is now due to
    # arrive"); alone, or before a determiner, it gives a cause ("cancels the meeting due to new
    # sanctions", "the delay is due to the storm")
    "en_going_to": _rx(
        r"\b(?:going|set|expected|likely|unlikely|poised|about)\s+to\b|"
        r"\b(?:is|are|was|were|be|been|'s|'re)\s+(?:\w+ly\s+|now\s+|still\s+)?due\s+to\s+"
        r"(?!(?:the|a|an|his|her|its|their|our|my|your|this|that|these|those|some|many|several|no)\b|\d)"
    ),
    "en_plan": _rx(
        r"\b(?:plan(?:s|ned|ning)?|intend(?:s|ed)?|aim(?:s|ed)?|seek(?:s|ing)?|prepar(?:e|es|ed|ing)|schedul(?:e|ed))\s+(?:to|for)\b"
    ),
    "en_threat": _rx(
        r"\b(?:threat(?:en|ens|ened|ening)?|warn(?:s|ed|ing)?|vow(?:s|ed)?|pledg(?:e|es|ed)|promis(?:e|es|ed))\b"
    ),
    "en_call": _rx(
        r"\b(?:call(?:s|ed|ing)?\s+(?:for|on)|urg(?:e|es|ed|ing)|demand(?:s|ed|ing)?|appeal(?:s|ed)?\s+(?:for|to))\b"
    ),
    "en_deny": _rx(r"\b(?:den(?:y|ies|ied|ying)|rebuff(?:s|ed)?|refut(?:e|es|ed))\b"),
    "en_negation": _rx(r"\b(?:no|not|never|none|nobody|neither|nor|without)\b|n't\b"),
    "en_hypothesis": _rx(r"\b(?:if|unless|whether|in case|suppose|imagine|hypothetical\w*)\b"),
    "en_speculation": _rx(
        r"\b(?:fear(?:s|ed)?|possib(?:le|ly|ility)|likely|probabl[ey]|alleged(?:ly)?|reportedly|suspect(?:s|ed)?|rumou?r\w*|risk(?:s)?)\b"
    ),
    "en_generic": _rx(
        r"\b(?:often|usually|frequently|regularly|routinely|typically|generally|every\s+(?:year|day|week|time)|more\s+and\s+more|increasingly|common(?:ly)?|tend\s+to)\b"
    ),
    "en_past": _rx(r"\b(?:was|were|had|has\s+been|have\s+been|did)\b|\b\w{3,}ed\b"),
    "en_time": _rx(
        r"\b(?:yesterday|today|tonight|last\s+(?:night|week|month|year)|(?:on\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|\d+\s+(?:days?|weeks?|years?)\s+ago|earlier\s+this)\b"
    ),
    "en_history": _rx(r"\b(?:history|historic(?:al)?|anniversary|century|decades?\s+ago|in\s+(?:1[0-9]|20)\d\d)\b"),
    "en_said": _rx(r"\b(?:said|says|told|according\s+to|reported|announced|confirmed|stated)\b"),
    # French
    "fr_conditional": _rx(r"\b\w{3,}(?:rait|raient)\b"),
    "fr_future": _rx(r"\b\w{3,}(?:ra|ront|rons|rez)\b|\b(?:va|vont|allait|allaient|s'apprete\w*)\s+\w+(?:er|ir|re)\b"),
    "fr_modal": _rx(r"\b(?:pourr\w*|devr\w*|peut|peuvent|doit|doivent|faudr\w*|faut)\b"),
    "fr_plan": _rx(
        r"\b(?:prevoi\w*|prevu\w*|projet\w*|envisag\w*|compt(?:e|ent)\s+\w+(?:er|ir|re)\b|entend(?:ent)?\s+\w+(?:er|ir|re)\b|prepar\w*|a\s+l'etude)"
    ),
    "fr_threat": _rx(r"\b(?:menac\w*|averti\w*|mis(?:e)?\s+en\s+garde|met\s+en\s+garde|promet\w*|jur\w*\s+de)\b"),
    "fr_call": _rx(r"\b(?:appel\w*\s+(?:a|au|aux)|exig\w*|reclam\w*|demand\w*\s+(?:a|que|de))\b"),
    "fr_deny": _rx(r"\b(?:dement\w*|nie|nient|nia|nierent|refut\w*)\b"),
    "fr_negation": _rx(
        r"\b(?:ne|n')\s*\w+\s+(?:pas|jamais|plus|aucun\w*|rien|personne)\b|\b(?:aucun\w*|sans|ni|jamais|personne)\b"
    ),
    "fr_hypothesis": _rx(r"\b(?:si|s'il|s'ils|a\s+moins|au\s+cas\s+ou|eventuel\w*|hypothe\w*|n'exclu\w*)\b"),
    "fr_speculation": _rx(
        r"\b(?:crain\w*|redout\w*|possib\w*|probab\w*|presum\w*|suppos\w*|rumeur\w*|risqu\w*|soupcon\w*)\b"
    ),
    "fr_generic": _rx(
        r"\b(?:souvent|regulierement|frequemment|habituellement|generalement|chaque\s+(?:annee|jour|semaine|fois)|de\s+plus\s+en\s+plus|se\s+multipli\w*|courant\w*)\b"
    ),
    "fr_past": _rx(
        r"\b(?:a|ont|avait|avaient|est|sont|etait|etaient|fut|furent)\s+(?:\w+\s+){0,2}?\w+(?:e|es|ee|ees|i|is|ie|ies|u|us|ue|ues|it|ert|erte)\b|\b\w{3,}(?:erent|irent|urent)\b"
    ),
    "fr_time": _rx(
        r"\b(?:hier|aujourd'hui|ce\s+(?:matin|soir)|cette\s+nuit|la\s+veille|(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)|la\s+semaine\s+derniere|il\s+y\s+a\s+\w+\s+(?:jours?|semaines?|ans?))\b"
    ),
    "fr_history": _rx(r"\b(?:histoire|historique|anniversaire|siecle|en\s+(?:1[0-9]|20)\d\d)\b"),
    "fr_said": _rx(
        r"\b(?:a\s+declare|a\s+indique|a\s+annonce|a\s+confirme|selon|d'apres|ont\s+rapporte|a\s+rapporte|affirme)\b"
    ),
    # both
    "question": _rx(r"\?\s*[»\"”]?\s*$"),
    "quote": _rx(r"[«\"“]"),
    "number": _rx(r"\d"),
}


# Modality (issue: a threat, a plan, a call, a denial, a question, a hypothesis or a generic
# statement is not an event that happened, in any text): cue groups that veto a detection, alone
# or when the sentence has no past-tense verb / no time anchor. A call is only a non-event
# without a past-tense verb: protesters who rallied "demanding" an end to something did rally.
# A very confident model (VETO_OVERRIDE) overrules a veto of tense, time or denial: the tense cues
# are regexes that miss irregular verbs and implicit dates, and a denial of a role ("denied his
# group was responsible for the attack, killing 17") still reports the attack. The 0.9 was set on
# an earlier detector's out-of-fold detections and the CASE-2021 reports, where what the vetoes
# turned down at that confidence was as often a real event as not. Never a threat, a plan or a
# question (NOT_ASSERTED): those say the event has not happened or is not known to have, however
# eventful the words; they are read clause by clause (``scoped_veto``), so a clause reporting the
# event outside their scope escapes them.
NOT_ASSERTED = frozenset({"question", "en_threat", "fr_threat", "en_plan", "fr_plan"})
VETO_ALWAYS = NOT_ASSERTED | {"en_deny", "fr_deny"}
VETO_WITHOUT_PAST = frozenset(
    {
        "en_modal",
        "en_going_to",
        "fr_conditional",
        "fr_future",
        "fr_modal",
        "en_hypothesis",
        "fr_hypothesis",
        "en_call",
        "fr_call",
    }
)
VETO_OVERRIDE = 0.9
VETO_WITHOUT_TIME = frozenset({"en_generic", "fr_generic"})
PAST = frozenset({"en_past", "fr_past"})
TIME = frozenset({"en_time", "fr_time"})


def modality_veto(cues: Sequence[str]) -> Optional[str]:
    """The cue that says a sentence does not report an event that happened, or None."""
    present = set(cues)
    # a threat, plan or question first: a denial beside one must not make the veto overrulable
    for cue in sorted(present & NOT_ASSERTED) + sorted(present & VETO_ALWAYS):
        return cue
    if not present & PAST:
        for cue in sorted(present & VETO_WITHOUT_PAST):
            return cue
    if not present & TIME:
        for cue in sorted(present & VETO_WITHOUT_TIME):
            return cue
    return None


# Where a modality's scope ends: a colon or semicolon, or a clause joined by a conjunction of
# time or contrast ("X expels diplomats; Russia vows revenge", "… threatens retaliation after
# the president expels diplomats").
_CLAUSE_BREAK = re.compile(
    r"\s*(?:[:;]|,\s+(?:and|but|while|as|after|et|mais|alors\s+que|après)\b|"
    r"\s(?:after|while|as|amid|après|alors\s+que|tandis\s+que)\s)\s*",
    re.IGNORECASE,
)


def scoped_veto(sentence: str, language: str, cues: Sequence[str]) -> Optional[str]:
    """``modality_veto`` read clause by clause: a threat, plan or denial vetoes the sentence only
    when every clause that names an event is under one; a clause that reports the event outside
    the modality's scope keeps it."""
    from transforms.events.classify import is_event_sentence

    veto = modality_veto(cues)
    if veto is None:
        return None
    clauses = [c for c in _CLAUSE_BREAK.split(sentence) if c and c.strip()]
    eventful = [c for c in clauses if is_event_sentence(c, language)] if len(clauses) > 1 else []
    if eventful and any(modality_veto(cue_names(c, language)) is None for c in eventful):
        return None
    return veto


def _cues_for(language: Optional[str]) -> List[Tuple[str, "re.Pattern[str]"]]:
    # a French sentence is read with the French and shared cues only (half the regexes), any other
    # language with all of them
    if language in ("fr", "en"):
        other = "en_" if language == "fr" else "fr_"
        return [(name, pattern) for name, pattern in CUES.items() if not name.startswith(other)]
    return list(CUES.items())


_CUES_BY_LANGUAGE = {language: _cues_for(language) for language in ("fr", "en", None)}


def cue_names(sentence: str, language: Optional[str] = None) -> List[str]:
    """The cue groups present in a sentence (folded), of its language when it is French or English."""
    folded = fold(sentence)
    patterns = _CUES_BY_LANGUAGE.get(language) or _CUES_BY_LANGUAGE[None]
    return [name for name, pattern in patterns if pattern.search(folded)]


def _bucket(value: float, edges: Sequence[float]) -> int:
    return sum(value > edge for edge in edges)


def sentence_terms(
    sentence: str,
    language: str,
    context: SentenceContext,
    lexicon_cues: Sequence[str],
    lexicon_score: float,
    title_cues: Sequence[str],
    neighbour_cues: Tuple[Sequence[str], Sequence[str]],
    entity_labels: Sequence[str] = (),
    date_precision: Optional[str] = None,
    dated_before: bool = False,
    cues: Optional[Sequence[str]] = None,
) -> List[str]:
    """The named features of one sentence (binary; hashed by ``term_indices``).

    ``entity_labels``: the labels (PER/ORG/LOC/MISC) of the entity mentions in the sentence;
    ``date_precision``: how precisely the sentence dates something (``events.dates``), and
    ``dated_before`` when that date lies before the article's recent past."""
    tokens = words(sentence)
    terms = [f"w:{t}" for t in tokens]
    terms += [f"b:{a}_{b}" for a, b in zip(tokens, tokens[1:])]
    lang = language if language in ("fr", "en") else "xx"
    cues = list(cues) if cues is not None else cue_names(sentence, language)
    terms += [f"cue:{name}" for name in cues]
    terms += [f"lex:{cue}" for cue in lexicon_cues]
    terms.append(f"lex_score:{_bucket(lexicon_score, (0.0, 1.0, 2.0, 4.0))}")
    if lexicon_cues:
        terms.append("lex:any")
        # a trigger under a modality cue is the case the lexicon alone gets wrong
        terms += [f"lex&cue:{name}" for name in cues]
    terms += [f"title:{cue}" for cue in title_cues]
    if title_cues:
        terms.append("title:any")
    previous, following = neighbour_cues
    if previous:
        terms.append("prev:any")
    if following:
        terms.append("next:any")
    terms.append(f"pos:{_bucket(context.position, (0, 1, 3, 8))}")
    terms.append(f"len:{_bucket(len(tokens), (5, 10, 20, 40))}")
    terms.append(f"density:{_bucket(context.eventful_share, (0.0, 0.05, 0.15, 0.3))}")
    labels = sorted(set(entity_labels))
    terms += [f"ent:{label}" for label in labels]
    terms.append(f"ents:{_bucket(len(entity_labels), (0, 1, 3))}")
    if lexicon_cues:
        terms += [f"lex&ent:{label}" for label in labels]
    if date_precision and date_precision != "publication":
        terms.append(f"date:{date_precision}")
    if dated_before:
        terms.append("date:before")
    terms.append(f"lang:{lang}")
    return terms


def lexicon_evidence(sentence: str, language: str) -> Tuple[List[str], float]:
    """(event types and cue groups the trigger lexicon finds, its best type score)."""
    from transforms.events.classify import load_lexicon

    result = load_lexicon(language if language in ("fr", "en") else "en").match(sentence)
    cues = {c for c in result.cues if not c.startswith(CONTEXT_ONLY_PREFIX)}
    cues |= {code for code, score in result.scores.items() if score >= MIN_LEXICON_SCORE}
    return sorted(cues), max(result.scores.values(), default=0.0)


def article_terms(
    sentences: Sequence[str],
    language: str,
    title: Optional[str],
    published: Optional[str] = None,
    entity_labels: Optional[Sequence[Sequence[str]]] = None,
    cues: Optional[Sequence[Sequence[str]]] = None,
) -> List[List[str]]:
    """The features of every sentence of one article, in order (``sentence_terms`` in context);
    ``entity_labels[i]`` are the labels of the mentions in sentence i, ``cues[i]`` its
    ``cue_names`` when the caller has them already."""
    from transforms.events.dates import event_date, is_background

    evidence = [lexicon_evidence(sentence, language) for sentence in sentences]
    title_cues = lexicon_evidence(title, language)[0] if title else []
    share = sum(1 for cues, _ in evidence if cues) / max(len(sentences), 1)
    out = []
    for i, sentence in enumerate(sentences):
        context = SentenceContext(
            title or "",
            sentences[i - 1] if i else "",
            sentences[i + 1] if i + 1 < len(sentences) else "",
            i,
            len(sentences),
            share,
        )
        previous = evidence[i - 1][0] if i else []
        following = evidence[i + 1][0] if i + 1 < len(sentences) else []
        when = event_date(sentence, language, published) if published else None
        out.append(
            sentence_terms(
                sentence,
                language,
                context,
                evidence[i][0],
                evidence[i][1],
                title_cues,
                (previous, following),
                entity_labels[i] if entity_labels is not None else (),
                when.precision if when else None,
                is_background(when, published),
                cues[i] if cues is not None else None,
            )
        )
    return out


def term_indices(terms: Sequence[str]) -> np.ndarray:
    """Hashed feature columns (CRC-32: the same in every process and on every machine)."""
    return np.array(sorted({zlib.crc32(t.encode("utf-8")) & (DIM - 1) for t in terms}), dtype=np.int64)


class DetectorModel:
    """Logistic regression over hashed terms (stage one), and over hashed terms plus the
    sentence embedding (stage two). Stage two may have a model of its own for a language whose
    training data has sentences only that language's model learns from (``stage_two_<lang>``
    arrays, listed in ``meta["stage_two_languages"]``); other languages use the default one."""

    def __init__(self, meta: Dict, arrays: Dict[str, np.ndarray]):
        self.meta = meta
        self.stage_one_coef = arrays["stage_one_coef"].astype(np.float64)
        self.stage_one_intercept = float(arrays["stage_one_intercept"][0])
        self.stage_two_models: Dict[str, Tuple[np.ndarray, np.ndarray, float]] = {
            suffix: (
                arrays[f"stage_two_coef{suffix}"].astype(np.float64),
                arrays[f"stage_two_dense{suffix}"].astype(np.float64),
                float(arrays[f"stage_two_intercept{suffix}"][0]),
            )
            for suffix in [""] + [f"_{language}" for language in meta.get("stage_two_languages", [])]
        }
        self.dense_mean = arrays["dense_mean"].astype(np.float64)
        self.dense_scale = arrays["dense_scale"].astype(np.float64)
        self.stage_one_min = float(meta["stage_one_min"])
        # per language; another language takes the strictest
        self.thresholds = {language: float(t) for language, t in meta["thresholds"].items()}

    def threshold(self, language: str) -> float:
        return self.thresholds.get(language, max(self.thresholds.values()))

    @staticmethod
    def sparse_score(coef: np.ndarray, columns: np.ndarray) -> float:
        # rows are L2-normalised binary vectors: every present term weighs 1/sqrt(n)
        return float(coef[columns].sum() / math.sqrt(max(len(columns), 1)))

    def stage_one(self, columns: np.ndarray) -> float:
        return _sigmoid(self.sparse_score(self.stage_one_coef, columns) + self.stage_one_intercept)

    def stage_two(self, columns: np.ndarray, embedding: np.ndarray, language: Optional[str] = None) -> float:
        coef, dense_coef, intercept = self.stage_two_models.get(f"_{language}", self.stage_two_models[""])
        dense = (embedding.astype(np.float64) - self.dense_mean) / self.dense_scale
        logit = self.sparse_score(coef, columns) + float(dense @ dense_coef) + intercept
        return _sigmoid(logit)

    @classmethod
    def load(cls, path: str = DETECTOR_PATH) -> "DetectorModel":
        with zipfile.ZipFile(path) as archive:
            meta = json.loads(archive.read("model.json"))
            arrays = {
                name[: -len(".npy")]: np.lib.format.read_array(io.BytesIO(archive.read(name)), allow_pickle=False)
                for name in archive.namelist()
                if name.endswith(".npy")
            }
        return cls(meta, arrays)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(x, 40.0), -40.0)))


def load_detector() -> DetectorModel:
    """The trained detector, once per process."""
    return load_once("event-detector", DetectorModel.load)


class Detection(NamedTuple):
    probability: float
    stage: int  # 1: dropped by the cheap stage; 2: decided with the sentence embedding
    is_event: bool
    veto: Optional[str] = None  # the modality cue that overruled the model


def dump_model(path: str, meta: Dict, arrays: Dict[str, np.ndarray]) -> None:
    """Writes the artefact with fixed timestamps and member order: rebuilt byte-identically."""
    members = {"model.json": json.dumps(meta, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()}
    for name in sorted(arrays):
        buffer = io.BytesIO()
        np.lib.format.write_array(buffer, np.ascontiguousarray(arrays[name]), allow_pickle=False)
        members[f"{name}.npy"] = buffer.getvalue()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, members[name])


def decide(
    model: DetectorModel,
    columns: Sequence[np.ndarray],
    embed: Optional[Callable[[Sequence[int]], np.ndarray]],
    language: str,
    vetoes: Optional[Sequence[Optional[str]]] = None,
) -> List[Detection]:
    """Both stages over one article's sentences: the cheap stage for all, the embedding for
    the sentences it keeps (encoded in one batch); a modality veto (``modality_veto``) turns
    a detection down, unless the model is VETO_OVERRIDE sure and the veto is no threat, plan
    or question (``NOT_ASSERTED``)."""
    first = [model.stage_one(c) for c in columns]
    keep = [i for i, p in enumerate(first) if p >= model.stage_one_min]
    out = [Detection(p, 1, False) for p in first]
    if keep and embed is not None:
        vectors = embed(keep)
        for i, vector in zip(keep, vectors):
            p = model.stage_two(columns[i], vector, language)
            veto = vetoes[i] if vetoes is not None else None
            if veto is not None and veto not in NOT_ASSERTED and p >= VETO_OVERRIDE:
                veto = None
            out[i] = Detection(p, 2, p >= model.threshold(language) and veto is None, veto)
    return out

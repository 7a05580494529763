"""The whole event stage over the labelled documents of ``benchmarks/data/events/``.

Each document goes through what the batch job does to an article after segmentation
(``TagEntities``' per-article tagging, then ``extract_events``: both detector stages, the modality
vetoes, typing, tolls, tallies…), so that what is measured is what the job emits, not the
detector alone. Used by ``benchmarks/event_detection.py`` (the held-out test split),
``benchmarks/event_losses.py`` and ``tools/train_event_detector.py`` (out of fold on the train
split: the cuts are chosen on what the stage reports).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from tools.event_data import Document, documents, read_rows
from transforms.events import extract as extract_module
from transforms.events.detect import Detection, DetectorModel
from transforms.records import Article, Paragraph

if TYPE_CHECKING:  # the trainers import this module
    from tools.train_event_detector import TrainingSet
    from tools.train_event_types import FoldTypingModels
    from transforms.events.classify import EventTypeModel

# a document of fewer sentences (a single GSD or CNC sentence) is no article: never "quiet"
QUIET_MIN_SENTENCES = 3


def as_article(doc: Document) -> Tuple[Article, List[Tuple[int, int]]]:
    """The document as an article whose paragraphs are its labelled sentences (so the
    pipeline's sentences are the labelled ones), and each sentence's span."""
    parts, paragraphs, spans, position = [], [], [], 0
    for i, row in enumerate(doc.rows):
        if parts:
            parts.append("\n\n")
            position += 2
        parts.append(row.text)
        spans.append((position, position + len(row.text)))
        paragraphs.append(Paragraph(i, position, position + len(row.text), doc.lang, False))
        position += len(row.text)
    text = "".join(parts)
    return Article(doc.key, doc.key, None, doc.source, doc.title, doc.published, doc.lang, text, paragraphs), spans


def tag(article: Article, models) -> list:
    from transforms.entities.resolve import model_spans, tag_article

    nlp = models.get(article.language)
    if nlp is None:
        return []
    mentions = tag_article(article, model_spans(nlp(article.text)), models.gazetteer)
    if article.title:
        mentions += tag_article(article, model_spans(nlp(article.title)), models.gazetteer, field="title")
    return mentions


# (document key, language, sentence index, gold label, gold type, probability, reported type)
Scored = Tuple[str, str, int, str, Optional[str], float, Optional[str]]


def fold_parts(data: TrainingSet) -> Iterator[Tuple[Dict[str, np.ndarray], List[Document], FoldTypingModels]]:
    """Per fold of ``tools.train_event_detector.cross_validate`` (5 by document): the detector's
    arrays fitted without it (the CASE snippets and training-only sources always in), its
    documents, and the typing models fitted without their events
    (``tools.train_event_types.fit_fold_models``: the other folds' events, every CASE snippet)."""
    from sklearn.model_selection import GroupKFold

    from tools.train_event_detector import FOLDS, fit_arrays
    from tools.train_event_types import fit_fold_models

    docs = {d.key: d for d in documents(read_rows(), split="train")}
    labelled = np.flatnonzero(data.scored)
    case = np.flatnonzero(~data.scored)  # CASE snippets and training-only sources: always trained on
    for train, test in GroupKFold(FOLDS).split(labelled, groups=data.groups[labelled]):
        held_out = set(data.groups[labelled[test]])
        typing = fit_fold_models({key for key in docs if key not in held_out})
        yield fit_arrays(data, np.concatenate([labelled[train], case])), [docs[k] for k in sorted(held_out)], typing


def run_document(
    doc: Document, mentions: list, detector: DetectorModel, type_model: EventTypeModel
) -> Tuple[List[Detection], Dict[int, str]]:
    """One labelled document through ``extract_events``: each sentence's detection, and the type
    reported for each sentence that yields a report."""
    article, spans = as_article(doc)
    seen: List[List[Detection]] = []
    real_decide = extract_module.decide

    def keep_detections(*args, **kwargs):
        out = real_decide(*args, **kwargs)
        seen.append(out)
        return out

    extract_module.decide = keep_detections  # type: ignore[assignment]
    try:
        reports = extract_module.extract_events(article, mentions, Counter(), detector=detector, type_model=type_model)
    finally:
        extract_module.decide = real_decide  # type: ignore[assignment]
    reported = {}
    for report in reports:
        for i, (start, end) in enumerate(spans):
            if start <= report.start < end:
                reported[i] = report.type
    return seen[0], reported


def scored_rows(doc: Document, detections: Sequence[Detection], reported: Dict[int, str]) -> List[Scored]:
    return [
        (doc.key, doc.lang, i, row.label, row.type, detections[i].probability, reported.get(i))
        for i, row in enumerate(doc.rows)
    ]


def out_of_fold_runs(data: TrainingSet, meta: Dict, models) -> Tuple[Dict[str, Counter], List[Scored]]:
    """Every train document through the whole stage with the detector and the typing models of
    the folds without it (``fold_parts``), and each gold event sentence's fate: ``reported``,
    ``stage_one``, ``below_cut``, ``veto:<cue>`` or ``after_detection``."""
    fates: Dict[str, Counter] = defaultdict(Counter)
    scored: List[Scored] = []
    for arrays, held_out, typing in fold_parts(data):
        detector = DetectorModel(meta, arrays)
        for doc in held_out:
            article, _ = as_article(doc)
            detections, reported = run_document(doc, tag(article, models), detector, typing.for_language(doc.lang))
            cut = detector.threshold(doc.lang)
            for i, row in enumerate(doc.rows):
                d = detections[i]
                if row.label == "event":
                    fates[doc.lang][
                        "reported"
                        if i in reported
                        else "stage_one"
                        if d.stage == 1
                        else "below_cut"
                        if d.probability < cut
                        else f"veto:{d.veto}"
                        if d.veto
                        else "after_detection"
                    ] += 1
            scored.extend(scored_rows(doc, detections, reported))
    return fates, scored


def event_level(scored: Sequence[Scored], language: str, cut: float = 0.0) -> Dict[str, float]:
    """Event-level figures as benchmarks/event_detection.py counts them, for reports at ``cut``."""
    by_doc: Dict[str, List[Scored]] = defaultdict(list)
    for s in scored:
        if s[1] == language:
            by_doc[s[0]].append(s)
    c: Counter = Counter()
    for rows in by_doc.values():
        labels = {i: label for _, _, i, label, _, _, _ in rows}
        gold: Dict[Optional[str], set] = defaultdict(set)
        predicted: Dict[str, set] = defaultdict(set)
        for _, _, i, label, type_, p, reported in rows:
            if label == "event":
                gold[type_].add(i)
            if reported is not None and p >= cut and label != "unsure":
                predicted[reported].add(i)
        hit = {i for members in predicted.values() for i in members}
        c["gold"] += len(gold)
        c["found"] += sum(1 for members in gold.values() if members & hit)
        c["predicted"] += len(predicted)
        c["right"] += sum(1 for members in predicted.values() if any(labels[i] == "event" for i in members))
        if len(rows) >= QUIET_MIN_SENTENCES and not gold:
            c["quiet"] += 1
            c["quiet_false"] += len(predicted)
    return {
        "precision": round(c["right"] / c["predicted"], 3) if c["predicted"] else 0.0,
        "recall": round(c["found"] / c["gold"], 3) if c["gold"] else 0.0,
        "false_events_per_100_quiet": round(100 * c["quiet_false"] / c["quiet"], 1) if c["quiet"] else 0.0,
        "gold": c["gold"],
        "predicted": c["predicted"],
        "right": c["right"],
        "quiet_documents": c["quiet"],
        "quiet_false_events": c["quiet_false"],
    }

"""What a detected event sentence says besides "it happened": the event is only named as a
cause or a memory (background), a witness only heard or felt it (it takes its neighbour's
type), or the sentence only says nobody was hurt (the toll of the report before it). Pure
functions on one sentence; whether a sentence reports an event at all is ``detect``'s call.
"""

from __future__ import annotations

import re

from transforms.events.classify import is_event_sentence

# "n'a fait aucune victime", "sans faire de victimes", "no casualties"
_NO_VICTIMS = re.compile(
    r"\b(?:n['’]a\s+(?:pas\s+)?fait\s+(?:aucune?\s+|de\s+)?(?:victimes?|blessés?|morts?)|aucune?\s+victime|"
    r"pas\s+(?:fait\s+)?de\s+victimes?|sans\s+faire\s+de\s+victimes?|no\s+(?:casualties|victims|one\s+was\s+(?:killed|hurt|injured)))",
    re.IGNORECASE,
)


# An event named as a cause or a reminder: background to what the sentence reports ("la colère
# provoquée par l'assassinat de Soleimani", "suite au tir d'un missile", "on se rappelle…").
# The phrase runs to the next comma. ("après", "en raison de", "due to" and inquiries were left
# out: on CASE-2021 they cut real events, "treated after a gas attack".)
_BACKGROUND = re.compile(
    r"\b(?:(?:à\s+)?la\s+suite\s+d(?:e|u|es|['’])|suite\s+(?:à|au|aux)|"
    r"provoqu\w*\s+par|causé\w*\s+par|en\s+(?:représailles?|réponse|riposte)\s+(?:à|au|aux)|"
    r"(?:on\s+)?se\s+rappel\w*|rappel\w*\s+(?:de|que)|(?:anniversaire|commémoration|mémoire)\s+d(?:e|u|es|['’])|"
    r"following\s+the|in\s+(?:response|retaliation)\s+(?:to|for)|anniversary\s+of|recall\w*)"
    r"[^,;:«»]*",
    re.IGNORECASE,
)


# Heard, felt or seen: a witness's perception names no weapon of its own ("des témoins ont
# entendu une explosion" after a rocket report); the sentence takes its neighbour's type.
_PERCEIVED = re.compile(r"\b(?:entendu|entendre|ressenti|aperçu|heard|felt)\b", re.IGNORECASE)


def _only_inside(phrases: re.Pattern[str], sentence: str, language: str) -> bool:
    """True when the sentence has such phrases and, with them cut out, no event trigger is left."""
    return bool(phrases.search(sentence)) and not is_event_sentence(phrases.sub(" ", sentence), language)


def only_background(sentence: str, language: str) -> bool:
    """The sentence's event words all sit in background phrases (cause, memory)."""
    return _only_inside(_BACKGROUND, sentence, language)


def only_no_victims(sentence: str, language: str) -> bool:
    """The sentence only says nobody was hurt ("No casualties were reported."): the toll of the
    event told before it, not an event of its own."""
    return _only_inside(_NO_VICTIMS, sentence, language)


# A count of several events as the subject sums up reports told one by one ("Trois attaques
# distinctes ont ciblé…", "Four attacks hit…", "plusieurs attentats"): counted, it would count
# them twice.
_TALLY = re.compile(
    r"\b(?:\d+|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|plusieurs|de\s+nombreu(?:x|ses)|"
    r"two|three|four|five|six|seven|eight|nine|ten|several|multiple|many)\s+(?:\w+\s+)?"
    r"(?:attaques|attentats|explosions|frappes|embuscades|affrontements|arrestations|manifestations|"
    r"attacks|bombings|explosions|strikes|ambushes|clashes|arrests|protests)\b(?:\s+\w+)?\s+"
    r"(?:distinct\w*|separate\w*|différent\w*|ont\s|have\s|hit\b|ciblé|targeted)",
    re.IGNORECASE,
)


def is_tally(sentence: str) -> bool:
    """The sentence counts several events as its subject ("Trois attaques distinctes ont
    ciblé…"): a summary of reports, when the article tells them one by one."""
    return bool(_TALLY.search(sentence))


# Types a negation turns into their absence: "aucun groupe n'a revendiqué", "no one was arrested".
NEGATABLE_TYPES = frozenset({"ATTRIB", "ARREST"})

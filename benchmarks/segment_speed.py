"""Speed of the sentence splitter: ``python -m benchmarks.segment_speed``.

Splits a few French and English paragraphs (~320 characters each, abbreviations,
quotes, numbers) for two seconds and prints paragraphs per second.
"""

import time

from transforms.text.segment import split_sentences

BENCH_PARAGRAPHS = [
    "M. Macron a reçu mardi Mme Zakharova à l'Élysée. « Nous avons parlé de tout, y compris de l'Ukraine. » "
    "Selon le Dr. Martin, la rencontre a duré 3.5 heures, soit bien plus que prévu. Le budget atteint 5.200 euros, "
    "etc. et rien n'a été décidé. Pourquoi ? Personne ne le sait ! Le dossier sera rouvert en janv. 2025.",
    "Gen. Smith joined the U.S. Army in 1990 and served under Lt. Col. J. R. Jones. “We did what we had to do,” "
    "he said. Nancy Pelosi (D-CA) said on Tuesday that the vote, No. 5 on the agenda, would go ahead at 3 p.m. "
    "Was it a surprise? Not really! Critics said the plan, first drafted in the U.S. Senate, was rushed...",
]


def paragraphs_per_second(seconds: float = 2.0) -> float:
    """Paragraphs per second of split_sentences on BENCH_PARAGRAPHS (~320 chars each)."""
    done, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        for paragraph in BENCH_PARAGRAPHS:
            split_sentences(paragraph, "fr")
        done += len(BENCH_PARAGRAPHS)
    return done / (time.perf_counter() - began)


if __name__ == "__main__":
    print(f"split_sentences: {paragraphs_per_second():,.0f} paragraphs/s")

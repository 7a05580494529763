"""Events: per-sentence reports (``extract``, with ``modality``, ``arguments``,
``dates``), their type (``lexicon``, ``features``, ``classify``), merged across articles
(``cluster``) and counted per window × place × type (``count``). Records in ``records``."""

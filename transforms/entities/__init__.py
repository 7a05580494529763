"""Entities: spaCy NER per language (``tagger``), span repairs (``mention_rules``),
per-article resolution (``resolve``) against the gazetteer (``gazetteer``, ``names``,
``data/``), corpus consistency (``consistency``) and the entity table (``catalog``).
``mention.TaggedMention`` is what the event stage reads."""

"""Cleanup: main text of HTML pages (``html_extract``), per-line boilerplate rules
(``scrub``), ``CleanArticles`` (``cleanup``), de-duplication (``dedup``) and
corpus-level boilerplate learning (``boilerplate``)."""

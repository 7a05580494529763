"""Reading and writing: input formats and their decoding (``formats``, ``decoding``),
the pasted-article dump format (``dump``), ``ReadNewsFeeds`` (``sources``), Kafka
(``kafka``), the deterministic sharded sinks (``sinks``) and file-backed grouping
(``spill``)."""

"""Reading and writing: input formats and their decoding (``formats``, ``decoding``),
the pasted-article dump format (``dump``), ``ReadNewsFeeds`` (``sources``), Kafka
(``kafka`` reader, ``kafka_sink``), the deterministic sharded sinks (``sinks``) and file-backed grouping
(``spill``); following live feeds: feed and sitemap parsing (``feeds``), polite HTTP
(``fetch``), the WARC archive (``archive``), the follower's state (``seen``) and the
``FetchFeeds``/``CrawlFeeds`` transforms (``crawl``)."""

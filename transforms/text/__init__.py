"""Text structure: language of articles and paragraphs (``language``), paragraphs and
sentences with character offsets (``segment``)."""

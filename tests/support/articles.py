"""Articles the entity and event tests build from a bare text."""

from transforms.records import Article, Paragraph


def article(text: str, language: str = "fr", article_id: str = "a1", source: str = "example.org") -> Article:
    """One article of one paragraph, no title, no date."""
    return Article(
        id=article_id,
        origin=f"test:{article_id}",
        url=None,
        source=source,
        title=None,
        published=None,
        language=language,
        text=text,
        paragraphs=[Paragraph(0, 0, len(text), language, False)],
    )

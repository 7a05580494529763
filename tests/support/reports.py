"""Event reports for tests of clustering and counting, batch and streaming."""

from typing import Optional

from transforms.events.records import EventReport


def report(
    article: str,
    date: str,
    type_: str = "REM_EXPLOS",
    lat: float = 33.34,
    lon: float = 44.40,
    precision: str = "city",
    target: Optional[str] = None,
    source: str = "a.example",
    sentence: int = 0,
    country: str = "IQ",
    admin1: Optional[str] = "IQ.07",
    background: bool = False,
) -> EventReport:
    return EventReport(
        article_id=article,
        source=source,
        sentence_index=sentence,
        start=0,
        end=10,
        type=type_,
        event_type="Explosions/Remote violence",
        cameo="18",
        type_confidence=0.8,
        date=date,
        date_precision="day",
        place="Baghdad",
        place_id="geonames:98182",
        lat=lat,
        lon=lon,
        country=country,
        admin1=admin1,
        place_precision=precision,
        place_scope="sentence",
        actors=[],
        target=target,
        fatalities=None,
        confidence=0.8,
        background=background,
        detection=0.9,
    )

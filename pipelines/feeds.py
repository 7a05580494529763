"""The ``--feeds`` options both jobs share, and the branch that adds fetched pages to
a job's documents and dead letters (``transforms.io.crawl.FetchFeeds``)."""

from __future__ import annotations

import argparse
from typing import Dict, List, Optional

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, SetupOptions

from transforms.io.crawl import FetchFeeds
from transforms.io.fetch import DEFAULT_USER_AGENT, FetchPolicy
from transforms.records import RawDocument, Rejected

DAY = 24 * 3600.0


class FeedOptions(PipelineOptions):
    """Following RSS/Atom/JSON feeds and news sitemaps (batch: one poll; stream: every
    ``--poll_minutes``)."""

    @classmethod
    def _add_argparse_args(cls, parser: argparse.ArgumentParser) -> None:
        defaults = FetchPolicy()
        parser.add_argument(
            "--feeds", help="file of feed URLs, one a line (# comments): RSS, Atom, JSON Feed, (news) sitemaps"
        )
        parser.add_argument("--warc_dir", help="where raw responses are archived as WARC (default: <output>/warc)")
        # --user_agent is Beam's own (SetupOptions: "a user agent string describing the
        # pipeline to external services"): it is also the User-Agent of every request
        parser.add_argument(
            "--fetch_min_interval",
            type=float,
            default=defaults.min_interval,
            help="seconds between two requests to one host, at least (default: %(default)s; robots.txt Crawl-delay may ask more)",
        )
        parser.add_argument(
            "--max_crawl_delay",
            type=float,
            default=defaults.max_crawl_delay,
            help="a robots.txt Crawl-delay above this many seconds is capped (default: %(default)s)",
        )
        parser.add_argument("--fetch_timeout", type=float, default=defaults.timeout, help="connect/read timeout, s")
        parser.add_argument(
            "--fetch_max_bytes", type=int, default=defaults.max_bytes, help="largest page, bytes (default: %(default)s)"
        )
        parser.add_argument("--fetch_retries", type=int, default=defaults.retries, help="retries after 429/5xx")
        parser.add_argument(
            "--fetch_backoff", type=float, default=defaults.backoff, help="first retry wait, s (doubles)"
        )
        parser.add_argument(
            "--fetch_max_retry_after",
            type=float,
            default=defaults.max_retry_after,
            help="a longer Retry-After gives up instead of waiting (default: %(default)s s)",
        )
        parser.add_argument(
            "--fetch_max_redirects", type=int, default=defaults.max_redirects, help="redirects followed"
        )
        parser.add_argument(
            "--fetch_hosts_in_parallel",
            type=int,
            default=defaults.hosts_in_parallel,
            help="hosts fetched at once per worker (default: %(default)s)",
        )
        parser.add_argument(
            "--poll_minutes", type=float, default=10.0, help="streaming job: minutes between two polls of every feed"
        )
        parser.add_argument(
            "--seen_ttl_days",
            type=float,
            default=7.0,
            help="streaming job: a fetched page is not fetched again for this many days (default: %(default)s)",
        )


def fetch_policy(options: FeedOptions) -> FetchPolicy:
    return FetchPolicy(
        user_agent=options.view_as(SetupOptions).user_agent or DEFAULT_USER_AGENT,
        min_interval=options.fetch_min_interval,
        max_crawl_delay=options.max_crawl_delay,
        timeout=options.fetch_timeout,
        max_bytes=options.fetch_max_bytes,
        max_redirects=options.fetch_max_redirects,
        retries=options.fetch_retries,
        backoff=options.fetch_backoff,
        max_retry_after=options.fetch_max_retry_after,
        hosts_in_parallel=max(1, options.fetch_hosts_in_parallel),
    )


def warc_dir_of(options: FeedOptions, output: str) -> str:
    return options.warc_dir or FileSystems.join(output, "warc")


def add_fetched(
    pipeline: beam.Pipeline,
    options: PipelineOptions,
    output: str,
    documents: List[beam.PCollection],
    rejected: List[beam.PCollection],
    state_dir: Optional[str] = None,
    poll: bool = False,
    stop_after_seconds: Optional[float] = None,
) -> None:
    """With ``--feeds``: fetches them (once, or every ``--poll_minutes`` when ``poll``)
    and appends the fetched RawDocuments and dead letters to the given lists."""
    feeds = options.view_as(FeedOptions)
    if not feeds.feeds:
        return
    fetched = pipeline | "FetchFeeds" >> FetchFeeds(
        feeds.feeds,
        fetch_policy(feeds),
        warc_dir_of(feeds, output),
        state_dir=state_dir,
        seen_ttl_seconds=feeds.seen_ttl_days * DAY,
        poll_seconds=feeds.poll_minutes * 60 if poll else None,
        stop_after_seconds=stop_after_seconds,
    )
    documents.append(fetched["documents"])
    rejected.append(fetched["rejected"])


def flatten_sources(documents: List[beam.PCollection], rejected: List[beam.PCollection]) -> Dict[str, beam.PCollection]:
    """{"documents", "rejected"} of every source, one PCollection each."""
    return {
        "documents": documents[0]
        if len(documents) == 1
        else documents | "AllSources" >> beam.Flatten().with_output_types(RawDocument),
        "rejected": rejected[0]
        if len(rejected) == 1
        else rejected | "AllSourceRejects" >> beam.Flatten().with_output_types(Rejected),
    }

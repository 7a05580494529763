"""What a feed follower remembers between polls and across restarts, as small files.

* ``SeenLinks``: the normalised URLs of pages already fetched, one file per URL under
  ``<state_dir>/feeds/seen/`` (name: sha1 of the URL), forgotten ``ttl`` seconds after
  they were fetched, so a story listed for days is fetched once and the ledger does not
  grow without end.
* ``FeedValidators``: each feed's ETag and Last-Modified, under
  ``<state_dir>/feeds/validators/``, sent back as If-None-Match / If-Modified-Since so an
  unchanged feed answers 304 with no body.

Files are written under a temporary name and renamed, so a crash never leaves half an
entry; a rewrite of the same entry is harmless.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from typing import Dict, Optional

from apache_beam.io.filesystems import FileSystems


def _name(url: str) -> str:
    return hashlib.sha1(url.encode("utf-8")).hexdigest() + ".json"


def _write_atomically(path: str, data: Dict[str, object]) -> None:
    temporary = f"{path}.{os.getpid()}.tmp"
    with FileSystems.create(temporary) as handle:
        handle.write(json.dumps(data, sort_keys=True).encode("utf-8"))
    if FileSystems.exists(path):
        FileSystems.delete([path])
    FileSystems.rename([temporary], [path])


def _read(path: str) -> Optional[Dict[str, object]]:
    try:
        with FileSystems.open(path) as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError):  # absent (not yet seen) or cut short by a crash: not seen
        return None
    return data if isinstance(data, dict) else None


class SeenLinks:
    """Pages fetched within the last ``ttl_seconds``."""

    def __init__(self, state_dir: str, ttl_seconds: float):
        self._directory = FileSystems.join(state_dir, "feeds", "seen")
        self._ttl = ttl_seconds

    def _path(self, url: str) -> str:
        return FileSystems.join(self._directory, _name(url))

    def seen(self, url: str, now: Optional[float] = None) -> bool:
        entry = _read(self._path(url))
        if entry is None:
            return False
        fetched = entry.get("fetched")
        return isinstance(fetched, (int, float)) and fetched > (time.time() if now is None else now) - self._ttl

    def remember(self, url: str, now: Optional[float] = None) -> None:
        if not FileSystems.exists(self._directory):
            FileSystems.mkdirs(self._directory)
        _write_atomically(self._path(url), {"url": url, "fetched": time.time() if now is None else now})

    def forget_expired(self, now: Optional[float] = None) -> int:
        """Deletes entries older than the ttl; returns how many."""
        limit = (time.time() if now is None else now) - self._ttl
        pattern = FileSystems.join(self._directory, "*.json")
        expired = []
        for metadata in FileSystems.match([pattern])[0].metadata_list:
            entry = _read(metadata.path)
            fetched = entry.get("fetched") if entry else None
            if not isinstance(fetched, (int, float)) or fetched <= limit:
                expired.append(metadata.path)
        if expired:
            FileSystems.delete(expired)
        return len(expired)


class FeedValidators:
    """ETag / Last-Modified of each feed's last 200 response."""

    def __init__(self, state_dir: str):
        self._directory = FileSystems.join(state_dir, "feeds", "validators")
        self._known: Dict[str, Dict[str, str]] = {}

    def conditional_headers(self, feed_url: str) -> Dict[str, str]:
        if feed_url not in self._known:
            entry = _read(FileSystems.join(self._directory, _name(feed_url))) or {}
            self._known[feed_url] = {
                k: v for k, v in entry.items() if k in ("etag", "last_modified") and isinstance(v, str)
            }
        known = self._known[feed_url]
        headers = {}
        if known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        return headers

    def remember(self, feed_url: str, response_headers: Dict[str, str]) -> None:
        """Keeps the validators of a 200 response (lower-case header names)."""
        validators = {
            k: v
            for k, v in (
                ("etag", response_headers.get("etag")),
                ("last_modified", response_headers.get("last-modified")),
            )
            if v
        }
        if validators == self._known.get(feed_url):
            return
        self._known[feed_url] = validators
        if not FileSystems.exists(self._directory):
            FileSystems.mkdirs(self._directory)
        _write_atomically(FileSystems.join(self._directory, _name(feed_url)), {"url": feed_url, **validators})

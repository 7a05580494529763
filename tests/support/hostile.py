"""A battery of hostile inputs for the batch job: each case builds its files in a directory
and says where its units must land (articles/, rejected/ with which reasons, duplicates/).

Used by ``tests/io/test_hostile_inputs.py`` (each case alone, then all in one job) and by
``benchmarks/hostile_inputs.py`` (the table in docs/reliability.md). Everything is built
here, from a fixed seed; nothing is downloaded.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import fastavro
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from schemas import load_schema

MAX_BYTES = 20 * 1024 * 1024  # transforms.io.formats.DEFAULT_MAX_BYTES, the job's per-unit limit


def story(case: str, number: int) -> str:
    """A distinct, plausible two-sentence article body that cleanup keeps."""
    return (
        f"The council of {case.replace('_', ' ')} town {number} met on Monday to vote the budget for the harbour. "
        f"Officials said the vote on item {number} would be repeated next week after a long debate about the piers."
    )


def page(case: str, number: int, extra: str = "") -> str:
    return (
        f"<html><head><title>Harbour budget {number}</title></head><body><article>"
        f"<h1>Harbour budget {number}</h1><p>{story(case, number)}</p>{extra}"
        f"<p>The mayor of town {number} promised a second vote before the end of the month, according to the minutes.</p>"
        "</article></body></html>"
    )


def jsonl(lines: Sequence[object]) -> bytes:
    """JSON Lines; a str item is written as it is (for broken lines)."""
    return b"".join((line if isinstance(line, str) else json.dumps(line)).encode("utf-8") + b"\n" for line in lines)


def warc_records(case: str, count: int, gz: bool) -> tuple:
    """(WARC bytes with ``count`` HTML responses, the offsets where each record starts and the end)."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=gz)
    starts = []
    for number in range(count):
        starts.append(buffer.tell())
        body = page(case, number).encode("utf-8")
        http = StatusAndHeaders(
            "200 OK",
            [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
            protocol="HTTP/1.1",
        )
        record = writer.create_warc_record(
            f"https://{case}.example.org/{number}",
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=http,
        )
        writer.write_record(record)
    starts.append(buffer.tell())
    return buffer.getvalue(), starts


def avro_articles(case: str, count: int, codec: str) -> bytes:
    buffer = io.BytesIO()
    records = [
        {
            "id": f"{case}-{number}",
            "origin": "elsewhere",
            "url": f"https://{case}.example.org/{number}",
            "source": f"{case}.example.org",
            "title": f"Harbour budget {number}",
            "published": "2024-03-04T05:06:07Z",
            "language": "en",
            "text": story(case, number),
            "paragraphs": [],
        }
        for number in range(count)
    ]
    fastavro.writer(buffer, fastavro.parse_schema(load_schema("article")), records, codec=codec, sync_interval=600)
    return buffer.getvalue()


@dataclass
class Case:
    """One hostile input: how to build it and where its units must land."""

    name: str
    build: Callable[[Path], None]
    articles: int  # records in articles/
    rejected: int  # records in rejected/
    reasons: List[str] = field(default_factory=list)  # each must start one rejected reason (regex)
    duplicates: int = 0
    counters: Dict[str, int] = field(default_factory=dict)  # "stage/name" → value
    check: Optional[Callable[[Dict[str, List[dict]]], None]] = None  # on the records written
    vanish: Optional[str] = None  # a file removed between listing and reading
    needs_proc: bool = False  # uses /proc entries that even root cannot read


def _empty(root: Path) -> None:
    for name in ("empty.html", "empty.txt", "empty.jsonl", "empty.warc", "empty.avro", "empty.html.gz"):
        (root / name).write_bytes(b"")
    (root / "blank.jsonl").write_bytes(b"\n\n   \n")
    (root / "empty-member.html.gz").write_bytes(gzip.compress(b""))


def _binary(root: Path) -> None:
    rng = random.Random(13)
    noise = bytes(rng.randrange(256) for _ in range(8192))
    for name in ("noise.html", "noise.txt", "noise.warc", "noise.avro"):
        (root / name).write_bytes(noise)
    (root / "noise.jsonl").write_bytes(noise.replace(b"\n", b" "))  # one line of noise
    (root / "logo.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(512))
    (root / "program.txt").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(512))


def _truncated_gzip(root: Path) -> None:
    (root / "page.html.gz").write_bytes(gzip.compress(page("truncated", 0).encode())[:-30])
    lines = jsonl([{"id": f"t{n}", "text": story("truncated", n)} for n in range(40)])
    (root / "feed.jsonl.gz").write_bytes(gzip.compress(lines)[:-200])  # the first lines survive
    data, _ = warc_records("truncated", 3, gz=True)
    (root / "crawl.warc.gz").write_bytes(data[:-100])
    (root / "garbage.html.gz").write_bytes(b"\x1f\x8b\x08\x00" + b"not deflate at all" * 20)


def _gzip_bomb(root: Path) -> None:
    zeros = b"\x00" * (1 << 20)

    def bomb(path: Path, megabytes: int, head: bytes = b"") -> None:
        with gzip.open(path, "wb", compresslevel=9) as handle:
            handle.write(head)
            for _ in range(megabytes):
                handle.write(zeros)

    bomb(root / "bomb.html.gz", 256, b"<html><body><p>")
    bomb(root / "bomb.jsonl.gz", 256, b'{"text": "')
    bomb(root / "bomb.warc.gz", 256)
    bomb(root / "bomb.txt.gz", 256, b"Headline\n\n")


_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">\n' for i in range(1, 10)
    )
    + "]>\n<html><body><p>&lol9;</p></body></html>"
)


def _billion_laughs(root: Path) -> None:
    (root / "laughs.html").write_text(_LAUGHS, encoding="utf-8")
    (root / "laughs.jsonl").write_bytes(jsonl([{"id": "laughs", "html": _LAUGHS}]))
    # the same DTD before a real article: the article must come through, the entities not expand
    (root / "laughs-article.html").write_text(_LAUGHS.replace("<p>&lol9;</p>", page("laughs", 1)[12:-7]), "utf-8")


_XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE html [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
    '<!ENTITY remote SYSTEM "http://127.0.0.1:9/x">]>\n'
    "<html><body><article><p>&xxe;</p><p>&remote;</p>"
)


def _xxe(root: Path) -> None:
    body = page("xxe", 1)
    (root / "xxe.html").write_text(_XXE + body[body.index("<h1>") :], encoding="utf-8")
    (root / "xxe.jsonl").write_bytes(jsonl([{"id": "xxe-2", "html": _XXE + "</article></body></html>"}]))


def _no_passwd(records: Dict[str, List[dict]]) -> None:
    for article in records["articles"]:
        assert "root:" not in article["text"] and "/bin/" not in article["text"]


def _deep_nesting(root: Path) -> None:
    depth = 100_000
    (root / "deep.html").write_text(
        "<html><body>" + "<div>" * depth + f"<p>{story('deep', 0)}</p>" + "</div>" * depth + "</body></html>", "utf-8"
    )
    (root / "deep.jsonl").write_bytes(
        jsonl(
            [
                "[" * depth + "]" * depth,
                '{"id": "deep-obj", "text": ' + '{"a": ' * depth + "1" + "}" * depth + "}",
                {"id": "deep-ok", "text": story("deep", 1)},
            ]
        )
    )


def _huge_lines(root: Path) -> None:
    huge = {"id": "huge", "text": "word " * (MAX_BYTES // 5 + 10)}
    (root / "huge.jsonl").write_bytes(jsonl([huge, {"id": "after-huge", "text": story("huge", 1)}]))
    (root / "huge.html").write_bytes(b"<html><body><p>" + b"a" * (MAX_BYTES + 10) + b"</p></body></html>")
    (root / "one-long-line.txt").write_bytes(b"Headline\n\n" + b"x" * (MAX_BYTES + 1))
    long_text = " ".join(story("huge", n) for n in range(2, 600))  # ~130 KB, one paragraph: kept
    (root / "long.jsonl").write_bytes(jsonl([{"id": "long", "text": long_text}]))


def _wrong_json_types(root: Path) -> None:
    (root / "types.jsonl").write_bytes(
        jsonl(
            [
                {"id": "n", "text": 123},
                {"id": "l", "text": story("types", 0), "title": ["a", "list"]},
                {"id": {"an": "object"}, "text": story("types", 1)},
                {"id": "p", "text": story("types", 2), "published": 20200101},
                {"id": True, "text": story("types", 3)},
                ["a", "list"],
                "null",
                '"a string"',
                "42",
                '{"id": "nan", "text": NaN}',
                '{"id": "big", "text": "x", "n": ' + "9" * 5000 + "}",
                {"id": "none", "text": None, "html": None},
                {"id": "ok", "text": story("types", 4)},
            ]
        )
    )
    (root / "bom.jsonl").write_bytes(b"\xef\xbb\xbf" + jsonl([{"id": "bom", "text": story("types", 5)}]))


def _corrupt_warc(root: Path) -> None:
    for gz in (False, True):
        suffix = ".gz" if gz else ""
        data, starts = warc_records(f"middle{suffix}", 5, gz)
        middle = bytearray(data)
        at = starts[2] + (starts[3] - starts[2]) // 2 if gz else starts[3] - 60
        if gz:
            middle[at : at + 40] = bytes(40)  # deflate data of record 2 destroyed
        else:
            del middle[at : at + 30]  # record 2 loses 30 body bytes: its Content-Length overruns
        (root / f"middle.warc{suffix}").write_bytes(bytes(middle))
        data, starts = warc_records(f"header{suffix}", 5, gz)
        header = bytearray(data)
        header[starts[1] : starts[1] + 8] = b"XXXXXXXX"  # record 1's first bytes garbled
        (root / f"header.warc{suffix}").write_bytes(bytes(header))


def _corrupt_avro(root: Path) -> None:
    for codec in ("null", "deflate"):
        data = avro_articles(f"avro-{codec}", 30, codec)
        damaged = bytearray(data)
        at = len(data) // 2
        damaged[at : at + 24] = b"\xff" * 24
        (root / f"damaged-{codec}.avro").write_bytes(bytes(damaged))
    cut = avro_articles("avro-cut", 30, "deflate")
    (root / "cut-in-middle.avro").write_bytes(cut[: len(cut) // 2] + cut[len(cut) // 2 + 50 :])
    (root / "not-avro.avro").write_bytes(b"Obj\x01" + b"\xff" * 64)


def _avro_lost_one_block(records: Dict[str, List[dict]]) -> None:
    by_file: Dict[str, int] = {}
    for article in records["articles"]:
        name = article["origin"].rsplit("/", 1)[-1].split("#")[0]
        by_file[name] = by_file.get(name, 0) + 1
    # each damaged file loses the records of one block (two here), not the blocks after it
    assert by_file == {"damaged-null.avro": 29, "damaged-deflate.avro": 28, "cut-in-middle.avro": 28}, by_file
    ids = {a["id"] for a in records["articles"]}
    assert {"avro-deflate-29", "avro-cut-29", "avro-null-29"} <= ids, sorted(ids)


def _no_laughs(records: Dict[str, List[dict]]) -> None:
    for article in records["articles"]:
        assert "lollol" not in article["text"]


def _unreadable(root: Path) -> None:
    locked = root / "locked.html"
    locked.write_bytes(b"")  # empty as well: rejected whether or not root can read it
    locked.chmod(0)
    os.symlink("/proc/sys/vm/compact_memory", root / "write-only.html")  # EACCES even for root
    os.symlink("/proc/self/mem", root / "io-error.html")  # EIO on the first read
    (root / "ok.html").write_text(page("unreadable", 0), "utf-8")


def _vanished(root: Path) -> None:
    (root / "gone.html").write_text(page("vanished", 0), "utf-8")
    (root / "stays.html").write_text(page("vanished", 1), "utf-8")


def _symlinks(root: Path) -> None:
    (root / "sub").mkdir()
    (root / "sub" / "page.html").write_text(page("symlinks", 0), "utf-8")
    os.symlink("loop.html", root / "loop.html")
    os.symlink("b.html", root / "a.html")
    os.symlink("a.html", root / "b.html")
    os.symlink("../sub", root / "sub" / "again")  # a directory loop
    os.symlink("/nonexistent/feed.jsonl", root / "dangling.jsonl")
    os.symlink("sub/page.html", root / "alias.html")  # a symlink to a file is read
    os.mkfifo(root / "pipe.jsonl")  # opening it would wait for a writer forever


def _absurd_dates(root: Path) -> None:
    dates = [
        "1899-12-31",
        "1970-01-01T00:00:00Z",
        "2099-01-01",
        "9999-12-31T23:59:59+14:00",
        "0000-00-00",
        "not a date",
    ]
    lines = [{"id": f"date-{n}", "text": story("dates", n), "published": d} for n, d in enumerate(dates)]
    lines.append({"id": "date-ok", "text": story("dates", 99), "published": "2020-09-15"})
    (root / "dates.jsonl").write_bytes(jsonl(lines))


def _dates_nulled(records: Dict[str, List[dict]]) -> None:
    published = {a["id"]: a["published"] for a in records["articles"]}
    assert published.pop("date-ok") == "2020-09-15"
    assert set(published.values()) == {None}, published


def _surrogates(root: Path) -> None:
    # the issue's case, then the same lone surrogate in every text field
    (root / "s.jsonl").write_bytes(b'{"id":"s1","title":"t","text":"Paris council met \\ud800 on Monday."}\n')
    (root / "fields.jsonl").write_bytes(
        b'{"id":"s2\\udfff","title":"Budget \\udc80 vote","url":"https://e.org/\\ud800","source":"e\\ud800.org",'
        b'"language":"e\\ud801n","published":"2020-09-15\\ud800","text":"'
        + story("surrogates", 1).encode()
        + b' \\ud83d"}\n'
        b'{"id":"pair","text":"A real pair \\ud83d\\ude00 stays a smiley. ' + story("surrogates", 2).encode() + b'"}\n'
    )


def _no_surrogates(records: Dict[str, List[dict]]) -> None:
    for kind in ("articles", "rejected"):
        for record in records[kind]:
            for value in record.values():
                assert not isinstance(value, str) or not re.search("[\ud800-\udfff]", value)
    assert any("\U0001f600" in a["text"] for a in records["articles"])


_CONTROLS = "\x00\x01\x07\x08\x1b[31m\x1b[0m\x1b]0;title\x07\x7f\x85\x9b2J\x9f"


def _control_characters(root: Path) -> None:
    text = f"The council{_CONTROLS} met on Monday\x00 to vote the budget. Officials\x0csaid the vote would be repeated."
    (root / "controls.jsonl").write_bytes(
        jsonl(
            [
                {"id": "c1", "title": "Budget\x1b[1m vote\x00", "text": text},
                {"id": "c2", "text": _CONTROLS * 20},  # nothing but controls: no text left
            ]
        )
    )
    (root / "controls.html").write_text(page("controls", 1, extra="<p>Escape &#27;[31m red &#0; and &#x7f; gone.</p>"))


def _printable(records: Dict[str, List[dict]]) -> None:
    controls = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
    for article in records["articles"]:
        for value in (article["text"], article["title"] or ""):
            assert not controls.search(value), repr(value)
            assert "[31m" not in value and "[0m" not in value
    assert any("The council met on Monday to vote the budget." in a["text"] for a in records["articles"])


def _odd_encodings(root: Path) -> None:
    record = {"id": "u16", "text": "Le conseil s’est réuni lundi pour voter le budget du port. " * 3}
    (root / "utf16.jsonl").write_bytes(
        json.dumps(record, ensure_ascii=False).encode("utf-16") + "\n".encode("utf-16-le")
    )
    (root / "latin1.jsonl").write_bytes(
        json.dumps({"id": "l1", "text": "Le conseil a voté lundi à Besançon. " * 3}, ensure_ascii=False).encode(
            "latin-1"
        )
        + b"\n"
    )
    (root / "utf16.html").write_bytes(page("encodings", 0).encode("utf-16"))
    (root / "cp1252.html").write_bytes(
        page("encodings", 1, extra="<p>Le conseil a voté “oui” à 80 %.</p>").encode("cp1252")
    )


def _file_names(root: Path) -> None:
    (root / "line\nbreak.html").write_text(page("names", 0), "utf-8")
    (root / "espace et accent é.html").write_text(page("names", 1), "utf-8")
    os.close(os.open(os.fsencode(root) + b"/caf\xe9.html", os.O_CREAT | os.O_WRONLY))  # not UTF-8
    (root / "dir.html").mkdir()  # a directory with a page's name: its files are read
    (root / "dir.html" / "inner.html").write_text(page("names", 2), "utf-8")
    (root / "notes.docx").write_bytes(b"PK\x03\x04")


def _hostile_fields(root: Path) -> None:
    (root / "fields.jsonl").write_bytes(
        jsonl(
            [
                {"id": "u1", "url": "http://[::1", "text": story("fields", 1)},  # unparseable URL
                {"id": "u2", "url": "javascript:alert(1)", "text": story("fields", 2)},
                {"id": "u3", "url": "https://e.org/" + "a" * 100_000, "text": story("fields", 3)},
                {"id": "x" * 10_000, "text": story("fields", 4)},
                {"id": "", "text": story("fields", 5), "language": "xx-NOT-A-LANG"},
                {"id": "u6", "text": story("fields", 6), "source": "\u202eevil"},
                {"id": "u7", "text": "\u200b\u200c\u200d\ufeff"},  # only zero-width characters
                {"id": "dup", "url": "https://e.org/same", "text": story("fields", 7)},
                {"id": "dup2", "url": "https://e.org/same?utm_source=x", "text": story("fields", 8)},
            ]
        )
    )


NEST_DEPTH = 1100  # past Python 3.11's recursion limit, which os.walk and shutil.rmtree hit


def _deep_directories(root: Path) -> None:
    (root / "top.html").write_text(page("deep-dirs", 0), "utf-8")
    path = str(root)
    for _ in range(NEST_DEPTH):  # os.makedirs recurses too: one level at a time
        path = os.path.join(path, "n")
        os.mkdir(path)
    with open(os.path.join(path, "bottom.html"), "w", encoding="utf-8") as handle:
        handle.write(page("deep-dirs", 1))


def _remove_nests(directory: Path) -> None:
    """Removes the deep chains of "n" directories bottom up (shutil.rmtree recurses)."""
    for top in (directory / "n", directory / "deep_directories" / "n"):
        if not top.is_dir():
            continue
        chain = [str(top)]
        while os.path.isdir(os.path.join(chain[-1], "n")):
            chain.append(os.path.join(chain[-1], "n"))
        for level in reversed(chain):
            for name in os.listdir(level):
                if name != "n":
                    os.unlink(os.path.join(level, name))
            os.rmdir(level)


CASES: List[Case] = [
    Case("empty", _empty, 0, 8, ["empty file", "no records in file"]),
    Case("binary", _binary, 0, 7, ["binary content", "not an Avro file", r"truncated or corrupt WARC", "invalid JSON"]),
    # the readable start of a cut gzip is kept (16 JSONL lines, 2 WARC records), the rest is one rejection
    Case("truncated_gzip", _truncated_gzip, 18, 4, [r"(truncated|corrupt) gzip", r"truncated or corrupt WARC gzip"]),
    Case("gzip_bomb", _gzip_bomb, 0, 4, [r"page too large", r"JSONL line too large", r".*a gzip bomb"]),
    # entities stay unexpanded text; the JSONL copy of the bare laughs page is a duplicate of it
    Case("billion_laughs", _billion_laughs, 2, 0, duplicates=1, check=_no_laughs),
    Case("xxe", _xxe, 2, 0, check=_no_passwd),
    Case("deep_nesting", _deep_nesting, 1, 3, [r"invalid JSON: RecursionError", r"no main text found"]),
    Case("deep_directories", _deep_directories, 2, 0),
    Case("huge_lines", _huge_lines, 2, 3, [r"JSONL line too large", r"page too large"]),
    Case("wrong_json_types", _wrong_json_types, 2, 12, [r"field 'text' must be a string", r"JSON line is a list"]),
    Case(
        "corrupt_warc", _corrupt_warc, 16, 4, [r"truncated or corrupt WARC record", r"truncated or corrupt WARC gzip"]
    ),
    Case(
        "corrupt_avro", _corrupt_avro, 85, 4, [r"corrupt Avro block", r"not an Avro file"], check=_avro_lost_one_block
    ),
    Case(
        "unreadable_files",
        _unreadable,
        1,
        3,
        [r"file cannot be read: permission denied", r"unreadable input \(OSError"],
        needs_proc=True,
    ),
    Case("vanished_file", _vanished, 1, 1, [r"file vanished between listing and reading"], vanish="gone.html"),
    # alias.html → sub/page.html: the same page twice, one a duplicate
    Case(
        "symlinks",
        _symlinks,
        1,
        6,
        [r"symlink loop", r"dangling symlink", r"symlink to a directory", r"not read: a FIFO"],
        duplicates=1,
        counters={"read/skipped_entries": 5},
    ),
    Case(
        "absurd_dates",
        _absurd_dates,
        7,
        0,
        counters={"cleanup/published_out_of_range": 4, "cleanup/published_unparseable": 2},
        check=_dates_nulled,
    ),
    Case("surrogates", _surrogates, 3, 0, check=_no_surrogates),
    Case("control_characters", _control_characters, 2, 1, [r"no text left"], check=_printable),
    Case("odd_encodings", _odd_encodings, 4, 0),
    Case("file_names", _file_names, 3, 2, [r"file name is not UTF-8", r"unsupported input type"]),
    Case(
        "hostile_fields",
        _hostile_fields,
        7,
        1,
        [r"no text left"],
        duplicates=1,
        counters={"cleanup/url_unparseable": 1},
    ),
]


def build(case: Case, root: Path) -> Path:
    """The case's files under ``root/<name>``."""
    directory = root / case.name
    directory.mkdir(parents=True)
    case.build(directory)
    return directory


def unlock(directory: Path) -> None:
    """Gives back permissions the unreadable-files case took and removes the deep directory
    chains, so tmp dirs can be removed."""
    _remove_nests(directory)
    for path in directory.rglob("*"):
        if not path.is_symlink() and path.is_file() and not os.access(path, os.R_OK):
            path.chmod(stat.S_IRUSR | stat.S_IWUSR)

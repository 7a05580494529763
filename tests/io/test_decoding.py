"""Tests of the source step: pure readers first, then ReadNewsFeeds on a TestPipeline.

Every fixture is generated in tmp_path (or in memory), so nothing outside the repo is needed.
"""

from __future__ import annotations

import pytest

from transforms.io.decoding import decode_bytes, printable_text


@pytest.mark.parametrize(
    "data, expected",
    [
        ("Café — “x” €".encode(), "Café — “x” €"),
        (b"\xef\xbb\xbf" + "Café".encode(), "Café"),
        ("Café".encode("utf-16"), "Café"),  # BOM, then UTF-16
        ("Café crème — “x” €".encode("cp1252"), "Café crème — “x” €"),  # undeclared cp1252
        ("Ñandú São Müller".encode("latin-1"), "Ñandú São Müller"),  # undeclared latin-1
        ("Café ".encode() + "crème".encode("cp1252"), "Café crème"),  # UTF-8 with a stray cp1252 byte
    ],
)
def test_decode_bytes_without_declaration(data: bytes, expected: str) -> None:
    assert decode_bytes(data) == expected


def test_decode_bytes_honours_meta_charset_and_ignores_a_false_one() -> None:
    russian = '<html><head><meta charset="windows-1251"></head><body>Привет, мир</body></html>'
    assert "Привет, мир" in decode_bytes(russian.encode("cp1251"), sniff_meta=True)
    equiv = '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r"><p>Привет</p>'
    assert "Привет" in decode_bytes(equiv.encode("koi8-r"), sniff_meta=True)
    lying = '<meta charset="utf-8"><p>Café</p>'.encode("cp1252")  # declares UTF-8, is cp1252
    assert "Café" in decode_bytes(lying, sniff_meta=True)
    # An HTTP header charset wins over guessing.
    assert decode_bytes("Привет".encode("koi8-r"), declared="koi8_r") == "Привет"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Paris council met \ud800 on Monday.", "Paris council met \ufffd on Monday."),  # lone surrogate
        ("A real pair 😀 stays.", "A real pair 😀 stays."),
        ("met\x00 on\x07 Monday\x7f", "met on Monday"),  # NUL, BEL, DEL
        ("\x1b[31mred\x1b[0m and \x1b[1;4mbold\x1b[m", "red and bold"),  # ANSI colours, whole
        ("\x1b]0;window title\x07text", "text"),  # OSC: a terminal title
        ("C1 \x85\x9b2Jgone\x9f", "C1 gone"),  # NEL, C1 CSI, APC
        ("page\x0cbreak\x0bhere", "page break here"),
        ("tab\tand\nlines\r\n stay", "tab\tand\nlines\r\n stay"),
        ("Crème brûlée — “déjà vu” €", "Crème brûlée — “déjà vu” €"),
    ],
)
def test_printable_text(text: str, expected: str) -> None:
    assert printable_text(text) == expected
    assert printable_text(expected) == expected  # idempotent
    expected.encode("utf-8")  # always encodable


def test_printable_text_returns_clean_text_unchanged_and_uncopied() -> None:
    text = "Le conseil s’est réuni lundi. " * 100
    assert printable_text(text) is text

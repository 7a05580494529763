"""Tests of the source step: pure readers first, then ReadNewsFeeds on a TestPipeline.

Every fixture is generated in tmp_path (or in memory), so nothing outside the repo is needed.
"""

from __future__ import annotations

import pytest

from transforms.io.decoding import decode_bytes


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

"""Request bodies sent compressed (``Content-Encoding: gzip`` or ``deflate``), decoded within a limit.

OpenLineage clients compress events (openlineage-python's HTTP transport with
``compression="gzip"``). The decoded size is limited as well as the size sent, and the
decoder stops as soon as the output passes the limit, so a small body that inflates to
gigabytes (a "zip bomb") costs at most the limit in memory. HTTP's ``deflate`` is the zlib
format (RFC 9110 8.4.1.2); raw deflate, which some clients send under that name, is read too.
"""
from __future__ import annotations

import zlib

#: codings decoded here, with the zlib window bits that read them
_GZIP, _ZLIB, _RAW = 16 + zlib.MAX_WBITS, zlib.MAX_WBITS, -zlib.MAX_WBITS


class CodingError(Exception):
    """A body that cannot be decoded: ``status`` is 415 (coding not supported), 413 (too large
    once decoded) or 400 (not valid data of its coding)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def decoded_body(raw: bytes, content_encoding: str | None, limit: int) -> bytes:
    """``raw`` decoded as its Content-Encoding header says (none or ``identity``: as it is).

    Raises CodingError for an unsupported or stacked coding, corrupt data, or a body larger
    than ``limit`` bytes once decoded.
    """
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return raw
    if len(codings) > 1:
        raise CodingError(415, f"Content-Encoding {content_encoding!r}: send one coding at most (gzip or deflate)")
    coding = codings[0]
    if coding in ("gzip", "x-gzip"):
        return _inflate(raw, _GZIP, coding, limit, members=True)
    if coding == "deflate":
        zlib_header = len(raw) >= 2 and raw[0] & 0x0F == 8 and (raw[0] << 8 | raw[1]) % 31 == 0
        return _inflate(raw, _ZLIB if zlib_header else _RAW, coding, limit, members=False)
    raise CodingError(415, f"Content-Encoding {coding!r} is not supported: send the body as it is, or gzip or deflate")


def _inflate(data: bytes, wbits: int, coding: str, limit: int, *, members: bool) -> bytes:
    """Decode ``data`` (several gzip members one after another if ``members``), never holding more
    than ``limit`` + 1 decoded bytes."""
    out = bytearray()
    while True:
        d = zlib.decompressobj(wbits)
        try:
            out += d.decompress(data, limit + 1 - len(out))
            if len(out) > limit or d.unconsumed_tail:
                raise CodingError(413, f"the body is larger than {limit:,} bytes once decoded ({coding})")
            out += d.flush()
        except zlib.error as e:
            raise CodingError(400, f"the body is not valid {coding} data: {e}") from None
        if len(out) > limit:
            raise CodingError(413, f"the body is larger than {limit:,} bytes once decoded ({coding})")
        if not d.eof:
            raise CodingError(400, f"the body is not valid {coding} data: it ends before its compressed stream does")
        data = d.unused_data
        if not data or not members:
            if data:
                raise CodingError(400, f"the body is not valid {coding} data: {len(data)} bytes follow its end")
            return bytes(out)

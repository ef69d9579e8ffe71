"""Exports: the store (or one source) as RDF in any supported format, or the IAR as CSV."""
from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path

from govgraph.errors import BadInput
from govgraph.io.iar import write_iar
from govgraph.io.formats import EXPORT_FORMATS
from govgraph.store import Store


def export_to(store: Store, output: str | Path | None, fmt: str = "turtle", *, source: str | None = None) -> int:
    """Write an export to ``output`` (a path, or standard output when None).

    Returns the triples (or IAR rows) written. A file is written beside its final name
    and renamed into place, so a failed export never leaves half a file.
    """
    if fmt not in EXPORT_FORMATS:
        raise BadInput(f"unknown export format {fmt!r}: use one of {', '.join(EXPORT_FORMATS)}")
    if fmt == "iar" and source:
        raise BadInput("the IAR export covers the whole store: drop --source")
    if output is None:
        if fmt == "iar":
            return write_iar(store, sys.stdout)
        buf = io.BytesIO()
        n = store.dump(buf, fmt, source=source)
        sys.stdout.buffer.write(buf.getvalue()) if hasattr(sys.stdout, "buffer") else sys.stdout.write(buf.getvalue().decode())
        sys.stdout.flush()
        return n
    out = Path(output)
    if out.is_dir():
        raise BadInput("is a directory: give a file name", file=str(out))
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.exists():
        raise BadInput(f"the folder {parent} does not exist", file=str(out))
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=parent)
    try:
        if fmt == "iar":
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                n = write_iar(store, f)
        else:
            with os.fdopen(fd, "wb") as f:
                n = store.dump(f, fmt, source=source)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n

"""Bearer tokens for writes: a token file of named tokens with roles, stored as SHA-256 hashes.

The file is plain text, one token a line: ``NAME ROLE sha256:HEX`` (``#`` starts a
comment). Tokens are 32 random bytes, so an unsalted SHA-256 is enough to make a
stolen file useless; comparisons are constant-time. Roles are ordered: a reader may
read, an editor may also write (SPARQL Update, source uploads, OpenLineage events),
an admin may also remove sources. Create tokens with
``python -m govgraph.auth add FILE NAME ROLE`` (the token is printed once).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from govgraph.errors import BadInput

ROLES = ("reader", "editor", "admin")


@dataclass(frozen=True)
class Principal:
    """Who a token belongs to and what it may do."""
    name: str
    role: str

    def can(self, role: str) -> bool:
        """Whether this principal has ``role`` or a stronger one."""
        return ROLES.index(self.role) >= ROLES.index(role)


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenFile:
    """The tokens of one file, re-read when the file changes."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._mtime: float | None = None
        self._entries: list[tuple[str, Principal]] = []

    def _load(self) -> None:
        try:
            mtime = self.path.stat().st_mtime
        except OSError:
            self._entries, self._mtime = [], None
            return
        if mtime == self._mtime:
            return
        entries = []
        for n, line in enumerate(self.path.read_text("utf-8").splitlines(), 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != 3 or parts[1] not in ROLES or not parts[2].startswith("sha256:"):
                raise BadInput("expected NAME ROLE sha256:HEX (ROLE one of reader, editor, admin)",
                               file=str(self.path), line=n)
            entries.append((parts[2], Principal(parts[0], parts[1])))
        self._entries, self._mtime = entries, mtime

    def check(self, token: str) -> Principal | None:
        """The principal a presented token belongs to, or None."""
        self._load()
        digest = hash_token(token)
        found = None
        for stored, who in self._entries:
            if hmac.compare_digest(stored, digest):
                found = who
        return found

    def add(self, name: str, role: str) -> str:
        """Add a new token for ``name`` with ``role``; returns the token (shown once, never stored)."""
        if role not in ROLES:
            raise BadInput(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
        if not name or any(c.isspace() for c in name):
            raise BadInput("a token name must be one word")
        token = secrets.token_urlsafe(32)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(f"{name} {role} {hash_token(token)}\n")
        self._mtime = None
        return token


def main(argv: list[str] | None = None) -> int:
    """``python -m govgraph.auth add FILE NAME ROLE``: create a token and print it once."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 4 or args[0] != "add":
        print("usage: python -m govgraph.auth add TOKEN_FILE NAME ROLE   (ROLE: reader, editor, admin)",
              file=sys.stderr)
        return 2
    print(TokenFile(args[1]).add(args[2], args[3]))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""Bearer tokens for writes: a token file of named tokens with roles, stored as SHA-256 hashes.

The file is plain text, one token a line: ``NAME ROLE sha256:HEX [GROUP,GROUP...]``
(``#`` starts a comment). The optional fourth column lists the token's access groups,
comma-separated: with ``serve --hide-sensitive`` a restricted asset (OFFICIAL-SENSITIVE
or above) is shown only to tokens holding one of its ``gov:accessGroup`` values, and to
admins (``govgraph.access``). Files written before groups existed stay valid. Tokens are 32 random bytes, so an unsalted SHA-256 is enough to make a
stolen file useless; comparisons are constant-time. Roles are ordered: a reader may
read, an editor may also write (SPARQL Update, source uploads, OpenLineage events),
an admin may also remove sources. Create tokens with
``python -m govgraph.auth add FILE NAME ROLE [--groups A,B]`` (the token is printed once).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from govgraph.errors import BadInput

ROLES = ("reader", "editor", "admin")


@dataclass(frozen=True)
class Principal:
    """Who a token belongs to and what it may do."""
    name: str
    role: str
    groups: frozenset[str] = frozenset()

    def can(self, role: str) -> bool:
        """Whether this principal has ``role`` or a stronger one."""
        return ROLES.index(self.role) >= ROLES.index(role)


def parse_groups(text: str) -> frozenset[str]:
    """Access groups from a comma-separated list (blanks ignored)."""
    return frozenset(g.strip() for g in text.split(",") if g.strip())


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
            if len(parts) not in (3, 4) or parts[1] not in ROLES or not parts[2].startswith("sha256:"):
                raise BadInput("expected NAME ROLE sha256:HEX [GROUP,GROUP...] (ROLE one of reader, editor, admin)",
                               file=str(self.path), line=n)
            groups = parse_groups(parts[3]) if len(parts) == 4 else frozenset()
            entries.append((parts[2], Principal(parts[0], parts[1], groups)))
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

    def add(self, name: str, role: str, groups: Iterable[str] = ()) -> str:
        """Add a new token for ``name`` with ``role`` and access ``groups``; returns the token (shown once)."""
        if role not in ROLES:
            raise BadInput(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
        if not name or any(c.isspace() for c in name) or "#" in name:
            raise BadInput("a token name must be one word")
        groups = sorted(set(groups))
        for grp in groups:
            if not grp or any(c.isspace() or c in ",#" for c in grp):
                raise BadInput(f"an access group must be one word without commas: {grp!r}")
        token = secrets.token_urlsafe(32)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(f"{name} {role} {hash_token(token)}" + (f" {','.join(groups)}" if groups else "") + "\n")
        self._mtime = None
        return token


def main(argv: list[str] | None = None) -> int:
    """``python -m govgraph.auth add FILE NAME ROLE [--groups A,B]``: create a token and print it once."""
    args = list(sys.argv[1:] if argv is None else argv)
    groups: frozenset[str] = frozenset()
    for i, a in enumerate(args):
        if a == "--groups" and i + 1 < len(args):
            groups = parse_groups(args[i + 1])
            del args[i:i + 2]
            break
        if a.startswith("--groups="):
            groups = parse_groups(a.split("=", 1)[1])
            del args[i]
            break
    if len(args) != 4 or args[0] != "add":
        print("usage: python -m govgraph.auth add TOKEN_FILE NAME ROLE [--groups GROUP,GROUP]"
              "   (ROLE: reader, editor, admin)", file=sys.stderr)
        return 2
    try:
        print(TokenFile(args[1]).add(args[2], args[3], groups))
    except BadInput as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

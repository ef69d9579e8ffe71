"""HTTP authentication for the remote backend: Basic, and Digest (RFC 7616) for servers that
require it (Virtuoso's ``/sparql-auth``).

Basic credentials are sent with every request. Digest needs the server's challenge first: the
first 401 carrying ``WWW-Authenticate: Digest ...`` is answered, and the challenge is kept so
later requests authenticate at once (a fresh nonce is taken when the server calls it stale).
"""
from __future__ import annotations

import base64
import hashlib
import os
import re
import threading
import urllib.request

_HASHES = {"MD5": hashlib.md5, "MD5-SESS": hashlib.md5, "SHA-256": hashlib.sha256,
           "SHA-256-SESS": hashlib.sha256, "SHA-512-256": lambda b: hashlib.new("sha512_256", b)}


def _challenges(header: str) -> list[tuple[str, dict[str, str]]]:
    """The challenges in a WWW-Authenticate header: [(scheme, params)]."""
    items = urllib.request.parse_http_list(header)
    out: list[tuple[str, dict[str, str]]] = []
    for item in items:
        m = re.match(r"\s*([A-Za-z][\w-]*)\s+([\w-]+\s*=.*)$", item, re.S)
        if m:  # a new challenge with its first parameter
            out.append((m.group(1).lower(), {}))
            item = m.group(2)
        elif re.fullmatch(r"\s*[A-Za-z][\w-]*\s*", item):
            out.append((item.strip().lower(), {}))
            continue
        if out and "=" in item:
            k, v = item.split("=", 1)
            v = v.strip()
            if len(v) >= 2 and v[0] == v[-1] == '"':
                v = v[1:-1].replace('\\"', '"')
            out[-1][1][k.strip().lower()] = v
    return out


class Credentials:
    """A user name and password, answered as Basic or Digest, as the server asks."""

    def __init__(self, user: str, password: str):
        self.user, self.password = user, password
        self._digest: dict[str, str] | None = None
        self._count = 0
        self._lock = threading.Lock()

    def header(self, method: str, target: str) -> str:
        """The Authorization header for a request (Digest once the server has challenged)."""
        with self._lock:
            if self._digest is not None:
                self._count += 1
                return self._answer(self._digest, method, target, self._count)
        cred = f"{self.user}:{self.password}".encode()
        return "Basic " + base64.b64encode(cred).decode()

    def challenged(self, header: str | None) -> bool:
        """Take a 401's WWW-Authenticate header; True if a retry may now succeed (a new Digest
        challenge, or a stale nonce), False if the credentials were simply refused."""
        for scheme, params in _challenges(header or ""):
            if scheme != "digest" or "nonce" not in params:
                continue
            if params.get("algorithm", "MD5").upper() not in _HASHES:
                continue
            with self._lock:
                fresh = self._digest is None or params.get("stale", "").lower() == "true"
                if fresh:
                    self._digest, self._count = params, 0
                return fresh
        return False

    def _answer(self, ch: dict[str, str], method: str, target: str, count: int) -> str:
        algorithm = ch.get("algorithm", "MD5").upper()
        h = _HASHES[algorithm]

        def hexd(s: str) -> str:
            return h(s.encode()).hexdigest()
        cnonce = os.urandom(8).hex()
        nc = f"{count:08x}"
        ha1 = hexd(f"{self.user}:{ch.get('realm', '')}:{self.password}")
        if algorithm.endswith("-SESS"):
            ha1 = hexd(f"{ha1}:{ch['nonce']}:{cnonce}")
        ha2 = hexd(f"{method}:{target}")
        qops = [q.strip() for q in ch.get("qop", "").split(",") if q.strip()]
        if "auth" in qops:
            response = hexd(f"{ha1}:{ch['nonce']}:{nc}:{cnonce}:auth:{ha2}")
        else:  # RFC 2069
            response = hexd(f"{ha1}:{ch['nonce']}:{ha2}")
        parts = [f'username="{self.user}"', f'realm="{ch.get("realm", "")}"', f'nonce="{ch["nonce"]}"',
                 f'uri="{target}"', f'response="{response}"', f"algorithm={ch.get('algorithm', 'MD5')}"]
        if "auth" in qops:
            parts += ["qop=auth", f"nc={nc}", f'cnonce="{cnonce}"']
        if "opaque" in ch:
            parts.append(f'opaque="{ch["opaque"]}"')
        return "Digest " + ", ".join(parts)

"""Store URLs are looked up in the backend registry; backends declare what they can do."""
from __future__ import annotations

import pytest

from govgraph import backends
from govgraph.backends.embedded import EmbeddedBackend
from govgraph.errors import StoreError
from govgraph.store import open_store


def test_an_unknown_scheme_names_the_known_ones():
    with pytest.raises(StoreError) as e:
        open_store("postgres://db/estate")
    msg = str(e.value)
    assert "postgres://db/estate" in msg
    for example in ("oxigraph:PATH", "memory:", "sparql+http://"):
        assert example in msg


def test_a_new_backend_is_one_registration(monkeypatch):
    opened = []

    def opener(url):
        opened.append(url)
        return EmbeddedBackend(url, None)
    monkeypatch.setitem(backends._SCHEMES, "scratch", (opener, "scratch:"))
    st = open_store("scratch:one")
    with st.begin("s") as txn:
        txn.load(data=b"<http://ex/a> <http://ex/p> <http://ex/b> .", fmt="ntriples")
        txn.commit()
    assert opened == ["scratch:one"] and [s.name for s in st.sources()] == ["s"]
    assert "scratch:" in backends.known_schemes()
    st.close()


def test_backends_declare_their_capabilities(tmp_path):
    mem = open_store("memory:")
    disk = open_store(f"oxigraph:{tmp_path / 'db'}")
    try:
        assert mem.backend.capabilities.local_engine and not mem.backend.capabilities.can_snapshot
        assert disk.backend.capabilities.can_snapshot and not disk.backend.capabilities.shared
        assert disk.backend.scratch_parent() == str(tmp_path)
    finally:
        mem.close()
        disk.close()


def test_a_shared_server_declares_itself_shared(oxigraph_server):
    with open_store(oxigraph_server.store_url) as st:
        caps = st.backend.capabilities
        assert caps.shared and not caps.local_engine and not caps.can_snapshot and st.remote

"""The query pool hands queries one after another to the worker used last (its caches are warm): with
several idle workers, sequential queries do not go round all of them."""
from __future__ import annotations

from govgraph.io.load import load_files
from govgraph.query_service import QueryLimits, QueryService
from govgraph.store import open_store
from support import ESTATE

Q = "DESCRIBE ?d WHERE { ?d a dcat:Dataset } LIMIT 1"


def test_sequential_queries_go_to_the_worker_used_last(tmp_path):
    with open_store(f"oxigraph:{tmp_path / 'store'}") as st:
        load_files(st, [ESTATE], force=True)
        with QueryService(st, QueryLimits(workers=3)) as svc:
            info = svc.check(Q)
            job = svc.job(Q, info, svc.dataset(st, [], [], info), "application/sparql-results+json", "text/turtle")
            pool = svc.pool()
            first = svc.run(st, job)
            assert first.status == 200 and b"Dataset" in first.body
            order = pool.pids()
            assert len(order) == 3
            for _ in range(6):
                out = svc.run(st, job)
                assert (out.status, out.body) == (200, first.body)
                assert pool.pids() == order  # taken from the top and put back there: the others stay idle
            assert pool.stats.queries == 7

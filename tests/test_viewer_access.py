"""The impact, systems map and sharing pages (and their CSV and JSON) with ``HIDE_SENSITIVE`` on:
a reader without the access group sees no restricted asset in any of them."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from govgraph.webapp import create_app

ID = "https://data.county.example.gov.uk/id/"
SECRET = "Mosaic - MASH contacts"  # gov:accessGroup "SG-Mosaic-MASH" in the sample
URLS = ["/sharing", "/sharing.csv", "/api/v1/sharing", "/systems", "/impact?iri=" + quote(ID + "system/mosaic", safe=""),
        "/impact.csv?iri=" + quote(ID + "system/mosaic", safe=""),
        "/api/v1/lineage/impact?iri=" + quote(ID + "system/mosaic", safe="")]


@pytest.fixture(scope="module")
def apps(module_sample_store):
    return (create_app({"STORE": module_sample_store, "TESTING": True}),
            create_app({"STORE": module_sample_store, "TESTING": True, "HIDE_SENSITIVE": True}))


def test_restricted_assets_stay_hidden(apps):
    plain, hiding = (a.test_client() for a in apps)
    seen = []
    for url in URLS:
        full, part = plain.get(url), hiding.get(url)
        assert full.status_code == part.status_code == 200, url
        if SECRET in full.get_data(as_text=True):
            seen.append(url)
        assert SECRET not in part.get_data(as_text=True), url
    assert len(seen) >= 3, "the restricted dataset shows in these views when nothing is hidden"
    # the hidden reader's impact of it is a 404, as for an asset that does not exist
    mash = ID + "dataset/mosaic-mash-contacts"
    assert plain.get("/impact?iri=" + quote(mash, safe="")).status_code == 200
    assert hiding.get("/impact?iri=" + quote(mash, safe="")).status_code == 404

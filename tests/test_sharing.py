"""Personal data leaving the council (``lineage.sharing``): every boundary crossing with agreement
coverage, lawful basis and Article 9 condition, gaps first; as a library call, the /sharing page
and its CSV, /api/v1/sharing and ``govgraph sharing``, on the sample estate and a small estate."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from govgraph.cli import main
from govgraph.lineage.sharing import GAP_ART9, GAP_BASIS, sharing
from govgraph.webapp import create_app

ID = "https://data.county.example.gov.uk/id/"
FIX = Path(__file__).parent / "fixtures" / "lineage" / "estate.ttl"
CHECK = "2026-06-01"


@pytest.fixture(scope="module")
def client(module_sample_store):
    return create_app({"STORE": module_sample_store, "TESTING": True}).test_client()


def test_sample_gaps_first_with_their_reasons(module_sample_store):
    res = sharing(module_sample_store, check_date=CHECK)
    assert len(res.crossings) >= 20
    gaps = res.gaps()
    assert res.crossings[:len(gaps)] == gaps and not any(c.gaps for c in res.crossings[len(gaps):])
    by_target = {c.target_label: c for c in gaps}
    dwp = by_target["Department for Work and Pensions"]
    assert dwp.gaps == ["agreement not in force on the check date"] and dwp.special and not dwp.agreement_in_force
    assert dwp.path[0]["label"].startswith("Mosaic") and dwp.path[-1]["iri"] == dwp.target  # followed from where it starts
    insurer = by_target["Municipal Mutual Insurance Ltd"]
    assert insurer.gaps == ["no sharing agreement recorded on the flow"] and insurer.agreement is None
    for c in res.crossings:
        assert c.partner and (c.outbound or c.source_label)
        if not c.gaps:
            assert c.covered and (c.lawful_bases or c.statutory)
            assert not c.special or c.art9_conditions, c.source_label
        assert all(b["label"].startswith("UK GDPR Art 6") for b in c.lawful_bases)
        assert all(b["label"].startswith("UK GDPR Art 9") for b in c.art9_conditions)
    # each hop once, however many landings lie beyond it
    assert len({(c.source, c.target, c.flow) for c in res.crossings}) == len(res.crossings)


def test_check_date_moves_agreement_gaps(module_sample_store):
    """Before the agreements were signed, covered crossings become gaps; statutory returns stay covered."""
    early = sharing(module_sample_store, check_date="2015-01-01")
    now = sharing(module_sample_store, check_date=CHECK)
    assert len(early.gaps()) > len(now.gaps())
    assert all(c.covered for c in early.crossings if c.statutory)


def test_basis_and_article9_gaps_follow_the_data(any_store):
    """A special-category dataset shared under an agreement in force: no lawful basis and no Article 9
    condition recorded are gaps; recording them on the agreement closes both."""
    with any_store.begin("estate") as tx:
        tx.load(FIX)
        tx.commit()
    res = sharing(any_store, check_date=CHECK)
    (c,) = [c for c in res.crossings if c.target == ID + "partner/nhs-icb"]
    assert c.covered and c.special and c.gaps == [GAP_BASIS, GAP_ART9]
    with any_store.begin("bases") as tx:
        tx.load(data=f"""<{ID}agreement/nhs-isa> <https://w3id.org/dpv#hasLegalBasis>
            <https://w3id.org/dpv/legal/eu/gdpr#A6-1-e>, <https://w3id.org/dpv/legal/eu/gdpr#A9-2-h> .""".encode())
        tx.commit()
    (c,) = [c for c in sharing(any_store, check_date=CHECK).crossings if c.target == ID + "partner/nhs-icb"]
    assert c.gaps == [] and [b["label"] for b in c.lawful_bases] == ["UK GDPR Art 6(1)(e)"]
    assert [b["label"] for b in c.art9_conditions] == ["UK GDPR Art 9(2)(h)"]


def test_page_csv_and_api(client):
    r = client.get(f"/sharing?date={CHECK}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    first_row = html.split('<tbody>')[1].split('</tr>')[0]
    assert 'class="gap"' in first_row and "Department for Work and Pensions" in first_row
    assert "UK GDPR Art 9(2)" in html
    only = client.get(f"/sharing?date={CHECK}&gaps=1").get_data(as_text=True)
    assert only.count('<tr class="gap">') == only.split("<tbody>")[1].count("<tr") == 2
    rows = list(csv.reader(io.StringIO(client.get(f"/sharing.csv?date={CHECK}").get_data(as_text=True))))
    assert rows[0][:3] == ["gaps", "from", "to"] and rows[1][0] and len(rows) > 20
    data = client.get(f"/api/v1/sharing?date={CHECK}&gaps=true").get_json()
    assert data["counts"]["gaps"] == 2 and len(data["crossings"]) == 2
    assert {c["target_label"] for c in data["crossings"]} == {"Department for Work and Pensions",
                                                               "Municipal Mutual Insurance Ltd"}
    assert client.get("/api/v1/sharing?date=not-a-date").status_code == 400
    assert client.get("/sharing?date=not-a-date").status_code == 400


def test_cli(sample_store_url):
    run = CliRunner().invoke
    r = run(main, ["sharing", "--gaps", "--date", CHECK], env={"GOVGRAPH_STORE": sample_store_url},
            catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "2 with gaps" in r.output and "** GAP: agreement not in force on the check date **" in r.output
    r = run(main, ["sharing", "--format", "json", "--date", CHECK], env={"GOVGRAPH_STORE": sample_store_url},
            catch_exceptions=False)
    data = json.loads(r.output)
    assert data["counts"]["crossings"] == len(data["crossings"]) >= 20 and data["check_date"] == CHECK

"""`govgraph harvest db`: real SQLite databases and a real PostgreSQL server (started here with
initdb and pg_ctl), harvested into real stores through the validated write path."""
from __future__ import annotations

import gc
import sqlite3
import textwrap
from types import SimpleNamespace

import pyoxigraph as ox
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from govgraph.cli import main
from govgraph.errors import BadInput, HarvestFailed
from govgraph.harvest.config import DbHarvest, run_db
from govgraph.harvest.database import harvest_database
from govgraph.harvest.personal import valid_nhs_number, valid_upn
from govgraph.harvest.writer import write_harvest
from govgraph.io.load import load_files
from govgraph.io.openlineage import ingest_event
from govgraph.io.write import source_triples
from govgraph.store import open_store
from support import PostgresServer

BASE = "https://data.county.example.gov.uk/id/"
GOV = "https://w3id.org/govgraph#"
SYSTEM = BASE + "system/casework"
ESTATE = textwrap.dedent(f"""\
    @prefix gov: <{GOV}> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    @prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix dcterms: <http://purl.org/dc/terms/> .
    <{BASE}person/ann> a foaf:Person ; foaf:name "Ann Example" .
    <{SYSTEM}> a gov:Database ; rdfs:label "Casework DB" ; dcterms:description "Case management" ;
        gov:owner <{BASE}person/ann> ; gov:custodian <{BASE}person/ann> .
    """)


def nhs_numbers(n: int) -> list[str]:
    """``n`` valid NHS numbers (the check digit computed, those whose check would be 10 left out)."""
    out, i = [], 400000000
    while len(out) < n:
        i += 7
        body = str(i)
        check = 11 - sum(int(c) * w for c, w in zip(body, range(10, 1, -1))) % 11
        if check != 10:
            out.append(body + str(0 if check == 11 else check))
    return out


@pytest.fixture
def store_url(store_factory, tmp_path):
    """An embedded store holding the casework system (closed: for the command line)."""
    (tmp_path / "estate.ttl").write_text(ESTATE)
    with store_factory("embedded", tmp_path) as s:
        load_files(s, [tmp_path / "estate.ttl"], source="estate")
    return s.url


@pytest.fixture
def store(store_url):
    s = open_store(store_url)
    yield s
    s.close()


@pytest.fixture
def casework(tmp_path):
    """A SQLite casework database: clients (100 NHS numbers, 98 valid), referrals, a view."""
    path = tmp_path / "casework.db"
    c = sqlite3.connect(path)
    c.executescript("""
        CREATE TABLE clients (id INTEGER PRIMARY KEY, nhs_no TEXT NOT NULL, surname TEXT, postcode TEXT, notes TEXT);
        CREATE TABLE referrals (id INTEGER PRIMARY KEY, client_id INTEGER NOT NULL REFERENCES clients(id),
                                referred_on DATE, reason TEXT);
        CREATE VIEW open_referrals AS SELECT r.id, c.nhs_no, upper(c.surname) AS surname, r.referred_on
            FROM referrals r JOIN clients c ON c.id = r.client_id WHERE r.reason <> 'closed';
    """)
    numbers = nhs_numbers(98) + ["1234567890", "9999999990"]  # the last two fail the check digit
    assert not any(valid_nhs_number(x) for x in numbers[98:])
    c.executemany("INSERT INTO clients VALUES (?, ?, ?, ?, ?)",
                  [(i, n, f"Surname{i}", "SW1A 1AA", f"note-{i}") for i, n in enumerate(numbers)])
    c.executemany("INSERT INTO referrals VALUES (?, ?, ?, ?)", [(i, i, "2026-01-02", "open") for i in range(40)])
    c.commit()
    c.close()
    return path


def cli(*args) -> SimpleNamespace:
    """Run the command line; its exit code and output (the result, whose traceback would keep the
    embedded store open, is dropped)."""
    r = CliRunner().invoke(main, list(args), catch_exceptions=False)
    out = SimpleNamespace(exit_code=r.exit_code, output=r.output)
    del r
    gc.collect()
    return out


def triples_of(store, source):
    return {(t.subject.value, t.predicate.value, t.object.value) for t in source_triples(store, source)}


def test_sqlite_tables_views_fields_keys_and_view_lineage(store, casework):
    h = harvest_database(f"sqlite:///{casework}", system=SYSTEM, count_rows=True)
    res = write_harvest(store, h)
    assert res.source == "harvest:db:casework" and res.changed and (res.tables, res.views) == (2, 1)
    t = triples_of(store, res.source)
    ds = BASE + "dataset/casework.main.clients"
    ref, view = BASE + "dataset/casework.main.referrals", BASE + "dataset/casework.main.open_referrals"
    fld = BASE + "field/casework.main."
    assert (ds, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "http://www.w3.org/ns/dcat#Dataset") in t
    assert (ds, GOV + "heldIn", SYSTEM) in t and (ds, GOV + "alias", f"sqlite://{casework}/main.clients") in t
    assert (fld + "clients.nhs_no", GOV + "nullable", "false") in t and (fld + "clients.id", GOV + "primaryKey", "true") in t
    assert (fld + "clients.nhs_no", GOV + "physicalType", "TEXT") in t
    assert (ds, GOV + "rowCount", "100") in t and (ref, GOV + "rowCount", "40") in t
    # the foreign key: a link between the datasets and between the fields
    assert (ref, GOV + "linksTo", ds) in t and (fld + "referrals.client_id", GOV + "references", fld + "clients.id") in t
    # the view: table-level lineage and field-level where the SQL allows
    assert {o for s, p, o in t if s == view and p == "http://www.w3.org/ns/prov#wasDerivedFrom"} == {ds, ref}
    assert (fld + "open_referrals.surname", GOV + "derivedFromField", fld + "clients.surname") in t
    assert (fld + "open_referrals.referred_on", GOV + "derivedFromField", fld + "referrals.referred_on") in t
    assert (view, GOV + "objectKind", "view") in t


def test_sampled_values_give_evidence_and_are_never_stored(store, casework):
    h = harvest_database(f"sqlite:///{casework}", system=SYSTEM, sample=100)
    write_harvest(store, h)
    t = triples_of(store, "harvest:db:casework")
    looks = {s.rsplit("/", 1)[-1]: o for s, p, o in t if p == GOV + "looksPersonal"}
    assert looks["casework.main.clients.nhs_no"] == "nhs_no: 98 of 100 sampled values are valid NHS numbers"
    assert looks["casework.main.clients.postcode"] == "postcode: 100 of 100 sampled values are UK postcodes"
    assert looks["casework.main.clients.surname"] == "surname: the column name suggests a person's name"
    assert "casework.main.clients.notes" not in looks and "casework.main.clients.id" not in looks
    assert looks["casework.main.clients"].startswith("main.clients: 3 fields look personal")
    # no sampled value anywhere in the store: not in any graph (history and audit included)
    sampled = set(nhs_numbers(98)) | {"1234567890", "9999999990", "SW1A 1AA"} | {f"note-{i}" for i in range(100)}
    text = "\n".join(q.object.value for q in store.quads(None, None, None, None) if isinstance(q.object, ox.Literal))
    assert not [v for v in sampled if v in text]


def revision(url: str) -> int:
    with open_store(url) as s:
        return s.revision


def test_reharvest_unchanged_writes_nothing_and_changes_are_told_in_words(store_url, casework):
    db = f"sqlite:///{casework}"
    r = cli("harvest", "db", db, "--system", "Casework DB", "--store", store_url)
    assert r.exit_code == 0, r.output
    assert "harvest:db:casework: 2 tables, 1 views, 13 columns; rev 2: first harvest" in r.output
    rev = revision(store_url)
    r = cli("harvest", "db", db, "--system", SYSTEM, "--store", store_url)
    assert "unchanged (nothing written)" in r.output and revision(store_url) == rev
    c = sqlite3.connect(casework)
    c.executescript("ALTER TABLE clients ADD COLUMN email TEXT; CREATE TABLE visits (id INTEGER, client_id INTEGER);"
                    "DROP VIEW open_referrals;")
    c.close()
    r = cli("harvest", "db", db, "--system", "casework db", "--store", store_url)
    words = "added 1 table (main.visits); removed 1 view (main.open_referrals); added 1 column (main.clients.email)"
    assert words in r.output and revision(store_url) == rev + 1
    r = cli("history", "--source", "harvest:db:casework", "--store", store_url)
    assert f"rev {rev + 1}: {words}" in r.output and "rev 2: first harvest: 2 tables, 1 views" in r.output


def test_curated_facts_meet_the_harvest_and_are_never_overwritten(store, casework, tmp_path):
    curated = BASE + "dataset/client-index"
    (tmp_path / "curated.ttl").write_text(textwrap.dedent(f"""\
        @prefix gov: <{GOV}> . @prefix dcterms: <http://purl.org/dc/terms/> . @prefix dcat: <http://www.w3.org/ns/dcat#> .
        <{curated}> a dcat:Dataset ; dcterms:title "Client index" ; dcterms:description "Everyone we work with" ;
            gov:owner <{BASE}person/ann> ; gov:heldIn <{SYSTEM}> ; gov:classification gov:OfficialSensitive ;
            gov:alias "sqlite://{casework}/main.clients" .
        """))
    load_files(store, [tmp_path / "curated.ttl"], source="curated")
    before = triples_of(store, "curated")
    write_harvest(store, harvest_database(f"sqlite:///{casework}", system=SYSTEM))
    t = triples_of(store, "harvest:db:casework")
    # the harvested table is the curated dataset (found by its OpenLineage alias), its fields under it
    assert (BASE + "field/client-index.nhs_no", GOV + "fieldOf", curated) in t
    assert (BASE + "dataset/casework.main.referrals", GOV + "linksTo", curated) in t
    sqlite3.connect(casework).executescript("ALTER TABLE clients ADD COLUMN email TEXT;")
    write_harvest(store, harvest_database(f"sqlite:///{casework}", system=SYSTEM))
    assert triples_of(store, "curated") == before
    owners = {q.object.value for q in store.quads(ox.NamedNode(curated), ox.NamedNode(GOV + "owner"), None, None)}
    assert owners == {BASE + "person/ann"}
    # a table harvested before a curator recorded it: the next harvest moves to the curator's node
    later = BASE + "dataset/referrals-register"  # after the harvest's own node in IRI order
    (tmp_path / "later.ttl").write_text(textwrap.dedent(f"""\
        @prefix gov: <{GOV}> . @prefix dcterms: <http://purl.org/dc/terms/> . @prefix dcat: <http://www.w3.org/ns/dcat#> .
        <{later}> a dcat:Dataset ; dcterms:title "Referrals" ; dcterms:description "Referrals received" ;
            gov:owner <{BASE}person/ann> ; gov:heldIn <{SYSTEM}> ; gov:classification gov:OfficialSensitive ;
            gov:alias "sqlite://{casework}/main.referrals" .
        """))
    load_files(store, [tmp_path / "later.ttl"], source="later")
    write_harvest(store, harvest_database(f"sqlite:///{casework}", system=SYSTEM))
    t = triples_of(store, "harvest:db:casework")
    assert (BASE + "field/referrals-register.client_id", GOV + "references", BASE + "field/client-index.id") in t
    assert not any(s.startswith(BASE + "dataset/casework.main.referrals") for s, _, _ in t)


def test_bad_input_is_refused_with_nothing_written(store_url, casework, tmp_path):
    rev = revision(store_url)
    r = cli("harvest", "db", f"sqlite:///{casework}", "--system", "No such system", "--store", store_url)
    assert r.exit_code == 1 and "no system named 'No such system'" in r.output
    r = cli("harvest", "db", f"sqlite:///{casework}", "--system", BASE + "person/ann", "--store", store_url)
    assert r.exit_code == 1 and f"no system <{BASE}person/ann> in the store" in r.output
    r = cli("harvest", "db", "nosuchdialect://x/y", "--system", "Casework DB", "--store", store_url)
    assert r.exit_code == 1 and "cannot use this database URL" in r.output
    with pytest.raises(HarvestFailed, match="cannot connect to sqlite"):
        harvest_database(f"sqlite:///{tmp_path / 'missing' / 'x.db'}", system=SYSTEM)
    store = open_store(store_url)
    assert store.revision == rev and not store.has_source("harvest:db:casework")
    write_harvest(store, harvest_database(f"sqlite:///{casework}", system=SYSTEM))
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with pytest.raises(BadInput, match="found no tables or views"):
        write_harvest(store, harvest_database(f"sqlite:///{empty}", system=SYSTEM), source="harvest:db:casework")
    store.close()


# ----------------------------------------------------------------------------- PostgreSQL

PG_SETUP = [
    "CREATE SCHEMA social_care", "CREATE SCHEMA restricted",
    "CREATE TABLE public.clients (id integer PRIMARY KEY, nhs_no varchar(10) NOT NULL, surname text, dob date)",
    "COMMENT ON TABLE public.clients IS 'Everyone the council works with'",
    "COMMENT ON COLUMN public.clients.nhs_no IS 'NHS number, as the GP gives it'",
    "CREATE TABLE social_care.referrals (id integer PRIMARY KEY, "
    "client_id integer NOT NULL REFERENCES public.clients(id), referred_on date)",
    "CREATE VIEW social_care.open_referrals AS SELECT r.id, c.nhs_no, r.referred_on "
    "FROM social_care.referrals r JOIN public.clients c ON c.id = r.client_id",
    # PostgreSQL reads XMLPARSE(DOCUMENT ...); sqlglot does not
    "CREATE VIEW social_care.client_xml AS SELECT XMLPARSE(DOCUMENT '<client/>') AS doc, c.id FROM public.clients c",
    "CREATE TABLE restricted.case_notes (id integer, note text)",
    "INSERT INTO public.clients SELECT g, '9434765919', 'Surname' || g, DATE '1990-01-01' FROM generate_series(1, 30) g",
    "INSERT INTO social_care.referrals SELECT g, g, DATE '2026-01-01' FROM generate_series(1, 12) g",
    "CREATE ROLE harvester LOGIN PASSWORD 'harvest-pass'",
    "GRANT USAGE ON SCHEMA social_care TO harvester",
    "GRANT SELECT ON ALL TABLES IN SCHEMA public, social_care TO harvester",
]


@pytest.fixture(scope="module")
def pg():
    server = PostgresServer().start()
    try:
        admin = sa.create_engine(server.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(sa.text("CREATE DATABASE council"))
        admin.dispose()
        eng = sa.create_engine(server.url("council"))
        with eng.begin() as c:
            for stmt in PG_SETUP:
                c.execute(sa.text(stmt))
        eng.dispose()
        yield server
    finally:
        server.stop()


def test_postgres_harvest_names_datasets_as_openlineage_does(store, pg):
    url = pg.url("council", "harvester", "harvest-pass")
    h = harvest_database(url, system=SYSTEM, count_rows=True)
    assert "schema restricted: no permission to use it (skipped)" in h.skipped
    res = write_harvest(store, h)
    assert (res.tables, res.views) == (2, 2) and "1 skipped" in res.line()
    t = triples_of(store, res.source)
    ns = f"postgres://127.0.0.1:{pg.port}"
    clients, refs = BASE + "dataset/casework.council.public.clients", BASE + "dataset/casework.council.social_care.referrals"
    assert (clients, GOV + "alias", f"{ns}/council.public.clients") in t
    assert (clients, "http://purl.org/dc/terms/description", "Everyone the council works with") in t
    nhs = BASE + "field/casework.council.public.clients.nhs_no"
    assert (nhs, "http://purl.org/dc/terms/description", "NHS number, as the GP gives it") in t
    assert (nhs, GOV + "physicalType", "VARCHAR(10)") in t and (nhs, GOV + "nullable", "false") in t
    assert (refs, GOV + "linksTo", clients) in t  # a foreign key across schemas
    assert (clients, GOV + "rowCount", "30") in t and (refs, GOV + "rowCount", "12") in t
    view = BASE + "dataset/casework.council.social_care.open_referrals"
    assert (BASE + "field/casework.council.social_care.open_referrals.nhs_no", GOV + "derivedFromField", nhs) in t
    assert {o for s, p, o in t if s == view and p.endswith("wasDerivedFrom")} == {clients, refs}
    # view SQL sqlglot cannot parse: warned by name, table-level lineage kept from the tables it names
    assert any(w.startswith("view social_care.client_xml: sqlglot cannot parse its SQL") for w in h.warnings), h.warnings
    assert (BASE + "dataset/casework.council.social_care.client_xml", "http://www.w3.org/ns/prov#wasDerivedFrom",
            clients) in t
    assert not any("restricted" in s for s, _, _ in t)
    # an OpenLineage run naming the same tables lands on the harvested nodes, its schema on their fields
    ev = {"eventType": "COMPLETE", "eventTime": "2026-10-01T02:00:00Z",
          "run": {"runId": "0b6b1a4e-8b1f-4d6a-9f65-3d8f1c1b2a77"}, "job": {"namespace": "airflow", "name": "refer"},
          "inputs": [{"namespace": ns, "name": "council.public.clients"}],
          "outputs": [{"namespace": ns, "name": "council.social_care.referrals", "facets": {"schema": {
              "_producer": "https://example.org/p",
              "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json",
              "fields": [{"name": "client_id", "type": "int4"}]}}}],
          "producer": "https://example.org/airflow",
          "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"}
    ingest_event(store, ev)
    run = ox.NamedNode(BASE + "run/0b6b1a4e-8b1f-4d6a-9f65-3d8f1c1b2a77")
    used = {q.object.value for q in store.quads(run, ox.NamedNode("http://www.w3.org/ns/prov#used"), None, None)}
    made = {q.object.value for q in store.quads(run, ox.NamedNode("http://www.w3.org/ns/prov#generated"), None, None)}
    assert used == {clients} and made == {refs}
    field = ox.NamedNode(BASE + "field/casework.council.social_care.referrals.client_id")
    types = {q.object.value for q in store.quads(field, ox.NamedNode(GOV + "physicalType"), None, None)}
    assert types == {"INTEGER", "int4"}  # the harvest's and the pipeline's, each in its own source


def test_postgres_wrong_password_or_unreachable_writes_nothing(store, pg):
    rev = store.revision
    with pytest.raises(HarvestFailed) as e:
        run_db(store, DbHarvest(url=pg.url("council", "harvester", "not-the-password"), system="Casework DB"))
    assert "password authentication failed" in str(e.value) and "not-the-password" not in str(e.value)
    assert "postgresql+psycopg://harvester:***@127.0.0.1" in str(e.value)
    port = pg.port + 1 if pg.port < 65535 else pg.port - 1
    with pytest.raises(HarvestFailed, match="cannot connect to .*nothing was harvested"):
        run_db(store, DbHarvest(url=f"postgresql+psycopg://x:y@127.0.0.1:{port}/council", system="Casework DB"))
    assert store.revision == rev and not store.has_source("harvest:db:casework")


def test_config_runs_every_harvest_one_line_each(store_url, pg, casework, tmp_path, monkeypatch):
    monkeypatch.setenv("COUNCIL_DB", pg.url("council"))
    (tmp_path / "harvest.toml").write_text(textwrap.dedent(f"""\
        [[db]]
        url_env = "COUNCIL_DB"
        system = "Casework DB"
        schemas = ["public", "social_care"]
        source = "harvest:db:council"
        count_rows = true
        sample = 20

        [[db]]
        url = "sqlite:///{casework}"
        system = "Casework DB"

        [[db]]
        url = "{pg.url('council', 'harvester', 'wrong')}"
        system = "Casework DB"
        source = "harvest:db:refused"
        """))
    r = cli("harvest", "--config", str(tmp_path / "harvest.toml"), "--store", store_url)
    lines = r.output.splitlines()
    assert r.exit_code == 1
    assert lines[0].startswith("harvest:db:council: 2 tables, 2 views, 12 columns; rev 2: first harvest")
    assert any(x.startswith("harvest:db:casework: 2 tables, 1 views, 13 columns; rev 3: first harvest") for x in lines)
    assert lines[-1].startswith("harvest:db:refused: FAILED: cannot connect to") and "wrong" not in lines[-1]
    r = cli("harvest", "--config", str(tmp_path / "harvest.toml"), "--store", store_url)
    assert sum("unchanged (nothing written)" in x for x in r.output.splitlines()) == 2 and revision(store_url) == 3


def test_a_source_changed_by_another_write_is_harvested_again(store, casework):
    h = harvest_database(f"sqlite:///{casework}", system=SYSTEM)
    first = write_harvest(store, h)
    held = source_triples(store, first.source)
    label = next(t for t in held if t.predicate.value.endswith("#label") and t.object.value == "surname")
    from govgraph.io.write import write_source
    write_source(store, first.source, held - {label}, who="someone")  # the fingerprint is still there
    again = write_harvest(store, harvest_database(f"sqlite:///{casework}", system=SYSTEM))
    assert again.changed and source_triples(store, first.source) == held
    assert not write_harvest(store, harvest_database(f"sqlite:///{casework}", system=SYSTEM)).changed


def test_identifier_checks_and_column_name_hints():
    from govgraph.harvest.personal import name_hint, value_evidence
    assert valid_nhs_number("943 476 5919") and not valid_nhs_number("943 476 5918")
    assert not valid_nhs_number("94347659") and not valid_nhs_number("abcdefghij")
    # a UPN's check letter: any single changed digit is caught (weights 2-13 are prime to 23)
    body = "80120010101"
    letters = [c for c in "ABCDEFGHJKLMNPQRTUVWXYZ" if valid_upn(c + body + "2")]
    assert len(letters) == 1
    upn = letters[0] + body + "2"
    for i in range(1, 13):
        for d in "0123456789":
            if d != upn[i]:
                assert not valid_upn(upn[:i] + d + upn[i + 1:]), (upn, i, d)
    assert name_hint("DateOfBirth") == name_hint("dob") == "a date of birth"
    assert name_hint("NINumber") == "a National Insurance number" and name_hint("status") is None
    assert value_evidence("ref", ["AB 12 34 56 C", "JG103759A", "not one"]) == [
        "ref: 2 of 3 sampled values are National Insurance numbers"]
    assert value_evidence("contact", ["01632 960001", "+44 7700 900123", "x@example.org"]) == [
        "contact: 2 of 3 sampled values are UK phone numbers"]
    # a UPRN's shape needs the column name to agree: an id column of integers is not flagged
    assert value_evidence("id", [1, 2, 3]) == [] and value_evidence("uprn", [100023336956]) == [
        "uprn: 1 of 1 sampled values are UPRN-shaped numbers"]


def test_postgres_column_changes_are_told_in_words(store, pg):
    url = pg.url("council")
    write_harvest(store, harvest_database(url, system=SYSTEM, schemas=["public"]))
    eng = sa.create_engine(url)
    try:
        with eng.begin() as c:
            c.execute(sa.text("ALTER TABLE public.clients ALTER COLUMN surname TYPE varchar(80)"))
            c.execute(sa.text("ALTER TABLE public.clients ALTER COLUMN dob SET NOT NULL"))
        res = write_harvest(store, harvest_database(url, system=SYSTEM, schemas=["public"]))
        assert res.summary == ("changed 2 columns (public.clients.dob: nullable true -> false; "
                               "public.clients.surname: type TEXT -> VARCHAR(80))")
        assert store.history(res.source)[-1].note == res.summary
    finally:
        with eng.begin() as c:
            c.execute(sa.text("ALTER TABLE public.clients ALTER COLUMN surname TYPE text"))
            c.execute(sa.text("ALTER TABLE public.clients ALTER COLUMN dob DROP NOT NULL"))
        eng.dispose()

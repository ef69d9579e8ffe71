"""`govgraph harvest files`: a folder of real spreadsheets (written with openpyxl, odfpy, encrypted
with msoffcrypto-tool) and CSV files, with a corrupt one, harvested into a real store through the
validated write path."""
from __future__ import annotations

import datetime as dt
import io
import os
import textwrap

import pytest
from click.testing import CliRunner
from msoffcrypto.format.ooxml import OOXMLFile
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P
from openpyxl import Workbook

from govgraph.cli import main
from govgraph.harvest.config import FilesHarvest, run_files
from govgraph.harvest.files import harvest_files
from govgraph.io.load import load_files
from govgraph.io.write import source_triples
from govgraph.store import open_store

BASE = "https://data.county.example.gov.uk/id/"
GOV = "https://w3id.org/govgraph#"
DRIVE = BASE + "system/childrens-drive"
ESTATE = textwrap.dedent(f"""\
    @prefix gov: <{GOV}> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    @prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix dcterms: <http://purl.org/dc/terms/> .
    <{BASE}person/ann> a foaf:Person ; foaf:name "Ann Example" .
    <{DRIVE}> a gov:DocumentStore ; rdfs:label "Children's shared drive" ; dcterms:description "S: drive" ;
        gov:owner <{BASE}person/ann> ; gov:custodian <{BASE}person/ann> .
    """)
# valid NHS numbers (modulus 11 check digit) and made-up people
NHS = ["9434765919", "9434765870", "4010232137", "9876543210"]


def write_drive(root):
    """A shared-drive folder: a workbook of two sheets holding personal data, a CSV without any,
    a CSV of contacts (values only give them away), an encrypted workbook, a corrupt one and an ods."""
    (root / "team").mkdir(parents=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "Children"
    ws.append(["Child ID", "NHS number", "Surname", "Date of birth"])
    for i, n in enumerate(NHS):
        ws.append([f"C{i}", n, f"Name{i}", dt.date(2012 + i, 1, 2 + i)])
    visits = wb.create_sheet("Visits")
    visits.append(["Child ID", "Visit date", "Worker"])
    visits.append(["C0", dt.date(2026, 3, 1), "AB"])
    wb.save(root / "team" / "looked_after_tracker.xlsx")
    (root / "budget.csv").write_text("cost_centre,month,spend\nCS01,2026-04,1200.50\nCS02,2026-04,300\n")
    (root / "contacts.csv").write_text("ref;contact\n1;jo.bloggs@example.org\n2;sam@example.com\n3;pat@example.net\n",
                                       encoding="utf-8")
    # a workbook encrypted with a password, as Excel does it
    secret = Workbook()
    secret.active.append(["NHS number", "Diagnosis"])
    plain, encrypted = io.BytesIO(), io.BytesIO()
    secret.save(plain)
    plain.seek(0)
    OOXMLFile(plain).encrypt("not-known", encrypted)
    (root / "team" / "secret.xlsx").write_bytes(encrypted.getvalue())
    (root / "broken.xlsx").write_bytes(b"PK\x03\x04 this is not really a workbook")
    (root / "old.xls").write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504)
    write_ods(root / "team" / "register.ods")
    (root / "minutes.ods").write_bytes(b"PK\x03\x04 not an OpenDocument spreadsheet")
    (root / "notes.txt").write_text("not a spreadsheet")


def write_ods(path):
    """An OpenDocument spreadsheet written with odfpy: a title row left empty, a header, postcodes,
    a trailing run of empty cells repeated as spreadsheet programs write them, and a second sheet."""
    doc = OpenDocumentSpreadsheet()
    for name, rows in (("Register", [[], ["Family name", "Postcode", "Visits"], ["Smith", "OX1 1AA", 3],
                                     ["Jones", "OX2 6GG", 4.5], ["Brown", "OX4 2JY", 1]]),
                       ("Totals", [["Area", "Count"], ["North", 12]])):
        table = Table(name=name)
        for values in rows:
            tr = TableRow()
            for v in values:
                cell = (TableCell(valuetype="float", value=v) if isinstance(v, (int, float))
                        else TableCell(valuetype="string"))
                cell.addElement(P(text=str(v)))
                tr.addElement(cell)
            tr.addElement(TableCell(numbercolumnsrepeated=1000))
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    doc.save(str(path))


@pytest.fixture
def drive(tmp_path):
    root = tmp_path / "drive"
    write_drive(root)
    return root


@pytest.fixture
def store(disk_store, tmp_path):
    (tmp_path / "estate.ttl").write_text(ESTATE)
    load_files(disk_store, [tmp_path / "estate.ttl"], source="estate")
    return disk_store


def test_spreadsheets_read_skipped_listed_values_never_kept(drive):
    h = harvest_files(drive, system=DRIVE, sample=10)
    by_title = {d.title: d for d in h.datasets}
    assert set(by_title) == {"budget.csv", "contacts.csv", "team/looked_after_tracker.xlsx", "team/register.ods"}
    tracker = by_title["team/looked_after_tracker.xlsx"]
    assert [f.name for f in tracker.fields] == ["Children: Child ID", "Children: NHS number", "Children: Surname",
                                                "Children: Date of birth", "Visits: Child ID", "Visits: Visit date",
                                                "Visits: Worker"]
    path = drive / "team" / "looked_after_tracker.xlsx"
    assert tracker.key == ("file", str(path.resolve())) and tracker.location == str(path.resolve())
    assert tracker.byte_size == path.stat().st_size and tracker.kind == "file"
    assert tracker.modified == dt.datetime.fromtimestamp(os.stat(path).st_mtime, dt.timezone.utc).replace(
        microsecond=0).isoformat().replace("+00:00", "Z")
    nhs = tracker.field_named("Children: NHS number")
    assert "Children: NHS number: 4 of 4 sampled values are valid NHS numbers" in nhs.looks_personal
    assert tracker.field_named("Children: Date of birth").looks_personal
    assert [f.name for f in by_title["budget.csv"].fields] == ["cost_centre", "month", "spend"]
    assert not by_title["budget.csv"].looks_personal
    # a semicolon-separated CSV whose column name says nothing: its values give it away
    contact = by_title["contacts.csv"].field_named("contact")
    assert contact.looks_personal == ["contact: 3 of 3 sampled values are email addresses"]
    # the principle 2 finding: personal data in a spreadsheet outside any governed system
    assert any(w.startswith("principle 2: team/looked_after_tracker.xlsx holds what looks like personal data")
               for w in h.warnings)
    assert not any("budget.csv" in w for w in h.warnings)
    # an OpenDocument spreadsheet: each sheet's header, its values tested
    register = by_title["team/register.ods"]
    assert [f.name for f in register.fields] == ["Register: Family name", "Register: Postcode", "Register: Visits",
                                                 "Totals: Area", "Totals: Count"]
    assert register.field_named("Register: Postcode").looks_personal == [
        "Register: Postcode: 3 of 3 sampled values are UK postcodes"]
    skipped = "\n".join(h.skipped)
    assert "team/secret.xlsx: encrypted with a password (or an Excel 97-2003 workbook named .xlsx): not read" in skipped
    assert "broken.xlsx: not readable as a workbook (encrypted or corrupt?)" in skipped
    assert "old.xls: Excel 97-2003 workbook: no .xls reader" in skipped
    assert "minutes.ods: not an OpenDocument spreadsheet" in skipped
    assert len(h.skipped) == 4 and "notes.txt" not in skipped
    # no sampled value anywhere in what the harvest keeps
    assert not any(n in repr(h) for n in NHS) and "jo.bloggs" not in repr(h)


def test_files_written_as_off_system_documents(store, drive):
    res = run_files(store, FilesHarvest(dir=str(drive), system="Children's shared drive", sample=10))
    assert res.source == "harvest:files:childrens-drive" and res.changed
    assert res.write.record.note == "first harvest: 4 files, 17 columns"
    t = {(x.subject.value, x.predicate.value, x.object.value) for x in source_triples(store, res.source)}
    nodes = {s for s, p, o in t if p == GOV + "storageForm" and o == GOV + "Spreadsheet"}
    assert len(nodes) == 4
    tracker = next(s for s, p, o in t if p == "http://purl.org/dc/terms/title" and o == "team/looked_after_tracker.xlsx")
    assert (tracker, GOV + "heldIn", DRIVE) in t
    assert (tracker, GOV + "storageLocation", str((drive / "team" / "looked_after_tracker.xlsx").resolve())) in t
    assert any(s == tracker and p == "http://www.w3.org/ns/dcat#byteSize" for s, p, _ in t)
    assert any(s == tracker and p == "http://purl.org/dc/terms/modified" for s, p, _ in t)
    assert any(s == tracker and p == GOV + "looksPersonal" for s, p, _ in t)
    assert not any(n in o for _, _, o in t for n in NHS)
    # nothing changed: nothing written; a new file: recorded in words
    rev = store.revision
    assert not run_files(store, FilesHarvest(dir=str(drive), system="Children's shared drive", sample=10)).changed
    assert store.revision == rev
    (drive / "team" / "new.csv").write_text("uprn,address\n100023336956,1 High St\n")
    res = run_files(store, FilesHarvest(dir=str(drive), system="Children's shared drive", sample=10))
    assert res.changed and res.write.record.note == "added 1 file (team/new.csv)"


def test_cli_and_config(tmp_path, drive):
    url = f"oxigraph:{tmp_path / 'store'}"
    (tmp_path / "estate.ttl").write_text(ESTATE)
    with open_store(url) as s:
        load_files(s, [tmp_path / "estate.ttl"], source="estate")
    r = CliRunner().invoke(main, ["harvest", "files", str(drive), "--system", "Children's shared drive",
                                  "--store", url])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("harvest:files:childrens-drive: 4 files, 17 columns; rev ")
    assert "4 skipped" in r.output and "  skipped: minutes.ods: not an OpenDocument spreadsheet" in r.output
    assert "  warning: principle 2: team/looked_after_tracker.xlsx" in r.output
    (tmp_path / "harvest.toml").write_text(textwrap.dedent(f"""\
        [[files]]
        dir = "{drive}"
        system = "Children's shared drive"
        source = "harvest:files:s-drive"
        sample = 5
        """))
    r = CliRunner().invoke(main, ["harvest", "--config", str(tmp_path / "harvest.toml"), "--store", url, "-q"])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("harvest:files:s-drive: 4 files, 17 columns; rev ")
    r = CliRunner().invoke(main, ["harvest", "files", str(tmp_path / "nowhere"), "--system", "Children's shared drive",
                                  "--store", url])
    assert r.exit_code != 0

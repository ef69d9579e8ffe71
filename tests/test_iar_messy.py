"""Registers as councils keep them: every mess in an IAR is either mapped or reported, all at once.

``write_messy_register`` writes a register of several hundred rows the way a council's
spreadsheet export looks (semicolons, a byte-order mark, Windows line endings, odd header
spellings, UK and Excel dates, yes/no in every spelling, blank owners, typos of known names,
an unknown column) and returns what each row should become; the tests check every row.
"""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from govgraph.cli import main
from govgraph.data.estate import sample_dir
from govgraph.errors import BadInput, ValidationFailed
from govgraph.io.load import RegisterOptions, load_files
from govgraph.dates import register_date as parse_date
from govgraph.io.register_values import RegisterRefused, yes_no
from govgraph.vocabulary import classification
from govgraph.ontology.ns import GOV

BASE = "https://data.county.example.gov.uk/id/"
HEADER = ["Ref", "ASSET NAME", "Description", "IAO", "Data steward", "Directorate", "System", "Personal Data?",
          "Special category", "Lawful basis", "Retention", "Classification", "Review Date", "Format", "Location",
          "Notes"]
YES = ["Y", "yes", "TRUE", "Yes", "y", "True"]
NO = ["N", "no", "FALSE", "No", "n", "", "false"]
CLASSES = [("official", GOV.Official), ("Official - Sensitive", GOV.OfficialSensitive),
           ("OFFICIAL  SENSITIVE", GOV.OfficialSensitive), ("OFFICIAL-SENSITIVE", GOV.OfficialSensitive),
           ("top secret", GOV.TopSecret), ("Secret", GOV.Secret), ("", None)]
DATES = [("31/03/2027", "2027-03-31"), ("2027-03-31", "2027-03-31"), ("46477", "2027-03-31"),
         ("1/4/2026", "2026-04-01"), ("30 September 2026", "2026-09-30"), ("", None)]
PEOPLE = ["Helen Ashworth", "Raj Patel", "Priya Sharma", "Claire Hutchinson", "Linda Crossley"]
UNITS = ["Children's Social Care", "Public Health", "Finance and Procurement", "HR and Workforce"]
SYSTEMS = ["Mosaic", "SAP", "Capita ONE", "Confirm"]

#: (column, value, what the report says) for each bad cell the messy register holds, by the row it is on
BAD = {
    20: ("Personal Data?", "maybe", "is not yes or no (allowed: yes, no, y, n, true or false"),
    41: ("Classification", "RESTRICTED", "allowed: OFFICIAL, OFFICIAL-SENSITIVE, SECRET or TOP SECRET"),
    62: ("Review Date", "31/13/2027", "is not a date (allowed:"),
    83: ("ASSET NAME", "", "the asset name is empty"),
    104: ("Lawful basis", "because we can", "is not a lawful basis"),
    125: ("Special category", "unsure", "is not yes or no"),
}
#: near-misses of names the council already has: refused unless the load says they are new
NEAR = {
    30: ("IAO", "Helen Ashwoth", "did you mean Helen Ashworth?"),
    50: ("Directorate", "Childrens Social Care", "did you mean Children's Social Care?"),
    70: ("System", "Confrim", "did you mean Confirm?"),
    90: ("Directorate", "HR", "did you mean HR and Workforce"),
    110: ("Data steward", "Raj Patell", "did you mean Raj Patel?"),
}


def write_messy_register(path: Path, rows: int = 320, *, bad: bool = True, near: bool = True) -> dict[int, dict]:
    """Write a messy register (semicolon-separated, BOM, CRLF) and return, per row, what it should map to."""
    expected: dict[int, dict] = {}
    lines = [HEADER]
    for n in range(2, rows + 2):
        i = n - 2
        personal = (YES if i % 3 else NO)[i % 6]
        special = (YES[i % 6] if (i % 3 and i % 5 == 0) else NO[i % 7])
        cls, cls_iri = CLASSES[i % len(CLASSES)]
        date, iso = DATES[i % len(DATES)]
        row = {"Ref": f"A{i:04d}", "ASSET NAME": f"Asset {i}; the \"register\" copy", "Description": f"Row {i}\nsecond line",
               "IAO": "" if i % 11 == 0 else PEOPLE[i % len(PEOPLE)],
               "Data steward": "" if i % 4 else PEOPLE[(i + 1) % len(PEOPLE)],
               "Directorate": UNITS[i % len(UNITS)], "System": "" if i % 13 == 0 else SYSTEMS[i % len(SYSTEMS)],
               "Personal Data?": personal, "Special category": special,
               "Lawful basis": "UK GDPR Art 6(1)(e)" if personal in YES else "",
               "Retention": f"{i % 10 + 1} years", "Classification": cls, "Review Date": date,
               "Format": ["Electronic", "Paper", "Both"][i % 3], "Location": f"S:\\Shared\\Team {i % 7}",
               "Notes": f"note {i}"}
        if bad and n in BAD:
            col, value, _ = BAD[n]
            row[col] = value
        if near and n in NEAR:
            col, value, _ = NEAR[n]
            row[col] = value
        expected[n] = {"id": row["Ref"].lower(), "owner": row["IAO"], "steward": row["Data steward"],
                       "system": row["System"], "personal": personal in YES, "class": cls_iri, "date": iso,
                       "format": row["Format"], "location": row["Location"]}
        lines.append([row[h] for h in HEADER])
    lines.insert(3, [""] * len(HEADER))   # a blank row (skipped, rows still numbered as the spreadsheet does)
    text = "\r\n".join(";".join('"' + c.replace('"', '""') + '"' if any(x in c for x in ';"\n') else c
                                 for c in line) for line in lines) + "\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    # the blank row inserted after row 3 moves every later row down by one
    return {(n + 1 if n >= 3 else n): e for n, e in expected.items()}


def _shift(table: dict[int, tuple]) -> dict[tuple, tuple]:
    """(row as the spreadsheet numbers it, column) -> (value, message) for the problems of a table above."""
    return {(n + 1 if n >= 3 else n, col): (value, says) for n, (col, value, says) in table.items()}


@pytest.fixture
def council(memory_store):
    """A store holding the sample council's people, units, systems and partners (not its assets)."""
    d = sample_dir()
    load_files(memory_store, [d / "organisation.ttl", d / "systems.ttl", d / "partners.ttl"], source="council",
               validate=False)
    return memory_store


def quads(store):
    return sorted(str(q) for q in store.quads())


def test_every_problem_in_the_file_is_reported_at_once_and_nothing_is_loaded(council, tmp_path):
    f = tmp_path / "register.csv"
    write_messy_register(f)
    before = quads(council)
    with pytest.raises(RegisterRefused) as e:
        load_files(council, [f], validate=False)
    got = {(p.row, p.column): p for p in e.value.problems}
    want = _shift(BAD) | _shift(NEAR)
    assert set(got) == set(want)
    for (n, col), (value, says) in want.items():
        p = got[(n, col)]
        assert p.value == value and says in p.message, (n, p)
    text = str(e.value)
    assert text.startswith(f"{f}: {len(want)} problems in the register (nothing was loaded):")
    assert "row 31, column 'IAO': 'Helen Ashwoth' is not a known person: did you mean Helen Ashworth?" in text
    assert e.value.details()["problems"][0]["row"] == 21
    assert quads(council) == before


def test_every_mess_is_mapped_or_reported(council, tmp_path):
    """A 320-row register, invalid cells fixed, near-misses confirmed new: every row mapped as meant, in < 5 s."""
    f = tmp_path / "register.csv"
    expected = write_messy_register(f, bad=False)
    with pytest.raises(RegisterRefused) as e:
        load_files(council, [f], validate=False)
    assert {(p.row, p.column) for p in e.value.problems} == set(_shift(NEAR))
    assert all(p.message.endswith("(if it is new, load with --new-names)") for p in e.value.problems)
    t0 = time.perf_counter()
    (r,) = load_files(council, [f], validate=False, register=RegisterOptions(new_names=True))
    seconds = time.perf_counter() - t0
    assert seconds < 5, seconds
    assert any("column(s) not loaded: 'Notes' (not a column govgraph knows)" in w for w in r.warnings)
    assert any("semicolon-separated" in w for w in r.warnings)
    assert any("new people created: Helen Ashwoth, Raj Patell" in w for w in r.warnings)
    # "Childrens Social Care" has the IRI of the council's "Children's Social Care": the same unit, not a new one
    assert any("1 new service areas created: HR" in w for w in r.warnings)
    assert r.read_warnings == r.warnings    # no validation ran
    rows = {str(x["a"]).rsplit("/", 1)[-1]: x for x in council.select("""
        SELECT ?a ?t ?d (GROUP_CONCAT(DISTINCT ?on) AS ?owner) (GROUP_CONCAT(DISTINCT ?sn) AS ?steward)
               (GROUP_CONCAT(DISTINCT ?yn) AS ?system) (SAMPLE(?pd) AS ?personal) (SAMPLE(?c) AS ?cls)
               (SAMPLE(?rd) AS ?review) (SAMPLE(?fm) AS ?format) (SAMPLE(?lo) AS ?location) WHERE {
          ?a a gov:InformationAsset ; dcterms:title ?t ; dcterms:description ?d ; gov:retentionPeriod ?ret .
          OPTIONAL { ?a gov:owner/foaf:name ?on } OPTIONAL { ?a gov:steward/foaf:name ?sn }
          OPTIONAL { ?a gov:heldIn/rdfs:label ?yn } OPTIONAL { ?a dpv:hasPersonalData ?pd }
          OPTIONAL { ?a gov:classification ?c } OPTIONAL { ?a gov:reviewDate ?rd }
          OPTIONAL { ?a dcterms:format ?fm } OPTIONAL { ?a gov:storageLocation ?lo } } GROUP BY ?a ?t ?d""")}
    assert len(rows) == len(expected) == 320
    for n, want in expected.items():
        got = rows[want["id"]]
        assert str(got.get("owner", "")) == want["owner"], n
        assert str(got.get("steward", "")) == want["steward"], n
        assert str(got.get("system", "")) == want["system"], n
        assert ("personal" in got) == want["personal"], n
        assert got.get("cls") == want["class"], n
        assert (str(got["review"]) if "review" in got else None) == want["date"], n
        assert str(got["format"]) == want["format"] and str(got["location"]) == want["location"], n
        assert str(got["d"]).endswith("\nsecond line")
    # new names were created as asked; the new unit is one of the council's units
    assert council.ask(f"ASK {{ <{BASE}unit/hr> org:unitOf ?c . ?c a gov:Council }}")
    assert council.ask('ASK { ?p a foaf:Person ; foaf:name "Helen Ashwoth" }')


def test_blank_owner_steward_and_system_are_findings_not_parse_errors(council, tmp_path):
    f = tmp_path / "register.csv"
    f.write_text("Asset name,Description,Owner,Steward,System,Service area\n"
                 "Visitor log,Who signed in,,,,Public Health\n", encoding="utf-8")
    before = quads(council)
    with pytest.raises(ValidationFailed) as e:
        load_files(council, [f])
    findings = [x for x in e.value.report.findings if x.severity == "Violation"]
    assert any(x.principle == 7 and x.path and x.path.endswith("owner") for x in findings), findings
    assert quads(council) == before
    (r,) = load_files(council, [f], validate=False)
    a = f"<{BASE}dataset/visitor-log>"
    assert council.ask(f"ASK {{ {a} a gov:InformationAsset FILTER NOT EXISTS {{ {a} gov:owner|gov:steward|gov:heldIn ?y }} }}")


@pytest.mark.parametrize("text,value", [(t, True) for t in ("yes", "Y", "TRUE", " True ")]
                         + [(t, False) for t in ("no", "n", "FALSE", "")] + [(t, None) for t in ("maybe", "1", "0", "x")])
def test_yes_no(text, value):
    assert yes_no(text) is value


@pytest.mark.parametrize("text,iri", [("official", GOV.Official), ("Official-Sensitive", GOV.OfficialSensitive),
                                      (" official  sensitive ", GOV.OfficialSensitive), ("TOP_SECRET", GOV.TopSecret),
                                      ("Top  Secret", GOV.TopSecret), ("RESTRICTED", None), ("OFFICIALSENSITIVE", None)])
def test_classification_is_case_and_spacing_tolerant(text, iri):
    assert classification(text) == iri


@pytest.mark.parametrize("text,iso", [("31/03/2027", "2027-03-31"), ("31.03.27", "2027-03-31"), ("2027-03-31", "2027-03-31"),
                                      ("46477", "2027-03-31"), ("31 Mar 2027", "2027-03-31"), ("1st April 2026", "2026-04-01"),
                                      ("03/31/2027", None), ("soon", None), ("12", None), ("31 Foo 2027", None)])
def test_dates(text, iso):
    d = parse_date(text)
    assert (d.isoformat() if d else None) == iso


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiter_is_sniffed(memory_store, tmp_path, delimiter):
    header = ["Asset name", "Description", "Owner", "System", "Shared with"]
    row = ["Rents; arrears", "Rent, and arrears", "Jo Bloggs", "Northgate", "DWP; HMRC"]
    line = lambda cells: delimiter.join(f'"{c}"' if (delimiter in c or "," in c or ";" in c) else c for c in cells)
    f = tmp_path / "r.csv"
    f.write_bytes(("\r\n".join([line(header), line(row)]) + "\r\n").encode("utf-8-sig"))
    (r,) = load_files(memory_store, [f], validate=False)
    assert memory_store.ask('ASK { ?a dcterms:title "Rents; arrears" ; dcterms:description "Rent, and arrears" }')
    assert len(memory_store.select("SELECT ?p WHERE { ?a gov:sharedWith ?p }")) == 2


def _workbook(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Cover"
    ws.append(["This workbook is the council's IAR"])
    reg = wb.create_sheet("Register")
    reg.append(["Asset name", "Description", "Owner", "System", "Personal data", "Review date", "Retention", "Colour"])
    reg.append(["Payroll", "Monthly pay", "Helen Ashworth", "SAP", True, dt.datetime(2027, 3, 31), 7, "blue"])
    reg.append(["Fleet", "Vehicles", "Raj Patel", "Confirm", False, 46477, "6 years", None])
    reg.append([None, None, None, None, None, None, None, None])
    reg.append(["Bins", "Collections", "Raj Patel", "Confirm", "perhaps", "31/03/2027", None, None])
    wb.save(path)


def test_xlsx_first_sheet_or_named_sheet(council, tmp_path):
    f = tmp_path / "iar.xlsx"
    _workbook(f)
    with pytest.raises(BadInput, match=r"iar\.xlsx:1: missing required column"):
        load_files(council, [f], validate=False)   # the first sheet is the cover
    with pytest.raises(BadInput, match=r"no sheet named 'Nope' \(sheets: Cover, Register\)"):
        load_files(council, [f], validate=False, register=RegisterOptions(sheet="Nope"))
    with pytest.raises(RegisterRefused, match=r"iar\.xlsx:5: column 'Personal data': 'perhaps' is not yes or no"):
        load_files(council, [f], validate=False, register=RegisterOptions(sheet="Register"))
    wb = openpyxl.load_workbook(f)
    wb["Register"]["E5"] = "N"
    wb.save(f)
    (r,) = load_files(council, [f], validate=False, register=RegisterOptions(sheet="Register"))
    assert any("'Colour' (not a column govgraph knows)" in w for w in r.warnings)
    dates = {str(x["t"]): str(x["d"]) for x in council.select("SELECT ?t ?d WHERE { ?a dcterms:title ?t ; gov:reviewDate ?d }")}
    assert dates == {"Payroll": "2027-03-31", "Fleet": "2027-03-31", "Bins": "2027-03-31"}
    assert council.ask('ASK { ?a dcterms:title "Payroll" ; dpv:hasPersonalData ?p ; gov:retentionPeriod "7" }')
    assert not council.ask('ASK { ?a dcterms:title "Fleet" ; dpv:hasPersonalData ?p }')


def test_cli_load_sheet_new_names_and_warnings(tmp_path):
    url = f"oxigraph:{tmp_path / 'store'}"
    d = sample_dir()

    def run(*args):
        return CliRunner().invoke(main, list(args), env={"GOVGRAPH_STORE": url})
    assert run("load", "--force", str(d / "organisation.ttl")).exit_code == 0
    f = tmp_path / "iar.xlsx"
    _workbook(f)
    wb = openpyxl.load_workbook(f)
    wb["Register"]["E5"] = "N"
    wb["Register"]["C3"] = "Raj Patell"
    wb.save(f)
    r = run("load", str(f), "--sheet", "Register")
    assert r.exit_code != 0 and "did you mean Raj Patel?" in r.output and "--new-names" in r.output
    r = run("load", str(f), "--sheet", "Register", "--new-names", "--force")
    assert "warning: " in r.output and "'Colour' (not a column govgraph knows)" in r.output, r.output
    assert "new people created: Raj Patell" in r.output


def test_location_is_the_system_when_there_is_no_system_column(memory_store, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("Asset name,Description,Owner,Location,Owner,\nRents,Rent roll,Jo Bloggs,Northgate,Sam Smith,x\n",
                 encoding="utf-8")
    (r,) = load_files(memory_store, [f], validate=False)
    assert memory_store.ask('ASK { ?a dcterms:title "Rents" ; gov:heldIn/rdfs:label "Northgate" ; gov:owner/foaf:name "Jo Bloggs" }')
    assert not memory_store.ask("ASK { ?a gov:storageLocation ?l }")
    (w,) = [w for w in r.warnings if "not loaded" in w]
    assert "'Owner' (a second column for the same thing); column 6 (it has no header)" in w


def test_old_excel_and_a_sheet_option_on_a_csv_say_what_to_do(memory_store, tmp_path):
    xls = tmp_path / "iar.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0 old workbook")
    with pytest.raises(BadInput, match=r"iar\.xls: an old-style Excel workbook \(\.xls\) is not read: save it as \.xlsx"):
        load_files(memory_store, [xls])
    f = tmp_path / "r.csv"
    f.write_text("Asset name,Description,Owner,System\nA,B,C,D\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"--sheet 'Register' given, but this is a CSV file"):
        load_files(memory_store, [f], validate=False, register=RegisterOptions(sheet="Register"))
    assert not memory_store.sources()


def test_a_title_above_the_header_is_passed_over(memory_store, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("Shire County Council - Information Asset Register,,,\nLast updated 01/04/2026,,,\n,,,\n"
                 "Asset name,Description,Owner,System\nRents,Rent roll,Jo Bloggs,Northgate\n,,,\nBins,Rounds,,\n",
                 encoding="utf-8")
    (r,) = load_files(memory_store, [f], validate=False)
    assert any("header read from row 4; the rows above it were not loaded" in w for w in r.warnings)
    titles = {str(x["t"]) for x in memory_store.select("SELECT ?t WHERE { ?a a gov:InformationAsset ; dcterms:title ?t }")}
    assert titles == {"Rents", "Bins"}
    f.write_text("Register,,,\nAsset name,Description,Owner,System\n,x,y,z\n", encoding="utf-8")
    with pytest.raises(RegisterRefused, match=r"r\.csv:3: column 'Asset name': the asset name is empty"):
        load_files(memory_store, [f], validate=False, source="again")

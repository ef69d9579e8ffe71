"""The vocabulary's fixed terms come from ontology/govgraph.ttl (govgraph.vocabulary), and every user reads them there."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from govgraph import vocabulary
from govgraph.io.iar import format_lawful_basis, parse_lawful_basis
from govgraph.labels import term_label
from govgraph.ontology.ns import EU_GDPR, GOV
from govgraph.reports.common import term_text
from govgraph.shapes.model import PRINCIPLE_NAMES

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("text, iri", [
    ("OFFICIAL", GOV.Official), ("official", GOV.Official), ("Official-Sensitive", GOV.OfficialSensitive),
    ("official  sensitive", GOV.OfficialSensitive), ("OFFICIAL_SENSITIVE", GOV.OfficialSensitive),
    ("Secret", GOV.Secret), ("top-secret", GOV.TopSecret), ("TOP SECRET", GOV.TopSecret),
    ("RESTRICTED", None), ("", None),
])
def test_classification_names(text, iri):
    assert vocabulary.classification(text) == iri


def test_classification_markings_are_the_ontology_notations():
    assert list(vocabulary.CLASSIFICATION_NAMES.values()) == ["OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET", "TOP SECRET"]
    assert term_text(str(GOV.OfficialSensitive)) == "OFFICIAL-SENSITIVE"


def test_every_article_6_basis_and_article_9_condition_is_labelled_and_round_trips():
    points = [f"A6-1-{p}" for p in "abcdef"] + [f"A9-2-{p}" for p in "abcdefghij"]
    assert sorted(vocabulary.BASIS_LABELS) == sorted(str(EU_GDPR[p]) for p in points)
    for p in points:
        text = format_lawful_basis(str(EU_GDPR[p]))
        assert text == f"UK GDPR Art {p[1]}({p[3]})({p[5]})"
        assert parse_lawful_basis(text) == EU_GDPR[p]
        assert term_label(str(EU_GDPR[p]))[0] == text


@pytest.mark.parametrize("name, point", [("consent", "A6-1-a"), ("Public Task", "A6-1-e"),
                                         ("official authority", "A6-1-e"), ("legitimate interests", "A6-1-f")])
def test_basis_names_people_use(name, point):
    assert parse_lawful_basis(name) == EU_GDPR[point]


def test_principles_are_named_in_the_ontology():
    assert sorted(PRINCIPLE_NAMES) == list(range(1, 13))
    assert PRINCIPLE_NAMES is vocabulary.PRINCIPLE_NAMES
    g = vocabulary.ontology()
    assert str(g.value(GOV.Principle3, GOV.principle)) == "3"
    assert "lawfully" in PRINCIPLE_NAMES[3]


def test_no_module_reads_vocabulary_terms_from_the_iar_importer():
    """Only the IAR's own modules import from io/iar.py (the vocabulary lives in govgraph/vocabulary.py)."""
    users = []
    for path in sorted(REPO.glob("*/**/*.py")):
        if "tests" in path.parts or path.name in {"iar.py", "iar_import.py", "export.py"} or ".venv" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"from govgraph\.io\.iar import [^\n]*(CLASSIFICATION|BASIS|format_lawful_basis)", text):
            users.append(str(path.relative_to(REPO)))
    assert users == []

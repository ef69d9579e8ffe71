"""Run inside the CKAN virtualenv: parse a DCAT file as CKAN's harvester does and print the datasets as JSON.

Usage: python parse_dcat.py FILE [FORMAT]. ckanext-dcat's RDFParser with the euro_dcat_ap_3 profile
turns each dcat:Dataset into a CKAN package dict (no database needed); every tag is also put through
CKAN's own tag validators, whose refusals are listed under "tag_errors".
"""
import json
import sys

from ckan.lib.navl.dictization_functions import Invalid
from ckan.logic.validators import tag_length_validator, tag_name_validator
from ckanext.dcat.processors import RDFParser


def tag_errors(tags):
    errors = []
    for tag in tags:
        for check in (tag_length_validator, tag_name_validator):
            try:
                check(tag["name"], {})
            except Invalid as e:
                errors.append(f"{tag['name']!r}: {e.error}")
    return errors


def main(path, fmt="turtle"):
    parser = RDFParser(profiles=["euro_dcat_ap_3"])
    with open(path, encoding="utf-8") as f:
        parser.parse(f.read(), _format=fmt)
    out = []
    for d in parser.datasets():
        d["tag_errors"] = tag_errors(d.get("tags", []))
        out.append(d)
    json.dump(out, sys.stdout, default=str)


if __name__ == "__main__":
    main(*sys.argv[1:])

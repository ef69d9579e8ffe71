#!/usr/bin/env bash
# Install everything the tests need (Python extras; Debian chromium for the browser tests,
# graphviz as the reference layout in the layout tests, virtuoso-opensource-7 for the Virtuoso
# store tests, postgresql for the database harvest tests),
# then run the whole test suite. The README's test command and CI's .ci/run both call this.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages, each only if missing, in one apt-get run:
#   chromium                (tests/browser: Playwright drives Debian's Chromium)
#   graphviz                (tests/test_layout.py and tests/bench/bench_layout.py compare our layout with dot)
#   virtuoso-opensource-7   (tests/test_virtuoso.py starts its own Virtuoso 7)
#   postgresql              (tests/test_harvest_db.py starts its own server with initdb and pg_ctl)
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
command -v virtuoso-t >/dev/null 2>&1 || missing+=(virtuoso-opensource-7)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "== installing govgraph with its test extras"
python3 -m pip install -q --disable-pip-version-check -e '.[test]'

if [ ! -f tests/browser/.axe/node_modules/axe-core/axe.min.js ]; then
  echo "== installing axe-core from npm for the accessibility browser tests (tests/browser/.axe, git-ignored)"
  npm install --prefix tests/browser/.axe --no-audit --no-fund --silent axe-core@4
fi

echo "== installing CKAN and ckanext-dcat in their own venv (the DCAT harvest test runs their parser)"
python3 tests/cached_venv.py ckan_harvest.env

echo "== installing dbt-core and dbt-duckdb in their own venv (the dbt harvest test builds a real project)"
python3 tests/cached_venv.py dbt.env

echo "== installing rdflib-endpoint in its own venv (a SPARQL server the remote backend must refuse)"
python3 tests/cached_venv.py rdflib_endpoint.env

echo "== running the tests"
python3 -m pytest -q "$@"

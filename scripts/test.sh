#!/usr/bin/env bash
# Install everything the tests need (Python extras, Debian chromium for the browser tests and
# virtuoso-opensource-7 for the Virtuoso store tests, postgresql for the database harvest tests),
# then run the whole test suite. The README's test command and CI's .ci/run both call this.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing Debian chromium for the browser tests"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

if ! command -v virtuoso-t >/dev/null 2>&1; then
  echo "== installing Debian virtuoso-opensource-7 (tests/test_virtuoso.py starts its own Virtuoso 7)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq virtuoso-opensource-7 >/dev/null
fi

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "== installing Debian postgresql (tests/test_harvest_db.py starts its own server with initdb and pg_ctl)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi

echo "== installing govgraph with its test extras"
python3 -m pip install -q --disable-pip-version-check -e '.[test]'

echo "== installing CKAN and ckanext-dcat in their own venv (the DCAT harvest test runs their parser)"
python3 tests/ckan_harvest/env.py

echo "== installing dbt-core and dbt-duckdb in their own venv (the dbt harvest test builds a real project)"
python3 tests/dbt/env.py

echo "== running the tests"
python3 -m pytest -q "$@"

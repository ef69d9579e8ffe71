"""Browser-test fixtures: a real waitress server over the sample estate, and Playwright
driving the Debian chromium package (Playwright's own browser download is not used)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support import serve_sample

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def pytest_collection_modifyitems(items):
    here = Path(__file__).resolve().parent
    for item in items:
        if Path(str(item.fspath)).resolve().parent == here:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "the Debian chromium package is not installed: run scripts/test.sh (it installs it)"
    return {**browser_type_launch_args, "executable_path": exe, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="session")
def live_server(sample_store_path, tmp_path_factory):
    """The viewer served by waitress on a free loopback port over a copy of the sample estate."""
    with serve_sample(sample_store_path, tmp_path_factory.mktemp("browser"), threads=4) as url:
        yield url


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (tests/artifacts/, git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS

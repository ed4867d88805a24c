"""Playwright (sync API) driving Debian's chromium against pytest-django's live server.

The whole directory is skipped when /usr/bin/chromium or the ``playwright`` package is missing:
``apt-get install chromium`` and ``pip install playwright`` (never ``playwright install``: the
browser download does not work on the CI machines).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from wagtail.models import Page

from tests.snapshot import DatabaseSnapshot

CHROMIUM = Path(os.environ.get("CIVIS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_PASSWORD = "demo-civis-2026"
MERIGNAC = "/nouvelle-aquitaine/bordeaux-metropole/merignac/"

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None


def pytest_collection_modifyitems(config, items):
    reason = None
    if sync_playwright is None:
        reason = "browser tests need the playwright package (pip install playwright)"
    elif not CHROMIUM.exists():
        reason = f"browser tests need {CHROMIUM} (apt-get install chromium)"
    here = Path(__file__).parent
    for item in items:
        if here not in Path(item.fspath).parents:
            continue
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
        # The live server answers from another thread, so the demo must be committed; after
        # each test's flush, tests/conftest.py puts back what migrations created.
        item.add_marker(pytest.mark.django_db(transaction=True))


@pytest.fixture(scope="module")
def browser(_migrated_snapshot):
    # Playwright's sync API keeps an event loop running in this thread while it is started;
    # Django takes that for async code and refuses database calls (fixtures, the flush of
    # transactional_db) unless told otherwise. Module scope keeps it out of the other tests.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def demo_snapshot():
    return DatabaseSnapshot()


@pytest.fixture
def demo(browser, transactional_db, demo_snapshot):
    """The demo territory, pages, 323 documents and accounts: loaded by the process's first
    browser test (about 15 s), restored from its snapshot by the next ones (tests/snapshot.py)."""
    if demo_snapshot.taken:
        demo_snapshot.restore()
    else:
        assert Page.objects.exists(), "Wagtail's root page is missing: nothing restored it"
        call_command("civis_demo", stdout=io.StringIO())
        demo_snapshot.take()


@pytest.fixture
def site(demo, live_server):
    """The live server's base URL, with the demo territory, documents and accounts loaded."""
    return live_server.url


@pytest.fixture
def page(browser, site):
    context = browser.new_context(base_url=site, locale="fr-FR", accept_downloads=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone(browser, site):
    context = browser.new_context(
        base_url=site,
        locale="fr-FR",
        is_mobile=True,
        has_touch=True,
        viewport={"width": 375, "height": 667},
        device_scale_factor=2,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()

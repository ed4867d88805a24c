import io

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import transaction
from django.test import TransactionTestCase, override_settings

from tests.snapshot import DatabaseSnapshot

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    # Production uses the hashed-manifest storage, which needs collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _no_results_kept_from_another_test(settings):
    # The results bodies a process keeps (elections.exports) are keyed by ETag; a rolled-back
    # test's round can come back with the same primary key.
    caches["results"].clear()
    # Tests publish and read within the same second: the fast path's copies (fresh for a
    # second) are tested on their own (tests/elections/test_fast_path.py).
    settings.CIVIS_RESULTS_FRESH_SECONDS = 0
    # Many tests change rows directly (factories, .update()) between two reads, which no
    # service announces: the anonymous page cache is tested on its own
    # (tests/civis/test_page_cache.py, which turns it on).
    settings.CIVIS_PAGE_CACHE_SECONDS = 0
    # Each test indexes its own documents: the spelling suggestions' vocabulary is read afresh,
    # and so are PostgreSQL's document frequencies (its ranking's IDF) and the synonym list,
    # which a process keeps for minutes.
    settings.CIVIS_SEARCH_VOCABULARY_SECONDS = 0
    from search import synonyms
    from search.backends import postgres

    postgres.clear_frequencies()
    synonyms.clear_cache()


@pytest.fixture
def page_cache_on(settings, monkeypatch):
    """The anonymous page cache on (core/pagecache.py). A test's transaction never commits:
    what the cache does at commit is done at once here (a transactional test of
    tests/civis/test_page_cache.py proves that it waits for the commit)."""
    settings.CIVIS_PAGE_CACHE_SECONDS = 600
    monkeypatch.setattr("core.pagecache.on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's production cost (~1 s per hash here) would dominate the suite's run time.
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(scope="module")
def demo_in_module(django_db_setup, django_db_blocker):
    """The demo loaded once for a whole test module, inside a transaction rolled back when
    the module ends; each test runs in a savepoint of it (pytest-django's ``db``), so what a
    test writes is undone before the next. Loading it per test cost about 15 s each.

    The outer block is marked as a test case's, like Django's TestCase does for its own, so the
    services' durable transactions nest in it as they do in any ``db`` test."""
    # The function-scoped settings fixtures above are not active yet: the demo's accounts get
    # the tests' password hasher here, or signing in as them would fail.
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        outer = transaction.atomic()
        outer._from_testcase = True
        outer.__enter__()
        try:
            call_command("civis_demo", stdout=io.StringIO())
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# The database as migrations left it (content types, Wagtail's root page and default site…),
# put back after every transactional test's flush: the flush empties every table, and a test
# that runs next in the same process (in any order, across the workers) expects what
# migrations created. Django's serialized rollback does this too, but it reloads the rows
# before the next transactional test only, slowly, and on PostgreSQL collides with the
# content types a flush recreates under new ids.
MIGRATED = DatabaseSnapshot()
_flush = TransactionTestCase._fixture_teardown


def _flush_then_restore(self):
    _flush(self)
    if MIGRATED.taken:
        MIGRATED.restore()


TransactionTestCase._fixture_teardown = _flush_then_restore


@pytest.fixture(scope="session", autouse=True)
def _migrated_snapshot(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        MIGRATED.take()
    return MIGRATED

"""The anonymous page cache (core/pagecache.py) as visitors notice it: a second visit is answered
without rendering, a publication, a withdrawal, an authority's or a page's edit is seen by the
very next request, and a signed-in visitor never gets a kept page, nor leaves one behind."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csp import get_nonce
from django.test import Client
from django.utils.csp import LazyNonce
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from civis.portal.models import AccessibilityDeclaration, AuthorityPage
from civis.portal.services import authority_pages_sync, home_page_ensure
from core.pagecache import HIT_HEADER, AnonymousPageCacheMiddleware, public_pages_changed
from documents import services
from identity.services.contact import authority_contact_update
from opendata.services.datasets import dataset_withdraw
from tests.factories import make_dataset

pytestmark = pytest.mark.django_db
TITLE = "Arrêté de voirie quai Zéphyrin"


@pytest.fixture(autouse=True)
def _page_cache_on(request):
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):  # that one commits for real
        request.getfixturevalue("page_cache_on")


@pytest.fixture
def site(territory):
    home = home_page_ensure(title="Civis", territory=territory.region)
    authority_pages_sync(
        home=home, authorities=[territory.region, territory.metropole, territory.merignac]
    )
    AccessibilityDeclaration.load()  # the footer's settings row, created on first read
    return territory


def merignac_url(site) -> str:
    return site.merignac.portal_page.url


def test_a_second_anonymous_visit_is_answered_without_rendering(
    site, django_assert_max_num_queries
):
    anonymous = Client()
    first = anonymous.get(merignac_url(site))
    assert first[HIT_HEADER] == "miss"
    # One read of the shared cache (a database table here): the generation and the copy.
    with django_assert_max_num_queries(1):
        again = anonymous.get(merignac_url(site))
    assert again[HIT_HEADER] == "hit"
    assert again.status_code == 200
    assert again["Content-Type"].startswith("text/html")
    assert "Cookie" in again["Vary"]


def test_a_publication_and_a_withdrawal_are_seen_by_the_next_request(site, publish):
    anonymous = Client()
    for url in (merignac_url(site), "/documents/flux/", "/sitemap.xml", "/"):
        anonymous.get(url)
    document = publish(title=TITLE)
    link = f"/documents/{document.pk}/"
    authority_page = anonymous.get(merignac_url(site))
    assert TITLE in authority_page.content.decode()
    assert link in anonymous.get("/documents/flux/").content.decode()
    assert link in anonymous.get("/sitemap.xml").content.decode()
    assert anonymous.get(link).status_code == 200
    assert anonymous.get(link)[HIT_HEADER] == "hit"

    services.document_withdraw(actor=site.publisher, document=document)
    assert anonymous.get(link).status_code == 404
    assert TITLE not in anonymous.get(merignac_url(site)).content.decode()
    assert link not in anonymous.get("/documents/flux/").content.decode()
    assert link not in anonymous.get("/sitemap.xml").content.decode()


def test_an_authority_edit_is_seen_at_once(site):
    anonymous = Client()
    anonymous.get(merignac_url(site))
    authority_contact_update(actor=site.publisher, authority=site.merignac, phone="05 56 55 66 00")
    assert "tel:+33556556600" in anonymous.get(merignac_url(site)).content.decode()


def test_a_page_published_in_wagtail_is_seen_at_once(site):
    anonymous = Client()
    anonymous.get(merignac_url(site))
    page = AuthorityPage.objects.get(authority=site.merignac)
    page.intro = "<p>Bienvenue au marché des Capucins du dimanche.</p>"
    page.save_revision().publish()
    assert "marché des Capucins du dimanche" in anonymous.get(merignac_url(site)).content.decode()


def test_a_dataset_withdrawal_leaves_the_catalog_at_once(site):
    dataset = make_dataset(site.merignac, title="Bancs publics de Mérignac")
    anonymous = Client()
    assert "Bancs publics" in anonymous.get("/donnees/").content.decode()
    assert "Bancs publics" in anonymous.get("/catalog.ttl").content.decode()
    assert anonymous.get("/catalog.ttl")[HIT_HEADER] == "hit"
    dataset_withdraw(actor=site.publisher, dataset=dataset, reason="Doublon")
    assert "Bancs publics" not in anonymous.get("/donnees/").content.decode()
    assert "Bancs publics" not in anonymous.get("/catalog.ttl").content.decode()


def test_a_page_rendered_while_a_change_commits_is_never_answered(site, monkeypatch):
    from civis.portal import models

    anonymous = Client()
    real = models.AuthorityPage.get_context

    def changed_during_render(self, request, *args, **kwargs):
        context = real(self, request, *args, **kwargs)
        public_pages_changed()  # another process's publication commits meanwhile
        return context

    monkeypatch.setattr(models.AuthorityPage, "get_context", changed_during_render)
    anonymous.get(merignac_url(site))
    monkeypatch.setattr(models.AuthorityPage, "get_context", real)
    assert anonymous.get(merignac_url(site))[HIT_HEADER] == "miss"
    assert anonymous.get(merignac_url(site))[HIT_HEADER] == "hit"


def test_each_answer_from_the_cache_has_a_nonce_of_its_own(site, rf):
    """No kept page uses a nonce today (their scripts are files of the site); one that did
    would still never share its nonce between visitors."""

    def page_with_inline_script(request):
        return HttpResponse(f'<script nonce="{get_nonce(request)}">go()</script>')

    middleware = AnonymousPageCacheMiddleware(page_with_inline_script)
    bodies, nonces = [], []
    for _ in range(3):
        request = rf.get("/")
        request._csp_nonce = LazyNonce()
        bodies.append(middleware(request))
        nonces.append(str(request._csp_nonce))
    assert [b[HIT_HEADER] for b in bodies] == ["miss", "hit", "hit"]
    assert len(set(nonces)) == 3
    for body, nonce in zip(bodies, nonces, strict=True):
        assert body.content.decode() == f'<script nonce="{nonce}">go()</script>'


def test_a_kept_page_revalidates_with_a_304(site, publish):
    anonymous = Client()
    anonymous.get("/")
    hit = anonymous.get("/")
    assert anonymous.get("/", HTTP_IF_NONE_MATCH=hit["ETag"]).status_code == 304
    publish(title=TITLE)
    assert anonymous.get("/", HTTP_IF_NONE_MATCH=hit["ETag"]).status_code in (200, 304)
    page = anonymous.get(merignac_url(site), HTTP_IF_NONE_MATCH=hit["ETag"])
    assert page.status_code == 200


def test_what_is_not_a_public_page_is_never_kept(site):
    anonymous = Client()
    for url in ("/recherche/?q=école", "/api/v1/documents/", "/connexion/"):
        anonymous.get(url)
        assert HIT_HEADER not in anonymous.get(url), url


def test_the_cache_can_be_turned_off(site, settings):
    settings.CIVIS_PAGE_CACHE_SECONDS = 0
    anonymous = Client()
    anonymous.get("/")
    assert HIT_HEADER not in anonymous.get("/")


def test_a_language_switch_needs_no_token_and_pages_stay_kept(site):
    anonymous = Client(enforce_csrf_checks=True)
    page = anonymous.get("/").content.decode()
    assert "csrfmiddlewaretoken" not in page
    switched = anonymous.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert switched.status_code == 302
    assert anonymous.cookies["django_language"].value == "en"


# Who asks, in what order: anonymous visitors and two signed-in citizens, on public pages.
VISITS = st.lists(
    st.tuples(st.sampled_from(["anonyme", "alice", "bruno"]), st.sampled_from(["/", "flux"])),
    min_size=1,
    max_size=8,
)


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(visits=VISITS)
def test_no_one_ever_gets_a_page_kept_for_someone_else(site, visits):
    from django.core.cache import cache

    from tests.factories import make_user

    cache.clear()
    people = {"alice": make_user(first_name="Alice"), "bruno": make_user(first_name="Bruno")}
    clients = {"anonyme": Client()}
    for name, user in people.items():
        clients[name] = Client()
        clients[name].force_login(user)
    for who, where in visits:
        url = merignac_url(site) if where == "/" else "/documents/flux/"
        response = clients[who].get(url)
        assert response.status_code == 200
        body = response.content.decode()
        if who != "anonyme":
            assert response.get(HIT_HEADER) is None, "a signed-in visitor is never answered so"
        for other in people:
            if other != who and where == "/":
                assert f"Se déconnecter ({people[other].display_name})" not in body
    for user in people.values():
        user.delete()


def test_a_page_that_leaves_a_message_or_a_session_is_that_visitors_own(site, rf):
    from django.contrib.messages import info
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore

    def with_message(request):
        info(request, "Votre demande est enregistrée.")
        return HttpResponse("<p>merci</p>")

    def with_session(request):
        request.session["seen"] = True
        return HttpResponse("<p>bonjour</p>")

    for view in (with_message, with_session):
        middleware = AnonymousPageCacheMiddleware(view)
        for _ in range(2):
            request = rf.get("/")
            request.session = SessionStore()
            request._messages = FallbackStorage(request)
            assert HIT_HEADER not in middleware(request), view.__name__


@pytest.mark.django_db(transaction=True)
def test_a_change_makes_kept_pages_stale_when_it_commits_not_before(settings, territory):
    settings.CIVIS_PAGE_CACHE_SECONDS = 600
    home = home_page_ensure(title="Civis", territory=territory.region)
    authority_pages_sync(home=home, authorities=[territory.region])
    AccessibilityDeclaration.load()
    anonymous = Client()
    url = territory.region.portal_page.url
    anonymous.get(url)
    assert anonymous.get(url)[HIT_HEADER] == "hit"
    with transaction.atomic():
        public_pages_changed()
        # Not committed: what is kept still shows what was (and is, for every other reader).
        assert anonymous.get(url)[HIT_HEADER] == "hit"
    assert anonymous.get(url)[HIT_HEADER] == "miss"


def test_a_cache_that_does_not_answer_leaves_the_pages_rendered(site, monkeypatch):
    class Down:
        def __getattr__(self, _name):
            def fail(*_args, **_kwargs):
                raise ConnectionError("Redis ne répond pas")

            return fail

    # The page cache's own calls only (Wagtail reads the cache for each page URL too).
    monkeypatch.setattr("core.pagecache.cache", Down())
    anonymous = Client()
    page = anonymous.get(merignac_url(site))
    assert page.status_code == 200
    assert HIT_HEADER not in page
    assert "Mérignac" in page.content.decode()

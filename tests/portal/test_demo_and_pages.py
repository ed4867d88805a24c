"""The demo loader and every portal page, as an anonymous visitor sees them."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from wagtail.models import Page, Site

from civis.portal.models import AuthorityPage, HomePage
from identity.models import Authority, Membership, User

pytestmark = pytest.mark.django_db

# Wagtail routes a URL with one query per path segment; the rest is a fixed handful (since
# issues 10 and 16 it includes the accessibility status of the footer and, on authority pages,
# the contact block; since issue 17 the search page's places block — the authorities named,
# their pages — and the synonym list, which a process keeps for a minute but each test reads
# afresh, in a savepoint: three statements; on PostgreSQL also the document counts of its
# ranking's IDF, kept five minutes but read afresh by each test). Growth is tested apart, below.
MAX_QUERIES_PER_PAGE = 26


@pytest.fixture
def demo(demo_in_module, db):
    """The demo, loaded once for this module (tests/conftest.py)."""


def test_demo_loader_runs_twice_without_duplicates(demo):
    counts = (
        Authority.objects.count(),
        AuthorityPage.objects.count(),
        Page.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        Site.objects.count(),
    )
    output = io.StringIO()
    call_command("civis_demo", stdout=output)
    assert counts == (
        Authority.objects.count(),
        AuthorityPage.objects.count(),
        Page.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        Site.objects.count(),
    )
    assert counts[:2] == (31, 31)
    assert "Pages : 0 créée(s)" in output.getvalue()


def test_demo_home_page_is_the_site_root(demo):
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)
    assert not Page.objects.filter(title__startswith="Welcome").exists()


@pytest.mark.parametrize(
    ("username", "authority_code", "role"),
    [
        ("agent-merignac", "33281", "agent"),
        ("editeur-merignac", "33281", "publisher"),
        ("editeur-metropole", "243300316", "publisher"),
        ("admin-region", "75", "territory_admin"),
    ],
)
def test_demo_agents_hold_their_roles_and_reach_the_admin(
    demo, client, username, authority_code, role
):
    user = authenticate(username=username, password="demo-civis-2026")
    assert user is not None and user.kind == User.Kind.AGENT
    membership = user.memberships.active().get()
    assert membership.role == role
    assert authority_code in (membership.authority.insee_code, membership.authority.siren)
    client.force_login(user)
    assert client.get("/admin/").status_code == 200


def test_demo_citizen_signs_in_but_has_no_admin_access(demo, client):
    citizen = authenticate(username="citoyen", password="demo-civis-2026")
    assert citizen is not None and citizen.kind == User.Kind.CITIZEN
    assert not citizen.memberships.exists()
    client.force_login(citizen)
    assert client.get("/admin/").status_code == 302


def all_portal_urls() -> list[str]:
    return [
        "/",
        *[p.url for p in AuthorityPage.objects.all()],
        "/recherche/",
        "/recherche/?q=Mérignac",
    ]


def test_every_page_renders_for_anonymous_with_bounded_queries(
    demo, client, django_assert_max_num_queries
):
    urls = all_portal_urls()
    assert len(urls) == 34
    client.get("/")  # fill Wagtail's entries of the shared cache (a database table)
    for url in urls:
        with django_assert_max_num_queries(MAX_QUERIES_PER_PAGE):
            response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("text/html")


def test_queries_do_not_grow_with_the_number_of_member_communes(demo, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from civis.portal.services import authority_pages_sync
    from tests.factories import make_authority

    url = "/nouvelle-aquitaine/bordeaux-metropole/"
    client.get(url)  # warm Wagtail's per-site caches so both counts are comparable
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    metropole = Authority.objects.get(siren="243300316")
    extra = [make_authority(parent=metropole) for _ in range(20)]
    authority_pages_sync(home=HomePage.objects.get(), authorities=extra)
    with CaptureQueriesContext(connection) as after:
        html = client.get(url).content.decode()
    assert "48 collectivités rattachées" in html
    assert len(after) == len(before)


def test_commune_page_shows_identity_parent_and_slots(demo, client):
    response = client.get("/nouvelle-aquitaine/bordeaux-metropole/merignac/")
    html = response.content.decode()
    assert '<h1 id="titre-collectivite">Mérignac</h1>' in html
    assert "33281" in html and "213302813" in html
    assert 'href="/nouvelle-aquitaine/bordeaux-metropole/"' in html
    assert "Dernières publications" in html
    # No empty promise: the procedures section comes with the procedures.
    assert "Aucune démarche en ligne" not in html


def test_metropole_page_lists_its_28_communes(demo, client):
    html = client.get("/nouvelle-aquitaine/bordeaux-metropole/").content.decode()
    assert "28 collectivités rattachées" in html
    assert 'href="/nouvelle-aquitaine/bordeaux-metropole/merignac/"' in html


def test_pages_are_accessible_landmarks_skip_link_and_labels(demo, client):
    for url in all_portal_urls():
        html = client.get(url).content.decode()
        assert '<html lang="fr">' in html, url
        assert re.search(r'<a class="skip-link" href="#contenu">', html)
        assert '<main id="contenu"' in html and "<header" in html and "<footer" in html
        assert html.count("<h1") == 1, url
        for field_id in re.findall(r'<(?:input|select)[^>]*\sid="([^"]+)"', html):
            assert f'for="{field_id}"' in html, f"{url}: #{field_id} has no label"


def test_home_page_has_a_search_box_and_entry_points(demo, client):
    html = client.get("/").content.decode()
    assert 'role="search"' in html and 'name="q"' in html
    assert 'href="/nouvelle-aquitaine/bordeaux-metropole/"' in html
    assert "Espace agents" in html


def test_search_finds_a_commune_page(demo, client):
    html = client.get("/recherche/", {"q": "Mérignac"}).content.decode()
    assert 'href="/nouvelle-aquitaine/bordeaux-metropole/merignac/"' in html


def test_a_too_long_search_is_a_clear_400(demo, client):
    response = client.get("/recherche/", {"q": "x" * 500})
    assert response.status_code == 400
    assert "trop longue" in response.content.decode()


def test_french_is_the_default_whatever_the_browser_asks(demo, client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="fr">' in html and "Aller au contenu" in html


def test_english_is_available(demo, client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Skip to content" in html
    assert "Search" in html


def test_every_stylesheet_and_icon_a_page_links_to_exists(demo, client):
    from django.contrib.staticfiles import finders

    html = client.get("/").content.decode()
    assets = re.findall(r'(?:href|src)="/static/([^"]+)"', html)
    assert "civis/portal.css" in assets
    for asset in assets:
        assert finders.find(asset), asset


def test_unknown_page_is_a_404(demo, client):
    assert client.get("/nouvelle-aquitaine/nulle-part/").status_code == 404

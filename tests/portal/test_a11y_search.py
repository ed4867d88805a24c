"""Search results first, facets after; the zero-result page; "Trouver ma collectivité"
(the no-JavaScript form and the JSON endpoint behind the combobox)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(demo_in_module, db):
    """The demo, loaded once for this module (tests/conftest.py)."""


def test_results_come_before_the_facets_with_a_skip_link(demo, client):
    html = client.get("/recherche/?q=deliberation").content.decode()
    assert '<a class="skip-link" href="#resultats">Aller aux résultats</a>' in html
    assert html.index('id="resultats"') < html.index('id="facettes"')
    assert 'aria-controls="facettes"' in html and "Filtrer" in html


def test_active_filters_are_shown_on_the_filter_button(demo, client):
    from identity.models import Authority

    merignac = Authority.objects.get(insee_code="33281", kind="commune")
    html = client.get(f"/recherche/?q=deliberation&collectivite={merignac.pk}").content.decode()
    button = html[
        html.index("data-filter-toggle") : html.index("</button>", html.index("data-filter-toggle"))
    ]
    assert '<span class="active-filter">Mérignac</span>' in button


def test_zero_results_span_the_results_area_with_what_to_try(demo, client):
    html = client.get("/recherche/?q=zzzyyyxxx").content.decode()
    assert "search-layout search-layout-single" in html
    assert 'id="facettes"' not in html
    assert "Aucun document ne correspond à « zzzyyyxxx »." in html
    assert "Ce que vous pouvez essayer" in html
    assert "Aller aux résultats" not in html


def test_commune_api_finds_by_name_prefix_without_accents(demo, client):
    response = client.get("/api/v1/communes/", {"q": "meri"})
    assert response.status_code == 200
    data = response.json()
    assert data[0]["name"] == "Mérignac"
    assert data[0]["insee_code"] == "33281"
    assert data[0]["url"].endswith("/bordeaux-metropole/merignac/")


def test_commune_api_finds_by_insee_code_and_caps_the_list(demo, client):
    assert client.get("/api/v1/communes/", {"q": "33281"}).json()[0]["name"] == "Mérignac"
    assert len(client.get("/api/v1/communes/", {"q": "33"}).json()) <= 10
    assert client.get("/api/v1/communes/", {"q": ""}).json() == []
    assert client.get("/api/v1/communes/", {"q": "x" * 101}).status_code == 400


def test_commune_finder_works_without_javascript(demo, client):
    response = client.get("/trouver-ma-collectivite/", {"q": "Mérignac", "aller": "1"})
    assert response.status_code == 302
    assert response["Location"].endswith("/merignac/")
    listing = client.get("/trouver-ma-collectivite/", {"q": "zzz"}).content.decode()
    assert "Aucune commune trouvée" in listing
    empty = client.get("/trouver-ma-collectivite/", {"q": ""})
    assert empty.status_code == 400
    assert "<title>Erreur : " in empty.content.decode()
    assert 'aria-invalid="true"' in empty.content.decode()


def test_home_page_shows_the_finder_and_the_communes(demo, client):
    html = client.get("/").content.decode()
    assert 'id="titre-trouver"' in html
    assert "data-commune-combobox" in html
    assert ">Mérignac</a>" in html

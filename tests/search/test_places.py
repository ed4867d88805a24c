"""Places and pages first (issue item 4): authorities by name, INSEE code, SIREN or postcode,
procedures and portal pages, above the documents; ``authority_code`` beside ``authority``, and
an unknown authority is a 400, never a silent empty answer. On the demo (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from django.urls import reverse
from wagtail.models import Page

from identity.models import Authority
from procedures.models import Procedure, ProcedureStatus
from procedures.selectors import procedures_visible_to
from search import places as places_module
from search.french import STOP_WORDS, analyse
from search.places import Actor, Place, name_words, search_places

pytestmark = pytest.mark.django_db


def procedure_places(user: Actor, text: str, limit: int) -> Iterable[Place]:
    """What procedures/apps.py registers (search may not import procedures): the published
    procedures the requester may see whose title and authority hold every word typed."""
    wanted = set(analyse(" ".join(w for w in name_words(text) if w not in STOP_WORDS)))
    if not wanted:
        return []
    visible = (
        procedures_visible_to(user)
        .filter(status=ProcedureStatus.PUBLISHED, current_revision__isnull=False)
        .select_related("owner")
        .order_by("title", "pk")
    )
    found = []
    for procedure in visible:
        title = " ".join(name_words(procedure.title))
        if wanted <= set(analyse(f"{title} {procedure.owner.name}")):
            found.append(
                Place(
                    kind="procedure",
                    label=procedure.title,
                    url=reverse("procedures:detail", args=[procedure.slug]),
                    description=f"Démarche en ligne · {procedure.owner.name}",
                    rank=0 if title == " ".join(name_words(text)) else 3,
                )
            )
    return found[:limit]


@pytest.fixture
def demo(demo_in_module, db, monkeypatch):
    monkeypatch.setattr(places_module, "_SOURCES", [procedure_places])


def _merignac() -> Authority:
    return Authority.objects.get(kind=Authority.Kind.COMMUNE, insee_code="33281")


def _page_url(authority: Authority) -> str:
    return str(authority.portal_page.url)


def test_merignac_puts_the_commune_first(demo):
    first = search_places(None, "Mérignac")[0]
    assert (first.kind, first.label) == ("authority", "Mérignac")
    assert first.url == _page_url(_merignac())
    assert first.description == "Commune · Gironde · 33281"


@pytest.mark.parametrize("typed", ["merignac", "MÉRIGNAC", "  mérignac "])
def test_names_are_folded(demo, typed):
    assert search_places(None, typed)[0].label == "Mérignac"


def test_abbreviated_saint_and_hyphens_are_ignored(demo):
    saint = Authority.objects.filter(name__startswith="Saint-").first()
    assert saint is not None, "the demo has a Saint-… commune"
    typed = saint.name.replace("Saint-", "St ").replace("-", " ")
    assert search_places(None, typed)[0].label == saint.name


def test_the_search_page_lists_the_commune_above_the_documents(demo, client):
    html = client.get("/recherche/", {"q": "Mérignac"}).content.decode()
    block = html.index("Collectivités, démarches et pages")
    assert block < html.index('id="titre-resultats"')
    first_link = html.index("<a href=", block)
    assert html[first_link:].startswith(f'<a href="{_page_url(_merignac())}"')
    assert "Commune · Gironde · 33281" in html


def test_the_api_lists_places(demo, client):
    body = client.get("/api/v1/search/", {"q": "Mérignac"}).json()
    first = body["places"][0]
    assert first["kind"] == "authority"
    assert first["label"] == "Mérignac"
    assert first["url"] == f"http://testserver{_page_url(_merignac())}"
    assert first["description"] == "Commune · Gironde · 33281"
    for name in ("partial", "matched_words", "missing_words", "suggestions", "reason", "notice"):
        assert name in body
    assert all("missing_words" in hit for hit in body["results"])


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("33281", "Mérignac"), ("243300316", "Bordeaux Métropole"), ("33700", "Mérignac")],
)
def test_codes_and_postcodes_find_their_authority(demo, client, typed, expected):
    assert search_places(None, typed)[0].label == expected
    body = client.get("/api/v1/search/", {"q": typed}).json()
    assert body["places"][0]["label"] == expected


def test_a_contact_postcode_finds_its_authority(demo):
    from identity.models import AuthorityContact

    metropole = Authority.objects.get(siren="243300316")
    AuthorityContact.objects.update_or_create(
        authority=metropole, defaults={"postal_code": "33045"}
    )
    assert [p.label for p in search_places(None, "33045")] == ["Bordeaux Métropole"]


def test_authority_code_filters_like_authority(demo, client):
    merignac = _merignac()
    by_id = client.get("/api/v1/search/", {"q": "conseil", "authority": merignac.pk}).json()
    by_code = client.get("/api/v1/search/", {"q": "conseil", "authority_code": "33281"}).json()
    assert by_code["count"] == by_id["count"] > 0
    assert [r["id"] for r in by_code["results"]] == [r["id"] for r in by_id["results"]]
    both = {"q": "conseil", "authority": merignac.pk, "authority_code": "33281"}
    assert client.get("/api/v1/search/", both).json()["count"] == by_id["count"]
    siren = client.get("/api/v1/search/", {"q": "conseil", "authority_code": "243300316"})
    assert siren.status_code == 200
    assert siren.json()["count"] >= by_id["count"]


def test_the_page_accepts_a_code_too(demo, client):
    html = client.get("/recherche/", {"q": "conseil", "collectivite_code": "33281"})
    assert html.status_code == 200
    assert "Recherche limitée à Mérignac" in html.content.decode()


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"authority_code": "99999"}, "authority_code", "Collectivité inconnue : code « 99999 »"),
        ({"authority": "999999"}, "authority", "Collectivité inconnue"),
        ({"authority_code": "abc"}, "authority_code", "Code de collectivité invalide"),
    ],
)
def test_an_unknown_authority_is_a_400_in_french(demo, client, params, field, message):
    response = client.get("/api/v1/search/", {"q": "conseil", **params})
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert message in response.json()["error"]
    ((name, value),) = params.items()
    page_name = {"authority_code": "collectivite_code", "authority": "collectivite"}[name]
    page = client.get("/recherche/", {"q": "conseil", page_name: value})
    assert page.status_code == 400
    assert message in page.content.decode()


def test_authority_and_a_different_code_is_a_400(demo, client):
    response = client.get(
        "/api/v1/search/", {"q": "conseil", "authority": _merignac().pk, "authority_code": "33063"}
    )
    assert response.status_code == 400
    assert response.json()["field"] == "authority_code"


def test_a_code_shared_by_two_authorities_is_a_400_listing_them(demo, client):
    region = Authority.objects.get(kind=Authority.Kind.REGION, insee_code="75")
    twin = Authority.objects.create(kind=Authority.Kind.DEPARTEMENT, name="Paris", insee_code="75")
    response = client.get("/api/v1/search/", {"q": "conseil", "authority_code": "75"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert region.name in error and twin.name in error
    twin.delete()
    assert client.get("/api/v1/search/", {"authority_code": "75"}).status_code == 200


def test_published_procedures_are_places(demo):
    found = search_places(None, "acte de naissance")
    assert [p.label for p in found if p.kind == "procedure"] == ["Demande d'acte de naissance"]
    assert found[0].kind == "procedure"


def test_a_procedure_that_is_not_public_is_never_a_place(demo, client):
    Procedure.objects.filter(title="Demande d'acte de naissance").update(
        status=ProcedureStatus.DRAFT
    )
    assert not [p for p in search_places(None, "acte de naissance") if p.kind == "procedure"]
    body = client.get("/api/v1/search/", {"q": "acte de naissance"}).json()
    assert not [p for p in body["places"] if p["kind"] == "procedure"]


def test_an_unpublished_page_is_never_a_place(demo, client):
    merignac = _merignac()
    page_url = _page_url(merignac)
    page = Page.objects.get(pk=merignac.portal_page.pk)
    Page.objects.filter(pk=page.pk).update(live=False)
    home = page.get_parent()
    draft = home.add_child(instance=Page(title="Zéphyrine brouillon", slug="zephyrine", live=False))
    urls = [p.url for p in search_places(None, "Mérignac")]
    assert page_url not in urls
    assert search_places(None, "Mérignac")[0].label == "Mérignac"  # still found, no page link
    assert not [p for p in search_places(None, "Zéphyrine") if p.kind == "page"]
    html = client.get("/recherche/", {"q": "Zéphyrine brouillon"}).content.decode()
    assert draft.url_path not in html and "Zéphyrine brouillon</a>" not in html


def test_live_portal_pages_are_places(demo):
    merignac_page = _page_url(_merignac())
    found = search_places(None, "Mérignac")
    # The commune's page is listed once, as the commune.
    assert [p.url for p in found].count(merignac_page) == 1

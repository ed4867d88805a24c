"""The public authority page shows how to reach the authority (« Coordonnées ») and describes
it for search engines as a schema.org GovernmentOrganization (JSON-LD)."""

from __future__ import annotations

import html as html_lib
import io
import json
import re

import pytest

from civis.portal.demo.contacts import load_contacts
from civis.portal.models import HomePage
from civis.portal.services import authority_pages_sync, home_page_ensure
from identity import services
from identity.models import Authority, AuthorityContact
from tests.factories import make_territory

pytestmark = pytest.mark.django_db
NBSP = "\u00a0"
MERIGNAC = "/nouvelle-aquitaine/bordeaux-metropole/merignac/"


@pytest.fixture
def territory():
    places = make_territory()
    home = home_page_ensure(title="Portail", territory=places["region"])
    authority_pages_sync(home=home, authorities=list(places.values()))
    return places


def fill_merignac(merignac: Authority, **overrides: str) -> AuthorityContact:
    fields = {
        "street_address": "Hôtel de ville\n1 place de la République",
        "postal_code": "33700",
        "city": "Mérignac",
        "opening_hours": "Lu-Ve 08:30-12:00,13:30-17:00; Sa 09:00-12:00",
        "opening_hours_note": "Fermé les jours fériés.",
        "phone": "05 36 49 10 00",
        "email": "accueil@merignac.demo.civis.invalid",
        "contact_url": "https://www.merignac.demo.civis.invalid/ecrire",
        "website": "https://www.merignac.demo.civis.invalid/",
        **overrides,
    }
    return services.authority_contact_update(actor=None, authority=merignac, **fields)


def jsonld(html: str) -> dict:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def coordinates(html: str) -> str:
    match = re.search(r'<section aria-labelledby="titre-coordonnees".*?</section>', html, re.S)
    assert match, "no « Coordonnées » block"
    return match.group(0)


def test_the_page_shows_the_coordinates_block(territory, client):
    fill_merignac(territory["merignac"])
    html = client.get(MERIGNAC).content.decode()
    block = coordinates(html)
    assert '<h2 id="titre-coordonnees">Coordonnées</h2>' in block
    assert "<address>" in block and "<dl" in block
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", block)).replace(NBSP, " ")
    text = " ".join(text.split())
    assert "Hôtel de ville 1 place de la République 33700 Mérignac" in text
    assert "Du lundi au vendredi de 8 h 30 à 12 h et de 13 h 30 à 17 h" in text
    assert "Le samedi de 9 h à 12 h" in text
    assert "Fermé les jours fériés." in text
    assert f'<a href="tel:+33536491000">05{NBSP}36{NBSP}49{NBSP}10{NBSP}00</a>' in block
    assert (
        '<a href="mailto:accueil@merignac.demo.civis.invalid">'
        "accueil@merignac.demo.civis.invalid</a>" in block
    )
    assert '<a href="https://www.merignac.demo.civis.invalid/" rel="noopener external">' in block
    assert '<a href="https://www.merignac.demo.civis.invalid/ecrire" rel="noopener external">' in (
        block
    )
    assert "(site externe)" in text


def test_no_block_without_coordinates_but_the_organisation_is_described(territory, client):
    html = client.get(MERIGNAC).content.decode()
    assert 'id="titre-coordonnees"' not in html
    data = jsonld(html)
    assert data["@type"] == "GovernmentOrganization" and data["name"] == "Mérignac"
    assert "address" not in data and "telephone" not in data


def test_the_jsonld_describes_a_government_organization(territory, client):
    fill_merignac(territory["merignac"])
    data = jsonld(client.get(MERIGNAC).content.decode())
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "GovernmentOrganization"
    assert data["name"] == "Mérignac"
    assert data["address"] == {
        "@type": "PostalAddress",
        "streetAddress": "Hôtel de ville, 1 place de la République",
        "postalCode": "33700",
        "addressLocality": "Mérignac",
        "addressCountry": "FR",
    }
    assert data["telephone"] == "+33536491000"
    assert data["email"] == "accueil@merignac.demo.civis.invalid"
    assert data["url"] == "https://www.merignac.demo.civis.invalid/"
    assert data["contactPoint"]["url"] == "https://www.merignac.demo.civis.invalid/ecrire"
    assert {(i["propertyID"], i["value"]) for i in data["identifier"]} == {
        ("SIREN", "213302813"),
        ("INSEE", "33281"),
    }
    assert data["parentOrganization"]["name"] == "Bordeaux Métropole"
    assert data["parentOrganization"]["url"].endswith("/nouvelle-aquitaine/bordeaux-metropole/")
    assert data["mainEntityOfPage"].endswith(MERIGNAC)
    hours = data["openingHoursSpecification"]
    assert len(hours) == 3
    assert hours[0]["@type"] == "OpeningHoursSpecification"
    assert hours[0]["dayOfWeek"][0] == "https://schema.org/Monday"
    assert (hours[1]["opens"], hours[1]["closes"]) == ("13:30", "17:00")


def test_no_field_can_break_out_of_the_jsonld_script(territory, client):
    # Only the free-text fields can hold « < »; the name comes from the territory import.
    evil = "</script><script>alert(1)</script>"
    fill_merignac(territory["merignac"], city=f"Mérignac {evil}", opening_hours_note=evil)
    merignac = territory["merignac"]
    merignac.name = f"Mérignac {evil}"
    merignac.save()
    html = client.get(MERIGNAC).content.decode()
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert script
    data = json.loads(script.group(1))
    assert data["name"] == f"Mérignac {evil}"
    assert data["address"]["addressLocality"] == f"Mérignac {evil}"
    assert "<script>alert(1)" not in html
    assert html.count("<script") == html.count("</script>")


def test_the_block_costs_no_query_more_when_filled(territory, client):
    """Address, hours, links and JSON-LD (with the parent's page URL) come from rows the page
    reads anyway: a filled-in contact costs what an empty one does (at most the contact row,
    none once the page's context selects it with the authority)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(MERIGNAC)  # warm Wagtail's per-site caches
    with CaptureQueriesContext(connection) as empty:
        client.get(MERIGNAC)
    fill_merignac(territory["merignac"])
    with CaptureQueriesContext(connection) as filled:
        assert "titre-coordonnees" in client.get(MERIGNAC).content.decode()
    assert len(filled) == len(empty)
    assert sum("identity_authoritycontact" in q["sql"] for q in filled.captured_queries) <= 1


def test_the_policy_needs_no_exception_for_the_data_block(territory, client):
    """The JSON-LD block is data (the browser runs no script of that type), so the strict
    policy stands as it is: no 'unsafe-inline', no hash for it."""
    fill_merignac(territory["merignac"])
    response = client.get(MERIGNAC)
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy


def test_the_demo_contacts_load_once(territory):
    output = io.StringIO()
    assert load_contacts(output) == 3  # Mérignac, Bordeaux Métropole, Bordeaux of this territory
    assert "3 collectivité(s)" in output.getvalue()
    assert load_contacts(io.StringIO()) == 0
    merignac = AuthorityContact.objects.get(authority=territory["merignac"])
    assert merignac.phone.startswith("+335364910")
    assert HomePage.objects.count() == 1

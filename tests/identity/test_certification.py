"""« Service public certifié »: granted and withdrawn by superusers only (audited), through a
small admin screen only they see; the badge on the authority page, its documents and search
results, and a discreet « Éditeur non certifié » mark for the others."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from civis.portal.services import authority_pages_sync, home_page_ensure
from identity import services
from identity.models import Authority
from tests.factories import make_agent, make_territory, make_user
from tests.search.factories import make_document

pytestmark = pytest.mark.django_db
MERIGNAC = "/nouvelle-aquitaine/bordeaux-metropole/merignac/"
BADGE = "Service public certifié"
UNCERTIFIED = "Éditeur non certifié"


@pytest.fixture
def territory():
    places = make_territory()
    home = home_page_ensure(title="Portail", territory=places["region"])
    authority_pages_sync(home=home, authorities=list(places.values()))
    return places


@pytest.fixture
def superuser():
    return make_user("superviseur", is_superuser=True, is_staff=True)


def test_a_superuser_certifies_and_uncertifies_with_an_audit_row_each(territory, superuser):
    merignac = territory["merignac"]
    services.authority_certify(actor=superuser, authority=merignac, certified=True)
    merignac.refresh_from_db()
    assert merignac.is_certified and merignac.certified_by == superuser
    services.authority_certify(actor=superuser, authority=merignac, certified=True)  # no change
    services.authority_certify(actor=superuser, authority=merignac, certified=False)
    merignac.refresh_from_db()
    assert not merignac.is_certified and merignac.certified_by is None
    events = AuditEvent.objects.filter(action=AuditEvent.Action.CERTIFY).order_by("pk")
    assert [(e.actor, e.authority_id, e.detail["certified"]) for e in events] == [
        (superuser, merignac.pk, True),
        (superuser, merignac.pk, False),
    ]


@pytest.mark.parametrize("who", ["nobody", "citizen", "publisher", "territory_admin"])
def test_nobody_but_a_superuser_may_certify(territory, who):
    merignac = territory["merignac"]
    actor = {
        "nobody": None,
        "citizen": make_user(),
        "publisher": make_agent(roles=[(merignac, "publisher")]),
        "territory_admin": make_agent(roles=[(territory["region"], "territory_admin")]),
    }[who]
    with pytest.raises(PermissionDenied):
        services.authority_certify(actor=actor, authority=merignac, certified=True)
    assert not Authority.objects.get(pk=merignac.pk).is_certified
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CERTIFY).exists()


def test_the_admin_screen_certifies_for_a_superuser(territory, superuser):
    client = Client()
    client.force_login(superuser)
    index = client.get(reverse("civis_certification"), {"q": "Mérignac"})
    assert index.status_code == 200
    assert "Certifier Mérignac" in index.content.decode()
    merignac = territory["merignac"]
    response = client.post(
        reverse("civis_certification_set", args=[merignac.pk]),
        {"certified": "1", "next": "https://ailleurs.example/"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("civis_certification")
    assert Authority.objects.get(pk=merignac.pk).is_certified
    page = client.get(reverse("civis_certification"), {"certifiees": "1"}).content.decode()
    assert "Retirer la certification de Mérignac" in page
    assert "Bordeaux Métropole" not in page
    admin_home = client.get("/admin/").content.decode()
    assert reverse("civis_certification") in admin_home  # the menu item


def test_the_admin_screen_refuses_an_administrator(territory):
    admin = make_agent(roles=[(territory["region"], "territory_admin")])
    client = Client()
    client.force_login(admin)
    # Wagtail turns the refusal (PermissionDenied) into a return to the admin's home.
    refused = client.get(reverse("civis_certification"))
    assert refused.status_code == 302 and refused["Location"] == "/admin/"
    merignac = territory["merignac"]
    response = client.post(
        reverse("civis_certification_set", args=[merignac.pk]), {"certified": "1"}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert not Authority.objects.get(pk=merignac.pk).is_certified
    assert reverse("civis_certification") not in client.get("/admin/").content.decode()
    assert Client().get(reverse("civis_certification")).status_code == 302  # to the sign-in


def test_the_badge_shows_on_the_authority_page_document_and_search(client, territory, superuser):
    merignac, bordeaux = territory["merignac"], territory["bordeaux"]
    services.authority_certify(actor=superuser, authority=merignac, certified=True)
    certified_doc = make_document(merignac, "Budget primitif de Mérignac", text="budget")
    other_doc = make_document(bordeaux, "Budget primitif de Bordeaux", text="budget")

    page = client.get(MERIGNAC).content.decode()
    assert BADGE in page and UNCERTIFIED not in page
    bordeaux_page = client.get("/nouvelle-aquitaine/bordeaux-metropole/bordeaux/").content.decode()
    assert UNCERTIFIED in bordeaux_page and BADGE not in bordeaux_page

    detail = client.get(reverse("document_detail", args=[certified_doc.pk])).content.decode()
    assert BADGE in detail
    assert (
        UNCERTIFIED in client.get(reverse("document_detail", args=[other_doc.pk])).content.decode()
    )

    results = client.get(reverse("search"), {"q": "budget primitif"}).content.decode()
    assert "Budget primitif de Mérignac" in results and "Budget primitif de Bordeaux" in results
    assert results.count(BADGE) == 1 and results.count(UNCERTIFIED) == 1

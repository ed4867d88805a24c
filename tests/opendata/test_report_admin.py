"""Admin > Signalements, and the whole journey: a visitor reports an error in a resource, the
owner's publisher sees it in the admin and handles it (dismissed with a reason, or fixed, or
withdrawn), the visitor is told (mail, address erased; or in their space when signed in); a
publisher of another authority neither sees nor handles it (404); administrators see the counts
per authority of their scope; every step is in the audit log."""

from __future__ import annotations

import time

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from documents.models import Status
from identity.models import Membership
from opendata.models import Dataset, Report
from opendata.report_views import form_token
from tests.factories import (
    make_agent,
    make_dataset,
    make_dataset_resource,
    make_open_document,
    make_report,
    make_territory,
    make_user,
)

MESSAGE = "La colonne « montant » est vide pour les lignes 10 à 20 du fichier 2026."


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }


@pytest.fixture
def places(db):
    places = make_territory()
    places["publisher"] = make_agent(roles=[(places["merignac"], Membership.Role.PUBLISHER)])
    places["bordeaux_publisher"] = make_agent(
        roles=[(places["bordeaux"], Membership.Role.PUBLISHER)]
    )
    places["metro_admin"] = make_agent(roles=[(places["metropole"], Membership.Role.ADMIN)])
    places["agent"] = make_agent(roles=[(places["merignac"], Membership.Role.AGENT)])
    return places


def visitor_reports(client: Client, target: str, key: str, **fields) -> None:
    data = {
        "reason": "data_error",
        "message": MESSAGE,
        "token": form_token(target, key, at=time.time() - 30),
        "site_web": "",
        **fields,
    }
    response = client.post(reverse("opendata:report", args=[target, key]), data)
    assert response.status_code == 200, response.content.decode()[:1500]


def handle(client: Client, report: Report, decision: str, outcome: str):
    return client.post(
        reverse("opendata_report", args=[report.pk]), {"decision": decision, "outcome": outcome}
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_visitor_reports_an_error_the_publisher_dismisses_it_the_visitor_is_told(
    places, django_capture_on_commit_callbacks
):
    dataset = make_dataset(places["merignac"], title="Budget primitif 2026")
    resource = make_dataset_resource(dataset, title="Budget 2026 (CSV)")
    visitor = Client()
    visitor_reports(
        visitor,
        "dataset",
        str(dataset.identifier),
        ressource=str(resource.pk),
        reporter_email="visiteur@example.org",
    )
    report = Report.objects.get()

    publisher = Client()
    publisher.force_login(places["publisher"])
    listing = publisher.get(reverse("opendata_reports"))
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "Budget primitif 2026" in html and "Erreur dans les données" in html
    assert "1 signalement à traiter" in html
    assert "Signalements par collectivité" not in html  # a publisher, not an administrator
    detail = publisher.get(reverse("opendata_report", args=[report.pk]))
    assert "Ressource « Budget 2026 (CSV) »" in detail.content.decode()
    assert "Par courriel" in detail.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = handle(
            publisher,
            report,
            "dismiss",
            "Les montants sont ceux du budget voté, ligne 10 comprise.",
        )
    assert response.status_code == 302
    assert messages_of(response) == [
        "Signalement classé sans suite. La personne est informée de la réponse."
    ]
    (message,) = mail.outbox
    assert message.to == ["visiteur@example.org"]
    assert "classé sans suite" in message.subject and "Budget primitif 2026" in message.subject
    assert "Les montants sont ceux du budget voté" in message.body
    report.refresh_from_db()
    assert report.status == Report.Status.DISMISSED and report.reporter_email == ""
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    assert actions[-2:] == ["report", "moderate"]
    # Handled once: a second decision is refused.
    again = handle(publisher, report, "withdraw", "Retiré finalement.")
    assert again.status_code == 400 and "déjà été traité" in again.content.decode()
    dataset.refresh_from_db()
    assert dataset.status == Dataset.Status.PUBLISHED


def test_a_signed_in_visitor_reports_a_document_it_is_withdrawn_they_see_it_in_their_space(
    places, django_capture_on_commit_callbacks
):
    document = make_open_document(places["merignac"], title="Liste des électeurs")
    citizen = make_user()
    visitor = Client()
    visitor.force_login(citizen)
    visitor_reports(visitor, "document", str(document.pk), reason="personal_data")
    report = Report.objects.get()
    publisher = Client()
    publisher.force_login(places["publisher"])
    with django_capture_on_commit_callbacks(execute=True):
        response = handle(
            publisher, report, "withdraw", "Document retiré : il contenait des adresses."
        )
    assert response.status_code == 302
    assert mail.outbox == []  # told in their space
    document.refresh_from_db()
    assert document.status == Status.WITHDRAWN
    assert Client().get(reverse("document_detail", args=[document.pk])).status_code == 404
    assert AuditEvent.objects.filter(action="withdraw", document=document).exists()
    space = visitor.get(reverse("citizen_space")).content.decode()
    assert "Mes signalements" in space and "Liste des électeurs" in space
    assert "Corrigé ou retiré" in space and "il contenait des adresses" in space


def test_a_publisher_of_another_authority_can_neither_see_nor_handle_it(places):
    report = make_report(make_dataset(places["merignac"], title="Subventions Mérignac"))
    other = Client()
    other.force_login(places["bordeaux_publisher"])
    listing = other.get(reverse("opendata_reports"), {"statut": "all"})
    assert listing.status_code == 200 and "Subventions Mérignac" not in listing.content.decode()
    assert other.get(reverse("opendata_report", args=[report.pk])).status_code == 404
    assert handle(other, report, "withdraw", "Retiré.").status_code == 404
    report.refresh_from_db()
    assert report.status == Report.Status.OPEN
    assert not AuditEvent.objects.filter(action__in=["moderate", "withdraw"]).exists()


def test_agents_without_publishing_rights_and_citizens_are_kept_out(places):
    report = make_report(make_dataset(places["merignac"]))
    client = Client()
    client.force_login(places["agent"])
    assert client.get(reverse("opendata_reports")).status_code in (302, 403)
    assert client.get(reverse("opendata_report", args=[report.pk])).status_code in (302, 403, 404)
    client.force_login(make_user())
    assert client.get(reverse("opendata_report", args=[report.pk])).status_code in (302, 403, 404)


def test_administrators_see_counts_per_authority_of_their_scope(places):
    merignac = make_dataset(places["merignac"])
    bordeaux = make_dataset(places["bordeaux"])
    make_report(merignac)
    make_report(merignac, status=Report.Status.DISMISSED, outcome="Non.")
    make_report(bordeaux, status=Report.Status.RESOLVED, outcome="Corrigé.")
    make_report(make_dataset(places["arcachon"]))  # outside the métropole
    client = Client()
    client.force_login(places["metro_admin"])
    html = client.get(reverse("opendata_reports")).content.decode()
    assert "Signalements par collectivité" in html
    table = html.split("Signalements par collectivité")[1]
    assert "Mérignac</th><td>1</td><td>1</td><td>0</td><td>2</td>" in table
    assert "Bordeaux</th><td>0</td><td>0</td><td>1</td><td>1</td>" in table
    assert "Arcachon" not in table


def test_a_decision_needs_an_outcome(places):
    report = make_report(make_dataset(places["merignac"]))
    client = Client()
    client.force_login(places["publisher"])
    response = handle(client, report, "dismiss", "")
    assert response.status_code == 400
    assert "Indiquez la réponse faite à la personne." in response.content.decode()
    response = handle(client, report, "", "Vu.")
    assert response.status_code == 400 and "Choisissez une décision." in response.content.decode()
    report.refresh_from_db()
    assert report.status == Report.Status.OPEN


def test_the_menu_shows_signalements_to_publishers(places):
    client = Client()
    client.force_login(places["publisher"])
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    link = reverse("opendata_reports")
    assert "Signalements" in home and (link in home or link.replace("/", "\\/") in home)
    client.force_login(places["agent"])
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert link not in home and link.replace("/", "\\/") not in home

"""The audit log as administrators use it: Paris times, sentences, filters, search, CSV."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import audit_record
from documents import services
from documents.admin.audit_text import describe_event, recent_events_for_document
from documents.models import Audience
from identity.models import Membership
from identity.services import membership_grant
from tests.factories import make_user

pytestmark = pytest.mark.django_db
UTC = datetime.UTC
LOG = "/admin/journal/"


def at(event: AuditEvent, year, month, day, hour, minute=0) -> AuditEvent:
    AuditEvent.objects.filter(pk=event.pk).update(
        at=datetime.datetime(year, month, day, hour, minute, tzinfo=UTC)
    )
    event.refresh_from_db()
    return event


@pytest.fixture
def merignac_admin(territory):
    user = make_user("admin-merignac", kind="agent", first_name="Jeanne", last_name="Martin")
    membership_grant(actor=None, user=user, authority=territory.merignac, role="admin")
    return user


def html_of(client, user, **params) -> str:
    client.force_login(user)
    response = client.get(LOG, params)
    assert response.status_code == 200, response.content.decode()[-2000:]
    return response.content.decode()


def test_the_url_is_the_contract_one():
    assert reverse("civis_audit_log") == LOG


def test_times_are_paris_times_and_say_so(client, territory, publish):
    document = publish(title="Arrêté de voirie")
    at(AuditEvent.objects.get(document=document, action="publish"), 2026, 7, 1, 10)
    at(AuditEvent.objects.get(document=document, action="create"), 2026, 1, 15, 10)
    html = html_of(client, territory.region_admin)
    assert "Date (heure de Paris)" in html and "Date (UTC)" not in html
    assert "01/07/2026 12:00:00" in html  # summer: UTC+2
    assert "15/01/2026 11:00:00" in html  # winter: UTC+1
    assert 'datetime="2026-07-01T10:00:00+00:00"' in html  # the stored UTC, machine-readable


def test_events_read_as_sentences_never_as_raw_data(client, territory, publish):
    document = publish(title="Délibération cantine")
    services.document_edit(
        actor=territory.publisher, document=document, title="Délibération cantine 2027"
    )
    audit_record(actor=None, action="publish", document=document, scheduled=True)
    audit_record(actor=None, action="withdraw", document=document, reason="expired")
    audit_record(
        actor=territory.publisher,
        action="send_back",
        document=document,
        comment="Il manque la signature.",
    )
    audit_record(
        actor=territory.publisher,
        action="schedule",
        document=document,
        go_live_at="2027-01-14T23:00:00+00:00",
        expire_at=None,
    )
    jeanne = make_user("jmartin", kind="agent", first_name="Jeanne", last_name="Martin")
    membership_grant(
        actor=territory.region_admin,
        user=jeanne,
        authority=territory.merignac,
        role=Membership.Role.PUBLISHER,
        starts_on=datetime.date(2026, 7, 1),
    )
    html = html_of(client, territory.region_admin)
    assert "<code>" not in html and "{&#x27;" not in html and "changed" not in html
    assert (
        "Sacha Bernard (editeur-merignac)" not in html  # the fixture's publisher has no name
        and "editeur-merignac a modifié le document « Délibération cantine 2027 » : "
        "titre : « Délibération cantine » → « Délibération cantine 2027 »"
        in html
    )
    assert "Système : le document « Délibération cantine 2027 » mis en ligne" in html
    assert "retiré automatiquement (fin d&#x27;affichage)" in html
    assert "renvoyé le document « Délibération cantine 2027 » pour corrections" in html
    assert "« Il manque la signature. »" in html
    assert "mise en ligne le 15/01/2027 00:00" in html  # Paris midnight
    assert (
        "admin-region a accordé le rôle « Éditeur » à Jeanne Martin (jmartin) pour Mérignac"
        " — rôles à Mérignac : aucun → Éditeur depuis le 01/07/2026" in html
    )


def test_describe_event_without_annotation_names_everything():
    user = make_user("jmartin", kind="agent", first_name="Jeanne", last_name="Martin")
    event = audit_record(
        actor=None, action="lockout", username="jmartin", failures=5, path="/admin/login/"
    )
    assert describe_event(event) == (
        "Connexion bloquée pour l'identifiant « jmartin » après 5 échec(s) (/admin/login/)"
    )
    event = audit_record(
        actor=user, action="unlock", target="192.0.2.1", kind="ip_address", attempts=3
    )
    assert describe_event(event).startswith(
        "Jeanne Martin (jmartin) a débloqué la connexion de l'adresse IP « 192.0.2.1 »"
    )


def test_each_filter_narrows_the_log(client, territory, publish, merignac_admin):
    cantine = publish(title="Menu de la cantine")
    voirie = publish(title="Arrêté de voirie", owner=territory.bordeaux)
    services.document_edit(actor=territory.publisher, document=cantine, summary="Nouveau")
    # 2026-06-30 22:30 UTC is 1 July 00:30 in Paris; 1 July 22:30 UTC is already 2 July.
    at(AuditEvent.objects.get(document=cantine, action="publish"), 2026, 6, 30, 22, 30)
    at(AuditEvent.objects.get(document=voirie, action="publish"), 2026, 7, 1, 22, 30)
    admin = territory.region_admin

    def listed(**params) -> str:
        return html_of(client, admin, **params)

    day = listed(**{"from": "2026-07-01", "to": "2026-07-01"})
    assert "Menu de la cantine" in day and "Arrêté de voirie" not in day
    assert "Arrêté de voirie" in listed(**{"from": "2026-07-02"})
    assert "Menu de la cantine" not in listed(**{"from": "2026-07-02", "action": "publish"})

    by_action = listed(action="update")
    assert "Menu de la cantine" in by_action and "Arrêté de voirie" not in by_action

    by_authority = listed(authority=territory.bordeaux.pk)
    assert "Arrêté de voirie" in by_authority and "Menu de la cantine" not in by_authority

    by_document = listed(document=voirie.pk)
    assert "Arrêté de voirie" in by_document and "Menu de la cantine" not in by_document
    assert "Historique du document « Arrêté de voirie »" in by_document

    by_actor = listed(actor=territory.publisher.pk)
    assert "a modifié le document « Menu de la cantine »" in by_actor
    assert "a publié" not in by_actor  # the demo loader (the system) published
    assert "Événements de editeur-merignac" in by_actor
    assert listed(actor="editeur").count("a modifié") == 1
    assert "a modifié" not in listed(actor="personne-inconnue")

    assert "Arrêté de voirie" in listed(q="voirie") and "cantine" not in listed(q="voirie")
    assert "a modifié" in listed(q="editeur-merignac")
    assert "a publié" not in listed(q="editeur-merignac")


def test_searching_a_person_by_name_finds_their_events(client, territory, publish):
    document = publish(title="Budget primitif")
    jeanne = make_user("jmartin", kind="agent", first_name="Jeanne", last_name="Martin")
    membership_grant(actor=None, user=jeanne, authority=territory.merignac, role="publisher")
    services.document_edit(actor=jeanne, document=document, summary="Voté")
    html = html_of(client, territory.region_admin, q="Jeanne Martin")
    assert "Jeanne Martin (jmartin) a modifié" in html and "a publié" not in html
    html = html_of(client, territory.region_admin, actor="martin")
    assert "Jeanne Martin (jmartin) a modifié" in html


def test_a_filter_never_widens_the_scope(client, territory, publish, merignac_admin):
    theirs = publish(
        title="Arrêté de Bordeaux", owner=territory.bordeaux, audience=Audience.RESTRICTED
    )
    publish(title="Arrêté de Mérignac")
    for params in (
        {"authority": territory.bordeaux.pk},
        {"authority": territory.metropole.pk},
        {"document": theirs.pk},
        {"q": "Bordeaux"},
        {"authority": 999999},
    ):
        html = html_of(client, merignac_admin, **params)
        assert "Arrêté de Bordeaux" not in html and "Aucun événement" in html, params
    # The list of authorities offered is the scope.
    html = html_of(client, merignac_admin)
    assert f'<option value="{territory.merignac.pk}">Mérignac</option>' in html
    assert f'value="{territory.bordeaux.pk}"' not in html


def test_searches_never_reveal_what_a_row_would_hide(client, territory, publish):
    reader = make_user("zz-lectrice", first_name="Zoé", last_name="Zinc")
    personal = publish(
        audience=Audience.PERSONAL, addressee=reader, title="Zz avis de droits confidentiel"
    )
    citizen = client.__class__()
    citizen.force_login(reader)
    assert citizen.get(f"/documents/{personal.pk}/").status_code == 200
    assert AuditEvent.objects.filter(actor=reader, action="view").exists()
    admin = territory.region_admin  # above Mérignac: neither the title nor the reader
    for params in ({"q": "confidentiel"}, {"q": "Zinc"}, {"actor": reader.pk}, {"actor": "zoé"}):
        html = html_of(client, admin, **params)
        assert "Aucun événement" in html, params
    assert f"Document n° {personal.pk}" in html_of(client, admin)  # unfiltered: the row, masked


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2026-13-01"}, "Date invalide : attendu AAAA-MM-JJ."),
        ({"to": "hier"}, "Date invalide : attendu AAAA-MM-JJ."),
        ({"from": "0001-01-01"}, "Date hors des limites du journal."),
        ({"from": "2026-07-02", "to": "2026-07-01"}, "La date de fin doit suivre la date de début"),
        ({"action": "pirater"}, "Action inconnue."),
        ({"authority": "abc"}, "Collectivité invalide"),
        ({"document": "-4"}, "Numéro de document invalide."),
        ({"document": "9" * 40}, "Numéro de document invalide."),
        ({"format": "xlsx"}, "Format d&#x27;export inconnu"),
        ({"q": "x" * 500}, "200"),
    ],
)
def test_bad_filter_values_get_a_french_message(client, territory, params, message):
    client.force_login(territory.region_admin)
    response = client.get(LOG, params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_pages_of_fifty_keep_the_filters(client, territory, publish):
    document = publish(title="Très modifié")
    for _i in range(60):
        audit_record(actor=territory.publisher, action="update", document=document, changed={})
    html = html_of(client, territory.region_admin, action="update")
    assert html.count("a modifié") == 50
    assert "?action=update&amp;p=2" in html
    page2 = html_of(client, territory.region_admin, action="update", p=2)
    assert page2.count("a modifié") == 10
    assert "61 journal d&#x27;audit" not in page2  # the count is of the filtered view
    assert html_of(client, territory.region_admin, action="update", p="abc").count("a modifié")


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_the_csv_export_is_the_filtered_view_and_is_audited(client, territory, publish):
    cantine = publish(title='=HYPERLINK("http://pirate") cantine')
    publish(title="Arrêté de voirie", owner=territory.bordeaux)
    at(AuditEvent.objects.get(document=cantine, action="publish"), 2026, 7, 1, 10)
    client.force_login(territory.region_admin)
    response = client.get(LOG, {"q": "cantine", "action": "publish", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="journal-audit-')
    rows = read_csv(response)
    assert rows[0] == [
        "Date (heure de Paris)",
        "Date (UTC, ISO 8601)",
        "Auteur",
        "Action",
        "Description",
        "Document n°",
        "Collectivité",
        "Adresse IP",
    ]
    assert len(rows) == 2
    row = rows[1]
    assert row[0] == "01/07/2026 12:00:00" and row[1] == "2026-07-01T10:00:00+00:00"
    assert row[2] == "Système" and row[3] == "Publication" and row[6] == "Mérignac"
    assert row[4] == 'Système a publié le document « =HYPERLINK("http://pirate") cantine »'
    assert row[5] == str(cantine.pk)

    export = AuditEvent.objects.get(action="export")
    assert export.actor == territory.region_admin
    assert export.detail == {
        "format": "csv",
        "filters": {"action": "publish", "q": "cantine"},
        "count": 1,
    }
    assert export.authority == territory.region  # the exporter's own: their log shows it
    html = html_of(client, territory.region_admin, action="export")
    assert (
        "admin-region a exporté le journal d&#x27;audit (CSV, 1 événement(s) ; "
        "action : Publication, recherche « cantine »)" in html
    )


def test_a_cell_never_becomes_a_spreadsheet_formula(client, territory, publish):
    publish(title="Titre ordinaire")
    hostile = make_user("=cmd", kind="agent")
    membership_grant(actor=None, user=hostile, authority=territory.merignac, role="publisher")
    document = publish(title="Autre")
    services.document_edit(actor=hostile, document=document, summary="x")
    client.force_login(territory.region_admin)
    rows = read_csv(client.get(LOG, {"action": "update", "format": "csv"}))
    assert rows[1][2] == "'=cmd"


def test_the_export_keeps_personal_documents_hidden(client, territory, publish):
    reader = make_user("zz-lectrice")
    personal = publish(audience=Audience.PERSONAL, addressee=reader, title="Zz confidentiel")
    citizen = client.__class__()
    citizen.force_login(reader)
    citizen.get(f"/documents/{personal.pk}/")
    client.force_login(territory.region_admin)
    body = "\n".join(";".join(r) for r in read_csv(client.get(LOG, {"format": "csv"})))
    assert "Zz confidentiel" not in body and "zz-lectrice" not in body
    assert f"le document n° {personal.pk}" in body


def test_a_document_trail_for_its_edit_screen(territory, publish):
    document = publish(title="Compte rendu")
    services.document_edit(actor=territory.publisher, document=document, title="Compte rendu v2")
    trail = recent_events_for_document(territory.publisher, document)
    assert [event.action for event in trail] == ["update", "publish", "create"]
    assert describe_event(trail[0]) == (
        "editeur-merignac a modifié le document « Compte rendu v2 » : "
        "titre : « Compte rendu » → « Compte rendu v2 »"
    )
    assert len(recent_events_for_document(territory.publisher, document, limit=1)) == 1
    assert recent_events_for_document(territory.bordeaux_agent, document) == []
    assert recent_events_for_document(territory.agent, document) == []  # reads, edits not


def test_people_without_a_log_are_refused(client, territory):
    client.force_login(territory.publisher)
    assert client.get(LOG).status_code in (302, 403)
    assert client.get(LOG, {"format": "csv"}).status_code in (302, 403)
    assert not AuditEvent.objects.filter(action="export").exists()

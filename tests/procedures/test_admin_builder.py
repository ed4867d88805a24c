"""Admin > Démarches as a publisher builds a procedure: the menu item, creating a draft, its
settings (webhook URL checked, secret kept when left blank), the form builder without
JavaScript (rows ordered by position, children of a repeat block, conditions, French errors
from validate_definition, "Ajouter un champ"), the preview, publishing with a confirmation,
closing and reopening, instructors, passerelle tokens (shown once, revoked) and the webhook
delivery log. Someone outside the owner's publishers gets 404 on every page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

import procedures.wagtail_hooks  # noqa: F401 (registers the admin section's hooks)
from audit.models import AuditEvent
from identity.models import Membership
from procedures.models import ApiToken, Procedure, ProcedureStatus, WebhookDelivery
from tests.factories import make_agent, make_territory
from tests.procedures.factories import make_procedure, make_request


@pytest.fixture
def places(db):
    places = make_territory()
    places["publisher"] = make_agent("publie", roles=[(places["merignac"], "publisher")])
    places["agent"] = make_agent("agent", roles=[(places["merignac"], Membership.Role.AGENT)])
    places["bordeaux_publisher"] = make_agent(
        "bx", roles=[(places["bordeaux"], Membership.Role.PUBLISHER)]
    )
    return places


def rows_data(rows: list[dict[str, Any]], *, initial: int = 0) -> dict[str, Any]:
    data: dict[str, Any] = {
        "champs-TOTAL_FORMS": str(len(rows)),
        "champs-INITIAL_FORMS": str(initial),
        "champs-MIN_NUM_FORMS": "0",
        "champs-MAX_NUM_FORMS": "300",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            if value is True:
                value = "on"
            data[f"champs-{index}-{key}"] = value
    return data


def test_menu_item_for_publishers_not_plain_agents(client: Client, places) -> None:
    client.force_login(places["publisher"])
    assert reverse("procedures_admin_list") in client.get("/admin/").content.decode()
    client.force_login(places["agent"])
    assert reverse("procedures_admin_list") not in client.get("/admin/").content.decode()
    assert client.get(reverse("procedures_admin_list")).status_code in (302, 403)


def test_create_then_build_preview_and_publish(client: Client, places) -> None:
    client.force_login(places["publisher"])
    response = client.post(
        reverse("procedures_admin_create"),
        {
            "owner": places["merignac"].pk,
            "title": "Inscription scolaire",
            "slug": "",
            "eligibility": "signed_in",
            "expected_days": "30",
            "silence_means": "refusal",
            "retention_days": "1825",
        },
    )
    assert response.status_code == 302, response.content.decode()
    procedure = Procedure.objects.get(title="Inscription scolaire")
    assert response["Location"] == reverse("procedures_admin_builder", args=[procedure.pk])
    builder = reverse("procedures_admin_builder", args=[procedure.pk])
    page = client.get(builder)
    assert page.status_code == 200
    assert "Ajouter un champ" in page.content.decode()

    rows = [
        {"position": "30", "type": "yesno", "key": "cantine", "label": "Cantine ?"},
        {"position": "10", "type": "text", "key": "nom_enfant", "label": "Nom", "required": True},
        {
            "position": "40",
            "type": "attachment",
            "key": "justificatif",
            "label": "Justificatif",
            "condition_field": "cantine",
            "condition_value": "oui",
            "allowed_types": "pdf, png",
            "max_size_mb": "2",
        },
        {"position": "50", "type": "repeat", "key": "freres", "label": "Frères et sœurs"},
        {"position": "60", "type": "text", "key": "prenom", "label": "Prénom", "parent": "freres"},
        {"position": "20", "type": "choice", "key": "ecole", "label": "École", "choices": "A\nB"},
        {"position": "", "type": "", "key": "", "label": ""},  # a blank row: ignored
    ]
    response = client.post(builder, {**rows_data(rows), "action": "save"})
    assert response.status_code == 302, response.content.decode()
    revision = procedure.revisions.order_by("-number").first()
    fields = revision.fields
    assert [f["key"] for f in fields] == [
        "nom_enfant",
        "ecole",
        "cantine",
        "justificatif",
        "freres",
    ]
    assert fields[1]["choices"] == ["A", "B"]
    assert fields[3]["condition"] == {"field": "cantine", "value": "oui"}
    assert fields[3]["allowed_types"] == ["pdf", "png"]
    assert [c["key"] for c in fields[4]["children"]] == ["prenom"]

    # The builder shows the saved rows again (children after their block).
    page = client.get(builder).content.decode()
    assert 'value="prenom"' in page and 'value="freres"' in page

    preview = client.get(reverse("procedures_admin_preview", args=[procedure.pk]))
    assert preview.status_code == 200
    assert "nom_enfant" in preview.content.decode()

    edit = reverse("procedures_admin_edit", args=[procedure.pk])
    refused = client.post(edit, {"action": "publish"})
    assert refused.status_code == 400
    assert "confirmation" in refused.content.decode()
    response = client.post(edit, {"action": "publish", "confirm": "1"})
    assert response.status_code == 302
    procedure.refresh_from_db()
    assert procedure.status == ProcedureStatus.PUBLISHED
    assert procedure.current_revision is not None

    # Editing after publication prepares revision 2; the published one is untouched.
    rows2 = [{"position": "10", "type": "text", "key": "nom_enfant", "label": "Nom complet"}]
    assert client.post(builder, {**rows_data(rows2), "action": "save"}).status_code == 302
    assert procedure.revisions.count() == 2
    procedure.current_revision.refresh_from_db()
    assert len(procedure.current_revision.fields) == 5

    assert client.post(edit, {"action": "close"}).status_code == 302
    procedure.refresh_from_db()
    assert procedure.status == ProcedureStatus.CLOSED
    assert client.post(edit, {"action": "reopen"}).status_code == 302
    procedure.refresh_from_db()
    assert procedure.status == ProcedureStatus.PUBLISHED


def test_builder_errors_are_french_and_nothing_saved(client: Client, places) -> None:
    procedure = make_procedure(places["merignac"], published=False)
    client.force_login(places["publisher"])
    builder = reverse("procedures_admin_builder", args=[procedure.pk])
    before = procedure.revisions.get().fields
    cases = [
        [{"position": "10", "type": "text", "key": "Mauvaise Clé", "label": "X"}],
        [{"position": "10", "type": "choice", "key": "c", "label": "Choix"}],
        [
            {"position": "10", "type": "text", "key": "a", "label": "A"},
            {"position": "20", "type": "text", "key": "a", "label": "A bis"},
        ],
        [{"position": "10", "type": "text", "key": "enfant", "label": "X", "parent": "absent"}],
        [{"position": "abc", "type": "text", "key": "a", "label": "A"}],
    ]
    for rows in cases:
        response = client.post(builder, {**rows_data(rows), "action": "save"})
        assert response.status_code == 400, rows
        body = response.content.decode()
        assert 'role="alert"' in body
        assert "Erreur" in body
    procedure.revisions.get().refresh_from_db()
    assert procedure.revisions.get().fields == before


def test_add_a_field_without_javascript(client: Client, places) -> None:
    procedure = make_procedure(places["merignac"], published=False)
    client.force_login(places["publisher"])
    builder = reverse("procedures_admin_builder", args=[procedure.pk])
    rows = [{"position": "10", "type": "text", "key": "nom", "label": "Nom"}]
    response = client.post(builder, {**rows_data(rows), "action": "add"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="champs-TOTAL_FORMS" value="2"' in body
    assert 'name="champs-1-key"' in body
    assert 'value="nom"' in body


def test_settings_webhook_checked_and_secret_kept(client: Client, places, settings) -> None:
    settings.CIVIS_WEBHOOK_ALLOW_LOOPBACK = False
    procedure = make_procedure(places["merignac"], webhook_secret="ancien-secret")
    client.force_login(places["publisher"])
    edit = reverse("procedures_admin_edit", args=[procedure.pk])
    base = {
        "action": "save",
        "title": procedure.title,
        "slug": procedure.slug,
        "eligibility": "signed_in",
        "expected_days": "15",
        "silence_means": "acceptance",
        "retention_days": "1825",
    }
    refused = client.post(edit, {**base, "webhook_url": "http://127.0.0.1:9/hook"})
    assert refused.status_code == 400
    assert "webhook" in refused.content.decode()
    refused = client.post(edit, {**base, "expected_days": "zéro"})
    assert refused.status_code == 400
    assert "nombre de jours" in refused.content.decode()
    ok = client.post(edit, {**base, "webhook_url": "https://93.184.215.14/hook"})
    assert ok.status_code == 302, ok.content.decode()
    procedure.refresh_from_db()
    assert procedure.expected_days == 15
    assert procedure.webhook_url == "https://93.184.215.14/hook"
    assert procedure.webhook_secret == "ancien-secret"
    assert "ancien-secret" not in client.get(edit).content.decode()


def test_instructors_picker(client: Client, places) -> None:
    procedure = make_procedure(places["merignac"])
    bordeaux_agent = make_agent("agent-bx", roles=[(places["bordeaux"], "agent")])
    client.force_login(places["publisher"])
    url = reverse("procedures_admin_instructors", args=[procedure.pk])
    page = client.get(url).content.decode()
    assert "agent-bx" not in page  # not an agent of Mérignac or below
    assert f'value="{places["agent"].pk}"' in page
    response = client.post(url, {"instructeurs": [str(places["agent"].pk)]})
    assert response.status_code == 302
    assert procedure.instructors.user_set.filter(pk=places["agent"].pk).exists()
    refused = client.post(url, {"instructeurs": [str(bordeaux_agent.pk)]})
    assert refused.status_code == 400
    assert not procedure.instructors.user_set.filter(pk=bordeaux_agent.pk).exists()


def test_tokens_shown_once_and_revoked(client: Client, places) -> None:
    procedure = make_procedure(places["merignac"])
    client.force_login(places["publisher"])
    url = reverse("procedures_admin_tokens", args=[procedure.pk])
    refused = client.post(url, {"action": "create", "name": ""})
    assert refused.status_code == 400
    response = client.post(url, {"action": "create", "name": "GRC"})
    assert response.status_code == 200
    body = response.content.decode()
    token = ApiToken.objects.get(procedure=procedure)
    clear = body.split('id="jeton-cree" type="text" readonly value="', 1)[1].split('"', 1)[0]
    assert clear.startswith("civis_")
    assert clear not in client.get(url).content.decode()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CREATE, detail__token="GRC").exists()
    response = client.post(url, {"action": "revoke", "token": str(token.pk)})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.post(url, {"action": "revoke", "token": "999999"}).status_code == 404


def test_delivery_log(client: Client, places) -> None:
    procedure = make_procedure(places["merignac"], webhook_url="https://93.184.215.14/h")
    item = make_request(procedure, None, state="en_construction")
    WebhookDelivery.objects.create(
        procedure=procedure,
        request=item,
        event="submit",
        payload={"request": {"number": item.number}},
        attempts=2,
        status_code=500,
        last_error="HTTP 500",
    )
    client.force_login(places["publisher"])
    body = client.get(reverse("procedures_admin_deliveries", args=[procedure.pk])).content.decode()
    assert "HTTP 500" in body and item.number in body


def test_other_authorities_get_404(client: Client, places) -> None:
    procedure = make_procedure(places["merignac"])
    for user in (places["bordeaux_publisher"], places["agent"]):
        client.force_login(user)
        for name in (
            "procedures_admin_edit",
            "procedures_admin_builder",
            "procedures_admin_preview",
            "procedures_admin_instructors",
            "procedures_admin_tokens",
            "procedures_admin_deliveries",
        ):
            url = reverse(name, args=[procedure.pk])
            assert client.get(url).status_code == 404, (user, name)
            if name not in ("procedures_admin_preview", "procedures_admin_deliveries"):
                assert client.post(url, {"action": "close"}).status_code == 404, (user, name)
    procedure.refresh_from_db()
    assert procedure.status == ProcedureStatus.PUBLISHED

"""The SCDL data of a délibération, checked at entry: each rule of the schema refuses a wrong
value with its French message on its field, and nothing is stored (no details, and through
the admin form or document_create, no document and no file either)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from civis.portal.demo.filegen import make_pdf
from documents import services
from documents.models import DeliberationDetails, Document, DocumentType
from tests.documents.conftest import pdf_upload, stored_files

pytestmark = pytest.mark.django_db

VALID: dict[str, Any] = {
    "act_id": "2026-045",
    "adopted_on": "2026-03-12",
    "subject_code": "7.1",
    "budget_year": "2026",
    "budget_name": "Budget principal",
    "prefecture_id": "PREF033",
    "prefecture_date": "2026-03-14",
    "vote_effectif": "49",
    "vote_reel": "45",
    "vote_pour": "40",
    "vote_contre": "3",
    "vote_abstention": "2",
}
TOMORROW = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()

# (what is changed, the field that answers, a piece of its French message)
WRONG = [
    ({"subject_code": "7.12"}, "subject_code", "n'est pas une matière de la nomenclature ACTES"),
    ({"subject_code": ""}, "subject_code", "Choisissez la matière"),
    ({"act_id": "  "}, "act_id", "Indiquez l'identifiant de la délibération"),
    ({"adopted_on": ""}, "adopted_on", "Indiquez la date d'adoption"),
    ({"adopted_on": TOMORROW, "prefecture_date": ""}, "adopted_on", "dans le futur"),
    ({"adopted_on": "12/03/2026"}, "adopted_on", "AAAA-MM-JJ"),
    ({"vote_contre": ""}, "vote_contre", "remplissez-les tous ou aucun"),
    ({"vote_reel": "50", "vote_pour": "45"}, "vote_reel", "plus de votants"),
    ({"vote_pour": "46"}, "vote_pour", "ne peut pas dépasser celui des votants"),
    ({"vote_abstention": "1"}, "vote_reel", "ce doit être le nombre de votants"),
    ({"vote_pour": "-1"}, "vote_pour", "positif"),
    ({"vote_pour": "quarante"}, "vote_pour", "nombre entier"),
    ({"budget_year": "26"}, "budget_year", "AAAA ou AAAA/AAAA"),
    ({"budget_year": "2025/2027"}, "budget_year", "deux années qui se suivent"),
    ({"budget_name": ""}, "budget_name", "Indiquez le nom du budget"),
    ({"budget_year": ""}, "budget_year", "un nom de budget va avec son année"),
    ({"prefecture_date": "2026-03-11"}, "prefecture_date", "ne peut pas précéder l'adoption"),
]


def _deliberation(publish, territory) -> Document:
    return publish(document_type=DocumentType.DELIBERATION, title="Budget primitif 2026")


def test_valid_data_is_stored_and_audited(publish, territory) -> None:
    document = _deliberation(publish, territory)
    details = services.deliberation_details_save(
        actor=territory.publisher, document=document, data=VALID
    )
    assert details.vote_reel == 45 and details.adopted_on == datetime.date(2026, 3, 12)
    event = AuditEvent.objects.filter(document=document, action=AuditEvent.Action.UPDATE).get()
    assert event.detail["deliberation"]["act_id"] == ["", "2026-045"]
    # The same again changes nothing and writes no second event.
    services.deliberation_details_save(actor=territory.publisher, document=document, data=VALID)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE).count() == 1
    # No vote, no budget, no préfecture: allowed.
    empty_votes = {
        **VALID,
        **dict.fromkeys(services.deliberation.VOTE_FIELDS, ""),
        "budget_year": "",
        "budget_name": "",
        "prefecture_id": "",
        "prefecture_date": "",
    }
    details = services.deliberation_details_save(
        actor=territory.publisher, document=document, data={**empty_votes, "budget_year": ""}
    )
    assert details.vote_effectif is None and details.budget_year == ""
    two_years = {**VALID, "budget_year": "2025/2026"}
    details = services.deliberation_details_save(actor=None, document=document, data=two_years)
    assert details.budget_year == "2025/2026"


@pytest.mark.parametrize(("change", "field", "message"), WRONG)
def test_the_service_refuses_each_wrong_input(publish, territory, change, field, message) -> None:
    document = _deliberation(publish, territory)
    with pytest.raises(ValidationError) as caught:
        services.deliberation_details_save(
            actor=territory.publisher, document=document, data={**VALID, **change}
        )
    assert any(message in text for text in caught.value.message_dict[field]), (
        caught.value.message_dict
    )
    assert not DeliberationDetails.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE).exists()


def test_only_an_editor_of_the_document_may_set_its_data(publish, territory) -> None:
    document = _deliberation(publish, territory)
    with pytest.raises(PermissionDenied):
        services.deliberation_details_save(
            actor=territory.bordeaux_agent, document=document, data=VALID
        )
    other = publish(title="Arrêté", document_type=DocumentType.ARRETE)
    with pytest.raises(ValidationError):
        services.deliberation_details_save(actor=None, document=other, data=VALID)
    assert not DeliberationDetails.objects.exists()


def test_document_create_with_wrong_data_keeps_nothing(territory, private_storage) -> None:
    with pytest.raises(ValidationError):
        services.document_create(
            actor=territory.publisher,
            owner=territory.merignac,
            title="Délibération",
            document_type=DocumentType.DELIBERATION,
            upload=pdf_upload(),
            publish=True,
            deliberation={**VALID, "vote_pour": "41"},
        )
    assert not Document.objects.exists()
    assert stored_files(private_storage) == []
    document = services.document_create(
        actor=territory.publisher,
        owner=territory.merignac,
        title="Délibération",
        document_type=DocumentType.DELIBERATION,
        upload=pdf_upload(),
        publish=True,
        deliberation=VALID,
    )
    assert document.deliberation.act_id == "2026-045"


def _form(territory, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "owner": territory.merignac.pk,
        "title": "Délibération n° 2026-045 — budget primitif",
        "summary": "",
        "document_type": "deliberation",
        "published_on": "2026-03-20",
        "audience": "public",
        "licence": "lo-2.0",
        "tag_names": "budget",
        "civis_action": "publish",
        "addressee_username": "",
        "file": SimpleUploadedFile(
            "deliberation.pdf", make_pdf("Budget", ["Budget."]), content_type="application/pdf"
        ),
        **VALID,
    }
    data.update(overrides)
    return data


def test_the_admin_form_stores_the_data_with_the_document(client, territory) -> None:
    client.force_login(territory.publisher)
    page = client.get(reverse("civis_documents:add")).content.decode()
    assert "Données de la délibération (SCDL)" in page
    assert "7.1 — Finances locales / Décisions budgétaires" in page
    assert page.count('name="act_id"') == 1 and page.count('name="vote_reel"') == 1
    assert page.index('name="title"') < page.index("<legend") < page.index('name="act_id"')
    response = client.post(reverse("civis_documents:add"), _form(territory))
    assert response.status_code == 302, response.content.decode()[:3000]
    document = Document.objects.get()
    assert document.deliberation.subject_code == "7.1"
    edit = reverse("civis_documents:edit", args=[document.pk])
    page = client.get(edit).content.decode()
    assert 'value="2026-045"' in page
    changed = _form(territory, civis_action="save", vote_pour="39", vote_contre="4")
    del changed["file"]
    assert client.post(edit, changed).status_code == 302
    document.deliberation.refresh_from_db()
    assert document.deliberation.vote_pour == 39


@pytest.mark.parametrize(("change", "field", "message"), WRONG[:10:3] + WRONG[13:])
def test_the_admin_form_refuses_each_wrong_input_and_stores_nothing(
    client, territory, private_storage, change, field, message
) -> None:
    client.force_login(territory.publisher)
    response = client.post(reverse("civis_documents:add"), _form(territory, **change))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in text for text in errors.get(field, [])), errors
    assert not Document.objects.exists()
    assert not DeliberationDetails.objects.exists()


def test_an_edit_with_wrong_data_changes_nothing(client, territory) -> None:
    client.force_login(territory.publisher)
    client.post(reverse("civis_documents:add"), _form(territory))
    document = Document.objects.get()
    edit = reverse("civis_documents:edit", args=[document.pk])
    wrong = _form(territory, civis_action="save", title="Nouveau titre", budget_year="2026/2028")
    del wrong["file"]
    response = client.post(edit, wrong)
    assert response.status_code == 200
    assert "budget_year" in response.context["form"].errors
    document.refresh_from_db()
    assert document.title != "Nouveau titre"
    assert document.deliberation.budget_year == "2026"


def test_another_type_ignores_the_fieldset(client, territory) -> None:
    client.force_login(territory.publisher)
    response = client.post(
        reverse("civis_documents:add"),
        _form(territory, document_type="arrete", vote_pour="99", subject_code=""),
    )
    assert response.status_code == 302
    assert not DeliberationDetails.objects.exists()

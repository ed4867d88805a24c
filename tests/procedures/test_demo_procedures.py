"""The demo's online procedures (issue 11, "Demo"): what the README says is there."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from documents.selectors import documents_visible_to
from identity.models import User
from procedures.models import (
    Attachment,
    Message,
    Procedure,
    ProcedureStatus,
    Request,
    RequestState,
)
from procedures.selectors import is_instructor, requests_visible_to

TITLES = {
    "Demande d'acte de naissance": ("33281", "instructeur-etat-civil-merignac"),
    "Inscription scolaire": ("33281", "instructeur-scolaire-merignac"),
    "Demande de subvention associative": ("243300316", "instructeur-subventions-metropole"),
}


@pytest.fixture
def demo(demo_in_module, db):
    """The demo, loaded once for this module (tests/conftest.py)."""


def _citizen() -> User:
    return User.objects.get(username="citoyen")


def test_three_published_procedures_with_one_instructor_each(demo):
    procedures = {p.title: p for p in Procedure.objects.select_related("owner")}
    assert set(TITLES) <= set(procedures)
    for title, (code, instructor) in TITLES.items():
        procedure = procedures[title]
        assert procedure.status == ProcedureStatus.PUBLISHED
        assert procedure.current_revision is not None
        assert procedure.current_revision.frozen
        assert code in (procedure.owner.insee_code, procedure.owner.siren)
        agent = User.objects.get(username=instructor)
        assert agent.kind == User.Kind.AGENT
        assert agent.check_password("demo-civis-2026")
        assert is_instructor(agent, procedure)
        assert list(procedure.instructors.user_set.all()) == [agent]


def test_the_school_form_has_attachments_a_condition_and_a_repeat(demo):
    fields = Procedure.objects.get(title="Inscription scolaire").current_revision.fields
    by_key = {f["key"]: f for f in fields}
    assert by_key["justificatif_domicile"]["type"] == "attachment"
    assert by_key["livret_famille"]["type"] == "attachment"
    assert by_key["jours_accueil"]["condition"] == {"field": "periscolaire", "value": "oui"}
    assert by_key["fratrie"]["type"] == "repeat"
    grant = Procedure.objects.get(title="Demande de subvention associative")
    types = {f["type"] for f in grant.current_revision.fields}
    assert {"siret", "iban", "decimal", "attachment"} <= types


def test_citizen_has_requests_in_every_state_with_messages(demo):
    requests = Request.objects.filter(applicant=_citizen())
    assert {r.state for r in requests} == set(RequestState.values)
    assert requests.count() <= 12
    assert Message.objects.filter(request__in=requests, from_instructor=True).exists()
    assert Message.objects.filter(request__in=requests, from_instructor=False).exists()
    assert Attachment.objects.filter(request__in=requests, field_key="budget").exists()
    for request in requests.exclude(state=RequestState.DRAFT):
        assert request.receipt is not None
    for request in requests.filter(state__in=["accepte", "refuse", "sans_suite"]):
        assert request.decision_document is not None
        assert request.acknowledgement is not None


def test_the_decision_pdf_is_in_the_citizens_space(demo):
    accepted = Request.objects.get(applicant=_citizen(), state=RequestState.ACCEPTED)
    document = accepted.decision_document
    assert documents_visible_to(_citizen()).filter(pk=document.pk).exists()
    instructor = User.objects.get(username="instructeur-etat-civil-merignac")
    assert documents_visible_to(instructor).filter(pk=document.pk).exists()


def test_a_merignac_agent_who_does_not_instruct_reads_none_of_it(demo):
    agent = User.objects.get(username="agent-merignac")
    assert not requests_visible_to(agent).exists()
    decisions = Request.objects.exclude(decision_document=None).values("decision_document")
    receipts = Request.objects.exclude(receipt=None).values("receipt")
    visible = documents_visible_to(agent)
    assert not visible.filter(pk__in=decisions).exists()
    assert not visible.filter(pk__in=receipts).exists()
    # Nor does the school instructor read the birth certificate requests.
    school = User.objects.get(username="instructeur-scolaire-merignac")
    titles = set(requests_visible_to(school).values_list("procedure__title", flat=True))
    assert titles == {"Inscription scolaire"}


def test_the_demo_runs_twice_without_duplicates(demo):
    before = (Procedure.objects.count(), Request.objects.count(), Message.objects.count())
    output = io.StringIO()
    call_command("civis_demo", stdout=output)
    after = (Procedure.objects.count(), Request.objects.count(), Message.objects.count())
    assert after == before
    assert "Démarches : 0 démarche(s)" in output.getvalue()
    assert User.objects.filter(username__startswith="instructeur-").count() == 3

"""Procedures as agents build them: create, edit, versioned form, publish, close/reopen,
instructors — permissions, French refusals and audit rows."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from identity.models import Membership
from procedures.models import Procedure, ProcedureRevision, ProcedureStatus, RequestState
from procedures.selectors import is_instructor
from procedures.services.procedures import (
    instructors_set,
    procedure_close,
    procedure_create,
    procedure_edit,
    procedure_reopen,
    revision_publish,
    revision_save_fields,
)
from tests.factories import make_agent, make_territory, make_user
from tests.procedures.factories import make_procedure, make_request

pytestmark = pytest.mark.django_db

FIELDS = [{"key": "nom", "type": "text", "label": "Nom", "required": True}]


@pytest.fixture
def t():
    territory = make_territory()
    merignac = territory["merignac"]
    return {
        **territory,
        "publisher": make_agent("editeur", roles=[(merignac, Membership.Role.PUBLISHER)]),
        "agent": make_agent("agent", roles=[(merignac, Membership.Role.AGENT)]),
        "metro_admin": make_agent(
            "admin-metro", roles=[(territory["metropole"], Membership.Role.ADMIN)]
        ),
        "bordeaux_agent": make_agent(
            "agent-bordeaux", roles=[(territory["bordeaux"], Membership.Role.AGENT)]
        ),
        "citizen": make_user("citoyen"),
    }


def audit_actions(procedure: Procedure) -> list[str]:
    return list(
        AuditEvent.objects.filter(detail__procedure=procedure.pk)
        .order_by("at", "pk")
        .values_list("action", flat=True)
    )


def test_build_and_publish_a_procedure(t):
    procedure = procedure_create(
        actor=t["publisher"],
        owner=t["merignac"],
        title="  Inscription   scolaire ",
        description="Inscrire son enfant à l'école.",
        expected_days="15",
    )
    assert procedure.title == "Inscription scolaire" and procedure.slug == "inscription-scolaire"
    assert procedure.status == ProcedureStatus.DRAFT and procedure.expected_days == 15
    assert procedure.instructors.name == "Instructeurs inscription-scolaire"
    first = procedure.revisions.get()
    assert first.number == 1 and first.fields == [] and not first.frozen
    with pytest.raises(ValidationError):
        revision_publish(actor=t["publisher"], procedure=procedure)  # no question yet
    revision = revision_save_fields(actor=t["publisher"], procedure=procedure, fields=FIELDS)
    assert revision.pk == first.pk and revision.fields[0]["key"] == "nom"
    published = revision_publish(actor=t["publisher"], procedure=procedure)
    procedure.refresh_from_db()
    assert published.frozen and procedure.current_revision == published
    assert procedure.status == ProcedureStatus.PUBLISHED
    with pytest.raises(ValidationError):
        revision_publish(actor=t["publisher"], procedure=procedure)  # nothing new
    # A frozen revision never changes: saving starts revision 2; requests keep revision 1.
    request = make_request(procedure, t["citizen"], state=RequestState.SUBMITTED)
    second = revision_save_fields(
        actor=t["publisher"],
        procedure=procedure,
        fields=[*FIELDS, {"key": "classe", "type": "text", "label": "Classe"}],
    )
    assert second.number == 2 and not second.frozen
    assert ProcedureRevision.objects.get(pk=published.pk).fields == published.fields
    same = revision_save_fields(actor=t["publisher"], procedure=procedure, fields=second.fields)
    assert same.pk == second.pk
    revision_publish(actor=t["publisher"], procedure=procedure)
    procedure.refresh_from_db()
    assert procedure.current_revision_id == second.pk
    request.refresh_from_db()
    assert request.revision_id == published.pk
    # A second procedure with the same title gets its own address.
    other = procedure_create(
        actor=t["publisher"], owner=t["merignac"], title="Inscription scolaire"
    )
    assert other.slug == "inscription-scolaire-2"
    actions = audit_actions(procedure)
    assert actions[0] == AuditEvent.Action.CREATE
    assert actions.count(AuditEvent.Action.PUBLISH) == 2
    assert AuditEvent.objects.filter(
        detail__procedure=procedure.pk, authority=t["merignac"]
    ).count() == len(actions)


def test_who_may_create_and_edit(t):
    for actor in (t["agent"], t["bordeaux_agent"], t["citizen"], None):
        with pytest.raises(PermissionDenied):
            procedure_create(actor=actor, owner=t["merignac"], title="Démarche")
    assert not Procedure.objects.exists()
    procedure = procedure_create(actor=t["metro_admin"], owner=t["merignac"], title="Démarche")
    for actor in (t["agent"], t["bordeaux_agent"], t["citizen"]):
        with pytest.raises(PermissionDenied):
            procedure_edit(actor=actor, procedure=procedure, title="Autre")
        with pytest.raises(PermissionDenied):
            revision_save_fields(actor=actor, procedure=procedure, fields=FIELDS)
        with pytest.raises(PermissionDenied):
            instructors_set(actor=actor, procedure=procedure, users=[t["agent"]])
    procedure_edit(actor=t["publisher"], procedure=procedure, title="Démarche modifiée")
    assert Procedure.objects.get(pk=procedure.pk).title == "Démarche modifiée"


def test_bad_input_is_refused_in_french(t):
    actor = t["publisher"]
    with pytest.raises(ValidationError) as error:
        procedure_create(actor=actor, owner=t["merignac"], title="   ")
    assert "title" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        procedure_create(actor=actor, owner=t["merignac"], title="X", slug="verifier")
    assert "slug" in error.value.message_dict
    procedure = procedure_create(actor=actor, owner=t["merignac"], title="X", slug="x")
    with pytest.raises(ValidationError) as error:
        procedure_create(actor=actor, owner=t["merignac"], title="Y", slug="x")
    assert "slug" in error.value.message_dict
    for attrs, key in (
        ({"eligibility": "martiens"}, "eligibility"),
        ({"expected_days": "beaucoup"}, "expected_days"),
        ({"silence_means": "peut-être"}, "silence_means"),
        ({"contact_email": "pas-une-adresse"}, "contact_email"),
    ):
        with pytest.raises(ValidationError) as error:
            procedure_edit(actor=actor, procedure=procedure, **attrs)
        assert key in error.value.message_dict, attrs
    with pytest.raises(ValidationError):
        procedure_edit(actor=actor, procedure=procedure, owner=t["bordeaux"])
    with pytest.raises(ValidationError):
        revision_save_fields(
            actor=actor, procedure=procedure, fields=[{"key": "1bad", "type": "text"}]
        )
    procedure.refresh_from_db()
    assert procedure.owner == t["merignac"]


def test_slug_is_fixed_once_published(t):
    procedure = make_procedure(t["merignac"])
    with pytest.raises(ValidationError):
        procedure_edit(actor=t["publisher"], procedure=procedure, slug="nouvelle-adresse")
    draft = make_procedure(t["merignac"], published=False)
    procedure_edit(actor=t["publisher"], procedure=draft, slug="nouvelle-adresse")
    assert Procedure.objects.get(pk=draft.pk).slug == "nouvelle-adresse"


def test_close_and_reopen(t):
    procedure = make_procedure(t["merignac"])
    procedure_close(actor=t["publisher"], procedure=procedure)
    assert Procedure.objects.get(pk=procedure.pk).status == ProcedureStatus.CLOSED
    with pytest.raises(ValidationError):
        procedure_close(actor=t["publisher"], procedure=procedure)
    procedure_reopen(actor=t["publisher"], procedure=procedure)
    assert Procedure.objects.get(pk=procedure.pk).status == ProcedureStatus.PUBLISHED
    with pytest.raises(ValidationError):
        procedure_reopen(actor=t["publisher"], procedure=procedure)
    with pytest.raises(PermissionDenied):
        procedure_close(actor=t["agent"], procedure=procedure)
    assert AuditEvent.Action.WITHDRAW in audit_actions(procedure)


def test_instructors_are_agents_of_the_owner_or_below(t):
    metro = make_procedure(t["metropole"])
    merignac_agent = make_agent("agent-merignac-2", roles=[(t["merignac"], "agent")])
    instructors_set(actor=t["metro_admin"], procedure=metro, users=[merignac_agent, t["agent"]])
    assert set(metro.instructors.user_set.all()) == {merignac_agent, t["agent"]}
    procedure = make_procedure(t["merignac"])
    for outsider in (t["bordeaux_agent"], t["citizen"], make_agent("sans-role")):
        with pytest.raises(ValidationError) as error:
            instructors_set(actor=t["publisher"], procedure=procedure, users=[outsider])
        assert "instructors" in error.value.message_dict
    assert not procedure.instructors.user_set.exists()
    # An agent of the métropole does not instruct Mérignac's procedures.
    metro_agent = make_agent("agent-metro", roles=[(t["metropole"], "agent")])
    with pytest.raises(ValidationError):
        instructors_set(actor=t["publisher"], procedure=procedure, users=[metro_agent])
    # Removing an instructor unassigns their requests.
    instructors_set(actor=t["publisher"], procedure=procedure, users=[t["agent"]])
    assert is_instructor(t["agent"], procedure)
    request = make_request(
        procedure, t["citizen"], state=RequestState.INSTRUCTION, assigned_to=t["agent"]
    )
    instructors_set(actor=t["publisher"], procedure=procedure, users=[])
    request.refresh_from_db()
    assert request.assigned_to is None
    assert not procedure.instructors.user_set.exists()
    actions = audit_actions(procedure)
    assert AuditEvent.Action.GRANT in actions and AuditEvent.Action.REVOKE in actions

"""Factories for the procedures tests (every helper imports these): real rows, no services,
sensible defaults; override what matters.

    proc = make_procedure(owner=merignac, fields=[{"key": "nom", "type": "text", ...}],
                          published=True, instructors=[agent])
    req = make_request(proc, citizen, state="en_instruction", data={"nom": "Dupont"})
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group
from django.utils import timezone

from identity.models import Authority, Membership, User
from procedures.models import (
    CLOSED_STATES,
    Procedure,
    ProcedureRevision,
    ProcedureStatus,
    Request,
    RequestState,
)
from tests.factories import make_agent

_counter = itertools.count(1)

DEFAULT_FIELDS: list[dict[str, Any]] = [
    {"key": "nom", "type": "text", "label": "Nom", "required": True},
    {"key": "motif", "type": "textarea", "label": "Motif de la demande", "required": False},
]


def instructors_group_name(slug: str) -> str:
    """The name procedure_create gives the instructors' group (slugs are unique)."""
    return f"Instructeurs {slug}"


def make_procedure(
    owner: Authority,
    *,
    fields: list[dict[str, Any]] | None = None,
    published: bool = True,
    instructors: Iterable[User] = (),
    status: str | None = None,
    title: str | None = None,
    slug: str | None = None,
    **attrs: Any,
) -> Procedure:
    """A procedure of ``owner`` with its instructors' group and revision 1 holding ``fields``
    (default: a required "nom" text and an optional "motif"). ``published=True``: revision 1
    frozen and current, status published; ``published=False``: a draft with a draft revision.
    ``status`` overrides (e.g. "closed": published revision, status closed)."""
    n = next(_counter)
    title = title or f"Démarche {n}"
    slug = slug or f"demarche-{n}"
    group = Group.objects.create(name=instructors_group_name(slug))
    if status is None:
        status = ProcedureStatus.PUBLISHED if published else ProcedureStatus.DRAFT
    procedure = Procedure.objects.create(
        owner=owner, title=title, slug=slug, instructors=group, status=status, **attrs
    )
    frozen = published or status != ProcedureStatus.DRAFT
    revision = ProcedureRevision.objects.create(
        procedure=procedure,
        number=1,
        fields=list(DEFAULT_FIELDS if fields is None else fields),
        published_at=timezone.now() if frozen else None,
    )
    if frozen:
        procedure.current_revision = revision
        procedure.save(update_fields=["current_revision"])
    for user in instructors:
        user.groups.add(group)
        _forget(user)
    return procedure


def make_instructor(
    procedure: Procedure,
    username: str | None = None,
    *,
    authority: Authority | None = None,
    role: str = Membership.Role.AGENT,
    **fields: Any,
) -> User:
    """An agent of ``authority`` (default: the procedure's owner) in its instructors' group."""
    user = make_agent(username, roles=[(authority or procedure.owner, role)], **fields)
    user.groups.add(procedure.instructors)
    _forget(user)
    return user


def add_instructors(procedure: Procedure, *users: User) -> None:
    for user in users:
        user.groups.add(procedure.instructors)
        _forget(user)


def make_request(
    procedure: Procedure,
    applicant: User | None,
    *,
    state: str = RequestState.DRAFT,
    data: dict[str, Any] | None = None,
    revision: ProcedureRevision | None = None,
    **fields: Any,
) -> Request:
    """A request of ``applicant`` on ``procedure`` (its current revision, else its latest) in
    ``state``, with the timestamps that state implies (submitted_at from en_construction on,
    instruction_at from en_instruction on, decided_at when closed). No documents filed."""
    if revision is None:
        revision = procedure.current_revision or procedure.revisions.order_by("-number").first()
    assert revision is not None, "the procedure has no revision"
    now = timezone.now()
    defaults: dict[str, Any] = {}
    if state != RequestState.DRAFT:
        defaults["submitted_at"] = now - datetime.timedelta(days=2)
    if state == RequestState.INSTRUCTION or state in CLOSED_STATES:
        defaults["instruction_at"] = now - datetime.timedelta(days=1)
    if state in CLOSED_STATES:
        defaults["decided_at"] = now
    defaults.update(fields)
    return Request.objects.create(
        procedure=procedure,
        revision=revision,
        applicant=applicant,
        state=state,
        data=dict(data or {}),
        **defaults,
    )


def _forget(user: User) -> None:
    from identity.selectors import forget_principals

    forget_principals(user)

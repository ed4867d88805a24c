"""Procedures as agents build them: create, describe, save the form, publish a revision, close
and reopen, choose the instructors.

- Only those who edit the procedure (``procedures.selectors.procedures_editable_by``: the
  owner's publishers and administrators, administrators above, superusers) write it.
- The form is versioned: ``revision_save_fields`` edits the latest revision while it is a
  draft and starts a new one when the latest is frozen; ``revision_publish`` freezes it and
  makes it current. Requests keep the revision they were made on.
- Instructors are agents of the owner or of an authority below it.

Every write is one durable transaction with an audit row (``authority=procedure.owner``,
detail ``{"procedure": <pk>, ...}``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from core.transactions import service
from documents.selectors import authorities_publishable_by
from identity.models import Authority, Membership, User
from identity.selectors import forget_principals, subtree_ids
from procedures.fields import LAYOUT_TYPES, validate_definition
from procedures.models import (
    Eligibility,
    Procedure,
    ProcedureRevision,
    ProcedureStatus,
    Request,
    SilenceMeans,
)
from procedures.selectors import procedures_editable_by

Actor = User | AnonymousUser | None

SLUG_MAX = 120
TITLE_MAX = 200
# Slugs that would shadow a URL of /demarches/.
RESERVED_SLUGS = frozenset({"verifier", "commencer", "nouvelle", "admin", "api"})

EDITABLE_FIELDS = (
    "title",
    "slug",
    "description",
    "eligibility",
    "needed_documents",
    "expected_days",
    "silence_means",
    "appeal",
    "contact_email",
    "contact_phone",
    "decision_template",
    "retention_days",
    "webhook_url",
    "webhook_secret",
)
SECRET_FIELDS = frozenset({"webhook_secret"})


def instructors_group_name(slug: str) -> str:
    return f"Instructeurs {slug}"


def _audit(actor: Actor, action: str, procedure: Procedure, **detail: Any) -> None:
    audit_record(
        actor=actor, action=action, authority=procedure.owner, procedure=procedure.pk, **detail
    )


def _lock(actor: Actor, procedure: Procedure) -> Procedure:
    """The procedure, locked, if ``actor`` edits it (PermissionDenied otherwise)."""
    locked = (
        Procedure.objects.select_for_update(of=("self",))
        .select_related("owner")
        .filter(pk=procedure.pk)
        .first()
    )
    if locked is None or not procedures_editable_by(actor).filter(pk=procedure.pk).exists():
        raise PermissionDenied(_("Vous ne modifiez pas cette démarche."))
    return locked


def _clean_slug(value: str, *, exclude: int | None = None) -> str:
    slug = slugify(value or "")[:SLUG_MAX].strip("-")
    if not slug:
        raise ValidationError(
            {"slug": _("Indiquez l'adresse de la démarche (lettres, chiffres, tirets).")}
        )
    if slug in RESERVED_SLUGS:
        raise ValidationError({"slug": _("Cette adresse est réservée ; choisissez-en une autre.")})
    taken = Procedure.objects.filter(slug=slug)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise ValidationError({"slug": _("Une autre démarche utilise déjà cette adresse.")})
    return slug


def _free_slug(title: str) -> str:
    """A slug made from the title, made unique by a number when needed."""
    base = slugify(title)[: SLUG_MAX - 4].strip("-") or "demarche"
    if base in RESERVED_SLUGS:
        base = f"demarche-{base}"
    slug, n = base, 2
    while Procedure.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _clean_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    unknown = set(attrs) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(_("Champs inconnus : %(f)s.") % {"f": ", ".join(sorted(unknown))})
    data = dict(attrs)
    if "title" in data:
        data["title"] = " ".join(str(data["title"] or "").split())
        if not data["title"]:
            raise ValidationError({"title": _("Donnez un titre à la démarche.")})
        if len(data["title"]) > TITLE_MAX:
            raise ValidationError(
                {"title": _("Le titre dépasse %(n)d caractères.") % {"n": TITLE_MAX}}
            )
    if "eligibility" in data and data["eligibility"] not in Eligibility.values:
        raise ValidationError({"eligibility": _("Choisissez qui peut faire la demande.")})
    if "silence_means" in data and data["silence_means"] not in SilenceMeans.values:
        raise ValidationError({"silence_means": _("Choisissez le sens du silence.")})
    for key in ("expected_days", "retention_days"):
        if key in data:
            try:
                number = int(data[key])
            except (TypeError, ValueError):
                raise ValidationError({key: _("Indiquez un nombre de jours.")}) from None
            if number < 1 or number > 36500:
                raise ValidationError({key: _("Indiquez un nombre de jours entre 1 et 36 500.")})
            data[key] = number
    for key in (
        "description",
        "needed_documents",
        "appeal",
        "contact_email",
        "contact_phone",
        "decision_template",
        "webhook_url",
        "webhook_secret",
    ):
        if key in data:
            data[key] = str(data[key] or "").strip()
    return data


def _check(procedure: Procedure) -> None:
    try:
        procedure.full_clean(
            exclude=["owner", "instructors", "current_revision", "created_by", "slug"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        raise error from None


@service
def procedure_create(
    *, actor: Actor, owner: Authority, title: str, slug: str = "", **attrs: Any
) -> Procedure:
    """A draft procedure of ``owner``, its instructors' group and an empty draft revision 1."""
    if not authorities_publishable_by(actor).filter(pk=owner.pk).exists():
        raise PermissionDenied(_("Vous ne publiez pas pour cette collectivité."))
    data = _clean_attrs({"title": title, **attrs})
    data.pop("slug", None)
    slug = _clean_slug(slug) if slug else _free_slug(data["title"])
    name, n = instructors_group_name(slug), 2
    while Group.objects.filter(name=name).exists():
        name, n = f"{instructors_group_name(slug)} ({n})", n + 1
    now = timezone.now()
    procedure = Procedure(
        owner=owner,
        slug=slug,
        status=ProcedureStatus.DRAFT,
        created_by=actor if isinstance(actor, User) else None,
        created_at=now,
        updated_at=now,
        **data,
    )
    _check(procedure)
    procedure.instructors = Group.objects.create(name=name)
    procedure.save()
    ProcedureRevision.objects.create(procedure=procedure, number=1, fields=[], created_at=now)
    _audit(actor, AuditEvent.Action.CREATE, procedure, title=procedure.title, slug=slug)
    return procedure


@service
def procedure_edit(*, actor: Actor, procedure: Procedure, **attrs: Any) -> Procedure:
    """Change the procedure's description. Its address (slug) changes only while it was never
    published (links to it are out there afterwards)."""
    procedure = _lock(actor, procedure)
    data = _clean_attrs(attrs)
    if "slug" in data:
        if data["slug"] != procedure.slug and procedure.current_revision_id is not None:
            raise ValidationError(
                {"slug": _("L'adresse d'une démarche déjà publiée ne change plus.")}
            )
        data["slug"] = _clean_slug(data["slug"], exclude=procedure.pk)
    changed = sorted(key for key, value in data.items() if getattr(procedure, key) != value)
    if not changed:
        return procedure
    for key in changed:
        setattr(procedure, key, data[key])
    _check(procedure)
    procedure.updated_at = timezone.now()
    procedure.save(update_fields=[*changed, "updated_at"])
    _audit(actor, AuditEvent.Action.UPDATE, procedure, fields=changed)
    return procedure


def _latest_revision(procedure: Procedure) -> ProcedureRevision | None:
    return (
        ProcedureRevision.objects.select_for_update()
        .filter(procedure=procedure)
        .order_by("-number")
        .first()
    )


@service
def revision_save_fields(
    *, actor: Actor, procedure: Procedure, fields: list[dict[str, Any]]
) -> ProcedureRevision:
    """Save the form on the latest revision while it is a draft, or on a new draft revision
    when the latest is frozen (published revisions never change)."""
    procedure = _lock(actor, procedure)
    normalised = validate_definition(fields)
    revision = _latest_revision(procedure)
    now = timezone.now()
    if revision is None or revision.frozen:
        number = (revision.number if revision is not None else 0) + 1
        revision = ProcedureRevision.objects.create(
            procedure=procedure, number=number, fields=normalised, created_at=now
        )
    elif revision.fields == normalised:
        return revision
    else:
        revision.fields = normalised
        revision.save(update_fields=["fields"])
    procedure.updated_at = now
    procedure.save(update_fields=["updated_at"])
    _audit(
        actor,
        AuditEvent.Action.UPDATE,
        procedure,
        revision=revision.number,
        fields_count=len(normalised),
    )
    return revision


@service
def revision_publish(*, actor: Actor, procedure: Procedure) -> ProcedureRevision:
    """Freeze the latest revision, make it the current one, and publish the procedure."""
    procedure = _lock(actor, procedure)
    revision = _latest_revision(procedure)
    if revision is None:
        raise ValidationError(_("Cette démarche n'a pas encore de formulaire."))
    if not revision.frozen:
        normalised = validate_definition(revision.fields)
        if not any(field["type"] not in LAYOUT_TYPES for field in normalised):
            raise ValidationError(
                {"fields": _("Ajoutez au moins une question au formulaire avant de le publier.")}
            )
        revision.fields = normalised
        revision.published_at = timezone.now()
        revision.published_by = actor if isinstance(actor, User) else None
        revision.save(update_fields=["fields", "published_at", "published_by"])
    elif (
        procedure.current_revision_id == revision.pk
        and procedure.status == ProcedureStatus.PUBLISHED
    ):
        raise ValidationError(_("Cette version du formulaire est déjà publiée."))
    previous = procedure.status
    procedure.current_revision = revision
    procedure.status = ProcedureStatus.PUBLISHED
    procedure.updated_at = timezone.now()
    procedure.save(update_fields=["current_revision", "status", "updated_at"])
    _audit(
        actor,
        AuditEvent.Action.PUBLISH,
        procedure,
        revision=revision.number,
        changed={"status": [previous, procedure.status]},
    )
    return revision


@service
def procedure_close(*, actor: Actor, procedure: Procedure) -> Procedure:
    """Stop taking new requests; requests already submitted are instructed as before."""
    procedure = _lock(actor, procedure)
    if procedure.status != ProcedureStatus.PUBLISHED:
        raise ValidationError(_("Seule une démarche publiée peut être fermée."))
    procedure.status = ProcedureStatus.CLOSED
    procedure.updated_at = timezone.now()
    procedure.save(update_fields=["status", "updated_at"])
    _audit(
        actor,
        AuditEvent.Action.WITHDRAW,
        procedure,
        changed={"status": [ProcedureStatus.PUBLISHED.value, ProcedureStatus.CLOSED.value]},
    )
    return procedure


@service
def procedure_reopen(*, actor: Actor, procedure: Procedure) -> Procedure:
    procedure = _lock(actor, procedure)
    if procedure.status != ProcedureStatus.CLOSED:
        raise ValidationError(_("Seule une démarche fermée peut être rouverte."))
    if procedure.current_revision_id is None:
        raise ValidationError(_("Publiez d'abord un formulaire."))
    procedure.status = ProcedureStatus.PUBLISHED
    procedure.updated_at = timezone.now()
    procedure.save(update_fields=["status", "updated_at"])
    _audit(
        actor,
        AuditEvent.Action.PUBLISH,
        procedure,
        changed={"status": [ProcedureStatus.CLOSED.value, ProcedureStatus.PUBLISHED.value]},
    )
    return procedure


def instructor_candidates(procedure: Procedure) -> QuerySet[User]:
    """Agents who may instruct ``procedure``: an active role in the owner or below it."""
    return User.objects.filter(
        kind=User.Kind.AGENT,
        is_active=True,
        pk__in=Membership.objects.active()
        .filter(authority__in=subtree_ids({procedure.owner_id}))
        .values("user_id"),
    ).order_by("last_name", "first_name", "username")


@service
def instructors_set(*, actor: Actor, procedure: Procedure, users: Iterable[User]) -> None:
    """Make ``users`` the procedure's instructors (agents of the owner or below it). Requests
    assigned to someone who leaves the group are unassigned."""
    procedure = _lock(actor, procedure)
    wanted = {user.pk: user for user in users}
    allowed = set(
        instructor_candidates(procedure).filter(pk__in=list(wanted)).values_list("pk", flat=True)
    )
    refused = [user for pk, user in wanted.items() if pk not in allowed]
    if refused:
        raise ValidationError(
            {
                "instructors": _(
                    "Seuls les agents de %(owner)s ou d'une collectivité de son ressort "
                    "instruisent ses démarches : %(names)s."
                )
                % {
                    "owner": procedure.owner.name,
                    "names": ", ".join(sorted(u.get_full_name() or u.username for u in refused)),
                }
            }
        )
    group = procedure.instructors
    current = set(group.user_set.values_list("pk", flat=True))
    added = sorted(set(wanted) - current)
    removed = sorted(current - set(wanted))
    if not added and not removed:
        return
    if added:
        group.user_set.add(*added)
        _audit(actor, AuditEvent.Action.GRANT, procedure, instructors_added=added)
    if removed:
        group.user_set.remove(*removed)
        unassigned = Request.objects.filter(procedure=procedure, assigned_to_id__in=removed).update(
            assigned_to=None
        )
        _audit(
            actor,
            AuditEvent.Action.REVOKE,
            procedure,
            instructors_removed=removed,
            unassigned=unassigned,
        )
    for user in wanted.values():
        forget_principals(user)
    procedure.updated_at = timezone.now()
    procedure.save(update_fields=["updated_at"])

"""Reports (a-posteriori moderation): anyone files one on a public document or dataset; the
owner's publishers (and those who oversee the owner) dismiss it with a reason, or resolve it —
fixing the content, or withdrawing it here. The reporter is told the outcome after commit: by
e-mail for an anonymous reporter who left an address (erased as soon as the mail is queued),
in their space (/mon-espace/) for a signed-in one. Every step is audited (REPORT, MODERATE,
WITHDRAW). No IP address is stored: the form's rate limit lives in the cache (report_views).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from core.transactions import service
from documents.models import Document
from documents.selectors import can_publish, documents_visible_to
from documents.services.store import withdraw_locked
from identity.models import User
from opendata.models import Dataset, Report, ReportReason, Resource
from opendata.selectors import (
    datasets_public,
    reports_handled_by,
    resources_public,
)
from opendata.services.datasets import dataset_withdraw

logger = logging.getLogger(__name__)

MESSAGE_MIN = 10
MESSAGE_MAX = 2000
OUTCOME_MAX = 2000

Target = Document | Dataset


def is_public(target: Target) -> bool:
    """Whether anyone may read ``target`` (only public content can be reported)."""
    if isinstance(target, Document):
        return documents_visible_to(AnonymousUser()).filter(pk=target.pk).exists()
    return datasets_public().filter(pk=target.pk).exists()


def clean_message(message: str) -> str:
    """The report's message, stripped; French errors outside 10 to 2000 characters."""
    text = (message or "").strip()
    if len(text) < MESSAGE_MIN:
        raise ValidationError(
            {
                "message": _("Décrivez le problème en %(n)d caractères au moins.")
                % {"n": MESSAGE_MIN}
            }
        )
    if len(text) > MESSAGE_MAX:
        raise ValidationError(
            {"message": _("Le message dépasse %(n)d caractères.") % {"n": MESSAGE_MAX}}
        )
    return text


def _signed_in(actor: User | AnonymousUser | None) -> User | None:
    return actor if isinstance(actor, User) and actor.is_authenticated else None


@service
def report_file(
    *,
    actor: User | AnonymousUser | None,
    target: Target,
    reason: str,
    message: str,
    reporter_email: str = "",
    resource: Resource | None = None,
) -> Report:
    """File a report on a public document or dataset. A signed-in ``actor`` is the reporter
    (told in their space; no address kept); an anonymous one may leave ``reporter_email`` to be
    told by mail (without it, they are not told). ``resource``: the dataset's resource the
    report is about (named at the head of the message)."""
    if not is_public(target):
        raise PermissionDenied(_("Ce contenu ne peut pas être signalé."))
    if reason not in ReportReason.values:
        raise ValidationError({"reason": _("Choisissez un motif dans la liste.")})
    text = clean_message(message)
    if resource is not None:
        if not (
            isinstance(target, Dataset) and resources_public(target).filter(pk=resource.pk).exists()
        ):
            raise ValidationError(
                {"resource": _("Cette ressource n'appartient pas au jeu de données.")}
            )
        text = _("Ressource « %(title)s » : %(message)s") % {
            "title": resource.title,
            "message": text,
        }
    person = _signed_in(actor)
    email = "" if person is not None else (reporter_email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationError(
                {"reporter_email": _("Saisissez une adresse électronique valide.")}
            ) from exc
    document = target if isinstance(target, Document) else None
    dataset = target if isinstance(target, Dataset) else None
    authority = target.owner
    report = Report.objects.create(
        authority=authority,
        document=document,
        dataset=dataset,
        reason=reason,
        message=text,
        reporter=person,
        reporter_email=email,
    )
    detail: dict[str, Any] = {"report": report.pk, "reason": reason}
    if dataset is not None:
        detail["dataset"] = str(dataset.identifier)
    if resource is not None:
        detail["resource"] = resource.pk
    # No IP address: the reporter is anyone, and the log keeps no trace of who they are.
    audit_record(
        actor=person,
        action=AuditEvent.Action.REPORT,
        document=document,
        authority=authority,
        **detail,
    )
    return report


def _lock_open(actor: User, report: Report) -> Report:
    """The report, locked, if ``actor`` handles it and it is still open."""
    if not reports_handled_by(actor).filter(pk=report.pk).exists():
        raise PermissionDenied(_("Vous ne traitez pas les signalements de cette collectivité."))
    locked = (
        # of=("self",): PostgreSQL cannot lock the nullable side of the outer joins.
        Report.objects.select_for_update(of=("self",))
        .select_related("document", "dataset", "authority")
        .get(pk=report.pk)
    )
    if locked.status != Report.Status.OPEN:
        raise ValidationError(_("Ce signalement a déjà été traité."))
    return locked


def _clean_outcome(outcome: str) -> str:
    text = (outcome or "").strip()
    if not text:
        raise ValidationError({"outcome": _("Indiquez la réponse faite à la personne.")})
    if len(text) > OUTCOME_MAX:
        raise ValidationError(
            {"outcome": _("La réponse dépasse %(n)d caractères.") % {"n": OUTCOME_MAX}}
        )
    return text


def _close(
    *,
    actor: User,
    report: Report,
    status: str,
    outcome: str,
    ip_address: str | None,
    **detail: Any,
) -> Report:
    """Record the outcome, audit it, erase the address, tell the reporter after commit."""
    email = report.reporter_email
    report.status = status
    report.outcome = outcome
    report.handled_by = actor
    report.handled_at = timezone.now()
    report.reporter_email = ""  # erased once told (the mail is sent after commit)
    report.save(update_fields=["status", "outcome", "handled_by", "handled_at", "reporter_email"])
    if report.dataset is not None:
        detail["dataset"] = str(report.dataset.identifier)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.MODERATE,
        document=report.document,
        authority=report.authority,
        ip_address=ip_address,
        report=report.pk,
        status=status,
        **detail,
    )
    if email:
        report_id = report.pk
        transaction.on_commit(lambda: tell_reporter(report_id, email))
    return report


@service
def report_dismiss(
    *, actor: User, report: Report, outcome: str, ip_address: str | None = None
) -> Report:
    """Close ``report`` without change ("classé sans suite"), with the reason given."""
    text = _clean_outcome(outcome)
    locked = _lock_open(actor, report)
    return _close(
        actor=actor,
        report=locked,
        status=Report.Status.DISMISSED,
        outcome=text,
        ip_address=ip_address,
    )


@service
def report_resolve(
    *,
    actor: User,
    report: Report,
    outcome: str,
    withdraw: bool,
    ip_address: str | None = None,
) -> Report:
    """Close ``report`` as handled: the content was fixed (``withdraw`` False) or is withdrawn
    now (``withdraw`` True: the document or dataset leaves the public, in the same
    transaction)."""
    text = _clean_outcome(outcome)
    locked = _lock_open(actor, report)
    if withdraw:
        _withdraw_target(actor=actor, report=locked, outcome=text, ip_address=ip_address)
    return _close(
        actor=actor,
        report=locked,
        status=Report.Status.RESOLVED,
        outcome=text,
        ip_address=ip_address,
        withdrawn=withdraw,
    )


def _withdraw_target(*, actor: User, report: Report, outcome: str, ip_address: str | None) -> None:
    if report.document is not None:
        document = Document.objects.select_for_update().get(pk=report.document.pk)
        if not can_publish(actor, document):
            raise PermissionDenied(_("Vous ne pouvez pas retirer ce document."))
        withdraw_locked(actor=actor, document=document, ip_address=ip_address, report=report.pk)
        return
    assert report.dataset is not None  # noqa: S101 (a report has exactly one target)
    dataset = Dataset.objects.select_for_update().get(pk=report.dataset.pk)
    if dataset.status != Dataset.Status.PUBLISHED:
        return  # already out of the public's sight: nothing to withdraw
    # The datasets' own service, as a step of this transaction (its checks, its audit row).
    dataset_withdraw.step(
        actor=actor, dataset=dataset, reason=f"signalement {report.pk} : {outcome}"[:500]
    )


def target_title(report: Report) -> str:
    target = report.document if report.document is not None else report.dataset
    return target.title if target is not None else ""


def tell_reporter(report_id: int, email: str) -> None:
    """The outcome mail (in French), after commit. A failure is logged, never raised: the
    moderation is done, and the address is already erased."""
    report = (
        Report.objects.select_related("document", "dataset", "authority")
        .filter(pk=report_id)
        .first()
    )
    if report is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Votre signalement sur « %(title)s » : %(status)s") % {
            "title": target_title(report),
            "status": report.get_status_display().lower(),
        }
        body = "\n\n".join(
            [
                _("Bonjour,"),
                _(
                    "Vous avez signalé un problème (« %(reason)s ») le %(day)s sur « %(title)s », "
                    "publié par %(authority)s."
                )
                % {
                    "reason": report.get_reason_display(),
                    "day": timezone.localtime(report.created_at).strftime("%d/%m/%Y"),
                    "title": target_title(report),
                    "authority": report.authority.name,
                },
                _("Suite donnée : %(status)s.") % {"status": report.get_status_display()},
                _("Réponse de la collectivité :") + "\n" + report.outcome,
                _(
                    "Votre adresse électronique a été effacée : elle ne servait qu'à vous "
                    "répondre. Ce message est automatique, merci de ne pas y répondre."
                ),
            ]
        )
    try:
        send_mail(subject, body, None, [email])
    except Exception:  # any mail server error: logged, the moderation stands
        logger.exception("Report %s: the outcome mail could not be sent", report_id)

"""E-mail notifications of a request's life: the citizen on every state change and message from
the instructors, the instructors on a new, corrected or reopened request and on a message from
the citizen.

``notify_applicant(request_id, event)`` and ``notify_instructors(request_id, event)`` are called
by the services inside their transaction: once it commits, a task (``procedures.tasks``) is
enqueued that writes and sends the mail; if the transaction is undone nothing is sent. A mail
server failure never breaks the transition: the task logs it and tries again later
(``MAX_ATTEMPTS``, growing delays) when the task backend can defer.

Least data: a mail says which request (number, procedure, authority), its new state, what is
asked of the reader and where to read it — never the answers, a message's text, a motivation
or a file. The reader signs in to see them.

Events: ``EVENTS`` (or the matching ``RequestEvent.Action`` values, ``ALIASES``); "opened"
is not mailed to the applicant when the opening filed the acknowledgement, whose mail says
so. Instructors: the request's assigned instructor, else every instructor of
the procedure (``procedures.selectors.is_instructor``), with an e-mail address.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from identity.models import User
from procedures.models import Request, RequestEvent

logger = logging.getLogger(__name__)

APPLICANT = "applicant"
INSTRUCTORS = "instructors"
EVENTS = (
    "submitted",
    "opened",
    "acknowledged",
    "correction",
    "corrected",
    "accepted",
    "refused",
    "closed",
    "reopened",
    "assigned",
    "message",
)
# The services may name events by their RequestEvent.Action value.
ALIASES = {
    "submit": "submitted",
    "open": "opened",
    "acknowledge": "acknowledged",
    "accept": "accepted",
    "refuse": "refused",
    "close": "closed",
    "reopen": "reopened",
    "assign": "assigned",
}
MAX_ATTEMPTS = 5
# Delay before attempt n+1 (n = attempts made): 1 min, 5 min, 30 min, 2 h.
BACKOFF_SECONDS = (60, 300, 1800, 7200)


def notify_applicant(request_id: int, event: str) -> None:
    """Mail the applicant about ``event`` once the current transaction commits."""
    _enqueue_on_commit(request_id, APPLICANT, event)


def notify_instructors(request_id: int, event: str) -> None:
    """Mail the request's instructors about ``event`` once the current transaction commits."""
    _enqueue_on_commit(request_id, INSTRUCTORS, event)


def event_name(event: str) -> str:
    """The notification event of ``event`` (an EVENTS name or a RequestEvent.Action value)."""
    name = ALIASES.get(str(event), str(event))
    if name not in EVENTS:
        raise ValueError(f"Unknown notification event {event!r} (one of {', '.join(EVENTS)})")
    return name


def _enqueue_on_commit(request_id: int, audience: str, event: str) -> None:
    name = event_name(event)
    transaction.on_commit(lambda: enqueue(request_id, audience, name), robust=True)


def enqueue(
    request_id: int,
    audience: str,
    event: str,
    *,
    attempt: int = 0,
    at: datetime.datetime | None = None,
) -> bool:
    """Queue the mail (at ``at`` when the backend can defer); False when it cannot be deferred."""
    from procedures.tasks import send_request_mail

    if at is None:
        send_request_mail.enqueue(request_id, audience, event, attempt)
        return True
    if send_request_mail.get_backend().supports_defer:
        send_request_mail.using(run_after=at).enqueue(request_id, audience, event, attempt)
        return True
    return False


# --- writing the mail -----------------------------------------------------------------------


@dataclass(frozen=True)
class Wording:
    subject: str
    what: str  # what happened
    asked: str  # what is asked of the reader


def site_url() -> str:
    base = getattr(settings, "CIVIS_SITE_URL", "") or settings.WAGTAILADMIN_BASE_URL
    return str(base).rstrip("/")


def request_link(request: Request, audience: str) -> str:
    """The absolute address where the reader follows the request."""
    if audience == APPLICANT:
        name, fallback = "procedures:request", f"/mon-espace/demarches/{request.uuid}/"
    else:
        name, fallback = "procedures_admin_request", f"/admin/demarches/dossiers/{request.uuid}/"
    try:
        path = reverse(name, args=[request.uuid])
    except NoReverseMatch:
        path = fallback
    return site_url() + path


def _applicant_wording(request: Request, event: str) -> Wording:
    number, title = request.number, request.procedure.title
    space = _("Votre espace Civis Data")
    wordings = {
        "submitted": Wording(
            _("Dossier %(number)s déposé : %(title)s"),
            _(
                "Votre dossier a bien été déposé. L'accusé d'enregistrement est dans %(space)s, "
                "rubrique « Mes documents »."
            ),
            _(
                "Rien pour l'instant. Vous pouvez encore modifier votre dossier tant que "
                "l'instruction n'a pas commencé."
            ),
        ),
        "opened": Wording(
            _("Instruction de votre dossier %(number)s : %(title)s"),
            _("L'instruction de votre dossier a commencé : il ne peut plus être modifié."),
            _("Rien : vous serez prévenu de la décision. Vous pouvez écrire à l'instructeur."),
        ),
        "assigned": Wording(
            _("Dossier %(number)s : %(title)s"),
            _("Un instructeur a été désigné pour votre dossier."),
            _("Rien pour l'instant."),
        ),
        "acknowledged": Wording(
            _("Accusé de réception de votre dossier %(number)s : %(title)s"),
            _(
                "Votre dossier a été reçu par la collectivité. L'accusé de réception, qui indique "
                "le délai de traitement, ce que vaut le silence de l'administration et les voies "
                "de recours, est dans %(space)s."
            ),
            _("Rien pour l'instant : vous serez prévenu de la décision."),
        ),
        "correction": Wording(
            _("Correction demandée sur votre dossier %(number)s : %(title)s"),
            _("L'instructeur vous demande de corriger ou de compléter votre dossier."),
            _(
                "Connectez-vous pour lire ce qui est demandé, corrigez votre dossier puis "
                "déposez-le à nouveau."
            ),
        ),
        "corrected": Wording(
            _("Dossier %(number)s corrigé : %(title)s"),
            _("Votre dossier corrigé a bien été déposé ; il retourne à l'instructeur."),
            _("Rien pour l'instant."),
        ),
        "accepted": Wording(
            _("Décision sur votre dossier %(number)s : %(title)s"),
            _(
                "Votre demande est acceptée. La décision est dans %(space)s, rubrique "
                "« Mes documents »."
            ),
            _("Rien : lisez la décision pour la suite."),
        ),
        "refused": Wording(
            _("Décision sur votre dossier %(number)s : %(title)s"),
            _(
                "Votre demande est refusée. La décision motivée est dans %(space)s, rubrique "
                "« Mes documents »."
            ),
            _("Rien. Les voies et délais de recours sont indiqués dans la décision."),
        ),
        "closed": Wording(
            _("Décision sur votre dossier %(number)s : %(title)s"),
            _(
                "Votre dossier est classé sans suite. La décision motivée est dans %(space)s, "
                "rubrique « Mes documents »."
            ),
            _("Rien. Les voies et délais de recours sont indiqués dans la décision."),
        ),
        "reopened": Wording(
            _("Dossier %(number)s rouvert : %(title)s"),
            _(
                "Votre dossier a été rouvert et repris en instruction ; la décision précédente "
                "est retirée."
            ),
            _("Rien pour l'instant : une nouvelle décision vous sera adressée."),
        ),
        "message": Wording(
            _("Nouveau message sur votre dossier %(number)s : %(title)s"),
            _("L'instructeur de votre dossier vous a écrit."),
            _("Connectez-vous pour lire le message et répondre si besoin."),
        ),
    }
    return _filled(wordings[event], number=number, title=title, space=space)


def _instructors_wording(request: Request, event: str) -> Wording:
    number, title = request.number, request.procedure.title
    generic = Wording(
        _("Dossier %(number)s : %(title)s"),
        _("Le dossier a changé d'état."),
        _("Rien de particulier."),
    )
    wordings = {
        "submitted": Wording(
            _("Nouveau dossier %(number)s à instruire : %(title)s"),
            _("Un nouveau dossier a été déposé."),
            _("Ouvrez-le pour commencer l'instruction (l'accusé de réception part alors)."),
        ),
        "assigned": Wording(
            _("Dossier %(number)s assigné : %(title)s"),
            _("Le dossier vous est assigné."),
            _("Instruisez-le : ouvrez-le si ce n'est pas encore fait."),
        ),
        "corrected": Wording(
            _("Dossier %(number)s corrigé par le demandeur : %(title)s"),
            _("Le demandeur a corrigé son dossier et l'a déposé à nouveau."),
            _("Reprenez l'instruction."),
        ),
        "reopened": Wording(
            _("Dossier %(number)s rouvert : %(title)s"),
            _("Le dossier a été rouvert et repris en instruction ; la décision est retirée."),
            _("Instruisez-le de nouveau et prenez une nouvelle décision."),
        ),
        "message": Wording(
            _("Nouveau message du demandeur sur le dossier %(number)s : %(title)s"),
            _("Le demandeur a écrit sur son dossier."),
            _("Lisez le message dans l'espace d'instruction et répondez si besoin."),
        ),
    }
    return _filled(wordings.get(event, generic), number=number, title=title, space="")


def _filled(wording: Wording, **values: str) -> Wording:
    return Wording(wording.subject % values, wording.what % values, wording.asked % values)


def _recipients(request: Request, audience: str) -> list[str]:
    from procedures.selectors import is_instructor

    if audience == APPLICANT:
        applicant = request.applicant
        if applicant is None or not applicant.is_active or not applicant.email:
            return []
        return [applicant.email]
    assigned = request.assigned_to
    if (
        assigned is not None
        and assigned.is_active
        and assigned.email
        and (is_instructor(assigned, request.procedure) or assigned.is_superuser)
    ):
        return [assigned.email]
    members = User.objects.filter(groups=request.procedure.instructors, is_active=True).exclude(
        email=""
    )
    emails = {user.email for user in members if is_instructor(user, request.procedure)}
    return sorted(emails)


def build_messages(request: Request, audience: str, event: str) -> list[EmailMessage]:
    """The mails of ``event`` for ``audience`` (one per instructor: nobody sees the others'
    addresses); none when nobody has an address."""
    recipients = _recipients(request, audience)
    if not recipients:
        return []
    with translation.override(settings.LANGUAGE_CODE):
        wording = (
            _applicant_wording(request, event)
            if audience == APPLICANT
            else _instructors_wording(request, event)
        )
        context = {
            "number": request.number,
            "procedure": request.procedure.title,
            "authority": request.procedure.owner.name,
            "state": request.get_state_display(),
            "what": wording.what,
            "asked": wording.asked,
            "link": request_link(request, audience),
            "site_name": getattr(settings, "WAGTAIL_SITE_NAME", "Civis Data"),
            "contact_email": request.procedure.contact_email,
            "contact_phone": request.procedure.contact_phone,
            "date": timezone.localtime().strftime("%d/%m/%Y"),
        }
        template = f"procedures/mail/{audience}.txt"
        body = render_to_string(template, context)
        subject = " ".join(wording.subject.split())
    headers = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}
    return [EmailMessage(subject, body, None, [to], headers=headers) for to in recipients]


def _acknowledged_on_opening(request: Request) -> bool:
    """Whether the opening of instruction filed the acknowledgement (one mail, not two)."""
    opened = (
        request.events.filter(action=RequestEvent.Action.OPEN)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    if opened is None:
        return False
    return request.events.filter(
        action=RequestEvent.Action.ACKNOWLEDGE, at__gte=opened - datetime.timedelta(minutes=1)
    ).exists()


def deliver(request_id: int, audience: str, event: str, *, attempt: int = 0) -> str:
    """Write and send the mails (the task's body). Returns what happened: "sent", "nobody"
    (no address), "gone" (request deleted), "retry" or "failed" (mail server error)."""
    request = (
        Request.objects.select_related(
            "procedure", "procedure__owner", "procedure__instructors", "applicant", "assigned_to"
        )
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        return "gone"
    event = event_name(event)
    if audience == APPLICANT and event == "opened" and _acknowledged_on_opening(request):
        return "covered"  # the acknowledgement's mail says that instruction started
    try:
        messages = build_messages(request, audience, event)
        if not messages:
            return "nobody"
        with mailers.default as connection:
            connection.send_messages(messages)
    except Exception as exc:  # any mail server error: logged and retried, the transition stands
        attempts = attempt + 1
        if attempts < MAX_ATTEMPTS:
            delay = BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)]
            at = timezone.now() + datetime.timedelta(seconds=delay)
            if enqueue(request_id, audience, event, attempt=attempts, at=at):
                logger.warning(
                    "Request %s: %s mail (%s) not sent (attempt %s), retried in %s s: %s",
                    request_id,
                    event,
                    audience,
                    attempts,
                    delay,
                    exc,
                )
                return "retry"
        logger.exception(
            "Request %s: %s mail (%s) could not be sent after %s attempt(s)",
            request_id,
            event,
            audience,
            attempts,
        )
        return "failed"
    return "sent"

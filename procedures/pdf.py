"""The PDFs a request produces, in French: the accusé d'enregistrement électronique (AEE, at
submission), the accusé de réception électronique (ARE, when an agent opens the request or
within 10 working days) and the decision. Filed as personal documents by
``procedures.services.requests`` (``documents.services.personal_document_file``).

The ARE carries the mentions of article R. 112-11-1 of the code des relations entre le public
et l'administration (décret n° 2016-1411 du 20 octobre 2016): date of receipt, the service in
charge with its address and telephone, whether silence means acceptance or refusal and the date
it does, and the means of appeal.

The decision carries a verification code (``verification_code``: an HMAC of the request's uuid,
outcome and decision time, keyed by the portal's secret) and the address of the verification
page, where anyone checks a decision PDF by its SHA-256 (``verify_decision``).

ReportLab's platypus, A4, the standard Helvetica fonts (WinAnsi: every French character,
guillemets, apostrophe and oe ligature included) — no font file to ship.
"""

from __future__ import annotations

import datetime
import hmac
import io
import re
from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, StyleSheet1, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from documents.models import Status
from identity.models import Authority, User
from procedures.fields import display_answers
from procedures.models import CLOSED_STATES, Request, RequestEvent, RequestState, SilenceMeans

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
OUTCOME_TEXT = {
    RequestState.ACCEPTED: "Votre demande est acceptée.",
    RequestState.REFUSED: "Votre demande est refusée.",
    RequestState.CLOSED: "Votre demande est classée sans suite.",
}
OUTCOME_LABEL = {
    RequestState.ACCEPTED: "acceptée",
    RequestState.REFUSED: "refusée",
    RequestState.CLOSED: "classée sans suite",
}
DEFAULT_APPEAL = (
    "Vous pouvez contester cette décision dans un délai de deux mois à compter de sa "
    "notification : par un recours gracieux auprès de l'autorité qui l'a prise, ou par un "
    "recours contentieux devant le tribunal administratif territorialement compétent, y compris "
    "par l'application Télérecours citoyens (www.telerecours.fr)."
)
VERIFY_PATH = "/demarches/verifier/"
_PLACEHOLDER = re.compile(r"\{(champ:[a-z][a-z0-9_]{0,63}|[a-z]+)\}")


# --- French formatting ------------------------------------------------------------------------


def french_date(value: datetime.date | datetime.datetime | None) -> str:
    """« 1er décembre 2026 », « 15 mars 2027 » (a datetime in Paris time)."""
    if value is None:
        return "—"
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


def french_datetime(value: datetime.datetime | None) -> str:
    """« 2 décembre 2026 à 14 h 05 » (Paris time)."""
    if value is None:
        return "—"
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{french_date(local)} à {local.hour} h {local.minute:02d}"


def _days(n: int) -> str:
    return f"{n} jour" if n == 1 else f"{n} jours"


def applicant_name(request: Request) -> str:
    person: User | None = request.applicant
    if person is None:
        return "Demandeur (compte supprimé)"
    return person.get_full_name().strip() or person.get_username()


def verify_url() -> str:
    try:
        path = reverse("procedures:verify")
    except NoReverseMatch:
        path = VERIFY_PATH
    base = str(getattr(settings, "WAGTAILADMIN_BASE_URL", "") or "").rstrip("/")
    return f"{base}{path}"


# --- Verification -----------------------------------------------------------------------------


def verification_code(request: Request) -> str:
    """The decision's code: an HMAC (keyed by the portal's secret) of the request's uuid, its
    outcome and the time of the decision, as 5 groups of 4 characters. Empty before a
    decision."""
    if request.decided_at is None or request.state not in CLOSED_STATES:
        return ""
    message = f"{request.uuid}|{request.state}|{request.decided_at.isoformat()}"
    digest = salted_hmac("procedures.decision", message, algorithm="sha256").hexdigest()
    code = digest[:20].upper()
    return "-".join(code[i : i + 4] for i in range(0, 20, 4))


def verification_code_matches(request: Request, code: str) -> bool:
    expected = verification_code(request)
    given = code.strip().upper()
    return bool(expected) and hmac.compare_digest(expected, given)


def verify_decision(sha256: str) -> Request | None:
    """The request whose current decision document (published, not withdrawn) is the file with
    this SHA-256; None otherwise."""
    digest = (sha256 or "").strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        return None
    return (
        Request.objects.filter(
            decision_document__current_version__sha256=digest,
            decision_document__status=Status.PUBLISHED,
            state__in=CLOSED_STATES,
        )
        .select_related("procedure", "procedure__owner", "decision_document")
        .first()
    )


# --- Building blocks --------------------------------------------------------------------------


def _styles() -> StyleSheet1:
    styles = getSampleStyleSheet()
    for name in ("Normal", "BodyText", "Title", "Heading2", "Heading3"):
        styles[name].fontName = "Helvetica-Bold" if name != "Normal" else "Helvetica"
    styles["BodyText"].fontName = "Helvetica"
    styles["BodyText"].fontSize = 10
    styles["BodyText"].leading = 14
    styles["Title"].fontSize = 16
    styles["Title"].leading = 20
    styles.add(
        ParagraphStyle(
            "Small", parent=styles["BodyText"], fontSize=8.5, leading=11, textColor=colors.grey
        )
    )
    styles.add(ParagraphStyle("Right", parent=styles["BodyText"], alignment=TA_RIGHT))
    styles.add(ParagraphStyle("Cell", parent=styles["BodyText"], fontSize=9.5, leading=12))
    styles.add(
        ParagraphStyle("CellLabel", parent=styles["Cell"], fontName="Helvetica-Bold", fontSize=9.5)
    )
    return styles


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (escaped; line breaks kept)."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _contact_lines(request: Request) -> list[str]:
    """The service in charge: the authority, its address, e-mail and telephone."""
    procedure = request.procedure
    owner: Authority = procedure.owner
    lines = [f"{owner.name} — service chargé de la démarche « {procedure.title} »"]
    contact: Any = None
    try:
        contact = owner.contact
    except ObjectDoesNotExist:
        contact = None
    if contact is not None:
        address = " ".join(
            part for part in (contact.street_address.replace("\n", ", "), contact.postal_code)
        ).strip()
        if contact.city:
            address = f"{address} {contact.city}".strip()
        if address:
            lines.append(f"Adresse : {address}")
    email = procedure.contact_email or (contact.email if contact is not None else "")
    phone = procedure.contact_phone or (contact.phone if contact is not None else "")
    if email:
        lines.append(f"Courriel : {email}")
    if phone:
        lines.append(f"Téléphone : {phone}")
    if not email and not phone:
        lines.append("Contact : par la messagerie de votre dossier, dans « Mes démarches ».")
    return lines


def _header(request: Request, title: str, styles: StyleSheet1) -> list[Flowable]:
    owner = request.procedure.owner
    return [
        _p(owner.name, styles["Heading3"]),
        _p(f"Dossier n° {request.number}", styles["Right"]),
        Spacer(1, 0.3 * cm),
        _p(title, styles["Title"]),
        _p(f"Démarche : {request.procedure.title}", styles["Heading3"]),
        Spacer(1, 0.2 * cm),
    ]


def _table(rows: Iterable[tuple[str, str]], styles: StyleSheet1) -> Table:
    data: list[list[Any]] = []
    spans: list[tuple[Any, ...]] = []
    for index, (label, value) in enumerate(rows):
        if value == "" and label:
            data.append([_p(label, styles["CellLabel"]), ""])
            spans.append(("SPAN", (0, index), (1, index)))
            spans.append(("BACKGROUND", (0, index), (1, index), colors.HexColor("#eeeeee")))
        else:
            data.append([_p(label, styles["CellLabel"]), _p(value or "—", styles["Cell"])])
    table = Table(data, colWidths=[6 * cm, 11 * cm], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#999999")),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                *spans,
            ]
        )
    )
    return table


def _summary_rows(request: Request) -> list[tuple[str, str]]:
    submitted = request.submitted_at
    return [
        ("Collectivité", request.procedure.owner.name),
        ("Démarche", request.procedure.title),
        ("Numéro de dossier", request.number),
        ("Demandeur", applicant_name(request)),
        ("Déposé le", french_datetime(submitted)),
    ]


def _render(title: str, story: list[Flowable], request: Request) -> bytes:
    buffer = io.BytesIO()
    owner = request.procedure.owner.name

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(colors.grey)
        canvas.drawString(2 * cm, 1.2 * cm, f"{owner} — {title} — dossier {request.number}")
        canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, f"Page {doc.page}")
        canvas.restoreState()

    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title=f"{title} — {request.number}",
        author=owner,
        subject=request.procedure.title,
        creator="Civis Data",
        lang="fr-FR",
    )
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _due_date(request: Request) -> datetime.date | None:
    if request.submitted_at is None:
        return None
    received = timezone.localtime(request.submitted_at).date()
    return received + datetime.timedelta(days=request.procedure.expected_days)


def _silence_text(request: Request) -> str:
    procedure = request.procedure
    due = french_date(_due_date(request))
    if procedure.silence_means == SilenceMeans.ACCEPTANCE:
        return (
            "Cette demande est susceptible de donner lieu à une décision implicite "
            "d'acceptation : le silence gardé par l'administration vaut acceptation. À défaut "
            f"de décision expresse, votre demande sera réputée acceptée le {due}. Vous pourrez "
            "alors obtenir, sur simple demande, une attestation de cette décision implicite "
            "(article L. 232-3 du code des relations entre le public et l'administration)."
        )
    return (
        "Cette demande est susceptible de donner lieu à une décision implicite de rejet : le "
        "silence gardé par l'administration vaut rejet. À défaut de décision expresse, votre "
        f"demande sera réputée rejetée le {due}."
    )


def _appeal_text(request: Request) -> str:
    return (request.procedure.appeal or "").strip() or DEFAULT_APPEAL


def _processing_text(request: Request) -> str:
    expected = request.procedure.expected_days
    return f"Délai de traitement annoncé : {_days(expected)} à compter de la réception."


def _observed_times(request: Request) -> str:
    from procedures.selectors import processing_times

    times = processing_times(request.procedure)
    if not times:
        return ""
    return (
        "Sur les 12 derniers mois, la moitié des demandes ont été traitées en "
        f"{_decimal(times['median'])} jours au plus, et 9 sur 10 en "
        f"{_decimal(times['p90'])} jours au plus."
    )


def _decimal(value: Any) -> str:
    text = f"{float(value):g}"
    return text.replace(".", ",")


# --- The three documents ------------------------------------------------------------------------


def receipt_pdf(request: Request) -> bytes:
    """The accusé d'enregistrement électronique: the request is registered, with its number,
    date and time, and the answers as sent."""
    styles = _styles()
    title = "Accusé d'enregistrement électronique"
    names: dict[str, list[str]] = {}
    for attachment in request.attachments.filter(message__isnull=True).order_by("created_at"):
        names.setdefault(attachment.field_key, []).append(attachment.file_name)
    answers = display_answers(request.revision.fields, request.data, names)
    story: list[Flowable] = [
        *_header(request, title, styles),
        _p(
            f"Votre demande « {request.procedure.title} » a bien été enregistrée le "
            f"{french_datetime(request.submitted_at)} sous le numéro {request.number}. "
            "Conservez ce document : il atteste de la date de votre envoi.",
            styles["BodyText"],
        ),
        Spacer(1, 0.3 * cm),
        _table(_summary_rows(request), styles),
        Spacer(1, 0.4 * cm),
        _p(_processing_text(request), styles["BodyText"]),
    ]
    observed = _observed_times(request)
    if observed:
        story.append(_p(observed, styles["BodyText"]))
    story += [
        _p(
            "Un accusé de réception électronique vous sera adressé dès l'ouverture de votre "
            "dossier par le service instructeur, et au plus tard dans un délai de 10 jours "
            "ouvrés. Vous suivez votre dossier dans « Mes démarches » de votre espace.",
            styles["BodyText"],
        ),
        Spacer(1, 0.4 * cm),
        _p("Vos réponses", styles["Heading2"]),
    ]
    if answers:
        story.append(_table(answers, styles))
    else:
        story.append(_p("Aucune réponse.", styles["BodyText"]))
    story += [
        Spacer(1, 0.5 * cm),
        _p("Service chargé de votre demande", styles["Heading3"]),
        *[_p(line, styles["BodyText"]) for line in _contact_lines(request)],
    ]
    return _render(title, story, request)


def acknowledgement_pdf(request: Request) -> bytes:
    """The accusé de réception électronique (article R. 112-11-1 CRPA)."""
    styles = _styles()
    title = "Accusé de réception électronique"
    story: list[Flowable] = [
        *_header(request, title, styles),
        _p(
            f"{request.procedure.owner.name} accuse réception de votre demande "
            f"« {request.procedure.title} », reçue le {french_datetime(request.submitted_at)} "
            f"et enregistrée sous le numéro {request.number}.",
            styles["BodyText"],
        ),
        Spacer(1, 0.3 * cm),
        _table(
            [
                *_summary_rows(request),
                ("Date de réception", french_date(request.submitted_at)),
                ("Délai de traitement", _days(request.procedure.expected_days)),
                ("Décision attendue au plus tard le", french_date(_due_date(request))),
            ],
            styles,
        ),
        Spacer(1, 0.4 * cm),
        _p("Délai de traitement", styles["Heading2"]),
        _p(_processing_text(request), styles["BodyText"]),
    ]
    observed = _observed_times(request)
    if observed:
        story.append(_p(observed, styles["BodyText"]))
    story += [
        _p("Si l'administration garde le silence", styles["Heading2"]),
        _p(_silence_text(request), styles["BodyText"]),
        _p(
            "Si votre dossier est incomplet, le service vous indiquera les pièces ou "
            "informations manquantes et le délai pour les fournir ; le délai ci-dessus ne court "
            "qu'à compter de leur réception.",
            styles["BodyText"],
        ),
        _p("Voies et délais de recours", styles["Heading2"]),
        _p(
            (
                "En cas de décision implicite de rejet : "
                if request.procedure.silence_means == SilenceMeans.REFUSAL
                else "Contre la décision qui sera prise : "
            )
            + _appeal_text(request),
            styles["BodyText"],
        ),
        Spacer(1, 0.4 * cm),
        _p("Service chargé de votre dossier", styles["Heading3"]),
        *[_p(line, styles["BodyText"]) for line in _contact_lines(request)],
        Spacer(1, 0.3 * cm),
        _p(
            "Accusé de réception électronique délivré en application des articles L. 112-11 et "
            "R. 112-11-1 du code des relations entre le public et l'administration (décret "
            "n° 2016-1411 du 20 octobre 2016 relatif aux modalités de saisine de "
            "l'administration par voie électronique).",
            styles["Small"],
        ),
    ]
    return _render(title, story, request)


def _answer_text(request: Request, key: str) -> str:
    value = (request.data or {}).get(key)
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value if not isinstance(v, dict))
    return str(value)


def fill_template(request: Request, template: str) -> str:
    """The procedure's decision template with its fields filled; an unknown field stays as
    written."""
    outcome = OUTCOME_LABEL.get(RequestState(request.state), request.get_state_display())
    values = {
        "demandeur": applicant_name(request),
        "numero": request.number,
        "demarche": request.procedure.title,
        "collectivite": request.procedure.owner.name,
        "decision": str(outcome),
        "motivation": request.motivation,
        "date": french_date(request.decided_at),
    }

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("champ:"):
            return _answer_text(request, name.removeprefix("champ:"))
        return values.get(name, match.group(0))

    return _PLACEHOLDER.sub(replace, template)


def _signer(request: Request) -> str:
    """Who took the decision: the actor of the latest decision event, else the assignee, else
    the instructing service."""
    event = (
        RequestEvent.objects.filter(
            request=request,
            action__in=[
                RequestEvent.Action.ACCEPT,
                RequestEvent.Action.REFUSE,
                RequestEvent.Action.CLOSE,
            ],
        )
        .select_related("actor")
        .order_by("-at", "-pk")
        .first()
        if request.pk
        else None
    )
    person = event.actor if event is not None and event.actor is not None else request.assigned_to
    if person is not None:
        return person.get_full_name().strip() or person.get_username()
    return "le service instructeur"


def decision_pdf(request: Request) -> bytes:
    """The decision: outcome, motivation, the procedure's template filled, who signed, the
    verification code and the address of the verification page."""
    styles = _styles()
    title = "Décision"
    state = request.state
    outcome = OUTCOME_TEXT.get(RequestState(state), "") if state in CLOSED_STATES else ""
    story: list[Flowable] = [
        *_header(request, title, styles),
        _table(
            [
                *_summary_rows(request),
                ("Décision", str(OUTCOME_LABEL.get(RequestState(state), "")).capitalize()),
                ("Date de la décision", french_date(request.decided_at)),
            ],
            styles,
        ),
        Spacer(1, 0.4 * cm),
        _p(f"Madame, Monsieur {applicant_name(request)},", styles["BodyText"]),
        _p(outcome, styles["Heading2"]),
    ]
    if request.motivation.strip():
        story += [
            _p("Motivation", styles["Heading3"]),
            _p(request.motivation.strip(), styles["BodyText"]),
        ]
    template = (request.procedure.decision_template or "").strip()
    if template:
        story += [Spacer(1, 0.3 * cm), _p(fill_template(request, template), styles["BodyText"])]
    story += [
        _p("Voies et délais de recours", styles["Heading3"]),
        _p(_appeal_text(request), styles["BodyText"]),
        Spacer(1, 0.5 * cm),
        KeepTogether(
            [
                _p(
                    f"Fait le {french_date(request.decided_at)}, "
                    f"pour {request.procedure.owner.name}.",
                    styles["BodyText"],
                ),
                _p(f"Signé électroniquement par {_signer(request)}.", styles["BodyText"]),
                Spacer(1, 0.4 * cm),
                _p(f"Code de vérification : {verification_code(request)}", styles["Heading3"]),
                _p(
                    "Vérifiez l'authenticité de cette décision sur "
                    f"{verify_url()} : déposez-y ce fichier PDF (ou son empreinte SHA-256). "
                    "Une décision modifiée, même d'un caractère, n'y est pas reconnue.",
                    styles["Small"],
                ),
            ]
        ),
    ]
    return _render(title, story, request)

"""What a délibération carries for the SCDL délibérations schema (2.1.5), checked at entry.

``deliberation_clean`` applies the schema's rules to what an agent typed, each refusal a
French message on its field; ``deliberation_details_save`` stores the cleaned values (one row
per délibération, ``documents.DeliberationDetails``) with an audit row. It is called alone or
as a step of ``document_create`` / ``document_edit`` (``.step()``), so a wrong row is never
stored and, in the admin form, nothing of the document's edit is kept either.

The rules (the schema's ``custom_checks``, here before anything is written):

- the act's own identifier is required; the adoption date is required and not in the future;
- the subject code exists in the ACTES nomenclature (``documents.actes``);
- the budget year is AAAA or AAAA/AAAA with the second year the first plus one, and the
  budget name is given if and only if the budget year is;
- the préfecture's transmission date is on or after the adoption date;
- the vote counts are all given or all left empty; votants ≤ effectif; pour, contre and
  abstentions each ≤ votants, and pour + contre + abstentions = votants.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from core.transactions import service
from documents import actes
from documents.models import DeliberationDetails, Document, DocumentType
from documents.selectors import can_edit
from identity.models import User

TEXT_FIELDS = ("act_id", "subject_code", "budget_year", "budget_name", "prefecture_id")
DATE_FIELDS = ("adopted_on", "prefecture_date")
VOTE_FIELDS = ("vote_effectif", "vote_reel", "vote_pour", "vote_contre", "vote_abstention")
FIELDS = (*TEXT_FIELDS, *DATE_FIELDS, *VOTE_FIELDS)
BUDGET_YEAR = re.compile(r"^(\d{4})(?:/(\d{4}))?$")
MAX_LENGTHS = {
    "act_id": 64,
    "subject_code": 5,
    "budget_year": 9,
    "budget_name": 200,
    "prefecture_id": 64,
}


def _date(value: Any, field: str, errors: dict[str, str]) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        errors[field] = _("Date invalide : écrivez-la au format AAAA-MM-JJ.")
        return None


def _count(value: Any, field: str, errors: dict[str, str]) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        errors[field] = _("Écrivez un nombre entier.")
        return None
    if isinstance(value, bool) or number < 0:
        errors[field] = _("Écrivez un nombre entier positif ou nul.")
        return None
    return number


def deliberation_clean(
    data: Mapping[str, Any], *, today: datetime.date | None = None
) -> dict[str, Any]:
    """The values of ``data`` (model field names; strings as typed, or dates and integers)
    checked against the schema's rules. Raises ``ValidationError`` with a French message on
    each wrong field; returns the values to store."""
    errors: dict[str, str] = {}
    today = today or timezone.localdate()
    values: dict[str, Any] = {}
    for field in TEXT_FIELDS:
        text = " ".join(str(data.get(field) or "").split())
        if len(text) > MAX_LENGTHS[field]:
            errors[field] = _("%(max)d caractères au plus.") % {"max": MAX_LENGTHS[field]}
        values[field] = text
    for field in DATE_FIELDS:
        values[field] = _date(data.get(field), field, errors)
    for field in VOTE_FIELDS:
        values[field] = _count(data.get(field), field, errors)

    if not values["act_id"] and "act_id" not in errors:
        errors["act_id"] = _("Indiquez l'identifiant de la délibération (par exemple 2026-045).")
    adopted_on = values["adopted_on"]
    if adopted_on is None and "adopted_on" not in errors:
        errors["adopted_on"] = _("Indiquez la date d'adoption de la délibération.")
    elif adopted_on is not None and adopted_on > today:
        errors["adopted_on"] = _("La date d'adoption ne peut pas être dans le futur.")
    code = values["subject_code"]
    if not code:
        errors.setdefault(
            "subject_code", _("Choisissez la matière de la délibération (nomenclature ACTES).")
        )
    elif not actes.is_subject(code):
        errors.setdefault(
            "subject_code",
            _("« %(code)s » n'est pas une matière de la nomenclature ACTES (par exemple 7.1).")
            % {"code": code},
        )

    year, name = values["budget_year"], values["budget_name"]
    if year:
        match = BUDGET_YEAR.match(year)
        if match is None:
            errors.setdefault(
                "budget_year", _("L'année du budget s'écrit AAAA ou AAAA/AAAA (par exemple 2026).")
            )
        elif match.group(2) and int(match.group(2)) != int(match.group(1)) + 1:
            errors.setdefault(
                "budget_year",
                _(
                    "Un exercice sur deux années s'écrit AAAA/AAAA avec deux années qui se suivent "
                    "(par exemple %(first)s/%(next)d)."
                )
                % {"first": match.group(1), "next": int(match.group(1)) + 1},
            )
        if not name:
            errors.setdefault(
                "budget_name", _("Indiquez le nom du budget concerné par l'année du budget.")
            )
    elif name:
        errors.setdefault(
            "budget_year",
            _("Indiquez l'année du budget : un nom de budget va avec son année."),
        )

    prefecture_date = values["prefecture_date"]
    if prefecture_date is not None and adopted_on is not None and prefecture_date < adopted_on:
        errors.setdefault(
            "prefecture_date",
            _("La transmission en préfecture ne peut pas précéder l'adoption."),
        )

    votes = {field: values[field] for field in VOTE_FIELDS}
    if not any(f in errors for f in VOTE_FIELDS):
        given = [f for f, v in votes.items() if v is not None]
        if given and len(given) != len(VOTE_FIELDS):
            for field in VOTE_FIELDS:
                if votes[field] is None:
                    errors[field] = _(
                        "Les cinq nombres du vote vont ensemble : remplissez-les tous ou aucun."
                    )
        elif given:
            effectif, reel = votes["vote_effectif"], votes["vote_reel"]
            assert effectif is not None and reel is not None  # noqa: S101 (all given)
            if reel > effectif:
                errors["vote_reel"] = _(
                    "Il ne peut y avoir plus de votants (%(reel)d) que de membres en exercice "
                    "(%(effectif)d)."
                ) % {"reel": reel, "effectif": effectif}
            for field in ("vote_pour", "vote_contre", "vote_abstention"):
                if (votes[field] or 0) > reel:
                    errors[field] = _(
                        "Ce nombre ne peut pas dépasser celui des votants (%(reel)d)."
                    ) % {"reel": reel}
            total = sum(votes[f] or 0 for f in ("vote_pour", "vote_contre", "vote_abstention"))
            if total != reel and "vote_reel" not in errors:
                errors["vote_reel"] = _(
                    "Pour, contre et abstentions font %(total)d voix : ce doit être le nombre "
                    "de votants (%(reel)d)."
                ) % {"total": total, "reel": reel}
    if errors:
        raise ValidationError(errors)
    return values


@service
def deliberation_details_save(
    *,
    actor: User | None,
    document: Document,
    data: Mapping[str, Any],
    ip_address: str | None = None,
) -> DeliberationDetails:
    """Store the SCDL data of ``document`` (a délibération), after ``deliberation_clean``.

    ``actor`` None is the system (demo loader, imports); otherwise they must be able to edit
    the document. Audited (UPDATE, with the changed fields) when anything changes."""
    if actor is not None and not can_edit(actor, document):
        raise PermissionDenied(_("Vous ne pouvez pas modifier ce document."))
    if document.document_type != DocumentType.DELIBERATION:
        raise ValidationError(
            {"document_type": _("Seule une délibération porte ces données (SCDL).")}
        )
    values = deliberation_clean(data)
    details = DeliberationDetails.objects.select_for_update().filter(document=document).first()
    before = {f: str(getattr(details, f)) for f in FIELDS} if details is not None else {}
    if details is None:
        details = DeliberationDetails(document=document)
    for field, value in values.items():
        setattr(details, field, value)
    changed = {
        f: [before.get(f, ""), str(getattr(details, f))]
        for f in FIELDS
        if before.get(f) != str(getattr(details, f))
    }
    if changed:
        details.save()
        # The export's Last-Modified follows the document's.
        Document.objects.filter(pk=document.pk).update(updated_at=timezone.now())
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            document=document,
            ip_address=ip_address,
            deliberation=changed,
        )
    return details

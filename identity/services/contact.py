"""An authority's public contact details (address, opening hours, phone, e-mail, website)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.transactions import service
from identity import contact as values
from identity.models import CONTACT_FIELDS, Authority, AuthorityContact, User
from identity.selectors import authorities_identity_editable_by


class _Keep:
    """A field not passed keeps its value."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = _Keep()

_CLEANERS: dict[str, Callable[[str], str]] = {
    "street_address": values.clean_street_address,
    "postal_code": values.clean_postal_code,
    "city": values.clean_line,
    "opening_hours": values.clean_opening_hours,
    "opening_hours_note": values.clean_line,
    "phone": values.clean_phone,
    "email": values.clean_email,
    "contact_url": values.clean_https_url,
    "website": values.clean_https_url,
}


def authority_contact_clean(data: dict[str, str]) -> dict[str, str]:
    """Every field cleaned, or one ``ValidationError`` holding a French message per faulty
    field (nothing is written by anyone with a refused value)."""
    cleaned: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name in CONTACT_FIELDS:
        raw = data.get(name, "")
        if not isinstance(raw, str):
            errors[name] = [_("Valeur invalide.")]
            continue
        try:
            cleaned[name] = _CLEANERS[name](raw)
        except ValidationError as error:
            errors[name] = list(error.messages)
            continue
        limit: int | None = getattr(AuthorityContact._meta.get_field(name), "max_length", None)
        if limit is not None and len(cleaned[name]) > limit:
            errors[name] = [_("%(count)d caractères au plus.") % {"count": limit}]
    if not errors and any(cleaned[n] for n in ("street_address", "postal_code", "city")):
        # A postal address is whole or absent: a street without a town reaches nobody.
        for name, message in (
            ("street_address", _("Indiquez la rue (ou retirez le code postal et la commune).")),
            ("postal_code", _("Indiquez le code postal de l'adresse.")),
            ("city", _("Indiquez la commune de l'adresse.")),
        ):
            if not cleaned[name]:
                errors[name] = [message]
    if not errors and cleaned["opening_hours_note"] and not cleaned["opening_hours"]:
        errors["opening_hours_note"] = [_("Une précision accompagne des horaires : saisissez-les.")]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _snapshot(contact: AuthorityContact) -> dict[str, str]:
    return {name: getattr(contact, name) for name in CONTACT_FIELDS}


@service
def authority_contact_update(
    *,
    actor: User | None,
    authority: Authority,
    street_address: str | _Keep = KEEP,
    postal_code: str | _Keep = KEEP,
    city: str | _Keep = KEEP,
    opening_hours: str | _Keep = KEEP,
    opening_hours_note: str | _Keep = KEEP,
    phone: str | _Keep = KEEP,
    email: str | _Keep = KEEP,
    contact_url: str | _Keep = KEEP,
    website: str | _Keep = KEEP,
    ip_address: str | None = None,
) -> AuthorityContact:
    """Change how the public reaches ``authority``: the fields passed (others are kept), all
    checked together. ``actor`` is a publisher or administrator of the authority, or an
    administrator above it (``None``: the system, e.g. the demo loader). One audit row
    ``update`` with the changed fields before → after; nothing changed, nothing written."""
    if actor is not None and (
        not authorities_identity_editable_by(actor).filter(pk=authority.pk).exists()
    ):
        raise PermissionDenied(_("Cette collectivité n'est pas de votre ressort."))
    contact = AuthorityContact.objects.select_for_update().filter(
        authority=authority
    ).first() or AuthorityContact(authority=authority)
    before = _snapshot(contact)
    given: dict[str, Any] = {
        "street_address": street_address,
        "postal_code": postal_code,
        "city": city,
        "opening_hours": opening_hours,
        "opening_hours_note": opening_hours_note,
        "phone": phone,
        "email": email,
        "contact_url": contact_url,
        "website": website,
    }
    merged = {
        name: before[name] if isinstance(value, _Keep) else value for name, value in given.items()
    }
    after = authority_contact_clean(merged)
    changed = [name for name in CONTACT_FIELDS if after[name] != before[name]]
    if not changed:
        return contact
    for name in changed:
        setattr(contact, name, after[name])
    contact.updated_at = timezone.now()
    contact.updated_by = actor
    contact.save()
    from audit.models import AuditEvent
    from audit.services import audit_record

    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        authority=authority,
        ip_address=ip_address,
        change="authority_contact",
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed},
    )
    return contact

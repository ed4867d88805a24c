"""« Service public certifié »: the mark data.gouv.fr gives official publishers, granted here
by the portal's superusers only (they have checked that the authority's publishers are its
own agents). Shown on the authority's page, its datasets, documents and search results
(``identity/includes/certified_badge.html``) and in the DCAT catalog as the publisher's type.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from core.transactions import service
from identity.models import Authority, User


@service
def authority_certify(
    *, actor: User | AnonymousUser | None, authority: Authority, certified: bool
) -> Authority:
    """Certify ``authority`` (``certified=True``) or withdraw its certification. Superusers
    only (``PermissionDenied`` otherwise). One audit row ``certify`` with
    ``{"certified": bool}``; asking for the state it already has writes nothing."""
    if not isinstance(actor, User) or not actor.is_active or not actor.is_superuser:
        raise PermissionDenied(_("Seul un super-administrateur certifie une collectivité."))
    locked = Authority.objects.select_for_update().get(pk=authority.pk)
    if locked.is_certified == certified:
        return locked
    if certified:
        locked.certified_at = timezone.now()
        locked.certified_by = actor
    else:
        locked.certified_at = None
        locked.certified_by = None
    locked.save(update_fields=["certified_at", "certified_by"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CERTIFY,
        authority=locked,
        certified=certified,
        name=locked.name,
    )
    authority.certified_at, authority.certified_by = locked.certified_at, locked.certified_by
    return locked

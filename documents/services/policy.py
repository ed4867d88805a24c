"""An authority's publishing policy (review before publication), set by its administrators."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from documents.models import PublishingPolicy
from identity.models import Authority, User
from identity.selectors import authorities_overseen_by


def publishing_policy_set(
    *,
    actor: User | None,
    authority: Authority,
    review_required: bool,
    ip_address: str | None = None,
) -> PublishingPolicy:
    """Ask (or stop asking) for a publisher's approval before the authority's agents' drafts go
    public. Only an administrator of the authority (or above it) may; ``actor`` None is the
    system."""
    if actor is not None and not authorities_overseen_by(actor).filter(pk=authority.pk).exists():
        raise PermissionDenied(_("Vous n'administrez pas cette collectivité."))
    with transaction.atomic(durable=True):
        policy, _created = PublishingPolicy.objects.select_for_update().get_or_create(
            authority=authority
        )
        before = policy.review_required
        if before != review_required:
            policy.review_required = review_required
            policy.save(update_fields=["review_required"])
            audit_record(
                actor=actor,
                action=AuditEvent.Action.UPDATE,
                authority=authority,
                ip_address=ip_address,
                publishing_policy=True,
                changed={"review_required": [str(before), str(review_required)]},
            )
    return policy

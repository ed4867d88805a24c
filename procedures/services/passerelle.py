"""Passerelle tokens (helper AGENT): a procedure's editors create a token for a back-office
(shown once; only its SHA-256 is kept) and revoke it. Audited (CREATE / REVOKE, authority =
the procedure's owner, detail ``procedure=<pk>, token=<name>``); never the token itself."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from core.transactions import service
from identity.models import User
from procedures.models import ApiToken, Procedure

Actor = User | AnonymousUser | None
TOKEN_PREFIX = "civis_"  # noqa: S105 (a prefix, not a secret)
NAME_MAX = 100


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _require_editor(actor: Actor, procedure: Procedure) -> None:
    from procedures.selectors import procedures_editable_by

    if not procedures_editable_by(actor).filter(pk=procedure.pk).exists():
        raise PermissionDenied(_("Vous ne pouvez pas modifier cette démarche."))


@service
def token_create(*, actor: Actor, procedure: Procedure, name: str) -> tuple[ApiToken, str]:
    """A new token of ``procedure``: (the row, the clear token — to show once)."""
    _require_editor(actor, procedure)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Donnez un nom au jeton (le logiciel qui l'utilise).")})
    if len(name) > NAME_MAX:
        raise ValidationError({"name": _("Le nom dépasse 100 caractères.")})
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        procedure=procedure,
        name=name,
        token_sha256=token_hash(clear),
        created_by=actor if isinstance(actor, User) else None,
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        authority=procedure.owner,
        procedure=procedure.pk,
        token=name,
        what="passerelle_token",
    )
    return token, clear


@service
def token_revoke(*, actor: Actor, token: ApiToken) -> ApiToken:
    procedure = token.procedure
    _require_editor(actor, procedure)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action=AuditEvent.Action.REVOKE,
            authority=procedure.owner,
            procedure=procedure.pk,
            token=token.name,
            what="passerelle_token",
        )
    return token

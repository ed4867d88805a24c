"""Audit events as sentences people read: who did what to which object, before → after.

Plain text (templates escape it; the CSV export writes it as is). Times are Europe/Paris, as
every screen of the portal shows them; the database keeps UTC.

``describe_event(event)`` describes one event; the log and ``recent_events_for_document``
attach what the viewer may see of it (``EventView``: the document's title and detail, the
reader of a personal document) so the sentence never says more than the row would.
"""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit.models import AuditEvent
from documents.admin.audit_scope import EventView, Names, event_views, log_events_for, names_for
from documents.models import Document, GrantLevel
from documents.selectors import can_edit
from identity.models import Membership, User
from identity.selectors import principals_of

PARIS = ZoneInfo("Europe/Paris")
VIEW_ATTRIBUTE = "civis_audit_view"
LONG_TEXT = 120


def paris(moment: datetime.datetime) -> datetime.datetime:
    """A stored (UTC) time in Europe/Paris."""
    return timezone.localtime(moment, PARIS)


def paris_text(moment: datetime.datetime, *, seconds: bool = False) -> str:
    return paris(moment).strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")


def person_label(user: User | None) -> str:
    if user is None:
        return _("Système")
    full = user.get_full_name()
    return f"{full} ({user.username})" if full else user.username


def actor_label(event: AuditEvent, view: EventView | None = None) -> str:
    view = view or view_of(event)
    if not view.reader_shown:
        return _("masqué (document personnel)")
    if event.actor is None:
        source = _detail(event).get("source")
        if source:
            return _("Système (fournisseur d'identité « %(source)s », à la connexion)") % {
                "source": source
            }
        return _("Système")
    return person_label(event.actor)


def view_of(event: AuditEvent) -> EventView:
    """What the viewer may see of ``event`` (attached by the log); everything, with names
    fetched now, for an event nobody annotated."""
    view: EventView | None = getattr(event, VIEW_ATTRIBUTE, None)
    if view is None:
        view = EventView(names=names_for([event]))
        setattr(event, VIEW_ATTRIBUTE, view)
    return view


def _detail(event: AuditEvent) -> dict[str, Any]:
    return event.detail if isinstance(event.detail, dict) else {}


def _quoted(text: object) -> str:
    text = str(text)
    if len(text) > LONG_TEXT:
        text = text[: LONG_TEXT - 1] + "…"
    return f"« {text} »"


def document_label(event: AuditEvent, view: EventView) -> str:
    if event.document_id is None:
        return _("un document supprimé")
    if view.document_readable and event.document is not None:
        return _("le document %(title)s") % {"title": _quoted(event.document.title)}
    return _("le document n° %(id)s") % {"id": event.document_id}


def _someone(pk: object, username: object, names: Names) -> str:
    if isinstance(pk, int) and pk in names.users:
        return person_label(names.users[pk])
    if username:
        return str(username)
    return _("compte n° %(id)s") % {"id": pk} if pk else _("une personne")


def _size(size: object) -> str:
    if not isinstance(size, int):
        return ""
    if size < 1024:
        return _("%(n)d octets") % {"n": size}
    if size < 1024 * 1024:
        return _("%(n)s Ko") % {"n": f"{size / 1024:.1f}".replace(".", ",")}
    return _("%(n)s Mo") % {"n": f"{size / 1024 / 1024:.1f}".replace(".", ",")}


def _moment(value: object) -> str:
    """A stored date or time (ISO text) as Paris shows it."""
    if not isinstance(value, str) or value in ("", "None"):
        return _("(vide)")
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        return value
    if len(value) == 10:  # a date alone
        return moment.strftime("%d/%m/%Y")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, datetime.UTC)
    return paris_text(moment)


def _field_label(name: str) -> str:
    try:
        model_field = Document._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    return str(getattr(model_field, "verbose_name", name))


def _field_value(name: str, value: object) -> str:
    if value is None or value in ("", "None"):
        return _("(vide)")
    try:
        model_field = Document._meta.get_field(name)
    except FieldDoesNotExist:
        return _quoted(value)
    choices = dict(getattr(model_field, "choices", None) or [])
    if choices and value in choices:
        return str(choices[value])
    if model_field.get_internal_type() in ("DateField", "DateTimeField"):
        return _moment(value)
    return _quoted(value)


def _changes(changed: object) -> str:
    if not isinstance(changed, dict) or not changed:
        return ""
    parts = []
    for name, values in changed.items():
        if isinstance(values, list | tuple) and len(values) == 2:
            before, after = values
            parts.append(
                f"{_field_label(name)} : {_field_value(name, before)} → {_field_value(name, after)}"
            )
    return " ; ".join(parts)


def _role_name(role: object) -> str:
    return str(dict(Membership.Role.choices).get(str(role), role))


def _roles(snapshot: object) -> str:
    if not isinstance(snapshot, list) or not snapshot:
        return _("aucun")
    parts = []
    for row in snapshot:
        if not isinstance(row, dict):
            continue
        role = _role_name(row.get("role"))
        starts, ends = row.get("starts_on"), row.get("ends_on")
        if ends:
            parts.append(
                _("%(role)s du %(start)s au %(end)s")
                % {"role": role, "start": _moment(starts), "end": _moment(ends)}
            )
        else:
            parts.append(
                _("%(role)s depuis le %(start)s") % {"role": role, "start": _moment(starts)}
            )
    return ", ".join(parts) or _("aucun")


def _where(event: AuditEvent) -> str:
    return event.authority.name if event.authority is not None else _("une collectivité")


def _members(value: object) -> str:
    members = value.get("members") if isinstance(value, dict) else None
    if not isinstance(members, list) or not members:
        return _("aucun membre")
    return ", ".join(str(m) for m in members)


def _role_event(who: str, event: AuditEvent, detail: dict[str, Any], names: Names) -> str:
    change = detail.get("change")
    person = _someone(detail.get("user"), detail.get("username"), names)
    group = _quoted(detail.get("group_name") or detail.get("group") or "?")
    where = _where(event)
    if change in ("grant", "revoke"):
        text = (
            _("%(who)s a accordé le rôle « %(role)s » à %(person)s pour %(where)s")
            if change == "grant"
            else _("%(who)s a retiré le rôle « %(role)s » à %(person)s pour %(where)s")
        ) % {"who": who, "role": _role_name(detail.get("role")), "person": person, "where": where}
        return text + _(" — rôles à %(where)s : %(before)s → %(after)s") % {
            "where": where,
            "before": _roles(detail.get("before")),
            "after": _roles(detail.get("after")),
        }
    if change == "group_create":
        return _("%(who)s a créé le groupe %(group)s (collectivité responsable : %(where)s)") % {
            "who": who,
            "group": group,
            "where": where,
        }
    if change == "group_adopt":
        return _("%(who)s a rattaché le groupe %(group)s à %(where)s (membres : %(members)s)") % {
            "who": who,
            "group": group,
            "where": where,
            "members": _members(detail.get("after")),
        }
    if change in ("group_member_add", "group_member_remove"):
        text = (
            _("%(who)s a ajouté %(person)s au groupe %(group)s")
            if change == "group_member_add"
            else _("%(who)s a retiré %(person)s du groupe %(group)s")
        ) % {"who": who, "person": person, "group": group}
        return text + _(" — membres : %(before)s → %(after)s") % {
            "before": _members(detail.get("before")),
            "after": _members(detail.get("after")),
        }
    if change == "oidc_provider":
        return _provider_event(who, detail)
    return _("%(who)s a modifié des droits à %(where)s") % {"who": who, "where": where}


def _provider_event(who: str, detail: dict[str, Any]) -> str:
    provider = _quoted(detail.get("provider", "?"))
    before, after = detail.get("before"), detail.get("after")
    if not isinstance(before, dict):
        text = _("%(who)s a enregistré le fournisseur d'identité %(provider)s") % {
            "who": who,
            "provider": provider,
        }
    else:
        changes = [
            f"{name} : {_quoted(before.get(name))} → {_quoted(value)}"
            for name, value in (after or {}).items()
            if before.get(name) != value
        ]
        text = _("%(who)s a modifié le fournisseur d'identité %(provider)s") % {
            "who": who,
            "provider": provider,
        }
        if changes:
            text += " : " + " ; ".join(changes)
    if detail.get("secret_changed"):
        text += _(" ; secret client changé")
    unlinked = detail.get("identities_unlinked")
    if unlinked:
        text += ngettext(
            " ; %(n)d identité fédérée détachée",
            " ; %(n)d identités fédérées détachées",
            int(unlinked),
        ) % {"n": int(unlinked)}
    return text


def _grantee(detail: dict[str, Any], names: Names) -> str:
    kind, _sep, raw = str(detail.get("grantee", "")).partition(":")
    pk = int(raw) if raw.isdigit() else None
    if kind == "user":
        return _someone(pk, None, names)
    if kind == "group":
        name = names.groups.get(pk or 0)
        return _("le groupe %(name)s") % {"name": _quoted(name or pk)}
    if kind == "authority":
        name = names.authorities.get(pk or 0)
        return _("tous les agents de %(name)s") % {"name": name or _("la collectivité n° %s") % pk}
    return _("un destinataire")


def _level(detail: dict[str, Any]) -> str:
    level = str(detail.get("level") or "?")
    return str(dict(GrantLevel.choices).get(level, level)).lower()


def _when(detail: dict[str, Any]) -> str:
    parts = []
    if detail.get("go_live_at"):
        parts.append(_("mise en ligne le %(when)s") % {"when": _moment(detail["go_live_at"])})
    if detail.get("expire_at"):
        parts.append(_("fin d'affichage le %(when)s") % {"when": _moment(detail["expire_at"])})
    return " (" + ", ".join(parts) + ")" if parts else ""


def _comment(detail: dict[str, Any]) -> str:
    comment = str(detail.get("comment") or "").strip()
    return _(" — commentaire : %(comment)s") % {"comment": _quoted(comment)} if comment else ""


def _order_of(order: tuple[str, ...], key: object) -> int:
    return order.index(key) if key in order else len(order)


def _filters(filters: object, names: Names) -> str:
    if not isinstance(filters, dict) or not filters:
        return _("sans filtre")
    parts = []
    # The order of the filter form, whatever order the database keeps JSON keys in
    # (PostgreSQL's jsonb sorts them by length).
    order = ("from", "to", "action", "actor", "authority", "document", "q")
    for key, value in sorted(filters.items(), key=lambda kv: _order_of(order, kv[0])):
        text = str(value)
        if key == "from":
            parts.append(_("du %(day)s") % {"day": _moment(text)})
        elif key == "to":
            parts.append(_("au %(day)s") % {"day": _moment(text)})
        elif key == "action":
            parts.append(
                _("action : %(action)s")
                % {"action": dict(AuditEvent.Action.choices).get(text, text)}
            )
        elif key == "actor":
            who = _someone(int(text), None, names) if text.isdigit() else _quoted(text)
            parts.append(_("auteur : %(who)s") % {"who": who})
        elif key == "authority":
            name = names.authorities.get(int(text)) if text.isdigit() else None
            parts.append(_("collectivité : %(name)s") % {"name": name or text})
        elif key == "document":
            parts.append(_("document n° %(id)s") % {"id": text})
        elif key == "q":
            parts.append(_("recherche %(q)s") % {"q": _quoted(text)})
    return ", ".join(parts) or _("sans filtre")


def describe_event(event: AuditEvent, view: EventView | None = None) -> str:
    """One event as a French sentence (plain text: escape it in HTML, as templates do)."""
    view = view or view_of(event)
    detail = _detail(event)
    who = actor_label(event, view)
    action = event.action
    Action = AuditEvent.Action
    if action == Action.ROLE:
        return _role_event(who, event, detail, view.names)
    if action == Action.LOCKOUT:
        return _(
            "Connexion bloquée pour l'identifiant %(username)s après %(n)s échec(s) (%(path)s)"
        ) % {
            "username": _quoted(detail.get("username", "?")),
            "n": detail.get("failures", "?"),
            "path": detail.get("path", "?"),
        }
    if action == Action.UNLOCK:
        target = (
            _("de l'adresse IP %(target)s")
            if detail.get("kind") == "ip_address"
            else _("de l'identifiant %(target)s")
        ) % {"target": _quoted(detail.get("target", "?"))}
        return _("%(who)s a débloqué la connexion %(target)s (%(n)s tentative(s) effacée(s))") % {
            "who": who,
            "target": target,
            "n": detail.get("attempts", 0),
        }
    if action == Action.EXPORT:
        return _(
            "%(who)s a exporté le journal d'audit (%(format)s, %(n)s événement(s) ; %(filters)s)"
        ) % {
            "who": who,
            "format": str(detail.get("format", "csv")).upper(),
            "n": detail.get("count", "?"),
            "filters": _filters(detail.get("filters"), view.names),
        }
    document = document_label(event, view)
    if not view.document_readable and action not in (
        Action.VIEW,
        Action.DOWNLOAD,
        Action.PUBLISH,
        Action.WITHDRAW,
    ):
        # Whatever the detail says may quote the document: not to this viewer.
        return _("%(who)s : %(action)s — %(document)s (détail masqué)") % {
            "who": who,
            "action": event.get_action_display().lower(),
            "document": document,
        }
    values = {"who": who, "document": document}
    if action == Action.CREATE:
        text = _("%(who)s a créé %(document)s") % values
        if detail.get("version"):
            text += _(" (version %(n)s, %(size)s)") % {
                "n": detail["version"],
                "size": _size(detail.get("size")),
            }
        return text
    if action == Action.UPDATE:
        changes = _changes(detail.get("changed"))
        text = _("%(who)s a modifié %(document)s") % values
        return text + (" : " + changes if changes else _(" (mots-clés)"))
    if action == Action.VERSION:
        return _("%(who)s a déposé la version %(n)s de %(document)s (%(size)s)") % {
            **values,
            "n": detail.get("version", "?"),
            "size": _size(detail.get("size")),
        }
    if action == Action.PUBLISH:
        if detail.get("scheduled"):
            return _("%(who)s : %(document)s mis en ligne à l'heure programmée") % values
        return _("%(who)s a publié %(document)s") % values
    if action == Action.WITHDRAW:
        if detail.get("reason") == "expired":
            return _("%(who)s : %(document)s retiré automatiquement (fin d'affichage)") % values
        return _("%(who)s a retiré %(document)s") % values
    if action in (Action.GRANT, Action.REVOKE):
        grant = {**values, "level": _level(detail), "grantee": _grantee(detail, view.names)}
        if action == Action.GRANT:
            return _("%(who)s a donné l'accès en %(level)s à %(document)s à %(grantee)s") % grant
        return _("%(who)s a retiré l'accès en %(level)s à %(document)s à %(grantee)s") % grant
    if action == Action.VIEW:
        return _("%(who)s a consulté %(document)s") % values
    if action == Action.DOWNLOAD:
        return _("%(who)s a téléchargé %(document)s") % values
    if action == Action.SCHEDULE:
        return _("%(who)s a programmé la publication de %(document)s") % values + _when(detail)
    if action == Action.SUBMIT:
        return _("%(who)s a soumis %(document)s pour validation") % values + _comment(detail)
    if action == Action.APPROVE:
        return _("%(who)s a validé %(document)s") % values + _when(detail) + _comment(detail)
    if action == Action.SEND_BACK:
        return _("%(who)s a renvoyé %(document)s pour corrections") % values + _comment(detail)
    return _("%(who)s : %(action)s — %(document)s") % {
        **values,
        "action": event.get_action_display(),
    }


def recent_events_for_document(
    user: User | AnonymousUser | None, document: Document, limit: int = 10
) -> list[AuditEvent]:
    """The latest events of ``document`` that ``user`` may read, newest first, each with what
    they may see of it (``describe_event(event)`` and ``actor_label(event)`` honour it).

    Whoever edits the document reads its trail (the edit screen is theirs); anyone else, the
    events of it that their audit log holds. Readers of a personal document stay hidden from
    all but its owner's agents, as in the log."""
    principals = principals_of(user)
    if principals.superuser or can_edit(user, document):
        events = AuditEvent.objects.all()
    else:
        scoped = log_events_for(user)
        if scoped is None:
            return []
        events = scoped
    listed = list(
        events.filter(document_id=document.pk)
        .select_related("actor", "document", "authority")
        .order_by("-at", "-pk")[:limit]
    )
    for event, view in event_views(user, listed):
        setattr(event, VIEW_ATTRIBUTE, view)
    return listed

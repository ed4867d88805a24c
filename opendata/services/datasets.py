"""Datasets and their resources, as agents manage them in the admin.

- Only those who publish for the owner (``opendata.selectors.datasets_editable_by``) create,
  edit, publish and withdraw a dataset and add, remove and move its resources.
- A document resource must be a *public, published* document of the dataset's **owner itself**
  (not of its subtree): the dataset's publisher (``dct:publisher``) is the owner, and a file of
  Mérignac listed in a dataset of Bordeaux Métropole would be attributed to the métropole by
  every harvester. A métropole that wants its communes' data uses the SCDL exports, which
  cover its subtree, or asks each commune to publish its own dataset.
- An API resource is a path of this portal's ``/api/v1/`` that the URL resolver knows: no
  external URL, no scheme, no host, no ``..``.
- ``modified_at`` moves forward on every change, and no date is ever in the future.

Every write is one durable transaction with an audit row (CREATE / UPDATE / PUBLISH /
WITHDRAW, ``authority=dataset.owner``, detail ``{"dataset": "<uuid>", ...}``).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from core.transactions import service
from documents.models import Document
from documents.models import Status as DocumentStatus
from documents.selectors import authorities_publishable_by, documents_visible_to
from identity.models import Authority, User
from opendata.models import Dataset, DatasetLicence, Frequency, Resource, Theme

Actor = User | AnonymousUser | None

API_PREFIX = "/api/v1/"
API_PATH_MAX = 300
TITLE_MAX = 255
KEYWORDS_MAX = 30
KEYWORD_MAX = 60

EDITABLE_FIELDS = (
    "title",
    "description",
    "keywords",
    "themes",
    "licence",
    "frequency",
    "temporal_start",
    "temporal_end",
    "contact_name",
    "contact_email",
)


# Set by ``system_publication()``: ``actor=None`` then stands for the system (an import run by
# the operator's management command that publishes its data as a dataset); otherwise None,
# like an anonymous visitor, writes nothing.
_SYSTEM: contextvars.ContextVar[bool] = contextvars.ContextVar("opendata_system", default=False)


@contextlib.contextmanager
def system_publication() -> Iterator[None]:
    """Within the block, the services accept ``actor=None`` as the system."""
    token = _SYSTEM.set(True)
    try:
        yield
    finally:
        _SYSTEM.reset(token)


def _may_edit(actor: Actor, owner: Authority) -> bool:
    if actor is None and _SYSTEM.get():
        return True
    return authorities_publishable_by(actor).filter(pk=owner.pk).exists()


def _require_editor(actor: Actor, dataset: Dataset) -> None:
    if not _may_edit(actor, dataset.owner):
        raise PermissionDenied(_("Vous ne publiez pas pour cette collectivité."))


def _now_after(previous: datetime.datetime | None) -> datetime.datetime:
    """The new ``modified_at``: now — never a date in the future, even when ``previous`` was
    one (a stored future date is brought back to now, not kept)."""
    del previous
    return timezone.now()


def clean_keywords(values: Any) -> list[str]:
    if isinstance(values, str):
        values = values.split(",")
    cleaned: list[str] = []
    for value in values or []:
        word = " ".join(str(value).split())
        if not word:
            continue
        if len(word) > KEYWORD_MAX:
            raise ValidationError(
                {"keywords": _("Un mot-clé dépasse %(n)d caractères.") % {"n": KEYWORD_MAX}}
            )
        if word.casefold() not in {w.casefold() for w in cleaned}:
            cleaned.append(word)
    if len(cleaned) > KEYWORDS_MAX:
        raise ValidationError(
            {"keywords": _("Indiquez au plus %(n)d mots-clés.") % {"n": KEYWORDS_MAX}}
        )
    return cleaned


def clean_themes(values: Any) -> list[str]:
    themes: list[str] = []
    for value in values or []:
        if value not in Theme.values:
            raise ValidationError({"themes": _("Thème inconnu : %(v)s.") % {"v": value}})
        if value not in themes:
            themes.append(str(value))
    return themes


def _clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(_("Champs inconnus : %(f)s.") % {"f": ", ".join(sorted(unknown))})
    data = dict(fields)
    if "title" in data:
        data["title"] = " ".join(str(data["title"] or "").split())
        if not data["title"]:
            raise ValidationError({"title": _("Donnez un titre au jeu de données.")})
        if len(data["title"]) > TITLE_MAX:
            raise ValidationError(
                {"title": _("Le titre dépasse %(n)d caractères.") % {"n": TITLE_MAX}}
            )
    if "description" in data:
        data["description"] = str(data["description"] or "").strip()
        if not data["description"]:
            raise ValidationError({"description": _("Décrivez le jeu de données.")})
    if "keywords" in data:
        data["keywords"] = clean_keywords(data["keywords"])
    if "themes" in data:
        data["themes"] = clean_themes(data["themes"])
    if "licence" in data and data["licence"] not in DatasetLicence.values:
        raise ValidationError({"licence": _("Licence inconnue.")})
    if "frequency" in data and data["frequency"] not in Frequency.values:
        raise ValidationError({"frequency": _("Fréquence inconnue.")})
    for key in ("contact_name", "contact_email"):
        if key in data:
            data[key] = str(data[key] or "").strip()
    return data


def _check_dataset(dataset: Dataset) -> None:
    start, end = dataset.temporal_start, dataset.temporal_end
    if start is not None and end is not None and end < start:
        raise ValidationError(
            {"temporal_end": _("La fin de la période couverte précède son début.")}
        )
    try:
        dataset.full_clean(exclude=["owner", "created_by"], validate_constraints=False)
    except ValidationError as error:
        raise error from None


def _audit(actor: Actor, action: str, dataset: Dataset, **detail: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        authority=dataset.owner,
        dataset=str(dataset.identifier),
        **detail,
    )


def _touch(dataset: Dataset) -> None:
    dataset.modified_at = _now_after(dataset.modified_at)
    dataset.save(update_fields=["modified_at"])


@service
def dataset_create(*, actor: Actor, owner: Authority, **fields: Any) -> Dataset:
    """A draft dataset of ``owner``; the identifier is fixed here, for good."""
    if not _may_edit(actor, owner):
        raise PermissionDenied(_("Vous ne publiez pas pour cette collectivité."))
    data = _clean_fields(fields)
    for required in ("title", "description"):
        if required not in data:
            data.update(_clean_fields({required: ""}))
    now = timezone.now()
    dataset = Dataset(
        owner=owner,
        created_by=actor if isinstance(actor, User) else None,
        created_at=now,
        modified_at=now,
        status=Dataset.Status.DRAFT,
        **data,
    )
    _check_dataset(dataset)
    dataset.save()
    _audit(actor, AuditEvent.Action.CREATE, dataset, title=dataset.title)
    return dataset


@service
def dataset_edit(*, actor: Actor, dataset: Dataset, **fields: Any) -> Dataset:
    """Change the dataset's description; the identifier never changes."""
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    _require_editor(actor, dataset)
    data = _clean_fields(fields)
    changed = sorted(key for key, value in data.items() if getattr(dataset, key) != value)
    if not changed:
        return dataset
    for key in changed:
        setattr(dataset, key, data[key])
    _check_dataset(dataset)
    dataset.modified_at = _now_after(dataset.modified_at)
    dataset.save(update_fields=[*changed, "modified_at"])
    _audit(actor, AuditEvent.Action.UPDATE, dataset, fields=changed)
    return dataset


@service
def dataset_publish(*, actor: Actor, dataset: Dataset) -> Dataset:
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    _require_editor(actor, dataset)
    if dataset.status == Dataset.Status.PUBLISHED:
        return dataset
    now = _now_after(dataset.modified_at)
    dataset.status = Dataset.Status.PUBLISHED
    if dataset.published_at is None or dataset.published_at > now:
        dataset.published_at = now
    dataset.modified_at = now
    dataset.save(update_fields=["status", "published_at", "modified_at"])
    _audit(actor, AuditEvent.Action.PUBLISH, dataset)
    return dataset


@service
def dataset_withdraw(*, actor: Actor, dataset: Dataset, reason: str = "") -> Dataset:
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    _require_editor(actor, dataset)
    if dataset.status != Dataset.Status.PUBLISHED:
        raise ValidationError(_("Seul un jeu de données publié peut être retiré."))
    dataset.status = Dataset.Status.WITHDRAWN
    dataset.modified_at = _now_after(dataset.modified_at)
    dataset.save(update_fields=["status", "modified_at"])
    _audit(actor, AuditEvent.Action.WITHDRAW, dataset, reason=reason[:500])
    return dataset


def clean_api_path(value: str) -> str:
    """A path of this portal's API (``/api/v1/…``, query string allowed), or a French
    ValidationError: no scheme, no host, no ``..``, no control character, and a route the
    portal actually serves."""
    text = (value or "").strip()
    error = ValidationError(
        {
            "api_path": _(
                "Indiquez un chemin de l'API du portail commençant par %(prefix)s, "
                "par exemple /api/v1/documents/?authority_code=33281."
            )
            % {"prefix": API_PREFIX}
        }
    )
    if not text or len(text) > API_PATH_MAX:
        raise error
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in text) or "\\" in text:
        raise error
    parts = urlsplit(text)
    if parts.scheme or parts.netloc or parts.fragment or text.startswith("//"):
        raise error
    if not parts.path.startswith(API_PREFIX) or ".." in parts.path.split("/"):
        raise error
    try:
        resolve(parts.path)
    except Resolver404:
        raise error from None
    return text


def _public_document_of(owner: Authority, document: Document) -> Document:
    public = documents_visible_to(AnonymousUser()).filter(
        pk=document.pk, status=DocumentStatus.PUBLISHED, owner=owner
    )
    found = public.select_related("current_version").first()
    if found is None or found.current_version is None:
        raise ValidationError(
            {
                "document": _(
                    "Seul un document public et publié de la collectivité du jeu de données "
                    "peut en être une ressource."
                )
            }
        )
    return found


@service
def resource_add(
    *,
    actor: Actor,
    dataset: Dataset,
    kind: str,
    title: str,
    description: str = "",
    document: Document | None = None,
    api_path: str = "",
    export: str = "",
    schema_url: str = "",
) -> Resource:
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    _require_editor(actor, dataset)
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError({"title": _("Donnez un titre à la ressource.")})
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": _("Le titre dépasse %(n)d caractères.") % {"n": TITLE_MAX}})
    resource = Resource(
        dataset=dataset, kind=kind, title=title, description=(description or "").strip()
    )
    if kind == Resource.Kind.DOCUMENT:
        if document is None:
            raise ValidationError({"document": _("Choisissez un document.")})
        resource.document = _public_document_of(dataset.owner, document)
    elif kind == Resource.Kind.API:
        resource.api_path = clean_api_path(api_path)
    elif kind == Resource.Kind.EXPORT:
        if export not in Resource.Export.values:
            raise ValidationError({"export": _("Export inconnu.")})
        resource.export = export
    else:
        raise ValidationError({"kind": _("Nature de ressource inconnue.")})
    if schema_url:
        resource.schema_url = schema_url.strip()
        try:
            resource.clean_fields(exclude=["dataset", "document", "api_path", "export"])
        except ValidationError:
            raise ValidationError(
                {"schema_url": _("L'adresse du schéma doit être une URL valide.")}
            ) from None
    last = dataset.resources.aggregate(last=Max("position"))["last"]
    resource.position = 0 if last is None else last + 1
    resource.created_at = timezone.now()
    resource.save()
    _touch(dataset)
    _audit(
        actor,
        AuditEvent.Action.UPDATE,
        dataset,
        resource=resource.pk,
        resource_added=resource.title,
        kind=kind,
    )
    return resource


@service
def resource_remove(*, actor: Actor, resource: Resource) -> None:
    dataset = Dataset.objects.select_for_update().get(pk=resource.dataset_id)
    _require_editor(actor, dataset)
    resource = Resource.objects.get(pk=resource.pk, dataset=dataset)
    title, pk = resource.title, resource.pk
    resource.delete()
    _touch(dataset)
    _audit(actor, AuditEvent.Action.UPDATE, dataset, resource=pk, resource_removed=title)


@service
def resource_move(*, actor: Actor, resource: Resource, offset: int) -> Resource:
    """Move ``resource`` up (offset < 0) or down (offset > 0) in its dataset's list."""
    dataset = Dataset.objects.select_for_update().get(pk=resource.dataset_id)
    _require_editor(actor, dataset)
    ordered = list(dataset.resources.order_by("position", "pk"))
    index = next((i for i, r in enumerate(ordered) if r.pk == resource.pk), None)
    if index is None:
        raise Resource.DoesNotExist
    target = max(0, min(len(ordered) - 1, index + offset))
    moved = ordered[index]
    if target == index:
        return moved
    ordered.insert(target, ordered.pop(index))
    for position, item in enumerate(ordered):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])
    _touch(dataset)
    _audit(actor, AuditEvent.Action.UPDATE, dataset, resource=moved.pk, resource_moved=target + 1)
    return moved

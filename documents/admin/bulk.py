"""Bulk upload in the admin: drop many files (or one ZIP), correct the guessed metadata of the
drafts in one grid, publish the selection.

The batch (its documents and its refused files) lives in the uploader's session under a random
id; the grid shows only the batch's documents that ``documents_editable_by`` still returns, and
a batch id that is not in the requester's session is a 404. Every write goes through
documents.services (``bulk_create``, ``document_edit``, ``bulk_publish``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from core.http import client_ip
from documents import services
from documents.models import Audience, Document, DocumentType, Status
from documents.selectors import document_actions, documents_editable_by
from documents.services.bulk import (
    SOURCE_METADATA,
    SOURCE_NAME,
    SOURCE_TEXT,
    authorities_for_bulk,
    bulk_max_files,
)
from identity.models import Authority, User

SESSION_KEY = "civis_bulk_batches"
BATCHES_KEPT = 10
BULK_AUDIENCES = [(value, label) for value, label in Audience.choices if value != Audience.PERSONAL]
SOURCES = {
    SOURCE_METADATA: gettext_lazy("métadonnées du PDF"),
    SOURCE_TEXT: gettext_lazy("première ligne du texte"),
    SOURCE_NAME: gettext_lazy("nom du fichier"),
}
NAMING_RULE = gettext_lazy(
    "Le titre est repris des métadonnées du PDF (champ Titre), sinon de la première ligne du "
    "texte (le titre du document, le plus souvent), sinon du nom du fichier. Le type est deviné "
    "du début du nom du fichier (majuscules et accents sans importance) : « DEL » ou "
    "« deliberation » → délibération ; « AR » ou « arrete » → arrêté ; « CR » ou « compte "
    "rendu » → compte rendu de séance ; « PV » ou « proces-verbal » → procès-verbal ; "
    "« budget » ou « BP » → budget ; « rapport » → rapport ; « formulaire » ou « cerfa » → "
    "formulaire ; par exemple « DEL_2026-04_cantine.pdf ». Sinon le début du titre décide ; "
    "un CSV ou un JSON est un fichier de données ouvertes ; le reste est « Autre ». Tout se "
    "corrige dans le tableau avant publication."
)


class _MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class _MultipleFileField(forms.FileField):
    """The files as sent: each is validated by the service (per file), not by the form."""

    widget = _MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[Any]]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files:
            raise ValidationError(_("Choisissez au moins un fichier."), code="required")
        return files


class BulkUploadForm(forms.Form):
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Collectivité"), queryset=Authority.objects.none()
    )
    audience = forms.ChoiceField(
        label=gettext_lazy("Public visé"), choices=BULK_AUDIENCES, initial=Audience.PUBLIC
    )
    uploads = _MultipleFileField(label=gettext_lazy("Fichiers"))

    def __init__(self, *args: Any, authorities: QuerySet[Authority], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)  # noqa: S101 (declared above)
        owner.queryset = authorities
        choices = list(authorities[:2])
        if len(choices) == 1:  # the only choice: preselected, no empty option
            owner.empty_label = None
            owner.initial = choices[0].pk
        self.fields["uploads"].help_text = _(
            "Plusieurs fichiers à la fois (ou une archive ZIP), %(max)d au plus, "
            "%(total)s Mo au total, %(each)s Mo par fichier. Chaque fichier devient un "
            "brouillon, contrôlé comme un dépôt unique (format, contenu actif, antivirus)."
        ) % {
            "max": bulk_max_files(),
            "total": settings.CIVIS_BULK_MAX_MB,
            "each": settings.CIVIS_MAX_UPLOAD_MB,
        }


class BulkRowForm(forms.Form):
    """One draft of the grid; its document comes from the server's list, never from the post."""

    selected = forms.BooleanField(label=gettext_lazy("Sélectionner"), required=False)
    title = forms.CharField(label=gettext_lazy("Titre"), max_length=255)
    document_type = forms.ChoiceField(label=gettext_lazy("Type"), choices=DocumentType.choices)
    published_on = forms.DateField(
        label=gettext_lazy("Date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    audience = forms.ChoiceField(label=gettext_lazy("Public visé"), choices=BULK_AUDIENCES)

    EDITABLE = ("title", "document_type", "published_on", "audience")

    def __init__(
        self, *args: Any, document: Document, actions: frozenset[str], **kwargs: Any
    ) -> None:
        kwargs.setdefault(
            "initial",
            {
                "title": document.title,
                "document_type": document.document_type,
                "published_on": document.published_on,
                "audience": document.audience,
            },
        )
        kwargs["prefix"] = f"doc-{document.pk}"
        super().__init__(*args, **kwargs)
        self.document = document
        self.actions = actions
        if document.audience == Audience.PERSONAL:  # changed elsewhere: kept as it is
            audience = self.fields["audience"]
            assert isinstance(audience, forms.ChoiceField)  # noqa: S101 (declared above)
            audience.choices = Audience.choices
            audience.disabled = True
        if not actions & {"publish", "submit"}:
            self.fields["selected"].disabled = True

    def changes(self) -> dict[str, Any]:
        changed = set(self.changed_data)
        return {name: self.cleaned_data[name] for name in self.EDITABLE if name in changed}


@dataclass(frozen=True)
class Batch:
    id: str
    document_ids: list[int]
    sources: dict[str, str]
    refusals: list[tuple[str, str]]
    at: str


def _batches(request: HttpRequest) -> dict[str, dict[str, Any]]:
    stored = request.session.get(SESSION_KEY)
    return stored if isinstance(stored, dict) else {}


def _remember(request: HttpRequest, result: services.BulkResult) -> str:
    batch_id = secrets.token_urlsafe(12)
    batches = _batches(request)
    batches[batch_id] = {
        "documents": [document.pk for document in result.documents],
        "sources": {str(pk): source for pk, source in result.title_sources.items()},
        "refusals": [[refusal.name, refusal.message] for refusal in result.refusals],
        "at": timezone.localtime().strftime("%d/%m/%Y %H:%M"),
    }
    request.session[SESSION_KEY] = dict(list(batches.items())[-BATCHES_KEPT:])
    return batch_id


def _batch(request: HttpRequest, batch_id: str) -> Batch:
    """The requester's own batch, or 404 (a batch id from someone else's session is unknown)."""
    data = _batches(request).get(batch_id)
    if not isinstance(data, dict):
        raise Http404
    return Batch(
        id=batch_id,
        document_ids=[int(pk) for pk in data.get("documents", [])],
        sources=dict(data.get("sources", {})),
        refusals=[(str(name), str(message)) for name, message in data.get("refusals", [])],
        at=str(data.get("at", "")),
    )


def _require_uploader(user: User | AnonymousUser) -> QuerySet[Authority]:
    authorities = authorities_for_bulk(user).order_by("name")
    if not authorities.exists():
        raise PermissionDenied
    return authorities


def bulk_upload_view(request: HttpRequest) -> HttpResponse:
    """Step 1: the files (and the authority, preselected when there is one)."""
    authorities = _require_uploader(request.user)
    status = 200
    if request.method == "POST":
        form = BulkUploadForm(request.POST, request.FILES, authorities=authorities)
        if form.is_valid():
            files: list[UploadedFile[Any]] = form.cleaned_data["uploads"]
            try:
                result = services.bulk_create(
                    actor=_actor(request),
                    owner=form.cleaned_data["owner"],
                    audience=form.cleaned_data["audience"],
                    uploads=[services.Upload(f, f.name or "") for f in files],
                    ip_address=client_ip(request),
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            except PermissionDenied as error:
                form.add_error("owner", str(error))
            else:
                _announce(request, result)
                batch_id = _remember(request, result)
                return HttpResponseRedirect(reverse("civis_bulk_batch", args=[batch_id]))
        status = 400
    else:
        form = BulkUploadForm(authorities=authorities)
    recent = [
        (batch_id, data.get("at", ""), len(data.get("documents", [])))
        for batch_id, data in reversed(list(_batches(request).items()))
    ]
    return render(
        request,
        "documents/admin/bulk_upload.html",
        {"form": form, "naming_rule": NAMING_RULE, "recent": recent},
        status=status,
    )


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 (the admin signs people in first)
    return user


def _announce(request: HttpRequest, result: services.BulkResult) -> None:
    created, refused = len(result.documents), len(result.refusals)
    if created:
        messages.success(
            request,
            ngettext(
                "%(count)d fichier déposé comme brouillon.",
                "%(count)d fichiers déposés comme brouillons.",
                created,
            )
            % {"count": created},
        )
    if refused:
        messages.error(
            request,
            ngettext(
                "%(count)d fichier refusé : voir la liste sous le tableau.",
                "%(count)d fichiers refusés : voir la liste sous le tableau.",
                refused,
            )
            % {"count": refused},
        )


def bulk_batch_view(request: HttpRequest, batch_id: str) -> HttpResponse:
    """Step 2: the grid of the batch's drafts; "Enregistrer" saves the edits, "Publier la
    sélection" saves them and publishes the checked documents."""
    batch = _batch(request, batch_id)
    documents = list(
        documents_editable_by(request.user)
        .filter(pk__in=batch.document_ids)
        .select_related("current_version", "owner")
        .order_by("pk")
    )
    data = request.POST if request.method == "POST" else None
    rows = [
        BulkRowForm(data, document=document, actions=document_actions(request.user, document))
        for document in documents
    ]
    status = 200
    if request.method == "POST":
        if all([row.is_valid() for row in rows]) and _save(request, rows):
            action = request.POST.get("action")
            if action in ("publish", "submit"):
                _publish(request, [row for row in rows if row.cleaned_data["selected"]], action)
            else:
                messages.success(request, _("Modifications enregistrées."))
            return HttpResponseRedirect(reverse("civis_bulk_batch", args=[batch.id]))
        messages.error(
            request, _("Certaines lignes sont à corriger : voir les messages dans le tableau.")
        )
        status = 400
    return render(
        request,
        "documents/admin/bulk_batch.html",
        {
            "batch": batch,
            "rows": [
                (row, SOURCES.get(batch.sources.get(str(row.document.pk), ""), "")) for row in rows
            ],
            "publishable": any("publish" in row.actions for row in rows),
            "submittable": any("submit" in row.actions for row in rows),
            "naming_rule": NAMING_RULE,
        },
        status=status,
    )


def _save(request: HttpRequest, rows: list[BulkRowForm]) -> bool:
    """Each row's changes, one ``document_edit`` each; False when a row was refused (the
    others are saved)."""
    saved = True
    for row in rows:
        changes = row.changes()
        if not changes:
            continue
        try:
            row.document = services.document_edit(
                actor=_actor(request),
                document=row.document,
                ip_address=client_ip(request),
                **changes,
            )
        except ValidationError as error:
            saved = False
            for name, field_messages in _by_field(error).items():
                row.add_error(name if name in row.fields else None, field_messages)
        except PermissionDenied as error:
            saved = False
            row.add_error(None, str(error) or _("Vous ne pouvez pas modifier ce document."))
    return saved


def _by_field(error: ValidationError) -> dict[str | None, list[str]]:
    if hasattr(error, "error_dict"):
        return {name: list(found) for name, found in error.message_dict.items()}
    return {None: list(error.messages)}


def _publish(request: HttpRequest, rows: list[BulkRowForm], action: str) -> None:
    """Publish (or submit for review) the checked rows, each on its own; one message per
    outcome kind, one per refusal."""
    if not rows:
        messages.warning(request, _("Aucun document coché : rien n'a été fait."))
        return
    able = [row for row in rows if action in row.actions]
    for row in rows:
        if action not in row.actions:
            reason = (
                _("sa collectivité demande une validation : soumettez-le.")
                if "submit" in row.actions
                else _("action impossible dans son état actuel.")
            )
            messages.error(
                request,
                _("« %(title)s » n'a pas été traité : %(reason)s")
                % {"title": row.document.title, "reason": reason},
            )
    run = services.bulk_publish if action == "publish" else services.bulk_submit
    outcomes = run(
        actor=_actor(request),
        documents=[row.document for row in able],
        ip_address=client_ip(request),
    )
    done = [outcome.document for outcome in outcomes if not outcome.error]
    by_status: dict[str, list[Document]] = {}
    for document in done:
        by_status.setdefault(document.status, []).append(document)
    for status, documents in by_status.items():
        messages.success(request, _done_message(status, documents))
    for outcome in outcomes:
        if outcome.error:
            messages.error(
                request,
                _("« %(title)s » n'a pas été traité : %(reason)s")
                % {"title": outcome.document.title, "reason": outcome.error},
            )


def _done_message(status: str, documents: list[Document]) -> str:
    count, titles = len(documents), _titles(documents)
    if status == Status.PUBLISHED:
        text = ngettext(
            "%(count)d document publié : %(titles)s.",
            "%(count)d documents publiés : %(titles)s.",
            count,
        )
    elif status == Status.SCHEDULED:
        text = ngettext(
            "%(count)d document programmé (date de publication à venir) : %(titles)s.",
            "%(count)d documents programmés (date de publication à venir) : %(titles)s.",
            count,
        )
    elif status == Status.IN_REVIEW:
        text = ngettext(
            "%(count)d document soumis pour validation : %(titles)s.",
            "%(count)d documents soumis pour validation : %(titles)s.",
            count,
        )
    else:
        text = ngettext(
            "%(count)d document traité : %(titles)s.",
            "%(count)d documents traités : %(titles)s.",
            count,
        )
    return text % {"count": count, "titles": titles}


def _titles(documents: list[Document]) -> str:
    return ", ".join(f"« {document.title} »" for document in documents)


@hooks.register("register_admin_urls")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_bulk_urls() -> list[URLPattern]:
    return [
        path("depot-en-lot/", bulk_upload_view, name="civis_bulk_upload"),
        path("depot-en-lot/<str:batch_id>/", bulk_batch_view, name="civis_bulk_batch"),
    ]


class BulkMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return authorities_for_bulk(request.user).exists()


@hooks.register("register_admin_menu_item")  # type: ignore[untyped-decorator]  # Wagtail ships no types
def register_bulk_menu_item() -> BulkMenuItem:
    return BulkMenuItem(
        gettext_lazy("Dépôt en lot"),
        reverse("civis_bulk_upload"),
        name="civis-bulk-upload",
        icon_name="upload",
        order=160,
    )

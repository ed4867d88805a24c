"""Wagtail admin for agents: create, publish, schedule, review, replace files, withdraw.

Lists come from documents_editable_by; every write goes through documents.services; the
buttons a document shows come from documents.selectors.document_actions.
"""

from __future__ import annotations

import datetime
import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import messages as django_messages
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods
from wagtail.admin import messages
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column, UpdatedAtColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.views.generic.usage import UsageView
from wagtail.admin.viewsets.model import ModelViewSet

from audit.models import AuditEvent
from core.admin import ScopedPermissionPolicy, ServiceFormMixin
from core.http import client_ip
from documents import actes, services
from documents.http import file_response
from documents.models import Document, DocumentType, PublishingPolicy, ReviewStep, Status
from documents.selectors import (
    authorities_draftable_by,
    authorities_publishable_by,
    document_actions,
    documents_editable_by,
)
from documents.services.policy import publishing_policy_set
from documents.validation import UploadRejected, check_upload
from identity.models import Authority, User
from identity.selectors import authorities_overseen_by, principals_of

PARIS = ZoneInfo("Europe/Paris")


def paris_datetime(value: datetime.datetime) -> str:
    """« 15 janvier 2027 à 09:00 » in Paris time, whatever the time zone of the request."""
    local = timezone.localtime(value, PARIS)
    return _("%(date)s à %(time)s") % {
        "date": date_format(local, "j F Y"),
        "time": local.strftime("%H:%M"),
    }


def file_size(size: int) -> str:
    """« 240 Ko », « 1,2 Mo » (French units, as the portal shows them)."""
    if size < 1024:
        return _("%(n)d octets") % {"n": size}
    if size < 1024 * 1024:
        return _("%(n)d Ko") % {"n": round(size / 1024)}
    return _("%(n)s Mo") % {"n": f"{size / 1024 / 1024:.1f}".replace(".", ",")}


class DocumentPermissionPolicy(ScopedPermissionPolicy):
    """Wagtail's questions answered by the document store's selectors. Never delete: withdraw
    instead, the history stays."""

    def may_use(self, user: User | AnonymousUser) -> bool:
        return authorities_draftable_by(user).exists() or documents_editable_by(user).exists()

    def scoped_instances(self, user: User | AnonymousUser, action: str) -> QuerySet[Document]:
        return documents_editable_by(user)


# --- The chosen file, kept across a form error --------------------------------------------

KEPT_UPLOAD_SECONDS = 30 * 60


@dataclass(frozen=True)
class KeptUpload:
    """An upload that passed the content checks, kept server-side (the shared cache) while the
    form is corrected; claimed by its token, for the person who chose it only."""

    token: str
    name: str
    size: int

    @staticmethod
    def _key(token: str) -> str:
        return f"documents:kept-upload:{token}"

    @classmethod
    def keep(cls, user: User | AnonymousUser, upload: Any) -> KeptUpload | None:
        """Check ``upload`` and keep it; None when its content is refused (never kept)."""
        upload.seek(0)
        try:
            checked = check_upload(
                upload, upload.name, max_size=int(settings.CIVIS_MAX_UPLOAD_MB * 1024 * 1024)
            )
        except UploadRejected:
            return None
        upload.seek(0)
        token = secrets.token_urlsafe(24)
        cache.set(
            cls._key(token),
            {"user": user.pk, "name": checked.name, "size": checked.size, "data": upload.read()},
            KEPT_UPLOAD_SECONDS,
        )
        return cls(token=token, name=checked.name, size=checked.size)

    @classmethod
    def find(cls, user: User | AnonymousUser | None, token: str) -> KeptUpload | None:
        if not token or user is None or not user.is_authenticated:
            return None
        kept = cache.get(cls._key(token))
        if not isinstance(kept, dict) or kept.get("user") != user.pk:
            return None
        return cls(token=token, name=kept["name"], size=kept["size"])

    def upload(self) -> services.Upload | None:
        kept = cache.get(self._key(self.token))
        if not isinstance(kept, dict):
            return None
        return services.Upload(io.BytesIO(kept["data"]), kept["name"])

    def forget(self) -> None:
        cache.delete(self._key(self.token))


# --- The form ---------------------------------------------------------------------------

# Every button the create and edit screens may show, in the order they are shown.
ACTION_LABELS: dict[str, Any] = {
    "publish": gettext_lazy("Publier"),
    "approve": gettext_lazy("Valider"),
    "submit": gettext_lazy("Soumettre pour validation"),
    "schedule": gettext_lazy("Programmer"),
    "save": gettext_lazy("Enregistrer"),
    "unschedule": gettext_lazy("Annuler la programmation"),
    "send_back": gettext_lazy("Renvoyer avec commentaire"),
    "withdraw": gettext_lazy("Retirer"),
}
PRIMARY_ACTIONS = frozenset({"publish", "approve", "submit"})


class DateTimeLocalInput(forms.DateTimeInput):
    """The browser's own date-and-time picker (keyboard friendly, no script)."""

    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


class DocumentForm(WagtailAdminModelForm):
    file = forms.FileField(
        label=gettext_lazy("Fichier"),
        required=False,
        help_text=gettext_lazy(
            "PDF, ODT, ODS, DOCX, XLSX, CSV, TXT, JSON, PNG ou JPEG. Remplacer le fichier crée "
            "une nouvelle version ; les précédentes sont conservées."
        ),
    )
    kept_file = forms.CharField(required=False, widget=forms.HiddenInput)
    go_live_at = forms.DateTimeField(
        label=gettext_lazy("Mise en ligne programmée (heure de Paris)"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=gettext_lazy(
            "Pour « Programmer » : le document reste invisible au public jusqu'à ce moment, "
            "puis il est publié tout seul."
        ),
    )
    expire_at = forms.DateTimeField(
        label=gettext_lazy("Fin d'affichage (facultatif, heure de Paris)"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=gettext_lazy(
            "Le document est retiré tout seul à ce moment (arrêté temporaire…)."
        ),
    )
    review_comment = forms.CharField(
        label=gettext_lazy("Commentaire de validation"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Obligatoire pour renvoyer le document ; lu par l'agent."),
    )
    addressee_username = forms.CharField(
        label=gettext_lazy("Destinataire (identifiant du citoyen)"),
        required=False,
        help_text=gettext_lazy("Seulement pour un document personnel."),
    )
    tag_names = forms.CharField(
        label=gettext_lazy("Mots-clés"),
        required=False,
        help_text=gettext_lazy("Séparés par des virgules."),
    )
    # « Données de la délibération (SCDL) »: documents.services.deliberation checks them.
    act_id = forms.CharField(
        label=gettext_lazy("Identifiant de la délibération"),
        required=False,
        max_length=64,
        help_text=gettext_lazy("Numéro interne, par exemple 2026-045."),
    )
    adopted_on = forms.DateField(
        label=gettext_lazy("Date d'adoption"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    subject_code = forms.ChoiceField(
        label=gettext_lazy("Matière (nomenclature ACTES)"),
        required=False,
        choices=[("", "—"), *actes.CHOICES],
        error_messages={
            "invalid_choice": gettext_lazy(
                "« %(value)s » n'est pas une matière de la nomenclature ACTES (par exemple 7.1)."
            )
        },
    )
    budget_year = forms.CharField(
        label=gettext_lazy("Année du budget"),
        required=False,
        max_length=9,
        help_text=gettext_lazy("AAAA ou AAAA/AAAA, si la délibération a un effet budgétaire."),
    )
    budget_name = forms.CharField(
        label=gettext_lazy("Nom du budget"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Avec l'année du budget, par exemple « Budget principal »."),
    )
    prefecture_id = forms.CharField(
        label=gettext_lazy("Contrôle de légalité (identifiant)"),
        required=False,
        max_length=64,
        help_text=gettext_lazy("PREFNNN, SPREFNNNM ou SGARNNN, par exemple PREF033."),
    )
    prefecture_date = forms.DateField(
        label=gettext_lazy("Date de transmission en préfecture"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    vote_effectif = forms.IntegerField(
        label=gettext_lazy("Membres en exercice"), required=False, min_value=0
    )
    vote_reel = forms.IntegerField(label=gettext_lazy("Votants"), required=False, min_value=0)
    vote_pour = forms.IntegerField(label=gettext_lazy("Pour"), required=False, min_value=0)
    vote_contre = forms.IntegerField(label=gettext_lazy("Contre"), required=False, min_value=0)
    vote_abstention = forms.IntegerField(
        label=gettext_lazy("Abstentions"), required=False, min_value=0
    )
    SCDL_FIELDS = services.DELIBERATION_FIELDS

    class Meta:
        model = Document
        fields = [
            "title",
            "document_type",
            "owner",
            "audience",
            "summary",
            "published_on",
            "licence",
        ]

    # The screen's order: what a publication needs first, the rest after.
    ORDER = [
        "title",
        "file",
        "document_type",
        "owner",
        "review_comment",
        "go_live_at",
        "expire_at",
        "audience",
        "summary",
        "published_on",
        "tag_names",
        "licence",
        "addressee_username",
        "kept_file",
    ]

    def __init__(
        self,
        *args: Any,
        for_user: User | AnonymousUser | None = None,
        actions: frozenset[str] = frozenset(),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, for_user=for_user, **kwargs)
        self.user = for_user
        self.actions = actions
        self.order_fields(self.ORDER)
        self.fields["document_type"].required = False
        self.fields["document_type"].help_text = _("Facultatif : « Autre » si aucun ne convient.")
        self.fields["published_on"].help_text = _(
            "Date officielle du document (délibération, arrêté…). Laissée vide, c'est le jour "
            "de la publication. Une date future programme la mise en ligne ce jour-là à 0 h."
        )
        owner = self.fields["owner"]
        if self.instance.pk:
            owner.disabled = True
            if self.instance.addressee_id:
                self.initial["addressee_username"] = self.instance.addressee.username
            self.initial["tag_names"] = ", ".join(sorted(self.instance.tags.names()))
            details = getattr(self.instance, "deliberation", None)
            for name in self.SCDL_FIELDS if details is not None else ():
                self.initial[name] = getattr(details, name)
        else:
            choices = authorities_draftable_by(for_user).order_by("name")
            owner.queryset = choices
            only = list(choices[:2])
            if len(only) == 1:
                # One choice: chosen already, shown, not asked.
                owner.initial = only[0].pk
                owner.disabled = True
                owner.help_text = _("Vous publiez pour %(name)s.") % {"name": only[0].name}
        if not actions & {"schedule", "approve"}:
            del self.fields["go_live_at"]
        if not actions & {"publish", "schedule", "approve"} and not self.instance.expire_at:
            del self.fields["expire_at"]
        if not actions & {"submit", "approve", "send_back"}:
            del self.fields["review_comment"]
        self.kept = KeptUpload.find(for_user, self.data.get("kept_file", "")) if self.data else None
        if self.kept is not None:
            self.fields["file"].help_text = _(
                "Fichier conservé : %(name)s (%(size)s) — choisissez-en un autre pour le remplacer."
            ) % {"name": self.kept.name, "size": file_size(self.kept.size)}
        elif not self.instance.pk:
            self.fields["file"].help_text = _(
                "PDF, ODT, ODS, DOCX, XLSX, CSV, TXT, JSON, PNG ou JPEG."
            )

    @property
    def action(self) -> str:
        chosen = str(self.data.get("civis_action") or "save")
        return chosen if chosen in ACTION_LABELS else "save"

    def clean_addressee_username(self) -> User | None:
        username = self.cleaned_data.get("addressee_username", "").strip()
        if not username:
            return None
        user = User.objects.filter(username=username, kind=User.Kind.CITIZEN).first()
        if user is None:
            raise ValidationError(_("Aucun citoyen n'a cet identifiant."))
        return user

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean()
        action = self.action
        go_live_at = data.get("go_live_at")
        expire_at = data.get("expire_at")
        if not self.instance.pk and not data.get("file") and self.kept is None:
            self.add_error("file", _("Choisissez le fichier à publier."))
        if action == "schedule" and "go_live_at" in self.fields:
            if go_live_at is None:
                self.add_error(
                    "go_live_at", _("Indiquez la date et l'heure de mise en ligne pour programmer.")
                )
            elif go_live_at <= timezone.now():
                self.add_error(
                    "go_live_at", _("La mise en ligne programmée doit être dans le futur.")
                )
        if expire_at is not None and self.has_changed() and "expire_at" in self.changed_data:
            start = go_live_at if action in ("schedule", "approve") and go_live_at else None
            if expire_at <= (start or timezone.now()):
                self.add_error(
                    "expire_at",
                    _("La fin d'affichage doit être après la mise en ligne.")
                    if start
                    else _("La fin d'affichage doit être dans le futur."),
                )
        if self.deliberation() is not None:
            try:
                services.deliberation_clean(self.deliberation() or {})
            except ValidationError as error:
                for name, messages_ in error.message_dict.items():
                    if name not in self.errors:  # a field's own error says it already
                        self.add_error(name if name in self.fields else None, messages_)
        if action == "send_back" and not (data.get("review_comment") or "").strip():
            self.add_error(
                "review_comment", _("Écrivez un commentaire pour dire ce qui est à corriger.")
            )
        return data

    def tags(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data.get("tag_names", "").split(",") if t.strip()]

    def deliberation(self) -> dict[str, Any] | None:
        """The SCDL data to store: for a délibération whose fieldset has anything in it."""
        data = getattr(self, "cleaned_data", {})
        if data.get("document_type") != DocumentType.DELIBERATION:
            return None
        values = {name: data.get(name) for name in self.SCDL_FIELDS}
        return values if any(v not in (None, "") for v in values.values()) else None

    def upload(self) -> services.Upload | None:
        """The file to store: the one chosen now, else the one kept after a form error."""
        upload = self.cleaned_data.get("file")
        if upload:
            return services.Upload(upload, upload.name)
        if self.kept is not None:
            kept = self.kept.upload()
            if kept is None:
                raise ValidationError(
                    {"file": _("Le fichier conservé a expiré : choisissez-le à nouveau.")}
                )
            return kept
        return None


# --- Create and edit ----------------------------------------------------------------------


@dataclass(frozen=True)
class ActionButton:
    value: str
    label: str
    primary: bool


def _buttons(actions: frozenset[str]) -> list[ActionButton]:
    return [
        ActionButton(value, str(label), value in PRIMARY_ACTIONS)
        for value, label in ACTION_LABELS.items()
        if value in actions
    ]


def _keep_chosen_file(request: HttpRequest, form: DocumentForm) -> None:
    """After a form error: keep the file just chosen (unless it is the error), so the person
    does not choose it again; forget a kept file the store refused."""
    chosen = request.FILES.get("file")
    data = form.data.copy()
    if "file" in form.errors:
        if form.kept is not None:
            form.kept.forget()
        data["kept_file"] = ""
    elif chosen is not None:
        kept = KeptUpload.keep(request.user, chosen)
        if kept is None:
            form.add_error("file", _("Ce fichier est refusé : choisissez-en un autre."))
            data["kept_file"] = ""
        else:
            if form.kept is not None:
                form.kept.forget()
            form.kept = kept
            data["kept_file"] = kept.token
            form.fields["file"].help_text = _(
                "Fichier conservé : %(name)s (%(size)s) — choisissez-en un autre pour le remplacer."
            ) % {"name": kept.name, "size": file_size(kept.size)}
            form._bound_fields_cache.pop("file", None)  # its help text was read already
    form.data = data


class _DocumentFormViewMixin(ServiceFormMixin):
    field_aliases = {"addressee": "addressee_username"}
    form: DocumentForm  # get_form_class() below
    request: HttpRequest
    message: str = ""

    def available_actions(self) -> frozenset[str]:
        raise NotImplementedError

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = super().get_form_kwargs()  # type: ignore[misc]
        kwargs["actions"] = self.available_actions()
        return kwargs

    def metadata(self) -> dict[str, Any]:
        data = self.form.cleaned_data
        return {
            "title": data["title"],
            "summary": data["summary"],
            "document_type": data["document_type"] or DocumentType.AUTRE,
            "published_on": data["published_on"],
            "audience": data["audience"],
            "licence": data["licence"],
            "addressee": data["addressee_username"],
            "tags": self.form.tags(),
            "deliberation": self.form.deliberation(),
        }

    def chosen_action(self) -> str:
        action = self.form.action
        if action not in self.available_actions():
            raise PermissionDenied(_("Cette action n'est pas possible pour ce document."))
        return action

    def form_invalid(self, form: forms.Form) -> HttpResponse:
        assert isinstance(form, DocumentForm)  # noqa: S101 (get_form_class below)
        _keep_chosen_file(self.request, form)
        return super().form_invalid(form)

    def done(self, document: Document, action: str) -> str:
        """The message after ``action``, naming the document."""
        title = document.title
        if document.status == Status.SCHEDULED and document.go_live_at:
            when = paris_datetime(document.go_live_at)
            if action == "approve":
                return _(
                    "« %(title)s » est validé et programmé pour le %(when)s (heure de Paris)."
                ) % {
                    "title": title,
                    "when": when,
                }
            return _("« %(title)s » est programmé pour le %(when)s (heure de Paris).") % {
                "title": title,
                "when": when,
            }
        texts = {
            "publish": _("« %(title)s » est publié."),
            "approve": _("« %(title)s » est validé et publié."),
            "submit": _("« %(title)s » est soumis pour validation."),
            "send_back": _("« %(title)s » est renvoyé à son auteur avec votre commentaire."),
            "withdraw": _("« %(title)s » est retiré : le public ne le voit plus."),
            "unschedule": _("La programmation de « %(title)s » est annulée : c'est un brouillon."),
        }
        if action in texts:
            return texts[action] % {"title": title}
        if document.status == Status.DRAFT:
            return _("« %(title)s » est enregistré (brouillon, invisible du public).") % {
                "title": title
            }
        return _("« %(title)s » est enregistré.") % {"title": title}

    def success_buttons(self, document: Document) -> list[tuple[str, str, bool]]:
        if document.status == Status.PUBLISHED:
            return [messages.button(public_url(document), _("Voir la page publique"))]
        return []

    def add_action_context(self, context: dict[str, Any]) -> dict[str, Any]:
        context["action_buttons"] = _buttons(self.available_actions())
        return context


def after_action_url(request: HttpRequest, document: Document) -> str:
    """Back to the document's screen; to the list once it is no longer the person's to edit
    (an agent's draft, submitted for review)."""
    if documents_editable_by(request.user).filter(pk=document.pk).exists():
        return reverse("civis_documents:edit", args=[document.pk])
    return reverse("civis_documents:index")


def public_url(document: Document) -> str:
    return reverse("document_detail", args=[document.pk])


class DocumentCreateView(_DocumentFormViewMixin, generic.CreateView):
    def available_actions(self) -> frozenset[str]:
        user = self.request.user
        actions = {"save"}
        if authorities_publishable_by(user).exists():
            actions |= {"publish", "schedule"}
        if (
            authorities_draftable_by(user)
            .exclude(pk__in=authorities_publishable_by(user).values("pk"))
            .exists()
        ):
            actions.add("submit")
        return frozenset(actions)

    def save_instance(self) -> Document:
        data = self.form.cleaned_data
        action = self.chosen_action()
        upload = self.form.upload()
        assert upload is not None  # noqa: S101 (the form requires a file, chosen or kept)
        owner = data["owner"]
        ip = client_ip(self.request)
        actor = cast(User, self.request.user)  # the admin is for signed-in people only
        if (
            action == "publish"
            and not authorities_publishable_by(actor).filter(pk=owner.pk).exists()
        ):
            raise PermissionDenied(
                _("Vous ne publiez pas pour %(name)s : soumettez le document pour validation.")
                % {"name": owner.name}
            )
        document = services.document_create(
            actor=actor,
            owner=owner,
            upload=upload,
            publish=action == "publish",
            ip_address=ip,
            **self.metadata(),
        )
        if action == "schedule":
            document = services.document_schedule(
                actor=actor,
                document=document,
                go_live_at=data["go_live_at"],
                expire_at=data.get("expire_at"),
                ip_address=ip,
            )
        elif action == "publish" and data.get("expire_at"):
            document = services.document_edit(
                actor=actor, document=document, expire_at=data["expire_at"], ip_address=ip
            )
        elif action == "submit":
            document = services.document_submit(
                actor=actor,
                document=document,
                comment=data.get("review_comment", ""),
                ip_address=ip,
            )
        if self.form.kept is not None:
            self.form.kept.forget()
        document.refresh_from_db()
        self.message = self.done(document, action)
        return document

    def get_success_message(self, instance: Document) -> str:
        return self.message

    def get_success_buttons(self) -> list[tuple[str, str, bool]]:
        return self.success_buttons(self.object)

    def get_success_url(self) -> str:
        return after_action_url(self.request, self.object)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return self.add_action_context(super().get_context_data(**kwargs))


class DocumentEditView(_DocumentFormViewMixin, generic.EditView):
    def get_object(self, queryset: QuerySet[Document] | None = None) -> Document:
        # The same selector as everywhere: a document one may not edit does not exist here.
        return get_object_or_404(
            documents_editable_by(self.request.user).select_related("owner", "current_version"),
            pk=self.kwargs[self.pk_url_kwarg],
        )

    def available_actions(self) -> frozenset[str]:
        actions = set(document_actions(self.request.user, self.object))
        if "edit" in actions:
            actions.discard("edit")
            actions.add("save")
        return frozenset(actions)

    def save_instance(self) -> Document:
        data = self.form.cleaned_data
        action = self.chosen_action()
        actor = cast(User, self.request.user)  # the admin is for signed-in people only
        ip = client_ip(self.request)
        document: Document = self.object
        edit: dict[str, Any] = {
            **self.metadata(),
            "upload": self.form.upload(),
        }
        if "expire_at" in self.form.fields and "expire_at" in self.form.changed_data:
            edit["expire_at"] = data["expire_at"]
        comment = (data.get("review_comment") or "").strip()
        if action in ("publish", "withdraw", "schedule", "unschedule"):
            edit["status"] = {
                "publish": Status.PUBLISHED,
                "withdraw": Status.WITHDRAWN,
                "schedule": Status.SCHEDULED,
                "unschedule": Status.DRAFT,  # document_unschedule's transition
            }[action]
        if action == "schedule":
            edit["go_live_at"] = data["go_live_at"]
        elif (
            action == "save"
            and document.status == Status.SCHEDULED
            and "go_live_at" in self.form.changed_data
            and data.get("go_live_at")
        ):
            edit["status"] = Status.SCHEDULED
            edit["go_live_at"] = data["go_live_at"]
        if action != "send_back" or self.form.has_changed():
            document = services.document_edit(actor=actor, document=document, ip_address=ip, **edit)
        if action == "submit":
            document = services.document_submit(
                actor=actor, document=document, comment=comment, ip_address=ip
            )
        elif action == "approve":
            document = services.document_approve(
                actor=actor,
                document=document,
                go_live_at=data.get("go_live_at"),
                comment=comment,
                ip_address=ip,
            )
        elif action == "send_back":
            document = services.document_send_back(
                actor=actor, document=document, comment=comment, ip_address=ip
            )
        if self.form.kept is not None:
            self.form.kept.forget()
        document.refresh_from_db()
        self.message = self.done(document, action)
        return document

    def get_success_message(self) -> str:
        return self.message

    def get_success_buttons(self) -> list[tuple[str, str, bool]]:
        return self.success_buttons(self.object)

    def get_success_url(self) -> str:
        return after_action_url(self.request, self.object)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = self.add_action_context(super().get_context_data(**kwargs))
        context.update(document_panels(self.request, self.object))
        return context


# --- What the edit screen shows besides the form -------------------------------------------


@dataclass(frozen=True)
class VersionRow:
    number: int
    author: str
    at: str
    size: str
    kind: str
    sha256: str
    file_name: str
    url: str
    current: bool


@dataclass(frozen=True)
class TrailLine:
    at: str
    who: str
    what: str


@dataclass(frozen=True)
class StepRow:
    label: str
    who: str
    at: str
    comment: str


def person(user: User | None) -> str:
    if user is None:
        return _("Système")
    full = user.get_full_name()
    return f"{full} ({user.username})" if full else user.username


FIELD_LABELS: dict[str, Any] = {
    "title": gettext_lazy("titre"),
    "summary": gettext_lazy("résumé"),
    "document_type": gettext_lazy("type"),
    "published_on": gettext_lazy("date de publication"),
    "audience": gettext_lazy("public visé"),
    "licence": gettext_lazy("licence"),
    "addressee": gettext_lazy("destinataire"),
    "go_live_at": gettext_lazy("mise en ligne programmée"),
    "expire_at": gettext_lazy("fin d'affichage"),
    "status": gettext_lazy("statut"),
}


def describe(event: AuditEvent) -> str:
    """One readable line of a document's trail: what happened, with the useful details."""
    what = str(event.get_action_display())
    detail = event.detail if isinstance(event.detail, dict) else {}
    extras: list[str] = []
    if event.action in (AuditEvent.Action.CREATE, AuditEvent.Action.VERSION) and detail.get(
        "version"
    ):
        extras.append(_("version %(n)s") % {"n": detail["version"]})
        if isinstance(detail.get("size"), int):
            extras.append(file_size(detail["size"]))
    if event.action == AuditEvent.Action.PUBLISH and detail.get("scheduled"):
        extras.append(_("mise en ligne programmée, par le système"))
    if event.action == AuditEvent.Action.WITHDRAW and detail.get("reason") == "expired":
        extras.append(_("fin d'affichage atteinte"))
    changed = detail.get("changed")
    if isinstance(changed, dict):
        for field, values in changed.items():
            label = str(FIELD_LABELS.get(field, field))
            if isinstance(values, list) and len(values) == 2:
                extras.append(f"{label} : « {values[0]} » → « {values[1]} »")
            else:
                extras.append(label)
    if detail.get("go_live_at"):
        try:
            when = datetime.datetime.fromisoformat(str(detail["go_live_at"]))
            extras.append(_("pour le %(when)s") % {"when": paris_datetime(when)})
        except ValueError:
            pass
    if detail.get("comment"):
        extras.append(f"« {detail['comment']} »")
    return f"{what} — {' ; '.join(extras)}" if extras else what


def document_panels(request: HttpRequest, document: Document) -> dict[str, Any]:
    versions = [
        VersionRow(
            number=v.number,
            author=person(v.created_by),
            at=paris_datetime(v.created_at),
            size=file_size(v.size),
            kind=v.kind.upper(),
            sha256=v.sha256,
            file_name=v.file_name,
            url=reverse("civis_documents:version", args=[document.pk, v.number]),
            current=v.pk == document.current_version_id,
        )
        for v in document.versions.select_related("created_by").order_by("-number")
    ]
    events = (
        AuditEvent.objects.filter(document=document).select_related("actor").order_by("-at", "-pk")
    )
    trail = [
        TrailLine(at=paris_datetime(e.at), who=person(e.actor), what=describe(e))
        for e in events[:12]
    ]
    steps = [
        StepRow(
            label=str(s.get_action_display()),
            who=person(s.actor),
            at=paris_datetime(s.at),
            comment=s.comment,
        )
        for s in ReviewStep.objects.filter(document=document).select_related("actor")
    ]
    principals = principals_of(request.user)
    full_trail = (
        reverse("civis_audit_log") + f"?document={document.pk}"
        if principals.superuser or principals.admin_of
        else ""
    )
    policy = PublishingPolicy.objects.filter(authority_id=document.owner_id).first()
    return {
        "document": document,
        "current": next((v for v in versions if v.current), None),
        "versions": versions,
        "trail": trail,
        "trail_more": events.count() > len(trail),
        "full_trail_url": full_trail,
        "steps": steps,
        "review_required": bool(policy and policy.review_required),
        "public_url": public_url(document) if document.status == Status.PUBLISHED else "",
        "go_live_at": paris_datetime(document.go_live_at) if document.go_live_at else "",
        "expire_at": paris_datetime(document.expire_at) if document.expire_at else "",
    }


@require_GET
def version_download(request: HttpRequest, pk: int, number: int) -> HttpResponseBase:
    """One version's file for its editors, recorded in the audit log as the portal does."""
    document = get_object_or_404(documents_editable_by(request.user), pk=pk)
    version = get_object_or_404(document.versions, number=number)
    services.document_access_record(
        actor=request.user,
        document=document,
        action=AuditEvent.Action.DOWNLOAD,
        ip_address=client_ip(request),
    )
    return file_response(document, version)


# --- Listing ------------------------------------------------------------------------------


def _dates(document: Document) -> str:
    parts = []
    if document.go_live_at and document.status in (Status.SCHEDULED, Status.IN_REVIEW):
        parts.append(_("en ligne le %(when)s") % {"when": paris_datetime(document.go_live_at)})
    if document.expire_at:
        parts.append(_("retiré le %(when)s") % {"when": paris_datetime(document.expire_at)})
    return " ; ".join(parts)


class DocumentIndexView(generic.IndexView):
    add_item_label = gettext_lazy("Ajouter un document")

    def get_base_queryset(self) -> QuerySet[Document]:
        return documents_editable_by(self.request.user).select_related("owner")


class _EditableObjectMixin:
    """Wagtail's object views load their object in ``setup()``, before any permission check:
    here it comes from the selector, so a document one may not edit does not exist."""

    request: HttpRequest

    def get_base_object_queryset(self) -> QuerySet[Document]:
        return documents_editable_by(self.request.user)


class DocumentHistoryView(_EditableObjectMixin, HistoryView):
    pass


class DocumentUsageView(_EditableObjectMixin, UsageView):
    pass


class DocumentDeleteView(generic.DeleteView):
    """Documents are never deleted (withdraw instead: the history stays): no such page."""

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        raise Http404


def _editable_only(pattern: URLPattern) -> URLPattern:
    """``pattern``'s view, answering 404 unless its ``pk`` is a document the requester may
    edit — before the view runs, whatever the view does with it."""
    view: Callable[..., HttpResponse] = pattern.callback

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not documents_editable_by(request.user).filter(pk=kwargs["pk"]).exists():
            raise Http404
        return view(request, *args, **kwargs)

    return URLPattern(pattern.pattern, guarded, pattern.default_args, pattern.name)


class DocumentViewSet(ModelViewSet):
    model = Document
    form_fields = DocumentForm.Meta.fields
    icon = "doc-full"
    menu_label = gettext_lazy("Documents")
    menu_order = 150
    add_to_admin_menu = True
    index_view_class = DocumentIndexView
    add_view_class = DocumentCreateView
    edit_view_class = DocumentEditView
    delete_view_class = DocumentDeleteView
    history_view_class = DocumentHistoryView
    usage_view_class = DocumentUsageView
    create_template_name = "documents/admin/document_create.html"
    edit_template_name = "documents/admin/document_edit.html"
    list_display = [
        "title",
        Column("owner", label=gettext_lazy("Collectivité")),
        "document_type",
        "status",
        Column("dates", label=gettext_lazy("Mise en ligne / fin d'affichage"), accessor=_dates),
        "audience",
        "published_on",
        UpdatedAtColumn(),
    ]
    list_filter = ["status", "audience", "document_type"]
    search_fields = ["title"]
    inspect_view_enabled = False
    copy_view_enabled = False

    def get_form_class(self, for_update: bool = False) -> type[DocumentForm]:
        return DocumentForm

    def get_urlpatterns(self) -> list[URLPattern]:
        # Every view addressing a document — today's, ours and any a later Wagtail adds —
        # goes through the selector first (tests/documents/test_admin_urls.py walks them all).
        patterns = [
            *super().get_urlpatterns(),
            path("versions/<int:pk>/<int:number>/", version_download, name="version"),
        ]
        return [
            _editable_only(p) if "pk" in getattr(p.pattern, "converters", {}) else p
            for p in patterns
        ]


# --- Publishing policy (review before publication) -----------------------------------------


class PublishingPolicyForm(forms.Form):
    authority = forms.ModelChoiceField(
        label=gettext_lazy("Collectivité"), queryset=Authority.objects.none()
    )
    review_required = forms.BooleanField(
        label=gettext_lazy("Validation avant publication"),
        required=False,
        help_text=gettext_lazy(
            "Les agents préparent des brouillons et les soumettent ; un éditeur de la "
            "collectivité les valide (publie ou programme) ou les renvoie avec un commentaire."
        ),
    )

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["authority"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 (declared above)
        field.queryset = authorities_overseen_by(user).order_by("name")


@require_http_methods(["GET", "POST"])
def publishing_policy_view(request: HttpRequest) -> HttpResponse:
    """Administrators choose, per authority of their scope, whether publication needs a
    publisher's approval of the agents' drafts."""
    scope = authorities_overseen_by(request.user)
    if not scope.exists():
        raise PermissionDenied
    initial: dict[str, Any] = {}
    if request.method == "POST":
        form = PublishingPolicyForm(request.POST, user=request.user)
        if form.is_valid():
            authority = form.cleaned_data["authority"]
            required = form.cleaned_data["review_required"]
            try:
                publishing_policy_set(
                    actor=request.user,  # type: ignore[arg-type]  # signed in (admin access)
                    authority=authority,
                    review_required=required,
                    ip_address=client_ip(request),
                )
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                text = (
                    _("%(name)s : les documents des agents sont validés avant publication.")
                    if required
                    else _("%(name)s : les éditeurs publient sans validation préalable.")
                )
                django_messages.success(request, text % {"name": authority.name})
                return redirect("civis_publishing_policy")
    else:
        chosen = request.GET.get("authority", "")
        if chosen.isdigit():
            authority = scope.filter(pk=int(chosen)).first()
            if authority is not None:
                policy = PublishingPolicy.objects.filter(authority=authority).first()
                initial = {
                    "authority": authority.pk,
                    "review_required": bool(policy and policy.review_required),
                }
        form = PublishingPolicyForm(initial=initial, user=request.user)
    with_review = (
        PublishingPolicy.objects.filter(review_required=True, authority__in=scope)
        .select_related("authority")
        .order_by("authority__name")
    )
    return render(
        request,
        "documents/admin/publishing_policy.html",
        {"form": form, "with_review": with_review, "page_title": _("Règles de publication")},
    )

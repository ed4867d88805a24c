"""Wagtail admin for agents: publish documents, replace files, and read the audit log.

Lists come from documents_editable_by; every write goes through documents.services.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column, UpdatedAtColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.views.generic.usage import UsageView
from wagtail.admin.viewsets.model import ModelViewSet

from core.admin import ScopedPermissionPolicy, ServiceFormMixin
from core.http import client_ip
from documents import services
from documents.models import Document, Status
from documents.selectors import authorities_publishable_by, documents_editable_by
from identity.models import User


class DocumentPermissionPolicy(ScopedPermissionPolicy):
    """Wagtail's questions answered by the document store's selectors. Never delete: withdraw
    instead, the history stays."""

    def may_use(self, user: User | AnonymousUser) -> bool:
        return authorities_publishable_by(user).exists()

    def scoped_instances(self, user: User | AnonymousUser, action: str) -> QuerySet[Document]:
        return documents_editable_by(user)


class DocumentForm(WagtailAdminModelForm):
    ACTIONS = [
        ("", _("Ne pas changer le statut")),
        ("publish", _("Publier")),
        ("withdraw", _("Retirer")),
    ]

    file = forms.FileField(
        label=_("Fichier"),
        required=False,
        help_text=_(
            "PDF, ODT, ODS, DOCX, XLSX, CSV, TXT, JSON, PNG ou JPEG. Remplacer le fichier crée "
            "une nouvelle version ; les précédentes sont conservées."
        ),
    )
    addressee_username = forms.CharField(
        label=_("Destinataire (identifiant du citoyen)"),
        required=False,
        help_text=_("Seulement pour un document personnel."),
    )
    tag_names = forms.CharField(
        label=_("Mots-clés"), required=False, help_text=_("Séparés par des virgules.")
    )
    status_action = forms.ChoiceField(label=_("Statut"), choices=ACTIONS, required=False)

    class Meta:
        model = Document
        fields = [
            "owner",
            "title",
            "summary",
            "document_type",
            "published_on",
            "audience",
            "licence",
        ]

    def __init__(
        self, *args: Any, for_user: User | AnonymousUser | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, for_user=for_user, **kwargs)
        self.fields["owner"].queryset = authorities_publishable_by(for_user).order_by("name")
        if self.instance.pk:
            self.fields["owner"].disabled = True
            if self.instance.addressee_id:
                self.initial["addressee_username"] = self.instance.addressee.username
            self.initial["tag_names"] = ", ".join(sorted(self.instance.tags.names()))
        else:
            self.fields["file"].required = True
            self.fields["status_action"].choices = [
                ("", _("Enregistrer comme brouillon")),
                ("publish", _("Publier")),
            ]

    def clean_addressee_username(self) -> User | None:
        username = self.cleaned_data.get("addressee_username", "").strip()
        if not username:
            return None
        user = User.objects.filter(username=username, kind=User.Kind.CITIZEN).first()
        if user is None:
            raise ValidationError(_("Aucun citoyen n'a cet identifiant."))
        return user

    def tags(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data.get("tag_names", "").split(",") if t.strip()]


class _ServiceFormMixin(ServiceFormMixin):
    field_aliases = {"addressee": "addressee_username"}
    form: DocumentForm  # get_form_class() below


class DocumentCreateView(_ServiceFormMixin, generic.CreateView):
    def save_instance(self) -> Document:
        data = self.form.cleaned_data
        upload = data["file"]
        return services.document_create(
            actor=self.request.user,
            owner=data["owner"],
            title=data["title"],
            summary=data["summary"],
            document_type=data["document_type"],
            audience=data["audience"],
            addressee=data["addressee_username"],
            tags=self.form.tags(),
            licence=data["licence"],
            published_on=data["published_on"],
            publish=data["status_action"] == "publish",
            upload=services.Upload(upload, upload.name),
            ip_address=client_ip(self.request),
        )


class DocumentEditView(_ServiceFormMixin, generic.EditView):
    def get_object(self, queryset: QuerySet[Document] | None = None) -> Document:
        # The same selector as everywhere: a document one may not edit does not exist here.
        return get_object_or_404(
            documents_editable_by(self.request.user), pk=self.kwargs[self.pk_url_kwarg]
        )

    def save_instance(self) -> Document:
        data = self.form.cleaned_data
        upload = data.get("file")
        status = {"publish": Status.PUBLISHED, "withdraw": Status.WITHDRAWN}.get(
            data.get("status_action") or ""
        )
        return services.document_edit(
            actor=self.request.user,
            document=self.object,
            ip_address=client_ip(self.request),
            title=data["title"],
            summary=data["summary"],
            document_type=data["document_type"],
            published_on=data["published_on"],
            audience=data["audience"],
            licence=data["licence"],
            addressee=data["addressee_username"],
            tags=self.form.tags(),
            status=status,
            upload=services.Upload(upload, upload.name) if upload else None,
        )


class DocumentIndexView(generic.IndexView):
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
    menu_label = _("Documents")
    menu_order = 150
    add_to_admin_menu = True
    index_view_class = DocumentIndexView
    add_view_class = DocumentCreateView
    edit_view_class = DocumentEditView
    delete_view_class = DocumentDeleteView
    history_view_class = DocumentHistoryView
    usage_view_class = DocumentUsageView
    list_display = [
        "title",
        Column("owner", label=_("Collectivité")),
        "document_type",
        "status",
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
        # Every view addressing a document — today's and any a later Wagtail adds — goes
        # through the selector first (tests/documents/test_admin_urls.py walks them all).
        return [
            _editable_only(p) if "pk" in getattr(p.pattern, "converters", {}) else p
            for p in super().get_urlpatterns()
        ]

"""Wagtail admin for agents: publish documents, replace files, and read the audit log.

Lists come from documents_editable_by; every write goes through documents.services.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column, UpdatedAtColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from core.admin import ScopedPermissionPolicy, ServiceFormMixin
from core.http import client_ip
from documents import services
from documents.models import Document
from documents.selectors import authorities_publishable_by, documents_editable_by
from identity.models import User


class DocumentPermissionPolicy(ScopedPermissionPolicy):
    """Wagtail's questions answered by the document store's selectors. Never delete: withdraw
    instead, the history stays."""

    def may_use(self, user) -> bool:
        return authorities_publishable_by(user).exists()

    def scoped_instances(self, user, action: str):
        return documents_editable_by(user)


class DocumentForm(WagtailAdminModelForm):
    ACTIONS = [("", _("Ne pas changer le statut")), ("publish", _("Publier")),
               ("withdraw", _("Retirer"))]

    file = forms.FileField(label=_("Fichier"), required=False, help_text=_(
        "PDF, ODT, ODS, DOCX, XLSX, CSV, TXT, JSON, PNG ou JPEG. Remplacer le fichier crée "
        "une nouvelle version ; les précédentes sont conservées."))
    addressee_username = forms.CharField(label=_("Destinataire (identifiant du citoyen)"),
                                         required=False, help_text=_(
                                             "Seulement pour un document personnel."))
    tag_names = forms.CharField(label=_("Mots-clés"), required=False,
                                help_text=_("Séparés par des virgules."))
    status_action = forms.ChoiceField(label=_("Statut"), choices=ACTIONS, required=False)

    class Meta:
        model = Document
        fields = ["owner", "title", "summary", "document_type", "published_on", "audience",
                  "licence"]

    def __init__(self, *args: Any, for_user=None, **kwargs: Any) -> None:
        super().__init__(*args, for_user=for_user, **kwargs)
        self.fields["owner"].queryset = authorities_publishable_by(for_user).order_by("name")
        if self.instance.pk:
            self.fields["owner"].disabled = True
            if self.instance.addressee_id:
                self.initial["addressee_username"] = self.instance.addressee.username
            self.initial["tag_names"] = ", ".join(sorted(self.instance.tags.names()))
        else:
            self.fields["file"].required = True
            self.fields["status_action"].choices = [("", _("Enregistrer comme brouillon")),
                                                    ("publish", _("Publier"))]

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


class DocumentCreateView(_ServiceFormMixin, generic.CreateView):
    def save_instance(self) -> Document:
        data = self.form.cleaned_data
        upload = data["file"]
        return services.document_create(
            actor=self.request.user, owner=data["owner"], title=data["title"],
            summary=data["summary"], document_type=data["document_type"],
            audience=data["audience"], addressee=data["addressee_username"],
            tags=self.form.tags(), licence=data["licence"], published_on=data["published_on"],
            publish=data["status_action"] == "publish",
            upload=services.Upload(upload, upload.name), ip_address=client_ip(self.request),
        )


class DocumentEditView(_ServiceFormMixin, generic.EditView):
    def get_object(self, queryset=None) -> Document:
        # The same selector as everywhere: a document one may not edit does not exist here.
        return get_object_or_404(documents_editable_by(self.request.user),
                                 pk=self.kwargs[self.pk_url_kwarg])

    def save_instance(self) -> Document:
        data, actor, ip = self.form.cleaned_data, self.request.user, client_ip(self.request)
        document = services.document_update(
            actor=actor, document=self.object, tags=self.form.tags(), ip_address=ip,
            title=data["title"], summary=data["summary"], document_type=data["document_type"],
            published_on=data["published_on"], audience=data["audience"],
            licence=data["licence"], addressee=data["addressee_username"],
        )
        if data.get("file"):
            services.document_replace_file(actor=actor, document=document, ip_address=ip,
                                           upload=services.Upload(data["file"],
                                                                  data["file"].name))
        if data.get("status_action") == "publish":
            document = services.document_publish(actor=actor, document=document,
                                                 ip_address=ip)
        elif data.get("status_action") == "withdraw":
            document = services.document_withdraw(actor=actor, document=document,
                                                  ip_address=ip)
        return document


class DocumentIndexView(generic.IndexView):
    def get_base_queryset(self):
        return documents_editable_by(self.request.user).select_related("owner")


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
    list_display = ["title", Column("owner", label=_("Collectivité")), "document_type",
                    "status", "audience", "published_on", UpdatedAtColumn()]
    list_filter = ["status", "audience", "document_type"]
    search_fields = ["title"]
    inspect_view_enabled = False
    copy_view_enabled = False

    def get_form_class(self, for_update: bool = False):
        return DocumentForm

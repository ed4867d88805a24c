"""Admin > Données ouvertes: the datasets of the authorities one publishes for
(``opendata.selectors.datasets_editable_by``), a form to create one, and one page per dataset
to edit its description, add, remove and reorder its resources, publish and withdraw it. A
dataset outside one's scope answers 404; every write is a service of
``opendata.services.datasets``."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from django import forms
from django.contrib import messages as django_messages
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from documents.admin.owners import limit_owner_choices
from documents.models import Document
from documents.models import Status as DocumentStatus
from documents.selectors import authorities_publishable_by, documents_visible_to
from identity.models import Authority, User
from opendata.models import Dataset, DatasetLicence, Frequency, Resource, Theme
from opendata.selectors import datasets_editable_by, resources_public
from opendata.services.datasets import (
    EDITABLE_FIELDS,
    dataset_create,
    dataset_edit,
    dataset_publish,
    dataset_withdraw,
    resource_add,
    resource_move,
    resource_remove,
)

DOCUMENT_CHOICES_MAX = 500


class DatasetForm(forms.Form):
    title = forms.CharField(
        label=gettext_lazy("Titre"),
        max_length=255,
        error_messages={"required": gettext_lazy("Donnez un titre au jeu de données.")},
    )
    description = forms.CharField(
        label=gettext_lazy("Description"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy(
            "Ce que contiennent les données, d'où elles viennent, leurs limites."
        ),
        error_messages={"required": gettext_lazy("Décrivez le jeu de données.")},
    )
    keywords = forms.CharField(
        label=gettext_lazy("Mots-clés"),
        required=False,
        help_text=gettext_lazy("Séparés par des virgules, par exemple : budget, écoles."),
    )
    themes = forms.MultipleChoiceField(
        label=gettext_lazy("Thèmes"),
        choices=Theme.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    licence = forms.ChoiceField(
        label=gettext_lazy("Licence"), choices=DatasetLicence.choices, initial=DatasetLicence.LOV2
    )
    frequency = forms.ChoiceField(
        label=gettext_lazy("Fréquence de mise à jour"),
        choices=Frequency.choices,
        initial=Frequency.UNKNOWN,
    )
    temporal_start = forms.DateField(
        label=gettext_lazy("Début de la période couverte"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": gettext_lazy("Indiquez une date valide (jj/mm/aaaa).")},
    )
    temporal_end = forms.DateField(
        label=gettext_lazy("Fin de la période couverte"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": gettext_lazy("Indiquez une date valide (jj/mm/aaaa).")},
    )
    contact_name = forms.CharField(
        label=gettext_lazy("Point de contact"), max_length=200, required=False
    )
    contact_email = forms.EmailField(
        label=gettext_lazy("Adresse du point de contact"),
        required=False,
        error_messages={"invalid": gettext_lazy("Indiquez une adresse électronique valide.")},
    )

    def values(self) -> dict[str, Any]:
        data = {key: self.cleaned_data[key] for key in EDITABLE_FIELDS}
        data["keywords"] = [w for w in data["keywords"].split(",")]
        return data


class DatasetCreateForm(DatasetForm):
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Collectivité"),
        queryset=Authority.objects.none(),
        error_messages={"required": gettext_lazy("Choisissez la collectivité qui publie.")},
    )
    field_order = ["owner"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_owner_choices(self.fields["owner"], user)


class ResourceForm(forms.Form):
    KINDS = [
        (Resource.Kind.DOCUMENT, gettext_lazy("Un fichier public du dépôt de documents")),
        (Resource.Kind.API, gettext_lazy("Un point d'accès de l'API du portail")),
        (Resource.Kind.EXPORT, gettext_lazy("Un export du portail (SCDL)")),
    ]
    kind = forms.ChoiceField(
        label=gettext_lazy("Nature"),
        choices=KINDS,
        initial=Resource.Kind.DOCUMENT,
        widget=forms.RadioSelect,
    )
    title = forms.CharField(
        label=gettext_lazy("Titre de la ressource"),
        max_length=255,
        error_messages={"required": gettext_lazy("Donnez un titre à la ressource.")},
    )
    description = forms.CharField(
        label=gettext_lazy("Description de la ressource"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    document = forms.ModelChoiceField(
        label=gettext_lazy("Document (fichier)"),
        queryset=Document.objects.none(),
        required=False,
        help_text=gettext_lazy("Seuls les documents publics et publiés de la collectivité."),
        error_messages={"invalid_choice": gettext_lazy("Choisissez un document de la liste.")},
    )
    api_path = forms.CharField(
        label=gettext_lazy("Chemin de l'API"),
        required=False,
        max_length=300,
        help_text=gettext_lazy(
            "Un chemin de l'API du portail, par exemple /api/v1/documents/?authority_code=33281."
        ),
    )
    export = forms.ChoiceField(
        label=gettext_lazy("Export"),
        choices=[("", "—"), *Resource.Export.choices],
        required=False,
    )
    schema_url = forms.URLField(
        label=gettext_lazy("Schéma de données (URL canonique, facultatif)"),
        required=False,
        assume_scheme="https",
        error_messages={"invalid": gettext_lazy("Indiquez une adresse web valide.")},
    )

    def __init__(self, *args: Any, dataset: Dataset, **kwargs: Any) -> None:
        kwargs["prefix"] = "ressource"
        super().__init__(*args, **kwargs)
        document_field = cast(forms.ModelChoiceField[Document], self.fields["document"])
        candidates = documents_visible_to(AnonymousUser()).filter(
            owner=dataset.owner,
            status=DocumentStatus.PUBLISHED,
            current_version__isnull=False,
        )
        latest = list(
            candidates.order_by("-published_on", "-pk").values_list("pk", flat=True)[
                :DOCUMENT_CHOICES_MAX
            ]
        )
        # Unsliced (a sliced queryset cannot validate a choice), the latest ones only.
        document_field.queryset = (
            Document.objects.filter(pk__in=latest)
            .select_related("current_version")
            .order_by("-published_on", "-pk")
        )
        document_field.label_from_instance = _document_label  # type: ignore[method-assign,assignment]


def _document_label(document: Document) -> str:
    version = document.current_version
    return f"{document.title} ({version.kind.upper()})" if version else document.title


def _may_manage(user: Any) -> bool:
    return bool(user.is_authenticated) and authorities_publishable_by(user).exists()


def _apply_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@require_http_methods(["GET"])
def datasets_view(request: HttpRequest) -> HttpResponse:
    if not _may_manage(request.user):
        raise PermissionDenied
    datasets = list(
        datasets_editable_by(request.user).select_related("owner").order_by("-modified_at")[:300]
    )
    return render(
        request,
        "opendata/admin/datasets.html",
        {"page_title": _("Données ouvertes"), "datasets": datasets},
    )


@require_http_methods(["GET", "POST"])
def dataset_create_view(request: HttpRequest) -> HttpResponse:
    if not _may_manage(request.user):
        raise PermissionDenied
    form = DatasetCreateForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                dataset = dataset_create(
                    actor=cast(User, request.user),
                    owner=form.cleaned_data["owner"],
                    **form.values(),
                )
            except PermissionDenied as error:
                form.add_error(None, str(error))
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                django_messages.success(
                    request,
                    _(
                        "Jeu de données créé (brouillon). "
                        "Ajoutez-lui des ressources, puis publiez-le."
                    ),
                )
                return redirect("opendata_dataset_edit", identifier=dataset.identifier)
        status = 400
    return render(
        request,
        "opendata/admin/dataset_form.html",
        {"page_title": _("Nouveau jeu de données"), "form": form},
        status=status,
    )


def _initial(dataset: Dataset) -> dict[str, Any]:
    initial = {key: getattr(dataset, key) for key in EDITABLE_FIELDS}
    initial["keywords"] = ", ".join(dataset.keywords)
    return initial


@require_http_methods(["GET", "POST"])
def dataset_edit_view(request: HttpRequest, identifier: UUID) -> HttpResponse:
    dataset = (
        datasets_editable_by(request.user)
        .select_related("owner")
        .filter(identifier=identifier)
        .first()
    )
    if dataset is None:
        raise Http404
    actor = cast(User, request.user)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form = DatasetForm(request.POST if action == "save" else None, initial=_initial(dataset))
    resource_form = ResourceForm(
        request.POST if action == "add_resource" else None, dataset=dataset
    )
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        done = ""
        try:
            if action == "save":
                if form.is_valid():
                    dataset_edit(actor=actor, dataset=dataset, **form.values())
                    done = _("Description enregistrée.")
            elif action == "add_resource":
                if resource_form.is_valid():
                    data = resource_form.cleaned_data
                    kind = data["kind"]
                    resource_add(
                        actor=actor,
                        dataset=dataset,
                        kind=kind,
                        title=data["title"],
                        description=data["description"],
                        document=data["document"] if kind == Resource.Kind.DOCUMENT else None,
                        api_path=data["api_path"] if kind == Resource.Kind.API else "",
                        export=data["export"] if kind == Resource.Kind.EXPORT else "",
                        schema_url=data["schema_url"],
                    )
                    done = _("Ressource ajoutée.")
            elif action in ("remove", "up", "down"):
                resource = dataset.resources.filter(pk=_int(request.POST.get("resource"))).first()
                if resource is None:
                    raise Http404
                if action == "remove":
                    resource_remove(actor=actor, resource=resource)
                    done = _("Ressource retirée du jeu de données.")
                else:
                    resource_move(
                        actor=actor, resource=resource, offset=-1 if action == "up" else 1
                    )
                    done = _("Ordre des ressources enregistré.")
            elif action == "publish":
                dataset_publish(actor=actor, dataset=dataset)
                done = _("Jeu de données publié : il est visible de tous et moissonnable.")
            elif action == "withdraw":
                dataset_withdraw(actor=actor, dataset=dataset)
                done = _("Jeu de données retiré : il n'est plus public.")
            else:
                errors.append(_("Action inconnue."))
        except PermissionDenied as error:
            errors.append(str(error))
        except ValidationError as error:
            target = resource_form if action == "add_resource" else form
            if action in ("save", "add_resource"):
                _apply_errors(target, error)
            else:
                errors.extend(error.messages)
        if done:
            django_messages.success(request, done)
            return redirect("opendata_dataset_edit", identifier=dataset.identifier)
        status = 400
        dataset.refresh_from_db()
    resources = list(dataset.resources.select_related("document__current_version"))
    public_ids = set(resources_public(dataset).values_list("pk", flat=True))
    return render(
        request,
        "opendata/admin/dataset_edit.html",
        {
            "page_title": _("Jeu de données"),
            "dataset": dataset,
            "form": form,
            "resource_form": resource_form,
            "resources": [(r, r.pk in public_ids) for r in resources],
            "errors": errors,
            "public_url": reverse(
                "opendata:dataset_detail", kwargs={"identifier": dataset.identifier}
            ),
        },
        status=status,
    )


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0

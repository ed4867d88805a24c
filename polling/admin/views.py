"""Admin > Où voter ?: the communes a publisher manages (``polling.selectors``), each with its
arrêté's street-range rules (add, edit, delete, import a CSV) and the import of its assignment
of addresses to bureaux (``polling.services``).

Who may use a screen is decided by ``communes_managed_by`` and ``rules_managed_by`` only: a
commune or a rule outside them answers 404, never 403. GET never writes; every write is a POST
(with Django's CSRF check) calling one service, whose French messages are shown on the fields.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages as django_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from identity.models import Authority, User
from polling.models import CommuneReference, Parity, StreetRule
from polling.selectors import communes_managed_by, rules_managed_by
from polling.services import (
    RULE_COLUMNS,
    assignment_import,
    rule_create,
    rule_delete,
    rule_edit,
    rules_import,
)

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
RULE_EXAMPLE = (
    ";".join(RULE_COLUMNS)
    + "\nRue Jean Jaurès;1;39;impairs;3;Arrêté n° 2026-14 du 12 janvier 2026"
    + "\nRue Jean Jaurès;2;;pairs;4;Arrêté n° 2026-14 du 12 janvier 2026"
    + "\nPlace de la Mairie;;;;1;Arrêté n° 2026-14 du 12 janvier 2026"
)


NUMBER_MESSAGE = gettext_lazy("Un numéro est un nombre entier de 1 à 99999.")
BUREAU_MESSAGE = gettext_lazy("Indiquez le numéro du bureau (1 à 9999).")


# --- access ----------------------------------------------------------------------------------


def actor(request: HttpRequest) -> User:
    return cast(User, request.user)


def may_see_section(user: Any) -> bool:
    """The « Où voter ? » menu item and list: whoever manages a commune (superusers too)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(getattr(user, "is_superuser", False)) or communes_managed_by(user).exists()


def managed_commune(request: HttpRequest, insee: str) -> Authority:
    """The commune of that INSEE code, when the requester manages it; 404 otherwise."""
    if not request.user.is_authenticated:
        raise Http404
    commune = communes_managed_by(request.user).filter(insee_code=insee).order_by("pk").first()
    if commune is None:
        raise Http404
    return commune


def managed_rule(request: HttpRequest, pk: int) -> StreetRule:
    """The rule, when the requester manages its commune; 404 otherwise."""
    if not request.user.is_authenticated:
        raise Http404
    rule = rules_managed_by(request.user).filter(pk=pk).first()
    if rule is None:
        raise Http404
    return rule


# --- forms -----------------------------------------------------------------------------------


def _number_field(
    label: Any, message: Any, *, required: bool = False, maximum: int = 99999
) -> forms.Field:
    return forms.IntegerField(
        label=label,
        required=required,
        min_value=1,
        max_value=maximum,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": message,
            "invalid": message,
            "min_value": message,
            "max_value": message,
        },
    )


class RuleForm(forms.Form):
    """One line of the arrêté; the street is chosen at creation only."""

    street = forms.CharField(
        label=gettext_lazy("Voie"),
        max_length=200,
        error_messages={"required": gettext_lazy("Indiquez la voie.")},
        help_text=gettext_lazy("Telle qu'écrite dans l'arrêté, par exemple « Rue Jean Jaurès »."),
    )
    number_from = _number_field(gettext_lazy("Du numéro"), NUMBER_MESSAGE)
    number_to = _number_field(gettext_lazy("Au numéro"), NUMBER_MESSAGE)
    parity = forms.ChoiceField(
        label=gettext_lazy("Côté"),
        choices=Parity.choices,
        initial=Parity.ALL,
        error_messages={
            "required": gettext_lazy("Choisissez le côté : pairs, impairs, ou les deux."),
            "invalid_choice": gettext_lazy("Choisissez le côté : pairs, impairs, ou les deux."),
        },
    )
    bureau = _number_field(gettext_lazy("Bureau"), BUREAU_MESSAGE, required=True, maximum=9999)
    reference = forms.CharField(
        label=gettext_lazy("Arrêté"),
        max_length=200,
        error_messages={"required": gettext_lazy("Indiquez l'arrêté qui fixe ce découpage.")},
        help_text=gettext_lazy("Par exemple « Arrêté n° 2026-14 du 12 janvier 2026 »."),
    )

    def __init__(self, *args: Any, with_street: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not with_street:
            del self.fields["street"]
        self.fields["number_from"].help_text = gettext_lazy("Vide : depuis le début de la voie.")
        self.fields["number_to"].help_text = gettext_lazy("Vide : jusqu'au bout de la voie.")

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "number_from": data.get("number_from"),
            "number_to": data.get("number_to"),
            "parity": data["parity"],
            "bureau": data["bureau"],
            "reference": data["reference"],
        }


def _checked_upload(upload: Any) -> Any:
    limit = int(getattr(settings, "CIVIS_MAX_UPLOAD_MB", 50))
    if upload.size > limit * 1024 * 1024:
        raise ValidationError(_("Le fichier dépasse %(n)d Mo.") % {"n": limit}, code="too_large")
    return upload


class RulesImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Fichier des règles (CSV)"),
        help_text=gettext_lazy(
            "Colonnes voie;de;a;cote;bureau;arrete. Les règles du fichier remplacent toutes "
            "celles de la commune ; une seule ligne erronée et rien n'est importé."
        ),
        error_messages={
            "required": gettext_lazy("Choisissez le fichier à importer."),
            "empty": gettext_lazy("Le fichier est vide."),
        },
    )

    def clean_file(self) -> Any:
        return _checked_upload(self.cleaned_data["file"])


class AssignmentImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Liste des adresses et de leurs bureaux (CSV)"),
        help_text=gettext_lazy(
            "La liste de la commune ou la table « adresses » du REU (séparateur , ou ;, UTF-8 "
            "ou Latin-1), avec au moins les colonnes bureau et adresse. Elle remplace la liste "
            "actuelle de la commune ; les lignes d'une autre commune sont ignorées."
        ),
        error_messages={
            "required": gettext_lazy("Choisissez le fichier à importer."),
            "empty": gettext_lazy("Le fichier est vide."),
        },
    )
    source = forms.CharField(
        label=gettext_lazy("Source des données"),
        max_length=300,
        error_messages={"required": gettext_lazy("Indiquez la source des données.")},
        help_text=gettext_lazy("Par exemple « Répertoire électoral unique, extraction mairie »."),
    )
    source_date = forms.DateField(
        label=gettext_lazy("Date des données"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": gettext_lazy("Indiquez une date, par exemple 15/01/2026.")},
    )

    def clean_file(self) -> Any:
        return _checked_upload(self.cleaned_data["file"])


class CommuneChoiceForm(forms.Form):
    commune = forms.CharField(
        label=gettext_lazy("Code INSEE ou nom de la commune"),
        max_length=200,
        error_messages={"required": gettext_lazy("Indiquez le code INSEE ou le nom.")},
    )


def apply_errors(form: forms.Form, error: ValidationError, default: str | None = None) -> None:
    """The service's messages on the form's fields (those it names), else on ``default``."""
    if hasattr(error, "error_dict"):
        for key, messages in error.message_dict.items():
            form.add_error(key if key in form.fields else default, messages)
    else:
        form.add_error(default, error.messages)


# --- the list of communes --------------------------------------------------------------------


def _communes_with_data(user: Any) -> QuerySet[Authority]:
    return (
        communes_managed_by(user)
        .filter(Q(polling_reference__isnull=False) | Q(polling_streets__rules__isnull=False))
        .annotate(rule_count=Count("polling_streets__rules", distinct=True))
        .select_related("polling_reference")
        .distinct()
        .order_by("name", "insee_code")
    )


@require_GET
def communes_view(request: HttpRequest) -> HttpResponse:
    if not may_see_section(request.user):
        raise Http404
    choice = CommuneChoiceForm(request.GET if "commune" in request.GET else None)
    status = 200
    if choice.is_bound:
        status = 400
        if choice.is_valid():
            text = " ".join(choice.cleaned_data["commune"].split())
            found = list(
                communes_managed_by(request.user)
                .filter(Q(insee_code=text) | Q(name__iexact=text))
                .order_by("name")[:2]
            )
            if len(found) == 1:
                return redirect("polling_admin_commune", insee=found[0].insee_code)
            if found:
                choice.add_error(
                    "commune", _("Plusieurs communes portent ce nom : indiquez le code INSEE.")
                )
            else:
                choice.add_error(
                    "commune", _("Vous ne gérez aucune commune de ce code INSEE ou de ce nom.")
                )
    rows = []
    for commune in _communes_with_data(request.user):
        reference: CommuneReference | None = getattr(commune, "polling_reference", None)
        rows.append(
            {"commune": commune, "reference": reference, "rules": getattr(commune, "rule_count", 0)}
        )
    managed = communes_managed_by(request.user)
    few = list(managed.order_by("name")[:51])
    return render(
        request,
        "polling/admin/communes.html",
        {
            "page_title": _("Où voter ?"),
            "rows": rows,
            "choice": choice,
            "managed": few if len(few) <= 50 else None,
        },
        status=status,
    )


# --- one commune -----------------------------------------------------------------------------


def render_commune(
    request: HttpRequest,
    commune: Authority,
    *,
    rule_form: RuleForm | None = None,
    rules_form: RulesImportForm | None = None,
    assignment_form: AssignmentImportForm | None = None,
    report: Any = None,
    status: int = 200,
) -> HttpResponse:
    rules = list(
        StreetRule.objects.filter(street__commune=commune)
        .select_related("street")
        .order_by("street__label", "number_from", "pk")
    )
    invalid = any(f is not None and f.errors for f in (rule_form, rules_form, assignment_form))
    return render(
        request,
        "polling/admin/commune.html",
        {
            "page_title": _("Où voter ? — %(name)s") % {"name": commune.name},
            "commune": commune,
            "reference": CommuneReference.objects.filter(commune=commune).first(),
            "rules": rules,
            "rule_form": rule_form or RuleForm(prefix="regle"),
            "rules_form": rules_form or RulesImportForm(prefix="regles"),
            "assignment_form": assignment_form or AssignmentImportForm(prefix="adresses"),
            "rule_example": RULE_EXAMPLE,
            "report": report,
            "invalid": invalid,
        },
        status=status,
    )


@require_GET
def commune_view(request: HttpRequest, insee: str) -> HttpResponse:
    return render_commune(request, managed_commune(request, insee))


@require_POST
def rule_create_view(request: HttpRequest, insee: str) -> HttpResponse:
    commune = managed_commune(request, insee)
    form = RuleForm(request.POST, prefix="regle")
    if form.is_valid():
        try:
            rule = rule_create(
                actor=actor(request),
                commune=commune,
                street=form.cleaned_data["street"],
                **form.service_fields(),
            )
        except PermissionDenied as error:
            form.add_error(None, str(error) or _("Action refusée."))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            django_messages.success(
                request,
                _("Règle ajoutée : %(street)s, %(span)s → bureau %(n)d.")
                % {"street": rule.street.label, "span": rule.describe(), "n": rule.bureau},
            )
            return redirect("polling_admin_commune", insee=commune.insee_code)
    return render_commune(request, commune, rule_form=form, status=400)


@require_POST
def rules_import_view(request: HttpRequest, insee: str) -> HttpResponse:
    commune = managed_commune(request, insee)
    form = RulesImportForm(request.POST, request.FILES, prefix="regles")
    if form.is_valid():
        try:
            imported = rules_import(
                actor=actor(request), commune=commune, data=form.cleaned_data["file"].read()
            )
        except PermissionDenied as error:
            form.add_error("file", str(error) or _("Action refusée."))
        except ValidationError as error:
            apply_errors(form, error, default="file")
        else:
            django_messages.success(
                request,
                ngettext(
                    "%(n)d règle importée : elle remplace les règles précédentes.",
                    "%(n)d règles importées : elles remplacent les règles précédentes.",
                    imported,
                )
                % {"n": imported},
            )
            return redirect("polling_admin_commune", insee=commune.insee_code)
    return render_commune(request, commune, rules_form=form, status=400)


@require_POST
def assignment_import_view(request: HttpRequest, insee: str) -> HttpResponse:
    commune = managed_commune(request, insee)
    form = AssignmentImportForm(request.POST, request.FILES, prefix="adresses")
    if form.is_valid():
        try:
            report = assignment_import(
                actor=actor(request),
                data=form.cleaned_data["file"].read(),
                source=form.cleaned_data["source"],
                source_date=form.cleaned_data.get("source_date"),
                commune=commune,
            )
        except PermissionDenied as error:
            form.add_error("file", str(error) or _("Action refusée."))
        except ValidationError as error:
            apply_errors(form, error, default="file")
        else:
            return render_commune(
                request, commune, report={"summary": report.summary(), "examples": report.examples}
            )
    return render_commune(request, commune, assignment_form=form, status=400)


# --- one rule --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def rule_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    rule = managed_rule(request, pk)
    commune = rule.street.commune
    initial = {
        "number_from": rule.number_from,
        "number_to": rule.number_to,
        "parity": rule.parity,
        "bureau": rule.bureau,
        "reference": rule.reference,
    }
    posting = request.method == "POST"
    form = RuleForm(request.POST if posting else None, initial=initial, with_street=False)
    status = 200
    if posting:
        status = 400
        if form.is_valid():
            try:
                rule_edit(actor=actor(request), rule=rule, **form.service_fields())
            except PermissionDenied as error:
                form.add_error(None, str(error) or _("Action refusée."))
            except ValidationError as error:
                apply_errors(form, error)
            else:
                django_messages.success(request, _("Règle modifiée."))
                return redirect("polling_admin_commune", insee=commune.insee_code)
    return render(
        request,
        "polling/admin/rule_form.html",
        {
            "page_title": _("Modifier une règle"),
            "commune": commune,
            "rule": rule,
            "form": form,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def rule_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    rule = managed_rule(request, pk)
    commune = rule.street.commune
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if request.POST.get("confirm") == "1":
            try:
                rule_delete(actor=actor(request), rule=rule)
            except PermissionDenied as error:
                errors.append(str(error) or _("Action refusée."))
            except ValidationError as error:
                errors.extend(error.messages)
            else:
                django_messages.success(request, _("Règle supprimée."))
                return redirect("polling_admin_commune", insee=commune.insee_code)
        else:
            errors.append(_("Cochez la case pour confirmer la suppression."))
        status = 400
    return render(
        request,
        "polling/admin/rule_delete.html",
        {
            "page_title": _("Supprimer une règle"),
            "commune": commune,
            "rule": rule,
            "errors": errors,
        },
        status=status,
    )

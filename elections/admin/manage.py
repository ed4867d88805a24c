"""Admin > Élections, the managers' screens (publishers of the election's authority,
``elections_managed_by``): create an election with its rounds (``election_create``), set a
round's candidates or lists (``candidates_set``), expect the territory's bureaux
(``round_expect_owner_stations``) and import the ministry's results file
(``elections.services.imports.results_import``). Anyone else gets 404."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages as django_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from documents.admin.owners import limit_owner_choices
from elections.admin.access import actor, managed_round, may_create
from elections.admin.views import render_round, round_label, round_url
from elections.models import ElectionKind, Round
from identity.models import Authority

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def _date_field(label: Any, required: bool) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": gettext_lazy("Indiquez la date du premier tour."),
            "invalid": gettext_lazy("Indiquez une date, par exemple 15/03/2026."),
        },
    )


class ElectionCreateForm(forms.Form):
    title = forms.CharField(
        label=gettext_lazy("Titre"),
        max_length=200,
        error_messages={"required": gettext_lazy("Donnez un titre à l'élection.")},
        help_text=gettext_lazy("Par exemple « Élections municipales 2026 — Mérignac »."),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Type d'élection"), choices=ElectionKind.choices)
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Collectivité qui publie"),
        queryset=Authority.objects.none(),
        error_messages={
            "required": gettext_lazy("Choisissez la collectivité qui publie l'élection."),
            "invalid_choice": gettext_lazy("Choisissez une collectivité de la liste."),
        },
        help_text=gettext_lazy("Ses bureaux de vote, et ceux de son territoire, sont attendus."),
    )
    first_date = _date_field(gettext_lazy("Date du premier tour"), True)
    second_date = _date_field(gettext_lazy("Date du second tour (s'il y en a un)"), False)
    slug = forms.SlugField(
        label=gettext_lazy("Identifiant (dans l'adresse /elections/…)"),
        max_length=80,
        required=False,
        help_text=gettext_lazy("Lettres minuscules, chiffres et tirets. Vide : tiré du titre."),
        error_messages={
            "invalid": gettext_lazy(
                "L'identifiant ne peut contenir que des lettres, des chiffres et des tirets."
            )
        },
    )
    description = forms.CharField(
        label=gettext_lazy("Présentation"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_owner_choices(self.fields["owner"], user)

    def round_dates(self) -> list[datetime.date]:
        dates = [self.cleaned_data["first_date"]]
        if self.cleaned_data.get("second_date"):
            dates.append(self.cleaned_data["second_date"])
        return dates


def apply_errors(form: forms.Form, error: ValidationError, aliases: dict[str, str]) -> None:
    if hasattr(error, "error_dict"):
        for key, messages in error.message_dict.items():
            field = aliases.get(key, key)
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


@require_http_methods(["GET", "POST"])
def election_create_view(request: HttpRequest) -> HttpResponse:
    from elections.services.elections import election_create

    if not may_create(request.user):
        raise Http404
    form = ElectionCreateForm(request.POST if request.method == "POST" else None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                election = election_create(
                    actor=actor(request),
                    owner=form.cleaned_data["owner"],
                    title=form.cleaned_data["title"],
                    kind=form.cleaned_data["kind"],
                    round_dates=form.round_dates(),
                    slug=form.cleaned_data.get("slug") or "",
                    description=form.cleaned_data.get("description") or "",
                )
            except PermissionDenied as error:
                form.add_error("owner", str(error))
            except ValidationError as error:
                apply_errors(form, error, {"round_dates": "second_date"})
            else:
                django_messages.success(
                    request,
                    _("Élection créée. Indiquez maintenant les candidats ou listes du 1er tour."),
                )
                return redirect("elections_admin_candidates", pk=election.pk, number=1)
        status = 400
    return render(
        request,
        "elections/admin/election_form.html",
        {"page_title": _("Nouvelle élection"), "form": form},
        status=status,
    )


# --- Candidates --------------------------------------------------------------------------------


class CandidateForm(forms.Form):
    panel = forms.IntegerField(
        label=gettext_lazy("Panneau"),
        required=False,
        min_value=1,
        max_value=999,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "invalid": gettext_lazy("Le numéro de panneau est un entier."),
            "min_value": gettext_lazy("Le numéro de panneau est entre 1 et 999."),
            "max_value": gettext_lazy("Le numéro de panneau est entre 1 et 999."),
        },
    )
    label = forms.CharField(
        label=gettext_lazy("Libellé de la liste"), max_length=200, required=False
    )
    first_name = forms.CharField(label=gettext_lazy("Prénom"), max_length=120, required=False)
    last_name = forms.CharField(label=gettext_lazy("Nom"), max_length=120, required=False)
    nuance = forms.CharField(label=gettext_lazy("Nuance"), max_length=16, required=False)
    colour = forms.RegexField(
        label=gettext_lazy("Couleur"),
        regex=r"^#[0-9a-fA-F]{6}$",
        required=False,
        initial="#6a6a6a",
        widget=forms.TextInput(attrs={"type": "color"}),
        error_messages={
            "invalid": gettext_lazy("La couleur s'écrit #RRVVBB, par exemple #1f5fa8.")
        },
    )
    elected = forms.BooleanField(label=gettext_lazy("Élu(e)"), required=False)

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not (data.get("panel") or data.get("label") or data.get("last_name"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.is_blank():
            return data
        if not data.get("panel") and "panel" not in self.errors:
            self.add_error("panel", _("Indiquez le numéro de panneau."))
        if not (data.get("label") or data.get("last_name")):
            self.add_error("last_name", _("Indiquez le nom du candidat ou le libellé de la liste."))
        return data


CandidateFormSet = forms.formset_factory(CandidateForm, extra=3, max_num=200)


def _candidates_locked(round: Round) -> bool:
    return round.results.exclude(current__isnull=True).exists()


@require_http_methods(["GET", "POST"])
def candidates_view(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    from elections.services.elections import candidates_set

    round = managed_round(request, pk, number)
    locked = _candidates_locked(round)
    initial = [
        {
            "panel": c.panel,
            "label": c.label,
            "first_name": c.first_name,
            "last_name": c.last_name,
            "nuance": c.nuance,
            "colour": c.colour,
            "elected": c.elected,
        }
        for c in round.candidates.all()
    ]
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        formset = CandidateFormSet(request.POST, prefix="candidats")
        if locked:
            errors.append(_("Des résultats sont déjà saisis : les candidats ne changent plus."))
        elif formset.is_valid():
            rows = [
                {**form.cleaned_data, "colour": form.cleaned_data.get("colour") or ""}
                for form in formset.forms
                if form.cleaned_data and not form.is_blank()
            ]
            panels = [row["panel"] for row in rows]
            if len(panels) != len(set(panels)):
                errors.append(_("Deux lignes portent le même numéro de panneau."))
            else:
                try:
                    saved = candidates_set(actor=actor(request), round=round, candidates=rows)
                except (PermissionDenied, ValidationError) as error:
                    errors.extend(
                        error.messages if isinstance(error, ValidationError) else [str(error)]
                    )
                else:
                    django_messages.success(
                        request,
                        ngettext(
                            "%(n)d candidat ou liste enregistré.",
                            "%(n)d candidats ou listes enregistrés.",
                            len(saved),
                        )
                        % {"n": len(saved)},
                    )
                    return redirect("elections_admin_candidates", pk=pk, number=number)
        else:
            errors.append(_("Corrigez les lignes signalées ci-dessous."))
        status = 400
    else:
        formset = CandidateFormSet(initial=initial, prefix="candidats")
    return render(
        request,
        "elections/admin/candidates.html",
        {
            "page_title": _("Candidats et listes"),
            "round": round,
            "election": round.election,
            "round_label": round_label(round),
            "round_url": round_url(round),
            "formset": formset,
            "locked": locked,
            "candidates": list(round.candidates.all()),
            "errors": errors,
        },
        status=status,
    )


# --- Expected bureaux --------------------------------------------------------------------------


@require_POST
def expect_view(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    from elections.services.elections import round_expect_owner_stations

    round = managed_round(request, pk, number)
    try:
        created = round_expect_owner_stations(actor=actor(request), round=round)
    except (PermissionDenied, ValidationError) as error:
        messages = error.messages if isinstance(error, ValidationError) else [str(error)]
        return render_round(request, round, True, errors=messages, status=400)
    if created:
        django_messages.success(
            request,
            ngettext(
                "%(n)d bureau du territoire ajouté aux bureaux attendus.",
                "%(n)d bureaux du territoire ajoutés aux bureaux attendus.",
                created,
            )
            % {"n": created},
        )
    else:
        django_messages.info(
            request, _("Aucun nouveau bureau : tous les bureaux du territoire sont déjà attendus.")
        )
    return redirect(round_url(round))


# --- Import of the ministry's file -------------------------------------------------------------


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Fichier des résultats par bureau (CSV du ministère)"),
        help_text=gettext_lazy(
            "Le fichier du ministère de l'Intérieur, tel quel (format 2022 en latin-1 ou 2024 en "
            "UTF-8). Un nouvel import du même fichier ne change rien."
        ),
        error_messages={
            "required": gettext_lazy("Choisissez le fichier à importer."),
            "empty": gettext_lazy("Le fichier est vide."),
        },
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = int(getattr(settings, "CIVIS_MAX_UPLOAD_MB", 50))
        if upload.size > limit * 1024 * 1024:
            raise ValidationError(
                _("Le fichier dépasse %(n)d Mo.") % {"n": limit}, code="too_large"
            )
        return upload


def _lines(items: Any) -> list[str]:
    """The report's lines as text; an unmatched row is a dict (line, code, commune, reason)."""
    lines = []
    for item in items or []:
        if isinstance(item, dict):
            lines.append(
                _("Ligne %(line)s : %(code)s (%(commune)s) — %(reason)s")
                % {
                    "line": item.get("line", "?"),
                    "code": item.get("code", ""),
                    "commune": item.get("commune", "") or "—",
                    "reason": item.get("reason", ""),
                }
            )
        else:
            lines.append(str(item))
    return lines


@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    round = managed_round(request, pk, number)
    posting = request.method == "POST"
    form = ImportForm(request.POST if posting else None, request.FILES if posting else None)
    errors: list[str] = []
    report: dict[str, Any] | None = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                from elections.services.imports import results_import
            except ImportError:
                errors.append(_("L'import des fichiers du ministère n'est pas encore disponible."))
                status = 503
            else:
                try:
                    outcome = results_import(
                        actor=actor(request),
                        round=round,
                        data=upload.read(),
                        filename=upload.name or "",
                    )
                except ValidationError as error:
                    errors.extend(error.messages)
                except PermissionDenied as error:
                    errors.append(str(error) or _("Action refusée."))
                else:
                    report = {
                        "summary": str(outcome.summary()),
                        "unmatched": _lines(getattr(outcome, "unmatched", [])),
                        "errors": _lines(getattr(outcome, "errors", [])),
                    }
                    status = 200  # rows refused are listed; the others are imported
    return render(
        request,
        "elections/admin/import.html",
        {
            "page_title": _("Importer les résultats officiels"),
            "round": round,
            "election": round.election,
            "round_label": round_label(round),
            "round_url": round_url(round),
            "form": form,
            "errors": errors,
            "report": report,
        },
        status=status,
    )

"""Admin > Démarches: the procedures one edits (``procedures_editable_by``) or instructs
(``requests_instructable_by``), with counts of requests by state; create a procedure, edit
its settings, build its form (the draft revision's fields, one row per field, no JavaScript
needed), preview it, publish the revision, close and reopen it, choose its instructors,
create and revoke passerelle tokens, read the webhook delivery log. A procedure outside
one's scope answers 404; every write is a service."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages as django_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from documents.admin.owners import limit_owner_choices
from documents.selectors import authorities_publishable_by
from identity.models import Authority, User
from procedures.fields import FIELD_TYPES, validate_definition
from procedures.models import (
    Eligibility,
    Procedure,
    ProcedureRevision,
    RequestState,
    SilenceMeans,
)
from procedures.selectors import (
    is_instructor,
    procedures_editable_by,
    procedures_visible_to,
    requests_instructable_by,
)
from procedures.webhooks import check_url

Row = dict[str, Any]

SETTINGS_FIELDS = (
    "title",
    "slug",
    "description",
    "eligibility",
    "needed_documents",
    "expected_days",
    "silence_means",
    "appeal",
    "contact_email",
    "contact_phone",
    "decision_template",
    "retention_days",
    "webhook_url",
    "webhook_secret",
)


def may_see_section(user: Any) -> bool:
    """The "Démarches" menu item: someone who edits or instructs a procedure."""
    if not user.is_authenticated:
        return False
    return (
        procedures_editable_by(user).exists()
        or requests_instructable_by(user).exists()
        or _instructs_any(user)
        or authorities_publishable_by(user).exists()
    )


def instructed_procedures(user: Any) -> list[Procedure]:
    """Procedures ``user`` is an instructor of (even with no request yet)."""
    candidates = procedures_visible_to(user).filter(instructors__user=user).select_related("owner")
    return [p for p in candidates if is_instructor(user, p)]


def _instructs_any(user: Any) -> bool:
    return bool(instructed_procedures(user))


def _editable(request: HttpRequest, pk: int) -> Procedure:
    procedure = procedures_editable_by(request.user).select_related("owner").filter(pk=pk).first()
    if procedure is None:
        raise Http404
    return procedure


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)


def _apply_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# --- Settings ----------------------------------------------------------------------------------


class ProcedureForm(forms.Form):
    title = forms.CharField(
        label=gettext_lazy("Titre"),
        max_length=200,
        error_messages={"required": gettext_lazy("Donnez un titre à la démarche.")},
    )
    slug = forms.SlugField(
        label=gettext_lazy("Adresse (dans /demarches/…)"),
        max_length=120,
        required=False,
        help_text=gettext_lazy("Lettres minuscules, chiffres et tirets. Vide : tirée du titre."),
        error_messages={
            "invalid": gettext_lazy(
                "L'adresse ne peut contenir que des lettres, des chiffres et des tirets."
            )
        },
    )
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("À quoi sert la démarche, pour qui."),
    )
    eligibility = forms.ChoiceField(
        label=gettext_lazy("Qui peut faire la demande"), choices=Eligibility.choices
    )
    needed_documents = forms.CharField(
        label=gettext_lazy("Pièces à fournir"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Une pièce par ligne."),
    )
    expected_days = forms.IntegerField(
        label=gettext_lazy("Délai de traitement annoncé (jours)"),
        min_value=1,
        max_value=3650,
        error_messages={
            "required": gettext_lazy("Indiquez le délai de traitement."),
            "invalid": gettext_lazy("Indiquez un nombre de jours."),
            "min_value": gettext_lazy("Le délai est d'au moins un jour."),
            "max_value": gettext_lazy("Le délai est de 3650 jours au plus."),
        },
    )
    silence_means = forms.ChoiceField(
        label=gettext_lazy("Sens du silence de l'administration"), choices=SilenceMeans.choices
    )
    appeal = forms.CharField(
        label=gettext_lazy("Voies et délais de recours"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    contact_email = forms.EmailField(
        label=gettext_lazy("Courriel de contact"),
        required=False,
        error_messages={"invalid": gettext_lazy("Indiquez une adresse électronique valide.")},
    )
    contact_phone = forms.CharField(
        label=gettext_lazy("Téléphone de contact"), max_length=32, required=False
    )
    decision_template = forms.CharField(
        label=gettext_lazy("Modèle de décision"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=Procedure._meta.get_field("decision_template").help_text,
    )
    retention_days = forms.IntegerField(
        label=gettext_lazy("Durée de conservation des dossiers clos (jours)"),
        min_value=30,
        max_value=36500,
        error_messages={
            "required": gettext_lazy("Indiquez la durée de conservation."),
            "invalid": gettext_lazy("Indiquez un nombre de jours."),
            "min_value": gettext_lazy("La conservation est d'au moins 30 jours."),
            "max_value": gettext_lazy("La conservation est de 36500 jours au plus."),
        },
    )
    webhook_url = forms.URLField(
        label=gettext_lazy("Adresse du webhook (passerelle)"),
        required=False,
        assume_scheme="https",
        help_text=gettext_lazy(
            "Appelée (POST JSON signé) à chaque changement d'état d'un dossier. Vide : aucun."
        ),
        error_messages={"invalid": gettext_lazy("Indiquez une adresse web valide.")},
    )
    webhook_secret = forms.CharField(
        label=gettext_lazy("Secret du webhook"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy(
            "Sert à signer chaque appel (en-tête X-Civis-Signature : HMAC-SHA256). "
            "Laissez vide pour garder le secret actuel."
        ),
    )

    def clean_webhook_url(self) -> str:
        url = str(self.cleaned_data.get("webhook_url") or "")
        if url:
            reason = check_url(url)
            if reason:
                raise ValidationError(reason)
        return url

    def values(self, procedure: Procedure | None = None) -> dict[str, Any]:
        values = {key: self.cleaned_data[key] for key in SETTINGS_FIELDS}
        if not values["webhook_secret"] and procedure is not None:
            values.pop("webhook_secret")  # blank: keep the current one
        if procedure is not None and not values.get("slug"):
            values["slug"] = procedure.slug
        return values


class ProcedureCreateForm(ProcedureForm):
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Collectivité"),
        queryset=Authority.objects.none(),
        error_messages={"required": gettext_lazy("Choisissez la collectivité de la démarche.")},
    )
    field_order = ["owner"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {"expected_days": 30, "retention_days": 365 * 5, "eligibility": "signed_in"},
        )
        super().__init__(*args, **kwargs)
        limit_owner_choices(self.fields["owner"], user)


def _settings_initial(procedure: Procedure) -> dict[str, Any]:
    initial = {key: getattr(procedure, key) for key in SETTINGS_FIELDS}
    initial["webhook_secret"] = ""
    return initial


STATE_COUNTS = {
    state: Count("requests", filter=Q(requests__state=state)) for state in RequestState.values
}


@require_http_methods(["GET"])
def procedures_view(request: HttpRequest) -> HttpResponse:
    if not may_see_section(request.user):
        raise PermissionDenied
    editable_ids = set(procedures_editable_by(request.user).values_list("pk", flat=True))
    instructed = requests_instructable_by(request.user)
    instructed_ids = set(instructed.values_list("procedure_id", flat=True))
    instructed_ids |= {p.pk for p in instructed_procedures(request.user)}
    procedures = list(
        Procedure.objects.filter(pk__in=editable_ids | instructed_ids)
        .select_related("owner")
        .order_by("title", "pk")[:300]
    )
    visible_requests = instructed.values("procedure_id", "state").annotate(n=Count("pk"))
    counts: dict[int, dict[str, int]] = {}
    for row in visible_requests:
        counts.setdefault(row["procedure_id"], {})[row["state"]] = row["n"]
    states = [(s, label) for s, label in RequestState.choices if s != RequestState.DRAFT]
    rows = [
        {
            "procedure": p,
            "editable": p.pk in editable_ids,
            "instructs": p.pk in instructed_ids,
            "counts": [counts.get(p.pk, {}).get(s, 0) for s, _label in states],
        }
        for p in procedures
    ]
    return render(
        request,
        "procedures/admin/procedures.html",
        {
            "page_title": _("Démarches"),
            "rows": rows,
            "states": states,
            "may_create": authorities_publishable_by(request.user).exists(),
        },
    )


@require_http_methods(["GET", "POST"])
def procedure_create_view(request: HttpRequest) -> HttpResponse:
    from procedures.services.procedures import procedure_create

    if not request.user.is_authenticated or not authorities_publishable_by(request.user).exists():
        raise PermissionDenied
    form = ProcedureCreateForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            values = form.values()
            try:
                procedure = procedure_create(
                    actor=_actor(request),
                    owner=form.cleaned_data["owner"],
                    **values,
                )
            except PermissionDenied as error:
                form.add_error(None, str(error))
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                django_messages.success(
                    request, _("Démarche créée (brouillon). Construisez maintenant son formulaire.")
                )
                return redirect("procedures_admin_builder", pk=procedure.pk)
        status = 400
    return render(
        request,
        "procedures/admin/procedure_form.html",
        {"page_title": _("Nouvelle démarche"), "form": form, "procedure": None},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def procedure_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    from procedures.services.procedures import (
        procedure_close,
        procedure_edit,
        procedure_reopen,
        revision_publish,
    )

    procedure = _editable(request, pk)
    actor = _actor(request)
    action = request.POST.get("action", "save") if request.method == "POST" else ""
    form = ProcedureForm(
        request.POST if action == "save" else None, initial=_settings_initial(procedure)
    )
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        done = ""
        try:
            if action == "save":
                if form.is_valid():
                    procedure_edit(actor=actor, procedure=procedure, **form.values(procedure))
                    done = _("Réglages enregistrés.")
            elif action == "publish":
                if request.POST.get("confirm") != "1":
                    errors.append(_("Cochez la case de confirmation pour publier la révision."))
                else:
                    revision = revision_publish(actor=actor, procedure=procedure)
                    done = _(
                        "Révision %(number)s publiée : les nouvelles demandes l'utilisent."
                    ) % {"number": revision.number}
            elif action == "close":
                procedure_close(actor=actor, procedure=procedure)
                done = _("Démarche fermée : plus aucune nouvelle demande.")
            elif action == "reopen":
                procedure_reopen(actor=actor, procedure=procedure)
                done = _("Démarche rouverte.")
            else:
                errors.append(_("Action inconnue."))
        except PermissionDenied as error:
            errors.append(str(error) or _("Action refusée."))
        except ValidationError as error:
            if action == "save":
                _apply_errors(form, error)
            else:
                errors.extend(error.messages)
        if done:
            django_messages.success(request, done)
            return redirect("procedures_admin_edit", pk=procedure.pk)
        status = 400
        procedure.refresh_from_db()
    return render(
        request,
        "procedures/admin/procedure_edit.html",
        {
            "page_title": _("Réglages de la démarche"),
            "procedure": procedure,
            "form": form,
            "errors": errors,
            "draft": _draft_revision(procedure),
        },
        status=status,
    )


def _draft_revision(procedure: Procedure) -> ProcedureRevision | None:
    latest = procedure.revisions.order_by("-number").first()
    return latest if latest is not None and not latest.frozen else None


def _latest_revision(procedure: Procedure) -> ProcedureRevision | None:
    return procedure.revisions.order_by("-number").first()


# --- Builder -----------------------------------------------------------------------------------


class FieldRowForm(forms.Form):
    position = forms.IntegerField(
        label=gettext_lazy("Position"),
        required=False,
        min_value=0,
        max_value=100000,
        error_messages={"invalid": gettext_lazy("La position est un nombre.")},
    )
    type = forms.ChoiceField(label=gettext_lazy("Type"), choices=[], required=False)
    key = forms.CharField(
        label=gettext_lazy("Clé"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("Minuscules, chiffres et _ ; unique."),
    )
    label = forms.CharField(label=gettext_lazy("Libellé"), max_length=500, required=False)
    help = forms.CharField(
        label=gettext_lazy("Aide"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    required = forms.BooleanField(label=gettext_lazy("Obligatoire"), required=False)
    choices = forms.CharField(
        label=gettext_lazy("Choix (un par ligne)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    condition_field = forms.CharField(
        label=gettext_lazy("Affiché si le champ (clé)"), max_length=64, required=False
    )
    condition_value = forms.CharField(label=gettext_lazy("… vaut"), max_length=500, required=False)
    allowed_types = forms.CharField(
        label=gettext_lazy("Types de fichiers (pdf, jpg, png…)"), max_length=200, required=False
    )
    max_size_mb = forms.DecimalField(
        label=gettext_lazy("Taille maximale (Mo)"),
        required=False,
        min_value=0,
        max_digits=8,
        decimal_places=2,
        error_messages={"invalid": gettext_lazy("La taille est un nombre de Mo.")},
    )
    min = forms.DecimalField(
        label=gettext_lazy("Minimum"),
        required=False,
        error_messages={"invalid": gettext_lazy("Le minimum est un nombre.")},
    )
    max = forms.DecimalField(
        label=gettext_lazy("Maximum"),
        required=False,
        error_messages={"invalid": gettext_lazy("Le maximum est un nombre.")},
    )
    parent = forms.CharField(
        label=gettext_lazy("Dans le bloc répétable (clé)"), max_length=64, required=False
    )
    max_repeat = forms.IntegerField(
        label=gettext_lazy("Répétitions au plus"),
        required=False,
        min_value=1,
        max_value=100,
        error_messages={"invalid": gettext_lazy("Indiquez un nombre de répétitions.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        type_field = cast(forms.ChoiceField, self.fields["type"])
        type_field.choices = [("", "—"), *((k, str(v)) for k, v in FIELD_TYPES.items())]

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not (data.get("key") or data.get("label") or data.get("type"))


FieldRowFormSet = forms.formset_factory(FieldRowForm, extra=1, can_delete=True, max_num=300)


def _number(value: Any) -> int | float | None:
    if value is None:
        return None
    number = float(value)
    return int(number) if number == int(number) else number


def row_to_field(row: Row) -> dict[str, Any]:
    """One row of the builder as a field definition (validated later by
    ``validate_definition``)."""
    field: dict[str, Any] = {
        "key": (row.get("key") or "").strip(),
        "type": row.get("type") or "",
        "label": (row.get("label") or "").strip(),
    }
    if (row.get("help") or "").strip():
        field["help"] = row["help"].strip()
    if row.get("required"):
        field["required"] = True
    choices = [c.strip() for c in (row.get("choices") or "").splitlines() if c.strip()]
    if choices or field["type"] in ("choice", "multiple"):
        field["choices"] = choices
    if (row.get("condition_field") or "").strip():
        field["condition"] = {
            "field": row["condition_field"].strip(),
            "value": (row.get("condition_value") or "").strip(),
        }
    if field["type"] == "attachment":
        types = [
            t.strip().lstrip(".").lower()
            for t in (row.get("allowed_types") or "").replace(";", ",").split(",")
            if t.strip()
        ]
        if types:
            field["allowed_types"] = types
        if row.get("max_size_mb") is not None:
            field["max_size_mb"] = _number(row["max_size_mb"])
    if field["type"] in ("integer", "decimal"):
        for bound in ("min", "max"):
            if row.get(bound) is not None:
                field[bound] = _number(row[bound])
    if field["type"] == "repeat":
        field["children"] = []
        if row.get("max_repeat"):
            field["max_repeat"] = int(row["max_repeat"])
    return field


def rows_to_fields(rows: list[Row]) -> tuple[list[dict[str, Any]], list[str]]:
    """The definition the rows describe (ordered by position, children in their repeat
    block), and the French errors about the rows' structure."""
    ordered = sorted(enumerate(rows), key=lambda pair: (pair[1].get("position") or 0, pair[0]))
    fields: list[dict[str, Any]] = []
    repeats: dict[str, dict[str, Any]] = {}
    errors: list[str] = []
    pending: list[tuple[str, dict[str, Any]]] = []
    for _index, row in ordered:
        field = row_to_field(row)
        parent = (row.get("parent") or "").strip()
        if parent:
            pending.append((parent, field))
            continue
        fields.append(field)
        if field["type"] == "repeat" and field["key"]:
            repeats[field["key"]] = field
    for parent, field in pending:
        block = repeats.get(parent)
        if block is None:
            errors.append(
                _(
                    "Le champ « %(label)s » est rangé dans « %(parent)s », "
                    "qui n'est pas un bloc répétable."
                )
                % {"label": field["label"] or field["key"], "parent": parent}
            )
            continue
        block["children"].append(field)
    return fields, errors


def fields_to_rows(fields: list[dict[str, Any]]) -> list[Row]:
    rows: list[Row] = []
    position = 0

    def one(field: dict[str, Any], parent: str) -> Row:
        nonlocal position
        position += 10
        condition = field.get("condition") or {}
        return {
            "position": position,
            "type": field.get("type", ""),
            "key": field.get("key", ""),
            "label": field.get("label", ""),
            "help": field.get("help", ""),
            "required": bool(field.get("required")),
            "choices": "\n".join(str(c) for c in field.get("choices") or []),
            "condition_field": condition.get("field", ""),
            "condition_value": condition.get("value", ""),
            "allowed_types": ", ".join(field.get("allowed_types") or []),
            "max_size_mb": field.get("max_size_mb"),
            "min": field.get("min"),
            "max": field.get("max"),
            "parent": parent,
            "max_repeat": field.get("max_repeat"),
        }

    for field in fields:
        rows.append(one(field, ""))
        for child in field.get("children") or []:
            rows.append(one(child, field.get("key", "")))
    return rows


@require_http_methods(["GET", "POST"])
def builder_view(request: HttpRequest, pk: int) -> HttpResponse:
    from procedures.services.procedures import revision_save_fields

    procedure = _editable(request, pk)
    latest = _latest_revision(procedure)
    current_fields = list(latest.fields) if latest is not None else []
    errors: list[str] = []
    status = 200
    action = request.POST.get("action", "save") if request.method == "POST" else ""
    if request.method == "POST":
        data = request.POST.copy()
        if action == "add":
            total_key = "champs-TOTAL_FORMS"
            try:
                data[total_key] = str(min(int(data.get(total_key, "0")) + 1, 300))
            except ValueError:
                data[total_key] = "1"
        formset = FieldRowFormSet(data, prefix="champs")
        if action == "add":
            formset.is_valid()  # shows row errors, saves nothing
            return render(
                request,
                "procedures/admin/builder.html",
                _builder_context(procedure, latest, formset, errors),
            )
        if formset.is_valid():
            rows = [
                form.cleaned_data
                for form in formset.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE") and not form.is_blank()
            ]
            fields, errors = rows_to_fields(rows)
            if not errors:
                try:
                    fields = validate_definition(fields)
                    revision_save_fields(actor=_actor(request), procedure=procedure, fields=fields)
                except ValidationError as error:
                    errors.extend(error.messages)
                except PermissionDenied as error:
                    errors.append(str(error) or _("Action refusée."))
                else:
                    django_messages.success(
                        request,
                        _(
                            "Formulaire enregistré dans la révision en préparation. "
                            "Prévisualisez-le, puis publiez la révision."
                        ),
                    )
                    return redirect("procedures_admin_builder", pk=procedure.pk)
        else:
            errors.append(_("Corrigez les lignes signalées ci-dessous."))
        status = 400
    else:
        formset = FieldRowFormSet(initial=fields_to_rows(current_fields), prefix="champs")
    return render(
        request,
        "procedures/admin/builder.html",
        _builder_context(procedure, latest, formset, errors),
        status=status,
    )


def _builder_context(
    procedure: Procedure, latest: ProcedureRevision | None, formset: Any, errors: list[str]
) -> dict[str, Any]:
    return {
        "page_title": _("Formulaire de la démarche"),
        "procedure": procedure,
        "revision": latest,
        "formset": formset,
        "errors": errors,
        "field_types": [(k, str(v)) for k, v in FIELD_TYPES.items()],
    }


@require_http_methods(["GET"])
def preview_view(request: HttpRequest, pk: int) -> HttpResponse:
    from procedures.forms import AnswersForm

    procedure = _editable(request, pk)
    revision = _latest_revision(procedure)
    fields = list(revision.fields) if revision is not None else []
    form = AnswersForm(fields, partial=True)
    return render(
        request,
        "procedures/admin/preview.html",
        {
            "page_title": _("Aperçu du formulaire"),
            "procedure": procedure,
            "revision": revision,
            "form": form,
            "fields": fields,
            "attachments": {},
            "space_documents": [],
        },
    )


# --- Instructors, tokens, deliveries ----------------------------------------------------------


@require_http_methods(["GET", "POST"])
def instructors_view(request: HttpRequest, pk: int) -> HttpResponse:
    from procedures.services.procedures import instructor_candidates, instructors_set

    procedure = _editable(request, pk)
    candidates = list(instructor_candidates(procedure))
    current = set(procedure.instructors.user_set.values_list("pk", flat=True))
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        wanted: set[int] = set()
        for value in request.POST.getlist("instructeurs"):
            if value.isdigit():
                wanted.add(int(value))
        by_pk = {u.pk: u for u in candidates}
        unknown = wanted - set(by_pk)
        if unknown:
            errors.append(_("Choisissez des agents de la collectivité ou de son territoire."))
        else:
            try:
                instructors_set(
                    actor=_actor(request),
                    procedure=procedure,
                    users=[by_pk[p] for p in sorted(wanted)],
                )
            except (PermissionDenied, ValidationError) as error:
                errors.extend(
                    error.messages if isinstance(error, ValidationError) else [str(error)]
                )
            else:
                django_messages.success(request, _("Instructeurs enregistrés."))
                return redirect("procedures_admin_instructors", pk=procedure.pk)
        status = 400
        current = wanted
    return render(
        request,
        "procedures/admin/instructors.html",
        {
            "page_title": _("Instructeurs"),
            "procedure": procedure,
            "candidates": [(u, u.pk in current) for u in candidates],
            "errors": errors,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def tokens_view(request: HttpRequest, pk: int) -> HttpResponse:
    from procedures.services.passerelle import token_create, token_revoke

    procedure = _editable(request, pk)
    errors: list[str] = []
    created = ""
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "create":
                _token, created = token_create(
                    actor=_actor(request), procedure=procedure, name=request.POST.get("name", "")
                )
            elif action == "revoke":
                token = procedure.tokens.filter(pk=_int(request.POST.get("token"))).first()
                if token is None:
                    raise Http404
                token_revoke(actor=_actor(request), token=token)
                django_messages.success(request, _("Jeton révoqué : il ne donne plus accès."))
                return redirect("procedures_admin_tokens", pk=procedure.pk)
            else:
                errors.append(_("Action inconnue."))
        except ValidationError as error:
            errors.extend(error.messages)
        except PermissionDenied as error:
            errors.append(str(error) or _("Action refusée."))
        if errors:
            status = 400
    return render(
        request,
        "procedures/admin/tokens.html",
        {
            "page_title": _("Passerelle : jetons d'accès"),
            "procedure": procedure,
            "tokens": list(procedure.tokens.select_related("created_by").order_by("-created_at")),
            "created": created,
            "errors": errors,
        },
        status=status,
    )


@require_http_methods(["GET"])
def deliveries_view(request: HttpRequest, pk: int) -> HttpResponse:
    procedure = _editable(request, pk)
    deliveries = list(
        procedure.deliveries.select_related("request").order_by("-created_at", "-pk")[:200]
    )
    return render(
        request,
        "procedures/admin/deliveries.html",
        {
            "page_title": _("Passerelle : appels du webhook"),
            "procedure": procedure,
            "deliveries": deliveries,
        },
    )


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0

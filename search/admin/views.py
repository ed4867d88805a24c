"""Admin > Synonymes de la recherche: the built-in synonym groups (read only) and the ones the
publishers added (add, edit, delete), through ``search.synonyms``' services.

Who may use the section is ``may_edit_synonyms`` (publishers and superusers): anyone else gets
404, never 403. GET never writes; every write is a POST (with Django's CSRF check) calling one
service, whose French messages are shown on the field (and answered 400).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages as django_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from identity.models import User
from search.models import SearchSynonym
from search.synonyms import (
    BUILT_IN,
    MAX_LENGTH,
    may_edit_synonyms,
    split_terms,
    synonym_delete,
    synonym_save,
)


def actor(request: HttpRequest) -> User:
    return cast(User, request.user)


def check_access(request: HttpRequest) -> None:
    if not may_edit_synonyms(request.user):
        raise Http404


def stored_synonym(request: HttpRequest, pk: int) -> SearchSynonym:
    check_access(request)
    synonym = SearchSynonym.objects.filter(pk=pk).first()
    if synonym is None:
        raise Http404
    return synonym


class SynonymForm(forms.Form):
    terms = forms.CharField(
        label=gettext_lazy("Expressions équivalentes"),
        # The service says "too long" in French; the browser's limit would cut silently.
        max_length=MAX_LENGTH * 4,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": gettext_lazy(
                "Indiquez au moins deux expressions, séparées par des virgules."
            ),
            "max_length": gettext_lazy(
                "La liste est trop longue (%(limit_value)d caractères au plus)."
            ),
        },
        help_text=gettext_lazy(
            "Séparées par des virgules, par exemple « cantine, restauration scolaire, "
            "restaurant scolaire ». Une recherche de l'une trouve aussi les documents qui "
            "emploient les autres ; les majuscules et les accents ne comptent pas."
        ),
    )


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for key, messages in error.message_dict.items():
            form.add_error(key if key in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def _save(request: HttpRequest, form: SynonymForm, synonym: SearchSynonym | None) -> bool:
    if not form.is_valid():
        return False
    try:
        synonym_save(actor=actor(request), synonym=synonym, terms=form.cleaned_data["terms"])
    except PermissionDenied as error:
        form.add_error(None, str(error) or _("Action refusée."))
    except ValidationError as error:
        apply_errors(form, error)
    else:
        return True
    return False


@require_GET
def synonyms_view(request: HttpRequest) -> HttpResponse:
    """The built-in groups, the stored ones (with their actions), and the add form."""
    check_access(request)
    return render(
        request,
        "search/admin/synonyms.html",
        {
            "page_title": _("Synonymes de la recherche"),
            "built_in": [list(group) for group in BUILT_IN],
            "stored": [
                {"synonym": s, "expressions": split_terms(s.terms)}
                for s in SearchSynonym.objects.select_related("created_by")
            ],
            "form": SynonymForm(),
        },
    )


@require_http_methods(["GET", "POST"])
def synonym_create_view(request: HttpRequest) -> HttpResponse:
    check_access(request)
    posting = request.method == "POST"
    form = SynonymForm(request.POST if posting else None)
    status = 200
    if posting:
        status = 400
        if _save(request, form, None):
            django_messages.success(request, _("Synonymes ajoutés."))
            return redirect("search_admin_synonyms")
    return render(
        request,
        "search/admin/synonym_form.html",
        {"page_title": _("Ajouter des synonymes"), "form": form, "synonym": None},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def synonym_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    synonym = stored_synonym(request, pk)
    posting = request.method == "POST"
    form = SynonymForm(request.POST if posting else None, initial={"terms": synonym.terms})
    status = 200
    if posting:
        status = 400
        if _save(request, form, synonym):
            django_messages.success(request, _("Synonymes modifiés."))
            return redirect("search_admin_synonyms")
    return render(
        request,
        "search/admin/synonym_form.html",
        {"page_title": _("Modifier des synonymes"), "form": form, "synonym": synonym},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def synonym_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    synonym = stored_synonym(request, pk)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if request.POST.get("confirm") == "1":
            try:
                synonym_delete(actor=actor(request), synonym=synonym)
            except PermissionDenied as error:
                errors.append(str(error) or _("Action refusée."))
            except ValidationError as error:
                errors.extend(error.messages)
            else:
                django_messages.success(request, _("Synonymes supprimés."))
                return redirect("search_admin_synonyms")
        else:
            errors.append(_("Cochez la case pour confirmer la suppression."))
        status = 400
    context: dict[str, Any] = {
        "page_title": _("Supprimer des synonymes"),
        "synonym": synonym,
        "errors": errors,
    }
    return render(request, "search/admin/synonym_delete.html", context, status=status)

"""Admin > Signalements: the reports a publisher handles (``opendata.selectors.
reports_handled_by``: their authorities' content, and what they oversee), one page per report
to dismiss it with a reason or resolve it (fixed, or withdrawn now), and for administrators the
counts per authority of their scope. A report outside one's scope answers 404."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages as django_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.http import client_ip
from documents.selectors import authorities_publishable_by
from identity.models import User
from identity.selectors import principals_of
from opendata.models import Report
from opendata.selectors import reports_handled_by
from opendata.services.reports import OUTCOME_MAX, report_dismiss, report_resolve

STATUS_FILTERS = {
    "open": Q(status=Report.Status.OPEN),
    "dismissed": Q(status=Report.Status.DISMISSED),
    "resolved": Q(status=Report.Status.RESOLVED),
    "all": Q(),
}


class HandleForm(forms.Form):
    DECISIONS = [
        ("dismiss", gettext_lazy("Classer sans suite (le contenu reste tel quel)")),
        ("fix", gettext_lazy("Corrigé : le problème est réglé, le contenu reste en ligne")),
        ("withdraw", gettext_lazy("Retirer le contenu maintenant (il n'est plus public)")),
    ]
    decision = forms.ChoiceField(
        label=gettext_lazy("Décision"),
        choices=DECISIONS,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choisissez une décision.")},
    )
    outcome = forms.CharField(
        label=gettext_lazy("Réponse à la personne qui a signalé"),
        help_text=gettext_lazy(
            "Elle lui est envoyée (par courriel, ou dans son espace si elle était connectée) : "
            "expliquez ce qui a été fait, ou pourquoi le signalement est classé."
        ),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=OUTCOME_MAX,
        error_messages={
            "required": gettext_lazy("Indiquez la réponse faite à la personne."),
            "max_length": gettext_lazy("La réponse dépasse %(limit_value)d caractères."),
        },
    )


def _may_handle_reports(user: Any) -> bool:
    return bool(user.is_authenticated) and authorities_publishable_by(user).exists()


def _is_administrator(user: Any) -> bool:
    principals = principals_of(user)
    return principals.superuser or bool(principals.admin_of)


def target_url(report: Report) -> str:
    """Where the reported content is shown (the public page; editors see it in any status)."""
    if report.document_id is not None:
        return reverse("document_detail", args=[report.document_id])
    assert report.dataset is not None  # noqa: S101 (a report has exactly one target)
    try:
        return reverse("opendata:dataset_detail", kwargs={"identifier": report.dataset.identifier})
    except NoReverseMatch:
        return ""


@require_http_methods(["GET"])
def reports_list_view(request: HttpRequest) -> HttpResponse:
    if not _may_handle_reports(request.user):
        raise PermissionDenied
    scope = reports_handled_by(request.user)
    chosen = request.GET.get("statut", "open")
    if chosen not in STATUS_FILTERS:
        chosen = "open"
    reports = list(
        scope.filter(STATUS_FILTERS[chosen])
        .select_related("authority", "document", "dataset")
        .order_by("-created_at", "-pk")[:200]
    )
    for item in reports:
        item.target_title = (item.document or item.dataset).title  # type: ignore[union-attr,attr-defined]
    counts: list[dict[str, Any]] = []
    if _is_administrator(request.user):
        counts = [
            dict(row)
            for row in scope.values("authority__name")
            .annotate(
                total=Count("pk"),
                open=Count("pk", filter=Q(status=Report.Status.OPEN)),
                dismissed=Count("pk", filter=Q(status=Report.Status.DISMISSED)),
                resolved=Count("pk", filter=Q(status=Report.Status.RESOLVED)),
            )
            .order_by("-open", "authority__name")
        ]
    return render(
        request,
        "opendata/admin/reports.html",
        {
            "page_title": _("Signalements"),
            "reports": reports,
            "chosen": chosen,
            "filters": [
                ("open", _("À traiter")),
                ("dismissed", _("Classés sans suite")),
                ("resolved", _("Corrigés ou retirés")),
                ("all", _("Tous")),
            ],
            "open_count": scope.filter(status=Report.Status.OPEN).count(),
            "counts": counts,
        },
    )


@require_http_methods(["GET", "POST"])
def report_handle_view(request: HttpRequest, report_id: int) -> HttpResponse:
    report = (
        reports_handled_by(request.user)
        .select_related("authority", "document", "dataset", "reporter", "handled_by")
        .filter(pk=report_id)
        .first()
    )
    if report is None:
        raise Http404
    form = HandleForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if report.status != Report.Status.OPEN:
            form.add_error(None, _("Ce signalement a déjà été traité."))
        elif form.is_valid():
            actor = cast(User, request.user)  # signed in: the admin requires it
            decision = form.cleaned_data["decision"]
            try:
                if decision == "dismiss":
                    report_dismiss(
                        actor=actor,
                        report=report,
                        outcome=form.cleaned_data["outcome"],
                        ip_address=client_ip(request),
                    )
                else:
                    report_resolve(
                        actor=actor,
                        report=report,
                        outcome=form.cleaned_data["outcome"],
                        withdraw=decision == "withdraw",
                        ip_address=client_ip(request),
                    )
            except PermissionDenied as error:
                form.add_error(None, str(error))
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, errors in error.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, error.messages)
            else:
                texts = {
                    "dismiss": _("Signalement classé sans suite."),
                    "fix": _("Signalement traité : contenu corrigé."),
                    "withdraw": _("Signalement traité : le contenu est retiré."),
                }
                text = texts[decision]
                if report.reporter_id is None and not report.reporter_email:
                    text += " " + _(
                        "La personne n'a pas laissé d'adresse : elle n'est pas informée."
                    )
                else:
                    text += " " + _("La personne est informée de la réponse.")
                django_messages.success(request, text)
                return redirect("opendata_reports")
        status = 400
    return render(
        request,
        "opendata/admin/report_handle.html",
        {
            "page_title": _("Signalement"),
            "report": report,
            "target_title": (report.document or report.dataset).title,  # type: ignore[union-attr]
            "target_kind": _("Document") if report.document_id else _("Jeu de données"),
            "target_url": target_url(report),
            "form": form,
        },
        status=status,
    )

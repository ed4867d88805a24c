"""The public report form: ``/signaler/<target>/<key>/`` (``opendata:report``), target
``document`` (key: its id) or ``dataset`` (key: its UUID). Only public content can be reported;
anything else answers 404.

Anti-abuse without a captcha, and without storing anyone's address:
- a honeypot field people do not see (hidden from screen readers too), which robots fill;
- a signed timestamp (django.core.signing) in the form: sent under 3 seconds after it was
  shown, or more than 2 hours later, it is refused;
- a rate limit per address (5 reports an hour by default, ``CIVIS_REPORTS_PER_HOUR``), counted
  in the cache under a salted hash of the address (never the address, never in the database),
  answered with a French 429 page.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from core.http import client_ip
from core.params import BadParameter, parse_optional_int
from documents.models import Document
from documents.selectors import documents_visible_to
from identity.models import User
from opendata.models import Dataset, ReportReason, Resource
from opendata.selectors import datasets_public, resources_public
from opendata.services.reports import MESSAGE_MAX, MESSAGE_MIN, report_file

TOKEN_SALT = "opendata.report.form"  # noqa: S105 (a signing salt, not a secret)
MIN_SECONDS = 3
MAX_SECONDS = 2 * 60 * 60
RATE_WINDOW = 60 * 60
HONEYPOT = "site_web"


def form_token(target: str, key: str, *, at: float | None = None) -> str:
    """The signed timestamp the form carries (``at``: when it was shown, now by default)."""
    return signing.dumps(
        {"f": f"{target}:{key}", "at": int(at if at is not None else time.time())}, salt=TOKEN_SALT
    )


def _token_error(token: str, target: str, key: str) -> str:
    """Why the form's token is refused ("" when it is good)."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        return _("Ce formulaire n'est pas valide : rechargez la page et réessayez.")
    if not isinstance(data, dict) or data.get("f") != f"{target}:{key}":
        return _("Ce formulaire n'est pas valide : rechargez la page et réessayez.")
    age = time.time() - float(data.get("at", 0))
    if age < MIN_SECONDS:
        return _(
            "Le formulaire a été envoyé trop vite après son affichage. Relisez votre message, "
            "puis envoyez-le de nouveau."
        )
    if age > MAX_SECONDS:
        return _("Le formulaire a expiré (plus de 2 heures) : rechargez la page et réessayez.")
    return ""


def _rate_key(request: HttpRequest) -> str:
    # A salted hash (keyed with SECRET_KEY): the cache never holds the address itself.
    address = client_ip(request) or "inconnue"
    return (
        "opendata:report-rate:" + salted_hmac(TOKEN_SALT, address, algorithm="sha256").hexdigest()
    )


def _rate_limit() -> int:
    return int(getattr(settings, "CIVIS_REPORTS_PER_HOUR", 5))


def _recent_hits(key: str, now: float) -> list[float]:
    hits = cache.get(key) or []
    return [t for t in hits if isinstance(t, (int, float)) and now - t < RATE_WINDOW]


def _is_limited(request: HttpRequest) -> int:
    """Seconds to wait when this address has used its quota, else 0."""
    now = time.time()
    hits = _recent_hits(_rate_key(request), now)
    if len(hits) < _rate_limit():
        return 0
    return max(1, int(RATE_WINDOW - (now - min(hits))))


def _count_hit(request: HttpRequest) -> None:
    key = _rate_key(request)
    now = time.time()
    cache.set(key, [*_recent_hits(key, now), now], timeout=RATE_WINDOW)


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label=gettext_lazy("Motif"),
        choices=ReportReason.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Choisissez un motif."),
            "invalid_choice": gettext_lazy("Choisissez un motif dans la liste."),
        },
    )
    message = forms.CharField(
        label=gettext_lazy("Votre message"),
        widget=forms.Textarea(attrs={"rows": 6}),
        min_length=MESSAGE_MIN,
        max_length=MESSAGE_MAX,
        strip=True,
        error_messages={
            "required": gettext_lazy("Décrivez le problème."),
            "min_length": gettext_lazy(
                "Décrivez le problème en %(limit_value)d caractères au moins."
            ),
            "max_length": gettext_lazy("Le message dépasse %(limit_value)d caractères."),
        },
    )
    reporter_email = forms.EmailField(
        label=gettext_lazy("Votre adresse électronique (facultatif)"),
        required=False,
        max_length=254,
        error_messages={"invalid": gettext_lazy("Saisissez une adresse électronique valide.")},
    )
    token = forms.CharField(required=False, widget=forms.HiddenInput)
    ressource = forms.CharField(required=False, widget=forms.HiddenInput)
    site_web = forms.CharField(required=False)  # the honeypot


def _find_target(target: str, key: str) -> Document | Dataset:
    """The public document or dataset named by the URL, else 404."""
    if target == "document":
        try:
            pk = parse_optional_int(key, field="key", low=1)
        except BadParameter as exc:
            raise Http404 from exc
        document = (
            documents_visible_to(AnonymousUser()).filter(pk=pk).select_related("owner").first()
            if pk is not None
            else None
        )
        if document is None:
            raise Http404
        return document
    if target == "dataset":
        try:
            identifier = uuid.UUID(key)
        except ValueError as exc:
            raise Http404 from exc
        dataset = datasets_public().filter(identifier=identifier).select_related("owner").first()
        if dataset is None:
            raise Http404
        return dataset
    raise Http404


def _find_resource(item: Document | Dataset, raw: str | None) -> Resource | None:
    """The dataset's public resource the report is about (``?ressource=<id>``), if any."""
    if not isinstance(item, Dataset) or not raw:
        return None
    try:
        pk = parse_optional_int(raw, field="ressource", low=1)
    except BadParameter:
        return None
    return resources_public(item).filter(pk=pk).first() if pk is not None else None


def _back_url(item: Document | Dataset) -> str:
    from django.urls import NoReverseMatch, reverse

    if isinstance(item, Document):
        return reverse("document_detail", args=[item.pk])
    try:
        return reverse("opendata:dataset_detail", kwargs={"identifier": item.identifier})
    except NoReverseMatch:
        return "/"


def _refused(
    request: HttpRequest, message: str, *, status: int, retry_after: int = 0
) -> HttpResponse:
    response = render(
        request,
        "opendata/report_refused.html",
        {"message": message, "status": status},
        status=status,
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


FIELD_IDS = {
    "reason": "id_reason_0",
    "message": "id_message",
    "reporter_email": "id_reporter_email",
}


def _error_summary(form: ReportForm) -> list[tuple[str, str, str]]:
    summary = []
    for name, errors in form.errors.items():
        if name in FIELD_IDS:
            summary.append(
                (FIELD_IDS[name], str(form.fields[name].label), " ".join(map(str, errors)))
            )
        else:
            summary.append(("id_message", _("Formulaire"), " ".join(map(str, errors))))
    return summary


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, target: str, key: str) -> HttpResponse:
    item = _find_target(target, key)
    signed_in = (
        request.user if isinstance(request.user, User) and request.user.is_authenticated else None
    )
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST)
        resource = _find_resource(item, request.POST.get("ressource"))
        if request.POST.get(HONEYPOT):
            return _refused(
                request,
                _(
                    "Ce formulaire a été rempli d'une façon qui ressemble à un robot : "
                    "rien n'a été envoyé."
                ),
                status=400,
            )
        problem = _token_error(request.POST.get("token", ""), target, key)
        if problem:
            return _refused(request, problem, status=400)
        wait = _is_limited(request)
        if wait:
            return _refused(
                request,
                _(
                    "Trop de signalements envoyés depuis votre connexion en une heure. "
                    "Réessayez dans %(minutes)d minutes."
                )
                % {"minutes": max(1, wait // 60)},
                status=429,
                retry_after=wait,
            )
        if form.is_valid():
            try:
                created = report_file(
                    actor=signed_in,
                    target=item,
                    reason=form.cleaned_data["reason"],
                    message=form.cleaned_data["message"],
                    reporter_email=form.cleaned_data["reporter_email"],
                    resource=resource,
                )
            except PermissionDenied as exc:
                raise Http404 from exc
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, messages)
            else:
                _count_hit(request)
                return render(
                    request,
                    "opendata/report_done.html",
                    {"item": item, "report": created, "back_url": _back_url(item)},
                )
        status = 400
    else:
        resource = _find_resource(item, request.GET.get("ressource"))
        form = ReportForm(initial={"ressource": resource.pk if resource else ""})
    context: dict[str, Any] = {
        "form": form,
        "item": item,
        "kind": target,
        "resource": resource,
        "signed_in": signed_in is not None,
        "token": form_token(target, key),
        "back_url": _back_url(item),
        "error_summary": _error_summary(form) if form.is_bound else [],
        "message_min": MESSAGE_MIN,
        "message_max": MESSAGE_MAX,
    }
    return render(request, "opendata/report_form.html", context, status=status)

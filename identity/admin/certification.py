"""« Service public certifié » in the Wagtail admin (superusers only): the authorities, a
search, and one button per authority to certify it or withdraw its certification. Every change
goes through ``identity.services.authority_certify`` (audited). Anyone else gets a 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from identity import services
from identity.models import Authority, User

PAGE_SIZE = 50


def _superuser(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not user.is_active or not user.is_superuser:
        raise PermissionDenied
    return user


def certification_index(request: HttpRequest) -> HttpResponse:
    _superuser(request)
    query = request.GET.get("q", "").strip()[:100]
    only = request.GET.get("certifiees", "")
    authorities = Authority.objects.select_related("parent", "certified_by")
    if query:
        authorities = authorities.filter(
            Q(name__icontains=query) | Q(insee_code=query) | Q(siren=query)
        )
    if only == "1":
        authorities = authorities.filter(certified_at__isnull=False)
    page = Paginator(authorities.order_by("kind", "name", "pk"), PAGE_SIZE).get_page(
        request.GET.get("p")
    )
    return render(
        request,
        "identity/admin/certification.html",
        {"page_obj": page, "query": query, "only": only},
    )


@require_POST
def certification_set(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _superuser(request)
    authority = get_object_or_404(Authority, pk=pk)
    certified = request.POST.get("certified") == "1"
    services.authority_certify(actor=actor, authority=authority, certified=certified)
    if certified:
        messages.success(
            request,
            _("%(name)s est certifiée « Service public certifié ».") % {"name": authority.name},
        )
    else:
        messages.success(
            request, _("La certification de %(name)s est retirée.") % {"name": authority.name}
        )
    back = request.POST.get("next", "")
    if not back or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("civis_certification")
    return HttpResponseRedirect(back)

"""« Identité de la collectivité » in the Wagtail admin: the address, opening hours, phone,
e-mail or contact form and website the public page of an authority shows.

Who edits which authority is ``identity.selectors.authorities_identity_editable_by`` (its
publishers and administrators, and administrators above it); an authority outside that scope
answers 404. Every change goes through ``identity.services.authority_contact_update``, which
checks the scope again, validates every field and writes the audit log.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.http import client_ip
from identity import contact as values
from identity import services
from identity.models import CONTACT_FIELDS, Authority, AuthorityContact, User
from identity.selectors import authorities_identity_editable_by

HOURS_HELP = gettext_lazy(
    "Une règle par ligne : les jours (Lu Ma Me Je Ve Sa Di, ou une plage Lu-Ve) puis les "
    "créneaux séparés par une virgule. Ex. : « Lu-Ve 08:30-12:00,13:30-17:00 » puis "
    "« Sa 09:00-12:00 ». Les jours absents sont fermés."
)


class ContactForm(forms.Form):
    """The fields as typed; ``identity.services.authority_contact_clean`` checks them."""

    street_address = forms.CharField(
        label=gettext_lazy("Adresse (numéro et voie)"),
        required=False,
        max_length=400,
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "street-address"}),
        help_text=gettext_lazy("3 lignes au plus, ex. « Hôtel de ville » puis « 1 place … »."),
    )
    postal_code = forms.CharField(
        label=gettext_lazy("Code postal"),
        required=False,
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "postal-code", "inputmode": "numeric", "size": 6}
        ),
    )
    city = forms.CharField(
        label=gettext_lazy("Commune"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
        help_text=gettext_lazy("Avec « Cedex » s'il y a lieu."),
    )
    opening_hours = forms.CharField(
        label=gettext_lazy("Horaires d'ouverture au public"),
        required=False,
        max_length=600,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=HOURS_HELP,
    )
    opening_hours_note = forms.CharField(
        label=gettext_lazy("Précision sur les horaires"),
        required=False,
        max_length=400,
        help_text=gettext_lazy("Ex. « Fermé les jours fériés ; permanence état civil le samedi »."),
    )
    phone = forms.CharField(
        label=gettext_lazy("Téléphone"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text=gettext_lazy("Un numéro français, ex. 05 56 55 66 00 ou +33 5 56 55 66 00."),
    )
    email = forms.CharField(
        label=gettext_lazy("Adresse électronique"),
        required=False,
        max_length=400,
        widget=forms.TextInput(attrs={"type": "email", "autocomplete": "email"}),
    )
    contact_url = forms.CharField(
        label=gettext_lazy("Formulaire de contact en ligne"),
        required=False,
        max_length=400,
        widget=forms.TextInput(attrs={"type": "url"}),
        help_text=gettext_lazy("Adresse https:// d'un formulaire, si vous en avez un."),
    )
    website = forms.CharField(
        label=gettext_lazy("Site internet"),
        required=False,
        max_length=400,
        widget=forms.TextInput(attrs={"type": "url", "autocomplete": "url"}),
        help_text=gettext_lazy("Adresse https://, ex. https://www.exemple.fr/."),
    )


def _actor(request: HttpRequest) -> User:
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


def contact_index(request: HttpRequest) -> HttpResponse:
    """The authorities whose identity the requester edits; straight to the form when there is
    only one."""
    editable = authorities_identity_editable_by(request.user)
    first_two = list(editable.order_by("pk")[:2])
    if not first_two:
        raise PermissionDenied
    query = request.GET.get("q", "").strip()
    if len(first_two) == 1 and not query:
        return HttpResponseRedirect(reverse("civis_authority_contact", args=[first_two[0].pk]))
    authorities = editable.select_related("parent").annotate(
        filled=Exists(AuthorityContact.objects.filter(authority=OuterRef("pk")))
    )
    if query:
        authorities = authorities.filter(
            Q(name__icontains=query) | Q(insee_code=query) | Q(siren=query)
        )
    page = Paginator(authorities.order_by("kind", "name"), 50).get_page(request.GET.get("p"))
    return render(request, "identity/admin/contact_index.html", {"page_obj": page, "query": query})


def _public_url(request: HttpRequest, authority: Authority) -> str:
    # The portal page (civis.portal) points at the authority; identity does not import it.
    page: Any = getattr(authority, "portal_page", None)
    url: str | None = page.get_url(request) if page is not None and page.live else None
    return url or ""


def _initial(contact: AuthorityContact | None) -> dict[str, str]:
    if contact is None:
        return {}
    initial = {name: getattr(contact, name) for name in CONTACT_FIELDS}
    initial["opening_hours"] = "\n".join(contact.opening_hours.split("; "))
    initial["phone"] = values.phone_display(contact.phone).replace(values.NBSP, " ")
    return initial


def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The form of one authority's identity; refused values re-shown with a message each."""
    authority = get_object_or_404(
        authorities_identity_editable_by(request.user).select_related("parent"), pk=pk
    )
    contact = AuthorityContact.objects.filter(authority=authority).first()
    status = 200
    if request.method == "POST":
        form = ContactForm(request.POST)
        if form.is_valid():
            stamp = contact.updated_at if contact is not None else None
            try:
                saved = services.authority_contact_update(
                    actor=_actor(request),
                    authority=authority,
                    ip_address=client_ip(request),
                    **form.cleaned_data,
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                if saved.updated_at != stamp:
                    messages.success(
                        request,
                        _("Coordonnées de %(name)s enregistrées : elles sont en ligne.")
                        % {"name": authority.name},
                    )
                else:
                    messages.info(request, _("Aucune modification."))
                return HttpResponseRedirect(request.path)
        status = 400
    else:
        form = ContactForm(initial=_initial(contact))
    return render(
        request,
        "identity/admin/contact.html",
        {
            "authority": authority,
            "contact": contact,
            "form": form,
            "public_url": _public_url(request, authority),
            "hours_lines": values.opening_hours_lines(contact.opening_hours) if contact else [],
            "phone_display": values.phone_display(contact.phone) if contact else "",
            "several": authorities_identity_editable_by(request.user)[:2].count() > 1,
        },
        status=status,
    )

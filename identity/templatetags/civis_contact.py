"""Template tags of an authority's public contact details (the portal's authority page)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from identity import contact as values
from identity.models import Authority, AuthorityContact

register = template.Library()


@register.simple_tag
def authority_contact(authority: Authority) -> AuthorityContact | None:
    """``{% authority_contact authority as contact %}``: its contact details, or ``None``
    (one query, then Django's cache of the relation)."""
    try:
        return authority.contact
    except AuthorityContact.DoesNotExist:
        return None


@register.filter
def opening_hours_lines(contact: AuthorityContact | None) -> list[str]:
    return values.opening_hours_lines(contact.opening_hours) if contact else []


@register.filter
def phone_display(value: str) -> str:
    return values.phone_display(value or "")


@register.filter
def phone_uri(value: str) -> str:
    return values.phone_uri(value or "")


@register.filter
def web_label(url: str) -> str:
    """``https://www.exemple.fr/`` → ``www.exemple.fr`` (what a link shows)."""
    text = (url or "").removeprefix("https://")
    return text[:-1] if text.endswith("/") and text.count("/") == 1 else text


def _full_url(request: Any, page: Any) -> str:
    if page is None:
        return ""
    url: str | None = page.get_full_url(request)
    return url or ""


@register.simple_tag(takes_context=True)
def authority_jsonld(context: template.Context, authority: Authority, page: Any) -> SafeString:
    """The schema.org ``GovernmentOrganization`` JSON of ``authority`` for a
    ``<script type="application/ld+json">`` element, escaped so that no value closes it."""
    request = context.get("request")
    parent = authority.parent
    parent_data = None
    if parent is not None:
        parent_data = {
            "name": parent.name,
            "url": _full_url(request, getattr(parent, "portal_page", None)),
        }
    data = values.authority_jsonld(
        name=authority.name,
        page_url=_full_url(request, page),
        siren=authority.siren or "",
        insee_code=authority.insee_code,
        contact=authority_contact(authority),
        parent=parent_data,
    )
    return mark_safe(values.jsonld_text(data))  # noqa: S308 - JSON with <, > and & escaped

"""Portal pages: the territory's home page and one page per authority."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index

from documents.selectors import latest_public_documents
from identity.models import Authority

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

KIND_ORDER = [
    Authority.Kind.REGION,
    Authority.Kind.DEPARTEMENT,
    Authority.Kind.EPCI,
    Authority.Kind.COMMUNE,
    Authority.Kind.OTHER,
]


def group_by_kind(authorities: list[Authority]) -> list[tuple[StrOrPromise, list[Authority]]]:
    """[(kind label, authorities)] in the order a citizen reads a territory: top down."""
    groups: dict[str, list[Authority]] = {}
    for authority in authorities:
        groups.setdefault(authority.kind, []).append(authority)
    return [(Authority.Kind(kind).label, groups[kind]) for kind in KIND_ORDER if kind in groups]


class HomePage(Page):
    intro = RichTextField(_("introduction"), blank=True)
    territory = models.ForeignKey(
        Authority,
        verbose_name=_("territoire"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("La collectivité de plus haut niveau que présente ce portail (la région)."),
    )

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("territory")]
    subpage_types = ["portal.AuthorityPage"]
    max_count = 1
    template = "portal/home_page.html"

    class Meta:
        verbose_name = _("page d'accueil")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context(request, *args, **kwargs)
        top = list(
            Authority.objects.filter(
                portal_page__depth=self.depth + 1, portal_page__path__startswith=self.path
            ).select_related("portal_page")
        )
        below = list(
            Authority.objects.filter(parent__in=top, portal_page__isnull=False)
            .exclude(kind=Authority.Kind.COMMUNE)
            .select_related("portal_page")
            .annotate(commune_count=models.Count("children"))
        )
        context["authority_groups"] = group_by_kind(top + below)
        return context


class AuthorityPage(Page):
    authority = models.OneToOneField(
        Authority,
        verbose_name=_("collectivité"),
        on_delete=models.PROTECT,
        related_name="portal_page",
    )
    intro = RichTextField(_("présentation"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("authority"), FieldPanel("intro")]
    search_fields = [
        *Page.search_fields,
        index.SearchField("intro"),
        index.RelatedFields(
            "authority",
            [
                index.SearchField("name"),
                index.FilterField("kind"),
            ],
        ),
    ]
    parent_page_types = ["portal.HomePage", "portal.AuthorityPage"]
    subpage_types = ["portal.AuthorityPage"]
    template = "portal/authority_page.html"

    class Meta:
        verbose_name = _("page de collectivité")
        verbose_name_plural = _("pages de collectivité")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context(request, *args, **kwargs)
        authority = Authority.objects.select_related("parent__portal_page").get(
            pk=self.authority_id
        )
        children = list(authority.children.select_related("portal_page").order_by("name"))
        context.update(
            authority=authority,
            parent_authority=authority.parent,
            child_groups=group_by_kind(children),
            child_count=len(children),
            latest_documents=latest_public_documents(authority),
        )
        return context

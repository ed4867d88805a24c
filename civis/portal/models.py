"""Portal pages: the territory's home page and one page per authority."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.http import HttpRequest
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index

from civis.portal.selectors import communes_with_pages
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
        context["communes"] = communes_with_pages()
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
        from procedures.views import published_procedures_of

        context: dict[str, Any] = super().get_context(request, *args, **kwargs)
        authority = Authority.objects.select_related("parent__portal_page", "contact").get(
            pk=self.authority_id
        )
        children = list(authority.children.select_related("portal_page").order_by("name"))
        context.update(
            authority=authority,
            parent_authority=authority.parent,
            child_groups=group_by_kind(children),
            child_count=len(children),
            latest_documents=latest_public_documents(authority),
            procedures=published_procedures_of(authority),
        )
        return context


# --- Accessibility declaration (RGAA 4.1) -------------------------------------------------------
# The law (article 47 of law 2005-102, decree 2019-768) asks every public website for a
# declaration of accessibility in the RGAA model, a multi-year scheme and a yearly action plan.
# Administrators keep the facts in the admin (Paramètres > Accessibilité); the pages and the
# footer line are built from them. The defaults describe this project honestly: no audit yet,
# so "non conforme" until an audit rate is entered.


class Compliance(models.TextChoices):
    FULL = "full", _("totalement conforme")
    PARTIAL = "partial", _("partiellement conforme")
    NONE = "none", _("non conforme")


def compliance_for(rate: Decimal | None) -> Compliance:
    """The RGAA rule: 100 % totalement, 50 % or more partiellement, otherwise (or no audit) non."""
    if rate is None:
        return Compliance.NONE
    if rate >= 100:
        return Compliance.FULL
    if rate >= 50:
        return Compliance.PARTIAL
    return Compliance.NONE


@register_setting(icon="view")
class AccessibilityDeclaration(BaseGenericSetting):
    site_label = models.CharField(
        _("site concerné"),
        max_length=200,
        blank=True,
        default="",
        help_text=_("Vide : le nom du portail."),
    )
    organisation = models.CharField(
        _("organisme responsable"),
        max_length=200,
        default="Les collectivités du territoire, membres du portail mutualisé",
    )
    declaration_date = models.DateField(_("date de la déclaration"), null=True, blank=True)
    compliance_rate = models.DecimalField(
        _("taux de conformité (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_(
            "Pourcentage de critères RGAA respectés. Vide tant qu'aucun audit n'a eu lieu."
        ),
    )
    audit_date = models.DateField(_("date de l'audit"), null=True, blank=True)
    auditor = models.CharField(_("réalisé par"), max_length=200, blank=True, default="")
    audited_pages = models.TextField(
        _("échantillon de pages auditées"), blank=True, default="", help_text=_("Une par ligne.")
    )
    non_compliant = models.TextField(
        _("contenus non conformes"),
        blank=True,
        default="",
        help_text=_("Un manquement par ligne."),
    )
    derogations = models.TextField(
        _("dérogations pour charge disproportionnée"),
        blank=True,
        default="",
        help_text=_("Une par ligne."),
    )
    exempt_content = models.TextField(
        _("contenus non soumis à l'obligation d'accessibilité"),
        blank=True,
        default="",
        help_text=_(
            "Une ligne par contenu (documents bureautiques antérieurs au 23 septembre 2018…)."
        ),
    )
    technologies = models.CharField(
        _("technologies utilisées"), max_length=300, default="HTML5, CSS, JavaScript, WAI-ARIA"
    )
    tested_environments = models.TextField(
        _("environnements de test"),
        blank=True,
        default=(
            "Chromium (Debian) avec le clavier seul, zoom 200 %, largeurs 320 et 375 px\n"
            "NVDA avec Firefox\nVoiceOver avec Safari (iOS)"
        ),
        help_text=_("Un par ligne : navigateur et technologie d'assistance."),
    )
    tools = models.TextField(
        _("outils d'évaluation"),
        blank=True,
        default="axe-core\nTests Playwright au clavier (suite du projet)",
        help_text=_("Un par ligne."),
    )
    contact_email = models.EmailField(_("adresse électronique de contact"), blank=True, default="")
    contact_url = models.URLField(_("formulaire de contact"), blank=True, default="")
    contact_address = models.TextField(_("adresse postale"), blank=True, default="")
    multiyear_scheme = models.TextField(
        _("schéma pluriannuel de mise en accessibilité"),
        blank=True,
        default=(
            "Chaque nouvelle fonctionnalité du portail est testée au clavier, au lecteur "
            "d'écran et par axe-core avant sa mise en service.\n"
            "Un audit RGAA complet est réalisé tous les trois ans, et après toute refonte.\n"
            "Les agents qui publient sont formés à la rédaction de documents accessibles."
        ),
        help_text=_("Un engagement par ligne (3 ans au plus)."),
    )
    action_plan = models.TextField(
        _("plan d'actions de l'année"),
        blank=True,
        default=(
            "Faire réaliser un premier audit RGAA 4.1 par un auditeur indépendant.\n"
            "Générer des PDF balisés (PDF/UA) pour les documents produits par le portail.\n"
            "Publier les résultats de l'audit et la déclaration mise à jour."
        ),
        help_text=_("Une action par ligne."),
    )
    plan_period = models.CharField(
        _("période du schéma"), max_length=40, blank=True, default="2026-2028"
    )

    panels = [
        FieldPanel("site_label"),
        FieldPanel("organisation"),
        FieldPanel("declaration_date"),
        FieldPanel("compliance_rate"),
        FieldPanel("audit_date"),
        FieldPanel("auditor"),
        FieldPanel("audited_pages"),
        FieldPanel("non_compliant"),
        FieldPanel("derogations"),
        FieldPanel("exempt_content"),
        FieldPanel("technologies"),
        FieldPanel("tested_environments"),
        FieldPanel("tools"),
        FieldPanel("contact_email"),
        FieldPanel("contact_url"),
        FieldPanel("contact_address"),
        FieldPanel("plan_period"),
        FieldPanel("multiyear_scheme"),
        FieldPanel("action_plan"),
    ]

    class Meta:
        verbose_name = _("accessibilité (déclaration RGAA)")

    @property
    def audited(self) -> bool:
        return self.compliance_rate is not None and self.audit_date is not None

    @property
    def rate_text(self) -> str:
        """72.50 → "72,5" (French UI), 100.00 → "100"."""
        if self.compliance_rate is None:
            return ""
        rate = self.compliance_rate.normalize()
        exponent = rate.as_tuple().exponent
        decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        return number_format(rate, decimal_pos=decimals)

    @property
    def compliance(self) -> Compliance:
        return compliance_for(self.compliance_rate if self.audited else None)

    @staticmethod
    def lines(text: str) -> list[str]:
        return [line.strip() for line in text.splitlines() if line.strip()]


class CitizenSpaceVisit(models.Model):
    """When a person last opened their space: the one fact "new since your last visit" needs."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    seen_at = models.DateTimeField(_("dernière visite"))

    class Meta:
        verbose_name = _("dernière visite de l'espace personnel")

    def __str__(self) -> str:
        return f"{self.user_id} {self.seen_at:%Y-%m-%d %H:%M}"

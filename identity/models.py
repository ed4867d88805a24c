"""People and the territory: users, authorities and the roles people hold in them."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Commune -> EPCI -> région is the deepest chain; depth is bounded so subtree and ancestor
# lookups are a fixed number of joins instead of a recursive query.
MAX_DEPTH = 4


class User(AbstractUser):
    class Kind(models.TextChoices):
        CITIZEN = "citizen", _("Citoyen")
        AGENT = "agent", _("Agent public")

    kind = models.CharField(_("type de compte"), max_length=16, choices=Kind.choices,
                            default=Kind.CITIZEN)

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class AuthorityQuerySet(models.QuerySet):
    def subtree_of(self, authority: Authority) -> AuthorityQuerySet:
        """The authority and every authority below it."""
        condition = Q(pk=authority.pk)
        lookup = "parent"
        for _depth in range(MAX_DEPTH):
            condition |= Q(**{lookup: authority.pk})
            lookup += "__parent"
        return self.filter(condition)


class Authority(models.Model):
    class Kind(models.TextChoices):
        REGION = "region", _("Région")
        DEPARTEMENT = "departement", _("Département")
        EPCI = "epci", _("EPCI / métropole")
        COMMUNE = "commune", _("Commune")
        OTHER = "other", _("Autre organisme public")

    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("nom"), max_length=200)
    insee_code = models.CharField(_("code INSEE"), max_length=5, blank=True, default="",
                                  help_text=_("Code officiel géographique, s'il en a un."))
    siren = models.CharField(_("SIREN"), max_length=9, null=True, blank=True, unique=True)
    epci_type = models.CharField(_("nature de l'EPCI"), max_length=8, blank=True, default="",
                                 help_text=_("METRO, CU, CA ou CC."))
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    parent = models.ForeignKey("self", verbose_name=_("collectivité de rattachement"),
                               null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")

    objects = AuthorityQuerySet.as_manager()

    class Meta:
        verbose_name = _("collectivité")
        verbose_name_plural = _("collectivités")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "insee_code"], condition=~Q(insee_code=""),
                                    name="authority_unique_kind_insee"),
        ]
        indexes = [models.Index(fields=["kind", "name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def code(self) -> str:
        """The code that identifies the authority in the official files."""
        return self.insee_code or (self.siren or "")

    def ancestors(self) -> list[Authority]:
        """Parents from the nearest up to the top (région)."""
        chain: list[Authority] = []
        node = self.parent
        while node is not None and len(chain) < MAX_DEPTH:
            chain.append(node)
            node = node.parent
        return chain


class MembershipQuerySet(models.QuerySet):
    def active(self, on: datetime.date | None = None) -> MembershipQuerySet:
        day = on or timezone.localdate()
        return self.filter(Q(starts_on__lte=day), Q(ends_on__isnull=True) | Q(ends_on__gte=day))


class Membership(models.Model):
    """A role a person holds in an authority, for a period. Roles are data, not groups."""

    class Role(models.TextChoices):
        AGENT = "agent", _("Agent")
        PUBLISHER = "publisher", _("Éditeur")
        ADMIN = "admin", _("Administrateur de la collectivité")
        TERRITORY_ADMIN = "territory_admin", _("Administrateur territorial")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    authority = models.ForeignKey(Authority, on_delete=models.CASCADE,
                                  related_name="memberships")
    role = models.CharField(_("rôle"), max_length=16, choices=Role.choices)
    starts_on = models.DateField(_("début"), default=timezone.localdate)
    ends_on = models.DateField(_("fin"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("rôle")
        verbose_name_plural = _("rôles")
        constraints = [
            models.UniqueConstraint(fields=["user", "authority", "role", "starts_on"],
                                    name="membership_unique_period_start"),
            models.CheckConstraint(condition=Q(ends_on__isnull=True)
                                   | Q(ends_on__gte=models.F("starts_on")),
                                   name="membership_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.authority}"

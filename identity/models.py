"""People and the territory: users, authorities and the roles people hold in them."""

from __future__ import annotations

import datetime
import hashlib

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField

# Commune -> EPCI -> région is the deepest chain; depth is bounded so subtree and ancestor
# lookups are a fixed number of joins instead of a recursive query.
MAX_DEPTH = 4
# Every call to an OIDC provider waits at most this long (a visitor's request is waiting).
OIDC_MAX_TIMEOUT_SECONDS = 10


class User(AbstractUser):
    class Kind(models.TextChoices):
        CITIZEN = "citizen", _("Citoyen")
        AGENT = "agent", _("Agent public")

    kind = models.CharField(
        _("type de compte"), max_length=16, choices=Kind.choices, default=Kind.CITIZEN
    )

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class AuthorityQuerySet(models.QuerySet["Authority"]):
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
    insee_code = models.CharField(
        _("code INSEE"),
        max_length=5,
        blank=True,
        default="",
        help_text=_("Code officiel géographique, s'il en a un."),
    )
    siren = models.CharField(_("SIREN"), max_length=9, null=True, blank=True, unique=True)
    siret = models.CharField(
        _("SIRET"),
        max_length=14,
        blank=True,
        default="",
        help_text=_(
            "SIRET de l'établissement siège (14 chiffres), exigé par les exports SCDL "
            "(délibérations, subventions)."
        ),
    )
    # "Service public certifié": granted by superusers only (identity.services.certification),
    # shown on the authority's page, datasets, documents and search results, and in the DCAT
    # catalog as the publisher's type.
    certified_at = models.DateTimeField(_("certifiée le"), null=True, blank=True)
    certified_by = models.ForeignKey(
        "User",
        verbose_name=_("certifiée par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    epci_type = models.CharField(
        _("nature de l'EPCI"),
        max_length=8,
        blank=True,
        default="",
        help_text=_("METRO, CU, CA ou CC."),
    )
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    # A commune's postcodes from the territory files, space-separated ("94100 94210"): the
    # "Où voter ?" commune field accepts them.
    postal_codes = models.CharField(_("codes postaux"), max_length=200, blank=True, default="")
    parent = models.ForeignKey(
        "self",
        verbose_name=_("collectivité de rattachement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    objects = AuthorityQuerySet.as_manager()

    class Meta:
        verbose_name = _("collectivité")
        verbose_name_plural = _("collectivités")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "insee_code"],
                condition=~Q(insee_code=""),
                name="authority_unique_kind_insee",
            ),
        ]
        indexes = [models.Index(fields=["kind", "name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_certified(self) -> bool:
        return self.certified_at is not None

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


class AuthorityContact(models.Model):
    """How the public reaches an authority (a mairie's address, hours, phone…): edited by its
    publishers and administrators, shown on its public page.

    A table of its own rather than columns of ``Authority``: an authority row is the official
    record the territory import keeps in step with the COG/SIRENE files, read on every access
    check; these details are editorial, written by the authority's people, absent for most
    authorities, and audited as one change. Values are stored cleaned (``identity.contact``):
    hours in canonical text, the phone in E.164, web addresses in https only.
    """

    authority = models.OneToOneField(
        Authority,
        verbose_name=_("collectivité"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="contact",
    )
    street_address = models.CharField(
        _("adresse"), max_length=250, blank=True, default="", help_text=_("3 lignes au plus.")
    )
    postal_code = models.CharField(_("code postal"), max_length=5, blank=True, default="")
    city = models.CharField(_("commune"), max_length=100, blank=True, default="")
    opening_hours = models.CharField(
        _("horaires d'ouverture"), max_length=300, blank=True, default=""
    )
    opening_hours_note = models.CharField(
        _("précision sur les horaires"), max_length=200, blank=True, default=""
    )
    phone = models.CharField(_("téléphone"), max_length=16, blank=True, default="")
    email = models.EmailField(_("adresse électronique"), blank=True, default="")
    contact_url = models.URLField(
        _("formulaire de contact"), max_length=300, blank=True, default=""
    )
    website = models.URLField(_("site internet"), max_length=300, blank=True, default="")
    updated_at = models.DateTimeField(_("modifié le"), null=True, blank=True)
    updated_by = models.ForeignKey(
        User,
        verbose_name=_("modifié par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("coordonnées de la collectivité")
        verbose_name_plural = _("coordonnées des collectivités")

    def __str__(self) -> str:
        return str(self.authority)

    @property
    def has_address(self) -> bool:
        return bool(self.street_address or self.postal_code or self.city)

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in CONTACT_FIELDS)


# The fields of AuthorityContact a person edits, in the order of the form.
CONTACT_FIELDS = (
    "street_address",
    "postal_code",
    "city",
    "opening_hours",
    "opening_hours_note",
    "phone",
    "email",
    "contact_url",
    "website",
)


class MembershipQuerySet(models.QuerySet["Membership"]):
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
    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("rôle"), max_length=16, choices=Role.choices)
    # Empty: granted by an administrator. "oidc:<slug>" or "ldap:<name>": kept in step with that
    # provider at each sign-in, so a sync never removes a role an administrator granted.
    source = models.CharField(_("origine"), max_length=80, blank=True, default="")
    starts_on = models.DateField(_("début"), default=timezone.localdate)
    ends_on = models.DateField(_("fin"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("rôle")
        verbose_name_plural = _("rôles")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "authority", "role", "starts_on"],
                name="membership_unique_period_start",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="membership_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.authority}"


class AuthorityGroup(models.Model):
    """A cross-authority group (a commission): a Django group owned by an authority.

    Document grants to groups already use Django groups; the owner says which administrators
    may change its members (those who manage the owner).
    """

    group = models.OneToOneField(
        "auth.Group", on_delete=models.CASCADE, related_name="civis_authority_group"
    )
    owner = models.ForeignKey(
        Authority,
        verbose_name=_("collectivité responsable"),
        on_delete=models.PROTECT,
        related_name="owned_groups",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("groupe inter-collectivités")
        verbose_name_plural = _("groupes inter-collectivités")

    def __str__(self) -> str:
        return self.group.name


class OIDCProvider(models.Model):
    """An OpenID Connect provider registered by an administrator (agents or citizens)."""

    slug = models.SlugField(_("identifiant"), unique=True)
    name = models.CharField(_("nom affiché"), max_length=120)
    kind = models.CharField(
        _("comptes"), max_length=16, choices=User.Kind.choices, default=User.Kind.AGENT
    )
    enabled = models.BooleanField(_("actif"), default=True)
    issuer = models.URLField(_("émetteur (issuer)"))
    client_id = models.CharField(_("client id"), max_length=200)
    # Encrypted at rest (CIVIS_FIELD_ENCRYPTION_KEY); the admin never shows it back.
    client_secret = EncryptedTextField(_("secret du client"))
    scopes = models.CharField(_("scopes"), max_length=300, default="openid email profile")
    authority = models.ForeignKey(
        Authority,
        verbose_name=_("collectivité"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="oidc_providers",
        help_text=_(
            "Obligatoire pour les agents : le fournisseur ne peut donner des rôles que "
            "dans cette collectivité et celles qui en dépendent."
        ),
    )
    authority_claim = models.CharField(
        _("claim de la collectivité"),
        max_length=80,
        blank=True,
        default="",
        help_text=_(
            "Claim portant le SIREN ou le SIRET (ex. « siret ») ; vide : la "
            "collectivité du fournisseur."
        ),
    )
    role_claim = models.CharField(_("claim des rôles"), max_length=80, blank=True, default="groups")
    role_mapping = models.JSONField(
        _("correspondance des rôles"),
        default=dict,
        blank=True,
        help_text=_('Valeur du claim → rôle, ex. {"civis-editeurs": "publisher"}.'),
    )
    email_domains = models.CharField(
        _("domaines de messagerie"),
        max_length=400,
        blank=True,
        default="",
        help_text=_("Séparés par des virgules ; la page de connexion y oriente les agents."),
    )
    signing_algorithms = models.CharField(
        _("algorithmes de signature"),
        max_length=40,
        default="RS256,ES256",
        help_text=_(
            "RS256 et/ou ES256 : les signatures symétriques et « none » sont toujours refusées."
        ),
    )
    timeout = models.PositiveSmallIntegerField(
        _("délai d'attente (s)"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(OIDC_MAX_TIMEOUT_SECONDS)],
        help_text=_("Pour chaque appel au fournisseur, 10 secondes au plus."),
    )
    # Left empty, each endpoint comes from the issuer's discovery document.
    authorization_endpoint = models.URLField(blank=True, default="")
    token_endpoint = models.URLField(blank=True, default="")
    userinfo_endpoint = models.URLField(blank=True, default="")
    jwks_uri = models.URLField(blank=True, default="")
    end_session_endpoint = models.URLField(blank=True, default="")

    class Meta:
        verbose_name = _("fournisseur d'identité OIDC")
        verbose_name_plural = _("fournisseurs d'identité OIDC")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def source(self) -> str:
        return f"oidc:{self.slug}"

    def cache_key(self, what: str) -> str:
        """This provider's entry ``what`` (discovery, jwks…) in the shared cache. It names
        the issuer and the keys' URL as they are now, so a change never reads an old entry."""
        digest = hashlib.sha256(f"{self.issuer} {self.jwks_uri}".encode()).hexdigest()[:32]
        return f"civis-oidc-{what}:{self.pk}:{digest}"

    def domains(self) -> list[str]:
        return [d.strip().lower().lstrip("@") for d in self.email_domains.split(",") if d.strip()]


class ExternalIdentity(models.Model):
    """Who a person is at an issuer: (issuer, subject) and never the e-mail address.

    The issuer is the one whose signature was checked (an OIDC ID token's ``iss``; for an LDAP
    directory, ``ldap:<name>``), so whoever changes a provider's issuer cannot reach the
    accounts linked to the previous one. Two providers asserting the same address give two
    accounts; a citizen provider and an agent provider never share an account.
    """

    # The provider row (``oidc:<slug>``, ``ldap:<name>``) the identity came through.
    provider = models.CharField(_("fournisseur"), max_length=80)
    issuer = models.CharField(_("émetteur"), max_length=255)
    subject = models.CharField(_("sujet"), max_length=255)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="identities")
    login = models.CharField(_("identifiant saisi"), max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("identité fédérée")
        verbose_name_plural = _("identités fédérées")
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"], name="identity_unique_issuer_subject"
            )
        ]
        indexes = [models.Index(fields=["provider", "login"])]

    def __str__(self) -> str:
        return f"{self.issuer} / {self.subject}"


class FederatedSession(models.Model):
    """A portal session opened through a provider, so its back-channel logout can end it."""

    identity = models.ForeignKey(
        ExternalIdentity, on_delete=models.CASCADE, related_name="sessions"
    )
    session_key = models.CharField(max_length=64, db_index=True)
    sid = models.CharField(max_length=255, blank=True, default="", db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.identity} ({self.created_at:%Y-%m-%d %H:%M})"

"""Elections: an election of one authority, its rounds, the polling stations (bureaux de vote)
it counts, the candidates or lists of each round, and the result of each bureau and round.

A bureau's result is a series of versions (``ResultVersion``): entering figures makes a new
version, a second agent validates it, and publishing it makes it the one the public reads
(``BureauResult.published``). A correction after publication is a new version; the public keeps
reading the previous one until the correction is validated, and the page says a bureau was
corrected. Percentages and abstentions are derived, never stored.

Who may read or write is decided in one place: ``elections.selectors``. Writes go through
``elections.services`` (``actor=``, one durable transaction, an audit row).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from identity.models import Authority


class ElectionKind(models.TextChoices):
    MUNICIPALES = "municipales", _("Élections municipales")
    LEGISLATIVES = "legislatives", _("Élections législatives")
    EUROPEENNES = "europeennes", _("Élections européennes")
    REGIONALES = "regionales", _("Élections régionales")
    DEPARTEMENTALES = "departementales", _("Élections départementales")
    PRESIDENTIELLE = "presidentielle", _("Élection présidentielle")
    REFERENDUM = "referendum", _("Référendum")


class Election(models.Model):
    """An election as one authority publishes it (a commune for its bureaux, the métropole or
    the région for all of theirs). Its open data dataset is made once, when a first round is
    final, and keeps its identifier for every later round."""

    slug = models.SlugField(_("identifiant"), max_length=80, unique=True)
    title = models.CharField(_("titre"), max_length=200)
    kind = models.CharField(_("type d'élection"), max_length=16, choices=ElectionKind.choices)
    owner = models.ForeignKey(
        Authority,
        verbose_name=_("collectivité qui publie"),
        on_delete=models.PROTECT,
        related_name="elections",
    )
    description = models.TextField(_("présentation"), blank=True, default="")
    # The open data dataset (opendata.Dataset), once the results are final. By id: the dataset
    # is made by elections.services through opendata's services.
    dataset_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("élection")
        verbose_name_plural = _("élections")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class RoundStatus(models.TextChoices):
    PREPARING = "preparing", _("En préparation")
    COUNTING = "counting", _("Dépouillement en cours")
    FINAL = "final", _("Résultats définitifs")


class Round(models.Model):
    """One round (tour) of an election. ``published_at`` moves each time a result is published
    or corrected: it is the Last-Modified of every public view of the round."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField(_("tour"))
    date = models.DateField(_("date du scrutin"))
    status = models.CharField(
        _("état"), max_length=10, choices=RoundStatus.choices, default=RoundStatus.PREPARING
    )
    # Election night: a validated bureau goes public at once. Off: a publisher publishes the
    # validated bureaux together.
    publish_on_validation = models.BooleanField(_("publier dès la validation"), default=True)
    published_at = models.DateTimeField(_("dernière publication"), null=True, blank=True)
    finalised_at = models.DateTimeField(_("résultats définitifs le"), null=True, blank=True)
    # Moves with every other change the public reads (candidates, expected bureaux, a bureau's
    # name or contour): with ``published_at`` and ``status`` it makes the answers' ETag, so a
    # cached copy (a reader's, a proxy's, a process's) never outlives what it shows.
    revision = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("tour")
        verbose_name_plural = _("tours")
        ordering = ["election", "number"]
        constraints = [
            models.UniqueConstraint(fields=["election", "number"], name="round_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.election.title} — {self.number}{'er' if self.number == 1 else 'e'} tour"


def station_code(insee_code: str, number: int | str) -> str:
    """The one canonical bureau code: the commune's INSEE code and the bureau number on four
    digits (``29019_0076``), whatever the padding of the source (``76``, ``0076``, ``"076"``)."""
    digits = str(number).strip()
    if not digits.isdigit():
        raise ValueError(f"numéro de bureau invalide : {number!r}")
    return f"{insee_code}_{int(digits):04d}"


class PollingStation(models.Model):
    """A bureau de vote of one commune, for a period: bureaux change on 1 March, so a code
    may have several rows with successive validity dates."""

    commune = models.ForeignKey(
        Authority,
        verbose_name=_("commune"),
        on_delete=models.PROTECT,
        related_name="polling_stations",
        limit_choices_to={"kind": "commune"},
    )
    number = models.PositiveIntegerField(_("numéro"))
    code = models.CharField(_("code"), max_length=16, db_index=True)  # INSEE_NNNN
    name = models.CharField(_("nom"), max_length=200)
    place_name = models.CharField(_("lieu de vote"), max_length=200, blank=True, default="")
    address = models.CharField(_("adresse"), max_length=255, blank=True, default="")
    canton = models.CharField(_("canton"), max_length=80, blank=True, default="")
    circonscription = models.CharField(_("circonscription"), max_length=80, blank=True, default="")
    # A GeoJSON geometry (Polygon or MultiPolygon, WGS84), or null when no contour is known.
    contour = models.JSONField(_("contour"), null=True, blank=True)
    valid_from = models.DateField(_("en vigueur depuis"))
    valid_to = models.DateField(_("en vigueur jusqu'au"), null=True, blank=True)

    class Meta:
        verbose_name = _("bureau de vote")
        verbose_name_plural = _("bureaux de vote")
        ordering = ["code", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="station_unique_period"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="station_valid_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Candidate(models.Model):
    """A candidate or a list in one round, by its panel number."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="candidates")
    panel = models.PositiveSmallIntegerField(_("numéro de panneau"))
    nuance = models.CharField(_("nuance"), max_length=16, blank=True, default="")
    last_name = models.CharField(_("nom"), max_length=120, blank=True, default="")
    first_name = models.CharField(_("prénom"), max_length=120, blank=True, default="")
    label = models.CharField(_("libellé"), max_length=200, blank=True, default="")
    colour = models.CharField(_("couleur"), max_length=7, default="#6a6a6a")
    elected = models.BooleanField(_("élu"), default=False)

    class Meta:
        verbose_name = _("candidat ou liste")
        verbose_name_plural = _("candidats et listes")
        ordering = ["round", "panel"]
        constraints = [
            models.UniqueConstraint(fields=["round", "panel"], name="candidate_unique_panel"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """A list's label, or a candidate's first and last name."""
        person = f"{self.first_name} {self.last_name}".strip()
        return self.label or person or f"n° {self.panel}"


class ResultState(models.TextChoices):
    EXPECTED = "expected", _("Attendu")
    ENTERED = "entered", _("Saisi, à valider")
    VALIDATED = "validated", _("Validé")
    PUBLISHED = "published", _("Publié")


class BureauResult(models.Model):
    """Where one bureau stands in one round. ``current`` is the latest version entered;
    ``published`` the one the public reads (the previous one while a correction awaits)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="results")
    station = models.ForeignKey(PollingStation, on_delete=models.PROTECT, related_name="results")
    state = models.CharField(
        _("état"), max_length=10, choices=ResultState.choices, default=ResultState.EXPECTED
    )
    current = models.ForeignKey(
        "ResultVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published = models.ForeignKey(
        "ResultVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("résultat d'un bureau")
        verbose_name_plural = _("résultats des bureaux")
        ordering = ["round", "station__code"]
        constraints = [
            models.UniqueConstraint(fields=["round", "station"], name="result_unique_bureau"),
        ]

    def __str__(self) -> str:
        return f"{self.station.code} ({self.get_state_display()})"


class ResultVersion(models.Model):
    """The figures of one bureau as entered once (or imported), with who entered, validated and
    published them. Never edited after validation: a correction is a new version."""

    class Source(models.TextChoices):
        ENTRY = "entry", _("Saisie")
        IMPORT = "import", _("Import du fichier officiel")

    result = models.ForeignKey(BureauResult, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.ENTRY)
    inscrits = models.PositiveIntegerField(_("inscrits"))
    votants = models.PositiveIntegerField(_("votants"))
    blancs = models.PositiveIntegerField(_("blancs"))
    nuls = models.PositiveIntegerField(_("nuls"))
    exprimes = models.PositiveIntegerField(_("exprimés"))
    note = models.CharField(_("motif de la correction"), max_length=300, blank=True, default="")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(default=timezone.now)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    validated_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("version d'un résultat")
        verbose_name_plural = _("versions des résultats")
        ordering = ["result", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["result", "number"], name="result_version_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(votants__lte=models.F("inscrits")),
                name="result_version_votants_le_inscrits",
            ),
            models.CheckConstraint(
                condition=Q(votants=models.F("exprimes") + models.F("blancs") + models.F("nuls")),
                name="result_version_votants_balance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.result} v{self.number}"

    @property
    def abstentions(self) -> int:
        return self.inscrits - self.votants

    def votes_by_panel(self) -> dict[int, int]:
        return {v.candidate.panel: v.votes for v in self.votes.select_related("candidate")}

    def figures(self) -> dict[str, Any]:
        return {
            "inscrits": self.inscrits,
            "votants": self.votants,
            "abstentions": self.abstentions,
            "blancs": self.blancs,
            "nuls": self.nuls,
            "exprimes": self.exprimes,
        }


class CandidateVotes(models.Model):
    version = models.ForeignKey(ResultVersion, on_delete=models.CASCADE, related_name="votes")
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="votes")
    votes = models.PositiveIntegerField(_("voix"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "candidate"], name="result_votes_unique_candidate"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.candidate} : {self.votes}"

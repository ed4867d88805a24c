""" "Où voter ?": the one path from a commune and an address to an answer, for the page, the
API and the benchmark alike; and who may manage a commune's rules.

The commune is always the one the visitor chose: streets are only ever looked up within it,
so a homonymous street of another commune can never be an answer. What is public: the
communes' assignment, rules and bureaux (they are published as open data); what is managed:
a commune's rules and imports, by its publishers (``documents.selectors``).
"""

from __future__ import annotations

import datetime
import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.selectors import authorities_publishable_by
from elections.models import PollingStation, Round
from elections.selectors import elections_public, stations_in_force
from identity.models import Authority, AuthorityContact, User
from polling import lookup
from polling.models import AssignedAddress, CommuneReference, Street, StreetRule
from polling.normalize import STREET_TYPES, parse_address, street_key, street_name_part

Someone = User | AnonymousUser | None

OFFICIAL_SERVICE_URL = (
    "https://www.service-public.fr/particuliers/vosdroits/services-en-ligne-et-formulaires/ISE"
)
MAX_QUERY = 200
SUGGESTIONS = 5

CONFIDENCE_LABELS = {
    lookup.CERTAIN: "Certain",
    lookup.CERTAIN_RULE: "Certain (arrêté)",
    lookup.PROBABLE: "Probable",
    lookup.NONE: "Pas de réponse sûre",
}


# --- who manages -----------------------------------------------------------------------------


def communes_managed_by(user: Someone) -> QuerySet[Authority]:
    """Communes whose "Où voter ?" data ``user`` may import and whose rules they may edit."""
    return authorities_publishable_by(user).filter(kind=Authority.Kind.COMMUNE)


def rules_managed_by(user: Someone) -> QuerySet[StreetRule]:
    return StreetRule.objects.filter(street__commune__in=communes_managed_by(user)).select_related(
        "street", "street__commune"
    )


# --- communes --------------------------------------------------------------------------------


def communes_with_data() -> QuerySet[Authority]:
    return Authority.objects.filter(
        kind=Authority.Kind.COMMUNE, polling_reference__isnull=False
    ).order_by("name")


def find_communes(text: str, *, limit: int = 10) -> list[Authority]:
    """The communes a visitor's text names: an INSEE code, a postcode (several communes may
    share one), a name (homonyms exist: Saint-Maurice…), or « Nom (code postal) ». Never one
    chosen among several: the caller asks."""
    text = " ".join((text or "").split())[:MAX_QUERY]
    if not text:
        return []
    communes = Authority.objects.filter(kind=Authority.Kind.COMMUNE)
    code = re.fullmatch(r"(.*?)\s*\(?\b(\d{5})\b\)?", text)
    name, digits = (code.group(1), code.group(2)) if code else (text, "")
    if digits and not name:
        by_insee = list(communes.filter(insee_code=digits))
        if by_insee:
            return by_insee
        return list(
            communes.filter(
                Q(postal_codes=digits)
                | Q(postal_codes__startswith=f"{digits} ")
                | Q(postal_codes__endswith=f" {digits}")
                | Q(postal_codes__contains=f" {digits} ")
            ).order_by("name")[:limit]
        )
    key = street_key(name)
    if not key:
        return []
    matches = list(communes.filter(pk__in=_names_index().get(key, [])).order_by("name"))
    if digits:
        matches = [c for c in matches if digits in c.postal_codes.split() or c.insee_code == digits]
    return matches[:limit]


_NAMES: dict[tuple[int, int | None], dict[str, list[int]]] = {}


def _names_index() -> dict[str, list[int]]:
    """Communes by normalised name ("SAINT MAUR FOSSES" → ids), built once per process and
    rebuilt when the territory changes (35,000 names: a few tenths of a second)."""
    communes = Authority.objects.filter(kind=Authority.Kind.COMMUNE)
    version = communes.aggregate(n=Count("pk"), last=Max("pk"))
    stamp = (version["n"], version["last"])
    index = _NAMES.get(stamp)
    if index is None:
        index = {}
        for pk, name in communes.values_list("pk", "name"):
            index.setdefault(street_key(name), []).append(pk)
        _NAMES.clear()
        _NAMES[stamp] = index
    return index


def commune_suggestions(text: str, *, limit: int = 10) -> list[Authority]:
    """For the commune field's autocomplete: communes with data whose name starts with the
    text (or whose postcode or INSEE code does)."""
    text = " ".join((text or "").split())[:MAX_QUERY]
    if not text:
        return list(communes_with_data()[:limit])
    key = street_key(text)
    found = []
    for commune in communes_with_data():
        if (
            street_key(commune.name).startswith(key)
            or commune.insee_code.startswith(text)
            or any(code.startswith(text) for code in commune.postal_codes.split())
        ):
            found.append(commune)
        if len(found) >= limit:
            break
    return found


def street_suggestions(commune: Authority, text: str, *, limit: int = 10) -> list[str]:
    """For the address field's autocomplete: the commune's known streets whose name contains
    every word typed (the number, if any, is left out)."""
    parsed = parse_address(text or "")
    words = [w for w in parsed.street.split() if w not in STREET_TYPES] or parsed.street.split()
    streets = Street.objects.filter(commune=commune)
    for word in words[:5]:
        streets = streets.filter(key__contains=word)
    return list(streets.order_by("label").values_list("label", flat=True)[:limit])


# --- the answer ------------------------------------------------------------------------------


@dataclass
class Bureau:
    number: int
    code: str = ""
    name: str = ""
    place_name: str = ""
    address: str = ""
    contour: dict[str, Any] | None = None
    known: bool = False  # a PollingStation in force was found

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "code": self.code or None,
            "name": self.name or _("Bureau n° %(n)d") % {"n": self.number},
            "place_name": self.place_name or None,
            "address": self.address or None,
            "has_contour": self.contour is not None,
        }


@dataclass
class Answer:
    commune: Authority
    query: str
    confidence: str = lookup.NONE
    reason: str = ""
    explanation: str = ""
    matched_address: str = ""
    bureau: Bureau | None = None
    relied_on: list[dict[str, Any]] = field(default_factory=list)
    candidates: list[Bureau] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    rule_reference: str = ""
    reference: CommuneReference | None = None
    election_date: datetime.date | None = None

    @property
    def answered(self) -> bool:
        return self.bureau is not None

    @property
    def confidence_label(self) -> str:
        return CONFIDENCE_LABELS[self.confidence]

    @property
    def contact(self) -> AuthorityContact | None:
        return AuthorityContact.objects.filter(authority=self.commune).first()


def next_election_date(commune: Authority, today: datetime.date) -> datetime.date:
    """The date of the next round whose bureaux include this commune's (or of an election of
    the commune or of an authority above it); today when none is planned."""
    above = [commune.pk]
    parent = commune.parent_id
    for _depth in range(6):
        if parent is None:
            break
        above.append(parent)
        parent = Authority.objects.filter(pk=parent).values_list("parent_id", flat=True).first()
    round = (
        Round.objects.filter(date__gte=today, election__in=elections_public())
        .filter(Q(election__owner_id__in=above) | Q(results__station__commune=commune))
        .order_by("date")
        .first()
    )
    return round.date if round is not None else today


def _bureaux(commune: Authority, numbers: set[int], on: datetime.date) -> dict[int, Bureau]:
    stations: dict[int, PollingStation] = {
        s.number: s
        for s in stations_in_force(on).filter(commune=commune, number__in=sorted(numbers))
    }
    found: dict[int, Bureau] = {}
    for number in numbers:
        station = stations.get(number)
        if station is None:
            found[number] = Bureau(number=number)
        else:
            found[number] = Bureau(
                number=number,
                code=station.code,
                name=station.name,
                place_name=station.place_name,
                address=station.address,
                contour=station.contour,
                known=True,
            )
    return found


def _find_street(commune: Authority, key: str) -> tuple[Street | None, list[str]]:
    """The street the key names in this commune, or None and the likeliest streets."""
    street = Street.objects.filter(commune=commune, key=key).first()
    if street is not None:
        return street, []
    first = key.partition(" ")[0]
    if first not in STREET_TYPES:
        # "Jean Jaurès" without its type: the one street of that name, if only one.
        named = list(Street.objects.filter(commune=commune, name_key=key)[:2])
        if len(named) == 1:
            return named[0], []
    streets = list(Street.objects.filter(commune=commune).values_list("key", "name_key", "label"))
    labels = {k: label for k, _n, label in streets}
    # Compared without the street type: "avenue Pasteur" is not close to "avenue de l'Yser".
    name = street_name_part(key)
    by_name: dict[str, list[str]] = {}
    for k, name_key, _label in streets:
        by_name.setdefault(name_key, []).append(k)
    close = [
        k
        for n in difflib.get_close_matches(name, list(by_name), n=SUGGESTIONS, cutoff=0.75)
        for k in by_name[n]
    ][:SUGGESTIONS]
    if len(close) < SUGGESTIONS and len(name) >= 4:
        for other, name_key, _label in streets:
            if name in name_key and other not in close:
                close.append(other)
            if len(close) >= SUGGESTIONS:
                break
    return None, [labels[k] for k in close]


def _display(number: int | None, repetition: str, label: str) -> str:
    if number is None:
        return label
    suffix = f" {repetition.lower()}" if repetition else ""
    return f"{number}{suffix} {label}"


def polling_station_for(
    commune: Authority, text: str, *, today: datetime.date | None = None
) -> Answer:
    """Where the voter of ``text`` (an address, as typed) in ``commune`` votes, how sure we
    are, and why."""
    text = " ".join((text or "").split())[:MAX_QUERY]
    answer = Answer(commune=commune, query=text)
    answer.reference = CommuneReference.objects.filter(commune=commune).first()
    if answer.reference is None:
        answer.reason = "no_data"
        answer.explanation = _(
            "Le portail n'a pas encore la liste des adresses et des bureaux de vote de "
            "%(name)s. La mairie, ou le service officiel, peut vous répondre."
        ) % {"name": commune.name}
        return answer
    parsed = parse_address(text)
    if not parsed.street:
        answer.reason = "no_address"
        answer.explanation = _("Indiquez une adresse : un numéro et une voie.")
        return answer
    street, suggestions = _find_street(commune, parsed.street)
    if street is None:
        answer.reason = "unknown_street"
        answer.suggestions = suggestions
        answer.explanation = _(
            "Nous ne connaissons pas cette voie à %(name)s. Nous ne cherchons jamais dans une "
            "autre commune : vérifiez l'orthographe, ou choisissez une voie proposée."
        ) % {"name": commune.name}
        return answer
    known = [
        lookup.KnownAddress(number, repetition, bureau)
        for number, repetition, bureau in AssignedAddress.objects.filter(street=street).values_list(
            "number", "repetition", "bureau"
        )
    ]
    rules = {
        rule.pk: rule
        for rule in StreetRule.objects.filter(street=street).order_by("number_from", "pk")
    }
    ranges = [
        lookup.RangeRule(r.number_from, r.number_to, r.parity, r.bureau) for r in rules.values()
    ]
    decision = lookup.decide(parsed, known, ranges)
    answer.confidence = decision.confidence
    answer.reason = decision.reason
    answer.matched_address = _display(parsed.number, parsed.repetition, street.label)
    answer.election_date = next_election_date(commune, today or timezone.localdate())
    numbers = set(decision.candidates)
    if decision.bureau is not None:
        numbers.add(decision.bureau)
    by_number: dict[int | None, set[int]] = {}
    for k in known:
        by_number.setdefault(k.number, set()).add(k.bureau)
    bureaux = _bureaux(commune, numbers, answer.election_date)
    if decision.bureau is not None:
        bureau = bureaux[decision.bureau]
        has_stations = stations_in_force(answer.election_date).filter(commune=commune).exists()
        if has_stations and not bureau.known:
            # The list names a bureau the commune no longer has on the day of the vote.
            answer.confidence = lookup.NONE
            answer.reason = "bureau_gone"
            answer.candidates = [bureau]
            answer.explanation = _(
                "La liste rattache cette adresse au bureau n° %(n)d, qui n'existe plus à la "
                "date du scrutin (%(date)s) : le découpage a changé. La mairie peut vous "
                "répondre."
            ) % {"n": bureau.number, "date": answer.election_date.strftime("%d/%m/%Y")}
            return answer
        answer.bureau = bureau
    else:
        answer.candidates = [bureaux[n] for n in sorted(decision.candidates)]
    answer.relied_on = [
        {"number": n, "bureaux": sorted(by_number.get(n, set()))} for n in decision.relied_on
    ]
    if decision.rule is not None:
        chosen = next(
            r
            for r in rules.values()
            if (r.number_from, r.number_to, r.parity, r.bureau)
            == (
                decision.rule.number_from,
                decision.rule.number_to,
                decision.rule.parity,
                decision.rule.bureau,
            )
        )
        answer.rule_reference = chosen.reference
        answer.explanation = _(
            "L'arrêté « %(ref)s » rattache les numéros %(span)s de la voie « %(street)s » au "
            "bureau n° %(n)d."
        ) % {
            "ref": chosen.reference,
            "span": chosen.describe(),
            "street": street.label,
            "n": chosen.bureau,
        }
    else:
        answer.explanation = _explain(decision, parsed.number, parsed.repetition, street)
    return answer


def _numbers(values: list[int]) -> str:
    if len(values) == 1:
        return str(values[0])
    return ", ".join(str(v) for v in values[:-1]) + _(" et ") + str(values[-1])


def _explain(decision: lookup.Decision, number: int | None, repetition: str, street: Street) -> str:
    n = decision.bureau
    given = _display(number, repetition, "").strip()
    relied = _numbers(decision.relied_on) if decision.relied_on else ""
    candidates = _numbers(decision.candidates) if decision.candidates else ""
    texts = {
        "exact": _("Cette adresse figure dans la liste de la commune, au bureau n° %(n)s."),
        "exact_street_unsure": _(
            "Cette adresse figure dans la liste de la commune, au bureau n° %(n)s ; mais la "
            "liste place d'autres adresses de cette voie dans plusieurs bureaux à la fois : "
            "vérifiez auprès de la mairie."
        ),
        "other_repetition": _(
            "Le %(given)s n'est pas dans la liste de la commune, mais le %(relied)s l'est, au "
            "bureau n° %(n)s."
        ),
        "neighbours": _(
            "Le %(given)s n'est pas dans la liste de la commune ; ses voisins du même côté de "
            "la voie (%(relied)s) votent au bureau n° %(n)s."
        ),
        "street_end": _(
            "Le %(given)s n'est pas dans la liste de la commune ; les numéros connus les plus "
            "proches du même côté (%(relied)s), et toute la voie, votent au bureau n° %(n)s."
        ),
        "street_end_side": _(
            "Le %(given)s n'est pas dans la liste de la commune ; les numéros connus les plus "
            "proches du même côté (%(relied)s) votent au bureau n° %(n)s, mais la voie est "
            "partagée entre plusieurs bureaux : vérifiez auprès de la mairie."
        ),
        "whole_street": _("Sans numéro : toute la voie connue vote au bureau n° %(n)s."),
        "street_split": _(
            "Cette voie est partagée entre les bureaux n° %(candidates)s : indiquez le numéro."
        ),
        "address_split": _(
            "La liste de la commune place cette adresse dans plusieurs bureaux (n° "
            "%(candidates)s) : seule la mairie peut vous dire lequel est le vôtre."
        ),
        "rule_conflict": _(
            "La liste de la commune et son arrêté ne s'accordent pas pour cette adresse "
            "(bureaux n° %(candidates)s) : la mairie peut vous répondre."
        ),
        "rules_disagree": _(
            "Deux règles de l'arrêté couvrent ce numéro (bureaux n° %(candidates)s) : la "
            "mairie peut vous répondre."
        ),
        "island": _(
            "La liste de la commune place cette adresse dans un autre bureau que ses voisins "
            "(%(relied)s) : bureaux n° %(candidates)s. Plutôt qu'une réponse peut-être fausse, "
            "vérifiez auprès de la mairie."
        ),
        "neighbours_disagree": _(
            "Le %(given)s n'est pas dans la liste de la commune, et ses voisins du même côté "
            "(%(relied)s) ne votent pas au même bureau : la voie est partagée à cet endroit "
            "entre les bureaux n° %(candidates)s."
        ),
        "beyond_known": _(
            "Le %(given)s n'est pas dans la liste de la commune, et les numéros connus de ce "
            "côté de la voie ne suffisent pas à répondre. Bureaux de cette voie : n° "
            "%(candidates)s."
        ),
    }
    return texts.get(decision.reason, "") % {
        "n": n,
        "given": given,
        "relied": relied,
        "candidates": candidates,
        "street": street.label,
    }


# --- the commune's data, for downloads -------------------------------------------------------


def commune_reference(insee: str) -> CommuneReference | None:
    return (
        CommuneReference.objects.filter(
            commune__kind=Authority.Kind.COMMUNE, commune__insee_code=insee[:5]
        )
        .select_related("commune")
        .first()
    )


def commune_stations(commune: Authority, on: datetime.date) -> QuerySet[PollingStation]:
    return stations_in_force(on).filter(commune=commune).order_by("number")


def commune_addresses(commune: Authority) -> QuerySet[AssignedAddress]:
    return (
        AssignedAddress.objects.filter(street__commune=commune)
        .select_related("street")
        .order_by("street__label", "number", "repetition", "bureau")
    )


def commune_rules(commune: Authority) -> QuerySet[StreetRule]:
    return (
        StreetRule.objects.filter(street__commune=commune)
        .select_related("street")
        .order_by("street__label", "number_from", "pk")
    )

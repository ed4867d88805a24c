"""An authority's public contact details as values: parsing, checking, showing.

Pure functions, no database: ``identity.services.contact`` calls the ``clean_*`` functions
before it writes, the public authority page calls the ``*_display`` ones and
``authority_jsonld`` (schema.org ``GovernmentOrganization``).

Opening hours are one short text, validated and stored in a canonical form, rather than a
grid of 7 days by 2 slots: a mairie's hours fit in one line (``Lu-Ve 08:30-12:00,13:30-17:00;
Sa 09:00-12:00``), the syntax is the one OpenStreetMap's ``opening_hours`` made familiar (with
French day names), and the parsed rules give both the French sentence and schema.org's
``OpeningHoursSpecification``.
"""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext as _

NBSP = "\u00a0"
MAX_RULES = 7
MAX_SLOTS_PER_RULE = 4
MAX_URL_LENGTH = 300
MAX_STREET_LINES = 3

# Monday first, as the French week and ISO 8601. (canonical abbreviation, schema.org name)
DAYS = [
    ("Lu", "Monday"),
    ("Ma", "Tuesday"),
    ("Me", "Wednesday"),
    ("Je", "Thursday"),
    ("Ve", "Friday"),
    ("Sa", "Saturday"),
    ("Di", "Sunday"),
]
# What a person may type for a day: the French abbreviation, the French name, or
# OpenStreetMap's English abbreviation (accents and case do not matter).
_DAY_WORDS: dict[str, int] = {}
for _index, (_abbr, _english) in enumerate(DAYS):
    _DAY_WORDS[_abbr.lower()] = _index
    _DAY_WORDS[_english[:2].lower()] = _index
for _index, _name in enumerate(
    ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
):
    _DAY_WORDS[_name] = _index
    _DAY_WORDS[_name[:3]] = _index


def _day_names() -> list[str]:
    return [
        _("lundi"),
        _("mardi"),
        _("mercredi"),
        _("jeudi"),
        _("vendredi"),
        _("samedi"),
        _("dimanche"),
    ]


@dataclass(frozen=True)
class HoursRule:
    """Some days of the week (indices, Monday = 0) open during the same time slots."""

    days: tuple[int, ...]
    slots: tuple[tuple[str, str], ...]  # ("08:30", "12:00"), in order, not overlapping


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


_TIME = re.compile(r"^(?P<h>\d{1,2})(?:\s*(?::|h)\s*(?P<m>\d{2})?)?$", re.IGNORECASE)
_RULE = re.compile(r"^(?P<days>[^\d]+?)\s*(?P<slots>\d.*)$")


def _time(text: str, rule: str) -> str:
    match = _TIME.match(text.strip())
    if match is None:
        raise ValidationError(
            _("« %(rule)s » : « %(time)s » n'est pas une heure (ex. 08:30).")
            % {"rule": rule, "time": text.strip()}
        )
    hours, minutes = int(match["h"]), int(match["m"] or 0)
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise ValidationError(
            _("« %(rule)s » : « %(time)s » n'est pas une heure de la journée.")
            % {"rule": rule, "time": text.strip()}
        )
    return f"{hours:02d}:{minutes:02d}"


def _days(text: str, rule: str) -> tuple[int, ...]:
    found: list[int] = []
    for part in re.split(r"\s*,\s*|\s+et\s+", text.strip()):
        ends = [e.strip() for e in re.split(r"\s*-\s*|\s+(?:au|à)\s+", part) if e.strip()]
        indices = []
        for word in ends:
            index = _DAY_WORDS.get(_plain(word).rstrip("."))
            if index is None:
                raise ValidationError(
                    _(
                        "« %(rule)s » : jour « %(day)s » inconnu ; écrivez Lu, Ma, Me, Je, Ve, "
                        "Sa ou Di."
                    )
                    % {"rule": rule, "day": word}
                )
            indices.append(index)
        if len(indices) == 1:
            found.append(indices[0])
        elif len(indices) == 2 and indices[0] < indices[1]:
            found.extend(range(indices[0], indices[1] + 1))
        else:
            raise ValidationError(
                _("« %(rule)s » : une plage de jours va du premier au dernier, ex. Lu-Ve.")
                % {"rule": rule}
            )
    if len(set(found)) != len(found):
        raise ValidationError(_("« %(rule)s » : un jour y figure deux fois.") % {"rule": rule})
    return tuple(sorted(found))


def parse_opening_hours(text: str) -> list[HoursRule]:
    """``Lu-Ve 08:30-12:00,13:30-17:00; Sa 09:00-12:00`` → rules. Rules are separated by
    « ; » or new lines; a ``ValidationError`` in French names the faulty rule otherwise."""
    rules: list[HoursRule] = []
    taken: dict[int, list[tuple[str, str]]] = {}
    parts = [p.strip() for p in re.split(r"[;\n]", text or "") if p.strip()]
    if len(parts) > MAX_RULES:
        raise ValidationError(_("Au plus %(count)d règles d'horaires.") % {"count": MAX_RULES})
    for part in parts:
        match = _RULE.match(part)
        if match is None:
            raise ValidationError(
                _("« %(rule)s » : écrivez les jours puis les heures, ex. Lu-Ve 08:30-12:00.")
                % {"rule": part}
            )
        days = _days(re.sub(r"(?:\s|:|\bde\b)+$", "", match["days"]), part)
        slots: list[tuple[str, str]] = []
        for chunk in re.split(r"\s*,\s*|\s+et\s+", match["slots"].strip()):
            ends = re.split(r"\s*-\s*|\s+à\s+", chunk.strip())
            if len(ends) != 2:
                raise ValidationError(
                    _("« %(rule)s » : un créneau s'écrit ouverture-fermeture, ex. 08:30-12:00.")
                    % {"rule": part}
                )
            opens, closes = _time(ends[0], part), _time(ends[1], part)
            if opens >= closes:
                raise ValidationError(
                    _("« %(rule)s » : %(opens)s-%(closes)s ferme avant d'ouvrir.")
                    % {"rule": part, "opens": opens, "closes": closes}
                )
            slots.append((opens, closes))
        if len(slots) > MAX_SLOTS_PER_RULE:
            raise ValidationError(
                _("« %(rule)s » : au plus %(count)d créneaux par jour.")
                % {"rule": part, "count": MAX_SLOTS_PER_RULE}
            )
        slots.sort()
        for day in days:
            day_slots = sorted([*taken.get(day, []), *slots])
            for (_o1, c1), (o2, _c2) in itertools.pairwise(day_slots):
                if o2 < c1:
                    raise ValidationError(
                        _("« %(rule)s » : des créneaux du %(day)s se chevauchent.")
                        % {"rule": part, "day": _day_names()[day]}
                    )
            taken[day] = day_slots
        rules.append(HoursRule(days=days, slots=tuple(slots)))
    return rules


def _days_canonical(days: tuple[int, ...]) -> str:
    """``(0, 1, 2, 3, 4)`` → ``Lu-Ve``; ``(0, 2)`` → ``Lu,Me``; runs of 3 days or more as a
    range."""
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{DAYS[run[0]][0]}-{DAYS[run[-1]][0]}")
        else:
            parts.extend(DAYS[d][0] for d in run)
    return ",".join(parts)


def format_opening_hours(rules: list[HoursRule]) -> str:
    """The canonical text of ``rules`` (what is stored): ``Lu-Ve 08:30-12:00,13:30-17:00``."""
    return "; ".join(
        f"{_days_canonical(rule.days)} " + ",".join(f"{o}-{c}" for o, c in rule.slots)
        for rule in rules
    )


def clean_opening_hours(text: str) -> str:
    return format_opening_hours(parse_opening_hours(text))


def _time_fr(value: str) -> str:
    hours, minutes = value.split(":")
    text = f"{int(hours)}{NBSP}h"
    return text + (f"{NBSP}{minutes}" if minutes != "00" else "")


def _join_fr(items: list[str]) -> str:
    if len(items) < 2:
        return "".join(items)
    return _("%(first)s et %(last)s") % {"first": ", ".join(items[:-1]), "last": items[-1]}


def _days_fr(days: tuple[int, ...]) -> str:
    names = _day_names()
    if len(days) >= 3 and days == tuple(range(days[0], days[-1] + 1)):
        return _("du %(first)s au %(last)s") % {"first": names[days[0]], "last": names[days[-1]]}
    return _join_fr([_("le %(day)s") % {"day": names[d]} for d in days])


def opening_hours_lines(text: str) -> list[str]:
    """The stored hours as French sentences, one per rule: « Du lundi au vendredi de 8 h 30
    à 12 h et de 13 h 30 à 17 h ». Hours that no longer parse are shown as written."""
    try:
        rules = parse_opening_hours(text)
    except ValidationError:
        return [text] if text else []
    lines = []
    for rule in rules:
        slots = _join_fr(
            [
                _("de %(opens)s à %(closes)s") % {"opens": _time_fr(o), "closes": _time_fr(c)}
                for o, c in rule.slots
            ]
        )
        line = f"{_days_fr(rule.days)} {slots}"
        lines.append(line[:1].upper() + line[1:])
    return lines


def opening_hours_specification(text: str) -> list[dict[str, Any]]:
    """schema.org ``OpeningHoursSpecification`` items, one per rule and time slot."""
    try:
        rules = parse_opening_hours(text)
    except ValidationError:
        return []
    return [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": [f"https://schema.org/{DAYS[d][1]}" for d in rule.days],
            "opens": opens,
            "closes": "23:59" if closes == "24:00" else closes,
        }
        for rule in rules
        for opens, closes in rule.slots
    ]


# --- Telephone ---------------------------------------------------------------------------
# Stored in E.164 (+33556556600), or as a 4-digit short number (3939); shown grouped by two.
# Overseas departments have their own country codes although they dial 0XXX like the rest.
_OVERSEAS = {
    "262": ("0262", "0263", "0692", "0693", "0269", "0639"),
    "590": ("0590", "0690", "0691"),
    "594": ("0594", "0694"),
    "596": ("0596", "0696", "0697"),
    "508": ("0508",),
}
_COUNTRY_CODES = ("33", *_OVERSEAS)


def clean_phone(text: str) -> str:
    """A French telephone number, normalised: ``05 56 55 66 00`` → ``+33556556600``.
    ``ValidationError`` in French if it is not one."""
    raw = (text or "").strip()
    if not raw:
        return ""
    compact = re.sub(r"[\s.\-/]", "", raw).replace("(0)", "")
    if re.fullmatch(r"3\d{3}", compact):
        return compact
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    national = None
    if compact.startswith("+"):
        for code in _COUNTRY_CODES:
            rest = compact[1 + len(code) :]
            if rest.startswith("0") and len(rest) == 10:
                rest = rest[1:]  # +33 05 56…: the trunk 0 typed after the country code
            if compact[1:].startswith(code) and re.fullmatch(r"[1-9]\d{8}", rest):
                national = "0" + rest
                if _country_code(national) != code:
                    national = None
                break
    elif re.fullmatch(r"0[1-9]\d{8}", compact):
        national = compact
    if national is None:
        raise ValidationError(
            _("Numéro de téléphone français attendu, par exemple 05 56 55 66 00.")
        )
    return "+" + _country_code(national) + national[1:]


def _country_code(national: str) -> str:
    for code, prefixes in _OVERSEAS.items():
        if national.startswith(prefixes):
            return code
    return "33"


def phone_display(value: str) -> str:
    """``+33556556600`` → ``05 56 55 66 00`` (non-breaking spaces)."""
    if not value.startswith("+"):
        return value
    for code in _COUNTRY_CODES:
        if value[1:].startswith(code):
            national = "0" + value[1 + len(code) :]
            return NBSP.join(national[i : i + 2] for i in range(0, len(national), 2))
    return value


def phone_uri(value: str) -> str:
    return f"tel:{value}" if value else ""


# --- Addresses on the web ----------------------------------------------------------------
_HTTPS = URLValidator(schemes=["https"])


def clean_https_url(text: str) -> str:
    """An ``https://`` address (``www.example.fr`` gets ``https://``); every other scheme
    (``javascript:``, ``data:``, ``http:``…) and addresses carrying a password are refused."""
    value = (text or "").strip()
    if not value:
        return ""
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:", value):
        value = "https://" + value
    if not value.lower().startswith("https://"):
        raise ValidationError(_("L'adresse doit commencer par https:// (connexion chiffrée)."))
    if len(value) > MAX_URL_LENGTH or any(c.isspace() for c in value):
        raise ValidationError(_("Saisissez une adresse web valide, ex. https://www.exemple.fr/."))
    try:
        _HTTPS(value)
    except ValidationError:
        raise ValidationError(
            _("Saisissez une adresse web valide, ex. https://www.exemple.fr/.")
        ) from None
    parts = urlsplit(value)
    if parts.username or parts.password or "@" in parts.netloc:
        raise ValidationError(_("L'adresse ne doit pas contenir d'identifiant ni de mot de passe."))
    return "https://" + parts.netloc.lower() + value[len("https://") + len(parts.netloc) :]


def clean_email(text: str) -> str:
    value = (text or "").strip()
    if not value:
        return ""
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationError(
            _("Saisissez une adresse électronique valide, ex. accueil@mairie.fr.")
        ) from None
    local, _sep, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def clean_postal_code(text: str) -> str:
    value = re.sub(r"\s", "", text or "")
    if not value:
        return ""
    if not re.fullmatch(r"\d{5}", value) or not 1 <= int(value[:2]) <= 98:
        raise ValidationError(_("Code postal français à 5 chiffres attendu, ex. 33700."))
    return value


def clean_street_address(text: str) -> str:
    lines = [" ".join(line.split()) for line in (text or "").splitlines()]
    lines = [line for line in lines if line]
    if len(lines) > MAX_STREET_LINES:
        raise ValidationError(
            _("Au plus %(count)d lignes d'adresse.") % {"count": MAX_STREET_LINES}
        )
    return "\n".join(lines)


def clean_line(text: str) -> str:
    return " ".join((text or "").split())


# --- schema.org ----------------------------------------------------------------------------
def authority_jsonld(
    *,
    name: str,
    page_url: str = "",
    siren: str = "",
    insee_code: str = "",
    contact: Any = None,
    parent: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The schema.org ``GovernmentOrganization`` of an authority, as a dict for JSON-LD.
    ``contact`` is an ``AuthorityContact`` (or ``None``); ``parent`` {"name", "url"}."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "GovernmentOrganization",
        "name": name,
    }
    if page_url:
        data["@id"] = page_url + "#collectivite"
        data["mainEntityOfPage"] = page_url
    identifiers = [
        {"@type": "PropertyValue", "propertyID": prop, "value": value}
        for prop, value in (("SIREN", siren), ("INSEE", insee_code))
        if value
    ]
    if identifiers:
        data["identifier"] = identifiers
    if contact is not None:
        if contact.street_address or contact.postal_code or contact.city:
            data["address"] = {
                "@type": "PostalAddress",
                "streetAddress": ", ".join(contact.street_address.splitlines()),
                "postalCode": contact.postal_code,
                "addressLocality": contact.city,
                "addressCountry": "FR",
            }
        if contact.phone:
            data["telephone"] = contact.phone
        if contact.email:
            data["email"] = contact.email
        if contact.website:
            data["url"] = contact.website
        if contact.contact_url:
            data["contactPoint"] = {
                "@type": "ContactPoint",
                "contactType": "customer service",
                "url": contact.contact_url,
            }
        hours = opening_hours_specification(contact.opening_hours)
        if hours:
            data["openingHoursSpecification"] = hours
    if "url" not in data and page_url:
        data["url"] = page_url
    if parent:
        data["parentOrganization"] = {
            "@type": "GovernmentOrganization",
            **{k: v for k, v in parent.items() if v},
        }
    return data


_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def jsonld_text(data: dict[str, Any]) -> str:
    """JSON for a ``<script type="application/ld+json">`` block: ``<``, ``>`` and ``&`` are
    escaped (as Django's ``json_script`` does), so no value can close the element."""
    return json.dumps(data, ensure_ascii=False, sort_keys=False).translate(_JSON_SCRIPT_ESCAPES)

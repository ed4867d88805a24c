"""Writes of "Où voter ?": importing a commune's assignment of addresses to bureaux, and the
street-range rules of its arrêté. Each is one durable transaction with an audit row; the
commune's open data dataset is made or refreshed inside it (``polling.opendata``).

**The assignment file** is a CSV (``,`` or ``;``, UTF-8 or Latin-1) with a header. The columns
read, by name (accents and case ignored), are those of the shared ground truth
(``../shared/data/polling/``) and, for the REU's "adresses" table as INSEE publishes it, their
equivalents:

============  ==============================================  ================================
read as       shared CSV                                      REU "adresses" table
============  ==============================================  ================================
bureau        ``bureau`` (number in the commune)              ``id_brut_bv_reu`` / ``code_bv``
address       ``adresse`` (as written on the roll)            ``numero_voie_reu`` + ``voie_reu``
postcode      ``cp``                                          ``cp_reu``
commune       ``ville`` (name)                                ``libelle_commune_reu``
INSEE code    (none: from the name and postcode)              ``code_commune_ref``
position      ``latitude``, ``longitude``                     ``latitude``, ``longitude``
BAN id        ``result_id``                                   ``id`` (when it is a BAN id)
street label  ``result_street`` / ``result_name`` (BAN)       ``geo_adresse``
============  ==============================================  ================================

A bureau given as ``94068_0012`` or ``0012`` is bureau 12. Each line's commune is the one
named by its INSEE code when the file has one, otherwise its name and postcode matched against
the territory (never a guess: a name or postcode that matches no commune, or several, is
reported and the line skipped). Importing a commune's file **replaces** its assignment: the
same file twice changes nothing (the report says so), a corrected file changes only what
changed.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from core.transactions import service
from documents.selectors import authorities_publishable_by
from identity.models import Authority, User
from polling.models import AssignedAddress, CommuneReference, Parity, Street, StreetRule
from polling.normalize import fold, parse_address, street_key, street_name_part

Actor = User | AnonymousUser | None

MAX_REPORTED = 20
MAX_BUREAU = 9999
MAX_NUMBER = 99999

_COLUMNS: dict[str, tuple[str, ...]] = {
    "bureau": ("bureau", "id_brut_bv_reu", "code_bv", "code bureau", "bureau de vote", "bv"),
    "address": ("adresse", "adresse_reu"),
    "number": ("numero_voie_reu", "numero"),
    "street": ("voie_reu", "libelle_voie", "voie"),
    "postcode": ("cp", "cp_reu", "code_postal", "code postal"),
    "city": ("ville", "libelle_commune_reu", "commune", "nom_commune"),
    "insee": ("code_commune_ref", "code_commune", "code_insee", "insee"),
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon"),
    "ban_id": ("result_id",),
    "ban_street": ("result_street",),
    "ban_name": ("result_name",),
    "ban_type": ("result_type",),
}


@dataclass
class ImportReport:
    """What an import did, per commune (INSEE code → counts) and overall."""

    lines: int = 0
    communes: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def skip(self, reason: str, line: int, text: str = "") -> None:
        self.skipped[reason] += 1
        if len(self.examples) < MAX_REPORTED:
            self.examples.append(f"ligne {line} : {reason}" + (f" ({text})" if text else ""))

    def summary(self) -> str:
        parts = [_("%(n)d ligne(s) lue(s).") % {"n": self.lines}]
        for insee, counts in sorted(self.communes.items()):
            parts.append(
                _(
                    "Commune %(insee)s : %(addresses)d adresse(s) — %(created)d ajoutée(s), "
                    "%(removed)d retirée(s), %(updated)d mise(s) à jour, %(unchanged)d "
                    "inchangée(s) ; %(split)d adresse(s) dans plusieurs bureaux."
                )
                % {"insee": insee, **counts}
            )
        for reason, count in sorted(self.skipped.items()):
            parts.append(_("Ignorée(s), %(reason)s : %(n)d.") % {"reason": reason, "n": count})
        return "\n".join(parts)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(_("Le fichier n'est ni en UTF-8 ni en Latin-1."))


def _header_map(header: list[str]) -> dict[str, int]:
    folded = [fold(name).lower().replace(" ", "_") for name in header]
    found: dict[str, int] = {}
    for name, aliases in _COLUMNS.items():
        for alias in aliases:
            key = fold(alias).lower().replace(" ", "_")
            if key in folded:
                found[name] = folded.index(key)
                break
    if "bureau" not in found:
        raise ValidationError(_("Colonne « bureau » absente : le fichier ne peut pas être lu."))
    if "address" not in found and "street" not in found:
        raise ValidationError(
            _("Colonne « adresse » (ou « numero_voie_reu » et « voie_reu ») absente.")
        )
    return found


def bureau_number(text: str) -> int | None:
    """``12``, ``0012``, ``94068_0012``, ``BV12`` → 12; anything else None."""
    match = re.search(r"(\d{1,4})\s*$", text.strip())
    if not match:
        return None
    number = int(match.group(1))
    return number if 0 < number <= MAX_BUREAU else None


def _float(text: str) -> float | None:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return value if -180.0 <= value <= 180.0 else None


class _Communes:
    """Finds a line's commune: by INSEE code, else by name (and postcode) in the territory."""

    def __init__(self) -> None:
        self.by_code: dict[str, Authority] = {}
        self.by_name: dict[str, list[Authority]] = defaultdict(list)
        self.by_postcode: dict[str, list[Authority]] = defaultdict(list)
        for authority in Authority.objects.filter(kind=Authority.Kind.COMMUNE):
            self.by_code[authority.insee_code] = authority
            self.by_name[_city_key(authority.name)].append(authority)
            for code in authority.postal_codes.split():
                self.by_postcode[code].append(authority)

    def find(self, insee: str, city: str, postcode: str) -> Authority | None:
        if insee:
            return self.by_code.get(insee.strip().zfill(5))
        named = self.by_name.get(_city_key(city), [])
        if len(named) > 1 and postcode:
            named = [a for a in named if postcode in a.postal_codes.split()]
        if len(named) == 1:
            return named[0]
        # A quarter with its own postcode ("La Varenne-Saint-Hilaire", 94210, is in
        # Saint-Maur-des-Fossés): the postcode alone, when it belongs to one commune only.
        by_code = self.by_postcode.get(postcode.strip(), [])
        return by_code[0] if len(by_code) == 1 and not named else None


def _city_key(name: str) -> str:
    return street_key(name)


@dataclass
class _Entry:
    street: str
    label: str
    ban_label: str
    number: int | None
    repetition: str
    bureau: int
    lines: int = 1
    latitude: float | None = None
    longitude: float | None = None
    ban_id: str = ""


def _label(raw_street: str) -> str:
    """The roll's text of a street in title case ("RUE DU BAC" → "Rue du Bac")."""
    words = raw_street.split()
    small = {"de", "du", "des", "la", "le", "les", "l", "d", "et", "en", "aux", "au", "sur"}
    titled = [
        w.lower() if w.lower() in small and i else w.capitalize() for i, w in enumerate(words)
    ]
    return " ".join(titled)[:200]


def _read(data: bytes, only: Authority | None, report: ImportReport) -> dict[int, list[_Entry]]:
    text = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(rows, None)
    if not header:
        raise ValidationError(_("Le fichier est vide."))
    columns = _header_map(header)
    communes = _Communes()
    entries: dict[int, dict[tuple[str, int | None, str, int], _Entry]] = defaultdict(dict)

    def cell(row: list[str], name: str) -> str:
        position = columns.get(name)
        return row[position].strip() if position is not None and position < len(row) else ""

    for line, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue
        report.lines += 1
        raw = cell(row, "address")
        if not raw:
            raw = f"{cell(row, 'number')} {cell(row, 'street')}".strip()
        bureau = bureau_number(cell(row, "bureau"))
        if bureau is None:
            report.skip(_("numéro de bureau illisible"), line, cell(row, "bureau"))
            continue
        if not raw:
            report.skip(_("adresse vide"), line)
            continue
        parsed = parse_address(raw)
        if not parsed.street or (parsed.number or 0) > MAX_NUMBER:
            report.skip(_("adresse illisible"), line, raw[:80])
            continue
        commune = communes.find(cell(row, "insee"), cell(row, "city"), cell(row, "postcode"))
        if commune is None:
            report.skip(_("commune introuvable ou ambiguë"), line, cell(row, "city")[:60])
            continue
        if only is not None and commune.pk != only.pk:
            report.skip(_("adresse d'une autre commune"), line, commune.name)
            continue
        key = (parsed.street, parsed.number, parsed.repetition, bureau)
        known = entries[commune.pk].get(key)
        if known is not None:
            known.lines += 1
            continue
        street_raw = raw
        match = re.match(r"^\s*\d+\s*(?:bis|ter|quater|[a-h])?\b[\s,-]*", raw, re.IGNORECASE)
        if match and parsed.number is not None:
            street_raw = raw[match.end() :]
        ban_street = (
            cell(row, "ban_street") or cell(row, "ban_name")
            if cell(row, "ban_type") in ("", "housenumber", "street")
            else ""
        )
        entries[commune.pk][key] = _Entry(
            street=parsed.street,
            label=_label(street_raw),
            ban_label=ban_street[:200] if street_key(ban_street) == parsed.street else "",
            number=parsed.number,
            repetition=parsed.repetition,
            bureau=bureau,
            latitude=_float(cell(row, "latitude")),
            longitude=_float(cell(row, "longitude")),
            ban_id=cell(row, "ban_id")[:60],
        )
    return {pk: list(found.values()) for pk, found in entries.items()}


def _streets(commune: Authority, labels: dict[str, str]) -> dict[str, Street]:
    """The commune's streets by key, the missing ones created."""
    existing = {s.key: s for s in Street.objects.filter(commune=commune)}
    missing = [
        Street(commune=commune, key=key, name_key=street_name_part(key), label=label)
        for key, label in labels.items()
        if key not in existing
    ]
    Street.objects.bulk_create(missing, batch_size=2000)
    relabelled = [s for key, s in existing.items() if key in labels and s.label != labels[key]]
    for street in relabelled:
        street.label = labels[street.key]
    Street.objects.bulk_update(relabelled, ["label"], batch_size=2000)
    if missing:
        existing = {s.key: s for s in Street.objects.filter(commune=commune)}
    return existing


def _replace(commune: Authority, found: list[_Entry]) -> dict[str, int]:
    # The BAN's label (accents, case) wherever one line of the street has it, else the roll's.
    labels: dict[str, str] = {e.street: e.ban_label for e in found if e.ban_label}
    for entry in found:
        labels.setdefault(entry.street, entry.label)
    streets = _streets(commune, labels)
    current = {
        (a.street.key, a.number, a.repetition, a.bureau): a
        for a in AssignedAddress.objects.filter(street__commune=commune).select_related("street")
    }
    wanted = {(e.street, e.number, e.repetition, e.bureau): e for e in found}
    removed = [a.pk for key, a in current.items() if key not in wanted]
    created: list[AssignedAddress] = []
    updated: list[AssignedAddress] = []
    fields = ("lines", "latitude", "longitude", "ban_id")
    for key, entry in wanted.items():
        row = current.get(key)
        if row is None:
            created.append(
                AssignedAddress(
                    street=streets[entry.street],
                    number=entry.number,
                    repetition=entry.repetition,
                    bureau=entry.bureau,
                    lines=entry.lines,
                    latitude=entry.latitude,
                    longitude=entry.longitude,
                    ban_id=entry.ban_id,
                )
            )
        elif any(getattr(row, name) != getattr(entry, name) for name in fields):
            for name in fields:
                setattr(row, name, getattr(entry, name))
            updated.append(row)
    for start in range(0, len(removed), 900):
        AssignedAddress.objects.filter(pk__in=removed[start : start + 900]).delete()
    AssignedAddress.objects.bulk_create(created, batch_size=2000)
    AssignedAddress.objects.bulk_update(updated, fields, batch_size=2000)
    # Streets left with neither addresses nor rules are forgotten (autocomplete, suggestions).
    Street.objects.filter(commune=commune, addresses__isnull=True, rules__isnull=True).delete()
    by_address: dict[tuple[str, int | None, str], set[int]] = defaultdict(set)
    for entry in found:
        by_address[(entry.street, entry.number, entry.repetition)].add(entry.bureau)
    return {
        "addresses": len(by_address),
        "created": len(created),
        "removed": len(removed),
        "updated": len(updated),
        "unchanged": len(wanted) - len(created) - len(updated),
        "split": sum(1 for bureaux in by_address.values() if len(bureaux) > 1),
    }


def _check_may_publish(actor: Actor, communes: list[Authority]) -> None:
    if actor is None:
        return
    allowed = set(
        authorities_publishable_by(actor)
        .filter(pk__in=[c.pk for c in communes])
        .values_list("pk", flat=True)
    )
    refused = sorted(c.name for c in communes if c.pk not in allowed)
    if refused:
        raise PermissionDenied(
            _("Vous ne publiez pas pour la commune : %(names)s.") % {"names": ", ".join(refused)}
        )


@service
def assignment_import(
    *,
    actor: Actor,
    data: bytes,
    source: str,
    source_date: datetime.date | None = None,
    commune: Authority | None = None,
) -> ImportReport:
    """Replace the assignment of every commune of the file (or only of ``commune``) with the
    file's. For the publishers of those communes; ``actor=None`` is the system."""
    from polling.opendata import publish_commune_dataset

    source = source.strip()[:300]
    if not source:
        raise ValidationError({"source": [_("Indiquez la source des données.")]})
    report = ImportReport()
    found = _read(data, commune, report)
    communes = list(Authority.objects.filter(pk__in=list(found)).order_by("insee_code"))
    _check_may_publish(actor, communes)
    now = timezone.now()
    for authority in communes:
        counts = _replace(authority, found[authority.pk])
        report.communes[authority.insee_code] = counts
        reference, _created = CommuneReference.objects.update_or_create(
            commune=authority,
            defaults={
                "source": source,
                "source_date": source_date,
                "imported_at": now,
                "addresses": counts["addresses"],
                "split_addresses": counts["split"],
                "updated_at": now,
            },
        )
        publish_commune_dataset(actor=actor, reference=reference)
        audit_record(
            actor=actor,
            action=AuditEvent.Action.IMPORT,
            authority=authority,
            what="polling_assignment",
            source=source,
            lines=sum(e.lines for e in found[authority.pk]),
            counts=counts,
        )
    return report


# --- street-range rules ----------------------------------------------------------------------


def _street_for(commune: Authority, label: str) -> Street:
    label = " ".join(label.split())[:200]
    key = street_key(label)
    if not key:
        raise ValidationError({"street": [_("Indiquez la voie.")]})
    street = Street.objects.filter(commune=commune, key=key).first()
    if street is None:
        street = Street.objects.create(
            commune=commune, key=key, name_key=street_name_part(key), label=label
        )
    return street


def _rule_fields(
    number_from: int | None, number_to: int | None, parity: str, bureau: int | None, reference: str
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    if parity not in Parity.values:
        errors["parity"] = [_("Choisissez le côté : pairs, impairs, ou les deux.")]
    for name, value in (("number_from", number_from), ("number_to", number_to)):
        if value is not None and not 0 < value <= MAX_NUMBER:
            errors[name] = [_("Un numéro va de 1 à %(n)d.") % {"n": MAX_NUMBER}]
    if number_from is not None and number_to is not None and number_to < number_from:
        errors["number_to"] = [_("Le dernier numéro précède le premier.")]
    if bureau is None or not 0 < bureau <= MAX_BUREAU:
        errors["bureau"] = [_("Indiquez le numéro du bureau (1 à %(n)d).") % {"n": MAX_BUREAU}]
    reference = " ".join(reference.split())[:200]
    if not reference:
        errors["reference"] = [_("Indiquez l'arrêté qui fixe ce découpage.")]
    if errors:
        raise ValidationError(errors)
    return {
        "number_from": number_from,
        "number_to": number_to,
        "parity": parity,
        "bureau": bureau,
        "reference": reference,
    }


def _check_overlap(street: Street, fields: dict[str, Any], exclude: int | None = None) -> None:
    """Two rules of one street may not give one number two bureaux."""
    low, high = fields["number_from"] or 0, fields["number_to"] or MAX_NUMBER
    others = street.rules.all() if exclude is None else street.rules.exclude(pk=exclude)
    for other in others:
        if other.bureau == fields["bureau"]:
            continue
        sides = {fields["parity"], other.parity}
        if sides == {"even", "odd"}:
            continue
        if low <= (other.number_to or MAX_NUMBER) and (other.number_from or 0) <= high:
            raise ValidationError(
                {
                    "number_from": [
                        _(
                            "Ces numéros sont déjà attribués au bureau %(b)d par une autre "
                            "règle de cette voie (%(rule)s)."
                        )
                        % {"b": other.bureau, "rule": other.describe()}
                    ]
                }
            )


@service
def rule_create(
    *,
    actor: Actor,
    commune: Authority,
    street: str,
    bureau: int | None,
    reference: str,
    number_from: int | None = None,
    number_to: int | None = None,
    parity: str = Parity.ALL,
) -> StreetRule:
    """Record one line of the commune's arrêté."""
    _check_may_publish(actor, [commune])
    fields = _rule_fields(number_from, number_to, parity, bureau, reference)
    found = _street_for(commune, street)
    _check_overlap(found, fields)
    rule = StreetRule.objects.create(
        street=found,
        created_by=actor if isinstance(actor, User) else None,
        **fields,
    )
    _touch(actor, commune)
    _audit_rule(actor, AuditEvent.Action.CREATE, commune, rule)
    return rule


@service
def rule_edit(
    *,
    actor: Actor,
    rule: StreetRule,
    bureau: int | None,
    reference: str,
    number_from: int | None = None,
    number_to: int | None = None,
    parity: str = Parity.ALL,
) -> StreetRule:
    commune = rule.street.commune
    _check_may_publish(actor, [commune])
    fields = _rule_fields(number_from, number_to, parity, bureau, reference)
    _check_overlap(rule.street, fields, exclude=rule.pk)
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.save()
    _touch(actor, commune)
    _audit_rule(actor, AuditEvent.Action.UPDATE, commune, rule)
    return rule


@service
def rule_delete(*, actor: Actor, rule: StreetRule) -> None:
    commune = rule.street.commune
    _check_may_publish(actor, [commune])
    street = rule.street
    _audit_rule(actor, AuditEvent.Action.WITHDRAW, commune, rule)
    rule.delete()
    if not street.addresses.exists() and not street.rules.exists():
        street.delete()
    _touch(actor, commune)


def _audit_rule(actor: Actor, action: str, commune: Authority, rule: StreetRule) -> None:
    audit_record(
        actor=actor,
        action=action,
        authority=commune,
        what="polling_rule",
        rule=rule.pk,
        street=rule.street.label,
        bureau=rule.bureau,
        span=rule.describe(),
    )


RULE_COLUMNS = ("voie", "de", "a", "cote", "bureau", "arrete")
_PARITY_WORDS = {
    "": Parity.ALL,
    "tous": Parity.ALL,
    "les deux": Parity.ALL,
    "pairs et impairs": Parity.ALL,
    "all": Parity.ALL,
    "pair": Parity.EVEN,
    "pairs": Parity.EVEN,
    "even": Parity.EVEN,
    "impair": Parity.ODD,
    "impairs": Parity.ODD,
    "odd": Parity.ODD,
}


def _optional_int(text: str, line: int, column: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValidationError(
            _("Ligne %(line)d, colonne « %(col)s » : « %(text)s » n'est pas un nombre.")
            % {"line": line, "col": column, "text": text[:20]}
        )
    return int(text)


@service
def rules_import(*, actor: Actor, commune: Authority, data: bytes) -> int:
    """Replace the commune's rules with a CSV's (columns ``voie;de;a;cote;bureau;arrete``;
    ``cote``: pairs, impairs or empty for both). The whole file is checked first: one bad line
    imports nothing and the error says which. Returns the number of rules."""
    _check_may_publish(actor, [commune])
    text = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        raise ValidationError(_("Le fichier est vide."))
    header = [fold(c).lower() for c in rows[0]]
    missing = [c for c in RULE_COLUMNS if c not in header]
    if missing:
        raise ValidationError(
            _("Colonnes attendues : %(cols)s ; absentes : %(missing)s.")
            % {"cols": ";".join(RULE_COLUMNS), "missing": ", ".join(missing)}
        )
    at = {c: header.index(c) for c in RULE_COLUMNS}
    parsed: list[tuple[str, dict[str, Any]]] = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        row = row + [""] * (len(header) - len(row))
        side = _PARITY_WORDS.get(fold(row[at["cote"]]).lower())
        if side is None:
            raise ValidationError(
                _("Ligne %(line)d : côté « %(text)s » inconnu (pairs, impairs ou vide).")
                % {"line": line, "text": row[at["cote"]][:20]}
            )
        try:
            fields = _rule_fields(
                _optional_int(row[at["de"]], line, "de"),
                _optional_int(row[at["a"]], line, "a"),
                side,
                _optional_int(row[at["bureau"]], line, "bureau"),
                row[at["arrete"]],
            )
        except ValidationError as exc:
            raise ValidationError(
                _("Ligne %(line)d : %(error)s") % {"line": line, "error": " ".join(exc.messages)}
            ) from exc
        if not street_key(row[at["voie"]]):
            raise ValidationError(_("Ligne %(line)d : voie vide.") % {"line": line})
        parsed.append((row[at["voie"]], fields))
    StreetRule.objects.filter(street__commune=commune).delete()
    for line_number, (street_label, fields) in enumerate(parsed, start=2):
        street = _street_for(commune, street_label)
        try:
            _check_overlap(street, fields)
        except ValidationError as exc:
            raise ValidationError(
                _("Ligne %(line)d : %(error)s")
                % {"line": line_number, "error": " ".join(exc.messages)}
            ) from exc
        StreetRule.objects.create(
            street=street, created_by=actor if isinstance(actor, User) else None, **fields
        )
    Street.objects.filter(commune=commune, addresses__isnull=True, rules__isnull=True).delete()
    _touch(actor, commune)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.IMPORT,
        authority=commune,
        what="polling_rules",
        rules=len(parsed),
    )
    return len(parsed)


def _touch(actor: Actor, commune: Authority) -> None:
    """The commune's reference exists (rules alone are a source) and its dataset is there."""
    from polling.opendata import publish_commune_dataset

    reference, _created = CommuneReference.objects.get_or_create(
        commune=commune, defaults={"source": _("Arrêté de la commune")}
    )
    CommuneReference.objects.filter(pk=reference.pk).update(updated_at=timezone.now())
    publish_commune_dataset(actor=actor, reference=reference)

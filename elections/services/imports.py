"""Imports of the elections app: polling-station contours (a GeoJSON layer of bureaux) and the
Ministry of the Interior's result files by bureau.

Result files come in several layouts, all handled by one reader:

- 2024 (UTF-8, ``;``): fixed columns (``Code département``, ``Code commune`` on five
  characters, ``Code BV`` not padded, ``Inscrits`` …) then numbered groups per candidate
  (``Numéro de panneau i;Nuance candidat i;Nom candidat i;…;Voix i;…;Elu i``) or per list
  (``Nuance liste i;Libellé abrégé de liste i;Libellé de liste i;Voix i;…;Sièges i``);
- 2017 to 2022 (latin-1, ``;``): ``Code du département`` + ``Code de la commune`` on three digits
  (``29`` + ``019`` = ``29019``), ``Code du b.vote``, and one header group (``N°Panneau;Sexe;
  Nom;Prénom;Nuance;Voix;…``) that the rows repeat, unnamed, once per candidate.

The whole file is read and checked before anything is written: a malformed file (a required
column missing, a non-number where a number is required, a wrong column count) imports
nothing and the ``ValidationError`` says, in French, which line and which column is wrong.
Bureaux are matched on the canonical code (``station_code``) whatever the source's padding;
rows of an unknown bureau are reported, not an error. Each bureau is then recorded with
``record_official`` (its arithmetic checks apply: a row that does not add up is reported as
an error and skipped). Importing the same file again changes nothing.

A legislative file may cover several circonscriptions whose ballots reuse the same panel
numbers (panel 3 is one candidate in the 2nd circonscription, another in the 3rd). A round
keys its candidates by panel, so a second candidate on an already-used panel gets panel
``p + 100`` (then ``p + 200`` …), and a bureau records 0 for the candidates who were not on
its ballot. Re-imports find the candidates again by name, so the numbering is stable.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from core.transactions import service
from documents.selectors import authorities_publishable_by
from elections.models import (
    BureauResult,
    Candidate,
    PollingStation,
    Round,
    RoundStatus,
    station_code,
)
from elections.selectors import elections_managed_by, stations_in_force
from elections.services.elections import (
    candidates_set_step,
    round_expect_step,
    station_save_step,
)
from elections.services.results import record_official
from identity.models import Authority, User

Actor = User | AnonymousUser | None

MAX_REPORTED_FORMAT_ERRORS = 20
MAX_NUMBER = 10_000_000


@dataclass
class ImportReport:
    """What an import did. ``created``/``updated``/``unchanged`` count bureaux (stations, or
    bureaux whose result was recorded); ``unmatched`` lists what was left aside (dicts with
    ``line``, ``code``, ``commune``, ``reason``); ``errors`` the rows refused."""

    subject: str = "results"  # "stations" or "results"
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    closed: int = 0  # stations: earlier periods ended by this import
    candidates: int = 0  # results: candidates or lists of the round after the import
    layout: str = ""

    def summary(self) -> str:
        if self.subject == "stations":
            text = _(
                "Bureaux de vote : %(created)d créé(s), %(updated)d mis à jour, "
                "%(unchanged)d inchangé(s), %(unmatched)d non importé(s), "
                "%(closed)d période(s) précédente(s) close(s)."
            ) % {
                "created": self.created,
                "updated": self.updated,
                "unchanged": self.unchanged,
                "unmatched": len(self.unmatched),
                "closed": self.closed,
            }
        else:
            text = _(
                "Résultats : %(created)d bureau(x) enregistré(s), %(updated)d mis à jour, "
                "%(unchanged)d inchangé(s) ; %(unmatched)d ligne(s) sans bureau correspondant ; "
                "%(errors)d erreur(s) ; %(candidates)d candidat(s) ou liste(s)."
            ) % {
                "created": self.created,
                "updated": self.updated,
                "unchanged": self.unchanged,
                "unmatched": len(self.unmatched),
                "errors": len(self.errors),
                "candidates": self.candidates,
            }
        return text

    def counts(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "unmatched": len(self.unmatched),
            "errors": len(self.errors),
        }


def _norm(text: str) -> str:
    """A header or a name compared loosely: no accents, lower case, single spaces."""
    decomposed = unicodedata.normalize("NFKD", str(text).replace("\ufeff", ""))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = " ".join(plain.replace("\u00a0", " ").split()).lower()
    return plain.replace("° ", "°").replace("n° ", "n°")


def _clean_text(value: Any) -> str:
    return " ".join(str(value if value is not None else "").split())


# --- polling stations -----------------------------------------------------------------------

_NUMBER_KEYS = ("bvote", "numero", "numero_bureau", "num_bureau", "bureau", "num_bv", "code_bv")
_COMMUNE_KEYS = ("depco", "insee", "code_insee", "insee_com", "codeinsee", "code_commune")
_NAME_KEYS = ("titre", "nom", "name", "libelle")
_PLACE_KEYS = ("llieu", "lieuv", "lieu", "lieu_de_vote")
_ADDRESS_KEYS = ("adresse", "address", "adr")
_CANTON_KEYS = ("canto", "canton")
_CIRCO_KEYS = ("circo", "circonscription")


def _prop(properties: dict[str, Any], keys: Iterable[str]) -> Any:
    lowered = {str(k).lower(): v for k, v in properties.items()}
    for key in keys:
        value = lowered.get(key)
        if value is not None and str(value).strip() != "":
            return value
    return None


def _check_position(position: Any) -> bool:
    return (
        isinstance(position, list)
        and len(position) >= 2
        and all(isinstance(x, int | float) and not isinstance(x, bool) for x in position[:2])
        and -180 <= position[0] <= 180
        and -90 <= position[1] <= 90
    )


def _polygons(geometry: Any, where: str) -> list[Any]:
    """The polygons (coordinate arrays) of a GeoJSON geometry, checked as WGS84."""
    if geometry is None:
        return []
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValidationError(
            _("%(where)s : la géométrie doit être un Polygon ou un MultiPolygon GeoJSON.")
            % {"where": where}
        )
    coordinates = geometry.get("coordinates")
    polygons = [coordinates] if geometry["type"] == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons:
        raise ValidationError(_("%(where)s : coordonnées absentes.") % {"where": where})
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise ValidationError(_("%(where)s : polygone vide.") % {"where": where})
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                raise ValidationError(
                    _("%(where)s : un contour a moins de quatre points.") % {"where": where}
                )
            if not all(_check_position(p) for p in ring):
                raise ValidationError(
                    _(
                        "%(where)s : coordonnées hors de WGS84 (longitude, latitude en degrés) ; "
                        "le fichier est-il en Lambert 93 ?"
                    )
                    % {"where": where}
                )
    return list(polygons)


@dataclass
class _Bureau:
    insee: str
    number: int
    feature: int  # 1-based index of its first feature
    properties: dict[str, Any]
    polygons: list[Any] = field(default_factory=list)

    @property
    def code(self) -> str:
        return station_code(self.insee, self.number)

    def contour(self) -> dict[str, Any] | None:
        if not self.polygons:
            return None
        if len(self.polygons) == 1:
            return {"type": "Polygon", "coordinates": self.polygons[0]}
        return {"type": "MultiPolygon", "coordinates": self.polygons}

    def value(self, keys: Iterable[str]) -> Any:
        return _prop(self.properties, keys)


def _read_bureaux(data: bytes, commune: Authority | None) -> list[_Bureau]:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise ValidationError(
            _("Le fichier n'est pas un GeoJSON valide (JSON illisible).")
        ) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ValidationError(_("Le fichier doit être une FeatureCollection GeoJSON."))
    crs = json.dumps(document.get("crs") or "")
    if document.get("crs") and not re.search(r"CRS84|4326", crs):
        raise ValidationError(
            _("Le fichier doit être en WGS84 (EPSG:4326) ; système déclaré : %(crs)s.")
            % {"crs": crs[:80]}
        )
    features = document.get("features")
    if not isinstance(features, list):
        raise ValidationError(_("La FeatureCollection n'a pas de liste « features »."))
    bureaux: dict[tuple[str, int], _Bureau] = {}
    for index, feature in enumerate(features, start=1):
        where = _("entité n° %(n)d") % {"n": index}
        if not isinstance(feature, dict):
            raise ValidationError(
                _("%(where)s : ce n'est pas une entité GeoJSON.") % {"where": where}
            )
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            raise ValidationError(_("%(where)s : propriétés illisibles.") % {"where": where})
        raw_number = _prop(properties, _NUMBER_KEYS)
        number_text = str(raw_number if raw_number is not None else "").strip()
        if number_text.endswith(".0"):
            number_text = number_text[:-2]
        if not number_text.isdigit():
            raise ValidationError(
                _(
                    "%(where)s, propriété « BVOTE » : numéro de bureau manquant ou non "
                    "entier (%(v)s)."
                )
                % {"where": where, "v": raw_number}
            )
        raw_insee = _prop(properties, _COMMUNE_KEYS)
        insee = str(raw_insee).strip().upper() if raw_insee is not None else ""
        if not insee:
            if commune is None:
                raise ValidationError(
                    _("%(where)s, propriété « DEPCO » : code INSEE de la commune manquant.")
                    % {"where": where}
                )
            insee = commune.insee_code
        if insee.isdigit() and len(insee) == 4:
            insee = insee.zfill(5)
        polygons = _polygons(feature.get("geometry"), where)
        key = (insee, int(number_text))
        bureau = bureaux.get(key)
        if bureau is None:
            bureau = bureaux[key] = _Bureau(
                insee=insee, number=int(number_text), feature=index, properties=dict(properties)
            )
        else:  # one more part of the same bureau: merge its polygons, keep the first values
            for name, value in properties.items():
                if bureau.properties.get(name) in (None, ""):
                    bureau.properties[name] = value
        bureau.polygons.extend(polygons)
    return sorted(bureaux.values(), key=lambda b: (b.insee, b.number))


def _station_fields(bureau: _Bureau) -> dict[str, Any]:
    place = _clean_text(bureau.value(_PLACE_KEYS))
    name = _clean_text(bureau.value(_NAME_KEYS))
    if not name:
        name = _("Bureau n° %(n)d") % {"n": bureau.number}
        if place:
            name = f"{name} - {place}"
    canton_value = bureau.value(_CANTON_KEYS)
    canton = _clean_text(canton_value)
    if canton.isdigit():
        canton = _("Canton %(n)d") % {"n": int(canton)} if int(canton) else ""
    return {
        "name": name,
        "place_name": place,
        "address": _clean_text(bureau.value(_ADDRESS_KEYS)),
        "canton": canton,
        "circonscription": _clean_text(bureau.value(_CIRCO_KEYS)),
        "contour": bureau.contour(),
    }


@service
def stations_import(
    *,
    actor: Actor,
    data: bytes,
    valid_from: datetime.date,
    commune: Authority | None = None,
) -> ImportReport:
    """Create or update the polling stations of a GeoJSON layer of bureaux, in force from
    ``valid_from``. The parts of one bureau are merged into one MultiPolygon. A bureau of a
    commune unknown to the portal is reported, not imported; with ``commune``, only its
    bureaux are imported. Earlier periods of the communes imported end the day before.

    For the publishers of the communes imported (or a superuser); ``actor=None`` is the
    system (management commands)."""
    if not isinstance(valid_from, datetime.date):
        raise ValidationError({"valid_from": [_("Indiquez la date d'entrée en vigueur.")]})
    report = ImportReport(subject="stations", layout="geojson")
    bureaux = _read_bureaux(data, commune)
    codes = {b.insee for b in bureaux}
    communes: dict[str, Authority] = {}
    for authority in Authority.objects.filter(
        kind=Authority.Kind.COMMUNE, insee_code__in=codes
    ).order_by("-pk"):
        communes[authority.insee_code] = authority
    kept: list[tuple[_Bureau, Authority]] = []
    for bureau in bureaux:
        found = communes.get(bureau.insee)
        reason = ""
        if commune is not None and bureau.insee != commune.insee_code:
            reason = _("bureau d'une autre commune que %(name)s") % {"name": commune.name}
        elif found is None:
            reason = _("commune inconnue du portail")
        if reason:
            report.unmatched.append(
                {
                    "line": bureau.feature,
                    "code": bureau.code,
                    "commune": bureau.insee,
                    "reason": reason,
                }
            )
            continue
        if found is not None:
            kept.append((bureau, found))
    touched = {authority.pk: authority for _b, authority in kept}
    if actor is not None:
        allowed = set(
            authorities_publishable_by(actor)
            .filter(pk__in=list(touched))
            .values_list("pk", flat=True)
        )
        refused = [a.name for pk, a in touched.items() if pk not in allowed]
        if refused:
            raise PermissionDenied(
                _("Vous ne publiez pas pour la commune : %(names)s.")
                % {"names": ", ".join(sorted(refused))}
            )
    existing = set(
        PollingStation.objects.filter(
            code__in=[b.code for b, _a in kept], valid_from=valid_from
        ).values_list("code", flat=True)
    )
    by_commune: dict[int, dict[str, int]] = {
        pk: {"created": 0, "updated": 0, "unchanged": 0, "closed": 0} for pk in touched
    }
    for bureau, authority in kept:
        _station, changed = station_save_step(
            commune=authority,
            number=bureau.number,
            valid_from=valid_from,
            **_station_fields(bureau),
        )
        outcome = (
            "created" if bureau.code not in existing else "updated" if changed else "unchanged"
        )
        by_commune[authority.pk][outcome] += 1
    # Bureaux change on 1 March: the new layer ends the commune's earlier periods.
    end = valid_from - datetime.timedelta(days=1)
    for pk in touched:
        closing = PollingStation.objects.filter(commune_id=pk, valid_from__lt=valid_from).exclude(
            valid_to__isnull=False, valid_to__lt=valid_from
        )
        by_commune[pk]["closed"] = closing.update(valid_to=end)
    for pk, counts in by_commune.items():
        report.created += counts["created"]
        report.updated += counts["updated"]
        report.unchanged += counts["unchanged"]
        report.closed += counts["closed"]
        audit_record(
            actor=actor,
            action=AuditEvent.Action.IMPORT,
            authority=touched[pk],
            what="polling_stations",
            valid_from=valid_from.isoformat(),
            unmatched=len(report.unmatched),
            created=counts["created"],
            updated=counts["updated"],
            unchanged=counts["unchanged"],
            closed=counts["closed"],
        )
    return report


# --- result files ---------------------------------------------------------------------------

_FIXED: dict[str, tuple[str, ...]] = {
    "dept": ("code departement", "code du departement"),
    "commune": ("code commune", "code de la commune"),
    "commune_name": ("libelle commune", "libelle de la commune"),
    "bureau": (
        "code bv",
        "code du b.vote",
        "code b.vote",
        "code bureau de vote",
        "code du bureau de vote",
    ),
    "circo": (
        "code circonscription",
        "code de la circonscription",
        "code circonscription legislative",
    ),
    "inscrits": ("inscrits",),
    "votants": ("votants",),
    "exprimes": ("exprimes",),
    "blancs": ("blancs",),
    "nuls": ("nuls",),
}
_REQUIRED = ("commune", "bureau", "inscrits", "votants", "exprimes", "blancs", "nuls")
_REQUIRED_LABELS = {
    "commune": "Code commune",
    "bureau": "Code BV",
    "inscrits": "Inscrits",
    "votants": "Votants",
    "exprimes": "Exprimés",
    "blancs": "Blancs",
    "nuls": "Nuls",
}
_FIGURES = ("inscrits", "votants", "blancs", "nuls", "exprimes")
_GROUP: dict[str, tuple[str, ...]] = {
    "panel": (
        "numero de panneau",
        "n°panneau",
        "numero panneau",
        "n°liste",
        "numero de liste",
        "numero liste",
    ),
    "nuance": ("nuance candidat", "nuance liste", "nuance", "code nuance"),
    "last_name": ("nom candidat", "nom", "nom tete de liste"),
    "first_name": ("prenom candidat", "prenom", "prenom tete de liste"),
    "label_short": ("libelle abrege de liste", "libelle abrege liste"),
    "label": ("libelle de liste", "libelle liste", "libelle etendu liste"),
    "votes": ("voix",),
    "elected": ("elu",),
    "ignored": ("sexe", "sexe candidat", "sexe tete de liste", "sieges"),
}
_GROUP_BASES = {alias: name for name, aliases in _GROUP.items() for alias in aliases}
_NUMBERED = re.compile(r"^(.*?\D)\s*(\d+)$")
_Z_DEPARTMENTS = {"ZA", "ZB", "ZC", "ZD", "ZM", "ZS", "ZN", "ZP", "ZW", "ZX"}


@dataclass
class _Group:
    index: int
    panel: int
    nuance: str
    last_name: str
    first_name: str
    label: str
    votes: int
    elected: bool

    @property
    def key(self) -> tuple[str, ...]:
        if self.label:
            return ("list", _norm(self.label))
        return ("person", _norm(self.last_name), _norm(self.first_name))


@dataclass
class _Row:
    line: int
    insee: str
    commune_name: str
    bureau: str
    code: str
    figures: dict[str, int]
    groups: list[_Group]


@dataclass
class _Layout:
    name: str
    header: list[str]
    fixed: dict[str, int]
    # numbered: one dict field -> column per group; repeated: offsets in one group
    groups: list[dict[str, int]]
    repeat_from: int = -1
    repeat_width: int = 0


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _delimiter(first_line: str) -> str:
    counts = {d: len(next(csv.reader([first_line], delimiter=d))) for d in (";", "\t", ",")}
    return max(counts, key=lambda d: counts[d])


def _layout(header: list[str]) -> _Layout:
    normalised = [_norm(h) for h in header]
    fixed: dict[str, int] = {}
    for name, aliases in _FIXED.items():
        for position, text in enumerate(normalised):
            if text in aliases:
                fixed[name] = position
                break
    missing = [name for name in _REQUIRED if name not in fixed]
    if missing:
        raise ValidationError(
            _("Ligne 1 (en-tête) : colonne(s) obligatoire(s) absente(s) : %(columns)s.")
            % {"columns": ", ".join(f"« {_REQUIRED_LABELS[m]} »" for m in missing)}
        )
    numbered: dict[int, dict[str, int]] = {}
    for position, text in enumerate(normalised):
        match = _NUMBERED.match(text)
        if match and match.group(1).strip() in _GROUP_BASES:
            field_name = _GROUP_BASES[match.group(1).strip()]
            numbered.setdefault(int(match.group(2)), {}).setdefault(field_name, position)
    if any("votes" in g for g in numbered.values()):
        groups = [numbered[i] | {"_index": i} for i in sorted(numbered)]
        for group in groups:
            if "votes" not in group:
                raise ValidationError(
                    _("Ligne 1 (en-tête) : le groupe n° %(i)d n'a pas de colonne « Voix %(i)d ».")
                    % {"i": group["_index"]}
                )
        layout = "2024" if "code bv" in normalised else "numbered"
        return _Layout(name=layout, header=header, fixed=fixed, groups=groups)
    last_fixed = max(fixed.values())
    starts = [p for p, text in enumerate(normalised) if p > last_fixed and text in _GROUP_BASES]
    if not starts or "voix" not in normalised[starts[0] :]:
        raise ValidationError(
            _(
                "Ligne 1 (en-tête) : aucune colonne de voix par candidat ou par liste "
                "(« Voix 1 » ou « Voix »)."
            )
        )
    start = starts[0]
    offsets: dict[str, int] = {}
    for position in range(start, len(normalised)):
        group_field = _GROUP_BASES.get(normalised[position])
        if group_field is not None:
            offsets.setdefault(group_field, position - start)
    return _Layout(
        name="2022",
        header=header,
        fixed=fixed,
        groups=[offsets],
        repeat_from=start,
        repeat_width=len(normalised) - start,
    )


def _column_name(layout: _Layout, position: int) -> str:
    if position < len(layout.header):
        return layout.header[position].strip().lstrip("\ufeff")
    if layout.repeat_width:
        group, offset = divmod(position - layout.repeat_from, layout.repeat_width)
        base = layout.header[layout.repeat_from + offset].strip()
        return _("%(column)s (candidat n° %(n)d)") % {"column": base, "n": group + 1}
    return _("colonne %(n)d") % {"n": position + 1}


class _FormatErrors(Exception):
    pass


def _insee(dept: str, commune: str) -> str:
    commune = commune.strip().upper()
    dept = dept.strip().upper()
    if len(commune) == 5:
        return commune
    if commune.isdigit() and len(commune) == 4 and not dept:
        return commune.zfill(5)
    if not commune.isdigit() or len(commune) > 3 or not dept:
        return ""
    commune = commune.zfill(3)
    if dept in _Z_DEPARTMENTS or (dept.isdigit() and len(dept) == 3):
        return f"97{commune}"
    if dept.isdigit() and len(dept) <= 2:
        return f"{dept.zfill(2)}{commune}"
    if dept in ("2A", "2B"):
        return f"{dept}{commune}"
    return ""


def _rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ValidationError(
                _("Ligne %(line)d : ligne illisible (%(error)s).")
                % {"line": reader.line_num, "error": exc}
            ) from None
        yield reader.line_num, row


def _parse_results(data: bytes) -> tuple[_Layout, list[_Row], str]:
    text, encoding = _decode(data)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise ValidationError(_("Le fichier est vide : la ligne 1 doit être l'en-tête."))
    delimiter = _delimiter(lines[0])
    rows = _rows(text, delimiter)
    _line, header = next(rows)
    layout = _layout(header)
    errors: list[str] = []

    def fail(line: int, position: int, message: str) -> None:
        errors.append(
            _("Ligne %(line)d, colonne « %(column)s » : %(message)s")
            % {"line": line, "column": _column_name(layout, position), "message": message}
        )
        if len(errors) >= MAX_REPORTED_FORMAT_ERRORS:
            raise _FormatErrors

    def number(cells: list[str], line: int, position: int) -> int | None:
        value = cells[position].strip().replace("\u202f", "").replace("\u00a0", "")
        value = value.replace(" ", "")
        if value.endswith(".0"):
            value = value[:-2]
        if value == "":
            fail(line, position, _("nombre manquant."))
            return None
        if not value.isdigit() or int(value) > MAX_NUMBER:
            fail(line, position, _("« %(value)s » n'est pas un nombre entier.") % {"value": value})
            return None
        return int(value)

    parsed: list[_Row] = []
    width = len(header)
    try:
        for line, cells in rows:
            if not any(cell.strip() for cell in cells):
                continue
            if layout.repeat_width:
                extra = (len(cells) - layout.repeat_from) % layout.repeat_width
                trailing = cells[len(cells) - extra :] if extra else []
                if len(cells) < width or any(c.strip() for c in trailing):
                    errors.append(
                        _(
                            "Ligne %(line)d : %(count)d colonnes, alors que l'en-tête en "
                            "annonce %(base)d puis des groupes de %(width)d par candidat."
                        )
                        % {
                            "line": line,
                            "count": len(cells),
                            "base": layout.repeat_from,
                            "width": layout.repeat_width,
                        }
                    )
                    if len(errors) >= MAX_REPORTED_FORMAT_ERRORS:
                        raise _FormatErrors
                    continue
                cells = cells[: len(cells) - extra]
                group_specs = [
                    (
                        n + 1,
                        {
                            name: layout.repeat_from + n * layout.repeat_width + offset
                            for name, offset in layout.groups[0].items()
                        },
                    )
                    for n in range((len(cells) - layout.repeat_from) // layout.repeat_width)
                ]
            else:
                if len(cells) > width and not any(c.strip() for c in cells[width:]):
                    cells = cells[:width]
                if len(cells) != width:
                    errors.append(
                        _("Ligne %(line)d : %(count)d colonnes au lieu de %(width)d.")
                        % {"line": line, "count": len(cells), "width": width}
                    )
                    if len(errors) >= MAX_REPORTED_FORMAT_ERRORS:
                        raise _FormatErrors
                    continue
                group_specs = [
                    (g["_index"], {k: v for k, v in g.items() if k != "_index"})
                    for g in layout.groups
                ]
            figures: dict[str, int] = {}
            for name in _FIGURES:
                value = number(cells, line, layout.fixed[name])
                if value is not None:
                    figures[name] = value
            groups: list[_Group] = []
            for index, spec in group_specs:
                used = [p for k, p in spec.items() if k != "ignored"]
                if not any(cells[p].strip() for p in used):
                    continue
                panel = index
                if "panel" in spec:
                    read = number(cells, line, spec["panel"])
                    if read is None:
                        continue
                    panel = read
                votes = number(cells, line, spec["votes"])

                def cell(name: str, spec: dict[str, int] = spec, cells: list[str] = cells) -> str:
                    return _clean_text(cells[spec[name]]) if name in spec else ""

                label = cell("label_short") or cell("label")
                last_name = cell("last_name")
                if not (label or last_name):
                    fail(
                        line,
                        spec.get("last_name", spec.get("label", spec["votes"])),
                        _("nom du candidat ou libellé de la liste manquant."),
                    )
                    continue
                if votes is None:
                    continue
                groups.append(
                    _Group(
                        index=index,
                        panel=panel,
                        nuance=cell("nuance"),
                        last_name=last_name,
                        first_name=cell("first_name"),
                        label=label,
                        votes=votes,
                        elected=_norm(cell("elected")).startswith("elu"),
                    )
                )
            dept = cells[layout.fixed["dept"]] if "dept" in layout.fixed else ""
            insee = _insee(dept, cells[layout.fixed["commune"]])
            bureau = cells[layout.fixed["bureau"]].strip()
            code = station_code(insee, bureau) if insee and bureau.isdigit() else ""
            commune_name = (
                _clean_text(cells[layout.fixed["commune_name"]])
                if "commune_name" in layout.fixed
                else ""
            )
            parsed.append(
                _Row(
                    line=line,
                    insee=insee,
                    commune_name=commune_name,
                    bureau=bureau,
                    code=code,
                    figures=figures,
                    groups=groups,
                )
            )
    except _FormatErrors:
        pass
    if errors:
        raise ValidationError(
            [_("Fichier mal formé, rien n'a été importé.")]
            + errors
            + (
                [_("(Seules les %(n)d premières erreurs sont indiquées.)") % {"n": len(errors)}]
                if len(errors) >= MAX_REPORTED_FORMAT_ERRORS
                else []
            )
        )
    return layout, parsed, encoding


_COLOURS = {
    "EXG": "#8b1a1a",
    "LO": "#8b1a1a",
    "COM": "#d40000",
    "FI": "#c9462c",
    "LFI": "#c9462c",
    "UG": "#e4007c",
    "SOC": "#ed6f8c",
    "RDG": "#f2a0b5",
    "DVG": "#f08080",
    "VEC": "#2e8b57",
    "ECO": "#3a9d5d",
    "REG": "#c58f00",
    "DIV": "#8c8c8c",
    "ENS": "#ffbf00",
    "DVC": "#f5a623",
    "UDI": "#00a3e0",
    "HOR": "#2d9cdb",
    "LR": "#0055a4",
    "DVD": "#6e9fd4",
    "DSV": "#5a4a8a",
    "REC": "#404040",
    "RN": "#0d2240",
    "UXD": "#142850",
    "EXD": "#3b2f2f",
}


def _candidate_key(candidate: Candidate) -> tuple[str, ...]:
    if candidate.label:
        return ("list", _norm(candidate.label))
    return ("person", _norm(candidate.last_name), _norm(candidate.first_name))


def _assign_panels(
    round: Round, rows: list[_Row]
) -> tuple[dict[tuple[str, ...], int], list[dict[str, Any]]]:
    """The round's panel for each candidate of the file, and the candidates to save."""
    identities: dict[tuple[str, ...], _Group] = {}
    elected: set[tuple[str, ...]] = set()
    for row in rows:
        for group in row.groups:
            identities.setdefault(group.key, group)
            if group.elected:
                elected.add(group.key)
    existing = list(round.candidates.all())
    by_panel = {c.panel: c for c in existing}
    taken: dict[int, tuple[str, ...]] = {}
    panels: dict[tuple[str, ...], int] = {}
    # First the candidates the round already has, found by name (a re-import).
    for key, group in identities.items():
        same = [c for c in existing if _candidate_key(c) == key and c.panel not in taken]
        same.sort(
            key=lambda c: (c.panel != group.panel, c.panel % 100 != group.panel % 100, c.panel)
        )
        if same:
            panels[key] = same[0].panel
            taken[same[0].panel] = key
    # Then the new ones: their own panel if free, else the same panel a hundred further.
    for key, group in identities.items():
        if key in panels:
            continue
        candidates = [group.panel] + [group.panel + 100 * k for k in range(1, 10)]
        for panel in candidates:
            if panel > 999 or panel in taken:
                continue
            if panel != group.panel and panel in by_panel:
                continue
            panels[key] = panel
            taken[panel] = key
            break
        else:
            raise ValidationError(
                _("Trop de candidats sur le panneau n° %(panel)d.") % {"panel": group.panel}
            )
    data: list[dict[str, Any]] = []
    for key, group in identities.items():
        panel = panels[key]
        current = by_panel.get(panel)
        item: dict[str, Any] = {
            "panel": panel,
            "nuance": group.nuance,
            "last_name": group.last_name,
            "first_name": group.first_name,
            "label": group.label,
            "elected": key in elected,
        }
        if current is not None:
            item["colour"] = current.colour  # a colour chosen by a manager stays
        elif group.nuance.upper() in _COLOURS:
            item["colour"] = _COLOURS[group.nuance.upper()]
        data.append(item)
    return panels, data


@service
def results_import(*, actor: Actor, round: Round, data: bytes, filename: str = "") -> ImportReport:
    """Import the official results by bureau of ``round`` from a ministry file (see the
    module's docstring for the layouts). Only the bureaux in force on the round's date in the
    election's territory (its owner and the authorities below it) are recorded.

    For the managers of the election; ``actor=None`` is the system (management commands)."""
    round = Round.objects.select_for_update().select_related("election__owner").get(pk=round.pk)
    if actor is not None and not elections_managed_by(actor).filter(pk=round.election_id).exists():
        raise PermissionDenied(_("Vous ne gérez pas cette élection."))
    layout, rows, encoding = _parse_results(data)
    report = ImportReport(subject="results", layout=layout.name)
    codes = {row.code for row in rows if row.code}
    stations: dict[str, PollingStation] = {}
    for station in (
        stations_in_force(round.date)
        .filter(code__in=codes)
        .select_related("commune")
        .order_by("code", "valid_from")
    ):
        stations[station.code] = station  # the latest period wins
    territory = set(Authority.objects.subtree_of(round.election.owner).values_list("pk", flat=True))
    matched: list[tuple[_Row, PollingStation]] = []
    seen: dict[str, int] = {}
    for row in rows:
        found = stations.get(row.code)
        reason = ""
        if not row.code:
            reason = _("code de bureau illisible")
        elif found is None:
            reason = _("aucun bureau de vote en vigueur le %(date)s") % {
                "date": round.date.strftime("%d/%m/%Y")
            }
        elif found.commune_id not in territory:
            reason = _("bureau hors du territoire de l'élection")
        if reason:
            report.unmatched.append(
                {
                    "line": row.line,
                    "code": row.code or f"{row.insee}:{row.bureau}",
                    "commune": row.commune_name or row.insee,
                    "reason": reason,
                }
            )
            continue
        if found is None:
            continue
        if row.code in seen:
            report.errors.append(
                _("Ligne %(line)d (%(code)s) : bureau déjà présent ligne %(first)d, ignoré.")
                % {"line": row.line, "code": row.code, "first": seen[row.code]}
            )
            continue
        seen[row.code] = row.line
        matched.append((row, found))
    if matched:
        panels, candidates = _assign_panels(round, [row for row, _s in matched])
        candidates_set_step(round=round, candidates=candidates)
        round_expect_step(round=round, stations=[station for _r, station in matched])
        all_panels = list(round.candidates.values_list("panel", flat=True))
        results = {
            r.station_id: r
            for r in BureauResult.objects.filter(
                round=round, station__in=[s for _r, s in matched]
            ).select_related("round", "station", "published")
        }
        now = timezone.now()
        for row, station in matched:
            result = results[station.pk]
            votes: dict[int | str, Any] = dict.fromkeys(all_panels, 0)
            for group in row.groups:
                votes[panels[group.key]] = group.votes
            had_published = result.published_id is not None
            try:
                with transaction.atomic():
                    version = record_official(
                        actor=actor, result=result, figures=row.figures, votes=votes, now=now
                    )
            except ValidationError as error:
                report.errors.append(
                    _("Ligne %(line)d (%(code)s) : %(message)s")
                    % {"line": row.line, "code": row.code, "message": " ".join(error.messages)}
                )
                continue
            if version is None:
                report.unchanged += 1
            elif had_published:
                report.updated += 1
            else:
                report.created += 1
        if (report.created or report.updated) and round.status == RoundStatus.PREPARING:
            Round.objects.filter(pk=round.pk).update(status=RoundStatus.COUNTING)
    report.candidates = round.candidates.count()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.IMPORT,
        authority=round.election.owner,
        election=round.election.slug,
        round=round.number,
        what="election_results",
        filename=(filename or "")[:200],
        layout=layout.name,
        encoding=encoding,
        candidates=report.candidates,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        unmatched=len(report.unmatched),
        errors=len(report.errors),
    )
    return report

"""Reading and scoping the official territory files (Etalab ``decoupage-administratif``).

Pure functions, no database: they load the JSON files, check every entry, and select the part of
France asked for. ``identity.services.territory_import`` writes the result; the extract command
writes the same selection back as JSON (that is how the demo fixture in the repo was made).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FILES = ("regions.json", "departements.json", "epci.json", "communes.json")
OPTIONAL_FILES = {"departements.json"}

# Two digits for the 18 régions; three for the overseas collectivities (975, 977, 984...).
REGION_CODE = re.compile(r"^\d{2,3}$")
DEPARTEMENT_CODE = re.compile(r"^(\d{2}|2[AB]|9\d\d)$")
COMMUNE_CODE = re.compile(r"^[0-9][0-9AB][0-9]{3}$")
SIREN = re.compile(r"^\d{9}$")
CURRENT_COMMUNE = "commune-actuelle"


class TerritoryFileError(ValueError):
    """The files are not the official territory files; nothing must be imported."""


@dataclass
class TerritoryData:
    regions: list[dict[str, Any]] = field(default_factory=list)
    departements: list[dict[str, Any]] = field(default_factory=list)
    epcis: list[dict[str, Any]] = field(default_factory=list)
    communes: list[dict[str, Any]] = field(default_factory=list)
    # EPCI SIREN -> région code of its seat, read from the full commune list before scoping
    # (the seat of an interregional EPCI may lie outside the imported région).
    seat_regions: dict[str, str] = field(default_factory=dict)

    def as_files(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "regions.json": self.regions,
            "departements.json": self.departements,
            "epci.json": self.epcis,
            "communes.json": self.communes,
        }


def _read_list(path: Path) -> list[dict[str, Any]]:
    try:
        with path.open(encoding="utf-8") as handle:
            content = json.load(handle)
    except json.JSONDecodeError as exc:
        raise TerritoryFileError(
            f"{path.name} : JSON invalide (ligne {exc.lineno}, colonne {exc.colno}) : {exc.msg}."
        ) from exc
    except UnicodeDecodeError as exc:
        raise TerritoryFileError(f"{path.name} : le fichier n'est pas encodé en UTF-8.") from exc
    if not isinstance(content, list):
        raise TerritoryFileError(f"{path.name} : une liste d'objets était attendue.")
    for index, entry in enumerate(content, start=1):
        if not isinstance(entry, dict):
            raise TerritoryFileError(f"{path.name}, entrée n° {index} : un objet était attendu.")
    return content


def _check(
    entries: list[dict[str, Any]], filename: str, rules: dict[str, re.Pattern[str] | None]
) -> None:
    """Every entry has each field of ``rules``, as a non-empty string matching its pattern."""
    for index, entry in enumerate(entries, start=1):
        label = f"{filename}, entrée n° {index}"
        if isinstance(entry.get("code"), str):
            label += f" (code {entry['code']})"
        for name, pattern in rules.items():
            value = entry.get(name)
            if not isinstance(value, str) or not value.strip():
                raise TerritoryFileError(f"{label} : le champ « {name} » est absent ou vide.")
            if pattern is not None and not pattern.match(value):
                raise TerritoryFileError(
                    f"{label} : le champ « {name} » a une valeur invalide ({value!r})."
                )


def _check_optional_siren(entries: list[dict[str, Any]], filename: str) -> None:
    for index, entry in enumerate(entries, start=1):
        siren = entry.get("siren")
        if siren is not None and not (isinstance(siren, str) and SIREN.match(siren)):
            raise TerritoryFileError(
                f"{filename}, entrée n° {index} (code {entry.get('code')}) : "
                f"SIREN invalide ({siren!r})."
            )


def _check_epci_members(epcis: list[dict[str, Any]]) -> None:
    for index, entry in enumerate(epcis, start=1):
        members = entry.get("membres")
        label = f"epci.json, entrée n° {index} (code {entry.get('code')})"
        if not isinstance(members, list) or not members:
            raise TerritoryFileError(f"{label} : la liste « membres » est absente ou vide.")
        for member in members:
            code = member.get("code") if isinstance(member, dict) else None
            if not isinstance(code, str) or not COMMUNE_CODE.match(code):
                raise TerritoryFileError(f"{label} : membre invalide ({member!r}).")


def load_territory(directory: Path | str) -> TerritoryData:
    """Load and check the four files of ``directory``; raise ``TerritoryFileError`` if bad."""
    directory = Path(directory)
    if not directory.is_dir():
        raise TerritoryFileError(f"{directory} : ce dossier n'existe pas.")
    loaded: dict[str, list[dict[str, Any]]] = {}
    for name in FILES:
        path = directory / name
        if not path.exists():
            if name in OPTIONAL_FILES:
                loaded[name] = []
                continue
            raise TerritoryFileError(f"{directory} : le fichier {name} est introuvable.")
        loaded[name] = _read_list(path)
    data = TerritoryData(
        regions=loaded["regions.json"],
        departements=loaded["departements.json"],
        epcis=loaded["epci.json"],
        communes=loaded["communes.json"],
    )
    _check(data.regions, "regions.json", {"code": REGION_CODE, "nom": None})
    _check(
        data.departements,
        "departements.json",
        {"code": DEPARTEMENT_CODE, "region": REGION_CODE, "nom": None},
    )
    _check(data.epcis, "epci.json", {"code": SIREN, "nom": None})
    _check_epci_members(data.epcis)
    _check(data.communes, "communes.json", {"code": COMMUNE_CODE, "nom": None, "type": None})
    current = [c for c in data.communes if c["type"] == CURRENT_COMMUNE]
    _check(current, "communes.json", {"region": REGION_CODE, "departement": DEPARTEMENT_CODE})
    _check_optional_siren(data.communes, "communes.json")
    region_of = {c["code"]: c["region"] for c in current}
    data.seat_regions = {
        e["code"]: region_of[epci_seat_code(e)]
        for e in data.epcis
        if epci_seat_code(e) in region_of
    }
    return data


def epci_seat_code(epci: dict[str, Any]) -> str:
    """INSEE code of the EPCI's seat: the DGCL list names the seat commune first."""
    code: str = epci["membres"][0]["code"]  # a string: load_territory checked the file
    return code


def select_scope(
    data: TerritoryData, *, region: str | None = None, epci: str | None = None
) -> TerritoryData:
    """The part of the territory to import: all of France, one région, or one EPCI.

    Only current communes are kept (not delegated or associated ones, nor the municipal
    arrondissements of Paris, Lyon and Marseille, which are not authorities). An EPCI that
    spans régions belongs to the région of its seat; that région comes with it.
    """
    seat_regions = data.seat_regions
    if region and epci:
        raise TerritoryFileError("Choisissez une seule portée : une région ou un EPCI.")
    communes = [c for c in data.communes if c["type"] == CURRENT_COMMUNE]

    if region:
        if not any(r["code"] == region for r in data.regions):
            raise TerritoryFileError(f"La région {region} n'existe pas dans regions.json.")
        communes = [c for c in communes if c["region"] == region]
        codes = {c["code"] for c in communes}
        epcis = [e for e in data.epcis if any(m["code"] in codes for m in e["membres"])]
    elif epci:
        epcis = [e for e in data.epcis if e["code"] == epci]
        if not epcis:
            raise TerritoryFileError(f"L'EPCI {epci} n'existe pas dans epci.json.")
        members = {m["code"] for m in epcis[0]["membres"]}
        communes = [c for c in communes if c["code"] in members]
    else:
        return TerritoryData(
            regions=list(data.regions),
            departements=list(data.departements),
            epcis=list(data.epcis),
            communes=communes,
            seat_regions=seat_regions,
        )

    region_codes = {c["region"] for c in communes}
    region_codes |= {seat_regions[e["code"]] for e in epcis if e["code"] in seat_regions}
    departement_codes = {c["departement"] for c in communes}
    return TerritoryData(
        regions=[r for r in data.regions if r["code"] in region_codes],
        departements=[d for d in data.departements if d["code"] in departement_codes],
        epcis=epcis,
        communes=communes,
        seat_regions=seat_regions,
    )


def write_territory(data: TerritoryData, directory: Path | str) -> None:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name, entries in data.as_files().items():
        with (directory / name).open("w", encoding="utf-8") as handle:
            json.dump(entries, handle, ensure_ascii=False, indent=1)
            handle.write("\n")

"""Importing the official territory."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.transactions import service
from identity.models import (
    Authority,
)
from identity.signals import authorities_moved
from identity.territory import CURRENT_COMMUNE, TerritoryData

Kind = Authority.Kind
_FIELDS = (
    "name",
    "insee_code",
    "siren",
    "epci_type",
    "population",
    "postal_codes",
    "parent_id",
)


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def total(self, counter: dict[str, int]) -> int:
        return sum(counter.values())

    def summary(self) -> str:
        parts = []
        for kind in (Kind.REGION, Kind.OTHER, Kind.DEPARTEMENT, Kind.EPCI, Kind.COMMUNE):
            parts.append(
                f"{kind.label} : {self.created.get(kind, 0)} créé(s), "
                f"{self.updated.get(kind, 0)} mis à jour, {self.unchanged.get(kind, 0)} inchangé(s)"
            )
        return "\n".join(parts)


def _key(kind: str, insee_code: str, siren: str | None) -> tuple[str, str | None]:
    return (kind, siren if kind == Kind.EPCI else insee_code)


class _Upserter:
    """Insert-or-update authorities in bulk, keyed by their official code."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.moved: list[int] = []  # authorities whose parent changed
        self.existing: dict[tuple[str, str | None], Authority] = {}
        for authority in Authority.objects.exclude(kind=Kind.OTHER, insee_code=""):
            self.existing[_key(authority.kind, authority.insee_code, authority.siren)] = authority

    def apply(self, kind: str, rows: list[dict[str, Any]]) -> dict[str, int]:
        """Write ``rows`` (field values) of one kind; return the ids by official code."""
        to_create: list[Authority] = []
        to_update: list[Authority] = []
        unchanged = 0
        for values in rows:
            key = _key(kind, values["insee_code"], values["siren"])
            current = self.existing.get(key)
            if current is None:
                authority = Authority(kind=kind, **values)
                to_create.append(authority)
                self.existing[key] = authority
            elif any(getattr(current, name) != values[name] for name in _FIELDS):
                if current.parent_id != values["parent_id"]:
                    self.moved.append(current.pk)
                for name in _FIELDS:
                    setattr(current, name, values[name])
                to_update.append(current)
            else:
                unchanged += 1
        Authority.objects.bulk_create(to_create, batch_size=2000)
        Authority.objects.bulk_update(to_update, _FIELDS, batch_size=2000)
        self.report.created[kind] = len(to_create)
        self.report.updated[kind] = len(to_update)
        self.report.unchanged[kind] = unchanged
        # (An EPCI without SIREN has no official code to be found by.)
        return {
            code: a.pk for (k, code), a in self.existing.items() if k == kind and code is not None
        }


def _population(entry: dict[str, Any], *names: str) -> int | None:
    for name in names:
        value = entry.get(name)
        if isinstance(value, int) and value >= 0:
            return value
    return None


def _postal_codes(entry: dict[str, Any]) -> str:
    codes = entry.get("codesPostaux")
    if not isinstance(codes, list):
        return ""
    kept = [c for c in codes if isinstance(c, str) and c.isdigit() and len(c) == 5]
    return " ".join(sorted(set(kept)))[:200]


@service
def territory_import(*, data: TerritoryData) -> ImportReport:
    """Import checked territory data; re-importing updates rows and never duplicates them.

    Authorities that vanished from the files (merged communes) are kept: documents may hang on
    them. Parents: commune -> its EPCI (or its région when it belongs to none), EPCI -> région
    of its seat, département -> région.
    """
    report = ImportReport()
    upsert = _Upserter(report)

    def region_row(entry: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": entry["nom"],
            "insee_code": entry["code"],
            "siren": None,
            "epci_type": "",
            "population": None,
            "postal_codes": "",
            "parent_id": None,
        }

    # regions.json also lists the overseas collectivities (three-digit codes: 975, 987...);
    # they are not régions, and each is its own single "département" too.
    overseas = {r["code"] for r in data.regions if len(r["code"]) == 3}
    region_ids = upsert.apply(
        Kind.REGION, [region_row(r) for r in data.regions if r["code"] not in overseas]
    )
    region_ids |= upsert.apply(
        Kind.OTHER, [region_row(r) for r in data.regions if r["code"] in overseas]
    )
    upsert.apply(
        Kind.DEPARTEMENT,
        [
            {
                "name": d["nom"],
                "insee_code": d["code"],
                "siren": None,
                "epci_type": "",
                "population": None,
                "postal_codes": "",
                "parent_id": region_ids.get(d["region"]),
            }
            for d in data.departements
            if d["code"] not in overseas
        ],
    )
    epci_rows = []
    commune_epci: dict[str, str] = {}
    for entry in data.epcis:
        seat_region = data.seat_regions.get(entry["code"])
        epci_rows.append(
            {
                "name": entry["nom"],
                "insee_code": "",
                "siren": entry["code"],
                "epci_type": str(entry.get("type", ""))[:8],
                "population": _population(entry, "populationTotale", "populationMunicipale"),
                "postal_codes": "",
                "parent_id": region_ids.get(seat_region) if seat_region else None,
            }
        )
        for member in entry["membres"]:
            commune_epci[member["code"]] = entry["code"]
    epci_ids = upsert.apply(Kind.EPCI, epci_rows)
    upsert.apply(
        Kind.COMMUNE,
        [
            {
                "name": c["nom"],
                "insee_code": c["code"],
                "siren": c.get("siren"),
                "epci_type": "",
                "population": _population(c, "population"),
                "postal_codes": _postal_codes(c),
                "parent_id": epci_ids.get(commune_epci.get(c["code"], ""))
                or region_ids.get(c["region"]),
            }
            for c in data.communes
            if c["type"] == CURRENT_COMMUNE
        ],
    )
    if upsert.moved:
        # Their documents' readers (shared upward, administrators above) changed.
        authorities_moved.send(sender=Authority, authority_ids=set(upsert.moved))
    return report

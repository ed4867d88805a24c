"""The SCDL schemas' ``custom_checks`` as frictionless checks.

schema.data.gouv.fr's Table Schemas name checks that frictionless does not ship (Validata
implements them): ``french-siret-value``, ``year-interval-value``, ``cohesive-columns-value``,
``compare-columns-value``, ``sum-columns-value``, ``nomenclature-actes-value``. Each is a
frictionless ``Check`` here, built from the schema's own declaration by
``checks_from_schema``, so CI validates an export with exactly what the schema asks:

    report = validate_table(csv_bytes, schema_path)   # schema + custom checks
    report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])

An empty cell is the business of the schema's ``required`` constraint, not of these checks
(as in Validata), except for ``cohesive-columns-value``, whose whole point is empty cells.
"""

from __future__ import annotations

import datetime
import json
import operator
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs
import frictionless
from frictionless import Check, errors

from documents import actes

# La Poste's establishments share one SIREN whose SIRETs follow another rule (sum of digits).
LA_POSTE_SIREN = "356000000"


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum (SIREN and SIRET keys)."""
    if not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def siret_valid(value: str) -> bool:
    """14 digits and a valid key (Luhn; La Poste: digits summing to a multiple of 5)."""
    if len(value) != 14 or not value.isdigit():
        return False
    if value.startswith(LA_POSTE_SIREN) and value != LA_POSTE_SIREN + "00013":
        return sum(int(c) for c in value) % 5 == 0
    return luhn_valid(value)


def nic_for(siren: str, *, base: int = 1) -> str:
    """A NIC (5 digits) that makes ``siren`` + NIC a valid SIRET, starting from ``base``: the
    smallest such number not below it (``base=1`` gives 00011, 00012… whichever is valid)."""
    for number in range(base, 100000):
        nic = f"{number:05d}"
        if siret_valid(siren + nic):
            return nic
    raise ValueError(siren)


class FrenchSiretValueError(errors.CellError):
    type = "french-siret-value"
    title = "SIRET invalide"
    description = "Le numéro SIRET n'a pas 14 chiffres ou sa clé (Luhn) est fausse."
    template = "La valeur {cell} (ligne {rowNumber}, colonne {fieldName}) : {note}"


class YearIntervalValueError(errors.CellError):
    type = "year-interval-value"
    title = "Année ou intervalle d'années invalide"
    description = "La valeur doit être une année AAAA ou un intervalle AAAA/AAAA."
    template = "La valeur {cell} (ligne {rowNumber}, colonne {fieldName}) : {note}"


class CohesiveColumnsValueError(errors.RowError):
    type = "cohesive-columns-value"
    title = "Colonnes incohérentes"
    description = "Ces colonnes doivent être toutes remplies ou toutes vides."
    template = "Ligne {rowNumber} : {note}"


class CompareColumnsValueError(errors.CellError):
    type = "compare-columns-value"
    title = "Comparaison de colonnes fausse"
    description = "Deux colonnes ne sont pas dans l'ordre attendu."
    template = "La valeur {cell} (ligne {rowNumber}, colonne {fieldName}) : {note}"


class SumColumnsValueError(errors.CellError):
    type = "sum-columns-value"
    title = "Somme de colonnes fausse"
    description = "La valeur doit être la somme d'autres colonnes."
    template = "La valeur {cell} (ligne {rowNumber}, colonne {fieldName}) : {note}"


class NomenclatureActesValueError(errors.CellError):
    type = "nomenclature-actes-value"
    title = "Nomenclature ACTES invalide"
    description = "Le nom de matière ne suit pas la nomenclature ACTES."
    template = "La valeur {cell} (ligne {rowNumber}, colonne {fieldName}) : {note}"


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _ColumnsCheck(Check):
    """Every column a check names must exist in the table."""

    def columns(self) -> list[str]:
        raise NotImplementedError

    def validate_start(self) -> Iterable[frictionless.Error]:
        names = self.resource.schema.field_names
        for column in self.columns():
            if column not in names:
                yield errors.CheckError(note=f"la colonne {column!r} est manquante")


@attrs.define(kw_only=True, repr=False)
class FrenchSiretValue(_ColumnsCheck):
    type = "french-siret-value"
    Errors = [FrenchSiretValueError]
    column: str

    def columns(self) -> list[str]:
        return [self.column]

    def validate_row(self, row: frictionless.Row) -> Iterator[frictionless.Error]:
        value = row[self.column]
        if _empty(value):
            return
        if not siret_valid(str(value).strip()):
            yield FrenchSiretValueError.from_row(
                row, note="le numéro SIRET est invalide", field_name=self.column
            )


@attrs.define(kw_only=True, repr=False)
class YearIntervalValue(_ColumnsCheck):
    type = "year-interval-value"
    Errors = [YearIntervalValueError]
    column: str
    allow_year_only: bool = False

    def columns(self) -> list[str]:
        return [self.column]

    def validate_row(self, row: frictionless.Row) -> Iterator[frictionless.Error]:
        value = row[self.column]
        if _empty(value):
            return
        text = str(value).strip()
        note = ""
        if text.isdigit() and len(text) == 4:
            if not self.allow_year_only:
                note = "une année seule n'est pas admise : écrivez AAAA/AAAA"
        else:
            first, slash, second = text.partition("/")
            if not (
                slash and len(first) == len(second) == 4 and first.isdigit() and second.isdigit()
            ):
                note = "le format attendu est AAAA/AAAA"
            elif int(second) != int(first) + 1:
                note = "la seconde année doit suivre la première"
        if note:
            yield YearIntervalValueError.from_row(row, note=note, field_name=self.column)


@attrs.define(kw_only=True, repr=False)
class CohesiveColumnsValue(_ColumnsCheck):
    type = "cohesive-columns-value"
    Errors = [CohesiveColumnsValueError]
    column: str
    othercolumns: list[str]

    def columns(self) -> list[str]:
        return [self.column, *self.othercolumns]

    def validate_row(self, row: frictionless.Row) -> Iterator[frictionless.Error]:
        filled = [c for c in self.columns() if not _empty(row[c])]
        if filled and len(filled) != len(self.columns()):
            empty = [c for c in self.columns() if c not in filled]
            yield CohesiveColumnsValueError.from_row(
                row,
                note=f"les colonnes {', '.join(self.columns())} vont ensemble : "
                f"{', '.join(empty)} vide(s)",
            )


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
}


def _comparable(value: Any) -> Any:
    """Typed cells compare as they are; text that reads as a number or a date is read so."""
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            return text
    return value


@attrs.define(kw_only=True, repr=False)
class CompareColumnsValue(_ColumnsCheck):
    type = "compare-columns-value"
    Errors = [CompareColumnsValueError]
    column: str
    op: str
    column2: str

    def columns(self) -> list[str]:
        return [self.column, self.column2]

    def validate_start(self) -> Iterable[frictionless.Error]:
        if self.op not in OPERATORS:
            yield errors.CheckError(note=f"opérateur inconnu {self.op!r}")
        yield from super().validate_start()

    def validate_row(self, row: frictionless.Row) -> Iterator[frictionless.Error]:
        left, right = row[self.column], row[self.column2]
        if _empty(left) or _empty(right) or self.op not in OPERATORS:
            return
        try:
            holds = OPERATORS[self.op](_comparable(left), _comparable(right))
        except TypeError:
            holds = False
        if not holds:
            yield CompareColumnsValueError.from_row(
                row,
                note=f"{self.column} ({left}) doit être {self.op} {self.column2} ({right})",
                field_name=self.column,
            )


@attrs.define(kw_only=True, repr=False)
class SumColumnsValue(_ColumnsCheck):
    type = "sum-columns-value"
    Errors = [SumColumnsValueError]
    column: str
    columns_: list[str] = attrs.field(alias="columns")

    def columns(self) -> list[str]:
        return [self.column, *self.columns_]

    def validate_row(self, row: frictionless.Row) -> Iterator[frictionless.Error]:
        values = [row[c] for c in self.columns()]
        if any(_empty(v) for v in values):
            return
        try:
            total, *parts = (int(_comparable(v)) for v in values)
        except (TypeError, ValueError):
            return  # not numbers: the schema's type check says so
        if total != sum(parts):
            yield SumColumnsValueError.from_row(
                row,
                note=f"{self.column} ({total}) doit être la somme de "
                f"{' + '.join(self.columns_)} ({sum(parts)})",
                field_name=self.column,
            )


def _norm(text: str) -> str:
    """Lower case, without accents (Validata accepts any case, with or without accents)."""
    return "".join(
        c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn"
    )


NORMALISED_MATIERES = {_norm(label): code for code, label in actes.MATIERES.items()}
NORMALISED_NOMS = {_norm(nom): code for nom, code in actes.CODE_BY_NOM.items()}


@attrs.define(kw_only=True, repr=False)
class NomenclatureActesValue(_ColumnsCheck):
    """Validata's rule: a slash, no space around it, and a known matière before it. With
    ``code_column`` (stricter, what our exports promise), the whole name must also be the
    ACTES name of the code in that column."""

    type = "nomenclature-actes-value"
    Errors = [NomenclatureActesValueError]
    column: str
    code_column: str = ""

    def columns(self) -> list[str]:
        return [self.column, self.code_column] if self.code_column else [self.column]

    def validate_row(self, row: frictionless.Row) -> Iterator[frictionless.Error]:
        value = row[self.column]
        if _empty(value):
            return
        text = str(value)
        note = ""
        if "/" not in text:
            note = "le signe oblique « / » est manquant"
        else:
            prefix = text[: text.find("/")]
            if " /" in text or "/ " in text:
                note = "le signe oblique ne doit pas être précédé ni suivi d'espace"
            elif _norm(prefix) not in NORMALISED_MATIERES:
                note = f"le préfixe de nomenclature Actes {prefix!r} n'est pas reconnu"
            elif self.code_column:
                code = str(row[self.code_column] or "").strip()
                if NORMALISED_NOMS.get(_norm(text)) != code:
                    expected = actes.matiere_nom(code) if actes.is_subject(code) else "?"
                    note = f"ce n'est pas le nom ACTES du code {code!r} ({expected!r})"
        if note:
            yield NomenclatureActesValueError.from_row(row, note=note, field_name=self.column)


CHECKS: dict[str, type[Check]] = {
    check.type: check
    for check in (
        FrenchSiretValue,
        YearIntervalValue,
        CohesiveColumnsValue,
        CompareColumnsValue,
        SumColumnsValue,
        NomenclatureActesValue,
    )
}


def checks_from_schema(schema: dict[str, Any], *, strict: bool = False) -> list[Check]:
    """The checks a schema's ``custom_checks`` declare. ``strict``: the ACTES name is also
    checked against ``DELIB_MATIERE_CODE`` when the table has it (our own exports)."""
    built: list[Check] = []
    names = {f["name"] for f in schema.get("fields", [])}
    for declared in schema.get("custom_checks", []):
        kind, params = declared["name"], dict(declared.get("params", {}))
        if kind not in CHECKS:
            raise ValueError(f"custom check {kind!r} is not implemented")
        if kind == "year-interval-value":
            params["allow_year_only"] = params.pop("allow-year-only", "no") == "yes"
        if kind == "nomenclature-actes-value" and strict and "DELIB_MATIERE_CODE" in names:
            params["code_column"] = "DELIB_MATIERE_CODE"
        built.append(CHECKS[kind](**params))
    return built


def load_schema(path: str | Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return data


def validate_table(
    data: bytes, schema: dict[str, Any], *, strict: bool = False
) -> frictionless.Report:
    """Validate CSV bytes against a Table Schema and its custom checks."""
    table_schema = {k: v for k, v in schema.items() if k != "custom_checks"}
    resource = frictionless.Resource(
        data=data,
        format="csv",
        encoding="utf-8",
        schema=frictionless.Schema.from_descriptor(table_schema),
    )
    checklist = frictionless.Checklist(checks=checks_from_schema(schema, strict=strict))
    return resource.validate(checklist)

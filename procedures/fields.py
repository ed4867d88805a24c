"""A procedure's form: field definitions, the citizen's answers checked and typed, and shown.

A revision's ``fields`` is a list of definitions (dicts, see ``validate_definition``). The
request keeps the **raw answers** as typed (``Request.data``), so a draft never loses input;
``clean_answers`` turns them into typed values with a French message per malformed or missing
answer, and ``display_answers`` into (label, text) lines for the summary, the PDF and the CSV.

Conditions are simple: a field is shown (and only then required) when an earlier field's answer
equals a value; a hidden field's answer is ignored.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_stubs_ext import StrOrPromise
from stdnum import iban as stdnum_iban
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidFormat,
    InvalidLength,
)
from stdnum.exceptions import (
    ValidationError as StdnumError,
)
from stdnum.fr import siret as stdnum_siret

from documents.validation import EXTENSIONS
from identity.models import Authority

Field = dict[str, Any]

FIELD_TYPES: dict[str, StrOrPromise] = {
    "header": gettext_lazy("Titre de section"),
    "explanation": gettext_lazy("Texte d'explication"),
    "text": gettext_lazy("Texte court"),
    "textarea": gettext_lazy("Texte long"),
    "integer": gettext_lazy("Nombre entier"),
    "decimal": gettext_lazy("Nombre décimal"),
    "date": gettext_lazy("Date"),
    "yesno": gettext_lazy("Oui / non"),
    "checkbox": gettext_lazy("Case à cocher"),
    "choice": gettext_lazy("Choix unique"),
    "multiple": gettext_lazy("Choix multiple"),
    "email": gettext_lazy("Adresse électronique"),
    "phone": gettext_lazy("Téléphone"),
    "address": gettext_lazy("Adresse postale"),
    "commune": gettext_lazy("Commune du territoire"),
    "siret": gettext_lazy("SIRET"),
    "iban": gettext_lazy("IBAN"),
    "attachment": gettext_lazy("Pièce jointe"),
    "repeat": gettext_lazy("Bloc répétable"),
}
# Fields that only lay the form out: no answer, never required.
LAYOUT_TYPES = frozenset({"header", "explanation"})
# Fields whose answer is not in Request.data (attachment: Attachment rows) or is a list of items.
NO_VALUE_TYPES = LAYOUT_TYPES | {"attachment", "repeat"}
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
DEFAULT_ALLOWED_TYPES = ["pdf", "jpg", "jpeg", "png"]
DEFAULT_MAX_SIZE_MB = 10
DEFAULT_MAX_REPEAT = 10
MAX_REPEAT_LIMIT = 100
MAX_TEXT = 500
MAX_TEXTAREA = 10_000
MAX_ADDRESS = 500
# Extension -> upload validation kind (documents.validation): "jpg" and "jpeg" are both JPEG.
EXTENSION_KINDS = {ext: kind for kind, exts in EXTENSIONS.items() for ext in exts}
# autocomplete tokens a definition may ask for (HTML "autofill detail tokens" a citizen's
# browser fills): the usual ones of a French form.
AUTOCOMPLETE_TOKENS = frozenset(
    {
        "off",
        "name",
        "honorific-prefix",
        "given-name",
        "additional-name",
        "family-name",
        "nickname",
        "organization",
        "organization-title",
        "street-address",
        "address-line1",
        "address-line2",
        "address-line3",
        "postal-code",
        "address-level1",
        "address-level2",
        "country-name",
        "email",
        "tel",
        "bday",
        "bday-day",
        "bday-month",
        "bday-year",
        "sex",
        "url",
    }
)
YES, NO = "oui", "non"

# --- definitions -----------------------------------------------------------------------------


def validate_definition(fields: list[Field]) -> list[Field]:
    """A normalised copy of ``fields``; ValidationError (French, naming each field) otherwise.

    Normalised: only the known keys, ``help`` and ``required`` always present, defaults filled
    in (attachment types and size, max_repeat), extensions lower case, choices stripped.
    """
    errors: list[str] = []
    if not isinstance(fields, list):
        raise ValidationError(_("La liste des champs est mal formée."), code="invalid")
    seen: set[str] = set()
    result = _validate_list(fields, errors, seen, parent=None)
    if errors:
        raise ValidationError(errors, code="invalid")
    return result


def _validate_list(
    fields: list[Any], errors: list[str], seen: set[str], *, parent: str | None
) -> list[Field]:
    result: list[Field] = []
    # Fields a condition may point to: earlier fields of the same list, with their definition.
    earlier: dict[str, Field] = {}
    for index, raw in enumerate(fields, start=1):
        name = _field_name(raw, index, parent)
        if not isinstance(raw, dict):
            errors.append(_("%(field)s : la définition doit être un objet.") % {"field": name})
            continue
        field = _validate_field(raw, name, errors, seen, parent=parent, earlier=earlier)
        if field is None:
            continue
        result.append(field)
        earlier[field["key"]] = field
    return result


def _field_name(raw: Any, index: int, parent: str | None) -> str:
    label = raw.get("label") if isinstance(raw, dict) else None
    key = raw.get("key") if isinstance(raw, dict) else None
    where = (
        _("Champ n° %(n)s") % {"n": index}
        if parent is None
        else _("Champ n° %(n)s du bloc « %(block)s »") % {"n": index, "block": parent}
    )
    if isinstance(label, str) and label.strip():
        return f"{where} « {label.strip()} »"
    if isinstance(key, str) and key:
        return f"{where} ({key})"
    return where


def _validate_field(
    raw: dict[str, Any],
    name: str,
    errors: list[str],
    seen: set[str],
    *,
    parent: str | None,
    earlier: dict[str, Field],
) -> Field | None:
    kind = raw.get("type")
    if kind not in FIELD_TYPES:
        errors.append(
            _("%(field)s : type de champ inconnu « %(type)s ».") % {"field": name, "type": kind}
        )
        return None
    key = raw.get("key")
    if not isinstance(key, str) or not KEY_RE.match(key):
        errors.append(
            _(
                "%(field)s : la clé « %(key)s » n'est pas valide (une lettre minuscule puis des "
                "lettres minuscules, chiffres ou « _ », 64 caractères au plus)."
            )
            % {"field": name, "key": key if key is not None else ""}
        )
        return None
    if key in seen:
        errors.append(
            _("%(field)s : la clé « %(key)s » est déjà utilisée par un autre champ.")
            % {"field": name, "key": key}
        )
        return None
    seen.add(key)
    label = raw.get("label")
    if not isinstance(label, str) or not label.strip():
        errors.append(_("%(field)s : le libellé est obligatoire.") % {"field": name})
        return None
    help_text = raw.get("help", "")
    if help_text is None:
        help_text = ""
    if not isinstance(help_text, str):
        errors.append(_("%(field)s : le texte d'aide doit être du texte.") % {"field": name})
        help_text = ""
    field: Field = {
        "key": key,
        "type": kind,
        "label": label.strip(),
        "help": help_text.strip(),
        "required": bool(raw.get("required", False)) and kind not in LAYOUT_TYPES,
    }
    if parent is not None and kind in ("repeat", "attachment"):
        errors.append(
            _("%(field)s : un bloc répétable ne peut pas contenir de %(what)s.")
            % {
                "field": name,
                "what": _("bloc répétable") if kind == "repeat" else _("pièce jointe"),
            }
        )
        return None
    if kind in ("choice", "multiple"):
        field["choices"] = _validate_choices(raw.get("choices"), name, errors)
    if kind in ("integer", "decimal"):
        _validate_bounds(raw, field, name, errors)
    if kind == "attachment":
        _validate_attachment(raw, field, name, errors)
    if kind == "repeat":
        _validate_repeat(raw, field, name, errors, seen)
    if "autocomplete" in raw and raw["autocomplete"] not in ("", None):
        token = raw["autocomplete"]
        if kind in NO_VALUE_TYPES or token not in AUTOCOMPLETE_TOKENS:
            errors.append(
                _("%(field)s : la valeur d'autocomplétion « %(token)s » n'est pas prise en charge.")
                % {"field": name, "token": token}
            )
        else:
            field["autocomplete"] = token
    condition = raw.get("condition")
    if condition not in (None, {}, ""):
        checked = _validate_condition(condition, key, name, errors, earlier)
        if checked is not None:
            field["condition"] = checked
    return field


def _validate_choices(choices: Any, name: str, errors: list[str]) -> list[str]:
    if not isinstance(choices, list) or not choices:
        errors.append(
            _("%(field)s : donnez au moins une proposition (liste « choices »).") % {"field": name}
        )
        return []
    cleaned: list[str] = []
    for choice in choices:
        if not isinstance(choice, str) or not choice.strip():
            errors.append(
                _("%(field)s : chaque proposition doit être un texte non vide.") % {"field": name}
            )
            continue
        if choice.strip() in cleaned:
            errors.append(
                _("%(field)s : la proposition « %(choice)s » figure deux fois.")
                % {"field": name, "choice": choice.strip()}
            )
            continue
        cleaned.append(choice.strip())
    return cleaned


def _validate_bounds(raw: dict[str, Any], field: Field, name: str, errors: list[str]) -> None:
    bounds: dict[str, Decimal] = {}
    for bound in ("min", "max"):
        value = raw.get(bound)
        if value is None or value == "":
            continue
        number = _bound_number(value, integer=field["type"] == "integer")
        if number is None:
            errors.append(
                _("%(field)s : « %(bound)s » doit être un nombre%(integer)s.")
                % {
                    "field": name,
                    "bound": bound,
                    "integer": _(" entier") if field["type"] == "integer" else "",
                }
            )
            continue
        bounds[bound] = number
        field[bound] = int(number) if field["type"] == "integer" else _json_number(number)
    if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
        errors.append(_("%(field)s : le minimum est plus grand que le maximum.") % {"field": name})


def _bound_number(value: Any, *, integer: bool) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float | str):
        number = _parse_decimal(str(value))
        if number is None or (integer and number != number.to_integral_value()):
            return None
        return number
    return None


def _json_number(number: Decimal) -> int | float:
    return int(number) if number == number.to_integral_value() else float(number)


def _validate_attachment(raw: dict[str, Any], field: Field, name: str, errors: list[str]) -> None:
    types = raw.get("allowed_types") or list(DEFAULT_ALLOWED_TYPES)
    if not isinstance(types, list):
        errors.append(
            _("%(field)s : les types de fichiers acceptés doivent être une liste.")
            % {"field": name}
        )
        types = list(DEFAULT_ALLOWED_TYPES)
    allowed: list[str] = []
    for ext in types:
        normal = ext.strip().lower().lstrip(".") if isinstance(ext, str) else ""
        if normal not in EXTENSION_KINDS:
            accepted = ", ".join(sorted(EXTENSION_KINDS))
            errors.append(
                _(
                    "%(field)s : le type de fichier « %(ext)s » n'est pas accepté par le "
                    "contrôle des fichiers (types possibles : %(accepted)s)."
                )
                % {"field": name, "ext": ext, "accepted": accepted}
            )
            continue
        if normal not in allowed:
            allowed.append(normal)
    field["allowed_types"] = allowed
    size = raw.get("max_size_mb", DEFAULT_MAX_SIZE_MB)
    cap = _upload_cap_mb()
    if (
        isinstance(size, bool)
        or not isinstance(size, int | float)
        or not size > 0
        or size != size  # NaN
    ):
        errors.append(
            _("%(field)s : la taille maximale doit être un nombre de Mo positif.") % {"field": name}
        )
        size = DEFAULT_MAX_SIZE_MB
    size = min(size, cap)
    field["max_size_mb"] = int(size) if float(size).is_integer() else size


def _upload_cap_mb() -> int | float:
    cap = getattr(settings, "CIVIS_MAX_UPLOAD_MB", 50)
    return cap if isinstance(cap, int | float) else 50


def _validate_repeat(
    raw: dict[str, Any], field: Field, name: str, errors: list[str], seen: set[str]
) -> None:
    children = raw.get("children")
    if not isinstance(children, list) or not children:
        errors.append(
            _("%(field)s : un bloc répétable doit contenir au moins un champ.") % {"field": name}
        )
        children = []
    field["children"] = _validate_list(children, errors, seen, parent=field["label"])
    if children and not any(c["type"] not in LAYOUT_TYPES for c in field["children"]):
        errors.append(
            _("%(field)s : le bloc répétable ne contient aucun champ à remplir.") % {"field": name}
        )
    max_repeat = raw.get("max_repeat", DEFAULT_MAX_REPEAT)
    if (
        isinstance(max_repeat, bool)
        or not isinstance(max_repeat, int)
        or not 1 <= max_repeat <= MAX_REPEAT_LIMIT
    ):
        errors.append(
            _("%(field)s : le nombre maximal de répétitions doit être un entier de 1 à %(max)s.")
            % {"field": name, "max": MAX_REPEAT_LIMIT}
        )
        max_repeat = DEFAULT_MAX_REPEAT
    field["max_repeat"] = max_repeat


def _validate_condition(
    condition: Any, key: str, name: str, errors: list[str], earlier: dict[str, Field]
) -> dict[str, str] | None:
    if not isinstance(condition, dict) or not isinstance(condition.get("field"), str):
        errors.append(
            _("%(field)s : la condition doit indiquer un champ et une valeur.") % {"field": name}
        )
        return None
    target_key = condition["field"]
    if target_key == key:
        errors.append(
            _("%(field)s : la condition ne peut pas porter sur le champ lui-même.")
            % {"field": name}
        )
        return None
    target = earlier.get(target_key)
    if target is None:
        errors.append(
            _(
                "%(field)s : la condition porte sur « %(target)s », qui n'est pas un champ placé "
                "avant celui-ci (au même niveau)."
            )
            % {"field": name, "target": target_key}
        )
        return None
    if target["type"] in NO_VALUE_TYPES:
        errors.append(
            _("%(field)s : la condition ne peut pas porter sur « %(target)s » (%(type)s).")
            % {"field": name, "target": target["label"], "type": FIELD_TYPES[target["type"]]}
        )
        return None
    value = condition.get("value")
    if isinstance(value, bool):
        value = YES if value else NO
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        errors.append(
            _("%(field)s : la condition doit indiquer la valeur attendue.") % {"field": name}
        )
        return None
    value = value.strip()
    if target["type"] in ("yesno", "checkbox") and value not in (YES, NO):
        errors.append(
            _("%(field)s : la valeur de la condition doit être « oui » ou « non ».")
            % {"field": name}
        )
        return None
    if target["type"] in ("choice", "multiple") and value not in target.get("choices", []):
        errors.append(
            _("%(field)s : « %(value)s » n'est pas une des propositions de « %(target)s ».")
            % {"field": name, "value": value, "target": target["label"]}
        )
        return None
    return {"field": target_key, "value": value}


# --- attachments -----------------------------------------------------------------------------


def allowed_extensions(field: Field) -> list[str]:
    """An attachment field's accepted extensions (lower case, without dot)."""
    return list(field.get("allowed_types") or DEFAULT_ALLOWED_TYPES)


def accepted_kinds(field: Field) -> set[str]:
    """The upload validation kinds (documents.validation.MIME_TYPES keys) the field accepts."""
    return {EXTENSION_KINDS[ext] for ext in allowed_extensions(field) if ext in EXTENSION_KINDS}


def max_upload_bytes(field: Field) -> int:
    """The field's size limit in bytes, capped by CIVIS_MAX_UPLOAD_MB."""
    size = min(field.get("max_size_mb") or DEFAULT_MAX_SIZE_MB, _upload_cap_mb())
    return int(size * 1024 * 1024)


def attachment_rule(field: Field) -> str:
    """What the citizen reads before choosing a file: « PDF, JPG ou PNG, 5 Mo maximum »."""
    names: list[str] = []
    for ext in allowed_extensions(field):
        label = "JPG" if ext in ("jpg", "jpeg") else ext.upper()
        if label not in names:
            names.append(label)
    if len(names) > 1:
        kinds = _("%(list)s ou %(last)s") % {"list": ", ".join(names[:-1]), "last": names[-1]}
    else:
        kinds = names[0] if names else ""
    size = max_upload_bytes(field) / (1024 * 1024)
    shown = f"{size:.1f}".removesuffix(".0").replace(".", ",")
    return _("%(kinds)s, %(size)s Mo maximum") % {"kinds": kinds, "size": shown}


# --- answers ---------------------------------------------------------------------------------


def _raw_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ""
    return str(value).strip()


def _condition_answer(field: Field, value: Any) -> list[str]:
    """The answer(s) a condition compares with its value."""
    if field["type"] == "multiple":
        if isinstance(value, list):
            return [str(v).strip() for v in value]
        return [_raw_text(value)] if _raw_text(value) else []
    text = _raw_text(value)
    if field["type"] == "checkbox":
        return [YES if text.lower() in (YES, "on", "true", "1") else NO]
    if field["type"] == "yesno":
        return [text.lower()]
    return [text]


def _visible(fields: list[Field], data: dict[str, Any]) -> list[Field]:
    shown: list[Field] = []
    shown_keys: dict[str, Field] = {}
    for field in fields:
        condition = field.get("condition")
        if condition:
            target = shown_keys.get(condition["field"])
            if target is None or condition["value"] not in _condition_answer(
                target, data.get(target["key"])
            ):
                continue
        shown.append(field)
        shown_keys[field["key"]] = field
    return shown


def visible_fields(fields: list[Field], data: dict[str, Any]) -> list[Field]:
    """The top-level fields whose condition holds for the raw answers ``data``."""
    return _visible(fields, data if isinstance(data, dict) else {})


def repeat_items(value: Any) -> list[dict[str, Any]]:
    """A repeat block's raw items without the ones left entirely blank."""
    if not isinstance(value, list):
        return []
    items = []
    for item in value:
        if isinstance(item, dict) and any(_filled(v) for v in item.values()):
            items.append(item)
    return items


def _filled(value: Any) -> bool:
    if isinstance(value, list):
        return any(_raw_text(v) for v in value)
    return bool(_raw_text(value))


def clean_answers(
    fields: list[Field],
    data: dict[str, Any],
    *,
    attachments: dict[str, int] | None = None,
    partial: bool = False,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Typed answers of the visible fields and French errors by key.

    Types: text/textarea/address/email/phone/siret/iban/choice → str (normalised), integer →
    int, decimal → Decimal, date → datetime.date, yesno/checkbox → bool, multiple → list[str],
    commune → Authority, repeat → list[dict] (errors keyed ``"key.<index>.child"``). Empty
    optional answers are left out. ``partial=True`` (a draft): only malformed values are
    errors, nothing is required.
    """
    data = data if isinstance(data, dict) else {}
    attachments = attachments or {}
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for field in visible_fields(fields, data):
        key = field["key"]
        kind = field["type"]
        if kind in LAYOUT_TYPES:
            continue
        if kind == "attachment":
            if field["required"] and not partial and attachments.get(key, 0) < 1:
                errors[key] = [_("Joignez un fichier.")]
            continue
        if kind == "repeat":
            _clean_repeat(field, data.get(key), cleaned, errors, partial=partial)
            continue
        _clean_one(field, data.get(key), key, cleaned, errors, partial=partial)
    return cleaned, errors


def _clean_repeat(
    field: Field,
    value: Any,
    cleaned: dict[str, Any],
    errors: dict[str, list[str]],
    *,
    partial: bool,
) -> None:
    key = field["key"]
    if value not in (None, "") and not isinstance(value, list):
        errors[key] = [_("Les réponses de ce bloc sont mal formées.")]
        return
    items: list[dict[str, Any]] = []
    for index, item in enumerate(value or []):
        if not isinstance(item, dict) or not any(_filled(v) for v in item.values()):
            continue
        typed: dict[str, Any] = {}
        for child in _visible(field["children"], item):
            if child["type"] in LAYOUT_TYPES:
                continue
            _clean_one(
                child,
                item.get(child["key"]),
                f"{key}.{index}.{child['key']}",
                typed,
                errors,
                partial=partial,
                store_key=child["key"],
            )
        items.append(typed)
    if len(items) > field["max_repeat"]:
        errors.setdefault(key, []).append(
            ngettext(
                "Ce bloc peut être rempli %(max)s fois au plus.",
                "Ce bloc peut être rempli %(max)s fois au plus.",
                field["max_repeat"],
            )
            % {"max": field["max_repeat"]}
        )
    if not items and field["required"] and not partial:
        errors.setdefault(key, []).append(_("Remplissez au moins un élément."))
    if items:
        cleaned[key] = items


def _clean_one(
    field: Field,
    value: Any,
    error_key: str,
    cleaned: dict[str, Any],
    errors: dict[str, list[str]],
    *,
    partial: bool,
    store_key: str | None = None,
) -> None:
    store_key = store_key or field["key"]
    kind = field["type"]
    required = field["required"] and not partial
    if kind == "multiple":
        values = value if isinstance(value, list) else ([value] if _raw_text(value) else [])
        picked = [str(v).strip() for v in values if _raw_text(v)]
        unknown = [v for v in picked if v not in field["choices"]]
        if unknown:
            errors[error_key] = [
                _("« %(value)s » ne fait pas partie des propositions.") % {"value": unknown[0]}
            ]
        elif not picked and required:
            errors[error_key] = [_("Cochez au moins une case.")]
        elif picked:
            cleaned[store_key] = [c for c in field["choices"] if c in picked]
        return
    if isinstance(value, list | dict):
        errors[error_key] = [_("La réponse est mal formée.")]
        return
    text = _raw_text(value)
    if kind == "checkbox":
        checked = text.lower() in (YES, "on", "true", "1")
        if text and not checked and text.lower() not in (NO, "off", "false", "0"):
            errors[error_key] = [_("Cochez la case ou laissez-la vide.")]
        elif required and not checked:
            errors[error_key] = [_("Cochez cette case pour continuer.")]
        else:
            cleaned[store_key] = checked
        return
    if not text:
        if required:
            errors[error_key] = [
                _("Répondez par oui ou par non.")
                if kind == "yesno"
                else _("Choisissez une réponse.")
                if kind in ("choice", "commune")
                else _("Ce champ est obligatoire.")
            ]
        return
    try:
        cleaned[store_key] = _typed(field, text)
    except ValidationError as exc:
        errors[error_key] = list(exc.messages)


def _typed(field: Field, text: str) -> Any:
    kind = field["type"]
    if kind == "text":
        return _limited(" ".join(text.split()), MAX_TEXT)
    if kind == "textarea":
        return _limited(text.replace("\r\n", "\n"), MAX_TEXTAREA)
    if kind == "address":
        lines = [" ".join(line.split()) for line in text.splitlines()]
        return _limited("\n".join(line for line in lines if line), MAX_ADDRESS)
    if kind == "integer":
        return _integer(field, text)
    if kind == "decimal":
        return _decimal(field, text)
    if kind == "date":
        parsed = parse_date(text)
        if parsed is None:
            raise ValidationError(
                _("Saisissez une date valide au format JJ/MM/AAAA, par exemple 25/03/2024.")
            )
        return parsed
    if kind == "yesno":
        if text.lower() not in (YES, NO):
            raise ValidationError(_("Répondez par oui ou par non."))
        return text.lower() == YES
    if kind == "choice":
        if text not in field["choices"]:
            raise ValidationError(_("Choisissez une des propositions."))
        return text
    if kind == "email":
        try:
            validate_email(text)
        except ValidationError:
            raise ValidationError(
                _("Saisissez une adresse électronique valide, par exemple nom@exemple.fr.")
            ) from None
        return text
    if kind == "phone":
        phone = normalize_phone(text)
        if phone is None:
            raise ValidationError(
                _(
                    "Saisissez un numéro de téléphone français à 10 chiffres, par exemple "
                    "06 12 34 56 78 ou +33 6 12 34 56 78."
                )
            )
        return phone
    if kind == "commune":
        commune = find_commune(text)
        if commune is None:
            raise ValidationError(_("Choisissez une commune du territoire dans la liste."))
        return commune
    if kind == "siret":
        return _siret(text)
    if kind == "iban":
        return _iban(text)
    raise ValidationError(_("Type de champ inconnu."))  # pragma: no cover - definitions checked


def _limited(text: str, limit: int) -> str:
    if len(text) > limit:
        raise ValidationError(
            _(
                "La réponse est trop longue : %(limit)s caractères au plus (vous en avez saisi "
                "%(count)s)."
            )
            % {"limit": limit, "count": len(text)}
        )
    return text


_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def _parse_decimal(text: str) -> Decimal | None:
    compact = _SPACES.sub("", text).replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", compact):
        return None
    try:
        return Decimal(compact)
    except InvalidOperation:  # pragma: no cover - the pattern excludes it
        return None


def _integer(field: Field, text: str) -> int:
    compact = _SPACES.sub("", text)
    if not re.fullmatch(r"[+-]?\d{1,18}", compact):
        raise ValidationError(_("Saisissez un nombre entier, sans virgule, par exemple 12."))
    number = int(compact)
    _check_bounds(field, Decimal(number))
    return number


def _decimal(field: Field, text: str) -> Decimal:
    number = _parse_decimal(text)
    if number is None or len(_SPACES.sub("", text)) > 30:
        raise ValidationError(_("Saisissez un nombre, par exemple 12,50."))
    _check_bounds(field, number)
    return number


def _check_bounds(field: Field, number: Decimal) -> None:
    low, high = field.get("min"), field.get("max")
    if low is not None and number < Decimal(str(low)):
        raise ValidationError(
            _("Saisissez un nombre supérieur ou égal à %(min)s.") % {"min": french_number(low)}
        )
    if high is not None and number > Decimal(str(high)):
        raise ValidationError(
            _("Saisissez un nombre inférieur ou égal à %(max)s.") % {"max": french_number(high)}
        )


def french_number(value: int | float | Decimal) -> str:
    """12.5 → « 12,5 »."""
    if isinstance(value, float):
        value = Decimal(str(value))
    return str(value).replace(".", ",")


_DATE_FR = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_DATE_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def parse_date(text: str) -> datetime.date | None:
    """An ISO date (from <input type=date>) or JJ/MM/AAAA; None when it is neither."""
    text = text.strip()
    iso = _DATE_ISO.fullmatch(text)
    french = _DATE_FR.fullmatch(text)
    try:
        if iso:
            return datetime.date(int(iso[1]), int(iso[2]), int(iso[3]))
        if french:
            return datetime.date(int(french[3]), int(french[2]), int(french[1]))
    except ValueError:
        return None
    return None


# Overseas departments keep the national format 0 + 9 digits: +262 692 … is 0692 ….
_OVERSEAS = ("262", "590", "594", "596")


def normalize_phone(text: str) -> str | None:
    """A French number as « 06 12 34 56 78 », from 0612345678, 06.12.34.56.78, +33 6 12 …,
    0033 6 …, +33 (0)6 … or +262/+590/+594/+596 …; None otherwise."""
    compact = re.sub(r"[\s\u00a0\u202f.\-/]", "", text)
    compact = compact.replace("(0)", "")
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("+33"):
        national = "0" + compact[3:]
    elif compact.startswith("+") and compact[1:4] in _OVERSEAS:
        national = "0" + compact[4:]
    else:
        national = compact
    if not re.fullmatch(r"0[1-9]\d{8}", national):
        return None
    return " ".join(national[i : i + 2] for i in range(0, 10, 2))


def communes() -> list[Authority]:
    """The territory's communes (those with an INSEE code), by name."""
    return list(
        Authority.objects.filter(kind=Authority.Kind.COMMUNE)
        .exclude(insee_code="")
        .order_by("name", "insee_code")
    )


_CODE_IN_TEXT = re.compile(r"\(?\b(\d[0-9AB]\d{3})\)?\s*$", re.IGNORECASE)


def find_commune(text: str) -> Authority | None:
    """The commune with INSEE code ``text`` (also « Mérignac (33281) », or a unique name)."""
    text = text.strip()
    match = _CODE_IN_TEXT.search(text)
    queryset = Authority.objects.filter(kind=Authority.Kind.COMMUNE)
    if match:
        return queryset.filter(insee_code=match[1].upper()).first()
    found = list(queryset.filter(name__iexact=text).exclude(insee_code="")[:2])
    return found[0] if len(found) == 1 else None


def _siret(text: str) -> str:
    compact = _SPACES.sub("", text)
    if not compact.isdigit() or len(compact) != 14:
        raise ValidationError(
            _("Un SIRET compte 14 chiffres (vous en avez saisi %(count)s).")
            % {"count": len(compact)}
            if compact.isdigit()
            else _("Un SIRET ne contient que des chiffres (14 chiffres).")
        )
    try:
        return str(stdnum_siret.validate(compact))
    except StdnumError:
        raise ValidationError(
            _(
                "Ce numéro SIRET n'existe pas : vérifiez les 14 chiffres (la clé de contrôle "
                "ne correspond pas)."
            )
        ) from None


def _iban(text: str) -> str:
    compact = _SPACES.sub("", text).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{1,30}", compact):
        raise ValidationError(
            _("Un IBAN commence par deux lettres et deux chiffres, par exemple FR76 3000 …")
        )
    try:
        return str(stdnum_iban.validate(compact))
    except (InvalidChecksum, InvalidLength, InvalidFormat, StdnumError):
        raise ValidationError(
            _("Cet IBAN n'est pas valide : vérifiez-le sur votre relevé d'identité bancaire (RIB).")
        ) from None


# --- shown -----------------------------------------------------------------------------------


def display_value(field: Field, value: Any) -> str:
    """A typed answer as French text (dates JJ/MM/AAAA, decimals with a comma, Oui/Non)."""
    kind = field["type"]
    if value is None or value == "" or value == []:
        return _("Non renseigné")
    if isinstance(value, bool):
        return _("Oui") if value else _("Non")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Decimal | float):
        return french_number(value)
    if isinstance(value, Authority):
        return value.name
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if kind == "siret":
        return str(stdnum_siret.format(value))
    if kind == "iban":
        return str(stdnum_iban.format(value))
    return str(value)


def display_answers(
    fields: list[Field], data: dict[str, Any], attachment_names: dict[str, list[str]] | None = None
) -> list[tuple[str, str]]:
    """(label, shown value) of the visible fields of the raw answers ``data``, in order;
    headers as (label, ""); a malformed answer is shown as typed. For the summary, the PDF
    and the CSV."""
    data = data if isinstance(data, dict) else {}
    attachment_names = attachment_names or {}
    typed, errors = clean_answers(fields, data, attachments={}, partial=True)
    lines: list[tuple[str, str]] = []
    for field in visible_fields(fields, data):
        key, kind, label = field["key"], field["type"], field["label"]
        if kind == "explanation":
            continue
        if kind == "header":
            lines.append((label, ""))
        elif kind == "attachment":
            names = attachment_names.get(key) or []
            lines.append((label, ", ".join(names) if names else _("Aucun fichier")))
        elif kind == "repeat":
            lines.extend(_display_repeat(field, data.get(key), errors))
        elif key in errors:
            lines.append((label, _raw_shown(data.get(key))))
        else:
            lines.append((label, display_value(field, typed.get(key))))
    return lines


def _display_repeat(
    field: Field, value: Any, errors: dict[str, list[str]]
) -> list[tuple[str, str]]:
    label = field["label"]
    raw_items = value if isinstance(value, list) else []
    shown = [
        (index, item)
        for index, item in enumerate(raw_items)
        if isinstance(item, dict) and any(_filled(v) for v in item.values())
    ]
    if not shown:
        return [(label, _("Aucun"))]
    lines: list[tuple[str, str]] = []
    for number, (index, item) in enumerate(shown, start=1):
        lines.append((f"{label} n° {number}", ""))
        holder: dict[str, Any] = {}
        item_errors: dict[str, list[str]] = {}
        for child in _visible(field["children"], item):
            if child["type"] == "explanation":
                continue
            child_label = f"{label} n° {number} — {child['label']}"
            if child["type"] == "header":
                lines.append((child_label, ""))
                continue
            _clean_one(
                child, item.get(child["key"]), child["key"], holder, item_errors, partial=True
            )
            if child["key"] in item_errors or f"{field['key']}.{index}.{child['key']}" in errors:
                lines.append((child_label, _raw_shown(item.get(child["key"]))))
            else:
                lines.append((child_label, display_value(child, holder.get(child["key"]))))
    return lines


def _raw_shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return _raw_text(value) or _("Non renseigné")


def answers_json(cleaned: dict[str, Any]) -> dict[str, Any]:
    """Typed answers as JSON values (dates ISO, decimals as strings, a commune as its INSEE
    code) — for the webhook payload and the passerelle API."""

    def convert(value: Any) -> Any:
        if isinstance(value, datetime.date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, Authority):
            return value.insee_code
        if isinstance(value, list):
            return [convert(v) for v in value]
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        return value

    return {key: convert(value) for key, value in cleaned.items()}

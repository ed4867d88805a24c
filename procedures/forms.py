"""The citizen's form of a procedure revision.

``AnswersForm`` reads what the browser posted (a repeat block's inputs are named
``<key>.<index>.<child>``, an address's lines ``<key>__rue`` …) into the raw answers dict the
request keeps (``cleaned_data``, also when some answers are malformed: a draft never loses
input), checks it with ``procedures.fields.clean_answers`` and prepares what the include
``procedures/includes/form_fields.html`` renders: one item per field with its ids, value,
hint, errors and accessible attributes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django import forms
from django.forms.utils import ErrorDict
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from identity.models import Authority

from .fields import (
    LAYOUT_TYPES,
    YES,
    Field,
    accepted_kinds,
    allowed_extensions,
    attachment_rule,
    clean_answers,
    communes,
    find_commune,
    french_number,
    max_upload_bytes,
    parse_date,
    repeat_items,
)

ID_PREFIX = "champ-"
# Above this many communes, a text input with suggestions instead of a long <select>.
SELECT_MAX_COMMUNES = 300
# Up to this many choices, radio buttons (all visible at once); beyond, a <select>.
RADIO_MAX_CHOICES = 7
ADDRESS_PARTS = ("rue", "complement", "code_postal", "ville")
_POSTCODE_LINE = re.compile(r"^(\d{5})\s+(.+)$")
_TRUE = (YES, "on", "true", "1")


def field_id(key: str) -> str:
    """The id of a field's input (or first input); error summaries link to it."""
    return ID_PREFIX + key.replace(".", "-")


def split_address(text: str) -> dict[str, str]:
    """A stored multi-line address back into its inputs (street, complement, postcode, city)."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    parts = dict.fromkeys(ADDRESS_PARTS, "")
    if lines and (match := _POSTCODE_LINE.match(lines[-1])):
        parts["code_postal"], parts["ville"] = match[1], match[2]
        lines = lines[:-1]
    if lines:
        parts["rue"] = lines[0]
        parts["complement"] = " ".join(lines[1:])
    return parts


def join_address(parts: Mapping[str, str]) -> str:
    street = (parts.get("rue") or "").strip()
    complement = (parts.get("complement") or "").strip()
    city = " ".join(
        p
        for p in ((parts.get("code_postal") or "").strip(), (parts.get("ville") or "").strip())
        if p
    )
    return "\n".join(line for line in (street, complement, city) if line)


def _get(data: Any, name: str) -> Any:
    return data.get(name) if hasattr(data, "get") else None


def _getlist(data: Any, name: str) -> list[str]:
    if hasattr(data, "getlist"):
        return [str(v) for v in data.getlist(name)]
    value = _get(data, name)
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)] if value not in (None, "") else []


def _read_value(field: Field, data: Any, name: str, *, in_repeat: bool) -> Any:
    """One field's raw answer from posted data (or from a raw answers dict)."""
    kind = field["type"]
    if kind == "multiple":
        picked = [v for v in _getlist(data, name) if v.strip()]
        return None if in_repeat and not picked else picked
    value = _get(data, name)
    if kind == "address" and value is None:
        raw_parts = {part: _get(data, f"{name}__{part}") for part in ADDRESS_PARTS}
        if in_repeat and all(v is None for v in raw_parts.values()):
            return None
        return join_address({part: str(v or "") for part, v in raw_parts.items()})
    if value is None and in_repeat:
        return None  # an item's input that was not posted (an unticked box)
    if kind == "checkbox":
        return YES if str(value or "").strip().lower() in _TRUE else "non"
    if kind == "commune" and isinstance(value, str) and value.strip():
        commune = find_commune(value)
        return commune.insee_code if commune is not None else value.strip()
    if value is None:
        return ""
    if isinstance(value, list):
        return [str(v) for v in value]
    return str(value)


def _read_repeat(field: Field, data: Any) -> list[dict[str, Any]]:
    key = field["key"]
    direct = _get(data, key)
    if isinstance(direct, list):
        return repeat_items(direct)
    pattern = re.compile(rf"^{re.escape(key)}\.(\d{{1,3}})\.([a-z][a-z0-9_]*?)(?:__[a-z_]+)?$")
    indexes = sorted(
        {
            int(m[1])
            for name in (data.keys() if hasattr(data, "keys") else [])
            if (m := pattern.match(name))
        }
    )
    items: list[dict[str, Any]] = []
    for index in indexes:
        item: dict[str, Any] = {}
        for child in field["children"]:
            if child["type"] in LAYOUT_TYPES:
                continue
            value = _read_value(child, data, f"{key}.{index}.{child['key']}", in_repeat=True)
            if value is not None:
                item[child["key"]] = value
        items.append(item)
    return repeat_items(items)


def read_answers(fields: list[Field], data: Any) -> dict[str, Any]:
    """The raw answers dict (Request.data) of what the browser posted."""
    answers: dict[str, Any] = {}
    for field in fields:
        kind = field["type"]
        if kind in LAYOUT_TYPES or kind == "attachment":
            continue
        if kind == "repeat":
            answers[field["key"]] = _read_repeat(field, data)
        else:
            answers[field["key"]] = _read_value(field, data, field["key"], in_repeat=False)
    return answers


class AnswersForm(forms.Form):
    """A procedure form. ``cleaned_data`` is the raw answers dict (always, so a draft keeps
    malformed input as typed); ``typed`` the checked values; ``errors`` French messages by key
    (``key.<index>.child`` inside a repeat block). ``attachments``: files per attachment field,
    as counts or lists."""

    def __init__(
        self,
        fields: list[Field],
        *,
        data: Any = None,
        initial: dict[str, Any] | None = None,
        partial: bool = False,
        attachments: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(data=data, initial=initial or {})
        self.definition = fields
        self.partial = partial
        self.attachment_files = dict(attachments or {})
        self.typed: dict[str, Any] = {}
        self.answers: dict[str, Any] = {}

    def attachment_counts(self) -> dict[str, int]:
        return {
            key: value if isinstance(value, int) else len(list(value))
            for key, value in self.attachment_files.items()
        }

    def full_clean(self) -> None:
        self._errors = ErrorDict()
        if not self.is_bound:
            return
        self.answers = read_answers(self.definition, self.data)
        self.typed, errors = clean_answers(
            self.definition,
            self.answers,
            attachments=self.attachment_counts(),
            partial=self.partial,
        )
        for key, messages in errors.items():
            self._errors[key] = self.error_class(messages)
        self.cleaned_data = self.answers

    # --- rendering ---------------------------------------------------------------------------

    @property
    def values(self) -> dict[str, Any]:
        """What the inputs show: the posted answers, else the stored draft (``initial``)."""
        if self.is_bound:
            self.errors  # noqa: B018 -- reads the posted answers once
            return self.answers
        return dict(self.initial)

    def _field_errors(self, key: str) -> list[str]:
        if not self.is_bound:
            return []
        error_list = self.errors.get(key)
        return [str(message) for message in error_list] if error_list else []

    @cached_property
    def _communes(self) -> list[Authority]:
        if not any(
            f["type"] == "commune" or any(c["type"] == "commune" for c in f.get("children", []))
            for f in self.definition
        ):
            return []
        return communes()

    @cached_property
    def items(self) -> list[dict[str, Any]]:
        values = self.values
        labels: dict[str, str] = {}
        return [self._item(field, values, labels=labels) for field in self.definition]

    @cached_property
    def error_summary(self) -> list[tuple[str, str, str]]:
        """(input id, label, message) of every error, in the form's order."""
        summary: list[tuple[str, str, str]] = []
        for item in self.items:
            summary.extend(_item_errors(item))
        return summary

    @property
    def has_required(self) -> bool:
        return any(f.get("required") for f in self.definition)

    def _item(
        self,
        field: Field,
        values: Mapping[str, Any],
        *,
        labels: dict[str, str],
        index: int | str | None = None,
        block: str = "",
    ) -> dict[str, Any]:
        key, kind = field["key"], field["type"]
        name = f"{block}.{index}.{key}" if block else key
        ident = field_id(name)
        value = values.get(key)
        errors = self._field_errors(name)
        item: dict[str, Any] = {
            "key": key,
            "name": name,
            "type": kind,
            "id": ident,
            "label": field["label"],
            "help": field.get("help", ""),
            "required": bool(field.get("required")),
            "errors": errors,
            "error_id": f"{ident}-erreur",
            "hint_id": f"{ident}-aide",
            "template": "procedures/includes/field_" + _template_for(field) + ".html",
            "condition": None,
            "in_block": bool(block),
        }
        labels[key] = field["label"]
        condition = field.get("condition")
        if condition:
            target = condition["field"]
            item["condition"] = {
                "name": f"{block}.{index}.{target}" if block else target,
                "value": condition["value"],
                "label": labels.get(target, target),
            }
        if kind in LAYOUT_TYPES:
            return item
        hint = _format_hint(field)
        item["format_hint"] = hint
        described = [item["hint_id"]] if item["help"] or hint else []
        if errors:
            described.append(item["error_id"])
        item["describedby"] = " ".join(described)
        item.update(_input_attributes(field))
        if kind in ("choice", "multiple", "yesno"):
            self._choices(item, field, value)
        elif kind == "checkbox":
            item["checked"] = str(value or "").strip().lower() in _TRUE
        elif kind == "address":
            item["parts"] = self._address_parts(ident, value)
        elif kind == "commune":
            self._commune(item, value)
        elif kind == "date":
            self._date(item, value)
        elif kind == "attachment":
            self._attachment(item, field)
        elif kind == "repeat":
            self._repeat(item, field, value)
        else:
            item["value"] = "" if value is None or isinstance(value, list) else str(value)
        return item

    def _choices(self, item: dict[str, Any], field: Field, value: Any) -> None:
        kind = field["type"]
        if kind == "yesno":
            options = [(YES, _("Oui")), ("non", _("Non"))]
        else:
            options = [(c, c) for c in field["choices"]]
        picked = (
            {str(v) for v in value}
            if isinstance(value, list)
            else {str(value).strip().lower() if kind == "yesno" else str(value)}
            if value not in (None, "")
            else set()
        )
        item["options"] = [
            {
                "value": v,
                "label": label,
                "id": f"{item['id']}-{n}" if n else item["id"],
                "checked": v in picked,
            }
            for n, (v, label) in enumerate(options)
        ]
        item["as_select"] = kind == "choice" and len(options) > RADIO_MAX_CHOICES

    def _address_parts(self, ident: str, value: Any) -> list[dict[str, Any]]:
        parts = split_address(str(value or ""))
        labels = {
            "rue": (_("Numéro et voie"), "address-line1"),
            "complement": (_("Complément d'adresse (facultatif)"), "address-line2"),
            "code_postal": (_("Code postal"), "postal-code"),
            "ville": (_("Commune"), "address-level2"),
        }
        return [
            {
                "suffix": part,
                "id": ident if part == "rue" else f"{ident}-{part.replace('_', '-')}",
                "label": labels[part][0],
                "autocomplete": labels[part][1],
                "value": parts[part],
                "inputmode": "numeric" if part == "code_postal" else "",
                "maxlength": 5 if part == "code_postal" else 200,
            }
            for part in ADDRESS_PARTS
        ]

    def _commune(self, item: dict[str, Any], value: Any) -> None:
        code = str(value or "").strip()
        options = self._communes
        item["as_datalist"] = len(options) > SELECT_MAX_COMMUNES
        item["options"] = [
            {
                "value": c.insee_code,
                "label": f"{c.name} ({c.insee_code})",
                "checked": c.insee_code == code,
            }
            for c in options
        ]
        shown = next((o["label"] for o in item["options"] if o["checked"]), code)
        item["value"] = shown if item["as_datalist"] else code
        item["list_id"] = f"{item['id']}-liste"
        # A stored code that is no longer a commune of the territory stays visible.
        item["unknown_value"] = (
            code if code and not any(o["checked"] for o in item["options"]) else ""
        )

    def _date(self, item: dict[str, Any], value: Any) -> None:
        text = str(value or "").strip()
        parsed = parse_date(text) if text else None
        if text and parsed is None:
            # Not a date the browser's date input can show: keep what was typed, as text.
            item["input_type"] = "text"
            item["value"] = text
        else:
            item["value"] = parsed.isoformat() if parsed else ""

    def _attachment(self, item: dict[str, Any], field: Field) -> None:
        extensions = allowed_extensions(field)
        item["accept"] = ",".join("." + ext for ext in extensions)
        item["rule"] = attachment_rule(field)
        item["kinds"] = sorted(accepted_kinds(field))
        item["max_bytes"] = max_upload_bytes(field)
        item["upload_name"] = f"{item['key']}__upload"
        item["pick_name"] = f"{item['key']}__pick"
        item["remove_name"] = f"{item['key']}__remove"
        item["upload_id"] = f"{item['id']}"
        item["pick_id"] = f"{item['id']}-espace"
        item["rule_id"] = f"{item['id']}-regle"
        files = self.attachment_files.get(item["key"])
        item["files"] = list(files) if files is not None and not isinstance(files, int) else []
        described = [item["rule_id"]]
        if item["help"]:
            described.insert(0, item["hint_id"])
        if item["errors"]:
            described.append(item["error_id"])
        item["describedby"] = " ".join(described)

    def _repeat(self, item: dict[str, Any], field: Field, value: Any) -> None:
        existing = repeat_items(value)
        count = min(max(len(existing) + 1, 1), field["max_repeat"])
        count = max(count, len(existing))
        blocks = []
        for index in range(count):
            raw = existing[index] if index < len(existing) else {}
            blocks.append(self._repeat_block(field, raw, index))
        item["blocks"] = blocks
        item["template_block"] = self._repeat_block(field, {}, "__i__")
        item["max_repeat"] = field["max_repeat"]
        item["next_index"] = count

    def _repeat_block(
        self, field: Field, raw: Mapping[str, Any], index: int | str
    ) -> dict[str, Any]:
        labels: dict[str, str] = {}
        children = [
            self._item(child, raw, labels=labels, index=index, block=field["key"])
            for child in field["children"]
        ]
        number = index + 1 if isinstance(index, int) else "__n__"
        return {
            "index": index,
            "number": number,
            "id": f"{field_id(field['key'])}-{index}",
            "legend": f"{field['label']} n° {number}",
            "children": children,
        }


def _item_errors(item: dict[str, Any]) -> list[tuple[str, str, str]]:
    found = [(item["id"], item["label"], str(m)) for m in item.get("errors", [])]
    for block in item.get("blocks", []):
        for child in block["children"]:
            for ident, label, message in _item_errors(child):
                found.append((ident, f"{block['legend']} — {label}", message))
    return found


def _template_for(field: Field) -> str:
    kind = str(field["type"])
    if kind in ("text", "integer", "decimal", "email", "phone", "siret", "iban", "date"):
        return "input"
    if kind in ("choice", "multiple", "yesno"):
        return "choices"
    return kind  # header, explanation, textarea, checkbox, address, commune, attachment, repeat


def _format_hint(field: Field) -> str:
    kind = field["type"]
    hint: str = {
        "date": _("Format : JJ/MM/AAAA."),
        "phone": _("Par exemple : 06 12 34 56 78."),
        "email": _("Par exemple : nom@exemple.fr."),
        "siret": _("14 chiffres, par exemple : 732 829 320 00074."),
        "iban": _("Par exemple : FR76 3000 6000 0112 3456 7890 189."),
        "integer": _("Un nombre entier."),
        "decimal": _("Un nombre, avec une virgule si besoin."),
        "multiple": _("Plusieurs réponses possibles."),
        "address": "",
        "commune": _("Choisissez dans la liste des communes du territoire."),
    }.get(kind, "")
    low, high = field.get("min"), field.get("max")
    if kind in ("integer", "decimal") and (low is not None or high is not None):
        if low is not None and high is not None:
            hint += " " + _("Entre %(min)s et %(max)s.") % {
                "min": french_number(low),
                "max": french_number(high),
            }
        elif low is not None:
            hint += " " + _("Au moins %(min)s.") % {"min": french_number(low)}
        elif high is not None:
            hint += " " + _("Au plus %(max)s.") % {"max": french_number(high)}
    return hint.strip()


def _input_attributes(field: Field) -> dict[str, Any]:
    kind = field["type"]
    attrs: dict[str, Any] = {
        "input_type": "text",
        "autocomplete": field.get("autocomplete", ""),
        "inputmode": "",
        "spellcheck": "",
        "autocapitalize": "",
        "maxlength": "",
    }
    if kind == "text":
        attrs["maxlength"] = 500
    elif kind == "textarea":
        attrs["maxlength"] = 10_000
    elif kind == "integer":
        attrs.update(inputmode="numeric", maxlength=24)
    elif kind == "decimal":
        attrs.update(inputmode="decimal", maxlength=30)
    elif kind == "date":
        attrs["input_type"] = "date"
    elif kind == "email":
        attrs.update(input_type="email", spellcheck="false", maxlength=254)
        attrs["autocomplete"] = attrs["autocomplete"] or "email"
    elif kind == "phone":
        attrs.update(input_type="tel", maxlength=24)
        attrs["autocomplete"] = attrs["autocomplete"] or "tel"
    elif kind == "siret":
        attrs.update(inputmode="numeric", spellcheck="false", maxlength=20)
        attrs["autocomplete"] = attrs["autocomplete"] or "off"
    elif kind == "iban":
        attrs.update(spellcheck="false", autocapitalize="characters", maxlength=42)
        attrs["autocomplete"] = attrs["autocomplete"] or "off"
    return attrs

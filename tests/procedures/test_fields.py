"""A procedure form's field definitions and the citizen's answers, as the agent building the
form and the citizen filling it notice them: definitions refused with a French sentence naming
the field, every field type's good and bad values (French messages), conditions, repeat blocks,
drafts (partial) and the French display for the summary, the PDF and the CSV."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from identity.models import Authority
from procedures.fields import (
    FIELD_TYPES,
    accepted_kinds,
    answers_json,
    attachment_rule,
    clean_answers,
    display_answers,
    max_upload_bytes,
    normalize_phone,
    validate_definition,
    visible_fields,
)
from tests.factories import make_authority


def one(field_type: str, **extra) -> list[dict]:
    return validate_definition([{"key": "champ", "type": field_type, "label": "Champ", **extra}])


def check(fields: list[dict], data: dict, **kwargs) -> tuple[dict, dict]:
    kwargs.setdefault("attachments", {})
    kwargs.setdefault("partial", False)
    return clean_answers(fields, data, **kwargs)


def refused(fields: list[dict]) -> str:
    with pytest.raises(ValidationError) as caught:
        validate_definition(fields)
    return " | ".join(caught.value.messages)


# --- definitions -----------------------------------------------------------------------------


def test_every_type_has_a_french_label():
    assert set(FIELD_TYPES) == {
        "header",
        "explanation",
        "text",
        "textarea",
        "integer",
        "decimal",
        "date",
        "yesno",
        "checkbox",
        "choice",
        "multiple",
        "email",
        "phone",
        "address",
        "commune",
        "siret",
        "iban",
        "attachment",
        "repeat",
    }
    assert str(FIELD_TYPES["yesno"]) == "Oui / non"


def test_a_definition_is_normalised():
    fields = validate_definition(
        [
            {"key": "titre", "type": "header", "label": " Votre enfant ", "required": True},
            {"key": "piece", "type": "attachment", "label": "Justificatif", "extra": 1},
            {
                "key": "couleur",
                "type": "choice",
                "label": "Couleur",
                "choices": [" Bleu ", "Rouge"],
            },
            {
                "key": "enfants",
                "type": "repeat",
                "label": "Enfants",
                "children": [{"key": "prenom", "type": "text", "label": "Prénom"}],
            },
        ]
    )
    header, piece, couleur, enfants = fields
    assert header == {
        "key": "titre",
        "type": "header",
        "label": "Votre enfant",
        "help": "",
        "required": False,
    }
    assert piece["allowed_types"] == ["pdf", "jpg", "jpeg", "png"]
    assert piece["max_size_mb"] == 10
    assert "extra" not in piece
    assert couleur["choices"] == ["Bleu", "Rouge"]
    assert enfants["max_repeat"] == 10
    assert enfants["children"][0]["required"] is False


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ([{"key": "a", "type": "slider", "label": "Curseur"}], "type de champ inconnu « slider »"),
        ([{"key": "Nom", "type": "text", "label": "Nom"}], "la clé « Nom » n'est pas valide"),
        ([{"key": "1a", "type": "text", "label": "Nom"}], "la clé « 1a » n'est pas valide"),
        ([{"type": "text", "label": "Nom"}], "Champ n° 1 « Nom » : la clé"),
        (
            [
                {"key": "nom", "type": "text", "label": "Nom"},
                {"key": "nom", "type": "text", "label": "Nom bis"},
            ],
            "Champ n° 2 « Nom bis » : la clé « nom » est déjà utilisée",
        ),
        (
            [{"key": "nom", "type": "text", "label": "  "}],
            "Champ n° 1 (nom) : le libellé est obligatoire",
        ),
        (
            [{"key": "c", "type": "choice", "label": "Couleur"}],
            "« Couleur » : donnez au moins une proposition",
        ),
        (
            [{"key": "c", "type": "multiple", "label": "Couleur", "choices": ["A", "A"]}],
            "la proposition « A » figure deux fois",
        ),
        (
            [{"key": "b", "type": "text", "label": "B", "condition": {"field": "a", "value": "x"}}],
            "la condition porte sur « a », qui n'est pas un champ placé avant",
        ),
        (
            [
                {
                    "key": "b",
                    "type": "text",
                    "label": "B",
                    "condition": {"field": "a", "value": "x"},
                },
                {"key": "a", "type": "text", "label": "A"},
            ],
            "« B » : la condition porte sur « a », qui n'est pas un champ placé avant",
        ),
        (
            [
                {
                    "key": "a",
                    "type": "yesno",
                    "label": "A",
                    "condition": {"field": "a", "value": "oui"},
                }
            ],
            "la condition ne peut pas porter sur le champ lui-même",
        ),
        (
            [
                {"key": "a", "type": "yesno", "label": "A"},
                {
                    "key": "b",
                    "type": "text",
                    "label": "B",
                    "condition": {"field": "a", "value": "peut-être"},
                },
            ],
            "la valeur de la condition doit être « oui » ou « non »",
        ),
        (
            [
                {"key": "a", "type": "choice", "label": "A", "choices": ["x", "y"]},
                {
                    "key": "b",
                    "type": "text",
                    "label": "B",
                    "condition": {"field": "a", "value": "z"},
                },
            ],
            "« z » n'est pas une des propositions de « A »",
        ),
        (
            [{"key": "p", "type": "attachment", "label": "Pièce", "allowed_types": ["pdf", "exe"]}],
            "le type de fichier « exe » n'est pas accepté par le contrôle des fichiers",
        ),
        (
            [{"key": "p", "type": "attachment", "label": "Pièce", "max_size_mb": 0}],
            "la taille maximale doit être un nombre de Mo positif",
        ),
        (
            [
                {
                    "key": "r",
                    "type": "repeat",
                    "label": "Bloc",
                    "children": [
                        {
                            "key": "s",
                            "type": "repeat",
                            "label": "Sous-bloc",
                            "children": [{"key": "t", "type": "text", "label": "T"}],
                        }
                    ],
                }
            ],
            "Champ n° 1 du bloc « Bloc » « Sous-bloc » : un bloc répétable ne peut pas "
            "contenir de bloc répétable",
        ),
        (
            [
                {
                    "key": "r",
                    "type": "repeat",
                    "label": "Bloc",
                    "children": [{"key": "p", "type": "attachment", "label": "Pièce"}],
                }
            ],
            "un bloc répétable ne peut pas contenir de pièce jointe",
        ),
        (
            [{"key": "r", "type": "repeat", "label": "Bloc", "children": []}],
            "doit contenir au moins un champ",
        ),
        (
            [
                {
                    "key": "r",
                    "type": "repeat",
                    "label": "Bloc",
                    "max_repeat": 0,
                    "children": [{"key": "t", "type": "text", "label": "T"}],
                }
            ],
            "le nombre maximal de répétitions doit être un entier de 1 à 100",
        ),
        (
            [
                {
                    "key": "r",
                    "type": "repeat",
                    "label": "Bloc",
                    "children": [{"key": "r", "type": "text", "label": "T"}],
                }
            ],
            "la clé « r » est déjà utilisée",
        ),
        (
            [{"key": "n", "type": "integer", "label": "N", "min": 5, "max": 1}],
            "le minimum est plus grand que le maximum",
        ),
        (
            [{"key": "n", "type": "integer", "label": "N", "min": 1.5}],
            "« min » doit être un nombre entier",
        ),
    ],
)
def test_bad_definitions_are_refused_in_french_naming_the_field(fields, message):
    assert message in refused(fields)


def test_every_error_of_a_definition_is_reported_at_once():
    text = refused(
        [
            {"key": "a", "type": "slider", "label": "A"},
            {"key": "b", "type": "choice", "label": "B"},
        ]
    )
    assert "Champ n° 1 « A »" in text
    assert "Champ n° 2 « B »" in text


def test_attachment_size_is_capped_by_the_site_limit(settings):
    settings.CIVIS_MAX_UPLOAD_MB = 8
    (field,) = one("attachment", max_size_mb=20, allowed_types=["PDF", ".JPG"])
    assert field["max_size_mb"] == 8
    assert field["allowed_types"] == ["pdf", "jpg"]
    assert max_upload_bytes(field) == 8 * 1024 * 1024
    assert accepted_kinds(field) == {"pdf", "jpeg"}


def test_the_rule_of_an_attachment_is_written_for_the_citizen():
    (field,) = one("attachment", allowed_types=["pdf", "jpg", "jpeg", "png"], max_size_mb=5)
    assert attachment_rule(field) == "PDF, JPG ou PNG, 5 Mo maximum"
    (field,) = one("attachment", allowed_types=["pdf"], max_size_mb=2.5)
    assert attachment_rule(field) == "PDF, 2,5 Mo maximum"


# Any definition a builder can produce.
keys = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
labels = st.text(min_size=1, max_size=30).filter(lambda s: s.strip())
SIMPLE_TYPES = [
    "text",
    "textarea",
    "integer",
    "decimal",
    "date",
    "yesno",
    "checkbox",
    "email",
    "phone",
    "address",
    "commune",
    "siret",
    "iban",
    "header",
    "explanation",
]


@st.composite
def field_lists(draw, *, in_repeat: bool = False, used: set[str] | None = None):
    used = set() if used is None else used
    fields = []
    types = [*SIMPLE_TYPES, "choice", "multiple"] + ([] if in_repeat else ["attachment", "repeat"])
    for _ in range(draw(st.integers(1, 5))):
        key = draw(keys.filter(lambda k: k not in used))
        used.add(key)
        kind = draw(st.sampled_from(types))
        field = {
            "key": key,
            "type": kind,
            "label": draw(labels),
            "required": draw(st.booleans()),
            "help": draw(st.text(max_size=20)),
        }
        if kind in ("choice", "multiple"):
            field["choices"] = draw(
                st.lists(labels.map(str.strip), min_size=1, max_size=4, unique=True)
            )
        if kind == "attachment":
            field["allowed_types"] = draw(
                st.lists(
                    st.sampled_from(["pdf", "jpg", "jpeg", "png", "odt", "csv"]),
                    min_size=1,
                    unique=True,
                )
            )
            field["max_size_mb"] = draw(st.integers(1, 50))
        if kind == "repeat":
            field["children"] = draw(field_lists(in_repeat=True, used=used))
            assume(any(c["type"] not in ("header", "explanation") for c in field["children"]))
            field["max_repeat"] = draw(st.integers(1, 20))
        if kind == "integer" and draw(st.booleans()):
            low = draw(st.integers(-100, 100))
            field.update(min=low, max=low + draw(st.integers(0, 100)))
        answerable = [f for f in fields if f["type"] in ("yesno", "checkbox", "choice", "multiple")]
        if answerable and draw(st.booleans()):
            target = draw(st.sampled_from(answerable))
            value = draw(st.sampled_from(target.get("choices", ["oui", "non"])))
            field["condition"] = {"field": target["key"], "value": value}
        fields.append(field)
    return fields


@settings(max_examples=60, deadline=None)
@given(field_lists())
def test_any_built_definition_round_trips(fields):
    once = validate_definition(fields)
    assert validate_definition(once) == once
    assert [f["key"] for f in once] == [f["key"] for f in fields]
    # An empty draft of it is never an error (unticked boxes are "no"); visibility follows the
    # conditions.
    cleaned, errors = clean_answers(once, {}, attachments={}, partial=True)
    assert errors == {}
    assert all(value is False for value in cleaned.values())
    shown = visible_fields(once, {})
    keys_shown = {f["key"] for f in shown}
    assert all(f["condition"]["field"] in keys_shown for f in shown if "condition" in f)


# --- answers: every type ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field_type", "extra", "raw", "expected"),
    [
        ("text", {}, "  Jeanne   Dupont ", "Jeanne Dupont"),
        ("textarea", {}, "Ligne 1\r\nLigne 2", "Ligne 1\nLigne 2"),
        ("integer", {}, " 1 200 ", 1200),
        ("integer", {"min": 0, "max": 10}, "10", 10),
        ("decimal", {}, "12,50", Decimal("12.50")),
        ("decimal", {}, "1 234.5", Decimal("1234.5")),
        ("date", {}, "2024-03-25", datetime.date(2024, 3, 25)),
        ("date", {}, "25/03/2024", datetime.date(2024, 3, 25)),
        ("date", {}, "5/3/2024", datetime.date(2024, 3, 5)),
        ("yesno", {}, "oui", True),
        ("yesno", {}, "Non", False),
        ("checkbox", {}, "oui", True),
        ("checkbox", {}, "non", False),
        ("choice", {"choices": ["Matin", "Soir"]}, "Soir", "Soir"),
        ("email", {}, " jeanne@exemple.fr ", "jeanne@exemple.fr"),
        ("phone", {}, "0612345678", "06 12 34 56 78"),
        ("phone", {}, "+33 6 12 34 56 78", "06 12 34 56 78"),
        ("phone", {}, "0033 (0)5 56 12 34 56", "05 56 12 34 56"),
        ("phone", {}, "05.56.12.34.56", "05 56 12 34 56"),
        ("phone", {}, "+262 692 12 34 56", "06 92 12 34 56"),
        (
            "address",
            {},
            " 12 rue des Écoles \n\n 33700  Mérignac ",
            "12 rue des Écoles\n33700 Mérignac",
        ),
        ("siret", {}, "732 829 320 00074", "73282932000074"),
        ("iban", {}, "fr76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890189"),
    ],
)
def test_good_values_are_typed(field_type, extra, raw, expected):
    fields = one(field_type, **extra)
    cleaned, errors = check(fields, {"champ": raw})
    assert errors == {}
    assert cleaned == {"champ": expected}


@pytest.mark.parametrize(
    ("field_type", "extra", "raw", "message"),
    [
        ("text", {}, "x" * 501, "La réponse est trop longue : 500 caractères au plus"),
        ("integer", {}, "12,5", "Saisissez un nombre entier, sans virgule, par exemple 12."),
        ("integer", {}, "douze", "Saisissez un nombre entier"),
        ("integer", {"min": 1}, "0", "Saisissez un nombre supérieur ou égal à 1."),
        ("integer", {"max": 10}, "11", "Saisissez un nombre inférieur ou égal à 10."),
        ("decimal", {}, "12,5,3", "Saisissez un nombre, par exemple 12,50."),
        ("decimal", {"min": 0.5}, "0,4", "supérieur ou égal à 0,5."),
        ("date", {}, "31/02/2024", "Saisissez une date valide au format JJ/MM/AAAA"),
        ("date", {}, "demain", "Saisissez une date valide"),
        ("yesno", {}, "peut-être", "Répondez par oui ou par non."),
        ("checkbox", {}, "bof", "Cochez la case ou laissez-la vide."),
        ("choice", {"choices": ["Matin", "Soir"]}, "Midi", "Choisissez une des propositions."),
        (
            "email",
            {},
            "jeanne@",
            "Saisissez une adresse électronique valide, par exemple nom@exemple.fr.",
        ),
        ("phone", {}, "06 12 34 56", "Saisissez un numéro de téléphone français à 10 chiffres"),
        ("phone", {}, "+44 20 7946 0958", "Saisissez un numéro de téléphone français"),
        ("phone", {}, "0012345678", "Saisissez un numéro de téléphone français"),
        (
            "siret",
            {},
            "732 829 320 00075",
            "Ce numéro SIRET n'existe pas : vérifiez les 14 chiffres",
        ),
        ("siret", {}, "732 829 320", "Un SIRET compte 14 chiffres (vous en avez saisi 9)."),
        ("siret", {}, "7328293200007A", "Un SIRET ne contient que des chiffres"),
        ("iban", {}, "FR76 3000 6000 0112 3456 7890 188", "Cet IBAN n'est pas valide"),
        ("iban", {}, "3000 6000", "Un IBAN commence par deux lettres et deux chiffres"),
        ("commune", {}, "99999", "Choisissez une commune du territoire dans la liste."),
    ],
)
@pytest.mark.django_db
def test_bad_values_get_a_french_message(field_type, extra, raw, message):
    fields = one(field_type, **extra)
    cleaned, errors = check(fields, {"champ": raw})
    assert cleaned == {}
    assert message in " ".join(errors["champ"])
    # A draft keeps reporting malformed values.
    assert check(fields, {"champ": raw}, partial=True)[1] == errors


@pytest.mark.parametrize(
    ("field_type", "extra", "message"),
    [
        ("text", {}, "Ce champ est obligatoire."),
        ("yesno", {}, "Répondez par oui ou par non."),
        ("choice", {"choices": ["A"]}, "Choisissez une réponse."),
        ("commune", {}, "Choisissez une réponse."),
        ("multiple", {"choices": ["A", "B"]}, "Cochez au moins une case."),
        ("checkbox", {}, "Cochez cette case pour continuer."),
        ("attachment", {}, "Joignez un fichier."),
        (
            "repeat",
            {"children": [{"key": "x", "type": "text", "label": "X"}]},
            "Remplissez au moins un élément.",
        ),
    ],
)
def test_required_answers_are_asked_for_except_in_a_draft(field_type, extra, message):
    fields = one(field_type, required=True, **extra)
    data = {"champ": "non"} if field_type == "checkbox" else {}
    assert check(fields, data)[1] == {"champ": [message]}
    assert check(fields, data, partial=True)[1] == {}


def test_an_attachment_field_is_satisfied_by_one_file():
    fields = one("attachment", required=True)
    assert check(fields, {}, attachments={"champ": 1}) == ({}, {})
    assert check(fields, {}, attachments={"champ": 0})[1] == {"champ": ["Joignez un fichier."]}


def test_multiple_answers_keep_the_definition_order_and_refuse_strangers():
    fields = one("multiple", choices=["Lundi", "Mardi", "Jeudi"])
    assert check(fields, {"champ": ["Jeudi", "Lundi"]}) == ({"champ": ["Lundi", "Jeudi"]}, {})
    assert check(fields, {"champ": "Mardi"}) == ({"champ": ["Mardi"]}, {})
    errors = check(fields, {"champ": ["Lundi", "Dimanche"]})[1]
    assert errors == {"champ": ["« Dimanche » ne fait pas partie des propositions."]}


def test_a_list_where_a_text_is_expected_is_malformed():
    assert check(one("text"), {"champ": ["a", "b"]})[1] == {"champ": ["La réponse est mal formée."]}


@pytest.mark.django_db
def test_a_commune_is_a_commune_of_the_territory():
    merignac = make_authority(name="Mérignac", insee_code="33281")
    make_authority(Authority.Kind.DEPARTEMENT, name="Gironde", insee_code="033")
    fields = one("commune")
    assert check(fields, {"champ": "33281"}) == ({"champ": merignac}, {})
    assert check(fields, {"champ": "Mérignac (33281)"}) == ({"champ": merignac}, {})
    assert check(fields, {"champ": "mérignac"}) == ({"champ": merignac}, {})
    assert "champ" in check(fields, {"champ": "033"})[1]  # a département is no commune
    assert answers_json({"champ": merignac}) == {"champ": "33281"}


def luhn_complete(digits: str) -> str:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return digits + str((10 - total % 10) % 10)


@settings(max_examples=80, deadline=None)
@given(
    st.text("0123456789", min_size=8, max_size=8),
    st.text("0123456789", min_size=4, max_size=4),
    st.lists(st.integers(0, 13), max_size=4),
)
def test_any_siret_with_a_good_luhn_key_is_accepted_spaces_and_all(siren, nic, spaces):
    # The SIREN (9 digits) and the whole SIRET (14) both end with a Luhn key.
    siret = luhn_complete(luhn_complete(siren) + nic)
    assume(not siret.startswith("356000000"))  # La Poste's establishments follow another rule
    typed = "".join(" " + c if i in spaces else c for i, c in enumerate(siret))
    assert check(one("siret"), {"champ": typed}) == ({"champ": siret}, {})
    wrong = siret[:-1] + str((int(siret[-1]) + 1) % 10)
    assert "champ" in check(one("siret"), {"champ": wrong})[1]


@settings(max_examples=80, deadline=None)
@given(
    st.sampled_from(["0{}", "+33{}", "0033{}", "+33 (0){}"]),
    st.integers(1, 9),
    st.text("0123456789", min_size=8, max_size=8),
    st.sampled_from(["", " ", ".", "-"]),
)
def test_any_french_number_is_normalised_whatever_its_spelling(prefix, first, rest, sep):
    national = f"0{first}{rest}"
    pairs = sep.join(national[i : i + 2] for i in range(0, 10, 2))
    typed = prefix.format(pairs[1:])
    assert normalize_phone(typed) == " ".join(national[i : i + 2] for i in range(0, 10, 2))


# --- conditions and repeat blocks ------------------------------------------------------------

CONDITIONAL = [
    {"key": "garde", "type": "yesno", "label": "Garde périscolaire ?", "required": True},
    {
        "key": "horaires",
        "type": "multiple",
        "label": "Horaires",
        "choices": ["Matin", "Soir"],
        "required": True,
        "condition": {"field": "garde", "value": "oui"},
    },
    {
        "key": "repas",
        "type": "integer",
        "label": "Repas par semaine",
        "required": True,
        "condition": {"field": "horaires", "value": "Soir"},
    },
]


def test_a_hidden_field_is_not_required_and_its_answer_is_ignored():
    fields = validate_definition(CONDITIONAL)
    data = {"garde": "non", "horaires": ["Soir"], "repas": "pas un nombre"}
    assert [f["key"] for f in visible_fields(fields, data)] == ["garde"]
    assert check(fields, data) == ({"garde": False}, {})


def test_a_shown_field_is_required_and_chains_follow():
    fields = validate_definition(CONDITIONAL)
    assert check(fields, {"garde": "oui"})[1] == {"horaires": ["Cochez au moins une case."]}
    cleaned, errors = check(fields, {"garde": "oui", "horaires": ["Soir"]})
    assert errors == {"repas": ["Ce champ est obligatoire."]}
    cleaned, errors = check(fields, {"garde": "oui", "horaires": ["Matin"], "repas": "x"})
    assert (cleaned, errors) == ({"garde": True, "horaires": ["Matin"]}, {})


def test_a_condition_on_a_checkbox_compares_oui_non():
    fields = validate_definition(
        [
            {"key": "autre", "type": "checkbox", "label": "Autre adresse"},
            {
                "key": "adresse",
                "type": "address",
                "label": "Adresse",
                "required": True,
                "condition": {"field": "autre", "value": "oui"},
            },
            {
                "key": "motif",
                "type": "text",
                "label": "Pourquoi pas",
                "required": True,
                "condition": {"field": "autre", "value": "non"},
            },
        ]
    )
    assert [f["key"] for f in visible_fields(fields, {})] == ["autre", "motif"]
    assert [f["key"] for f in visible_fields(fields, {"autre": "oui"})] == ["autre", "adresse"]


REPEAT = [
    {
        "key": "enfants",
        "type": "repeat",
        "label": "Enfants",
        "max_repeat": 2,
        "required": True,
        "children": [
            {"key": "prenom", "type": "text", "label": "Prénom", "required": True},
            {"key": "naissance", "type": "date", "label": "Date de naissance", "required": True},
            {"key": "allergie", "type": "yesno", "label": "Allergie ?"},
            {
                "key": "laquelle",
                "type": "text",
                "label": "Laquelle",
                "required": True,
                "condition": {"field": "allergie", "value": "oui"},
            },
        ],
    },
]


def test_each_repeat_item_is_checked_with_its_own_conditions():
    fields = validate_definition(REPEAT)
    data = {
        "enfants": [
            {"prenom": "Léa", "naissance": "2018-05-02", "allergie": "non", "laquelle": "x"},
            {"prenom": "", "naissance": "", "allergie": ""},  # left blank: ignored
            {"prenom": "Tom", "naissance": "31/13/2019", "allergie": "oui"},
        ]
    }
    cleaned, errors = check(fields, data)
    assert errors == {
        "enfants.2.naissance": [
            "Saisissez une date valide au format JJ/MM/AAAA, par exemple 25/03/2024."
        ],
        "enfants.2.laquelle": ["Ce champ est obligatoire."],
    }
    assert cleaned["enfants"][0] == {
        "prenom": "Léa",
        "naissance": datetime.date(2018, 5, 2),
        "allergie": False,
    }


def test_a_repeat_block_has_a_maximum_and_a_minimum_when_required():
    fields = validate_definition(REPEAT)
    item = {"prenom": "A", "naissance": "2020-01-01"}
    errors = check(fields, {"enfants": [item, item, item]})[1]
    assert errors == {"enfants": ["Ce bloc peut être rempli 2 fois au plus."]}
    assert check(fields, {"enfants": []})[1] == {"enfants": ["Remplissez au moins un élément."]}
    assert check(fields, {"enfants": "texte"})[1] == {
        "enfants": ["Les réponses de ce bloc sont mal formées."]
    }


# --- display ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_answers_are_displayed_in_french():
    make_authority(name="Mérignac", insee_code="33281")
    fields = validate_definition(
        [
            {"key": "t", "type": "header", "label": "Le demandeur"},
            {"key": "e", "type": "explanation", "label": "Lisez bien."},
            {"key": "ne_le", "type": "date", "label": "Né le"},
            {"key": "budget", "type": "decimal", "label": "Budget"},
            {"key": "majeur", "type": "yesno", "label": "Majeur"},
            {"key": "commune", "type": "commune", "label": "Commune"},
            {"key": "siret", "type": "siret", "label": "SIRET"},
            {"key": "iban", "type": "iban", "label": "IBAN"},
            {"key": "age", "type": "integer", "label": "Âge"},
            {"key": "vide", "type": "text", "label": "Remarque"},
            {"key": "piece", "type": "attachment", "label": "Budget prévisionnel"},
            *REPEAT,
        ]
    )
    data = {
        "ne_le": "2001-02-03",
        "budget": "1500.5",
        "majeur": "oui",
        "commune": "33281",
        "siret": "73282932000074",
        "iban": "FR7630006000011234567890189",
        "age": "vingt",
        "enfants": [{"prenom": "Léa", "naissance": "02/05/2018", "allergie": "non"}],
    }
    lines = display_answers(fields, data, {"piece": ["budget.pdf"]})
    assert lines == [
        ("Le demandeur", ""),
        ("Né le", "03/02/2001"),
        ("Budget", "1500,5"),
        ("Majeur", "Oui"),
        ("Commune", "Mérignac"),
        ("SIRET", "732 829 320 00074"),
        ("IBAN", "FR76 3000 6000 0112 3456 7890 189"),
        ("Âge", "vingt"),  # malformed: shown as typed
        ("Remarque", "Non renseigné"),
        ("Budget prévisionnel", "budget.pdf"),
        ("Enfants n° 1", ""),
        ("Enfants n° 1 — Prénom", "Léa"),
        ("Enfants n° 1 — Date de naissance", "02/05/2018"),
        ("Enfants n° 1 — Allergie ?", "Non"),
    ]


def test_hidden_fields_are_not_displayed():
    fields = validate_definition(CONDITIONAL)
    assert display_answers(fields, {"garde": "non", "horaires": ["Soir"]}, {}) == [
        ("Garde périscolaire ?", "Non")
    ]


def test_typed_answers_become_json():
    assert answers_json(
        {
            "d": datetime.date(2024, 1, 2),
            "n": Decimal("1.50"),
            "l": [{"d": datetime.date(2024, 1, 3)}],
        }
    ) == {"d": "2024-01-02", "n": "1.50", "l": [{"d": "2024-01-03"}]}

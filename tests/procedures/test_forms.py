"""The procedure form as the citizen's browser meets it: what is posted comes back as the raw
answers (repeat blocks ``key.i.child``, address lines, unticked boxes), drafts keep malformed
input, and the rendering is accessible — a label for every input, « (obligatoire) » in text,
help and errors linked by aria-describedby, aria-invalid, fieldsets with legends, an error
summary linking to each field, attachment rules written before upload, a no-JS repeat."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from django.http import QueryDict
from django.template.loader import render_to_string
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procedures.fields import parse_date, validate_definition
from procedures.forms import AnswersForm, join_address, read_answers, split_address
from tests.factories import make_authority

FIELDS = validate_definition(
    [
        {"key": "intro", "type": "header", "label": "L'enfant"},
        {
            "key": "nom",
            "type": "text",
            "label": "Nom de l'enfant",
            "required": True,
            "help": "Comme sur le livret de famille.",
            "autocomplete": "family-name",
        },
        {"key": "naissance", "type": "date", "label": "Date de naissance", "required": True},
        {"key": "freres", "type": "integer", "label": "Frères et sœurs", "min": 0, "max": 12},
        {"key": "quotient", "type": "decimal", "label": "Quotient familial"},
        {"key": "courriel", "type": "email", "label": "Courriel"},
        {"key": "telephone", "type": "phone", "label": "Téléphone", "required": True},
        {"key": "siret", "type": "siret", "label": "SIRET"},
        {"key": "iban", "type": "iban", "label": "IBAN"},
        {"key": "cantine", "type": "yesno", "label": "Cantine ?", "required": True},
        {
            "key": "jours",
            "type": "multiple",
            "label": "Jours de cantine",
            "choices": ["Lundi", "Mardi", "Jeudi", "Vendredi"],
            "condition": {"field": "cantine", "value": "oui"},
        },
        {"key": "ecole", "type": "choice", "label": "École", "choices": ["Jean Jaurès", "Arlac"]},
        {"key": "adresse", "type": "address", "label": "Adresse", "required": True},
        {"key": "commune", "type": "commune", "label": "Commune de résidence"},
        {"key": "remarques", "type": "textarea", "label": "Remarques"},
        {
            "key": "atteste",
            "type": "checkbox",
            "label": "J'atteste sur l'honneur",
            "required": True,
        },
        {
            "key": "justificatif",
            "type": "attachment",
            "label": "Justificatif de domicile",
            "required": True,
            "allowed_types": ["pdf", "jpg", "png"],
            "max_size_mb": 5,
        },
        {
            "key": "responsables",
            "type": "repeat",
            "label": "Responsables",
            "max_repeat": 3,
            "children": [
                {"key": "prenom", "type": "text", "label": "Prénom", "required": True},
                {
                    "key": "lien",
                    "type": "choice",
                    "label": "Lien",
                    "choices": ["Mère", "Père", "Autre"],
                },
                {
                    "key": "precision",
                    "type": "text",
                    "label": "Précisez",
                    "condition": {"field": "lien", "value": "Autre"},
                },
                {"key": "joignable", "type": "checkbox", "label": "Joignable en journée"},
            ],
        },
    ]
)

SPACE_DOCUMENTS = [
    SimpleNamespace(
        pk=9,
        title="Facture d'électricité",
        current_version=SimpleNamespace(kind="pdf", file_name="facture.pdf"),
    ),
    SimpleNamespace(
        pk=10, title="Budget", current_version=SimpleNamespace(kind="ods", file_name="b.ods")
    ),
]


def posted(pairs: list[tuple[str, str]]) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in pairs:
        data.appendlist(name, value)
    return data


def render(form: AnswersForm, **context) -> BeautifulSoup:
    context.setdefault("space_documents", SPACE_DOCUMENTS)
    context.setdefault("request", None)
    html = render_to_string(
        "procedures/includes/form_fields.html", {"form": form, "fields": form.definition, **context}
    )
    return BeautifulSoup(html, "html.parser")


def submit(soup: BeautifulSoup) -> QueryDict:
    """What a browser posts from the rendered inputs (outside <template>, no files)."""
    pairs: list[tuple[str, str]] = []
    for element in soup.find_all(["input", "select", "textarea"]):
        if element.find_parent("template") or not element.get("name"):
            continue
        if element.name == "textarea":
            pairs.append((element["name"], element.get_text()))
        elif element.name == "select":
            chosen = element.find("option", selected=True) or element.find("option")
            pairs.append((element["name"], chosen.get("value", "")))
        elif element.get("type") in ("checkbox", "radio"):
            if element.has_attr("checked"):
                pairs.append((element["name"], element["value"]))
        elif element.get("type") != "file":
            pairs.append((element["name"], element.get("value", "")))
    return posted(pairs)


GOOD = [
    ("nom", "Dupont"),
    ("naissance", "2018-05-02"),
    ("freres", "2"),
    ("quotient", "812,5"),
    ("courriel", "parent@exemple.fr"),
    ("telephone", "06 12 34 56 78"),
    ("cantine", "oui"),
    ("jours", "Lundi"),
    ("jours", "Jeudi"),
    ("ecole", "Arlac"),
    ("adresse__rue", "12 rue des Écoles"),
    ("adresse__code_postal", "33700"),
    ("adresse__ville", "Mérignac"),
    ("commune", "33281"),
    ("atteste", "oui"),
    ("responsables.0.prenom", "Jeanne"),
    ("responsables.0.lien", "Mère"),
    ("responsables.0.joignable", "oui"),
    ("responsables.1.prenom", ""),
    ("responsables.1.lien", ""),  # the empty no-JS item
    ("responsables.5.prenom", "Sam"),
    ("responsables.5.lien", "Autre"),
    ("responsables.5.precision", "Tuteur"),
]


@pytest.fixture
def merignac(db):
    return make_authority(name="Mérignac", insee_code="33281")


# --- what is posted --------------------------------------------------------------------------


def test_posted_inputs_become_the_raw_answers(merignac):
    answers = read_answers(FIELDS, posted(GOOD))
    assert answers["jours"] == ["Lundi", "Jeudi"]
    assert answers["adresse"] == "12 rue des Écoles\n33700 Mérignac"
    assert answers["atteste"] == "oui"
    assert answers["remarques"] == ""
    assert answers["responsables"] == [
        {"prenom": "Jeanne", "lien": "Mère", "joignable": "oui"},
        {"prenom": "Sam", "lien": "Autre", "precision": "Tuteur"},
    ]
    unticked = read_answers(FIELDS, posted([("nom", "x")]))
    assert unticked["atteste"] == "non"
    assert unticked["jours"] == []
    assert unticked["responsables"] == []


def test_a_commune_typed_with_its_name_is_stored_as_its_code(merignac):
    assert read_answers(FIELDS, posted([("commune", "Mérignac (33281)")]))["commune"] == "33281"
    assert read_answers(FIELDS, posted([("commune", "Ailleurs")]))["commune"] == "Ailleurs"


def test_a_complete_form_is_valid_and_typed(merignac):
    form = AnswersForm(FIELDS, data=posted(GOOD), attachments={"justificatif": 1})
    assert form.is_valid(), dict(form.errors)
    assert form.cleaned_data["responsables"][1]["precision"] == "Tuteur"
    assert form.typed["commune"] == merignac
    assert form.typed["telephone"] == "06 12 34 56 78"
    assert form.typed["responsables"][0]["joignable"] is True


def test_a_draft_keeps_malformed_input_and_reports_it(merignac):
    data = posted([("nom", ""), ("naissance", "31/02/2018"), ("siret", "123")])
    form = AnswersForm(FIELDS, data=data, partial=True)
    assert not form.is_valid()
    assert form.cleaned_data["naissance"] == "31/02/2018"  # kept as typed
    assert form.cleaned_data["siret"] == "123"
    assert set(form.errors) == {"naissance", "siret"}  # nothing is required in a draft
    assert form.errors["siret"] == ["Un SIRET compte 14 chiffres (vous en avez saisi 3)."]


def test_a_submission_asks_for_the_required_answers(merignac):
    form = AnswersForm(FIELDS, data=posted([("cantine", "non")]), attachments={"justificatif": []})
    assert not form.is_valid()
    assert form.errors["nom"] == ["Ce champ est obligatoire."]
    assert form.errors["atteste"] == ["Cochez cette case pour continuer."]
    assert form.errors["justificatif"] == ["Joignez un fichier."]
    assert "jours" not in form.errors  # hidden: cantine is "non"


def test_an_address_splits_back_into_its_lines():
    text = "3 avenue de la Libération\nBâtiment B\n33700 Mérignac"
    parts = split_address(text)
    assert parts == {
        "rue": "3 avenue de la Libération",
        "complement": "Bâtiment B",
        "code_postal": "33700",
        "ville": "Mérignac",
    }
    assert join_address(parts) == text


# --- rendering -------------------------------------------------------------------------------


def assert_accessible(soup: BeautifulSoup) -> None:
    ids = {element["id"] for element in soup.find_all(id=True)}
    for element in soup.find_all(["input", "select", "textarea"]):
        if element.find_parent("template"):
            continue
        assert soup.find("label", attrs={"for": element["id"]}), element
        for ref in element.get("aria-describedby", "").split():
            assert ref in ids, (element, ref)
    for fieldset in soup.find_all("fieldset"):
        assert fieldset.find("legend"), fieldset


def test_the_form_is_rendered_accessibly(merignac):
    form = AnswersForm(FIELDS, initial={"naissance": "02/05/2018", "commune": "33281"})
    soup = render(form)
    assert_accessible(soup)
    nom = soup.find(id="champ-nom")
    label = soup.find("label", attrs={"for": "champ-nom"})
    assert "(obligatoire)" in label.get_text()
    assert nom["autocomplete"] == "family-name"
    assert nom["aria-describedby"] == "champ-nom-aide"
    assert soup.find(id="champ-nom-aide").get_text() == "Comme sur le livret de famille."
    assert soup.find(id="champ-naissance")["type"] == "date"
    assert soup.find(id="champ-naissance")["value"] == "2018-05-02"  # JJ/MM/AAAA shown as ISO
    assert soup.find(id="champ-freres")["inputmode"] == "numeric"
    assert "Entre 0 et 12." in soup.find(id="champ-freres-aide").get_text()
    assert soup.find(id="champ-quotient")["inputmode"] == "decimal"
    assert soup.find(id="champ-courriel")["type"] == "email"
    assert soup.find(id="champ-courriel")["autocomplete"] == "email"
    assert soup.find(id="champ-telephone")["type"] == "tel"
    assert soup.find(id="champ-telephone")["autocomplete"] == "tel"
    assert soup.find(id="champ-siret")["inputmode"] == "numeric"
    assert soup.find(id="champ-iban")["autocapitalize"] == "characters"
    assert soup.find(id="champ-adresse-code-postal")["autocomplete"] == "postal-code"
    # Groups of choices, yes/no, multiple, address and repeat are fieldsets with a legend.
    for ident in (
        "champ-cantine-groupe",
        "champ-jours-groupe",
        "champ-ecole-groupe",
        "champ-adresse-groupe",
        "champ-responsables",
    ):
        assert soup.find(id=ident).name == "fieldset"
    assert "Cantine ?" in soup.find(id="champ-cantine-groupe").legend.get_text()
    commune = soup.find(id="champ-commune")
    assert commune.name == "select"
    assert commune.find("option", selected=True).get_text() == "Mérignac (33281)"
    # No error summary on a fresh form.
    assert soup.find(attrs={"role": "alert"}) is None


def test_a_condition_is_written_out_for_a_page_without_javascript(merignac):
    soup = render(AnswersForm(FIELDS))
    wrapper = soup.find(attrs={"data-condition-name": "cantine"})
    assert wrapper["data-condition-value"] == "oui"
    assert wrapper.find(id="champ-jours")
    hint = wrapper.find(attrs={"data-condition-hint": True}).get_text()
    assert hint == "À remplir seulement si la réponse à « Cantine ? » est « oui »."


def test_errors_are_summarised_linked_and_announced(merignac):
    data = posted(
        [
            ("telephone", "12"),
            ("responsables.0.prenom", ""),
            ("responsables.0.lien", "Père"),
            ("cantine", "oui"),
        ]
    )
    form = AnswersForm(FIELDS, data=data, attachments={})
    soup = render(form)
    assert_accessible(soup)
    summary = soup.find(attrs={"role": "alert"})
    assert summary.name == "div"
    links = {a["href"]: a.get_text() for a in summary.find_all("a")}
    for href in links:
        assert soup.find(id=href[1:]), href
    assert links["#champ-telephone"].startswith("Téléphone : Saisissez un numéro de téléphone")
    assert links["#champ-nom"] == "Nom de l'enfant : Ce champ est obligatoire."
    assert links["#champ-responsables-0-prenom"] == (
        "Responsables n° 1 — Prénom : Ce champ est obligatoire."
    )
    assert links["#champ-justificatif"] == "Justificatif de domicile : Joignez un fichier."
    phone = soup.find(id="champ-telephone")
    assert phone["aria-invalid"] == "true"
    assert phone["aria-describedby"].split() == ["champ-telephone-aide", "champ-telephone-erreur"]
    assert "Saisissez un numéro" in soup.find(id="champ-telephone-erreur").get_text()
    assert soup.find(id="champ-atteste")["aria-invalid"] == "true"
    # The typed values stay in the inputs.
    assert phone["value"] == "12"


def test_attachments_say_their_rule_before_upload_and_offer_the_space(merignac):
    attached = [SimpleNamespace(pk=4, file_name="edf-mars.pdf", size=120_000)]
    form = AnswersForm(FIELDS, attachments={"justificatif": attached})
    soup = render(form)
    upload = soup.find("input", attrs={"name": "justificatif__upload"})
    assert upload["type"] == "file"
    assert upload["accept"] == ".pdf,.jpg,.png"
    rule = soup.find(id=upload["aria-describedby"].split()[0])
    assert rule.get_text() == "Formats et taille acceptés : PDF, JPG ou PNG, 5 Mo maximum."
    assert str(soup).index("5 Mo maximum") < str(soup).index('name="justificatif__upload"')
    group = soup.find(id="champ-justificatif-groupe")
    assert "edf-mars.pdf" in group.get_text()
    assert group.find("button", attrs={"name": "justificatif__remove", "value": "4"})
    pick = soup.find("select", attrs={"name": "justificatif__pick"})
    options = {o["value"]: o for o in pick.find_all("option")}
    assert not options["9"].has_attr("disabled")
    assert options["10"].has_attr("disabled")  # an ODS where PDF, JPG or PNG is asked
    assert "format non accepté" in options["10"].get_text()


def test_no_space_select_when_the_space_is_empty(merignac):
    soup = render(AnswersForm(FIELDS), space_documents=[])
    assert soup.find("select", attrs={"name": "justificatif__pick"}) is None
    assert "Aucun fichier joint pour l'instant." in soup.get_text()


def test_repeat_blocks_render_one_more_item_and_a_template_for_javascript(merignac):
    initial = {"responsables": [{"prenom": "Jeanne", "lien": "Mère"}, {"prenom": "Sam"}]}
    soup = render(AnswersForm(FIELDS, initial=initial))
    block = soup.find(id="champ-responsables")
    items = [
        i for i in block.find_all(attrs={"data-repeat-item": True}) if not i.find_parent("template")
    ]
    assert [i.legend.get_text() for i in items] == [
        "Responsables n° 1",
        "Responsables n° 2",
        "Responsables n° 3",
    ]
    assert soup.find(id="champ-responsables-0-prenom")["value"] == "Jeanne"
    assert soup.find(id="champ-responsables-2-prenom")["name"] == "responsables.2.prenom"
    template = block.find("template")
    assert 'name="responsables.__i__.prenom"' in template.decode_contents()
    add = block.find("button", attrs={"data-repeat-add": True})
    assert add["type"] == "button"
    assert add.has_attr("hidden")  # shown by form.js; without it, saving adds an item
    assert block["data-repeat-max"] == "3"
    # At the maximum, no extra empty item.
    full = {"responsables": [{"prenom": n} for n in ("A", "B", "C")]}
    soup = render(AnswersForm(FIELDS, initial=full))
    assert soup.find(id="champ-responsables-3-prenom") is None
    # A condition inside an item points to the item's own field.
    precision = soup.find(id="champ-responsables-0-precision").find_parent(
        attrs={"data-condition-name": True}
    )
    assert precision["data-condition-name"] == "responsables.0.lien"


def test_an_empty_repeat_block_renders_one_item(merignac):
    soup = render(AnswersForm(FIELDS))
    assert soup.find(id="champ-responsables-0-prenom")
    assert soup.find(id="champ-responsables-1-prenom") is None


def test_a_choice_with_many_options_is_a_select():
    fields = validate_definition(
        [
            {
                "key": "mois",
                "type": "choice",
                "label": "Mois",
                "required": True,
                "choices": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août"],
            }
        ]
    )
    soup = render(AnswersForm(fields, initial={"mois": "mai"}))
    select = soup.find(id="champ-mois")
    assert select.name == "select"
    assert select.find("option", selected=True)["value"] == "mai"
    assert_accessible(soup)


@pytest.mark.django_db
def test_the_static_files_are_linked():
    soup = render(AnswersForm(FIELDS))
    assert soup.find("script")["src"].endswith("procedures/form.js")
    assert soup.find("script").has_attr("defer")
    assert soup.find("link")["href"].endswith("procedures/form.css")


# What the form shows, the browser posts back unchanged: no draft loses input on a round trip.
text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=20
).map(lambda s: " ".join(s.split()))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    nom=text,
    naissance=st.dates().map(lambda d: d.isoformat()) | text.filter(lambda s: not parse_date(s)),
    telephone=text,
    cantine=st.sampled_from(["", "oui", "non"]),
    jours=st.lists(st.sampled_from(["Lundi", "Mardi", "Jeudi", "Vendredi"]), unique=True),
    ecole=st.sampled_from(["", "Jean Jaurès", "Arlac"]),
    atteste=st.sampled_from(["oui", "non"]),
    rue=text,
    remarques=text,
    responsables=st.lists(
        st.fixed_dictionaries(
            {"prenom": text.filter(bool), "lien": st.sampled_from(["", "Mère", "Autre"])}
        ),
        max_size=3,
    ),
)
def test_rendered_answers_are_posted_back_unchanged(
    merignac,
    nom,
    naissance,
    telephone,
    cantine,
    jours,
    ecole,
    atteste,
    rue,
    remarques,
    responsables,
):
    order = ["Lundi", "Mardi", "Jeudi", "Vendredi"]
    answers = read_answers(FIELDS, {})
    answers.update(
        nom=nom,
        naissance=naissance,
        telephone=telephone,
        cantine=cantine,
        jours=[d for d in order if d in jours],
        ecole=ecole,
        atteste=atteste,
        adresse=join_address({"rue": rue, "code_postal": "33700", "ville": "Mérignac"}),
        remarques=remarques,
        commune="33281",
        responsables=responsables,
    )
    back = read_answers(FIELDS, submit(render(AnswersForm(FIELDS, initial=answers))))
    # Inside an item, an unanswered input is either absent (radios) or "" (text): the same.
    for side in (back, answers):
        side["responsables"] = [
            {k: v for k, v in i.items() if v != ""} for i in side["responsables"]
        ]
    assert back == answers

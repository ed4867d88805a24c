"""An authority's identity (address, hours, phone, e-mail, website): the values, the one
service that writes them, who may, and the admin screens publishers and administrators use."""

from __future__ import annotations

import json
import os
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from audit.models import AuditEvent
from identity import contact as values
from identity import services
from identity.models import Authority, AuthorityContact, User
from identity.selectors import authorities_identity_editable_by
from tests.factories import make_agent, make_territory, make_user
from tests.strategies import territory_parents

pytestmark = pytest.mark.django_db
EXAMPLES = int(os.environ.get("CIVIS_PROPERTY_EXAMPLES", "60"))
NBSP = "\u00a0"

VALID = {
    "street_address": "Hôtel de ville\n1 place de la République",
    "postal_code": "33700",
    "city": "Mérignac",
    "opening_hours": "Lu-Ve 08:30-12:00,13:30-17:00; Sa 09:00-12:00",
    "opening_hours_note": "Fermé les jours fériés.",
    "phone": "05 36 49 10 00",
    "email": "accueil@merignac.demo.civis.invalid",
    "contact_url": "",
    "website": "https://www.merignac.demo.civis.invalid/",
}


# --- Values ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (
            "Lu-Ve 08:30-12:00,13:30-17:00; Sa 09:00-12:00",
            "Lu-Ve 08:30-12:00,13:30-17:00; Sa 09:00-12:00",
        ),
        ("lundi au vendredi de 8h30 à 12h et 13h30 à 17h", "Lu-Ve 08:30-12:00,13:30-17:00"),
        ("Mo-Fr 8-12\nSa 9h-12h", "Lu-Ve 08:00-12:00; Sa 09:00-12:00"),
        ("lu, me, ve 9:00 - 12:00", "Lu,Me,Ve 09:00-12:00"),
        ("Lu-Di 00:00-24:00", "Lu-Di 00:00-24:00"),
        ("", ""),
    ],
)
def test_opening_hours_are_stored_in_one_canonical_form(typed, stored):
    assert values.clean_opening_hours(typed) == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Ve-Lu 09:00-12:00", "une plage de jours va du premier au dernier"),
        ("Lu 09:00-12:00; Lu 11:00-13:00", "se chevauchent"),
        ("Lu 25:00-26:00", "n'est pas une heure de la journée"),
        ("Lu 12:00-09:00", "ferme avant d'ouvrir"),
        ("Xy 09:00-12:00", "jour « Xy » inconnu"),
        ("le matin", "écrivez les jours puis les heures"),
        ("Lu,Lu 09:00-10:00", "un jour y figure deux fois"),
    ],
)
def test_opening_hours_refused_with_a_french_message_naming_the_rule(typed, message):
    with pytest.raises(ValidationError) as error:
        values.clean_opening_hours(typed)
    assert message in error.value.messages[0]


def test_opening_hours_read_as_french_sentences_and_schema_org():
    text = "Lu-Ve 08:30-12:00,13:30-17:00; Sa 09:00-12:00"
    assert [line.replace(NBSP, " ") for line in values.opening_hours_lines(text)] == [
        "Du lundi au vendredi de 8 h 30 à 12 h et de 13 h 30 à 17 h",
        "Le samedi de 9 h à 12 h",
    ]
    spec = values.opening_hours_specification(text)
    assert spec[0] == {
        "@type": "OpeningHoursSpecification",
        "dayOfWeek": [
            "https://schema.org/Monday",
            "https://schema.org/Tuesday",
            "https://schema.org/Wednesday",
            "https://schema.org/Thursday",
            "https://schema.org/Friday",
        ],
        "opens": "08:30",
        "closes": "12:00",
    }
    assert [(s["opens"], s["closes"]) for s in spec] == [
        ("08:30", "12:00"),
        ("13:30", "17:00"),
        ("09:00", "12:00"),
    ]
    assert spec[2]["dayOfWeek"] == ["https://schema.org/Saturday"]


@pytest.mark.parametrize(
    ("typed", "stored", "shown"),
    [
        ("05 56 55 66 00", "+33556556600", "05 56 55 66 00"),
        ("05.56.55.66.00", "+33556556600", "05 56 55 66 00"),
        ("+33 5 56 55 66 00", "+33556556600", "05 56 55 66 00"),
        ("+33 (0)5 56 55 66 00", "+33556556600", "05 56 55 66 00"),
        ("0033 5 56 55 66 00", "+33556556600", "05 56 55 66 00"),
        ("0262 12 34 56", "+262262123456", "02 62 12 34 56"),
        ("3939", "3939", "3939"),
    ],
)
def test_french_phone_numbers_are_normalised_to_e164(typed, stored, shown):
    assert values.clean_phone(typed) == stored
    assert values.phone_display(stored).replace(NBSP, " ") == shown


@pytest.mark.parametrize("typed", ["12345", "+44 20 7946 0000", "05 56 55 66", "téléphone", "00"])
def test_other_phone_numbers_are_refused(typed):
    with pytest.raises(ValidationError, match="Numéro de téléphone français attendu"):
        values.clean_phone(typed)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("javascript:alert(1)", "https://"),
        ("JavaScript:alert(document.cookie)", "https://"),
        ("data:text/html,<script>alert(1)</script>", "https://"),
        ("http://www.exemple.fr/", "https://"),
        ("https://maire:secret@www.exemple.fr/", "identifiant ni de mot de passe"),
        ("https://exemple", "adresse web valide"),
        ("https://www.exemple.fr/a b", "adresse web valide"),
    ],
)
def test_web_addresses_are_https_only(typed, message):
    with pytest.raises(ValidationError) as error:
        values.clean_https_url(typed)
    assert message in error.value.messages[0]


def test_a_bare_domain_gets_https():
    assert values.clean_https_url(" www.Exemple.FR/Contact ") == "https://www.exemple.fr/Contact"


def test_postal_codes_and_emails():
    assert values.clean_postal_code("33 700") == "33700"
    for bad in ("3370", "00100", "99000", "ABCDE"):
        with pytest.raises(ValidationError, match="Code postal"):
            values.clean_postal_code(bad)
    assert values.clean_email("Accueil@Mairie.FR") == "Accueil@mairie.fr"
    with pytest.raises(ValidationError, match="adresse électronique valide"):
        values.clean_email("accueil@")


def test_jsonld_text_cannot_close_its_script_element():
    text = values.jsonld_text({"name": "</script><script>alert(1)</script> & co"})
    assert "</script>" not in text and "<" not in text and "&" not in text
    import json

    assert json.loads(text)["name"] == "</script><script>alert(1)</script> & co"


# --- The service -----------------------------------------------------------------------------
@pytest.fixture
def territory():
    return make_territory()


def test_a_publisher_saves_the_identity_normalised_and_audited(territory):
    merignac = territory["merignac"]
    editor = make_agent("editeur-merignac", roles=[(merignac, "publisher")])
    contact = services.authority_contact_update(
        actor=editor, authority=merignac, ip_address="192.0.2.1", **VALID
    )
    assert contact.phone == "+33536491000"
    assert contact.updated_by == editor and contact.updated_at is not None
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, authority=merignac)
    assert event.actor == editor and event.ip_address == "192.0.2.1"
    assert event.detail["change"] == "authority_contact"
    assert (
        event.detail["before"]["phone"] == "" and event.detail["after"]["phone"] == "+33536491000"
    )

    services.authority_contact_update(actor=editor, authority=merignac, phone="05 36 49 10 01")
    latest = AuditEvent.objects.filter(authority=merignac).order_by("-pk").first()
    # Only what changed, before → after; the fields not passed are kept.
    assert latest.detail["before"] == {"phone": "+33536491000"}
    assert latest.detail["after"] == {"phone": "+33536491001"}
    contact.refresh_from_db()
    assert contact.city == "Mérignac" and contact.phone == "+33536491001"


def test_saving_the_same_values_writes_nothing(territory):
    merignac = territory["merignac"]
    services.authority_contact_update(actor=None, authority=merignac, **VALID)
    count = AuditEvent.objects.count()
    stamp = AuthorityContact.objects.get(authority=merignac).updated_at
    services.authority_contact_update(actor=None, authority=merignac, **VALID)
    assert AuditEvent.objects.count() == count
    assert AuthorityContact.objects.get(authority=merignac).updated_at == stamp


def test_bad_input_is_refused_field_by_field_and_nothing_is_saved(territory):
    merignac = territory["merignac"]
    services.authority_contact_update(actor=None, authority=merignac, **VALID)
    count = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        services.authority_contact_update(
            actor=None,
            authority=merignac,
            city="Mérignac-Nouveau",  # valid, yet not saved either
            phone="12345",
            website="javascript:alert(1)",
            opening_hours="Lu 18:00-09:00",
            postal_code="3370",
        )
    fields = error.value.message_dict
    assert set(fields) == {"phone", "website", "opening_hours", "postal_code"}
    assert "Numéro de téléphone français attendu" in fields["phone"][0]
    contact = AuthorityContact.objects.get(authority=merignac)
    assert contact.city == "Mérignac" and contact.phone == "+33536491000"
    assert AuditEvent.objects.count() == count


def test_an_address_is_whole_or_absent(territory):
    with pytest.raises(ValidationError) as error:
        services.authority_contact_update(
            actor=None, authority=territory["merignac"], street_address="1 place de la Mairie"
        )
    assert set(error.value.message_dict) == {"postal_code", "city"}
    assert not AuthorityContact.objects.exists()


def test_outsiders_are_refused_and_nothing_is_written(territory):
    outsider = make_agent("editeur-bordeaux", roles=[(territory["bordeaux"], "publisher")])
    agent = make_agent("agent-merignac", roles=[(territory["merignac"], "agent")])
    citizen = make_user("citoyen")
    for actor in (outsider, agent, citizen):
        with pytest.raises(PermissionDenied):
            services.authority_contact_update(
                actor=actor, authority=territory["merignac"], phone="05 36 49 10 00"
            )
    assert not AuthorityContact.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE).exists()


# --- Who may edit which authority, as a property ----------------------------------------------
ROLES = ["agent", "publisher", "admin", "territory_admin"]


@st.composite
def scopes(draw):
    parents = draw(territory_parents())
    n = len(parents)
    people = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["agent", "citizen", "superuser", "inactive"]),
                st.sets(st.tuples(st.integers(0, n - 1), st.sampled_from(ROLES)), max_size=3),
            ),
            min_size=1,
            max_size=4,
        )
    )
    return parents, people


def oracle_may_edit(parents, roles, authority: int) -> bool:
    """Publisher or administrator of the authority itself; administrator (authority or
    territory) of it or of any authority above it."""
    chain = [authority]
    while parents[chain[-1]] is not None:
        chain.append(parents[chain[-1]])
    return any(
        (a == authority and r in ("publisher", "admin", "territory_admin"))
        or (a in chain and r in ("admin", "territory_admin"))
        for a, r in roles
    )


class IdentityScopePropertyTest(TestCase):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(scopes())
    def test_exactly_the_authorities_the_rules_name_are_editable(self, scenario):
        parents, people = scenario
        authorities: list[Authority] = []
        for index, parent in enumerate(parents):
            authorities.append(
                Authority.objects.create(
                    kind="commune",
                    name=f"A{index}",
                    insee_code=f"{index:05d}",
                    parent=authorities[parent] if parent is not None else None,
                )
            )
        for number, (kind, roles) in enumerate(people):
            user = User.objects.create(
                username=f"p{number}",
                kind="agent" if kind != "citizen" else "citizen",
                is_superuser=kind == "superuser",
                is_active=kind != "inactive",
            )
            if kind != "citizen":
                for authority, role in roles:
                    services.membership_grant(
                        actor=None, user=user, authority=authorities[authority], role=role
                    )
            held = roles if kind != "citizen" else set()
            for index, authority in enumerate(authorities):
                expected = kind == "superuser" or (
                    kind != "inactive" and oracle_may_edit(parents, held, index)
                )
                actor = User.objects.get(pk=user.pk)  # fresh: no cached principals
                phone = f"05 36 49 00 {number:02d}"
                listed = authorities_identity_editable_by(actor).filter(pk=authority.pk).exists()
                assert listed == expected, (kind, held, index, parents)
                try:
                    services.authority_contact_update(actor=actor, authority=authority, phone=phone)
                    done = True
                except PermissionDenied:
                    done = False
                assert done == expected
                contact = AuthorityContact.objects.filter(authority=authority).first()
                if done:
                    assert contact is not None and contact.phone == values.clean_phone(phone)


# --- The admin screens -----------------------------------------------------------------------
@pytest.fixture
def people(territory):
    return {
        "editor": make_agent("editeur-merignac", roles=[(territory["merignac"], "publisher")]),
        "agent": make_agent("agent-merignac", roles=[(territory["merignac"], "agent")]),
        "metropole_admin": make_agent("admin-metropole", roles=[(territory["metropole"], "admin")]),
        "region_admin": make_agent(
            "admin-region", roles=[(territory["region"], "territory_admin")]
        ),
        "bordeaux_editor": make_agent(
            "editeur-bordeaux", roles=[(territory["bordeaux"], "publisher")]
        ),
    }


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def edit_url(authority: Authority) -> str:
    return reverse("civis_authority_contact", args=[authority.pk])


def test_the_urls(territory):
    assert reverse("civis_authority_contact_index") == "/admin/identite/"
    assert edit_url(territory["merignac"]) == f"/admin/identite/{territory['merignac'].pk}/"


def test_anonymous_is_sent_to_sign_in(territory):
    for url in (reverse("civis_authority_contact_index"), edit_url(territory["merignac"])):
        response = Client().get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def menu(user: User) -> dict[str, str]:
    """The sidebar's menu items {label: url}, as Wagtail hands them to its JavaScript."""
    html = client_for(user).get("/admin/").content.decode()
    props = re.search(
        r'<script id="wagtail-sidebar-props" type="application/json">(.*?)</script>', html, re.S
    )
    assert props
    found: dict[str, str] = {}

    def walk(node) -> None:
        if isinstance(node, dict):
            if "label" in node and "url" in node:
                found[node["label"]] = node["url"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(props.group(1)))
    return found


def test_the_menu_offers_the_page_to_those_who_may_edit(territory, people):
    label = "Identité de la collectivité"
    assert menu(people["editor"])[label] == "/admin/identite/"
    assert menu(people["region_admin"])[label] == "/admin/identite/"
    assert label not in menu(people["agent"])


def test_a_publisher_of_one_authority_goes_straight_to_its_form(territory, people):
    response = client_for(people["editor"]).get(reverse("civis_authority_contact_index"))
    assert response.status_code == 302
    assert response["Location"] == edit_url(territory["merignac"])


def test_an_agent_may_not_open_the_page(territory, people):
    client = client_for(people["agent"])
    refused = client.get(reverse("civis_authority_contact_index"))
    assert refused.status_code == 302 and refused["Location"] == "/admin/"  # Wagtail's way
    assert client.get(edit_url(territory["merignac"])).status_code == 404


def test_an_administrator_lists_and_searches_the_authorities_of_their_scope(territory, people):
    client = client_for(people["metropole_admin"])
    html = client.get(reverse("civis_authority_contact_index")).content.decode()
    for name in ("Bordeaux Métropole", "Mérignac", "Bordeaux"):
        assert f">{name}</a>" in html
    assert "Arcachon" not in html and "Nouvelle-Aquitaine</a>" not in html
    html = client.get(reverse("civis_authority_contact_index"), {"q": "mérig"}).content.decode()
    assert ">Mérignac</a>" in html and ">Bordeaux</a>" not in html
    assert client.get(edit_url(territory["merignac"])).status_code == 200


@pytest.mark.parametrize("who", ["bordeaux_editor", "agent", "metropole_admin"])
def test_outsiders_get_404_on_an_authority_outside_their_scope(territory, people, who):
    target = territory["arcachon"] if who == "metropole_admin" else territory["merignac"]
    client = client_for(people[who])
    assert client.get(edit_url(target)).status_code == 404
    assert client.post(edit_url(target), {**VALID}).status_code == 404
    assert not AuthorityContact.objects.exists()


def test_the_publisher_saves_the_form_and_reads_the_confirmation(territory, people):
    client = client_for(people["editor"])
    url = edit_url(territory["merignac"])
    response = client.post(url, VALID)
    assert response.status_code == 302 and response["Location"] == url
    html = client.get(url).content.decode()
    assert "Coordonnées de Mérignac enregistrées" in html
    assert 'value="05 36 49 10 00"' in html
    assert "Lu-Ve 08:30-12:00,13:30-17:00\nSa 09:00-12:00" in html
    assert "Du lundi au vendredi de 8" in html
    contact = AuthorityContact.objects.get(authority=territory["merignac"])
    assert contact.phone == "+33536491000" and contact.updated_by == people["editor"]
    # The same form again: nothing changes, and the page says so.
    client.post(url, {**VALID, "phone": "+33 5 36 49 10 00"})
    assert "Aucune modification." in client.get(url).content.decode()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE).count() == 1


def test_bad_input_re_renders_with_a_message_per_field_and_saves_nothing(territory, people):
    client = client_for(people["editor"])
    url = edit_url(territory["merignac"])
    response = client.post(
        url,
        {
            **VALID,
            "phone": "12 34",
            "website": "javascript:alert(1)",
            "email": "accueil@",
            "opening_hours": "Lu 18:00-09:00",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "4 valeurs sont à corriger ; rien n'a été enregistré." in html
    assert "Numéro de téléphone français attendu" in html
    assert "L&#x27;adresse doit commencer par https://" in html
    assert "Saisissez une adresse électronique valide" in html
    assert "ferme avant d&#x27;ouvrir" in html
    assert re.search(
        r'id="id_phone"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="id_phone"', html
    )
    # What was typed is shown again, to correct it.
    assert 'value="12 34"' in html
    assert not AuthorityContact.objects.exists()

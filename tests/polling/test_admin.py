"""Admin > Où voter ?: a publisher of Mérignac lists its communes, adds, edits and deletes a
rule of its arrêté, imports its rules and its list of addresses (and reads the report); refused
input answers 400 with the French message on the field and stores nothing; the menu item is a
publisher's, not a mere agent's. And every URL of the section — found by walking the URL
resolver, not listed by hand — answers 404 to someone who does not manage the commune (a
login redirect to anonymous), without leaking the commune's rules or writing anything."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import polling.wagtail_hooks  # noqa: F401 (registers the admin section's URLs)
from audit.models import AuditEvent
from identity.models import Authority, Membership, User
from polling.models import AssignedAddress, CommuneReference, Parity, Street, StreetRule
from polling.services import rule_create
from tests.factories import make_agent, make_territory

pytestmark = pytest.mark.django_db

REFERENCE = "Arrêté n° 2026-14 du 12 janvier 2026"


@pytest.fixture
def world() -> dict[str, Any]:
    places = make_territory()
    merignac, bordeaux = places["merignac"], places["bordeaux"]
    publisher = make_agent("editeur-merignac", roles=[(merignac, Membership.Role.PUBLISHER)])
    rule = rule_create(
        actor=publisher,
        commune=merignac,
        street="Avenue de la Libération",
        number_from=1,
        number_to=99,
        parity=Parity.ODD,
        bureau=2,
        reference="Arrêté secret n° 1234",
    )
    return {
        "places": places,
        "merignac": merignac,
        "bordeaux": bordeaux,
        "rule": rule,
        "publisher": publisher,
        "agent": make_agent("agent-merignac", roles=[(merignac, Membership.Role.AGENT)]),
        "other": make_agent("editeur-bordeaux", roles=[(bordeaux, Membership.Role.PUBLISHER)]),
    }


def client_of(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def commune_url(commune: Authority) -> str:
    return reverse("polling_admin_commune", args=[commune.insee_code])


def rule_form(**fields: str) -> dict[str, str]:
    data = {
        "street": "Rue Jean Jaurès",
        "number_from": "1",
        "number_to": "39",
        "parity": Parity.ODD,
        "bureau": "3",
        "reference": REFERENCE,
    }
    data.update(fields)
    return {f"regle-{key}": value for key, value in data.items()}


def snapshot() -> tuple[Any, ...]:
    """What the app stores, to check that a refused request changed nothing."""
    return (
        sorted(
            StreetRule.objects.values_list(
                "pk", "street__label", "number_from", "number_to", "parity", "bureau", "reference"
            )
        ),
        sorted(Street.objects.values_list("pk", "commune_id", "key", "label")),
        sorted(AssignedAddress.objects.values_list("pk", "street_id", "number", "bureau")),
        sorted(CommuneReference.objects.values_list("pk", "source", "addresses")),
        AuditEvent.objects.count(),
    )


# --- menu and list ---------------------------------------------------------------------------


def test_the_menu_shows_the_section_to_a_publisher_and_not_to_an_agent(
    world: dict[str, Any],
) -> None:
    home = client_of(world["publisher"]).get("/admin/")
    assert home.status_code == 200
    assert reverse("polling_admin_communes") in text(home)
    home = client_of(world["agent"]).get("/admin/")
    assert home.status_code == 200
    assert reverse("polling_admin_communes") not in text(home)
    assert client_of(world["agent"]).get(reverse("polling_admin_communes")).status_code == 404


def test_the_list_shows_the_managed_communes_with_their_data(world: dict[str, Any]) -> None:
    merignac = world["merignac"]
    CommuneReference.objects.filter(commune=merignac).update(addresses=42, split_addresses=3)
    page = text(client_of(world["publisher"]).get(reverse("polling_admin_communes")))
    assert "Mérignac" in page
    assert commune_url(merignac) in page
    row = re.search(r"<tr>\s*<th scope=\"row\"><a href=\"[^\"]*33281/\">.*?</tr>", page, re.S)
    assert row, page
    cells = re.findall(r"<td>(.*?)</td>", row.group(0), re.S)
    assert cells[0] == "Arrêté de la commune"
    assert cells[2:] == ["42", "3", "1"]
    # Bordeaux's publisher manages Bordeaux only: Mérignac is not listed.
    other = text(client_of(world["other"]).get(reverse("polling_admin_communes")))
    assert commune_url(merignac) not in other
    assert commune_url(world["bordeaux"]) in other  # offered among the communes to choose


def test_choosing_a_commune_opens_it_only_when_managed(world: dict[str, Any]) -> None:
    client = client_of(world["publisher"])
    response = client.get(reverse("polling_admin_communes"), {"commune": "33281"})
    assert response.status_code == 302
    assert response["Location"] == commune_url(world["merignac"])
    response = client.get(reverse("polling_admin_communes"), {"commune": "Mérignac"})
    assert response["Location"] == commune_url(world["merignac"])
    response = client.get(reverse("polling_admin_communes"), {"commune": "33063"})
    assert response.status_code == 400
    assert "Vous ne gérez aucune commune de ce code INSEE ou de ce nom." in text(response)


# --- rules -----------------------------------------------------------------------------------


def test_a_publisher_sees_the_rules_of_the_commune(world: dict[str, Any]) -> None:
    page = text(client_of(world["publisher"]).get(commune_url(world["merignac"])))
    assert "Avenue de la Libération" in page
    assert "du 1 au 99, impairs" in page
    assert "Arrêté secret n° 1234" in page
    assert reverse("polling_admin_rule_edit", args=[world["rule"].pk]) in page
    assert reverse("polling_admin_rule_delete", args=[world["rule"].pk]) in page
    assert "voie;de;a;cote;bureau;arrete" in page
    # Each form has its labelled fields in a fieldset.
    assert page.count("<fieldset") >= 3
    assert 'for="id_regle-street"' in page
    assert "<legend>Une ligne de l'arrêté</legend>" in page


def test_a_publisher_adds_a_rule(world: dict[str, Any]) -> None:
    client = client_of(world["publisher"])
    response = client.post(
        reverse("polling_admin_rule_create", args=["33281"]), rule_form(), follow=True
    )
    assert response.status_code == 200
    rule = StreetRule.objects.get(street__label="Rue Jean Jaurès")
    assert (rule.number_from, rule.number_to, rule.parity, rule.bureau, rule.reference) == (
        1,
        39,
        Parity.ODD,
        3,
        REFERENCE,
    )
    assert rule.street.commune == world["merignac"]
    assert rule.created_by == world["publisher"]
    page = text(response)
    assert "Règle ajoutée : Rue Jean Jaurès, du 1 au 39, impairs → bureau 3." in page
    assert REFERENCE in page


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"bureau": ""}, "bureau", "Indiquez le numéro du bureau (1 à 9999)."),
        ({"reference": ""}, "reference", "Indiquez l'arrêté qui fixe ce découpage."),
        ({"street": ""}, "street", "Indiquez la voie."),
        ({"number_from": "40", "number_to": "2"}, "number_to", "Le dernier numéro précède le"),
        ({"number_from": "douze"}, "number_from", "Un numéro est un nombre entier"),
        ({"parity": "milieu"}, "parity", "Choisissez le côté : pairs, impairs, ou les deux."),
        # The service's check: the odd numbers 1-99 of the avenue already vote in bureau 2.
        (
            {"street": "avenue de la liberation", "number_from": "11", "number_to": "21"},
            "number_from",
            "Ces numéros sont déjà attribués au bureau 2",
        ),
    ],
)
def test_a_refused_rule_answers_400_in_french_on_the_field_and_stores_nothing(
    world: dict[str, Any], fields: dict[str, Any], field: str, message: str
) -> None:
    before = snapshot()
    response = client_of(world["publisher"]).post(
        reverse("polling_admin_rule_create", args=["33281"]), rule_form(**fields)
    )
    assert response.status_code == 400
    page = text(response)
    assert message in page
    # The errors summary links to the field.
    assert f'href="#id_regle-{field}"' in page
    assert "<title>Erreur :" in page
    assert snapshot() == before


def test_a_publisher_edits_a_rule(world: dict[str, Any]) -> None:
    rule = world["rule"]
    url = reverse("polling_admin_rule_edit", args=[rule.pk])
    client = client_of(world["publisher"])
    page = text(client.get(url))
    assert 'value="Arrêté secret n° 1234"' in page
    data = {
        "number_from": "1",
        "number_to": "",
        "parity": Parity.ALL,
        "bureau": "5",
        "reference": REFERENCE,
    }
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == commune_url(world["merignac"])
    rule.refresh_from_db()
    assert (rule.number_from, rule.number_to, rule.parity, rule.bureau, rule.reference) == (
        1,
        None,
        Parity.ALL,
        5,
        REFERENCE,
    )
    assert "à partir du 1, pairs et impairs" in text(client.get(commune_url(world["merignac"])))
    # Refused: 400, the message on the field, nothing changed.
    before = snapshot()
    response = client.post(url, {**data, "bureau": "0"})
    assert response.status_code == 400
    assert "Indiquez le numéro du bureau (1 à 9999)." in text(response)
    assert 'href="#id_bureau"' in text(response)
    assert snapshot() == before


def test_a_publisher_deletes_a_rule_after_confirming(world: dict[str, Any]) -> None:
    rule = world["rule"]
    url = reverse("polling_admin_rule_delete", args=[rule.pk])
    client = client_of(world["publisher"])
    page = text(client.get(url))
    assert "Supprimer la règle « Avenue de la Libération, du 1 au 99, impairs → bureau 2 »" in page
    assert StreetRule.objects.filter(pk=rule.pk).exists()  # GET never writes
    before = snapshot()
    response = client.post(url, {})
    assert response.status_code == 400
    assert "Cochez la case pour confirmer la suppression." in text(response)
    assert snapshot() == before
    response = client.post(url, {"confirm": "1"})
    assert response.status_code == 302
    assert not StreetRule.objects.filter(pk=rule.pk).exists()
    assert not Street.objects.filter(label="Avenue de la Libération").exists()


# --- imports ---------------------------------------------------------------------------------


def upload(content: str, name: str = "fichier.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode(encoding), content_type="text/csv")


RULES_CSV = (
    "voie;de;a;cote;bureau;arrete\n"
    f"Rue Jean Jaurès;1;39;impairs;3;{REFERENCE}\n"
    f"Rue Jean Jaurès;2;;pairs;4;{REFERENCE}\n"
    f"Place de la Mairie;;;;1;{REFERENCE}\n"
)


def test_a_publisher_imports_the_rules_which_replace_the_previous_ones(
    world: dict[str, Any],
) -> None:
    client = client_of(world["publisher"])
    response = client.post(
        reverse("polling_admin_rules_import", args=["33281"]),
        {"regles-file": upload(RULES_CSV)},
        follow=True,
    )
    assert response.status_code == 200
    assert "3 règles importées" in text(response)
    rules = sorted(
        StreetRule.objects.filter(street__commune=world["merignac"]).values_list(
            "street__label", "number_from", "number_to", "parity", "bureau"
        )
    )
    assert rules == [
        ("Place de la Mairie", None, None, Parity.ALL, 1),
        ("Rue Jean Jaurès", 1, 39, Parity.ODD, 3),
        ("Rue Jean Jaurès", 2, None, Parity.EVEN, 4),
    ]
    page = text(response)
    assert "du 1 au 39, impairs" in page
    assert "Arrêté secret n° 1234" not in page


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("voie;de;bureau\nRue A;1;2\n", "Colonnes attendues : voie;de;a;cote;bureau;arrete"),
        (
            RULES_CSV + f"Rue B;1;9;au milieu;2;{REFERENCE}\n",
            "Ligne 5 : côté « au milieu » inconnu",
        ),
        (RULES_CSV + "Rue B;1;9;;2;\n", "Ligne 5 : Indiquez l'arrêté"),
        # The overlap is found only while writing: nothing of the file is kept.
        (RULES_CSV + f"Rue Jean Jaurès;5;7;;9;{REFERENCE}\n", "Ligne 5 : Ces numéros"),
    ],
)
def test_a_refused_rules_file_answers_400_and_imports_nothing(
    world: dict[str, Any], content: str, message: str
) -> None:
    before = snapshot()
    response = client_of(world["publisher"]).post(
        reverse("polling_admin_rules_import", args=["33281"]), {"regles-file": upload(content)}
    )
    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert 'href="#id_regles-file"' in page
    assert snapshot() == before


def test_a_rules_import_without_a_file_answers_400(world: dict[str, Any]) -> None:
    before = snapshot()
    response = client_of(world["publisher"]).post(
        reverse("polling_admin_rules_import", args=["33281"]), {}
    )
    assert response.status_code == 400
    assert "Choisissez le fichier à importer." in text(response)
    assert snapshot() == before


ASSIGNMENT_CSV = (
    "code_commune_ref;id_brut_bv_reu;numero_voie_reu;voie_reu\n"
    "33281;33281_0001;1;RUE JEAN JAURES\n"
    "33281;33281_0001;3;RUE JEAN JAURES\n"
    "33281;33281_0002;2;RUE JEAN JAURES\n"
    "33281;33281_0002;5;PLACE DE LA MAIRIE\n"
    "33281;33281_0003;5;PLACE DE LA MAIRIE\n"
    "33063;33063_0001;1;COURS DE L INTENDANCE\n"
    "33281;bureau ?;7;RUE JEAN JAURES\n"
)


def test_a_publisher_imports_the_list_of_addresses_and_reads_the_report(
    world: dict[str, Any],
) -> None:
    client = client_of(world["publisher"])
    response = client.post(
        reverse("polling_admin_assignment_import", args=["33281"]),
        {
            "adresses-file": upload(ASSIGNMENT_CSV),
            "adresses-source": "REU, extraction de la mairie",
            "adresses-source_date": "2026-01-15",
        },
    )
    assert response.status_code == 200
    page = text(response)
    assert "7 ligne(s) lue(s)." in page
    assert "Commune 33281 : 4 adresse(s) — 5 ajoutée(s)" in page
    assert "1 adresse(s) dans plusieurs bureaux." in page
    assert "adresse d'une autre commune" in page
    assert "numéro de bureau illisible" in page
    reference = CommuneReference.objects.get(commune=world["merignac"])
    assert reference.source == "REU, extraction de la mairie"
    assert str(reference.source_date) == "2026-01-15"
    assert (reference.addresses, reference.split_addresses) == (4, 1)
    stored = sorted(
        AssignedAddress.objects.values_list("street__commune__insee_code", "number", "bureau")
    )
    assert stored == [
        ("33281", 1, 1),
        ("33281", 2, 2),
        ("33281", 3, 1),
        ("33281", 5, 2),
        ("33281", 5, 3),
    ]
    # Bordeaux's line is not Mérignac's publisher's to import.
    assert not CommuneReference.objects.filter(commune=world["bordeaux"]).exists()
    listing = text(client.get(reverse("polling_admin_communes")))
    assert "REU, extraction de la mairie" in listing
    assert "15 janvier 2026" in listing


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"adresses-source": ""}, "source", "Indiquez la source des données."),
        ({"adresses-source_date": "hier"}, "source_date", "Indiquez une date"),
        (
            {"adresses-file": "voie;numero\nRue A;1\n"},
            "file",
            "Colonne « bureau » absente : le fichier ne peut pas être lu.",
        ),
        ({"adresses-file": None}, "file", "Choisissez le fichier à importer."),
    ],
)
def test_a_refused_list_of_addresses_answers_400_and_imports_nothing(
    world: dict[str, Any], fields: dict[str, Any], field: str, message: str
) -> None:
    data: dict[str, Any] = {
        "adresses-file": ASSIGNMENT_CSV,
        "adresses-source": "REU",
        "adresses-source_date": "2026-01-15",
    }
    data.update(fields)
    if data["adresses-file"] is None:
        del data["adresses-file"]
    else:
        data["adresses-file"] = upload(data["adresses-file"])
    before = snapshot()
    response = client_of(world["publisher"]).post(
        reverse("polling_admin_assignment_import", args=["33281"]), data
    )
    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert f'href="#id_adresses-{field}"' in page
    assert snapshot() == before


# --- the 404 walker --------------------------------------------------------------------------

CONVERTER = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")
PREFIX = "/admin/ou-voter/"
POST_ONLY = {
    "polling_admin_rule_create",
    "polling_admin_rules_import",
    "polling_admin_assignment_import",
}


def admin_routes() -> Iterator[tuple[str, URLPattern]]:
    """(route with <converters>, pattern) of every view under /admin/ou-voter/."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, URLPattern]]:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and route.startswith(PREFIX):
                yield route, entry

    yield from walk(get_resolver().url_patterns, "/")


def fill(route: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group("name")
        assert name in values, f"{route}: say what an unusable <{name}> is in this test"
        return values[name]

    assert not route.startswith("/^"), f"{route}: a regex route, fill it by hand"
    return CONVERTER.sub(one, route)


def _cases(world: dict[str, Any]) -> list[dict[str, str]]:
    return [
        # Mérignac and its rule.
        {"insee": "33281", "pk": str(world["rule"].pk)},
        # What does not exist at all.
        {"insee": "99999", "pk": "999999"},
    ]


def _answers(client: Client, url: str) -> tuple[set[int], str]:
    # A well-formed body, so a POST reaches the access check.
    body = {
        **rule_form(),
        "number_from": "1",
        "parity": Parity.ALL,
        "bureau": "7",
        "reference": REFERENCE,
        "confirm": "1",
        "commune": "33281",
        "regles-file": upload(RULES_CSV),
        "adresses-file": upload(ASSIGNMENT_CSV),
        "adresses-source": "REU",
    }
    got = client.get(url), client.post(url, body)
    pages = "".join(text(r) for r in got)
    statuses = {r.status_code for r in got} - {405}  # one of the two methods only
    return statuses, pages


def test_the_table_knows_every_route() -> None:
    names = {pattern.name for _route, pattern in admin_routes()}
    assert names == {
        "polling_admin_communes",
        "polling_admin_commune",
        "polling_admin_rule_edit",
        "polling_admin_rule_delete",
        *POST_ONLY,
    }
    for route, _pattern in admin_routes():
        for _conv, name in CONVERTER.findall(route):
            assert name in {"insee", "pk"}, route


@pytest.mark.parametrize("asker", ["agent", "other"])
def test_who_does_not_manage_the_commune_gets_404_everywhere(
    world: dict[str, Any], asker: str
) -> None:
    client = client_of(world[asker])
    before = snapshot()
    checked = 0
    for route, _pattern in admin_routes():
        if not CONVERTER.search(route):
            if asker == "other":
                continue  # Bordeaux's publisher may use the section, for Bordeaux
            url = route
            statuses, pages = _answers(client, url)
            assert statuses == {404}, url
            checked += 1
            continue
        for case in _cases(world):
            url = fill(route, case)
            statuses, pages = _answers(client, url)
            assert statuses == {404}, url
            assert "Arrêté secret" not in pages, url
            assert "Libération" not in pages, url
            checked += 1
    assert checked >= 12
    assert snapshot() == before


def test_bordeaux_publisher_lists_nothing_of_merignac(world: dict[str, Any]) -> None:
    client = client_of(world["other"])
    statuses, pages = _answers(client, reverse("polling_admin_communes"))
    # The list opens (GET); choosing Mérignac is refused (the POST is not allowed: 405).
    assert client.get(reverse("polling_admin_communes")).status_code == 200
    refused = client.get(reverse("polling_admin_communes"), {"commune": "33281"})
    assert refused.status_code == 400
    pages += text(refused)
    assert statuses == {200}
    assert "Arrêté secret" not in pages
    assert reverse("polling_admin_commune", args=["33281"]) not in pages


def test_post_only_actions_refuse_get(world: dict[str, Any]) -> None:
    client = client_of(world["publisher"])
    seen = set()
    for route, pattern in admin_routes():
        if pattern.name in POST_ONLY:
            url = fill(route, _cases(world)[0])
            assert client.get(url).status_code == 405, url
            seen.add(pattern.name)
    assert seen == POST_ONLY


def test_anonymous_is_sent_to_sign_in(world: dict[str, Any]) -> None:
    client = Client()
    before = snapshot()
    for route, _pattern in admin_routes():
        url = fill(route, _cases(world)[0]) if CONVERTER.search(route) else route
        for response in (client.get(url), client.post(url, {"confirm": "1"})):
            if response.status_code == 405:
                continue
            assert response.status_code == 302, url
            assert "/admin/login/" in response["Location"], url
    assert snapshot() == before

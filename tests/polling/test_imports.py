"""Importing a commune's assignment and its arrêté's rules: idempotent with a report, a
corrected file changes only what changed, a bad file imports nothing and says why in French,
and only the commune's publishers may import."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from identity.models import Membership
from polling.models import AssignedAddress, CommuneReference, StreetRule
from polling.selectors import polling_station_for
from polling.services import assignment_import, rule_create, rules_import
from tests.factories import make_agent, make_territory

pytestmark = pytest.mark.django_db

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "polling" / "val-de-marne"

FILE = (
    "bureau,adresse,cp,ville\n"
    "0002,15 RUE JEAN JAURES,33700,MERIGNAC\n"
    "2,17 RUE JEAN JAURES,33700,MERIGNAC\n"
    "2,17 RUE JEAN JAURES,33700,MERIGNAC\n"
    "3,2 AV DU GAL LECLERC,33700,MERIGNAC\n"
    "3,,33700,MERIGNAC\n"
    "X,4 RUE DU BAC,33700,MERIGNAC\n"
    "4,1 RUE DU PORT,33999,NULLEPART\n"
)


@pytest.fixture
def territory():
    places = make_territory()
    places["merignac"].postal_codes = "33700"
    places["merignac"].save()
    return places


def test_an_import_reports_what_it_did_and_again_changes_nothing(territory):
    report = assignment_import(actor=None, data=FILE.encode(), source="Liste 2026")
    assert report.communes["33281"] == {
        "addresses": 3,
        "created": 3,
        "removed": 0,
        "updated": 0,
        "unchanged": 0,
        "split": 0,
    }
    assert report.skipped == {
        "adresse vide": 1,
        "numéro de bureau illisible": 1,
        "commune introuvable ou ambiguë": 1,
    }
    again = assignment_import(actor=None, data=FILE.encode(), source="Liste 2026")
    assert again.communes["33281"]["created"] == 0
    assert again.communes["33281"]["unchanged"] == 3
    assert AssignedAddress.objects.count() == 3
    answer = polling_station_for(territory["merignac"], "2 avenue du Général Leclerc")
    assert (answer.confidence, answer.bureau.number) == ("certain", 3)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT).count() == 2


def test_a_corrected_file_replaces_the_commune_s_assignment(territory):
    assignment_import(actor=None, data=FILE.encode(), source="Liste 2026")
    corrected = "bureau,adresse,cp,ville\n5,15 RUE JEAN JAURES,33700,MERIGNAC\n"
    report = assignment_import(actor=None, data=corrected.encode(), source="Liste corrigée")
    assert report.communes["33281"]["removed"] == 3
    assert polling_station_for(territory["merignac"], "15 rue Jean Jaurès").bureau.number == 5
    assert CommuneReference.objects.get(commune=territory["merignac"]).source == "Liste corrigée"


def test_an_address_in_two_bureaux_is_reported_and_never_answered(territory):
    data = FILE + "4,15 RUE JEAN JAURES,33700,MERIGNAC\n"
    report = assignment_import(actor=None, data=data.encode(), source="Liste")
    assert report.communes["33281"]["split"] == 1
    answer = polling_station_for(territory["merignac"], "15 rue Jean Jaurès")
    assert answer.bureau is None
    assert [b.number for b in answer.candidates] == [2, 4]


def test_a_file_without_its_columns_imports_nothing(territory):
    with pytest.raises(ValidationError, match="bureau"):
        assignment_import(actor=None, data=b"nom,ville\nx,y\n", source="Liste")
    assert not CommuneReference.objects.exists()


def test_only_the_commune_s_publishers_may_import(territory):
    agent = make_agent(roles=[(territory["merignac"], Membership.Role.AGENT)])
    with pytest.raises(PermissionDenied):
        assignment_import(actor=agent, data=FILE.encode(), source="Liste")
    publisher = make_agent(roles=[(territory["merignac"], Membership.Role.PUBLISHER)])
    assignment_import(actor=publisher, data=FILE.encode(), source="Liste")
    assert AssignedAddress.objects.count() == 3
    with pytest.raises(PermissionDenied):
        rule_create(
            actor=agent,
            commune=territory["merignac"],
            street="rue du Bac",
            bureau=1,
            reference="Arrêté 1",
        )


def test_rules_that_give_one_number_two_bureaux_are_refused(territory):
    merignac = territory["merignac"]
    rule_create(
        actor=None,
        commune=merignac,
        street="rue du Bac",
        number_from=1,
        number_to=50,
        bureau=1,
        reference="Arrêté 1",
    )
    with pytest.raises(ValidationError, match="déjà attribués au bureau 1"):
        rule_create(
            actor=None,
            commune=merignac,
            street="Rue du Bac",
            number_from=40,
            number_to=90,
            bureau=2,
            reference="Arrêté 1",
        )
    rule_create(
        actor=None,
        commune=merignac,
        street="rue du Bac",
        number_from=51,
        bureau=2,
        reference="Arrêté 1",
    )
    assert polling_station_for(merignac, "60 rue du Bac").bureau.number == 2


def test_a_rules_file_with_one_bad_line_imports_nothing(territory):
    merignac = territory["merignac"]
    good = "voie;de;a;cote;bureau;arrete\nrue du Bac;1;9;impairs;1;Arrêté 1\n"
    assert rules_import(actor=None, commune=merignac, data=good.encode()) == 1
    bad = good + "rue du Port;a;9;;1;Arrêté 1\n"
    with pytest.raises(ValidationError, match="Ligne 3"):
        rules_import(actor=None, commune=merignac, data=bad.encode())
    assert StreetRule.objects.count() == 1


@pytest.mark.skipif(
    not (SHARED / "electeurs-adresses-bureaux.csv").exists(),
    reason="../shared/data/polling/val-de-marne absent : données réelles indisponibles",
)
def test_the_real_roll_of_orly_answers_within_orly_only():
    from identity.services import territory_import
    from identity.territory import load_territory, select_scope

    territory_import(
        data=select_scope(
            load_territory(SHARED.parents[2] / "data" / "decoupage-administratif"), region="11"
        )
    )
    lines = (SHARED / "electeurs-adresses-bureaux.csv").read_text().splitlines()
    wanted = [lines[0]] + [
        line for line in lines[1:] if ",ORLY," in line or ",VITRY-SUR-SEINE," in line
    ]
    report = assignment_import(actor=None, data="\n".join(wanted).encode(), source="Val-de-Marne")
    assert set(report.communes) == {"94054", "94081"}
    from identity.models import Authority

    orly = Authority.objects.get(insee_code="94054")
    answer = polling_station_for(orly, "37 rue Jean Jaurès")
    assert (answer.confidence, answer.bureau.number) == ("certain", 4)
    assert answer.commune == orly

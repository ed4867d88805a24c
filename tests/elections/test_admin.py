"""Admin > Élections as election night lives it: the menu and the list with each round's
progress, the round's bureaux grouped by state, the phone-sized entry form (the service's French
messages by field, nothing stored on a refused count, what was typed kept), the second agent's
validation (the four-eyes rule), corrections after publication (a reason needed), and the
managers' screens (create an election, candidates, expected bureaux, publication, closing,
import of the ministry's file)."""

from __future__ import annotations

import datetime
import html
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

import elections.wagtail_hooks  # noqa: F401 (registers the admin section's URLs)
from elections.models import BureauResult, Election, ResultState, RoundStatus
from elections.services.results import result_enter, result_validate
from identity.models import Membership
from tests.elections.factories import count, make_election, make_station
from tests.factories import make_agent, make_territory

pytestmark = pytest.mark.django_db


@pytest.fixture
def night():
    territory = make_territory()
    merignac = territory["merignac"]
    stations = [make_station(merignac, n) for n in (1, 2, 3)]
    election = make_election(merignac, stations=stations, slug="municipales-2026-merignac")
    round = election.rounds.get()
    return {
        "territory": territory,
        "election": election,
        "round": round,
        "results": list(round.results.order_by("station__code")),
        "first": make_agent("saisie-1", roles=[(merignac, Membership.Role.AGENT)]),
        "second": make_agent("saisie-2", roles=[(merignac, Membership.Role.AGENT)]),
        "manager": make_agent("editeur", roles=[(merignac, Membership.Role.PUBLISHER)]),
        "bordeaux": make_agent(
            "bordelais", roles=[(territory["bordeaux"], Membership.Role.PUBLISHER)]
        ),
    }


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def entry_url(result: BureauResult) -> str:
    return reverse("elections_admin_entry", args=[result.pk])


def validation_url(result: BureauResult) -> str:
    return reverse("elections_admin_validation", args=[result.pk])


def round_url(round) -> str:
    return reverse("elections_admin_round", args=[round.election_id, round.number])


def posted(figures: dict, votes: dict, **extra) -> dict:
    data = {key: str(value) for key, value in figures.items()}
    data.update({f"votes_{panel}": str(v) for panel, v in votes.items()})
    data.update(extra)
    return data


def text(response) -> str:
    return html.unescape(response.content.decode())


# --- Menu, list, round page --------------------------------------------------------------------


def test_the_menu_shows_elections_to_whoever_counts_and_not_to_others(night):
    home = client_of(night["first"]).get("/admin/")
    assert home.status_code == 200
    assert reverse("elections_admin_list") in text(home)
    nobody = make_agent(
        "agent-metropole", roles=[(night["territory"]["metropole"], Membership.Role.AGENT)]
    )
    home = client_of(nobody).get("/admin/")
    assert home.status_code == 200
    assert reverse("elections_admin_list") not in text(home)
    assert client_of(nobody).get(reverse("elections_admin_list")).status_code == 404


def test_the_list_shows_each_round_with_its_progress(night):
    first, second = night["first"], night["second"]
    figures, votes = count()
    a, b, _c = night["results"]
    result_enter(actor=first, result=a, figures=figures, votes=votes)
    result_enter(actor=first, result=b, figures=figures, votes=votes)
    result_validate(actor=second, result=a)
    page = text(client_of(first).get(reverse("elections_admin_list")))
    assert "Municipales 2026" in page
    assert round_url(night["round"]) in page
    assert "1 publié(s) · 0 validé(s) · 1 saisi(s) · 1 attendu(s) — 3 bureau(x)" in page
    # A Bordeaux publisher sees the section (they may create) but not Mérignac's election.
    other = text(client_of(night["bordeaux"]).get(reverse("elections_admin_list")))
    assert "Municipales 2026" not in other
    assert reverse("elections_admin_create") in other


def section(page: str, key: str) -> str:
    match = re.search(rf'<section[^>]*id="{key}".*?</section>', page, re.S)
    assert match, key
    return match.group(0)


def test_the_round_page_groups_the_bureaux_by_state_for_each_agent(night):
    first, second = night["first"], night["second"]
    a, b, c = night["results"]
    figures, votes = count()
    result_enter(actor=first, result=a, figures=figures, votes=votes)
    result_enter(actor=second, result=b, figures=figures, votes=votes)
    result_validate(actor=second, result=a)
    page = text(client_of(first).get(round_url(night["round"])))
    assert a.station.name in section(page, "publies")
    assert b.station.name in section(page, "a-valider")
    assert c.station.name in section(page, "a-saisir")
    assert entry_url(c) in section(page, "a-saisir")
    assert "Aucune saisie de votre part en attente" in section(page, "mes-saisies")
    page = text(client_of(second).get(round_url(night["round"])))
    assert b.station.name in section(page, "mes-saisies")
    assert "Aucune saisie à valider" in section(page, "a-valider")
    # Counters do not manage: no manager actions.
    assert reverse("elections_admin_finalise", args=[night["election"].pk, 1]) not in page


def test_the_round_page_filters_by_commune(night):
    territory = night["territory"]
    bordeaux_station = make_station(territory["bordeaux"], 7)
    BureauResult.objects.create(round=night["round"], station=bordeaux_station)
    overseer = make_agent(
        "admin-metropole", roles=[(territory["metropole"], Membership.Role.ADMIN)]
    )
    client = client_of(overseer)
    everything = text(client.get(round_url(night["round"])))
    assert bordeaux_station.name in everything and "Bureau n° 1" in everything
    only = text(client.get(round_url(night["round"]), {"commune": territory["bordeaux"].pk}))
    assert bordeaux_station.code in only and "33281_0001" not in only
    wrong = client.get(round_url(night["round"]), {"commune": "999999"})
    assert wrong.status_code == 400
    assert "Choisissez une commune de la liste." in text(wrong)


# --- Entry -------------------------------------------------------------------------------------


def test_the_entry_form_is_made_for_a_phone(night):
    page = text(client_of(night["first"]).get(entry_url(night["results"][0])))
    assert page.count('inputmode="numeric"') == 5 + 3
    for label in ("Inscrits", "Votants", "Bulletins blancs", "Bulletins nuls", "Exprimés"):
        assert label in page
    assert "Panneau 1 : Anne Martin — DVG" in page
    assert '<label for="id_votes_3">Panneau 3 : Claire Petit — ECO</label>' in page
    assert "elections/admin/night.js" in page  # the live sums, from a static file
    assert "Motif de la correction" not in page


def test_an_entry_that_does_not_add_up_shows_the_message_and_stores_nothing(night):
    result = night["results"][0]
    figures, votes = count()
    figures["votants"] = 700  # exprimés + blancs + nuls = 615
    response = client_of(night["first"]).post(entry_url(result), posted(figures, votes))
    assert response.status_code == 400
    page = text(response)
    assert "Les votants (700) doivent être égaux à exprimés + blancs + nuls (615)." in page
    assert 'role="alert"' in page and 'id="erreurs"' in page
    assert "<title>Erreur :" in page
    assert 'value="700"' in page and 'name="votes_1"' in page and 'value="300"' in page
    result.refresh_from_db()
    assert result.state == ResultState.EXPECTED and not result.versions.exists()


def test_a_missing_number_is_tied_to_its_field(night):
    result = night["results"][0]
    figures, votes = count()
    votes[2] = ""
    figures["nuls"] = "-3"
    response = client_of(night["first"]).post(entry_url(result), posted(figures, votes))
    assert response.status_code == 400
    page = text(response)
    assert 'href="#id_votes_2"' in page and "Indiquez le nombre de voix de Luc Bernard." in page
    assert 'id="id_nuls-erreur"' in page and 'aria-invalid="true"' in page
    assert "Le nombre de nuls doit être un entier positif ou nul." in page
    assert not result.versions.exists()


def test_an_entry_then_a_second_agents_validation_publishes(night):
    result = night["results"][0]
    figures, votes = count()
    response = client_of(night["first"]).post(entry_url(result), posted(figures, votes))
    assert response.status_code == 302 and response["Location"] == round_url(night["round"])
    result.refresh_from_db()
    assert result.state == ResultState.ENTERED and result.published is None
    second = client_of(night["second"])
    page = text(second.get(validation_url(result)))
    assert "Contrôles arithmétiques" in page and "✓ Conforme" in page
    assert ">Valider</button>" in page
    response = second.post(validation_url(result))
    assert response.status_code == 302 and response["Location"] == round_url(night["round"])
    result.refresh_from_db()
    assert result.state == ResultState.PUBLISHED and result.published == result.current
    assert result.published.validated_by == night["second"]
    page = text(second.get(round_url(night["round"])))
    assert "validé et publié" in page
    assert result.station.name in section(page, "publies")


def test_the_agent_who_entered_cannot_validate(night):
    result = night["results"][0]
    figures, votes = count()
    result_enter(actor=night["first"], result=result, figures=figures, votes=votes)
    client = client_of(night["first"])
    page = text(client.get(validation_url(result)))
    assert "Un autre agent doit valider cette saisie" in page
    assert ">Valider</button>" not in page
    response = client.post(validation_url(result))
    assert response.status_code == 403
    assert "Un autre agent que celui qui a saisi les résultats doit les valider." in text(response)
    result.refresh_from_db()
    assert result.state == ResultState.ENTERED and result.current.validated_by is None


def test_a_correction_after_publication_needs_its_reason(night):
    result = night["results"][0]
    figures, votes = count()
    first = result_enter(actor=night["first"], result=result, figures=figures, votes=votes)
    result_validate(actor=night["second"], result=result)
    client = client_of(night["first"])
    page = text(client.get(entry_url(result)))
    assert "Ce bureau est déjà publié : cette saisie est une correction." in page
    assert "Version publiée (1)" in page and "Motif de la correction" in page
    figures, votes = count(votes=(301, 199, 100))
    response = client.post(entry_url(result), posted(figures, votes))
    assert response.status_code == 400
    assert "Ce bureau est déjà publié : indiquez le motif de la correction." in text(response)
    assert result.versions.count() == 1
    response = client.post(
        entry_url(result), posted(figures, votes, note="Inversion de deux listes au PV")
    )
    assert response.status_code == 302
    result.refresh_from_db()
    assert result.state == ResultState.ENTERED and result.published == first
    assert result.current.number == 2 and result.current.note == "Inversion de deux listes au PV"
    # The validator sees both versions side by side, the changed figures flagged.
    page = text(client_of(night["second"]).get(validation_url(result)))
    assert "Version publiée (1)" in page and "Saisie à valider" in page
    assert "civis-night__changed" in page and "Inversion de deux listes au PV" in page


def test_a_final_round_takes_no_entry(night):
    round = night["round"]
    round.status = RoundStatus.FINAL
    round.save(update_fields=["status"])
    client = client_of(night["first"])
    result = night["results"][0]
    page = text(client.get(entry_url(result)))
    assert "définitifs" in page and 'name="inscrits"' not in page
    figures, votes = count()
    response = client.post(entry_url(result), posted(figures, votes))
    assert response.status_code == 400
    assert not result.versions.exists()


# --- Managers ----------------------------------------------------------------------------------


def test_a_manager_publishes_the_validated_bureaux_together(night):
    round = night["round"]
    round.publish_on_validation = False
    round.save(update_fields=["publish_on_validation"])
    a, b, _c = night["results"]
    figures, votes = count()
    for result in (a, b):
        result_enter(actor=night["first"], result=result, figures=figures, votes=votes)
        result_validate(actor=night["second"], result=result)
    manager = client_of(night["manager"])
    page = text(manager.get(round_url(round)))
    assert "Publier les bureaux validés" in page and a.station.name in section(page, "valides")
    url = reverse("elections_admin_publish", args=[round.election_id, round.number])
    assert manager.get(url).status_code == 405
    assert client_of(night["first"]).post(url).status_code == 404
    response = manager.post(url)
    assert response.status_code == 302
    assert BureauResult.objects.filter(round=round, state=ResultState.PUBLISHED).count() == 2
    assert "2 bureaux validés publiés." in text(manager.get(round_url(round)))


def test_closing_a_round_with_bureaux_left_shows_why(night):
    round = night["round"]
    url = reverse("elections_admin_finalise", args=[round.election_id, round.number])
    manager = client_of(night["manager"])
    response = manager.post(url)
    assert response.status_code == 400
    assert "Cochez la case de confirmation pour clore le tour." in text(response)
    response = manager.post(url, {"confirm": "1"})
    assert response.status_code == 400
    assert "3 bureau(x) ne sont pas encore publiés : le tour ne peut être clos." in text(response)
    round.refresh_from_db()
    assert round.status != RoundStatus.FINAL


def test_closing_a_round_once_every_bureau_is_published(night):
    round = night["round"]
    figures, votes = count()
    for result in night["results"]:
        result_enter(actor=night["first"], result=result, figures=figures, votes=votes)
        result_validate(actor=night["second"], result=result)
    url = reverse("elections_admin_finalise", args=[round.election_id, round.number])
    response = client_of(night["manager"]).post(url, {"confirm": "1"})
    assert response.status_code == 302
    round.refresh_from_db()
    assert round.status == RoundStatus.FINAL


def test_a_manager_creates_an_election_and_sets_its_candidates(night):
    manager = client_of(night["manager"])
    merignac = night["territory"]["merignac"]
    url = reverse("elections_admin_create")
    form = manager.get(url)
    assert form.status_code == 200 and "Date du second tour" in text(form)
    bad = manager.post(
        url,
        {
            "title": "Départementales 2028",
            "kind": "departementales",
            "owner": merignac.pk,
            "first_date": "2028-03-19",
            "second_date": "2028-03-12",
        },
    )
    assert bad.status_code == 400 and "Le second tour suit le premier." in text(bad)
    response = manager.post(
        url,
        {
            "title": "Départementales 2028",
            "kind": "departementales",
            "owner": merignac.pk,
            "first_date": "2028-03-12",
            "second_date": "19/03/2028",
        },
    )
    assert response.status_code == 302
    election = Election.objects.get(title="Départementales 2028")
    assert [r.date for r in election.rounds.order_by("number")] == [
        datetime.date(2028, 3, 12),
        datetime.date(2028, 3, 19),
    ]
    candidates_url = reverse("elections_admin_candidates", args=[election.pk, 1])
    assert response["Location"] == candidates_url
    data = {
        "candidats-TOTAL_FORMS": "3",
        "candidats-INITIAL_FORMS": "0",
        "candidats-MIN_NUM_FORMS": "0",
        "candidats-MAX_NUM_FORMS": "200",
        "candidats-0-panel": "1",
        "candidats-0-label": "Binôme Durand-Leroy",
        "candidats-0-nuance": "BDVG",
        "candidats-0-colour": "#B3261E",
        "candidats-1-panel": "2",
        "candidats-1-last_name": "Moreau",
        "candidats-1-first_name": "Inès",
        "candidats-1-colour": "#123",
    }
    bad = manager.post(candidates_url, data)
    assert bad.status_code == 400 and "La couleur s'écrit #RRVVBB" in text(bad)
    data["candidats-1-colour"] = "#1f4e99"
    response = manager.post(candidates_url, data)
    assert response.status_code == 302
    round = election.rounds.get(number=1)
    assert [(c.panel, c.display_name, c.colour) for c in round.candidates.all()] == [
        (1, "Binôme Durand-Leroy", "#b3261e"),
        (2, "Inès Moreau", "#1f4e99"),
    ]
    # An agent who only counts may not create.
    assert client_of(night["first"]).get(url).status_code == 404


def test_candidates_are_locked_once_a_bureau_is_entered(night):
    figures, votes = count()
    result_enter(actor=night["first"], result=night["results"][0], figures=figures, votes=votes)
    url = reverse("elections_admin_candidates", args=[night["election"].pk, 1])
    page = text(client_of(night["manager"]).get(url))
    assert "les candidats ne changent plus" in page and "Anne Martin" in page
    assert 'name="candidats-TOTAL_FORMS"' not in page


def test_a_manager_expects_the_territorys_bureaux(night):
    merignac = night["territory"]["merignac"]
    make_station(merignac, 4)
    round = night["round"]
    url = reverse("elections_admin_expect", args=[round.election_id, round.number])
    manager = client_of(night["manager"])
    assert manager.get(url).status_code == 405
    response = manager.post(url)
    assert response.status_code == 302
    assert round.results.count() == 4
    assert "1 bureau du territoire ajouté aux bureaux attendus." in text(
        manager.get(round_url(round))
    )
    manager.post(url)
    assert "Aucun nouveau bureau" in text(manager.get(round_url(round)))


def test_a_manager_imports_the_ministrys_file_and_reads_the_report(night):
    pytest.importorskip("elections.services.imports")
    round = night["round"]
    url = reverse("elections_admin_import", args=[round.election_id, round.number])
    manager = client_of(night["manager"])
    assert manager.get(url).status_code == 200
    empty = manager.post(url, {})
    assert empty.status_code == 400 and "Choisissez le fichier à importer." in text(empty)
    junk = SimpleUploadedFile("resultats.csv", b"ceci;n'est;pas\nun;fichier;du ministere\n")
    response = manager.post(url, {"file": junk})
    assert response.status_code == 400
    assert 'role="alert"' in text(response)
    assert not round.results.exclude(current__isnull=True).exists()


def test_the_home_shows_the_rounds_being_counted(night):
    figures, votes = count()
    result_enter(actor=night["first"], result=night["results"][0], figures=figures, votes=votes)
    page = text(client_of(night["second"]).get("/admin/"))
    assert "Soirée électorale" in page
    assert round_url(night["round"]) in page
    assert "2 à saisir, 1 à valider, 0 publiés" in page
    # Bordeaux's publisher counts nothing of it: no panel.
    assert "Soirée électorale" not in text(client_of(night["bordeaux"]).get("/admin/"))


def test_the_import_report_lists_the_rows_without_a_bureau(night, settings):
    pytest.importorskip("elections.services.imports")
    path = (
        Path(settings.BASE_DIR).parent
        / "shared/data/elections/finistere/legislatives-2024-circos-2-3-tour2.csv"
    )
    if not path.exists():
        pytest.skip(f"{path} is missing")
    round = night["round"]
    url = reverse("elections_admin_import", args=[round.election_id, round.number])
    upload = SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/csv")
    response = client_of(night["manager"]).post(url, {"file": upload})
    assert response.status_code == 200
    page = text(response)
    assert "Rapport d'import" in page and "Résultats : 0 bureau(x) enregistré(s)" in page
    # Brest's bureaux are not Mérignac's: every row is listed with its line and reason.
    assert re.search(r"\d+ lignes sans bureau correspondant", page)
    assert re.search(r"Ligne \d+ : 29019_\d{4} \(Brest\) — ", page)
    assert not round.results.exclude(current__isnull=True).exists()

"""The online procedures journey, as a new user tries it (issue 11, "Done when"): ``citoyen``
finds « Inscription scolaire » from the home page, fills it across two sessions, attaches a
document of their space, submits and receives the AEE; the Mérignac school instructor opens it
(ARE), asks for a correction, the citizen corrects, the instructor accepts; the decision PDF
appears in /mon-espace/, the citizen downloads it and « Mes données » lists that the
instructor read it. Another Mérignac agent, not an instructor, gets 404 on both."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect

from procedures.models import Request, RequestState  # noqa: E402
from tests.browser.conftest import DEMO_PASSWORD  # noqa: E402

SHOTS = Path("/tmp/shots")  # noqa: S108 - screenshots for a human to look at
INSTRUCTOR = "instructeur-scolaire-merignac"


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"procedures_{name}.png"), full_page=True)


def new_page(browser, site):
    context = browser.new_context(base_url=site, locale="fr-FR", accept_downloads=True)
    context.set_default_timeout(15_000)
    return context, context.new_page()


def citizen_signs_in(page) -> None:
    page.goto("/connexion/")
    page.get_by_label("Identifiant").fill("citoyen")
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/mon-espace/$"))


def agent_signs_in(page, username: str) -> None:
    page.goto("/admin/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def test_citizen_applies_and_the_instructor_decides(browser, site) -> None:
    # --- first session: find the procedure from the home page, start, fill part, leave.
    context, page = new_page(browser, site)
    citizen_signs_in(page)
    page.goto("/")
    page.get_by_role("link", name=re.compile("Démarches en ligne")).first.click()
    expect(page).to_have_url(re.compile(r"/demarches/$"))
    shoot(page, "01_catalogue")
    page.get_by_role("link", name="Inscription scolaire").click()
    page.get_by_role("button", name=re.compile("Commencer")).click()
    expect(page).to_have_url(re.compile(r"/mon-espace/demarches/[0-9a-f-]{36}/$"))
    request_url = page.url
    uuid = request_url.rstrip("/").rsplit("/", 1)[1]
    page.locator("#champ-nom_enfant").fill("Martin")
    page.locator("#champ-prenom_enfant").fill("Hugo")
    page.locator("#champ-naissance_enfant").fill("2020-09-14")
    page.get_by_role("group", name=re.compile("Niveau à la rentrée")).get_by_label(
        "CP", exact=True
    ).check()
    shoot(page, "02_draft_part")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.locator("#champ-prenom_enfant")).to_have_value("Hugo")
    context.close()

    # --- second session: come back from « Mes démarches » and finish.
    context, page = new_page(browser, site)
    citizen_signs_in(page)
    page.goto("/mon-espace/demarches/")
    shoot(page, "03_my_requests")
    page.locator(f"a[href$='{uuid}/']").first.click()
    expect(page.locator("#champ-prenom_enfant")).to_have_value("Hugo")
    expect(page.locator("#champ-nom_enfant")).to_have_value("Martin")
    page.get_by_role("group", name=re.compile("École souhaitée")).get_by_label(
        "École Jean-Jaurès"
    ).check()
    page.locator("#champ-nom_responsable").fill("Camille Martin")
    page.locator("#champ-telephone").fill("06 12 34 56 78")
    page.locator("#champ-adresse").fill("12 rue des Lilas")
    page.locator("#champ-adresse-code-postal").fill("33700")
    page.locator("#champ-adresse-ville").fill("Mérignac")
    commune = page.locator("#champ-commune")
    if commune.evaluate("e => e.tagName") == "SELECT":
        commune.select_option("33281")
    else:
        commune.fill("Mérignac (33281)")
    periscolaire = page.get_by_role("group", name=re.compile("Besoin d'un accueil périscolaire"))
    periscolaire.get_by_label("Oui").check()
    days = page.get_by_role("group", name=re.compile("Jours d'accueil"))
    expect(days).to_be_visible()
    days.get_by_label("Mercredi").check()
    # A document of the citizen's space, as the justificatif de domicile.
    proof = page.get_by_role("group", name=re.compile("Justificatif de domicile"))
    pick = proof.get_by_label("Ou joindre un document de votre espace")
    value = pick.evaluate(
        """s => {
            const usable = [...s.options].filter(o => o.value && !o.disabled);
            const own = usable.find(o => !/^(Décision|Accusé)/.test(o.text));
            return (own || usable[0])?.value || "";
        }"""
    )
    assert value, "no document of the citizen's space may be attached"
    pick.select_option(value)
    shoot(page, "04_form_filled")
    proof.get_by_role("button", name=re.compile("Joindre le fichier")).click()
    proof = page.get_by_role("group", name=re.compile("Justificatif de domicile"))
    expect(proof.locator(".attached-files li")).to_have_count(1)
    expect(page.locator("#champ-prenom_enfant")).to_have_value("Hugo")
    page.get_by_role("button", name="Vérifier et déposer").click()
    expect(page).to_have_url(re.compile(r"/recapitulatif/$"))
    shoot(page, "05_summary")
    page.get_by_role("button", name="Déposer mon dossier").click()
    expect(page.get_by_text(re.compile("Accusé d'enregistrement")).first).to_be_visible()
    shoot(page, "06_submitted_aee")
    request = Request.objects.get(uuid=uuid)
    assert request.state == RequestState.SUBMITTED
    assert request.receipt is not None

    # --- the instructor opens it (ARE) and asks for a correction.
    agent_context, admin = new_page(browser, site)
    agent_signs_in(admin, INSTRUCTOR)
    admin.goto(f"/admin/demarches/dossiers/{uuid}/")
    shoot(admin, "07_instruct")
    admin.get_by_role("button", name="Commencer l'instruction").click()
    expect(admin.get_by_text(re.compile("Accusé de réception")).first).to_be_visible()
    request.refresh_from_db()
    assert request.state == RequestState.INSTRUCTION
    assert request.acknowledgement is not None
    admin.get_by_label("Demander une correction au demandeur").fill(
        "Le justificatif de domicile doit dater de moins de trois mois : précisez la date."
    )
    admin.get_by_role("button", name="Demander la correction").click()
    shoot(admin, "08_correction_asked")
    request.refresh_from_db()
    assert request.state == RequestState.SUBMITTED

    # --- the citizen corrects.
    page.goto(request_url)
    expect(page.get_by_text(re.compile("moins de trois mois : précisez")).first).to_be_visible()
    page.locator("#champ-remarques").fill("Justificatif daté du 2 novembre 2026.")
    shoot(page, "09_correcting")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    shoot(page, "10_corrected")
    request.refresh_from_db()
    assert request.data["remarques"] == "Justificatif daté du 2 novembre 2026."

    # --- the instructor resumes and accepts.
    admin.goto(f"/admin/demarches/dossiers/{uuid}/")
    admin.get_by_role("button", name="Commencer l'instruction").click()
    admin.locator("#decision-accepte").check()
    admin.get_by_label("Motivation").fill("Inscription en CP à l'école Jean-Jaurès.")
    admin.get_by_role("button", name="Enregistrer la décision").click()
    shoot(admin, "11_decided")
    request.refresh_from_db()
    assert request.state == RequestState.ACCEPTED
    decision = request.decision_document
    assert decision is not None
    agent_context.close()

    # --- the decision is in the citizen's space; they download it; « Mes données ».
    page.goto("/mon-espace/")
    shoot(page, "12_space")
    link = page.locator(f"a[href='/documents/{decision.pk}/']").first
    expect(link).to_be_visible()
    link.click()
    shoot(page, "13_decision_page")
    download = page.get_by_role("link", name=re.compile(r"^Télécharger le document \(PDF"))
    response = page.request.get(download.get_attribute("href"))
    assert response.ok
    assert response.headers["content-type"] == "application/pdf"
    assert response.body()[:5] == b"%PDF-"
    page.goto("/mon-espace/mes-donnees/")
    shoot(page, "14_my_data")
    reads = page.locator("#titre-consultations").locator("xpath=..")
    expect(reads).to_contain_text("Julien Faure")
    context.close()

    # --- a Mérignac agent who does not instruct: 404 on the request and the decision.
    other_context, other = new_page(browser, site)
    agent_signs_in(other, "agent-merignac")
    response = other.goto(f"/admin/demarches/dossiers/{uuid}/")
    assert response is not None and response.status == 404
    shoot(other, "15_other_agent_request_404")
    response = other.goto(f"/documents/{decision.pk}/")
    assert response is not None and response.status == 404
    response = other.request.get(f"{site}/documents/{decision.pk}/telecharger")
    assert response.status == 404
    other_context.close()

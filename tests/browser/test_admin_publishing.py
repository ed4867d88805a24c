"""Publishing through the admin UI, as each role lives it (issue 10): a publisher creates,
schedules, publishes, replaces the file and withdraws a document; an agent submits a draft and
a publisher approves it; and the number of user actions to create and publish is measured."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect

from civis.portal.demo.filegen import make_odt, make_pdf  # noqa: E402
from tests.browser.conftest import DEMO_PASSWORD  # noqa: E402

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


class Actions:
    """The user's actions (clicks, fills, choices, file choices), counted."""

    def __init__(self, page) -> None:
        self.page = page
        self.count = 0
        self.log: list[str] = []

    def _note(self, what: str) -> None:
        self.count += 1
        self.log.append(what)

    def click(self, locator, what: str) -> None:
        locator.click()
        self._note(f"clic : {what}")

    def fill(self, locator, text: str, what: str) -> None:
        locator.fill(text)
        self._note(f"saisie : {what}")

    def select(self, locator, value: str, what: str) -> None:
        locator.select_option(value)
        self._note(f"choix : {what}")

    def choose_file(self, locator, path: Path, what: str) -> None:
        locator.set_input_files(str(path))
        self._note(f"fichier : {what}")


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"admin-publishing-{name}.png"), full_page=True)


def sign_in(browser, site, username: str):
    context = browser.new_context(base_url=site, locale="fr-FR", accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/admin/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    return page


@pytest.fixture
def files(tmp_path):
    pdf = tmp_path / "deliberation-2026-41.pdf"
    pdf.write_bytes(make_pdf("Délibération 2026-41", ["Le conseil adopte le tarif."]))
    odt = tmp_path / "deliberation-2026-41-v2.odt"
    odt.write_bytes(make_odt("Délibération 2026-41", ["Version corrigée."]))
    return {"pdf": pdf, "odt": odt}


def messages(page):
    return page.locator(".messages")


def open_add_form(page, act: Actions) -> None:
    act.click(
        page.locator("#wagtail-sidebar").get_by_role("link", name="Documents", exact=True),
        "menu Documents",
    )
    act.click(page.get_by_role("link", name="Ajouter un document").first, "Ajouter un document")
    expect(page.get_by_label("Titre")).to_be_visible()


def test_create_and_publish_takes_at_most_six_actions(browser, site, files):
    page = sign_in(browser, site, "editeur-merignac")
    act = Actions(page)
    open_add_form(page, act)
    # The only authority of this publisher is chosen already.
    expect(page.get_by_text("Vous publiez pour Mérignac")).to_be_visible()
    act.fill(page.get_by_label("Titre"), "Délibération n° 2026-41 — tarifs", "titre")
    act.choose_file(page.get_by_label("Fichier", exact=True), files["pdf"], "le PDF")
    act.select(page.get_by_label("Type de document"), "deliberation", "type Délibération")
    act.click(page.get_by_role("button", name="Publier", exact=True), "Publier")
    expect(messages(page)).to_contain_text("« Délibération n° 2026-41 — tarifs » est publié.")
    shot(page, "published")
    print(f"\nActions pour créer et publier un document : {act.count} — " + " ; ".join(act.log))
    assert act.count <= 6, act.log

    # It is public: the link on the screen opens its public page, for anyone.
    href = page.get_by_role("link", name="Voir la page publique").first.get_attribute("href")
    anonymous = browser.new_context(base_url=site).new_page()
    anonymous.goto(href)
    expect(anonymous.get_by_role("heading", level=1)).to_have_text(
        "Délibération n° 2026-41 — tarifs"
    )
    anonymous.context.close()
    page.context.close()


def test_a_publisher_creates_schedules_publishes_replaces_and_withdraws(browser, site, files):
    page = sign_in(browser, site, "editeur-merignac")
    act = Actions(page)
    open_add_form(page, act)

    # A form error keeps the chosen file.
    act.choose_file(page.get_by_label("Fichier", exact=True), files["pdf"], "le PDF")
    act.click(page.get_by_role("button", name="Enregistrer", exact=True), "Enregistrer")
    expect(
        page.get_by_text(re.compile(r"Fichier conservé : deliberation-2026-41\.pdf"))
    ).to_be_visible()
    shot(page, "file-kept")
    act.fill(page.get_by_label("Titre"), "Arrêté temporaire de circulation", "titre")
    act.click(page.get_by_role("button", name="Enregistrer", exact=True), "Enregistrer")
    expect(messages(page)).to_contain_text("« Arrêté temporaire de circulation » est enregistré")
    expect(page.locator("[data-civis-status]")).to_have_text("Brouillon")
    expect(page.get_by_text("deliberation-2026-41.pdf").first).to_be_visible()

    # Schedule it, with an end of display.
    act.fill(page.get_by_label(re.compile("Mise en ligne programmée")), "2027-01-15T09:00", "date")
    act.fill(page.get_by_label(re.compile("Fin d'affichage")), "2027-03-01T18:00", "fin")
    act.click(page.get_by_role("button", name="Programmer", exact=True), "Programmer")
    expect(messages(page)).to_contain_text(
        "« Arrêté temporaire de circulation » est programmé pour le 15 janvier 2027 à 09:00 "
        "(heure de Paris)."
    )
    expect(page.locator("[data-civis-status]")).to_have_text("Programmé")
    shot(page, "scheduled")
    # The listing shows it as scheduled, with its dates.
    page.goto("/admin/publications/?status=scheduled")
    row = page.get_by_role("row").filter(has_text="Arrêté temporaire de circulation")
    expect(row).to_contain_text("Programmé")
    expect(row).to_contain_text("en ligne le 15 janvier 2027 à 09:00")
    row.get_by_role("link", name="Arrêté temporaire de circulation").click()

    # Publish now instead.
    page.get_by_role("button", name="Publier", exact=True).click()
    expect(messages(page)).to_contain_text("« Arrêté temporaire de circulation » est publié.")
    expect(page.locator("[data-civis-status]")).to_have_text("Publié")
    expect(page.get_by_role("link", name="Voir la page publique").first).to_be_visible()

    # Replace the file: a second version, the first kept, both downloadable.
    page.get_by_label("Fichier", exact=True).set_input_files(str(files["odt"]))
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(messages(page)).to_contain_text("« Arrêté temporaire de circulation » est enregistré.")
    versions = page.get_by_role("region", name="Versions du fichier")
    expect(versions.get_by_role("row")).to_have_count(3)  # heading + 2 versions
    expect(versions).to_contain_text("deliberation-2026-41-v2.odt")
    expect(versions).to_contain_text("Sacha Bernard (editeur-merignac)")
    link = versions.get_by_role("link", name="Télécharger deliberation-2026-41.pdf")
    response = page.request.get(link.get_attribute("href"))
    assert response.ok and response.body()[:5] == b"%PDF-"
    trail = page.get_by_role("region", name="Historique du document")
    expect(trail).to_contain_text("Nouvelle version")
    expect(trail).to_contain_text("Publication programmée")
    shot(page, "replaced")

    # Withdraw it.
    page.get_by_role("button", name="Retirer", exact=True).click()
    expect(messages(page)).to_contain_text(
        "« Arrêté temporaire de circulation » est retiré : le public ne le voit plus."
    )
    expect(page.locator("[data-civis-status]")).to_have_text("Retiré")
    page.context.close()


def test_an_agent_submits_a_draft_and_a_publisher_approves_it(browser, site, files):
    # The territory administrator asks Mérignac's agents' drafts to be reviewed.
    admin = sign_in(browser, site, "admin-region")
    admin.goto("/admin/regles-de-publication/")
    admin.locator("select[name=authority]").select_option(label="Mérignac")
    admin.get_by_role("checkbox", name="Validation avant publication").check()
    admin.get_by_role("button", name="Enregistrer la règle").click()
    expect(messages(admin)).to_contain_text(
        "Mérignac : les documents des agents sont validés avant publication."
    )
    admin.context.close()

    agent = sign_in(browser, site, "agent-merignac")
    act = Actions(agent)
    open_add_form(agent, act)
    expect(agent.get_by_role("button", name="Publier", exact=True)).to_have_count(0)
    agent.get_by_label("Titre").fill("Compte rendu du conseil de quartier")
    agent.get_by_label("Fichier", exact=True).set_input_files(str(files["pdf"]))
    agent.get_by_label("Commentaire de validation").fill("À publier avant vendredi.")
    agent.get_by_role("button", name="Soumettre pour validation").click()
    expect(messages(agent)).to_contain_text(
        "« Compte rendu du conseil de quartier » est soumis pour validation."
    )
    shot(agent, "submitted")
    agent.context.close()

    publisher = sign_in(browser, site, "editeur-merignac")
    publisher.goto("/admin/publications/?status=in_review")
    publisher.get_by_role("link", name="Compte rendu du conseil de quartier").click()
    expect(publisher.locator("[data-civis-status]")).to_have_text("En attente de validation")
    steps = publisher.get_by_role("region", name="Validation : étapes et commentaires")
    expect(steps).to_contain_text("Soumis pour validation")
    expect(steps).to_contain_text("À publier avant vendredi.")
    expect(steps).to_contain_text("agent-merignac")
    shot(publisher, "in-review")
    publisher.get_by_label("Commentaire de validation").fill("Parfait, merci.")
    publisher.get_by_role("button", name="Valider", exact=True).click()
    expect(messages(publisher)).to_contain_text(
        "« Compte rendu du conseil de quartier » est validé et publié."
    )
    expect(publisher.locator("[data-civis-status]")).to_have_text("Publié")
    expect(steps).to_contain_text("Parfait, merci.")
    publisher.context.close()

"""The demo citizen signs in, reads and filters their documents, and signs out.

The demo citizen holds 20 documents addressed by four authorities and 12 receipts and decisions
of their six requests (civis/portal/demo/procedures.py)."""

import re

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright").expect

from tests.browser.conftest import DEMO_PASSWORD  # noqa: E402


def sign_in_as_citizen(page):
    page.goto("/connexion/")
    page.get_by_label("Identifiant").fill("citoyen")
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_citizen_signs_in_and_lands_on_their_space(page):
    sign_in_as_citizen(page)
    expect(page).to_have_url(re.compile(r"/mon-espace/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon espace")
    expect(page.get_by_role("heading", name="32 documents")).to_be_visible()
    expect(page.get_by_role("link", name="Attestation de domicile — Mérignac")).to_be_visible()


def test_wrong_password_shows_an_alert_and_keeps_the_user_signed_out(page):
    page.goto("/connexion/")
    page.get_by_label("Identifiant").fill("citoyen")
    page.get_by_label("Mot de passe").fill("not-the-password")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "l'identifiant ou le mot de passe est incorrect"
    )
    expect(page.get_by_label("Identifiant")).to_have_value("citoyen")


def test_citizen_filters_their_documents_by_type(page):
    sign_in_as_citizen(page)
    page.get_by_label("Type de document").select_option(label="Attestation / certificat")
    page.get_by_role("button", name="Filtrer").click()
    expect(page).to_have_url(re.compile(r"type=attestation"))
    expect(page.get_by_role("heading", name="21 documents")).to_be_visible()
    expect(page.get_by_label("Type de document")).to_have_value("attestation")
    for meta in page.locator(".document-list:not(.request-list) .meta").all_inner_texts():
        assert meta.startswith("Attestation / certificat"), meta


def test_citizen_signs_out_with_the_header_button(page):
    sign_in_as_citizen(page)
    page.get_by_role("banner").get_by_role("button", name=re.compile("Se déconnecter")).click()
    expect(page.get_by_role("banner").get_by_role("link", name="Se connecter")).to_be_visible()
    page.goto("/mon-espace/")
    expect(page).to_have_url(re.compile(r"/connexion/"))

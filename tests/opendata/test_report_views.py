"""The public report form, as a visitor meets it: the link on public pages, the form (reasons,
message 10 to 2000 characters, optional address), public targets only (else 404), and the
captcha-free anti-abuse rules — honeypot, signed timestamp (3 s to 2 h), 5 an hour per address
under a salted hash in the cache — each refusal a French 4xx that stores nothing."""

from __future__ import annotations

import time
import uuid

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from identity.models import Membership
from opendata.models import Dataset, Report
from opendata.report_views import _rate_key, form_token
from tests.factories import (
    make_agent,
    make_dataset,
    make_dataset_resource,
    make_open_document,
    make_territory,
    make_user,
)

MESSAGE = "La colonne « montant » du fichier 2026 est vide pour les lignes 10 à 20."


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }


@pytest.fixture
def merignac(db):
    return make_territory()["merignac"]


def url(item) -> str:
    if isinstance(item, Dataset):
        return reverse("opendata:report", args=["dataset", str(item.identifier)])
    return reverse("opendata:report", args=["document", str(item.pk)])


def key_of(item) -> tuple[str, str]:
    if isinstance(item, Dataset):
        return "dataset", str(item.identifier)
    return "document", str(item.pk)


def post(client: Client, item, *, age: float = 10, **fields):
    target, key = key_of(item)
    data = {
        "reason": "data_error",
        "message": MESSAGE,
        "reporter_email": "",
        "site_web": "",
        "token": form_token(target, key, at=time.time() - age),
        **fields,
    }
    return client.post(url(item), data)


def page(response) -> str:
    return response.content.decode()


def test_the_form_offers_the_reasons_and_says_an_address_is_needed_to_be_told(client, merignac):
    dataset = make_dataset(merignac, title="Budget primitif")
    response = client.get(url(dataset))
    assert response.status_code == 200
    html = page(response)
    assert "Signaler un problème" in html and "Budget primitif" in html
    for label in (
        "Données personnelles",
        "Contenu illicite",
        "Erreur dans les données",
        "Problème de sécurité",
        "Spam",
        "Autre",
    ):
        assert label in html
    assert "Sans adresse, votre signalement est bien traité, mais personne ne pourra" in html
    assert 'name="csrfmiddlewaretoken"' in html and 'name="site_web"' in html


def test_an_anonymous_visitor_reports_an_error_in_a_resource(client, merignac):
    dataset = make_dataset(merignac)
    resource = make_dataset_resource(dataset, title="Budget 2026 (CSV)")
    form = client.get(url(dataset), {"ressource": resource.pk})
    assert "Budget 2026 (CSV)" in page(form)
    response = post(client, dataset, ressource=str(resource.pk), reporter_email="v@example.org")
    assert response.status_code == 200
    assert "Merci, votre signalement est envoyé" in page(response)
    assert "Vous recevrez la suite donnée par courriel" in page(response)
    report = Report.objects.get()
    assert report.dataset == dataset and report.authority == merignac
    assert report.reporter_email == "v@example.org" and report.reporter is None
    assert report.message == f"Ressource « Budget 2026 (CSV) » : {MESSAGE}"
    assert AuditEvent.objects.get(action="report").ip_address is None


def test_without_an_address_the_visitor_is_told_they_will_not_be_answered(client, merignac):
    response = post(client, make_open_document(merignac))
    assert response.status_code == 200
    assert "vous ne serez pas informé(e) de la suite donnée" in page(response)


def test_a_signed_in_reporter_is_told_in_their_space(client, merignac):
    citizen = make_user()
    client.force_login(citizen)
    document = make_open_document(merignac)
    form = page(client.get(url(document)))
    assert 'name="reporter_email"' not in form and "dans votre espace" in form
    response = post(client, document)
    assert response.status_code == 200
    assert Report.objects.get().reporter == citizen
    assert "La suite donnée s'affichera dans votre espace" in page(response)


def test_the_report_link_is_on_public_document_pages_only(client, merignac):
    public = make_open_document(merignac)
    assert url(public) in page(client.get(reverse("document_detail", args=[public.pk])))
    publisher = make_agent(roles=[(merignac, Membership.Role.PUBLISHER)])
    client.force_login(publisher)
    internal = make_open_document(merignac, audience="internal")
    detail = client.get(reverse("document_detail", args=[internal.pk]))
    assert detail.status_code == 200 and "Signaler un problème" not in page(detail)


def test_the_report_link_is_on_public_dataset_pages(client, merignac):
    dataset = make_dataset(merignac)
    detail = reverse("opendata:dataset_detail", kwargs={"identifier": dataset.identifier})
    assert url(dataset) in page(client.get(detail))


@pytest.mark.parametrize(
    "make",
    [
        lambda a: make_dataset(a, status="draft"),
        lambda a: make_dataset(a, status="withdrawn"),
        lambda a: make_open_document(a, audience="internal"),
        lambda a: make_open_document(a, audience="signed_in"),
        lambda a: make_open_document(a, status="draft"),
        lambda a: make_open_document(a, status="withdrawn"),
    ],
)
def test_non_public_targets_answer_404_even_to_their_editors(client, merignac, make):
    item = make(merignac)
    client.force_login(make_agent(roles=[(merignac, Membership.Role.ADMIN)]))
    assert client.get(url(item)).status_code == 404
    assert post(client, item).status_code == 404
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/signaler/document/abc/",
        "/signaler/document/99999999999999999999999/",
        "/signaler/document/0/",
        "/signaler/document/424242/",
        f"/signaler/dataset/{uuid.UUID(int=424242)}/",
        "/signaler/dataset/pas-un-uuid/",
        "/signaler/procedure/1/",
    ],
)
def test_unknown_targets_answer_404(client, db, path):
    assert client.get(path).status_code == 404


def assert_refused(response, status: int, text: str) -> None:
    assert response.status_code == status
    html = page(response)
    assert text in html, html[:2000]
    assert "Aucun signalement n'a été enregistré." in html
    assert not Report.objects.exists()
    assert not AuditEvent.objects.filter(action="report").exists()


def test_the_honeypot_refuses_robots(client, merignac):
    response = post(client, make_dataset(merignac), site_web="http://spam.example")
    assert_refused(response, 400, "ressemble à un robot")


def test_a_form_sent_too_fast_is_refused(client, merignac):
    dataset = make_dataset(merignac)
    html = page(client.get(url(dataset)))
    token = html.split('name="token" value="')[1].split('"')[0]
    response = client.post(url(dataset), {"reason": "spam", "message": MESSAGE, "token": token})
    assert_refused(response, 400, "envoyé trop vite")


def test_a_form_older_than_two_hours_is_refused(client, merignac):
    response = post(client, make_dataset(merignac), age=2 * 3600 + 5)
    assert_refused(response, 400, "Le formulaire a expiré")


@pytest.mark.parametrize("token", ["", "forged", None])
def test_a_missing_forged_or_foreign_token_is_refused(client, merignac, token):
    dataset = make_dataset(merignac)
    if token is None:  # a good token for another dataset
        token = form_token("dataset", str(make_dataset(merignac).identifier), at=time.time() - 10)
    response = post(client, dataset, token=token)
    assert_refused(response, 400, "pas valide : rechargez la page et réessayez")


def test_five_reports_an_hour_per_address_then_a_french_429(client, merignac):
    dataset = make_dataset(merignac)
    for _n in range(5):
        assert post(client, dataset).status_code == 200
    response = post(client, dataset)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 3000
    html = page(response)
    assert "Trop de signalements envoyés depuis votre connexion" in html
    assert Report.objects.count() == 5
    # Another address is not limited; the cache holds a salted hash, never the address.
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert post(other, dataset).status_code == 200
    request = type("R", (), {"META": {"REMOTE_ADDR": "127.0.0.1"}})()
    key = _rate_key(request)  # type: ignore[arg-type]
    assert "127.0.0.1" not in key and len(cache.get(key)) == 5


def test_invalid_input_shows_french_errors_and_stores_nothing(client, merignac):
    dataset = make_dataset(merignac)
    response = post(client, dataset, reason="", message="court", reporter_email="pas-une-adresse")
    assert response.status_code == 400
    html = page(response)
    assert "Le formulaire contient 3 erreurs" in html
    assert "Choisissez un motif." in html
    assert "Décrivez le problème en 10 caractères au moins." in html
    assert "Saisissez une adresse électronique valide." in html
    assert 'aria-invalid="true"' in html
    response = post(client, dataset, message="x" * 2001)
    assert response.status_code == 400 and "Le message dépasse 2000 caractères." in page(response)
    assert not Report.objects.exists()


def test_csrf_is_enforced(merignac):
    client = Client(enforce_csrf_checks=True)
    response = post(client, make_dataset(merignac))
    assert response.status_code == 403 and not Report.objects.exists()

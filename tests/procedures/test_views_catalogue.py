"""The catalogue /demarches/ (search, authority filter), a procedure's page (facts, processing
times announced and measured, "Commencer"), the links from the portal, and the verification
page of a decision PDF."""

from __future__ import annotations

import datetime
import hashlib
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from civis.portal.demo.filegen import make_pdf
from identity.models import Membership
from procedures.models import Eligibility, ProcedureStatus, Request, RequestState
from tests.factories import make_agent, make_territory, make_user
from tests.procedures.factories import make_procedure, make_request


@pytest.fixture
def places(db):
    territory = make_territory()
    merignac, metropole = territory["merignac"], territory["metropole"]
    school = make_procedure(
        merignac,
        title="Inscription scolaire",
        slug="inscription-scolaire",
        description="Inscrire son enfant à l'école maternelle ou élémentaire.",
        needed_documents="Justificatif de domicile\nLivret de famille",
        expected_days=15,
        contact_email="ecoles@merignac.example",
    )
    grant = make_procedure(
        metropole,
        title="Demande de subvention associative",
        slug="subvention-associative",
        description="Pour les associations du territoire.",
    )
    draft = make_procedure(merignac, title="Permis secret", slug="brouillon", published=False)
    closed = make_procedure(merignac, title="Ancienne démarche", slug="ancienne", status="closed")
    return {
        "territory": territory,
        "school": school,
        "grant": grant,
        "draft": draft,
        "closed": closed,
    }


def test_catalogue_lists_published_procedures_with_their_authority(places, client):
    response = client.get(reverse("procedures:catalogue"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Inscription scolaire" in html and "Demande de subvention associative" in html
    assert "Mérignac" in html and "Bordeaux Métropole" in html
    assert "Permis secret" not in html and "Ancienne démarche" not in html
    assert reverse("procedures:detail", args=["inscription-scolaire"]) in html


def test_catalogue_search_and_filter(places, client):
    html = client.get(reverse("procedures:catalogue"), {"q": "subvention"}).content.decode()
    assert "Demande de subvention associative" in html and "Inscription scolaire" not in html
    merignac = places["territory"]["merignac"]
    html = client.get(
        reverse("procedures:catalogue"), {"collectivite": str(merignac.pk)}
    ).content.decode()
    assert "Inscription scolaire" in html and "subvention" not in html
    html = client.get(reverse("procedures:catalogue"), {"q": "zzz"}).content.decode()
    assert "Aucune démarche ne correspond" in html


@pytest.mark.parametrize("value", ["abc", "²", "99999999999999999999", "0"])
def test_catalogue_bad_filter_is_a_french_400(places, client, value):
    response = client.get(reverse("procedures:catalogue"), {"collectivite": value})
    assert response.status_code == 400
    assert "Collectivité inconnue" in response.content.decode()


def test_procedure_page_facts_and_start_button(places, client):
    response = client.get(reverse("procedures:detail", args=["inscription-scolaire"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Justificatif de domicile" in html and "Livret de famille" in html
    assert "15 jours" in html and "ecoles@merignac.example" in html
    assert reverse("procedures:start", args=["inscription-scolaire"]) in html
    assert "Délai constaté" not in html  # fewer than 10 decided requests: no estimate


def test_procedure_page_shows_measured_times_with_enough_decisions(places, client):
    school = places["school"]
    citizen = make_user()
    now = timezone.now()
    for days in range(1, 12):
        make_request(
            school,
            citizen,
            state=RequestState.ACCEPTED,
            submitted_at=now - datetime.timedelta(days=days + 1),
            decided_at=now - datetime.timedelta(days=1),
        )
    html = client.get(reverse("procedures:detail", args=["inscription-scolaire"])).content
    text = html.decode()
    assert "Délai constaté" in text and "sur 11 demandes" in text


@pytest.mark.parametrize("slug", ["brouillon", "inconnue"])
def test_unpublished_or_unknown_procedure_is_404(places, client, slug):
    assert client.get(reverse("procedures:detail", args=[slug])).status_code == 404
    assert client.post(reverse("procedures:start", args=[slug])).status_code == 404


def test_closed_procedure_accepts_no_new_request(places):
    citizen = make_user()
    make_request(places["closed"], citizen, state=RequestState.ACCEPTED)
    client = Client()
    client.force_login(citizen)
    response = client.get(reverse("procedures:detail", args=["ancienne"]))
    assert response.status_code == 200
    assert "fermée" in response.content.decode()
    refused = client.post(reverse("procedures:start", args=["ancienne"]))
    assert refused.status_code == 403
    assert Request.objects.filter(applicant=citizen).count() == 1


def test_anonymous_start_goes_to_sign_in_and_back(places, client):
    response = client.post(reverse("procedures:start", args=["inscription-scolaire"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "next=%2Fdemarches%2Finscription-scolaire%2F" in response["Location"]
    assert not Request.objects.exists()


def test_start_is_post_only(places, client):
    assert client.get(reverse("procedures:start", args=["inscription-scolaire"])).status_code == 405


def test_agents_only_procedure_refuses_a_citizen_in_french(places):
    places["school"].eligibility = Eligibility.AGENTS
    places["school"].save()
    citizen = make_user()
    client = Client()
    client.force_login(citizen)
    page = client.get(reverse("procedures:detail", args=["inscription-scolaire"])).content
    assert "réservée" in page.decode()
    response = client.post(reverse("procedures:start", args=["inscription-scolaire"]))
    assert response.status_code == 403
    assert not Request.objects.exists()
    agent = make_agent(roles=[(places["territory"]["merignac"], Membership.Role.AGENT)])
    client.force_login(agent)
    assert (
        client.post(reverse("procedures:start", args=["inscription-scolaire"])).status_code == 302
    )


def test_catalogue_hides_procedures_when_closed_again(places, client):
    school = places["school"]
    school.status = ProcedureStatus.CLOSED
    school.save()
    assert (
        "Inscription scolaire" not in client.get(reverse("procedures:catalogue")).content.decode()
    )


# --- verification ---------------------------------------------------------------------------------


def test_verify_unknown_and_malformed(places, client):
    response = client.post(reverse("procedures:verify"), {"sha256": "a" * 64})
    assert response.status_code == 200
    assert "Inconnu" in response.content.decode()
    response = client.post(reverse("procedures:verify"), {"sha256": "pas une empreinte"})
    assert response.status_code == 400
    assert "64 caractères" in response.content.decode()
    response = client.post(reverse("procedures:verify"), {})
    assert response.status_code == 400
    upload = io.BytesIO(b"%PDF-1.4 nothing")
    upload.name = "x.pdf"
    response = client.post(reverse("procedures:verify"), {"fichier": upload})
    assert "Inconnu" in response.content.decode()


def test_verify_a_real_decision(places, client, settings, tmp_path):
    from documents.services import personal_document_file

    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    school = places["school"]
    citizen = make_user()
    req = make_request(school, citizen, state=RequestState.ACCEPTED)
    content = make_pdf("Décision", ["Votre demande est acceptée."])
    document = personal_document_file(
        actor=None,
        owner=school.owner,
        addressee=citizen,
        title="Décision",
        content=content,
        file_name="decision.pdf",
        reader_group=school.instructors,
    )
    req.decision_document = document
    req.save()
    upload = io.BytesIO(content)
    upload.name = "decision.pdf"
    response = client.post(reverse("procedures:verify"), {"fichier": upload})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Authentique" in html and "Mérignac" in html and req.number in html
    response = client.post(
        reverse("procedures:verify"), {"sha256": hashlib.sha256(content).hexdigest().upper()}
    )
    assert "Authentique" in response.content.decode()


# --- links from the portal ------------------------------------------------------------------------


def test_citizen_space_links_to_procedures_and_my_data(places):
    citizen = make_user()
    client = Client()
    client.force_login(citizen)
    html = client.get(reverse("citizen_space")).content.decode()
    assert reverse("procedures:catalogue") in html
    assert reverse("procedures:my_data") in html


def test_home_and_authority_pages_lead_to_the_procedures(places, client):
    from civis.portal.services import authority_pages_sync, home_page_ensure

    territory = places["territory"]
    home = home_page_ensure(title="Portail", territory=territory["region"])
    authority_pages_sync(home=home, authorities=list(territory.values()))
    html = client.get("/").content.decode()
    assert reverse("procedures:catalogue") in html
    merignac = client.get("/nouvelle-aquitaine/bordeaux-metropole/merignac/").content.decode()
    assert "Démarches en ligne" in merignac
    assert reverse("procedures:detail", args=["inscription-scolaire"]) in merignac
    assert "Permis secret" not in merignac and "Ancienne démarche" not in merignac
    # No procedure, no empty promise.
    bordeaux = client.get("/nouvelle-aquitaine/bordeaux-metropole/bordeaux/").content.decode()
    assert "titre-demarches" not in bordeaux

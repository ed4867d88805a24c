"""The procedures API: the public list and detail (published only, public fields only), and
the passerelle (Bearer token of one procedure: 401 without, with a bad or revoked token; 404
for another procedure's request or a draft; audited reads; a decision posted)."""

from __future__ import annotations

import hashlib
import importlib.util

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from audit.models import AuditEvent
from identity.models import Membership
from procedures.models import ApiToken, Attachment, RequestState
from procedures.services.passerelle import token_create, token_revoke
from tests.factories import make_agent, make_territory, make_user
from tests.procedures.factories import make_instructor, make_procedure, make_request

BASE = "/api/v1/procedures"


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


@pytest.fixture
def world(db):
    places = make_territory()
    merignac = places["merignac"]
    publisher = make_agent("publie", roles=[(merignac, Membership.Role.PUBLISHER)])
    procedure = make_procedure(merignac, title="Inscription scolaire", slug="inscription")
    instructor = make_instructor(procedure, "instructeur")
    other = make_procedure(merignac, slug="autre")
    draft_procedure = make_procedure(merignac, published=False, slug="brouillon")
    citizen = make_user("citoyen")
    item = make_request(
        procedure, citizen, state=RequestState.INSTRUCTION, data={"nom": "Dupont", "motif": "X"}
    )
    draft = make_request(procedure, citizen, state=RequestState.DRAFT)
    foreign = make_request(other, citizen, state=RequestState.SUBMITTED)
    _token, clear = token_create(actor=publisher, procedure=procedure, name="Logiciel métier")
    # A token acts as its creator: this one as if an instructor who edits had created it.
    _itoken, instructor_clear = token_create(
        actor=publisher, procedure=procedure, name="Instruction"
    )
    ApiToken.objects.filter(name="Instruction").update(created_by=instructor)
    return {
        "procedure": procedure,
        "other": other,
        "draft_procedure": draft_procedure,
        "item": item,
        "draft": draft,
        "foreign": foreign,
        "clear": clear,
        "instructor_clear": instructor_clear,
        "publisher": publisher,
        "instructor": instructor,
        "citizen": citizen,
    }


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


# --- public ---------------------------------------------------------------------------------


def test_public_list_shows_published_only(world):
    body = Client().get(f"{BASE}/").json()
    slugs = {p["slug"] for p in body["results"]}
    assert "inscription" in slugs and "autre" in slugs
    assert "brouillon" not in slugs
    one = next(p for p in body["results"] if p["slug"] == "inscription")
    assert one["title"] == "Inscription scolaire"
    assert one["owner"]["insee_code"] == "33281"
    assert "webhook_url" not in one and "webhook_secret" not in one
    assert body["count"] == len(body["results"])


def test_public_detail_and_unknown(world):
    client = Client()
    body = client.get(f"{BASE}/inscription").json()
    assert body["revision"] == 1
    assert [f["key"] for f in body["fields"]] == ["nom", "motif"]
    assert "instructors" not in body
    for slug in ("brouillon", "nope"):
        response = client.get(f"{BASE}/{slug}")
        assert response.status_code == 404
        assert response.json()["error"]


def test_public_detail_hides_closed(world):
    world["other"].status = "closed"
    world["other"].save()
    assert Client().get(f"{BASE}/autre").status_code == 404


# --- passerelle: authentication --------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer nope", "Basic abc", "Token civis_x", "Bearer " + "x" * 300],
)
def test_passerelle_refuses_without_a_good_token(world, header):
    client = Client()
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    for url in (
        f"{BASE}/passerelle/requests",
        f"{BASE}/passerelle/requests/{world['item'].uuid}",
    ):
        response = client.get(url, **extra)
        assert response.status_code == 401
        assert "Bearer" in response.json()["error"]
    response = client.post(
        f"{BASE}/passerelle/requests/{world['item'].uuid}/decision",
        {"outcome": "accepte", "motivation": ""},
        content_type="application/json",
        **extra,
    )
    assert response.status_code == 401


def test_only_the_hash_is_stored_and_revocation_refuses(world):
    token = ApiToken.objects.get(name="Logiciel métier")
    assert token.token_sha256 == hashlib.sha256(world["clear"].encode()).hexdigest()
    assert world["clear"] not in str(list(ApiToken.objects.values()))
    client = Client()
    assert client.get(f"{BASE}/passerelle/requests", **bearer(world["clear"])).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    token_revoke(actor=world["publisher"], token=token)
    assert client.get(f"{BASE}/passerelle/requests", **bearer(world["clear"])).status_code == 401


# --- passerelle: reads -----------------------------------------------------------------------


def test_list_shows_this_procedures_non_drafts(world):
    body = Client().get(f"{BASE}/passerelle/requests", **bearer(world["clear"])).json()
    uuids = {r["uuid"] for r in body["results"]}
    assert uuids == {str(world["item"].uuid)}
    assert body["results"][0]["state"] == "en_instruction"
    assert body["results"][0]["number"] == world["item"].number


def test_list_filters(world):
    client = Client()
    url = f"{BASE}/passerelle/requests"
    got = client.get(url, {"state": "en_construction"}, **bearer(world["clear"])).json()
    assert got["count"] == 0
    got = client.get(url, {"state": "en_instruction"}, **bearer(world["clear"])).json()
    assert got["count"] == 1
    got = client.get(url, {"updated_since": "2999-01-01"}, **bearer(world["clear"])).json()
    assert got["count"] == 0
    bad = client.get(url, {"state": "brouillon"}, **bearer(world["clear"]))
    assert bad.status_code == 400 and bad.json()["field"] == "state"
    bad = client.get(url, {"updated_since": "hier"}, **bearer(world["clear"]))
    assert bad.status_code == 400


def test_detail_answers_events_attachments_and_audit(world):
    item = world["item"]
    attachment = Attachment.objects.create(
        request=item,
        field_key="nom",
        file=ContentFile(b"%PDF-1.4 test", name="piece.pdf"),
        file_name="piece.pdf",
        mime_type="application/pdf",
        size=13,
        sha256="0" * 64,
    )
    client = Client()
    body = client.get(f"{BASE}/passerelle/requests/{item.uuid}", **bearer(world["clear"])).json()
    assert body["data"]["nom"] == "Dupont"
    assert {"label": "Nom", "value": "Dupont"} in body["answers"]
    assert body["attachments"][0]["file_name"] == "piece.pdf"
    file_url = body["attachments"][0]["url"]
    assert file_url.endswith(f"/attachments/{attachment.pk}")
    views = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, detail__request=str(item.uuid))
    assert views.count() == 1
    assert views.get().actor == world["publisher"]
    assert "passerelle" in views.get().detail["what"]
    response = client.get(file_url.replace("http://testserver", ""), **bearer(world["clear"]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.DOWNLOAD, detail__request=str(item.uuid)
    ).exists()
    other = client.get(
        f"{BASE}/passerelle/requests/{item.uuid}/attachments/999999", **bearer(world["clear"])
    )
    assert other.status_code == 404


def test_other_procedure_and_drafts_are_404(world):
    client = Client()
    for item in (world["foreign"], world["draft"]):
        response = client.get(f"{BASE}/passerelle/requests/{item.uuid}", **bearer(world["clear"]))
        assert response.status_code == 404
        response = client.post(
            f"{BASE}/passerelle/requests/{item.uuid}/decision",
            {"outcome": "accepte"},
            content_type="application/json",
            **bearer(world["clear"]),
        )
        assert response.status_code == 404
    assert not AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW, detail__request=str(world["foreign"].uuid)
    ).exists()


# --- passerelle: decision ---------------------------------------------------------------------


def test_decision_bad_outcome_is_400(world):
    response = Client().post(
        f"{BASE}/passerelle/requests/{world['item'].uuid}/decision",
        {"outcome": "peut-etre"},
        content_type="application/json",
        **bearer(world["instructor_clear"]),
    )
    assert response.status_code == 400
    assert response.json()["field"] == "outcome"


def test_decision_by_a_creator_who_may_not_instruct_is_403(world):
    response = Client().post(
        f"{BASE}/passerelle/requests/{world['item'].uuid}/decision",
        {"outcome": "refuse", "motivation": "Pièce manquante."},
        content_type="application/json",
        **bearer(world["clear"]),  # the publisher is no instructor
    )
    assert response.status_code == 403
    world["item"].refresh_from_db()
    assert world["item"].state == RequestState.INSTRUCTION


@pytest.mark.skipif(
    importlib.util.find_spec("procedures.pdf") is None, reason="decision PDFs not written yet"
)
def test_decision_posted_by_the_passerelle(world, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    client = Client()
    url = f"{BASE}/passerelle/requests/{world['item'].uuid}/decision"
    missing = client.post(
        url,
        {"outcome": "refuse"},
        content_type="application/json",
        **bearer(world["instructor_clear"]),
    )
    assert missing.status_code == 400
    response = client.post(
        url,
        {"outcome": "accepte", "motivation": "Dossier complet."},
        content_type="application/json",
        **bearer(world["instructor_clear"]),
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "accepte"
    world["item"].refresh_from_db()
    assert world["item"].state == RequestState.ACCEPTED
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.DECIDE,
        actor=world["instructor"],
        detail__request=str(world["item"].uuid),
    ).exists()

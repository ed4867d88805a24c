"""Conditional requests (RFC 9110, 13.1) on what is fetched again and again — lists, feeds,
exports and downloads: the validators come back, and a client that has the answer gets a 304
with no body; once the document changes, the same validator gets the new answer."""

from __future__ import annotations

import pytest
from django.test import Client

from documents import services
from tests.documents.conftest import pdf_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(publish):
    return publish(title="Compte rendu du conseil")


@pytest.mark.parametrize(
    "url",
    [
        "/documents/flux/",
        "/sitemap.xml",
        "/api/v1/documents/",
        "/api/v1/documents/{pk}/",
        "/documents/{pk}/telecharger",
        "/catalog.ttl",
        "/api/v1/search/?q=conseil",
    ],
)
def test_a_client_that_has_the_answer_gets_a_304(document, url):
    url = url.format(pk=document.pk)
    client = Client()
    first = client.get(url)
    assert first.status_code == 200
    etag = first["ETag"]
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304, url
    assert again.content == b""
    assert again["ETag"] == etag


def test_a_changed_document_is_sent_again_to_the_same_validator(territory, document):
    client = Client()
    download = f"/documents/{document.pk}/telecharger"
    etag = client.get(download)["ETag"]
    services.document_replace_file(
        actor=territory.publisher, document=document, upload=pdf_upload(text="Version corrigée.")
    )
    assert client.get(download, HTTP_IF_NONE_MATCH=etag).status_code == 200
    feed = client.get("/documents/flux/")
    services.document_withdraw(actor=territory.publisher, document=document)
    assert client.get("/documents/flux/", HTTP_IF_NONE_MATCH=feed["ETag"]).status_code == 200

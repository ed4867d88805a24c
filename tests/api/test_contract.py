"""The one API (civis/api.py): its OpenAPI description, its docs page, the envelope and the
document schema both routers share, and French 400s instead of django-ninja's 422s."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern

from civis.api import api

pytestmark = pytest.mark.django_db

ENVELOPE = {"count", "page", "page_size", "next", "previous", "results"}
# What a search answers besides the envelope: facets, the places block, why nothing is
# listed, the honest partial answer and the suggestions.
SEARCH_EXTRAS = {
    "facets",
    "places",
    "reason",
    "notice",
    "partial",
    "matched_words",
    "missing_words",
    "suggestions",
}


def _spec(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def test_openapi_describes_every_operation_with_its_errors(client):
    spec = _spec(client)
    assert spec["info"]["title"] == "Civis Data API" and spec["info"]["version"] == "v1"
    expected = {
        "/api/v1/documents/": {"200", "400", "429"},
        "/api/v1/documents/{document_id}/": {"200", "400", "404", "429"},
        "/api/v1/documents/{document_id}/download": {"200", "400", "404", "429"},
        "/api/v1/search/": {"200", "400", "429"},
    }
    for path, statuses in expected.items():
        assert set(spec["paths"][path]) == {"get"}, path
        assert set(spec["paths"][path]["get"]["responses"]) >= statuses, path
    # Every route the API serves is described, so a new router cannot be left out.
    patterns, _app, _namespace = api.urls
    served = {
        "/api/v1/" + re.sub(r"<(\w+)>", r"{\1}", str(p.pattern))
        for p in patterns
        if isinstance(p, URLPattern) and p.name not in ("openapi-json", "openapi-view", "api-root")
    }
    assert served == set(spec["paths"])
    download = spec["paths"]["/api/v1/documents/{document_id}/download"]["get"]
    assert "application/octet-stream" in download["responses"]["200"]["content"]
    error = spec["components"]["schemas"]["ErrorOut"]
    assert set(error["properties"]) == {"error", "field"}


def test_openapi_types_and_bounds_every_parameter(client):
    spec = _spec(client)

    def params(path: str) -> dict[str, dict]:
        return {p["name"]: p["schema"] for p in spec["paths"][path]["get"]["parameters"]}

    listing = params("/api/v1/documents/")
    assert set(listing) == {
        "authority",
        "authority_code",
        "type",
        "published_after",
        "published_before",
        "page",
        "page_size",
    }
    assert listing["page_size"]["maximum"] == 100 and listing["page"]["minimum"] == 1
    assert "deliberation" in listing["type"]["enum"]
    item = params("/api/v1/documents/{document_id}/")["document_id"]
    assert item["type"] == "integer" and item["maximum"] == 2**31 - 1
    search = params("/api/v1/search/")
    assert set(search) == {
        "q",
        "authority",
        "authority_code",
        "type",
        "year",
        "format",
        "sort",
        "page",
        "page_size",
    }
    assert search["page"]["maximum"] == 10_000 and search["sort"]["enum"] == ["relevance", "date"]
    schemas = spec["components"]["schemas"]
    hit, document = schemas["SearchHitOut"]["properties"], schemas["DocumentOut"]["properties"]
    assert set(hit) == set(document) | {"snippet", "score", "missing_words"}
    paged = schemas["PagedDocumentOut"]["properties"]
    assert set(paged) == ENVELOPE
    assert set(schemas["SearchResultsOut"]["properties"]) == ENVELOPE | SEARCH_EXTRAS


def test_docs_page_serves_swagger_from_our_static_files(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html and "cdn" not in html.lower()
    assert "Civis Data API" in html


def test_envelope_and_links_are_unchanged(client, corpus):
    body = client.get(
        "/api/v1/documents/", {"page_size": 1, "type": "deliberation", "page": 2}
    ).json()
    assert set(body) == ENVELOPE
    assert (body["count"], body["page"], body["page_size"]) == (3, 2, 1)
    assert body["next"] == (
        "http://testserver/api/v1/documents/?page_size=1&type=deliberation&page=3"
    )
    assert body["previous"] == (
        "http://testserver/api/v1/documents/?page_size=1&type=deliberation&page=1"
    )
    assert [r["id"] for r in body["results"]] == [corpus.public[1].pk]  # newest first
    last = client.get(
        "/api/v1/documents/", {"page_size": 1, "page": 3, "type": "deliberation"}
    ).json()
    assert last["next"] is None and last["previous"]
    found = client.get("/api/v1/search/", {"q": "conseil", "page_size": 2}).json()
    assert set(found) == ENVELOPE | SEARCH_EXTRAS
    assert found["count"] == 3 and found["next"] == (
        "http://testserver/api/v1/search/?q=conseil&page_size=2&page=2"
    )
    assert found["previous"] is None


def test_search_hits_are_documents_plus_snippet_and_score(client, corpus):
    document = corpus.public[0]
    item = client.get(f"/api/v1/documents/{document.pk}/").json()
    assert item["authority"] == {
        "id": corpus.merignac.pk,
        "name": "Mérignac",
        "kind": "commune",
        "insee_code": "33281",
        "siren": None,
    }
    assert item["tags"] == ["écoles"] and item["format"] == "pdf"
    assert item["url"] == f"http://testserver/documents/{document.pk}/"
    assert item["file"]["download_url"] == (
        f"http://testserver/api/v1/documents/{document.pk}/download"
    )
    hits = client.get("/api/v1/search/", {"q": "écoles", "page_size": 100}).json()["results"]
    hit = next(h for h in hits if h["id"] == document.pk)
    assert {k: v for k, v in hit.items() if k not in ("snippet", "score", "missing_words")} == item
    assert "<mark>écoles</mark>" in hit["snippet"] and isinstance(hit["score"], float)


def test_json_is_utf8_with_accents_as_they_are(client, corpus):
    response = client.get(f"/api/v1/documents/{corpus.public[0].pk}/")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "Délibération".encode() in response.content


@pytest.mark.parametrize(
    "url, params, field",
    [
        ("/api/v1/documents/", {"published_before": "2026-02-30"}, "published_before"),
        ("/api/v1/documents/", {"published_after": "20260301"}, "published_after"),
        (
            "/api/v1/documents/",
            {"published_after": "2026-03-01", "published_before": "2026-01-01"},
            "published_after",
        ),
        ("/api/v1/documents/", {"authority": "999999"}, "authority"),
        ("/api/v1/documents/", {"page_size": "0"}, "page_size"),
        ("/api/v1/search/", {"year": "1800"}, "year"),
        ("/api/v1/search/", {"q": "conseil", "page": "3"}, "page"),
        ("/api/v1/search/", {"authority": "999999"}, "authority"),
    ],
)
def test_bad_parameters_are_french_400s_never_422(client, corpus, url, params, field):
    response = client.get(url, params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"error", "field"} and body["field"] == field
    assert "detail" not in body and re.search(r"[éèàç«]|doit|inconnu|page", body["error"])


def test_not_found_is_the_same_json_for_unreadable_and_missing(client, corpus):
    unreadable = client.get(f"/api/v1/documents/{corpus.internal.pk}/")
    missing = client.get("/api/v1/documents/2147483647/")
    assert unreadable.status_code == missing.status_code == 404
    assert unreadable.json() == {"error": "Document introuvable."}
    assert unreadable.content == missing.content
    download = client.get(f"/api/v1/documents/{corpus.internal.pk}/download")
    assert download.status_code == 404 and download.content == missing.content


def test_a_signed_in_agent_reads_internal_documents_through_the_session(client, corpus):
    client.force_login(corpus.agent)
    assert client.get(f"/api/v1/documents/{corpus.internal.pk}/").status_code == 200
    assert client.get("/api/v1/documents/").json()["count"] == 4


def test_only_get_is_served(client, corpus):
    assert client.post("/api/v1/documents/").status_code == 405
    assert client.delete(f"/api/v1/documents/{corpus.public[0].pk}/").status_code == 405

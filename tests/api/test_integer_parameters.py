"""Issue 18, finding 8: every integer parameter of every API route and HTML search page is
parsed once, strictly (core.params.parse_int): a malformed or out-of-range one is a 400 with
a French message, never a 500. "²" passes str.isdigit() but crashes int(); a huge id
overflowed SQLite; a 5,000-digit one makes int() itself raise."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from core.params import MAX_INT, BadParameter, parse_date, parse_int, parse_optional_int

pytestmark = pytest.mark.django_db

BAD_INTEGERS = [
    "²",
    "¹",
    "99999999999999999999999",
    "-1",
    " 1",
    "1.0",
    # and: another script's digit, a sign, Python's digit separator, hex, 2**31,
    # more digits than int() converts
    "\u0661",
    "+1",
    "1_0",
    "0x1",
    str(MAX_INT + 1),
    "7" * 5000,
]

API_QUERY_PARAMETERS = [
    ("/api/v1/documents/", "authority"),
    ("/api/v1/documents/", "page"),
    ("/api/v1/documents/", "page_size"),
    ("/api/v1/search/", "authority"),
    ("/api/v1/search/", "year"),
    ("/api/v1/search/", "page"),
    ("/api/v1/search/", "page_size"),
]
API_PATHS = ["/api/v1/documents/{}/", "/api/v1/documents/{}/download"]
PAGE_PARAMETERS = [
    ("/recherche/", "collectivite"),
    ("/recherche/", "authority"),
    ("/recherche/", "year"),
    ("/recherche/", "page"),
    ("/recherche/", "page_size"),
    ("/mon-espace/", "collectivite"),
    ("/mon-espace/", "page"),
]


@pytest.mark.parametrize("value", BAD_INTEGERS, ids=repr)
def test_parse_int_accepts_ascii_digits_in_bounds_only(value):
    with pytest.raises(BadParameter) as refused:
        parse_int(value, field="page", low=1)
    assert refused.value.field == "page"
    assert refused.value.message == f"« page » doit être un entier entre 1 et {MAX_INT}."


def test_parse_int_and_friends_accept_what_they_should():
    assert parse_int("0042", field="x") == 42
    assert parse_int(str(MAX_INT), field="x") == MAX_INT
    assert parse_optional_int("", field="x") is None
    assert parse_optional_int(None, field="x") is None
    assert parse_date("2026-03-01", field="d").isoformat() == "2026-03-01"
    fullwidth = "\uff12\uff10\uff12\uff16-03-01"
    for bad in ("2026-3-1", "20260301", "2026-W10-1", fullwidth, "2026-02-30", ""):
        with pytest.raises(BadParameter):
            parse_date(bad, field="d")


@pytest.mark.parametrize("value", BAD_INTEGERS, ids=repr)
def test_every_api_integer_parameter_refuses_with_a_french_400(client, corpus, value):
    for url, name in API_QUERY_PARAMETERS:
        response = client.get(url, {name: value, "q": "conseil"})
        assert response.status_code == 400, (url, name, response.content[:200])
        assert response.json() == {"field": name, "error": response.json()["error"]}, (url, name)
        assert "doit être un entier" in response.json()["error"], (url, name)
    for template in API_PATHS:
        url = template.format(quote(value))
        response = client.get(url)
        assert response.status_code == 400, (url, response.content[:200])
        assert response.json()["field"] == "document_id", url
        assert "doit être un entier" in response.json()["error"], url


@pytest.mark.parametrize("value", BAD_INTEGERS, ids=repr)
def test_every_html_integer_parameter_refuses_with_a_french_400(client, corpus, value):
    client.force_login(corpus.agent)  # /mon-espace/ needs someone signed in
    for url, name in PAGE_PARAMETERS:
        response = client.get(url, {name: value, "q": "conseil"})
        assert response.status_code == 400, (url, name)
        html = response.content.decode()
        assert "doit être un entier" in html or "Collectivité inconnue" in html, (url, name)


def test_an_empty_integer_parameter_means_not_given(client, corpus):
    listing = client.get("/api/v1/documents/", {"page": "", "page_size": "", "authority": ""})
    assert listing.status_code == 200 and listing.json()["page_size"] == 20
    found = client.get("/api/v1/search/", {"q": "conseil", "year": "", "page": ""})
    assert found.status_code == 200 and found.json()["page"] == 1
    page = client.get("/recherche/", {"q": "conseil", "collectivite": "", "page": ""})
    assert page.status_code == 200

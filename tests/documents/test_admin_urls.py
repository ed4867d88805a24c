"""Every admin URL that can address a document answers 404 for a document the requester may not
edit, and never shows its title.

The URLs are not listed by hand: the test walks Django's resolver, so a view Wagtail (or we) add
to the document admin later is probed without anyone remembering it. Probed:

* every pattern under ``/admin/publications/`` (the document viewset), with each path parameter
  set to the foreign document's id;
* every admin pattern addressing a model by ``app_label``/``model_name`` (bulk actions, editing
  sessions, settings, choosers…), set to ``documents``/``document``;
* the pages Wagtail keeps for the viewset but that are not URL patterns (inspect, copy, …).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from wagtail.admin.views.bulk_action.registry import bulk_action_registry

from documents.models import Audience, Document

pytestmark = pytest.mark.django_db

PREFIX = "admin/publications/"
MODEL_PARAMETERS = {"app_label": "documents", "app_name": "documents", "model_name": "document"}
# Names Wagtail gives its bulk actions and object views; probed even when nothing registers
# them today, so the day one appears it is already covered.
BULK_ACTIONS = {
    "delete",
    "publish",
    "unpublish",
    "copy",
    "move",
    "set_privacy",
    "add_tags",
    "add_to_collection",
    "assign_role",
    "set_active_state",
}
UNLISTED_OBJECT_VIEWS = (
    "inspect",
    "copy",
    "revisions",
    "unpublish",
    "lock",
    "unlock",
    "workflow-history",
    "preview",
    "reorder",
    "revisions/compare",
)
PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    route: str
    name: str

    @property
    def parameters(self) -> list[str]:
        return [m["name"] for m in PARAMETER.finditer(self.route)]

    @property
    def addresses_an_object(self) -> bool:
        return bool(set(self.parameters) - set(MODEL_PARAMETERS)) or "bulk" in self.route


def _walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            yield Route(prefix + str(pattern.pattern), namespace + (pattern.name or ""))


def document_routes() -> list[Route]:
    """The admin routes that can address a document."""
    routes = []
    for route in _walk(get_resolver().url_patterns):
        if not route.route.startswith("admin/") or route.route.startswith("admin/^"):
            continue
        parameters = set(route.parameters)
        by_model = "model_name" in parameters and bool(parameters & {"app_label", "app_name"})
        if route.route.startswith(PREFIX) or by_model:
            routes.append(route)
    return routes


def _urls(route: Route, document_id: int) -> Iterator[str]:
    def value(match: re.Match) -> str:
        name = match["name"]
        if name in MODEL_PARAMETERS:
            return MODEL_PARAMETERS[name]
        if name == "action":
            return "{action}"
        if name == "session_id":
            return "1"
        return str(document_id)

    url = "/" + PARAMETER.sub(value, route.route)
    if "{action}" in url:
        actions = BULK_ACTIONS | {
            action.action_type
            for action in bulk_action_registry.get_bulk_actions_for_model("documents", "document")
        }
        for action in sorted(actions):
            yield url.replace("{action}", action) + f"?id={document_id}"
    else:
        yield url


def _unlisted_urls(document_id: int) -> list[str]:
    return [f"/{PREFIX}{view}/{document_id}/" for view in UNLISTED_OBJECT_VIEWS]


@pytest.fixture
def foreign(territory, publish):
    """Documents a publisher of Mérignac may not edit, with titles found nowhere else."""
    draft = publish(
        owner=territory.bordeaux,
        audience=Audience.RESTRICTED,
        publish=False,
        title="Zqxbrouillon confidentiel de Bordeaux",
        tags=["zqxrsa"],
    )
    personal = publish(
        owner=territory.bordeaux,
        audience=Audience.PERSONAL,
        addressee=territory.citizen,
        title="Zqxdossier RSA de citoyen",
    )
    return [draft, personal]


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _request(client: Client, method: str, url: str, document: Document):
    # A search for the start of the title, so a page echoing the query does not count as a leak.
    term = document.title[:8]
    if method == "get":
        return client.get(url, {"q": term} if "?" not in url else {})
    return client.post(url, {"q": term, "id": document.pk, "title": term})


def _probe(client: Client, document: Document) -> list[str]:
    """Every way the admin could address ``document``, by GET and POST; returns what went
    wrong. An object URL must answer 404 — or 405 when the method is refused before any
    look-up, exactly as for an id that does not exist."""
    problems = []
    missing = Document.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
    urls = [
        (route, url, url.replace(str(document.pk), str(missing)))
        for route in document_routes()
        for url in _urls(route, document.pk)
    ]
    urls += [
        (Route(url, "unlisted"), url, url.replace(str(document.pk), str(missing)))
        for url in _unlisted_urls(document.pk)
    ]
    for route, url, missing_url in urls:
        for method in ("get", "post"):
            response = _request(client, method, url, document)
            where = f"{method.upper()} {url} ({route.name})"
            if document.title.lower() in _body(response).lower():
                problems.append(f"{where} shows the title")
            if response.status_code >= 500:
                problems.append(f"{where} answers {response.status_code}")
            elif route.addresses_an_object and response.status_code != 404:
                control = _request(client, method, missing_url, document).status_code
                if response.status_code != 405 or control != 405:
                    problems.append(f"{where} answers {response.status_code}, not 404")
    return problems


def test_the_walk_finds_the_document_viewset_and_the_generic_model_views():
    names = {route.name for route in document_routes()}
    assert {
        "civis_documents:index",
        "civis_documents:edit",
        "civis_documents:history",
        "civis_documents:usage",
        "civis_documents:delete",
    } <= names
    assert "wagtail_bulk_action" in names
    assert any("editing-sessions" in route.route for route in document_routes())


def test_no_admin_url_shows_a_document_of_another_authority(client, territory, foreign):
    client.force_login(territory.publisher)
    problems = [problem for document in foreign for problem in _probe(client, document)]
    assert problems == [], "\n".join(problems)


def test_an_administrator_above_the_owner_does_not_reach_personal_documents(
    client, territory, publish
):
    personal = publish(
        owner=territory.merignac,
        audience=Audience.PERSONAL,
        addressee=territory.citizen,
        title="Zqxavis d'imposition de citoyen",
    )
    client.force_login(territory.region_admin)
    problems = _probe(client, personal)
    assert problems == [], "\n".join(problems)


def test_a_document_one_may_not_edit_and_one_that_does_not_exist_answer_alike(
    client, territory, foreign
):
    client.force_login(territory.publisher)
    missing = max(Document.objects.values_list("pk", flat=True)) + 1000
    for route in document_routes():
        if not route.addresses_an_object:
            continue
        for foreign_url, missing_url in zip(
            _urls(route, foreign[0].pk), _urls(route, missing), strict=True
        ):
            assert client.get(foreign_url).status_code == client.get(missing_url).status_code


def test_the_probe_sees_a_title_when_the_document_is_the_publishers_own(client, territory, publish):
    # The control: the same walk on an editable document does reach it, so the 404s above
    # come from the selector, not from URLs the test got wrong.
    own = publish(title="Zqxdélibération de Mérignac")
    client.force_login(territory.publisher)
    for name in ("edit", "history", "usage"):
        response = client.get(f"/{PREFIX}{name}/{own.pk}/")
        assert response.status_code == 200, name
        assert own.title in response.content.decode(), name
    assert client.get(f"/{PREFIX}delete/{own.pk}/").status_code == 404  # withdraw instead
    problems = _probe(client, own)
    assert any("history" in problem and "shows the title" in problem for problem in problems)


def test_listing_search_and_filters_never_show_a_foreign_title(client, territory, foreign):
    client.force_login(territory.publisher)
    for url in ("/admin/publications/", "/admin/publications/results/"):
        for query in (
            {"q": "Zqx"},
            {"status": "draft"},
            {"audience": "personal"},
            {"audience": "restricted", "q": "confidentiel"},
            {"export": "csv"},
            {"export": "xlsx"},
        ):
            response = client.get(url, query)
            body = _body(response)
            assert response.status_code in (200, 404), (url, query, response.status_code)
            for document in foreign:
                assert document.title not in body, (url, query)

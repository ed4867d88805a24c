"""The DCAT-AP catalog: SEMIC's mandatory shapes (pyshacl, 0 violations), Hydra paging shaped
like udata's examples, what is left out (property test over dataset and document states), the
filters and their 400s, the formats, per-dataset RDF, 304s and no redirect anywhere."""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from django.conf import settings as django_settings
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import clear_url_caches, get_resolver, path
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from rdflib import Graph, Literal, URIRef
from rdflib import namespace as ns
from rdflib.namespace import DCTERMS, RDF, SKOS

from documents.models import Audience, Status
from opendata.catalog import HYDRA, SPDX
from opendata.models import Dataset, Resource
from tests.factories import (
    make_authority,
    make_dataset,
    make_dataset_resource,
    make_open_document,
    make_territory,
    make_user,
)

DCT = DCTERMS
DELIBERATIONS_SCHEMA = "https://schema.data.gouv.fr/schemas/scdl/deliberations/2.1.5/schema.json"
EXAMPLES = int(os.environ.get("CIVIS_PROPERTY_EXAMPLES", "25"))


def shared_opendata() -> Path | None:
    """``../shared/data/opendata`` next to the repository (or /work/shared), if present."""
    for root in (Path(django_settings.BASE_DIR).parent / "shared", Path("/work/shared")):
        candidate = root / "data" / "opendata"
        if candidate.is_dir():
            return candidate
    return None


# The URL names the catalog links to belong to other modules (dataset pages, downloads, SCDL
# exports). While one is not installed yet, a stub answers under the contract's path, so
# these tests exercise the catalog alone.
_LINKED = {
    "dataset_detail": "donnees/<uuid:identifier>/",
    "resource_download": "donnees/<uuid:identifier>/ressources/<int:resource_id>/telecharger",
    "scdl_deliberations": "donnees/scdl/<str:code>/deliberations.csv",
    "scdl_catalogue": "donnees/scdl/<str:code>/catalogue.csv",
}


def _stub(request: HttpRequest, **kwargs: object) -> HttpResponse:
    return HttpResponse("stub")


@pytest.fixture(autouse=True)
def linked_urls() -> Iterator[None]:
    import opendata.urls as module

    clear_url_caches()
    installed = get_resolver().namespace_dict["opendata"][1].reverse_dict
    stubs = [path(route, _stub, name=n) for n, route in _LINKED.items() if n not in installed]
    module.urlpatterns.extend(stubs)
    clear_url_caches()
    yield
    for stub in stubs:
        module.urlpatterns.remove(stub)
    clear_url_caches()


@pytest.fixture(autouse=True)
def private_storage(settings: Any, tmp_path: Path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }


def parse(response: Any, fmt: str = "turtle") -> Graph:
    assert response.status_code == 200, response.content[:500]
    return Graph().parse(data=response.content, format=fmt)


def identifiers(graph: Graph) -> set[str]:
    return {str(graph.value(d, DCT.identifier)) for d in graph.subjects(RDF.type, ns.DCAT.Dataset)}


def catalog_world() -> dict[str, Any]:
    """Mérignac (certified) with a dataset of the three resource kinds; Bordeaux Métropole
    (an EPCI) and the région with one dataset each."""
    places = make_territory()
    merignac = places["merignac"]
    merignac.certified_at = timezone.now()
    merignac.save(update_fields=["certified_at"])
    budget = make_dataset(
        merignac,
        title="Délibérations de Mérignac",
        temporal_start=datetime.date(2024, 1, 1),
        temporal_end=datetime.date(2025, 12, 31),
    )
    make_dataset_resource(budget, "document", title="Budget 2025 (CSV)")
    make_dataset_resource(
        budget,
        "document",
        title="Rapport (PDF)",
        document=make_open_document(merignac, kind="pdf", content=b"%PDF-1.4 test"),
    )
    make_dataset_resource(budget, "api", title="Documents de Mérignac (API)")
    make_dataset_resource(
        budget, "export", title="Délibérations (SCDL)", schema_url=DELIBERATIONS_SCHEMA
    )
    metro = make_dataset(places["metropole"], licence="odc-odbl", themes=["TRAN"])
    make_dataset_resource(metro, "api", api_path="/api/v1/search/?q=voirie")
    region = make_dataset(places["region"], frequency="UNKNOWN", contact_email="")
    make_dataset_resource(region, "export", export=Resource.Export.CATALOGUE)
    return {"places": places, "budget": budget, "metro": metro, "region": region}


# -- (1) SHACL: DCAT-AP 3.0.1 mandatory shapes ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "fmt"),
    [
        ("/catalog.ttl", "turtle"),
        ("/catalog.jsonld", "json-ld"),
        ("/catalog.xml?authority_code=33281", "xml"),
    ],
)
def test_catalog_passes_the_dcat_ap_mandatory_shapes(url: str, fmt: str) -> None:
    shared = shared_opendata()
    if shared is None:
        pytest.skip("../shared/data/opendata (DCAT-AP 3.0.1 shapes) is absent on this machine")
    import pyshacl

    catalog_world()
    data = parse(Client().get(url), fmt)
    shapes = Graph()
    # shapes.ttl: the mandatory constraints; range.ttl: the class ranges they leave out.
    for name in ("shapes.ttl", "range.ttl"):
        shapes.parse(shared / "dcat-ap-3.0.1" / name, format="turtle")
    conforms, report, text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", allow_warnings=True
    )
    violations = [
        r
        for r in report.subjects(RDF.type, URIRef("http://www.w3.org/ns/shacl#ValidationResult"))
        if report.value(r, URIRef("http://www.w3.org/ns/shacl#resultSeverity"))
        == URIRef("http://www.w3.org/ns/shacl#Violation")
    ]
    assert conforms, text
    assert violations == []
    # The shapes did apply: the catalog has what they target.
    mine = "authority_code" in url
    assert len(identifiers(data)) == (1 if mine else 3)
    assert len(list(data.subjects(RDF.type, ns.DCAT.Distribution))) == (4 if mine else 6)
    assert len(list(data.subjects(RDF.type, SPDX.Checksum))) == 2
    # And they bite: a dataset without a title, a distribution without an access URL fail.
    dataset = next(data.subjects(RDF.type, ns.DCAT.Dataset))
    data.remove((dataset, DCT.title, None))
    data.remove((next(data.subjects(RDF.type, ns.DCAT.Distribution)), ns.DCAT.accessURL, None))
    conforms, report, text = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    assert not conforms
    assert "dcat:accessURL" in text and "dct:title" in text


@pytest.mark.django_db
def test_catalog_describes_datasets_the_way_data_gouv_reads_them() -> None:
    world = catalog_world()
    graph = parse(Client().get("/catalog.ttl"))
    budget = world["budget"]
    node = next(
        d
        for d in graph.subjects(RDF.type, ns.DCAT.Dataset)
        if str(graph.value(d, DCT.identifier)) == str(budget.identifier)
    )
    assert str(graph.value(node, DCT.title)) == "Délibérations de Mérignac"
    assert URIRef("http://publications.europa.eu/resource/authority/data-theme/GOVE") in set(
        graph.objects(node, ns.DCAT.theme)
    )
    assert graph.value(node, DCT.accrualPeriodicity) == URIRef(
        "http://publications.europa.eu/resource/authority/frequency/ANNUAL"
    )
    assert graph.value(node, DCT.spatial) == URIRef("http://id.insee.fr/geo/commune/33281")
    period = graph.value(node, DCT.temporal)
    assert graph.value(period, ns.DCAT.startDate) == Literal(datetime.date(2024, 1, 1))
    landing = graph.value(node, ns.DCAT.landingPage)
    assert str(landing) == f"http://testserver/donnees/{budget.identifier}/"
    # Certified publisher: "Service public certifié" as its (single) publisher type.
    publisher = graph.value(node, DCT.publisher)
    kind = graph.value(publisher, DCT.type)
    assert "Service public certifié" in {
        str(label) for label in graph.objects(kind, SKOS.prefLabel)
    }
    assert graph.value(kind, SKOS.broader) == URIRef(
        "http://purl.org/adms/publishertype/LocalAuthority"
    )
    metro_publisher = next(
        graph.value(d, DCT.publisher)
        for d in graph.subjects(RDF.type, ns.DCAT.Dataset)
        if str(graph.value(d, DCT.identifier)) == str(world["metro"].identifier)
    )
    assert graph.value(metro_publisher, DCT.type) == URIRef(
        "http://purl.org/adms/publishertype/LocalAuthority"
    )
    contact = graph.value(node, ns.DCAT.contactPoint)
    assert graph.value(contact, URIRef("http://www.w3.org/2006/vcard/ns#hasEmail")) == URIRef(
        "mailto:donnees@example.org"
    )
    by_title = {
        str(graph.value(d, DCT.title)): d for d in graph.objects(node, ns.DCAT.distribution)
    }
    csv = by_title["Budget 2025 (CSV)"]
    assert str(graph.value(csv, ns.DCAT.downloadURL)).startswith("http://testserver/donnees/")
    assert graph.value(csv, ns.DCAT.mediaType) == URIRef(
        "https://www.iana.org/assignments/media-types/text/csv"
    )
    assert graph.value(csv, DCT.license) == URIRef(
        "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    )
    assert cast(Literal, graph.value(csv, ns.DCAT.byteSize)).toPython() > 0
    api = by_title["Documents de Mérignac (API)"]
    assert str(graph.value(api, ns.DCAT.accessURL)) == (
        "http://testserver/api/v1/documents/?authority_code=33281"
    )
    assert graph.value(api, ns.DCAT.downloadURL) is None
    export = by_title["Délibérations (SCDL)"]
    assert graph.value(export, DCT.conformsTo) == URIRef(DELIBERATIONS_SCHEMA)
    assert str(graph.value(export, ns.DCAT.downloadURL)).endswith(
        "/donnees/scdl/33281/deliberations.csv"
    )
    # The portal's API as a data service.
    (service,) = graph.subjects(RDF.type, ns.DCAT.DataService)
    assert str(graph.value(service, ns.DCAT.endpointURL)) == "http://testserver/api/v1/"
    assert str(graph.value(service, ns.DCAT.endpointDescription)) == (
        "http://testserver/api/v1/openapi.json"
    )
    assert node in set(graph.objects(service, ns.DCAT.servesDataset))


# -- (3) Hydra paging shaped like udata's examples ---------------------------------------------


def _pagination(graph: Graph) -> dict[str, Any]:
    """What udata's ns.DCAT backend reads: the (single) PartialCollectionView and its links
    (``url_from_rdf``: a URI or a literal), and the collection's totalItems and members."""
    (view,) = graph.subjects(RDF.type, HYDRA.PartialCollectionView)
    (collection,) = graph.subjects(RDF.type, HYDRA.Collection)
    links = {
        name: str(value)
        for name in ("first", "last", "next", "previous")
        if (value := graph.value(view, HYDRA[name])) is not None
    }
    return {
        "links": links,
        "total": int(str(graph.value(collection, HYDRA.totalItems))),
        "members": set(graph.objects(collection, HYDRA.member)),
        "view_of_collection": set(graph.objects(collection, HYDRA.view)),
        "view": view,
        "collection_types": set(graph.objects(collection, RDF.type)),
    }


@pytest.mark.django_db
def test_paging_has_the_shape_of_udatas_partial_collection_examples() -> None:
    shared = shared_opendata()
    if shared is None:
        pytest.skip("../shared/data/opendata (udata ns.DCAT examples) is absent on this machine")
    owner = make_authority()
    for _n in range(4):
        make_dataset_resource(make_dataset(owner), "api")
    client = Client()
    for number, example in ((1, "partial-collection-1.jsonld"), (2, "partial-collection-2.jsonld")):
        theirs = _pagination(
            Graph().parse(shared / "udata-dcat-examples" / example, format="json-ld")
        )
        ours = _pagination(
            parse(client.get(f"/catalog.jsonld?page_size=3&page={number}"), "json-ld")
        )
        assert set(ours["links"]) == set(theirs["links"])  # first, last and next or previous
        assert ours["total"] == theirs["total"] == 4
        assert len(ours["members"]) == len(theirs["members"])
        assert ours["collection_types"] >= {ns.DCAT.Catalog, HYDRA.Collection}
        assert ours["collection_types"] >= theirs["collection_types"]
        assert ours["view_of_collection"] == {ours["view"]}
        for link in ours["links"].values():
            assert link.startswith("http://testserver/catalog.jsonld?")


# -- (4) what never appears --------------------------------------------------------------------


def _resource_specs() -> st.SearchStrategy[list[tuple[str, str, str]]]:
    return st.lists(
        st.tuples(
            st.sampled_from(["document", "document", "api", "export"]),
            st.sampled_from(Status.values),
            st.sampled_from(Audience.values),
        ),
        min_size=1,
        max_size=3,
    )


class CatalogVisibilityPropertyTest(TestCase):
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        st.lists(
            st.tuples(st.sampled_from(Dataset.Status.values), _resource_specs()),
            min_size=1,
            max_size=3,
        )
    )
    def test_only_public_datasets_and_resources_appear(
        self, specs: list[tuple[str, list[tuple[str, str, str]]]]
    ) -> None:
        owner = make_authority()
        expected_datasets: set[str] = set()
        expected_resources: set[str] = set()
        hidden: list[Dataset] = []
        for status, resources in specs:
            dataset = make_dataset(owner, status=status)
            public = status == Dataset.Status.PUBLISHED
            (expected_datasets.add(str(dataset.identifier)) if public else hidden.append(dataset))
            for kind, doc_status, audience in resources:
                fields = {}
                if kind == "document":
                    personal = audience == Audience.PERSONAL
                    fields["document"] = make_open_document(
                        owner,
                        status=doc_status,
                        audience=audience,
                        addressee=make_user() if personal else None,
                    )
                resource = make_dataset_resource(dataset, kind, **fields)
                readable = kind != "document" or (
                    doc_status == Status.PUBLISHED and audience == Audience.PUBLIC
                )
                if public and readable:
                    expected_resources.add(f"#ressource-{resource.pk}")
        client = Client()
        for fmt, suffix in (("turtle", "ttl"), ("json-ld", "jsonld"), ("xml", "xml")):
            graph = parse(client.get(f"/catalog.{suffix}?page_size=100"), fmt)
            assert identifiers(graph) == expected_datasets
            shown = {
                "#" + str(d).rsplit("#", 1)[1]
                for d in graph.subjects(RDF.type, ns.DCAT.Distribution)
            }
            assert shown == expected_resources
        for dataset in hidden:
            for suffix in ("ttl", "jsonld", "rdf"):
                assert client.get(f"/donnees/{dataset.identifier}.{suffix}").status_code == 404
        for identifier in expected_datasets:
            graph = parse(client.get(f"/donnees/{identifier}.ttl"))
            assert identifiers(graph) == {identifier}
            shown = {
                "#" + str(d).rsplit("#", 1)[1]
                for d in graph.subjects(RDF.type, ns.DCAT.Distribution)
            }
            assert shown <= expected_resources


# -- (5) filters and bad parameters -----------------------------------------------------------


@pytest.mark.django_db
def test_authority_code_lists_that_authority_only() -> None:
    world = catalog_world()
    places = world["places"]
    client = Client()
    graph = parse(client.get("/catalog.ttl?authority_code=33281"))
    assert identifiers(graph) == {str(world["budget"].identifier)}
    (catalog,) = graph.subjects(RDF.type, ns.DCAT.Catalog)
    publisher = graph.value(catalog, DCT.publisher)
    assert str(graph.value(publisher, URIRef("http://xmlns.com/foaf/0.1/name"))) == "Mérignac"
    # By SIREN, and the métropole's catalog does not repeat its communes' datasets.
    assert identifiers(parse(client.get("/catalog.ttl?authority_code=243300316"))) == {
        str(world["metro"].identifier)
    }
    assert identifiers(parse(client.get(f"/catalog.ttl?authority_code={places['region'].siren}")))
    # An authority without datasets has an empty (valid) catalog.
    assert identifiers(parse(client.get("/catalog.ttl?authority_code=33009"))) == set()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "authority_code=99999",
        "authority_code=",
        "authority_code=%3Cscript%3E",
        "authority_code=" + "1" * 40,
        "modified_since=2026-13-01",
        "modified_since=hier",
        "modified_since=01/02/2026",
        "page=0",
        "page=-1",
        "page=deux",
        "page=%C2%B2",
        "page=" + "9" * 30,
        "page_size=0",
        "page_size=1000",
    ],
)
def test_bad_parameters_answer_400_in_french(query: str) -> None:
    make_territory()
    response = Client().get(f"/catalog.ttl?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "doit" in text or "Aucune collectivité" in text


@pytest.mark.django_db
def test_ambiguous_insee_code_asks_for_the_siren() -> None:
    make_authority("region", insee_code="75", name="Nouvelle-Aquitaine")
    make_authority("departement", insee_code="75", name="Paris")
    response = Client().get("/catalog.ttl?authority_code=75")
    assert response.status_code == 400
    assert "SIREN" in response.content.decode()


@pytest.mark.django_db
def test_modified_since_keeps_recent_datasets() -> None:
    owner = make_authority()
    old = make_dataset(owner)
    Dataset.objects.filter(pk=old.pk).update(
        modified_at=timezone.now() - datetime.timedelta(days=40),
        published_at=timezone.now() - datetime.timedelta(days=40),
    )
    recent = make_dataset(owner)
    client = Client()
    since = (timezone.localdate() - datetime.timedelta(days=10)).isoformat()
    assert identifiers(parse(client.get(f"/catalog.ttl?modified_since={since}"))) == {
        str(recent.identifier)
    }
    assert len(identifiers(parse(client.get("/catalog.ttl")))) == 2


@pytest.mark.django_db
def test_a_page_past_the_last_is_404_and_an_empty_catalog_has_page_one() -> None:
    client = Client()
    empty = client.get("/catalog.ttl")
    assert empty.status_code == 200
    assert identifiers(parse(empty)) == set()
    assert client.get("/catalog.ttl?page=2").status_code == 404


# -- formats, negotiation, caching, no redirect ---------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "media_type", "fmt"),
    [
        ("", "text/turtle", "turtle"),
        ("*/*", "text/turtle", "turtle"),
        ("text/turtle", "text/turtle", "turtle"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
        ("text/html;q=0.9, application/rdf+xml", "application/rdf+xml", "xml"),
    ],
)
def test_catalog_negotiates_its_format(accept: str, media_type: str, fmt: str) -> None:
    make_dataset(make_authority())
    response = Client().get("/catalog", headers={"Accept": accept} if accept else None)
    assert response["Content-Type"].startswith(media_type)
    assert "Accept" in response["Vary"]
    assert len(identifiers(parse(response, fmt))) == 1


@pytest.mark.django_db
def test_unacceptable_format_is_406() -> None:
    response = Client().get("/catalog", HTTP_ACCEPT="image/png")
    assert response.status_code == 406
    assert "text/turtle" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/catalog",
        "/catalog/",
        "/catalog.ttl",
        "/catalog.ttl/",
        "/catalog.jsonld",
        "/catalog.jsonld/",
        "/catalog.xml",
        "/catalog.xml/",
        "/catalog.ttl?page=1",
        "/catalog.ttl/?page=1&page_size=1",
    ],
)
def test_every_catalog_url_answers_200_without_redirect(url: str) -> None:
    make_dataset(make_authority())
    client = Client()
    assert client.get(url).status_code == 200
    assert client.head(url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/catalog.ttl", "/catalog.jsonld", "/catalog.xml"])
def test_catalog_answers_304_to_a_harvester_that_has_it(url: str) -> None:
    owner = make_authority()
    dataset = make_dataset(owner, temporal_start=datetime.date(2024, 1, 1))
    make_dataset_resource(dataset, "document")  # blank nodes: period, checksum
    client = Client()
    first = client.get(url)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert client.get(url)["ETag"] == etag  # the same body, byte for byte
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    # A change (a withdrawal included) gives a new ETag and a new date.
    Dataset.objects.filter(pk=dataset.pk).update(
        status=Dataset.Status.WITHDRAWN, modified_at=timezone.now() + datetime.timedelta(seconds=2)
    )
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


@pytest.mark.django_db
def test_dates_are_never_in_the_future() -> None:
    dataset = make_dataset(make_authority())
    future = timezone.now() + datetime.timedelta(days=3)
    Dataset.objects.filter(pk=dataset.pk).update(modified_at=future, published_at=future)
    graph = parse(Client().get("/catalog.ttl"))
    now = timezone.now()
    for predicate in (DCT.modified, DCT.issued):
        for value in graph.objects(None, predicate):
            assert cast(Literal, value).toPython() <= now


@pytest.mark.django_db
def test_dataset_rdf_in_three_formats_and_404_otherwise() -> None:
    world = catalog_world()
    identifier = world["budget"].identifier
    client = Client()
    for suffix, fmt, media_type in (
        ("ttl", "turtle", "text/turtle"),
        ("jsonld", "json-ld", "application/ld+json"),
        ("rdf", "xml", "application/rdf+xml"),
    ):
        response = client.get(f"/donnees/{identifier}.{suffix}")
        assert response["Content-Type"].startswith(media_type)
        graph = parse(response, fmt)
        assert identifiers(graph) == {str(identifier)}
        assert len(list(graph.subjects(RDF.type, ns.DCAT.Distribution))) == 4
        assert client.get(f"/donnees/{identifier}.{suffix}/").status_code == 200
    assert client.get(f"/donnees/{identifier}.csv").status_code == 404
    draft = make_dataset(world["places"]["merignac"], status=Dataset.Status.DRAFT)
    assert client.get(f"/donnees/{draft.identifier}.ttl").status_code == 404


@pytest.mark.django_db
def test_contact_point_falls_back_to_the_authoritys_coordinates() -> None:
    from identity.models import AuthorityContact

    owner = make_authority()
    AuthorityContact.objects.create(authority=owner, email="mairie@example.org")
    dataset = make_dataset(owner, contact_name="", contact_email="")
    graph = parse(Client().get(f"/donnees/{dataset.identifier}.ttl"))
    (node,) = graph.subjects(RDF.type, ns.DCAT.Dataset)
    contact = graph.value(node, ns.DCAT.contactPoint)
    vcard = "http://www.w3.org/2006/vcard/ns#"
    assert graph.value(contact, URIRef(vcard + "hasEmail")) == URIRef("mailto:mairie@example.org")
    assert str(graph.value(contact, URIRef(vcard + "fn"))) == owner.name
    # No contact anywhere: no contact point rather than an empty one.
    bare = make_dataset(make_authority(), contact_name="", contact_email="")
    graph = parse(Client().get(f"/donnees/{bare.identifier}.ttl"))
    assert not list(graph.objects(None, ns.DCAT.contactPoint))

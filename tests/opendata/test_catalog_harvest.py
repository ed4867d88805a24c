"""The catalog read the way data.gouv.fr's harvester (udata's DCAT backend) reads it: parse a
page, find the one ``hydra:PartialCollectionView``, follow ``hydra:next`` to the end with no
redirect, then check every dataset and distribution it would import."""

from __future__ import annotations

import datetime
from typing import cast

import pytest
from django.test import Client
from django.utils import timezone
from rdflib import Graph, Literal, URIRef
from rdflib import namespace as ns

from documents.models import Audience, Status
from opendata.catalog import HYDRA
from opendata.models import Dataset
from tests.factories import make_dataset, make_dataset_resource, make_open_document, make_territory
from tests.opendata.test_catalog import linked_urls, private_storage  # noqa: F401 (fixtures)

PAGINATION = ((HYDRA.PartialCollectionView, HYDRA.next), (HYDRA.PagedCollection, HYDRA.nextPage))


def harvest(client: Client, url: str, fmt: str) -> list[Graph]:
    """udata's ``walk_graph``: GET, parse, next page from the pagination node, until none."""
    pages: list[Graph] = []
    seen: set[str] = set()
    while url:
        assert url not in seen, f"paging loops back to {url}"
        seen.add(url)
        assert url.startswith("http://testserver/"), f"not an absolute URL: {url}"
        response = client.get(url.removeprefix("http://testserver"))
        assert response.status_code == 200, (url, response.status_code)  # no 3xx, no error
        graph = Graph().parse(data=response.content, format=fmt)
        pages.append(graph)
        url = ""
        for cls, prop in PAGINATION:
            views = list(graph.subjects(ns.RDF.type, cls))
            if views:
                assert len(views) == 1  # udata reads graph.value(): one view per page
                value = graph.value(views[0], prop)
                url = str(value) if value is not None else ""
                break
    return pages


@pytest.fixture
def published(db: None) -> list[Dataset]:
    """23 public datasets across the territory (three resource kinds), plus what must not
    be harvested: a draft, a withdrawn dataset and a withdrawn or internal document."""
    places = make_territory()
    owners = [places["merignac"], places["bordeaux"], places["metropole"], places["region"]]
    made = []
    for n in range(23):
        dataset = make_dataset(owners[n % len(owners)], title=f"Jeu {n}")
        make_dataset_resource(dataset, ("document", "api", "export")[n % 3])
        made.append(dataset)
    hidden_doc = make_dataset(places["merignac"], title="Avec un fichier retiré")
    make_dataset_resource(
        hidden_doc,
        "document",
        document=make_open_document(places["merignac"], status=Status.WITHDRAWN),
    )
    make_dataset_resource(
        hidden_doc,
        "document",
        document=make_open_document(places["merignac"], audience=Audience.INTERNAL),
    )
    made.append(hidden_doc)
    make_dataset(places["merignac"], status="draft")
    make_dataset(places["bordeaux"], status="withdrawn")
    return made


@pytest.mark.parametrize(
    ("start", "fmt"), [("/catalog.jsonld", "json-ld"), ("/catalog.ttl", "turtle")]
)
def test_harvester_walks_every_page_and_finds_what_it_needs(
    published: list[Dataset], start: str, fmt: str
) -> None:
    client = Client()
    pages = harvest(client, f"http://testserver{start}?page_size=5", fmt)
    assert len(pages) == 5  # 24 datasets, 5 per page
    now = timezone.now()
    found: list[str] = []
    for page in pages:
        (catalog,) = page.subjects(ns.RDF.type, ns.DCAT.Catalog)
        assert int(str(page.value(catalog, HYDRA.totalItems))) == 24
        for dataset in page.subjects(ns.RDF.type, ns.DCAT.Dataset):
            identifier = page.value(dataset, ns.DCTERMS.identifier)
            assert identifier is not None and str(identifier)
            assert page.value(dataset, ns.DCTERMS.title) is not None
            modified = page.value(dataset, ns.DCTERMS.modified)
            assert cast(Literal, modified).toPython() <= now
            for distribution in page.objects(dataset, ns.DCAT.distribution):
                urls = [
                    *page.objects(distribution, ns.DCAT.downloadURL),
                    *page.objects(distribution, ns.DCAT.accessURL),
                ]
                assert urls and all(str(u).startswith("http://testserver/") for u in urls)
            found.append(str(identifier))
    # Every public dataset once, nothing else; the one with hidden files has no distribution.
    assert sorted(found) == sorted(str(d.identifier) for d in published)
    last = next(g for g in pages if any(g.subjects(ns.DCTERMS.title, None)))
    assert last is not None


def test_harvester_starting_at_the_negotiated_url(published: list[Dataset]) -> None:
    """udata HEADs a URL without a known suffix to learn its Content-Type, then GETs it."""
    client = Client()
    head = client.head("/catalog")
    assert head.status_code == 200
    assert head["Content-Type"].startswith("text/turtle")
    pages = harvest(client, "http://testserver/catalog?page_size=10", "turtle")
    assert len(pages) == 3
    assert sum(len(list(p.subjects(ns.RDF.type, ns.DCAT.Dataset))) for p in pages) == 24


def test_harvest_of_one_authority_and_of_recent_changes(published: list[Dataset]) -> None:
    client = Client()
    pages = harvest(
        client, "http://testserver/catalog.ttl?authority_code=33281&page_size=2", "turtle"
    )
    merignac = [d for d in published if d.owner.insee_code == "33281"]
    found = {
        str(p.value(d, ns.DCTERMS.identifier))
        for p in pages
        for d in p.subjects(ns.RDF.type, ns.DCAT.Dataset)
    }
    assert found == {str(d.identifier) for d in merignac}
    # Every next link keeps the filter.
    for page in pages:
        for view in page.subjects(ns.RDF.type, HYDRA.PartialCollectionView):
            for link in page.objects(view, HYDRA.next):
                assert "authority_code=33281" in str(link)
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    (page,) = harvest(client, f"http://testserver/catalog.ttl?modified_since={tomorrow}", "turtle")
    assert not list(page.subjects(ns.RDF.type, ns.DCAT.Dataset))


def test_distributions_keep_a_stable_identifier_across_harvests(
    published: list[Dataset],
) -> None:
    client = Client()

    def distribution_ids() -> set[str]:
        (page,) = harvest(client, "http://testserver/catalog.ttl?page_size=100", "turtle")
        return {
            str(page.value(d, ns.DCTERMS.identifier))
            for d in page.subjects(ns.RDF.type, ns.DCAT.Distribution)
        }

    first = distribution_ids()
    dataset = published[0]
    dataset.title = "Renommé"
    dataset.save()
    assert distribution_ids() == first
    (page,) = harvest(client, "http://testserver/catalog.ttl?page_size=100", "turtle")
    renamed = [
        d
        for d in page.subjects(ns.RDF.type, ns.DCAT.Dataset)
        if str(page.value(d, ns.DCTERMS.title)) == "Renommé"
    ]
    assert [str(page.value(d, ns.DCTERMS.identifier)) for d in renamed] == [str(dataset.identifier)]
    assert URIRef(f"http://testserver/donnees/{dataset.identifier}/") in set(
        page.objects(renamed[0], ns.DCAT.landingPage)
    )

"""The DCAT-AP 3.0.1 catalog that data.gouv.fr harvests, built with rdflib.

``catalog_graph(request, datasets=…, page=…)`` describes a ``dcat:Catalog`` of public datasets
(``opendata.selectors.datasets_public()``: whatever the caller passes is intersected with it),
``dataset_graph(request, dataset)`` one dataset. Every URL is absolute
(``request.build_absolute_uri``); a resource's URL is ``opendata.links.resource_access_path``.
Only public resources appear (``opendata.selectors.resources_public``): a resource whose
document is withdrawn or not public is left out.

Vocabularies (every node the DCAT-AP class ranges ask for is typed in the graph itself, so the
SEMIC shapes apply without loading the ontologies):

- themes: the EU data themes, ``http://publications.europa.eu/resource/authority/data-theme/``
  (``skos:Concept`` with their French label; the scheme is the catalog's ``dcat:themeTaxonomy``);
- update frequency: the EU frequencies, ``…/authority/frequency/`` (``dct:Frequency``);
- formats: the EU file types, ``…/authority/file-type/`` (``dct:format``), and IANA media types,
  ``https://www.iana.org/assignments/media-types/…`` (``dcat:mediaType``);
- licences: the URLs of ``opendata.models.LICENCE_URLS`` (what data.gouv.fr recognises);
- spatial coverage: INSEE's geography, ``http://id.insee.fr/geo/commune/<code INSEE>``
  (``departement/…``, ``region/…``; an EPCI by its SIREN: ``intercommunalite/<SIREN>``);
- publisher type (``dct:type`` of the ``foaf:Agent``, at most one by DCAT-AP): the ADMS
  publisher types, ``http://purl.org/adms/publishertype/LocalAuthority`` (``RegionalAuthority``
  for a région). A certified authority (``Authority.is_certified``) gets instead the portal's
  concept ``<catalog>#service-public-certifie-<ADMS type>`` (``skos:prefLabel`` "Service public
  certifié"@fr, ``skos:broader`` its ADMS type, in the scheme ``<catalog>#types-editeur``):
  a harvester that knows only ADMS still finds the ADMS type one ``skos:broader`` away;
- checksums: SPDX (``spdx:checksumAlgorithm_sha256``, value as ``xsd:hexBinary``);
- paging: Hydra (``hydra:Collection`` + one ``hydra:PartialCollectionView`` with
  ``hydra:first``/``last``/``next``/``previous``), the shape udata's DCAT harvester follows.

The portal's API is one ``dcat:DataService`` (endpoint ``/api/v1/``, description
``/api/v1/openapi.json``) serving the datasets that have an API resource; it is not an
``dcat:accessService`` of those distributions, because udata does not harvest a data service
that is only an access service.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from identity.models import Authority
from opendata.links import resource_access_path
from opendata.models import LICENCE_URLS, Dataset, Frequency, Resource, Theme
from opendata.selectors import datasets_public, resources_public

DCT = DCTERMS
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
EU_THEME = Namespace("http://publications.europa.eu/resource/authority/data-theme/")
EU_FREQUENCY = Namespace("http://publications.europa.eu/resource/authority/frequency/")
EU_FILE_TYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
EU_LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
IANA_MEDIA_TYPE = "https://www.iana.org/assignments/media-types/"
PUBLISHER_TYPE = Namespace("http://purl.org/adms/publishertype/")
INSEE_GEO = "http://id.insee.fr/geo/"

# Document kinds (documents.validation) → EU file type.
FILE_TYPES = {
    "pdf": "PDF",
    "odt": "ODT",
    "ods": "ODS",
    "docx": "DOCX",
    "xlsx": "XLSX",
    "csv": "CSV",
    "txt": "TXT",
    "json": "JSON",
    "png": "PNG",
    "jpeg": "JPEG",
    "geojson": "GEOJSON",
}
_PUBLISHER_TYPE_LABELS = {
    "LocalAuthority": ("Collectivité locale", "Local Authority"),
    "RegionalAuthority": ("Autorité régionale", "Regional Authority"),
}
_INSEE_KINDS: dict[str, str] = {
    Authority.Kind.COMMUNE: "commune",
    Authority.Kind.DEPARTEMENT: "departement",
    Authority.Kind.REGION: "region",
}


@dataclass(frozen=True)
class CatalogPage:
    """One page of the catalog: ``number`` (from 1) of ``size`` datasets; ``url(n)`` is the
    absolute URL of page ``n`` (the view keeps the query's other parameters in it)."""

    number: int
    size: int
    url: Callable[[int], str]


def page_count(total: int, size: int) -> int:
    """Pages of ``size`` needed for ``total`` datasets (an empty catalog still has page 1)."""
    return max(1, -(-total // size))


def _now() -> datetime.datetime:
    return timezone.now()


def _past(moment: datetime.datetime | None) -> datetime.datetime | None:
    """A date for dct:issued / dct:modified: never in the future (the harvester rejects it)."""
    if moment is None:
        return None
    now = _now()
    return min(moment, now).astimezone(datetime.UTC).replace(microsecond=0)


def _datetime(moment: datetime.datetime) -> Literal:
    return Literal(moment.isoformat(), datatype=XSD.dateTime)


class _Builder:
    """Adds nodes to one graph, each described once (publishers, concepts) however many
    datasets share it."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.graph = Graph()
        for prefix, namespace in (
            ("dcat", DCAT),
            ("dct", DCT),
            ("foaf", FOAF),
            ("vcard", VCARD),
            ("spdx", SPDX),
            ("hydra", HYDRA),
            ("skos", SKOS),
            ("adms", ADMS),
            ("locn", LOCN),
        ):
            self.graph.bind(prefix, namespace)
        self.catalog = URIRef(self.absolute(_reverse("opendata:catalog", "/catalog")))
        self._described: set[URIRef] = set()

    # -- helpers -------------------------------------------------------------------------

    def absolute(self, path: str) -> str:
        return self.request.build_absolute_uri(path)

    def add(
        self, subject: URIRef | BNode, predicate: URIRef, obj: URIRef | BNode | Literal
    ) -> None:
        self.graph.add((subject, predicate, obj))

    def once(self, node: URIRef) -> bool:
        """True the first time ``node`` is met: describe it then."""
        if node in self._described:
            return False
        self._described.add(node)
        return True

    def concept(self, node: URIRef, label_fr: str, label_en: str = "", **extra: URIRef) -> URIRef:
        if self.once(node):
            self.add(node, RDF.type, SKOS.Concept)
            self.add(node, SKOS.prefLabel, Literal(label_fr, lang="fr"))
            if label_en:
                self.add(node, SKOS.prefLabel, Literal(label_en, lang="en"))
            for predicate, obj in extra.items():
                self.add(node, SKOS[predicate], obj)
        return node

    # -- agents ----------------------------------------------------------------------------

    def publisher_type(self, authority: Authority) -> URIRef:
        kind = "RegionalAuthority" if authority.kind == Authority.Kind.REGION else "LocalAuthority"
        adms_type = self.concept(PUBLISHER_TYPE[kind], *_PUBLISHER_TYPE_LABELS[kind])
        if not authority.is_certified:
            return adms_type
        scheme = URIRef(f"{self.catalog}#types-editeur")
        if self.once(scheme):
            self.add(scheme, RDF.type, SKOS.ConceptScheme)
            self.add(scheme, DCT.title, Literal("Types d'éditeur du portail", lang="fr"))
        certified = URIRef(f"{self.catalog}#service-public-certifie-{kind}")
        self.concept(
            certified,
            "Service public certifié",
            "Certified public service",
            broader=adms_type,
            inScheme=scheme,
        )
        return certified

    def publisher(self, authority: Authority) -> URIRef:
        node = URIRef(f"{self.catalog}#collectivite-{authority.code or authority.pk}")
        if self.once(node):
            self.add(node, RDF.type, FOAF.Agent)
            self.add(node, RDF.type, FOAF.Organization)
            self.add(node, FOAF.name, Literal(authority.name))
            self.add(node, DCT.type, self.publisher_type(authority))
            if authority.siren:
                self.add(node, DCT.identifier, Literal(authority.siren))
        return node

    def portal_publisher(self) -> URIRef:
        node = URIRef(f"{self.catalog}#editeur")
        if self.once(node):
            self.add(node, RDF.type, FOAF.Agent)
            self.add(node, RDF.type, FOAF.Organization)
            name = getattr(settings, "CIVIS_CATALOG_PUBLISHER", "") or settings.WAGTAIL_SITE_NAME
            self.add(node, FOAF.name, Literal(name))
        return node

    def spatial(self, authority: Authority) -> URIRef | None:
        if authority.insee_code and authority.kind in _INSEE_KINDS:
            path = f"{_INSEE_KINDS[authority.kind]}/{authority.insee_code}"
        elif authority.siren and authority.kind == Authority.Kind.EPCI:
            path = f"intercommunalite/{authority.siren}"
        else:
            return None
        node = URIRef(INSEE_GEO + path)
        if self.once(node):
            self.add(node, RDF.type, DCT.Location)
            self.add(node, SKOS.prefLabel, Literal(authority.name, lang="fr"))
            self.add(node, LOCN.geographicName, Literal(authority.name, lang="fr"))
        return node

    # -- typed IRIs the class ranges ask for ------------------------------------------------

    def typed(self, iri: str, rdf_type: URIRef) -> URIRef:
        node = URIRef(iri)
        if self.once(node):
            self.add(node, RDF.type, rdf_type)
        return node

    def theme_scheme(self) -> URIRef:
        scheme = URIRef(str(EU_THEME).rstrip("/"))
        if self.once(scheme):
            self.add(scheme, RDF.type, SKOS.ConceptScheme)
            self.add(scheme, DCT.title, Literal("Thèmes des données (Union européenne)", lang="fr"))
            self.add(scheme, DCT.title, Literal("Data theme", lang="en"))
        return scheme

    # -- datasets ----------------------------------------------------------------------------

    def dataset(self, dataset: Dataset, resources: Iterable[Resource]) -> URIRef:
        landing = self.absolute(
            _reverse(
                "opendata:dataset_detail",
                f"/donnees/{dataset.identifier}/",
                identifier=dataset.identifier,
            )
        )
        node = URIRef(f"{landing}#jeu-de-donnees")
        add = self.add
        add(node, RDF.type, DCAT.Dataset)
        add(node, DCT.identifier, Literal(str(dataset.identifier)))
        add(node, DCT.title, Literal(dataset.title, lang="fr"))
        add(node, DCT.description, Literal(dataset.description or dataset.title, lang="fr"))
        for keyword in dataset.keywords or []:
            if isinstance(keyword, str) and keyword.strip():
                add(node, DCAT.keyword, Literal(keyword.strip(), lang="fr"))
        labels = dict(Theme.choices)
        for code in dataset.themes or []:
            if code in labels:
                theme = self.concept(
                    EU_THEME[code], str(labels[code]), inScheme=self.theme_scheme()
                )
                add(node, DCAT.theme, theme)
        frequencies = dict(Frequency.choices)
        if dataset.frequency in frequencies:
            frequency = self.typed(EU_FREQUENCY[dataset.frequency], DCT.Frequency)
            add(node, DCT.accrualPeriodicity, frequency)
        if dataset.temporal_start or dataset.temporal_end:
            period = BNode(f"periode-{dataset.identifier.hex}")
            add(node, DCT.temporal, period)
            add(period, RDF.type, DCT.PeriodOfTime)
            if dataset.temporal_start:
                add(period, DCAT.startDate, Literal(dataset.temporal_start, datatype=XSD.date))
            if dataset.temporal_end:
                add(period, DCAT.endDate, Literal(dataset.temporal_end, datatype=XSD.date))
        owner = dataset.owner
        if (spatial := self.spatial(owner)) is not None:
            add(node, DCT.spatial, spatial)
        add(node, DCT.publisher, self.publisher(owner))
        # The dataset's own contact point, else the authority's published coordinates.
        email, form = dataset.contact_email, ""
        if not (dataset.contact_name or email):
            coordinates = getattr(owner, "contact", None) if _has_contact(owner) else None
            email = coordinates.email if coordinates is not None else ""
            form = coordinates.contact_url if coordinates is not None else ""
        if dataset.contact_name or email or form:
            contact = URIRef(f"{landing}#contact")
            add(node, DCAT.contactPoint, contact)
            add(contact, RDF.type, VCARD.Kind)
            add(contact, RDF.type, VCARD.Organization)
            add(contact, VCARD.fn, Literal(dataset.contact_name or owner.name))
            if email:
                add(contact, VCARD.hasEmail, URIRef(f"mailto:{email}"))
            if form:
                add(contact, VCARD.hasURL, URIRef(form))
        issued = _past(dataset.published_at or dataset.created_at)
        modified = _past(max(m for m in (dataset.modified_at, issued) if m is not None))
        if issued is not None:
            add(node, DCT.issued, _datetime(issued))
        if modified is not None:
            add(node, DCT.modified, _datetime(modified))
        add(node, DCAT.landingPage, self.typed(landing, FOAF.Document))
        add(node, DCT.language, self.typed(EU_LANGUAGE.FRA, DCT.LinguisticSystem))
        for resource in resources:
            add(node, DCAT.distribution, self.distribution(dataset, resource, landing))
        return node

    def distribution(self, dataset: Dataset, resource: Resource, landing: str) -> URIRef:
        node = URIRef(f"{landing}#ressource-{resource.pk}")
        add = self.add
        url = URIRef(self.absolute(resource_access_path(resource)))
        add(node, RDF.type, DCAT.Distribution)
        stable = uuid.uuid5(dataset.identifier, f"resource-{resource.pk}")
        add(node, DCT.identifier, Literal(str(stable)))
        add(node, DCT.title, Literal(resource.title, lang="fr"))
        add(node, DCT.description, Literal(_describe(resource), lang="fr"))
        add(node, DCAT.accessURL, url)
        licence = LICENCE_URLS.get(dataset.licence)  # type: ignore[call-overload]
        if licence:
            add(node, DCT.license, self.typed(licence, DCT.LicenseDocument))
        if resource.schema_url:
            add(node, DCT.conformsTo, self.typed(resource.schema_url, DCT.Standard))
        issued = _past(resource.created_at)
        if issued is not None:
            add(node, DCT.issued, _datetime(issued))
        kind, mime, size, sha256, modified = "", "", None, "", None
        if resource.kind == Resource.Kind.DOCUMENT:
            add(node, DCAT.downloadURL, url)
            version = resource.document.current_version if resource.document else None
            if version is not None:
                kind, mime, size, sha256 = (
                    version.kind,
                    version.mime_type,
                    version.size,
                    version.sha256,
                )
                modified = _past(version.created_at)
        elif resource.kind == Resource.Kind.EXPORT:
            add(node, DCAT.downloadURL, url)
            kind, mime = "csv", "text/csv"
        else:
            kind, mime = "json", "application/json"
        if kind in FILE_TYPES:
            add(node, DCT.format, self.typed(EU_FILE_TYPE[FILE_TYPES[kind]], DCT.MediaTypeOrExtent))
        if mime:
            add(node, DCAT.mediaType, self.typed(IANA_MEDIA_TYPE + mime, DCT.MediaType))
        if size is not None:
            add(node, DCAT.byteSize, Literal(size, datatype=XSD.nonNegativeInteger))
        if len(sha256) == 64 and all(c in "0123456789abcdefABCDEF" for c in sha256):
            checksum = BNode(f"empreinte-{dataset.identifier.hex}-{resource.pk}")
            add(node, SPDX.checksum, checksum)
            add(checksum, RDF.type, SPDX.Checksum)
            add(checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256)
            add(checksum, SPDX.checksumValue, Literal(sha256.lower(), datatype=XSD.hexBinary))
        if modified is not None:
            add(node, DCT.modified, _datetime(modified))
        return node

    def data_service(self, served: Iterable[URIRef], publisher: URIRef) -> URIRef:
        root = self.absolute(_reverse("api:api-root", "/api/v1/"))
        node = URIRef(f"{root}#service")
        add = self.add
        add(node, RDF.type, DCAT.DataService)
        add(node, DCT.identifier, Literal("civis-api-v1"))
        add(node, DCT.title, Literal(f"API de {settings.WAGTAIL_SITE_NAME}", lang="fr"))
        add(
            node,
            DCT.description,
            Literal(
                "L'API JSON du portail : documents publiés, recherche, données ouvertes. "
                "Lecture anonyme des données publiques, décrite en OpenAPI.",
                lang="fr",
            ),
        )
        add(node, DCAT.endpointURL, URIRef(root))
        description = self.absolute(_reverse("api:openapi-json", "/api/v1/openapi.json"))
        add(node, DCAT.endpointDescription, URIRef(description))
        docs = self.absolute(_reverse("api:openapi-view", "/api/v1/docs"))
        add(node, DCAT.landingPage, self.typed(docs, FOAF.Document))
        add(node, DCT.publisher, publisher)
        for dataset in served:
            add(node, DCAT.servesDataset, dataset)
        return node


def _has_contact(authority: Authority) -> bool:
    try:
        authority.contact  # noqa: B018 (the reverse one-to-one raises when absent)
    except ObjectDoesNotExist:
        return False
    return True


def _describe(resource: Resource) -> str:
    """The resource's description, or what it is when its publisher wrote none."""
    if resource.description:
        return resource.description
    if resource.kind == Resource.Kind.API:
        return "Point d'accès de l'API du portail (JSON), décrit par son document OpenAPI."
    if resource.kind == Resource.Kind.EXPORT:
        return f"Export du portail au format CSV : {resource.get_export_display()}."
    return "Fichier publié dans le dépôt de documents de la collectivité."


def _reverse(name: str, fallback: str, **kwargs: object) -> str:
    """``reverse(name)``, or the contract's path ``fallback`` while that URL is not installed."""
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return fallback


def _resources_by_dataset(datasets: list[Dataset]) -> dict[int, list[Resource]]:
    by_dataset: dict[int, list[Resource]] = {d.pk: [] for d in datasets}
    public = (
        resources_public()
        .filter(dataset__in=[d.pk for d in datasets])
        .select_related("dataset__owner")
        .order_by("dataset", "position", "pk")
    )
    for resource in public:
        by_dataset[resource.dataset_id].append(resource)
    return by_dataset


def catalog_graph(
    request: HttpRequest,
    *,
    datasets: QuerySet[Dataset],
    page: CatalogPage | None = None,
    publisher: Authority | None = None,
) -> Graph:
    """The ``dcat:Catalog`` of ``datasets`` (kept to the public ones), all of them or one
    ``page`` (with Hydra paging: ``hydra:totalItems``, one ``hydra:PartialCollectionView``).
    ``publisher``: the authority whose catalog this is (``?authority_code``); the portal
    otherwise. Datasets come in a stable order (creation), so a harvester walking the pages
    while a dataset is edited neither misses nor repeats one."""
    builder = _Builder(request)
    add = builder.add
    selected = (
        datasets_public()
        .filter(pk__in=datasets.values("pk"))
        .select_related("owner__contact")
        .order_by("pk")
    )
    total = selected.count()
    shown = list(
        selected if page is None else selected[(page.number - 1) * page.size :][: page.size]
    )
    resources = _resources_by_dataset(shown)
    catalog = builder.catalog
    add(catalog, RDF.type, DCAT.Catalog)
    site = settings.WAGTAIL_SITE_NAME
    if publisher is not None:
        title = f"Données ouvertes de {publisher.name} — {site}"
        agent = builder.publisher(publisher)
    else:
        title = f"Catalogue des données ouvertes — {site}"
        agent = builder.portal_publisher()
    add(catalog, DCT.title, Literal(title, lang="fr"))
    add(
        catalog,
        DCT.description,
        Literal(
            "Les jeux de données publiés par les collectivités du territoire : fichiers du "
            "dépôt de documents, points d'accès de l'API et exports SCDL, sous licence ouverte.",
            lang="fr",
        ),
    )
    add(catalog, DCT.publisher, agent)
    add(catalog, FOAF.homepage, builder.typed(builder.absolute("/"), FOAF.Document))
    add(catalog, DCT.language, builder.typed(EU_LANGUAGE.FRA, DCT.LinguisticSystem))
    add(catalog, DCAT.themeTaxonomy, builder.theme_scheme())
    latest = [
        moment
        for d in shown
        if (moment := _past(max(m for m in (d.modified_at, d.published_at) if m is not None)))
    ]
    if latest:
        add(catalog, DCT.modified, _datetime(max(latest)))
    with_api: list[URIRef] = []
    members: list[URIRef] = []
    for dataset in shown:
        node = builder.dataset(dataset, resources[dataset.pk])
        add(catalog, DCAT.dataset, node)
        members.append(node)
        if any(r.kind == Resource.Kind.API for r in resources[dataset.pk]):
            with_api.append(node)
    service = builder.data_service(with_api, agent)
    add(catalog, DCAT.service, service)
    if page is not None:
        last = page_count(total, page.size)
        add(catalog, RDF.type, HYDRA.Collection)
        add(catalog, HYDRA.totalItems, Literal(total, datatype=XSD.integer))
        for member in members:
            add(catalog, HYDRA.member, member)
        view = URIRef(page.url(page.number))
        add(catalog, HYDRA.view, view)
        add(view, RDF.type, HYDRA.PartialCollectionView)
        add(view, HYDRA.first, URIRef(page.url(1)))
        add(view, HYDRA.last, URIRef(page.url(last)))
        if page.number < last:
            add(view, HYDRA.next, URIRef(page.url(page.number + 1)))
        if page.number > 1:
            add(view, HYDRA.previous, URIRef(page.url(page.number - 1)))
    return builder.graph


def dataset_graph(request: HttpRequest, dataset: Dataset) -> Graph:
    """One public dataset, its public distributions, publisher and contact point. A dataset
    that is not public raises ``Http404``: there is nothing to describe to anyone."""
    try:
        dataset = datasets_public().select_related("owner__contact").get(pk=dataset.pk)
    except Dataset.DoesNotExist:
        raise Http404 from None
    builder = _Builder(request)
    builder.dataset(dataset, _resources_by_dataset([dataset])[dataset.pk])
    return builder.graph

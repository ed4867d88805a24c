"""The territory importer: real codes, idempotence, scopes and refusal of bad files."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from identity.models import Authority
from tests.factories import write_territory_files

DEMO = Path(settings.BASE_DIR) / "identity" / "data" / "demo-territory"
OFFICIAL = Path(settings.BASE_DIR).parent / "shared" / "data" / "decoupage-administratif"

pytestmark = pytest.mark.django_db


def import_(path: Path, *args: str) -> None:
    call_command("civis_import_territory", str(path), *args, stdout=io.StringIO())


def test_demo_territory_has_the_real_codes_and_hierarchy():
    import_(DEMO)
    merignac = Authority.objects.get(kind="commune", insee_code="33281")
    assert merignac.name == "Mérignac"
    assert merignac.siren == "213302813"
    metropole = merignac.parent
    assert (metropole.kind, metropole.siren, metropole.name) == (
        "epci",
        "243300316",
        "Bordeaux Métropole",
    )
    assert metropole.epci_type == "METRO"
    region = metropole.parent
    assert (region.kind, region.insee_code, region.name) == ("region", "75", "Nouvelle-Aquitaine")
    assert metropole.children.count() == 28
    gironde = Authority.objects.get(kind="departement", insee_code="33")
    assert gironde.parent == region
    assert [a.name for a in merignac.ancestors()] == ["Bordeaux Métropole", "Nouvelle-Aquitaine"]
    assert Authority.objects.subtree_of(metropole).count() == 29
    assert Authority.objects.subtree_of(region).count() == 31


def test_importing_twice_neither_fails_nor_duplicates():
    import_(DEMO)
    before = list(Authority.objects.order_by("pk").values())
    import_(DEMO)
    assert list(Authority.objects.order_by("pk").values()) == before


def test_reimport_updates_changed_names_in_place(tmp_path):
    import_(DEMO)
    changed = tmp_path / "territory"
    shutil.copytree(DEMO, changed)
    communes = json.loads((changed / "communes.json").read_text())
    for commune in communes:
        if commune["code"] == "33281":
            commune["nom"] = "Mérignac-Renommée"
    (changed / "communes.json").write_text(json.dumps(communes))
    pk = Authority.objects.get(insee_code="33281").pk

    import_(changed)

    renamed = Authority.objects.get(kind="commune", insee_code="33281")
    assert (renamed.pk, renamed.name) == (pk, "Mérignac-Renommée")
    assert Authority.objects.count() == 31


def _valid_files(tmp_path: Path) -> Path:
    target = tmp_path / "valid"
    shutil.copytree(DEMO, target)
    return target


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("communes", '[{"code": "33281",', "JSON invalide"),
        ("communes", '{"code": "33281"}', "une liste d'objets"),
        (
            "communes",
            [{"code": "33281", "type": "commune-actuelle", "region": "75", "departement": "33"}],
            "« nom » est absent",
        ),
        (
            "communes",
            [
                {
                    "code": "ABCDE",
                    "nom": "X",
                    "type": "commune-actuelle",
                    "region": "75",
                    "departement": "33",
                }
            ],
            "« code » a une valeur invalide",
        ),
        (
            "communes",
            [
                {
                    "code": "33281",
                    "nom": "X",
                    "type": "commune-actuelle",
                    "region": "75",
                    "departement": "33",
                    "siren": "12",
                }
            ],
            "SIREN invalide",
        ),
        (
            "epci",
            [{"code": "243300316", "nom": "Bordeaux Métropole", "membres": []}],
            "« membres » est absente",
        ),
        ("regions", [["75", "Nouvelle-Aquitaine"]], "un objet était attendu"),
    ],
)
def test_a_malformed_file_gives_a_clear_error_and_imports_nothing(
    tmp_path, filename, content, message
):
    directory = _valid_files(tmp_path)
    write_territory_files(directory, **{filename: content})
    with pytest.raises(CommandError, match=message) as error:
        import_(directory)
    assert "rien n'a été importé" in str(error.value)
    assert Authority.objects.count() == 0


def test_a_failed_reimport_leaves_the_existing_territory_untouched(tmp_path):
    import_(DEMO)
    before = list(Authority.objects.order_by("pk").values())
    directory = _valid_files(tmp_path)
    write_territory_files(directory, epci="not json")
    with pytest.raises(CommandError):
        import_(directory)
    assert list(Authority.objects.order_by("pk").values()) == before


def test_a_missing_file_is_named(tmp_path):
    directory = _valid_files(tmp_path)
    (directory / "epci.json").unlink()
    with pytest.raises(CommandError, match=r"epci\.json est introuvable"):
        import_(directory)


def test_unknown_scope_is_refused(tmp_path):
    with pytest.raises(CommandError, match="La région 99 n'existe pas"):
        import_(DEMO, "--region", "99")


def test_region_scope_attaches_an_interregional_epci_to_the_region_of_its_seat(tmp_path):
    """An EPCI seated in région 76 with a member in 75 hangs under 76; its member under it."""
    directory = write_territory_files(
        tmp_path / "small",
        regions=[
            {"code": "75", "nom": "Nouvelle-Aquitaine"},
            {"code": "76", "nom": "Occitanie"},
            {"code": "84", "nom": "Auvergne-Rhône-Alpes"},
        ],
        departements=[
            {"code": "40", "region": "75", "nom": "Landes"},
            {"code": "32", "region": "76", "nom": "Gers"},
        ],
        epci=[
            {
                "code": "244000675",
                "nom": "CC d'Aire-sur-l'Adour",
                "type": "CC",
                # The seat is listed first: here, the Gers commune (région 76).
                "membres": [
                    {"code": "32002", "nom": "Barcelonne-du-Gers"},
                    {"code": "40001", "nom": "Aire-sur-l'Adour"},
                ],
            }
        ],
        communes=[
            {
                "code": "40001",
                "nom": "Aire-sur-l'Adour",
                "type": "commune-actuelle",
                "region": "75",
                "departement": "40",
                "siren": "214000010",
            },
            {
                "code": "32002",
                "nom": "Barcelonne-du-Gers",
                "type": "commune-actuelle",
                "region": "76",
                "departement": "32",
            },
            {
                "code": "40002",
                "nom": "Isolée",
                "type": "commune-actuelle",
                "region": "75",
                "departement": "40",
            },
            {
                "code": "40999",
                "nom": "Ancienne",
                "type": "commune-deleguee",
                "region": "75",
                "departement": "40",
            },
        ],
    )
    import_(directory, "--region", "75")

    epci = Authority.objects.get(kind="epci", siren="244000675")
    assert (epci.parent.kind, epci.parent.insee_code) == ("region", "76")
    assert Authority.objects.get(insee_code="40001").parent == epci
    assert Authority.objects.get(insee_code="40002").parent.insee_code == "75"
    assert not Authority.objects.filter(insee_code__in=["32002", "40999"]).exists()
    assert not Authority.objects.filter(kind="region", insee_code="84").exists()


@pytest.mark.skipif(not OFFICIAL.is_dir(), reason="the official files (../shared) are absent")
def test_all_of_france_imports_with_the_official_counts():
    import_(OFFICIAL)
    assert Authority.objects.filter(kind="region").count() == 18
    assert Authority.objects.filter(kind="epci").count() == 1255
    assert Authority.objects.filter(kind="commune").count() > 34_000
    lyon = Authority.objects.get(kind="commune", insee_code="69123")
    assert lyon.parent.kind == "epci"
    import_(OFFICIAL)
    assert Authority.objects.filter(kind="commune").count() == 34_969


def test_a_commune_that_changes_epci_has_its_documents_reindexed(tmp_path):
    """Readers of 'shared upward' documents follow the hierarchy, so a move reindexes."""
    import io as _io

    from civis.portal.demo.filegen import make_pdf
    from documents import services as document_services
    from search.services import index_check

    import_(DEMO)
    merignac = Authority.objects.get(kind="commune", insee_code="33281")
    document_services.document_create(
        actor=None,
        owner=merignac,
        title="Rapport partagé",
        audience="shared_up",
        publish=True,
        upload=document_services.Upload(_io.BytesIO(make_pdf("Rapport", ["Texte."])), "r.pdf"),
    )
    moved = tmp_path / "moved"
    shutil.copytree(DEMO, moved)
    epcis = json.loads((moved / "epci.json").read_text())
    epcis[0]["membres"] = [m for m in epcis[0]["membres"] if m["code"] != "33281"]
    epcis.append(
        {
            "code": "200000001",
            "nom": "CC Nouvelle",
            "type": "CC",
            "membres": [{"code": "33281", "nom": "Mérignac"}],
        }
    )
    (moved / "epci.json").write_text(json.dumps(epcis))

    import_(moved)

    assert Authority.objects.get(pk=merignac.pk).parent.siren == "200000001"
    # Its readers changed (the new EPCI's agents): the index followed in the import itself.
    # (Without the reindex the document would be stale: its shared-upward readers moved.)
    assert index_check()[0].differences == 0

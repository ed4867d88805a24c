"""One way to serve a stored file, shared by the portal views and the API."""

from __future__ import annotations

from django.http import FileResponse
from django.utils.http import http_date
from django.utils.text import slugify

from documents.models import Document, DocumentVersion

# Shown in the browser; every other format is downloaded.
INLINE_KINDS = frozenset({"pdf", "png", "jpeg"})
MAX_NAME_STEM = 80


def download_name(document: Document, version: DocumentVersion) -> str:
    """The file's name as saved on the visitor's computer: the document's title in ASCII
    (``deliberation-2026-004-urbanisme.pdf``), never the uploaded name (``document.pdf``,
    ``scan0001.pdf``), nothing a file system or a header could misread."""
    stem = slugify(document.title)[:MAX_NAME_STEM].strip("-") or f"document-{document.pk}"
    extension = version.file_name.rsplit(".", 1)[-1] if "." in version.file_name else ""
    extension = slugify(extension)[:8] or version.kind
    return f"{stem}.{extension}" if extension else stem


def file_response(document: Document, version: DocumentVersion) -> FileResponse:
    """Stream a stored file with headers that stop the browser from running it."""
    handle = version.file.open("rb")
    response = FileResponse(handle, content_type=version.mime_type)
    # ASCII letters, digits, "-" and "." only: nothing to quote or escape; filename* (RFC 6266)
    # too, for the clients that prefer it.
    name = download_name(document, version)
    disposition = "inline" if version.kind in INLINE_KINDS else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename=\"{name}\"; filename*=UTF-8''{name}"
    response["Content-Length"] = str(version.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"
    )
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    if document.is_public:
        # Shared caches may keep a public file but must ask again before each reuse (the
        # ETag makes that a 304): a withdrawn or narrowed document stops being served at once.
        response["Cache-Control"] = "public, no-cache"
        response["ETag"] = f'"{version.pk}-{version.sha256[:32]}"'
        response["Last-Modified"] = http_date(version.created_at.timestamp())
    else:
        response["Cache-Control"] = "private, no-store"
        response["Vary"] = "Cookie"
    return response

"""One way to serve a stored file, shared by the portal views and the API."""

from __future__ import annotations

from django.http import FileResponse
from django.utils.http import http_date

from documents.models import Document, DocumentVersion

# Shown in the browser; every other format is downloaded.
INLINE_KINDS = frozenset({"pdf", "png", "jpeg"})


def file_response(document: Document, version: DocumentVersion) -> FileResponse:
    """Stream a stored file with headers that stop the browser from running it."""
    handle = version.file.open("rb")
    response = FileResponse(
        handle,
        content_type=version.mime_type,
        as_attachment=version.kind not in INLINE_KINDS,
        filename=version.file_name,
    )
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

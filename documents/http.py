"""One way to serve a stored file, shared by the portal views and the API."""

from __future__ import annotations

from django.http import FileResponse

from documents.models import Document, DocumentVersion

# Shown in the browser; every other format is downloaded.
INLINE_KINDS = frozenset({"pdf", "png", "jpeg"})


def file_response(document: Document, version: DocumentVersion) -> FileResponse:
    """Stream a stored file with headers that stop the browser from running it."""
    handle = version.file.open("rb")
    response = FileResponse(handle, content_type=version.mime_type,
                            as_attachment=version.kind not in INLINE_KINDS,
                            filename=version.file_name)
    response["Content-Length"] = str(version.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self' data:; " \
                                          "style-src 'unsafe-inline'"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "public, max-age=300" if document.is_public \
        else "private, no-store"
    if not document.is_public:
        response["Vary"] = "Cookie"
    return response

"""Malware scanning of uploads by ClamAV's clamd, before anything is stored.

The clamd protocol is spoken here directly (a dozen lines) rather than through the PyPI clients
(``clamd``, ``pyclamd``), which have had no release for years. One connection per upload:
``zINSTREAM\\0``, then chunks each preceded by its length as 4 bytes big-endian, then a zero
length; clamd answers ``stream: OK``, ``stream: <signature> FOUND`` or ``... ERROR``, ended by
a NUL byte. When clamd stops reading early (its StreamMaxLength is exceeded) it says so and
closes; that is a refusal too.

Configuration: CIVIS_CLAMAV_SOCKET, or CIVIS_CLAMAV_HOST and CIVIS_CLAMAV_PORT; neither means no
scanning. CIVIS_CLAMAV_TIMEOUT (seconds) bounds each network operation. clamd not answering is
a refusal (fail closed) unless CIVIS_CLAMAV_FAIL_OPEN is set.
"""

from __future__ import annotations

import logging
import select
import socket
import struct
from typing import IO

from django.conf import settings

from documents.validation import UploadRejected

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
MAX_REPLY = 4096
UNAVAILABLE = (
    "L'analyse antivirus est indisponible : le fichier n'a pas été enregistré. Réessayez dans "
    "quelques minutes ; si le problème persiste, prévenez l'administrateur du portail."
)
TOO_LARGE = (
    "Le fichier dépasse la taille que l'antivirus peut analyser : il n'a pas été enregistré. "
    "Réduisez-le (par exemple en le découpant) ou prévenez l'administrateur du portail."
)


class ScannerUnavailable(Exception):
    """clamd could not be reached, timed out, or gave no verdict."""


def scanning_configured() -> bool:
    return bool(settings.CIVIS_CLAMAV_SOCKET or settings.CIVIS_CLAMAV_HOST)


def clamd_address() -> str:
    """Where clamd is expected, for messages and logs."""
    if settings.CIVIS_CLAMAV_SOCKET:
        return f"unix:{settings.CIVIS_CLAMAV_SOCKET}"
    return f"{settings.CIVIS_CLAMAV_HOST}:{settings.CIVIS_CLAMAV_PORT}"


def _connect() -> socket.socket:
    timeout = float(settings.CIVIS_CLAMAV_TIMEOUT)
    if settings.CIVIS_CLAMAV_SOCKET:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(settings.CIVIS_CLAMAV_SOCKET)
        except BaseException:
            sock.close()
            raise
        return sock
    return socket.create_connection(
        (settings.CIVIS_CLAMAV_HOST, settings.CIVIS_CLAMAV_PORT), timeout=timeout
    )


def _reply(sock: socket.socket) -> str:
    data = b""
    while b"\0" not in data and len(data) < MAX_REPLY:
        part = sock.recv(MAX_REPLY)
        if not part:
            break
        data += part
    if not data:
        raise ScannerUnavailable("clamd closed the connection without answering")
    return data.split(b"\0", 1)[0].decode("utf-8", "replace").strip()


def ping() -> bool:
    """Whether clamd answers PING with PONG."""
    try:
        with _connect() as sock:
            sock.sendall(b"zPING\0")
            return _reply(sock) == "PONG"
    except (OSError, ScannerUnavailable):
        return False


def instream(fileobj: IO[bytes]) -> str:
    """Send the file to clamd and return its answer (``stream: OK``...); rewinds the file."""
    fileobj.seek(0)
    try:
        with _connect() as sock:
            sock.sendall(b"zINSTREAM\0")
            answered = select.poll()
            answered.register(sock, select.POLLIN)
            try:
                while chunk := fileobj.read(CHUNK):
                    sock.sendall(struct.pack(">I", len(chunk)) + chunk)
                    # clamd answers before the end when the stream is too long: stop sending.
                    if answered.poll(0):
                        break
                else:
                    sock.sendall(struct.pack(">I", 0))
            except (BrokenPipeError, ConnectionResetError):
                pass  # clamd stopped reading; its answer (if any) says why
            return _reply(sock)
    except OSError as exc:
        raise ScannerUnavailable(f"clamd at {clamd_address()}: {exc}") from exc
    finally:
        fileobj.seek(0)


def scan_upload(fileobj: IO[bytes], name: str = "") -> None:
    """Nothing when the file is clean or scanning is off; UploadRejected otherwise.

    Codes: malware (a signature matched), scan_limit (too large or complex for clamd's limits),
    scan_unavailable (clamd unreachable, timed out or in error, and CIVIS_CLAMAV_FAIL_OPEN off).
    """
    if not scanning_configured():
        return
    try:
        reply = instream(fileobj)
        verdict = _verdict(reply)
    except ScannerUnavailable as exc:
        if settings.CIVIS_CLAMAV_FAIL_OPEN:
            log.warning("Upload %r accepted WITHOUT malware scan (fail-open): %s", name, exc)
            return
        log.error("Upload %r refused: malware scan unavailable: %s", name, exc)
        raise UploadRejected(UNAVAILABLE, "scan_unavailable") from exc
    if verdict is not None:
        raise verdict


def _verdict(reply: str) -> UploadRejected | None:
    if reply == "stream: OK":
        return None
    if "size limit exceeded" in reply.lower():
        log.warning("Upload refused: larger than clamd's StreamMaxLength (%s)", reply)
        return UploadRejected(TOO_LARGE, "scan_limit")
    if reply.startswith("stream: ") and reply.endswith(" FOUND"):
        signature = reply.removeprefix("stream: ").removesuffix(" FOUND").strip()
        if signature.startswith("Heuristics.Limits.Exceeded"):
            log.warning("Upload refused: beyond clamd's scan limits (%s)", signature)
            return UploadRejected(TOO_LARGE, "scan_limit")
        log.warning("Upload refused: malware signature %s", signature)
        return UploadRejected(
            "L'antivirus a détecté un contenu malveillant dans le fichier "
            f"(« {signature[:80]} ») : il n'a pas été enregistré. Ne diffusez pas ce fichier "
            "et signalez-le à votre service informatique.",
            "malware",
        )
    raise ScannerUnavailable(f"unexpected answer from clamd at {clamd_address()}: {reply[:200]!r}")

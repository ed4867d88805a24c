"""A real SMTP server for the tests: aiosmtpd in its own process on a free loopback port, writing
every message it receives to a directory (one ``.eml`` file each, the envelope in
``X-Envelope-*`` headers). Tests point Django's SMTP backend at it and read what was delivered.

Run as a script (``python smtp.py PORT DIRECTORY``) it is the server; imported, it starts one
(``start_smtp``) and reads the mailbox (``SmtpServer.messages``).
"""

from __future__ import annotations

import email
import email.policy
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SmtpServer:
    host: str
    port: int
    directory: Path
    process: subprocess.Popen[bytes]

    def clear(self) -> None:
        for path in self.directory.glob("*.eml"):
            path.unlink()

    def messages(self) -> list[EmailMessage]:
        """Delivered messages, oldest first."""
        found = []
        for path in sorted(self.directory.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
            parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            found.append(parsed)
        return found

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        """At least ``count`` messages (the server writes them as they arrive)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages()
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_smtp(directory: Path) -> SmtpServer:
    """Start the server process and wait until it accepts connections."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = (directory / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, __file__, str(port), str(directory)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = SmtpServer("127.0.0.1", port, directory, process)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                "the SMTP server exited: " + (directory / "server.log").read_text(errors="replace")
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(64).startswith(b"220"):
                    return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError("the SMTP server did not start within 20 s")


# --- the server (this file run as a script) --------------------------------------------------


class _MaildirHandler:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        header = (
            f"X-Envelope-From: {envelope.mail_from}\r\n"
            f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        name = f"{time.time_ns()}-{uuid.uuid4().hex}"
        temporary = self.directory / f"{name}.tmp"
        temporary.write_bytes(header + content)
        os.replace(temporary, self.directory / f"{name}.eml")  # readers never see half a file
        return "250 Message accepted for delivery"


def _serve(port: int, directory: Path) -> None:
    import signal
    import threading

    from aiosmtpd.controller import Controller

    controller = Controller(
        _MaildirHandler(directory), hostname="127.0.0.1", port=port, decode_data=False
    )
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    _serve(int(sys.argv[1]), Path(sys.argv[2]))

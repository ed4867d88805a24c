"""A real clamd for the tests, with a one-signature database the tests write (EICAR).

The public signature databases cannot be downloaded here, and need not be: the EICAR test string
is what every antivirus engine agrees to detect, and a body signature (.ndb) for it makes clamd
find it anywhere, inside PDF streams and ZIP-based documents included (ScanPDF, ScanArchive).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

CLAMD = "/usr/sbin/clamd"
SIGNATURE = "Eicar-Test-Signature"


def eicar() -> bytes:
    """The EICAR test string, assembled at run time so that this source file is not itself
    flagged by antivirus software on a developer's machine."""
    return (
        r"X5O!P%@AP[4\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-" + "TEST-FILE!$H+H*"
    ).encode("ascii")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Clamd:
    directory: Path
    host: str
    port: int
    socket: str
    process: subprocess.Popen[bytes]

    def ping(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=2) as sock:
                sock.sendall(b"zPING\0")
                return sock.recv(16).startswith(b"PONG")
        except OSError:
            return False

    def log(self) -> str:
        path = self.directory / "clamd.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)


def start_clamd(directory: Path, *, stream_max_length: str = "2M") -> Clamd:
    """Start clamd in the foreground on a free loopback port and a unix socket in ``directory``;
    return once it answers PING (loading one signature takes about a second)."""
    if not os.path.exists(CLAMD):
        pytest.skip(f"ClamAV's clamd is not installed ({CLAMD}): apt install clamav-daemon")
    database = directory / "db"
    database.mkdir(parents=True, exist_ok=True)
    # Target 0: any file, as written. Target 3: what clamd matches in files it takes for HTML
    # (an ODS content.xml full of <table:...> elements), which it lowercases first.
    (database / "civis-tests.ndb").write_text(
        f"{SIGNATURE}:0:*:{eicar().hex()}\n{SIGNATURE}-Html:3:*:{eicar().lower().hex()}\n"
    )
    (directory / "tmp").mkdir(exist_ok=True)
    port = free_port()
    unix_socket = directory / "clamd.sock"
    config = directory / "clamd.conf"
    config.write_text(
        "\n".join(
            [
                "Foreground yes",
                f"DatabaseDirectory {database}",
                f"TemporaryDirectory {directory / 'tmp'}",
                f"LogFile {directory / 'clamd.log'}",
                f"PidFile {directory / 'clamd.pid'}",
                f"LocalSocket {unix_socket}",
                f"TCPSocket {port}",
                "TCPAddr 127.0.0.1",
                f"StreamMaxLength {stream_max_length}",
                "ScanArchive yes",
                "ScanPDF yes",
                "ScanOLE2 yes",
                "MaxThreads 4",
                "",
            ]
        )
    )
    with open(directory / "clamd.out", "wb") as output:
        process = subprocess.Popen(
            [CLAMD, "--config-file", str(config)], stdout=output, stderr=subprocess.STDOUT
        )
    daemon = Clamd(directory, "127.0.0.1", port, str(unix_socket), process)
    deadline = time.monotonic() + 60
    while not daemon.ping():
        if process.poll() is not None or time.monotonic() > deadline:
            daemon.stop()
            started = (directory / "clamd.out").read_text(errors="replace")[-3000:]
            pytest.fail(f"clamd did not start:\n{started}\n{daemon.log()}")
        time.sleep(0.1)
    return daemon

"""A real OpenLDAP server (Debian's slapd) for the tests: a throwaway database seeded from
tests/identity/ldap/seed.ldif, listening on a loopback port."""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.identity.oidc_support import free_port

SEED = Path(__file__).resolve().parent / "ldap" / "seed.ldif"
SUFFIX = "dc=civis,dc=test"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "admin-password"
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIRS = [Path("/usr/lib/ldap"), Path("/usr/lib/openldap"), Path("/usr/libexec/openldap")]


@dataclass
class SlapdServer:
    uri: str

    def directory(self, name: str, branch: str, authority: str, **extra) -> dict:
        """A CIVIS_LDAP_DIRECTORIES entry for one branch of the test tree."""
        return {
            "name": name,
            "uri": self.uri,
            "authority": authority,
            "bind_dn": f"cn=service,{SUFFIX}",
            "bind_password": "service-password",
            "user_base": f"ou=people,ou={branch},{SUFFIX}",
            "user_filter": "(uid=%(user)s)",
            "group_base": f"ou=groups,ou={branch},{SUFFIX}",
            "group_filter": "(objectClass=groupOfNames)",
            "group_type": "groupOfNames",
            "disabled_filter": "(employeeType=disabled)",
            "timeout": 3,
            **extra,
        }

    def admin(self):
        import ldap

        connection = ldap.initialize(self.uri)
        connection.simple_bind_s(ROOT_DN, ROOT_PASSWORD)
        return connection


def _slapd() -> str | None:
    return shutil.which("slapd") or next(
        (str(p) for p in (Path("/usr/sbin/slapd"), Path("/usr/libexec/slapd")) if p.exists()), None
    )


def start_slapd(tmp_dir: Path, port: int | None = None) -> tuple[subprocess.Popen, SlapdServer]:
    slapd, slapadd = _slapd(), shutil.which("slapadd") or "/usr/sbin/slapadd"
    if slapd is None or not Path(slapadd).exists():
        pytest.skip(
            "slapd is not installed: the LDAP tests need Debian's slapd and "
            "ldap-utils (apt-get install slapd ldap-utils)"
        )
    pytest.importorskip("ldap", reason="python-ldap is not installed")
    module_dir = next((d for d in MODULE_DIRS if (d / "back_mdb.so").exists()), None)
    data = tmp_dir / "data"
    data.mkdir()
    schemas = "\n".join(
        f"include {SCHEMA_DIR / name}.schema" for name in ("core", "cosine", "inetorgperson", "nis")
    )
    config = tmp_dir / "slapd.conf"
    config.write_text(f"""{schemas}
pidfile {tmp_dir / "slapd.pid"}
{f"modulepath {module_dir}" if module_dir else ""}
{"moduleload back_mdb" if module_dir else ""}
database mdb
maxsize 10485760
suffix "{SUFFIX}"
rootdn "{ROOT_DN}"
rootpw {ROOT_PASSWORD}
directory {data}
access to attrs=userPassword
  by self write
  by anonymous auth
  by * none
access to * by * read
""")
    subprocess.run([slapadd, "-f", str(config), "-l", str(SEED)], check=True, capture_output=True)
    port = port or free_port()
    uri = f"ldap://127.0.0.1:{port}"
    # -d 0: stay in the foreground (the fixture owns the process) without debug output.
    process = subprocess.Popen(
        [slapd, "-f", str(config), "-h", uri + "/", "-d", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    import ldap

    deadline = time.monotonic() + 20
    while True:
        try:
            probe = ldap.initialize(uri)
            probe.simple_bind_s(ROOT_DN, ROOT_PASSWORD)
            probe.unbind_s()
            break
        except ldap.SERVER_DOWN:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"slapd did not start: {process.stderr.read()}") from None
            time.sleep(0.1)
    return process, SlapdServer(uri=uri)


DEMO_GROUP_ROLES = {
    "merignac": ("33281", {f"cn=civis-agents,ou=groups,ou=merignac,{SUFFIX}": "agent"}),
    "metropole": (
        "243300316",
        {
            f"cn=civis-editeurs,ou=groups,ou=metropole,{SUFFIX}": "publisher",
            f"cn=civis-agents,ou=groups,ou=metropole,{SUFFIX}": "agent",
        },
    ),
    "region": ("75", {f"cn=civis-administrateurs,ou=groups,ou=region,{SUFFIX}": "territory_admin"}),
}


def main() -> None:
    """Run the test directory by hand for the demo (docs/federated-identity.md)."""
    import json
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="civis-slapd-"))
    process, server = start_slapd(directory, port=3389)
    entries = [
        server.directory(name, name, code, group_roles=roles)
        for name, (code, roles) in DEMO_GROUP_ROLES.items()
    ]
    print(f"slapd écoute sur {server.uri} (données : {directory}). Arrêt : Ctrl+C")
    # Plain ldap:// is refused unless allowed, and then only to a directory on loopback.
    print(
        "export CIVIS_LDAP_ALLOW_INSECURE=1 CIVIS_LDAP_DIRECTORIES='" + json.dumps(entries) + "'",
        flush=True,
    )
    import signal

    # Stopping this script (Ctrl+C or kill) stops slapd too.
    signal.signal(signal.SIGTERM, lambda *_args: process.terminate())
    try:
        process.wait()
    except KeyboardInterrupt:
        process.terminate()
        process.wait()


if __name__ == "__main__":
    main()

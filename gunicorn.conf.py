"""gunicorn settings of Civis Data: ``gunicorn civis.wsgi`` (``make serve``, production).

Why gunicorn: the reference WSGI server of the Django world, maintained for fifteen years and
released regularly; pure Python (nothing to compile, installed from the pinned constraints like
every other dependency); pre-fork: a master process that supervises N single-threaded worker
processes and replaces any that dies or hangs past the timeout, so one slow request never
blocks another and a crash never takes the site down. Django and Wagtail are loaded once in
the master (``preload_app``) and shared by the forked workers.

gunicorn reads this file from the directory it starts in (``make serve``, the systemd unit,
and ``make bench``'s load test, which gives its own ``--workers`` and ``--bind``); command-line
options override it. Every value comes from the environment:

- ``GUNICORN_BIND``: address(es) to listen on, comma-separated (default ``127.0.0.1:$PORT``,
  ``PORT`` defaulting to 8000; ``unix:/run/civis/web.sock`` for a socket);
- ``WEB_CONCURRENCY``: worker processes (default 2 x cores + 1, at most 12);
- ``GUNICORN_TIMEOUT`` (60): seconds a request may take before its worker is killed and
  replaced; ``GUNICORN_GRACEFUL_TIMEOUT`` (30): seconds to finish requests on stop;
  ``GUNICORN_KEEPALIVE`` (5): seconds an idle connection is kept;
- ``GUNICORN_MAX_REQUESTS`` (0, never): requests after which a worker is replaced (plus up to
  10 % jitter), should memory ever grow;
- ``GUNICORN_PRELOAD`` (1): load the application once in the master, before forking;
- ``FORWARDED_ALLOW_IPS`` (``127.0.0.1,::1``): the proxies trusted for X-Forwarded-*;
- ``GUNICORN_ACCESS_LOG`` (``-``, stdout; ``off`` for none), ``GUNICORN_LOG_LEVEL`` (info);
- ``GUNICORN_CONTROL_SOCKET``: the path of gunicornc's control socket (default: none).

Behind a reverse proxy on another machine, set ``FORWARDED_ALLOW_IPS`` to its addresses (or
networks). From those addresses only, gunicorn takes the scheme from ``X-Forwarded-Proto``
(``wsgi.url_scheme``: Django then sees HTTPS) and, with the hook at the end of this file, the
client's address from ``X-Forwarded-For`` (``REMOTE_ADDR``, which the audit log, the login
throttle and the API throttles read: core/http.py). From any other address both headers are
ignored, so a client cannot forge them.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from typing import Any


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the CPUs this process may use (cgroups, taskset)
    except AttributeError:
        return os.cpu_count() or 1


# --- Listening ---
bind = [
    address.strip()
    for address in os.environ.get(
        "GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '').strip() or '8000'}"
    ).split(",")
    if address.strip()
]
backlog = 2048

# --- Workers: pre-fork, synchronous (one request at a time each) ---
# A request mostly waits for the database (CPU bound in SQLite's case): 2 x cores + 1 keeps the
# cores busy while some workers wait. Capped: each worker holds Django and Wagtail in memory
# (about 150 MB), and beyond a dozen the database is the limit, not the workers.
workers = _int("WEB_CONCURRENCY", min(2 * _cores() + 1, 12))
worker_class = "sync"
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
preload_app = os.environ.get("GUNICORN_PRELOAD", "1").strip().lower() not in {"0", "false", "no"}
# The workers' heartbeat files in memory, not on a disk that may block (gunicorn's advice);
# gunicorn creates them with mkstemp and unlinks them at once.
if os.path.isdir("/dev/shm"):  # noqa: S108
    worker_tmp_dir = "/dev/shm"  # noqa: S108
proc_name = "civis-web"

# --- Behind a reverse proxy ---
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# X-Forwarded-Proto only: the proxy sends it, and headers it does not send must not be honoured.
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# --- Logs: to stdout and stderr, for systemd's journal or the container's log ---
_access_log = os.environ.get("GUNICORN_ACCESS_LOG", "-").strip()
accesslog = None if _access_log.lower() in {"", "off", "none"} else _access_log
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The client's address (after X-Forwarded-For, see below), the request, status, size, duration.
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(f)s" "%(a)s"'

# --- gunicornc's control socket: off unless asked (two servers would share the default) ---
_control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "").strip()
if _control_socket:
    control_socket = _control_socket
else:
    control_socket_disable = True


# --- Hooks ---
def pre_fork(server: Any, worker: Any) -> None:
    """With preload_app, nothing the master opened (a database connection, a Redis pool) may
    be inherited by the workers, which would then share one socket."""
    from django.conf import settings

    if not settings.configured:  # preload_app off: the master never loaded Django
        return
    from django.core.cache import caches
    from django.db import connections

    connections.close_all()
    caches.close_all()


Networks = list[ipaddress.IPv4Network | ipaddress.IPv6Network]


def _networks(spec: str) -> Networks | None:
    """The trusted proxies, or None for "*" (every address)."""
    items = [item.strip() for item in spec.split(",") if item.strip()]
    if "*" in items:
        return None
    return [ipaddress.ip_network(item, strict=False) for item in items]


def _trusted(address: str, networks: Networks | None) -> bool:
    if networks is None or not address:  # "*", or a unix socket (no peer address)
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str, forwarded_for: str, networks: Networks | None) -> str | None:
    """The client's address when ``peer`` is a trusted proxy: the right-most address of
    X-Forwarded-For that is not a trusted proxy itself (what each proxy appended; anything to
    its left was written by the client and may be forged). None when nothing can be trusted."""
    if not forwarded_for or not _trusted(peer, networks):
        return None
    client = None
    for hop in reversed([hop.strip() for hop in forwarded_for.split(",")]):
        try:
            client = str(ipaddress.ip_address(hop))
        except ValueError:
            break
        if not _trusted(client, networks):
            break
    return client


def post_worker_init(worker: Any) -> None:
    """Wrap the application so REMOTE_ADDR is the client's address behind a trusted proxy.
    gunicorn itself applies forwarded_allow_ips to the scheme only."""
    networks = _networks(",".join(worker.cfg.forwarded_allow_ips))  # after the command line's
    application: Callable[..., Any] = worker.wsgi

    def behind_proxy(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        client = client_address(
            environ.get("REMOTE_ADDR", ""), environ.get("HTTP_X_FORWARDED_FOR", ""), networks
        )
        if client is not None:
            environ["REMOTE_ADDR"] = client
        return application(environ, start_response)

    worker.wsgi = behind_proxy

"""Running ``manage.py`` in a child process, to test what the settings do at start-up."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings


def run_manage(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``manage.py *args`` with none of this process's ``CIVIS_*`` variables, only
    ``env_overrides``: the child starts from the defaults a fresh deployment has."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVIS_")}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        # A guard against a hung child, not a speed check: migrating from zero took over 120 s
        # on a loaded 2-core machine (both CI suites at once).
        timeout=600,
    )

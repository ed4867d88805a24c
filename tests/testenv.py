"""Loaded by pytest (``-p tests.testenv``) before Django reads its settings.

The suite runs with production settings (debug off), so it needs a secret key; files go to a
throwaway directory. Nothing here overrides a value the caller already set (``DATABASE_URL``).
"""

import os
import tempfile

os.environ.setdefault("CIVIS_DEBUG", "0")
os.environ.setdefault("CIVIS_SECRET_KEY", "tests-only-secret-key-not-used-anywhere-else")
os.environ.setdefault("CIVIS_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("CIVIS_SECURE_COOKIES", "0")
# Background tasks (text extraction) run inline, so a test sees their effect at once.
os.environ.setdefault("CIVIS_TASKS_IMMEDIATE", "1")
os.environ.setdefault("CIVIS_VAR_DIR", tempfile.mkdtemp(prefix="civis-tests-"))
# Test processes (pytest-xdist) inherit the controller's environment, so without this they
# would share one media directory, and one process's media restore (tests/snapshot.py) would
# delete the files another process's test had just uploaded.
if worker := os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["CIVIS_VAR_DIR"] = os.path.join(os.environ["CIVIS_VAR_DIR"], worker)
    os.makedirs(os.environ["CIVIS_VAR_DIR"], exist_ok=True)
# WhiteNoise warns at every request when STATIC_ROOT does not exist yet.
os.makedirs(os.path.join(os.environ["CIVIS_VAR_DIR"], "static"), exist_ok=True)
# The suite makes thousands of API calls from 127.0.0.1: the API's throttles must never trip
# by accident (nor add cache queries to the query-count tests); tests/api/test_throttling.py
# sets rates where it tests them.
os.environ.setdefault("CIVIS_API_RATE_ANON", "off")
os.environ.setdefault("CIVIS_API_RATE_USER", "off")
# Secrets at rest: a fixed test key (the suite runs with debug off, where one is required).
os.environ.setdefault("CIVIS_FIELD_ENCRYPTION_KEY", "Gk2gNIXAH-Jg60ml8uYMpH2XtUiCPuq1bzBRgpuMf3c=")
# The test OIDC provider and the test slapd listen on loopback, over plain http and ldap.
os.environ.setdefault("CIVIS_OIDC_ALLOW_HTTP_LOOPBACK", "1")
os.environ.setdefault("CIVIS_LDAP_ALLOW_INSECURE", "1")

"""The documents tests' small territory (people in every role), for the portal-wide tests here."""

from tests.documents.conftest import territory  # noqa: F401 (a fixture, used by name)

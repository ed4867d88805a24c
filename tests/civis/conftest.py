"""The documents tests' small territory (people in every role), for the portal-wide tests here."""

from tests.documents.conftest import publish, territory  # noqa: F401 (fixtures, used by name)

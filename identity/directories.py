"""LDAP / Active Directory sign-in, on django-auth-ldap: one or more directories, each bound
to an authority (settings.CIVIS_LDAP_DIRECTORIES; docs/federated-identity.md shows the keys).

The directory decides at every attempt: an account it no longer has, or marks disabled,
cannot sign in and loses its roles at once, even when the password given is right. Passwords
never cross the network in clear (ldaps://, or ldap:// with StartTLS; plain ldap:// only to a
loopback test directory with CIVIS_LDAP_ALLOW_INSECURE), and a person is known by the
directory's stable identifier (entryUUID, objectGUID) or not at all.
"""

from __future__ import annotations

import logging
from typing import Any

import ldap
from django.conf import settings
from django.contrib.auth.backends import BaseBackend
from django.core.exceptions import ImproperlyConfigured
from django_auth_ldap.backend import LDAPBackend
from django_auth_ldap.config import (
    GroupOfNamesType,
    LDAPSearch,
    LDAPSettings,
    NestedActiveDirectoryGroupType,
    PosixGroupType,
)
from ldap.filter import escape_filter_chars

from identity import services
from identity.models import Authority, Membership, User
from identity.netpolicy import ldap_refusal

logger = logging.getLogger(__name__)
GROUP_TYPES = {
    "groupOfNames": GroupOfNamesType,
    "activeDirectory": NestedActiveDirectoryGroupType,
    "posixGroup": PosixGroupType,
}


def directories() -> list[dict[str, Any]]:
    return list(getattr(settings, "CIVIS_LDAP_DIRECTORIES", []) or [])


def transport_refusal(directory: dict[str, Any]) -> str | None:
    """Why the portal must not send passwords to this directory (None: it may)."""
    return ldap_refusal(
        str(directory.get("uri", "")),
        start_tls=bool(directory.get("start_tls", False)),
        allow_insecure=bool(getattr(settings, "CIVIS_LDAP_ALLOW_INSECURE", False)),
    )


def directory_authority(directory: dict[str, Any]) -> Authority:
    code = str(directory["authority"])
    found = Authority.objects.filter(siren=code).first() if len(code) == 9 else None
    found = found or Authority.objects.filter(insee_code=code).exclude(kind="epci").first()
    if found is None:
        raise ImproperlyConfigured(f"LDAP directory {directory['name']}: no authority {code}")
    return found


class DirectoryBackend(LDAPBackend):
    """django-auth-ldap for one directory, its settings from our directory entry."""

    def __init__(self, directory: dict[str, Any]) -> None:
        self.directory = directory
        self.source = f"ldap:{directory['name']}"
        self.subject_attribute = directory.get("subject_attribute", "entryUUID")
        timeout = float(directory.get("timeout", 5))
        group_type = GROUP_TYPES[directory.get("group_type", "groupOfNames")]
        # A prefix no setting uses: every value comes from the directory entry.
        self.settings = LDAPSettings(
            f"CIVIS_LDAP_{directory['name'].upper()}_UNUSED_",
            {
                "SERVER_URI": directory["uri"],
                "START_TLS": bool(directory.get("start_tls", False)),
                "BIND_DN": directory.get("bind_dn", ""),
                "BIND_PASSWORD": directory.get("bind_password", ""),
                "CONNECTION_OPTIONS": {
                    ldap.OPT_NETWORK_TIMEOUT: timeout,
                    ldap.OPT_TIMEOUT: timeout,
                    ldap.OPT_REFERRALS: 0,
                },
                # The subject (entryUUID, objectGUID) is operational: asked for by name.
                "USER_SEARCH": LDAPSearch(
                    directory["user_base"],
                    ldap.SCOPE_SUBTREE,
                    directory.get("user_filter", "(uid=%(user)s)"),
                    attrlist=["*", self.subject_attribute],
                ),
                "USER_ATTRLIST": ["*", self.subject_attribute],
                "GROUP_SEARCH": LDAPSearch(
                    directory.get("group_base", directory["user_base"]),
                    ldap.SCOPE_SUBTREE,
                    directory.get("group_filter", "(objectClass=*)"),
                ),
                "GROUP_TYPE": group_type(),
                "ALWAYS_UPDATE_USER": False,
                "USER_ATTR_MAP": {},
            },
        )

    def _account_state(self, ldap_user: Any, username: str) -> str:
        """'active', 'disabled', 'missing', or 'unknown' when the directory cannot tell."""
        search_filter = self.directory.get("user_filter", "(uid=%(user)s)") % {
            "user": escape_filter_chars(username)
        }
        try:
            connection = ldap_user.connection
            found = connection.search_s(
                self.directory["user_base"], ldap.SCOPE_SUBTREE, search_filter, ["1.1"]
            )
            found = [(dn, attrs) for dn, attrs in found if dn]
            if not found:
                return "missing"
            disabled_filter = self.directory.get("disabled_filter")
            if disabled_filter and connection.search_s(
                found[0][0], ldap.SCOPE_BASE, disabled_filter, ["1.1"]
            ):
                return "disabled"
        except ldap.LDAPError as exc:
            logger.warning("LDAP directory %s unavailable: %s", self.directory["name"], exc)
            return "unknown"
        return "active"

    def authenticate_ldap_user(self, ldap_user: Any, password: str) -> User | None:
        username = ldap_user._username
        state = self._account_state(ldap_user, username)
        if state in ("missing", "disabled"):
            ended = services.federated_access_end(source=self.source, login=username)
            if ended or state == "disabled":
                logger.info(
                    "LDAP %s: account %s is %s; %d role(s) revoked",
                    self.directory["name"],
                    username,
                    state,
                    ended,
                )
            return None
        if state != "active":
            return None
        user: User | None = ldap_user.authenticate(password)
        return user

    def get_or_build_user(self, username: str, ldap_user: Any) -> tuple[User, bool]:
        attrs = ldap_user.attrs
        # The stable identifier, never the DN: a DN changes with a rename or a move, and a
        # new person could be given the DN of someone gone.
        values = attrs.get(self.subject_attribute) or []
        subject = values[0] if values else None
        if isinstance(subject, bytes):  # Active Directory's objectGUID is binary
            subject = subject.hex()
        if not subject:
            logger.error(
                "LDAP %s: sign-in of %s refused: the entry %s has no %s (the stable "
                "identifier set by subject_attribute)",
                self.directory["name"],
                username,
                ldap_user.dn,
                self.subject_attribute,
            )
            raise ldap_user.AuthenticationFailed(f"no {self.subject_attribute}")
        authority = directory_authority(self.directory)
        mapping = {dn.lower(): role for dn, role in self.directory.get("group_roles", {}).items()}
        roles = {mapping[dn.lower()] for dn in ldap_user.group_dns if dn.lower() in mapping}
        roles = {r for r in roles if r in Membership.Role.values} or {Membership.Role.AGENT}

        def first(name: str) -> str:
            values = attrs.get(name) or [""]
            return str(values[0])

        # A directory is its own issuer: its name, set in the settings, not in the admin.
        result = services.federated_sign_in(
            source=self.source,
            issuer=self.source,
            subject=str(subject),
            kind=User.Kind.AGENT,
            login=username,
            email=first("mail"),
            first_name=first("givenName"),
            last_name=first("sn"),
            roles={(authority, role) for role in roles},
        )
        if result is None:
            raise ldap_user.AuthenticationFailed("account deactivated in the portal")
        return result[0], False


class LDAPDirectoriesBackend(BaseBackend):
    """The authentication backend: tries each configured directory in turn."""

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        if not username or not password:
            return None
        for directory in directories():
            refusal = transport_refusal(directory)
            if refusal:
                logger.error("LDAP directory %s refused: it %s", directory.get("name"), refusal)
                continue
            user: User | None = DirectoryBackend(directory).authenticate(
                request, username=username, password=password
            )
            if user is not None:
                return user
        return None

    def get_user(self, user_id: int) -> User | None:
        return User.objects.filter(pk=user_id, is_active=True).first()

"""Writes of the identity app. Each is one function with the acting user as keyword, one
transaction, an audit row. One module per concern; the names are re-exported here."""

from identity.services.certification import authority_certify
from identity.services.contact import authority_contact_clean, authority_contact_update
from identity.services.federation import (
    federated_access_end,
    federated_session_forget,
    federated_session_record,
    federated_sessions_end,
    federated_sign_in,
)
from identity.services.groups import (
    authority_group_adopt,
    authority_group_create,
    authority_group_member_add,
    authority_group_member_remove,
)
from identity.services.providers import oidc_provider_save
from identity.services.roles import (
    ROLE_GROUPS,
    federated_roles_sync,
    membership_grant,
    membership_revoke,
    role_group,
    user_access_sync,
)
from identity.services.territory import ImportReport, territory_import

__all__ = [
    "ROLE_GROUPS",
    "ImportReport",
    "authority_certify",
    "authority_contact_clean",
    "authority_contact_update",
    "authority_group_adopt",
    "authority_group_create",
    "authority_group_member_add",
    "authority_group_member_remove",
    "federated_access_end",
    "federated_roles_sync",
    "federated_session_forget",
    "federated_session_record",
    "federated_sessions_end",
    "federated_sign_in",
    "membership_grant",
    "membership_revoke",
    "oidc_provider_save",
    "role_group",
    "territory_import",
    "user_access_sync",
]

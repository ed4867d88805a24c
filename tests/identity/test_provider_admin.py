"""Registering OIDC providers in the admin: the service's refusals are form errors, not 500s."""

from __future__ import annotations

import pytest
from django.urls import reverse

from identity.models import Authority, Membership, OIDCProvider, User
from identity.services import membership_grant
from tests.factories import make_authority, make_user

pytestmark = pytest.mark.django_db


def _provider(owner: Authority, **overrides) -> dict:
    data = {"name": "Keycloak de la métropole", "slug": "metropole", "kind": "agent",
            "enabled": "on", "issuer": "https://sso.example.fr/realms/metropole",
            "client_id": "civis", "client_secret": "a-long-client-secret-0123456789",
            "scopes": "openid email profile", "authority": owner.pk,
            "authority_claim": "siret", "role_claim": "groups", "role_mapping": "{}",
            "email_domains": "", "signing_algorithms": "RS256", "timeout": "5"}
    data.update(overrides)
    return data


def test_a_provider_the_service_refuses_is_a_form_error_and_nothing_is_saved(client):
    region = make_authority("region", name="Nouvelle-Aquitaine", insee_code="75")
    metropole = make_authority("epci", name="Bordeaux Métropole", parent=region)
    admin = make_user("admin-metropole", kind=User.Kind.AGENT)
    membership_grant(actor=None, user=admin, authority=metropole,
                     role=Membership.Role.TERRITORY_ADMIN)
    client.force_login(admin)
    add = reverse("civis_oidc_providers:add")
    # The form accepts the text; the service refuses symmetric signatures.
    response = client.post(add, _provider(metropole, signing_algorithms="HS256"))
    assert response.status_code == 200
    assert "Seuls RS256 et ES256 sont acceptés" in response.content.decode()
    # A citizen provider is the whole portal's: the service refuses it to a territory admin.
    response = client.post(add, _provider(metropole, kind="citizen", authority=""))
    assert response.status_code == 200
    assert "superutilisateur" in response.content.decode()
    assert OIDCProvider.objects.count() == 0

    assert client.post(add, _provider(metropole)).status_code == 302
    assert OIDCProvider.objects.get().authority == metropole

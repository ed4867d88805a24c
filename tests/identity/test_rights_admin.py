"""The access-rights administration in the Wagtail admin, as administrators use it."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from guardian.shortcuts import assign_perm

from audit.models import AuditEvent
from documents.models import Audience, Document, Status
from identity import services
from identity.models import Authority, AuthorityGroup, Membership, OIDCProvider, User
from tests.factories import make_agent, make_authority, make_territory, make_user

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


@pytest.fixture
def world():
    territory = make_territory()
    occitanie = make_authority(Authority.Kind.REGION, name="Occitanie", insee_code="76")
    territory["toulouse"] = make_authority(parent=occitanie, name="Toulouse", insee_code="31555")
    people = {
        "region_admin": make_agent(
            "admin-region", roles=[(territory["region"], "territory_admin")]
        ),
        "metropole_admin": make_agent("admin-metropole", roles=[(territory["metropole"], "admin")]),
        "merignac_agent": make_agent(
            "agent-merignac",
            first_name="Alex",
            last_name="Durand",
            roles=[(territory["merignac"], "agent")],
        ),
        "metropole_publisher": make_agent(
            "editeur-metropole", roles=[(territory["metropole"], "publisher")]
        ),
        "toulouse_agent": make_agent("agent-toulouse", roles=[(territory["toulouse"], "agent")]),
        "citizen": make_user("citoyen", email="citoyen@example.fr"),
    }
    return territory, people


def admin_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(client: Client, url: str, **data) -> str:
    response = client.post(url, data, follow=True) if data else client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_a_territory_administrator_sees_their_subtree_only(world):
    territory, people = world
    html = page(admin_client(people["region_admin"]), "/admin/droits/")
    for name in ("Nouvelle-Aquitaine", "Bordeaux Métropole", "Mérignac", "Arcachon"):
        assert name in html
    assert "Toulouse" not in html
    html = page(
        admin_client(people["region_admin"]),
        f"/admin/droits/collectivite/{territory['merignac'].pk}/",
    )
    assert "Alex Durand" in html and "Agent" in html
    outside = admin_client(people["region_admin"]).get(
        f"/admin/droits/collectivite/{territory['toulouse'].pk}/"
    )
    assert outside.status_code == 404


def test_an_authority_administrator_manages_their_own_authority_only(world):
    territory, people = world
    client = admin_client(people["metropole_admin"])
    html = page(client, "/admin/droits/")
    assert "Bordeaux Métropole" in html and "Mérignac" not in html
    assert client.get(f"/admin/droits/collectivite/{territory['merignac'].pk}/").status_code == 404


def test_people_without_an_administrator_role_are_kept_out(world):
    _territory, people = world
    client = admin_client(people["metropole_publisher"])
    refused = client.get("/admin/droits/")
    assert refused.status_code == 302 and refused["Location"] == "/admin/"  # Wagtail's way
    # The menu entry is there for administrators only.
    assert "/admin/droits/" not in client.get("/admin/").content.decode()
    assert "/admin/droits/" in admin_client(people["region_admin"]).get("/admin/").content.decode()


def grant(client: Client, url: str, user: User, **data) -> str:
    """Grant through the page as an administrator does: fill in, read the confirmation (whom
    it targets), confirm."""
    html = page(client, url, **data)
    assert "Confirmer l'attribution" in html, html[-3000:]
    assert not Membership.objects.filter(
        user=user, role=data["role"], authority_id=url.rstrip("/").rsplit("/", 1)[1]
    ).exists()
    return page(client, url, **{**data, "agent": user.username, "confirmed": user.pk})


def test_granting_a_role_with_dates_is_audited_with_before_and_after(world):
    territory, people = world
    client = admin_client(people["region_admin"])
    url = f"/admin/droits/collectivite/{territory['metropole'].pk}/"
    ends = TODAY + datetime.timedelta(days=365)
    html = grant(
        client,
        url,
        people["merignac_agent"],
        agent="agent-merignac",
        role="publisher",
        starts_on=TODAY.isoformat(),
        ends_on=ends.isoformat(),
    )
    assert (
        "Rôle « Éditeur » accordé à Alex Durand (agent-merignac) pour Bordeaux Métropole." in html
    )
    membership = Membership.objects.get(
        user=people["merignac_agent"], authority=territory["metropole"]
    )
    assert (membership.role, membership.starts_on, membership.ends_on) == ("publisher", TODAY, ends)
    event = AuditEvent.objects.get(action="role", detail__change="grant")
    assert event.actor == people["region_admin"]
    assert event.authority == territory["metropole"]
    assert event.detail["before"] == []
    assert event.detail["after"] == [
        {
            "role": "publisher",
            "starts_on": TODAY.isoformat(),
            "ends_on": ends.isoformat(),
            "source": "",
        }
    ]


def test_nobody_grants_above_their_own_role(world):
    territory, people = world
    client = admin_client(people["metropole_admin"])
    url = f"/admin/droits/collectivite/{territory['metropole'].pk}/"
    html = page(client, url)
    assert 'value="admin"' in html and 'value="territory_admin"' not in html
    html = page(client, url, agent="agent-merignac", role="territory_admin")
    assert not Membership.objects.filter(
        role="territory_admin", authority=territory["metropole"]
    ).exists()
    with pytest.raises(PermissionDenied, match="supérieur au vôtre"):
        services.membership_grant(
            actor=people["metropole_admin"],
            user=people["merignac_agent"],
            authority=territory["metropole"],
            role="territory_admin",
        )
    # Nor revoke a higher role than theirs.
    boss = Membership.objects.get(user=people["region_admin"])
    with pytest.raises(PermissionDenied):
        services.membership_revoke(actor=people["metropole_admin"], membership=boss)
    assert not AuditEvent.objects.filter(action="role").exists()


def test_nobody_edits_their_own_rights(world):
    territory, people = world
    own = Membership.objects.get(user=people["region_admin"])
    client = admin_client(people["region_admin"])
    html = page(client, f"/admin/droits/role/{own.pk}/retirer/", confirm="1")
    assert "vos propres droits" in html
    assert Membership.objects.active().filter(pk=own.pk).exists()
    with pytest.raises(PermissionDenied, match="vos propres droits"):
        services.membership_grant(
            actor=people["region_admin"],
            user=people["region_admin"],
            authority=territory["merignac"],
            role="publisher",
        )


def test_a_citizen_account_never_receives_an_agent_role(world):
    territory, people = world
    with pytest.raises(PermissionDenied, match="citoyen"):
        services.membership_grant(
            actor=people["region_admin"],
            user=people["citizen"],
            authority=territory["merignac"],
            role="agent",
        )
    html = page(
        admin_client(people["region_admin"]),
        f"/admin/droits/collectivite/{territory['merignac'].pk}/",
        agent="citoyen@example.fr",
        role="agent",
    )
    assert "Aucun agent" in html


def test_revoking_a_role_ends_it_and_is_audited(world):
    _territory, people = world
    membership = Membership.objects.get(user=people["merignac_agent"])
    Membership.objects.filter(pk=membership.pk).update(
        starts_on=TODAY - datetime.timedelta(days=10)
    )
    html = page(
        admin_client(people["region_admin"]),
        f"/admin/droits/role/{membership.pk}/retirer/",
        confirm="1",
    )
    assert "Rôle « Agent » retiré à Alex Durand (agent-merignac) pour Mérignac." in html
    membership.refresh_from_db()
    assert membership.ends_on == TODAY - datetime.timedelta(days=1)  # history kept
    assert not people["merignac_agent"].memberships.active().exists()
    event = AuditEvent.objects.get(action="role", detail__change="revoke")
    assert event.detail["before"][0]["ends_on"] is None
    assert event.detail["after"][0]["ends_on"] == membership.ends_on.isoformat()


def test_dates_out_of_order_are_refused(world):
    territory, people = world
    html = page(
        admin_client(people["region_admin"]),
        f"/admin/droits/collectivite/{territory['merignac'].pk}/",
        agent="editeur-metropole",
        role="agent",
        starts_on=TODAY.isoformat(),
        ends_on=(TODAY - datetime.timedelta(days=1)).isoformat(),
    )
    assert "La fin doit suivre le début" in html
    with pytest.raises(ValidationError):
        services.membership_grant(
            actor=people["region_admin"],
            user=people["metropole_publisher"],
            authority=territory["merignac"],
            role="agent",
            starts_on=TODAY,
            ends_on=TODAY - datetime.timedelta(days=1),
        )


def test_a_commission_group_across_authorities_shows_in_what_its_members_read(world):
    territory, people = world
    client = admin_client(people["region_admin"])
    html = page(
        client,
        "/admin/droits/groupes/",
        name="Commission urbanisme métropolitaine",
        owner=territory["metropole"].pk,
    )
    group = AuthorityGroup.objects.get(group__name="Commission urbanisme métropolitaine")
    assert "Aucun membre" in html
    url = f"/admin/droits/groupes/{group.pk}/"
    page(client, url, agent="agent-merignac")
    page(client, url, agent="editeur-metropole")
    html = page(client, url, agent="agent-toulouse")
    assert "Cette personne n&#x27;est agent d&#x27;aucune collectivité de votre ressort" in html
    assert set(group.group.user_set.values_list("username", flat=True)) == {
        "agent-merignac",
        "editeur-metropole",
    }

    # A restricted document of the métropole, shared with the commission.
    document = Document.objects.create(
        owner=territory["metropole"],
        title="PLU — projet",
        audience=Audience.RESTRICTED,
        status=Status.PUBLISHED,
        published_on=TODAY,
    )
    assign_perm("documents.view_document", group.group, document)
    agent = Client()
    agent.force_login(people["merignac_agent"])
    assert agent.get(f"/documents/{document.pk}/").status_code == 200
    html = page(client, f"/admin/droits/personne/{people['merignac_agent'].pk}/")
    assert "Commission urbanisme métropolitaine" in html
    assert "PLU — projet" in html and "Agent" in html and "Mérignac" in html

    personal = Document.objects.create(
        owner=territory["merignac"],
        title="Note au maire",
        audience=Audience.RESTRICTED,
        status=Status.PUBLISHED,
        published_on=TODAY,
    )
    assign_perm("documents.view_document", people["merignac_agent"], personal)
    html = page(client, f"/admin/droits/personne/{people['merignac_agent'].pk}/")
    assert "Accès donnés nommément" in html and "Note au maire" in html

    page(client, url, remove=people["merignac_agent"].pk)
    assert agent.get(f"/documents/{document.pk}/").status_code == 404
    changes = list(
        AuditEvent.objects.filter(action="role")
        .order_by("at")
        .values_list("detail__change", flat=True)
    )
    assert changes == [
        "group_create",
        "group_member_add",
        "group_member_add",
        "group_member_remove",
    ]


def test_the_authority_administrator_cannot_build_a_group_from_outside(world):
    territory, people = world
    with pytest.raises(PermissionDenied):
        services.authority_group_create(
            actor=people["metropole_admin"], name="Hors ressort", owner=territory["region"]
        )
    group = services.authority_group_create(
        actor=people["metropole_admin"], name="Commission", owner=territory["metropole"]
    )
    with pytest.raises(PermissionDenied):  # an agent of Mérignac is below, not in, their own
        services.authority_group_member_add(
            actor=people["metropole_admin"], authority_group=group, user=people["merignac_agent"]
        )


def test_registering_a_provider_is_bounded_and_audited_without_its_secret(world):
    territory, people = world
    provider = OIDCProvider(
        slug="merignac",
        name="Mérignac",
        issuer="https://idp.example.fr",
        client_id="civis",
        client_secret="s3cret",
        authority=territory["merignac"],
        role_mapping={"editeurs": "publisher"},
    )
    services.oidc_provider_save(actor=people["region_admin"], provider=provider)
    event = AuditEvent.objects.get(detail__change="oidc_provider")
    assert event.detail["after"]["role_mapping"] == {"editeurs": "publisher"}
    assert "s3cret" not in str(event.detail)
    provider.signing_algorithms = "HS256"
    with pytest.raises(ValidationError):
        services.oidc_provider_save(actor=people["region_admin"], provider=provider)
    above = OIDCProvider(
        slug="metropole",
        name="M",
        issuer="https://idp.example.fr",
        client_id="c",
        client_secret="s",
        authority=territory["metropole"],
        role_mapping={"x": "territory_admin"},
    )
    with pytest.raises(PermissionDenied):
        services.oidc_provider_save(actor=people["metropole_admin"], provider=above)
    citizens = OIDCProvider(
        slug="fc",
        name="FC",
        issuer="https://fc.example.fr",
        client_id="c",
        client_secret="s",
        kind=User.Kind.CITIZEN,
    )
    with pytest.raises(PermissionDenied):
        services.oidc_provider_save(actor=people["region_admin"], provider=citizens)
    html = page(admin_client(people["region_admin"]), "/admin/fournisseurs-identite/")
    assert "Mérignac" in html


def test_the_grant_page_confirms_whom_it_targets_before_granting(world):
    territory, people = world
    people["metropole_publisher"].first_name, people["metropole_publisher"].last_name = (
        "Camille",
        "Martin",
    )
    people["metropole_publisher"].email = "camille.martin@bordeaux-metropole.fr"
    people["metropole_publisher"].save()
    client = admin_client(people["region_admin"])
    url = f"/admin/droits/collectivite/{territory['merignac'].pk}/"
    # The people of the administrator's reach are offered by login.
    html = page(client, url)
    assert 'value="editeur-metropole"' in html and "Camille Martin" in html
    assert 'value="agent-toulouse"' not in html

    html = page(client, url, agent="editeur-metropole", role="admin")
    for shown in (
        "Camille Martin",
        "editeur-metropole",
        "Bordeaux Métropole",
        "camille.martin@bordeaux-metropole.fr",
        "Administrateur",
        "Mérignac",
    ):
        assert shown in html, shown
    assert not Membership.objects.filter(authority=territory["merignac"], role="admin").exists()
    # A confirmation for another account does not grant: the page asks again.
    html = page(
        client, url, agent="editeur-metropole", role="admin", confirmed=people["merignac_agent"].pk
    )
    assert "Confirmer l'attribution" in html
    assert not Membership.objects.filter(authority=territory["merignac"], role="admin").exists()
    html = page(
        client,
        url,
        agent="editeur-metropole",
        role="admin",
        confirmed=people["metropole_publisher"].pk,
    )
    assert (
        "Rôle « Administrateur de la collectivité » accordé à Camille Martin "
        "(editeur-metropole) pour Mérignac." in html
    )
    assert (
        Membership.objects.get(authority=territory["merignac"], role="admin").user
        == people["metropole_publisher"]
    )


def test_an_agent_cannot_take_the_address_an_administrator_is_about_to_grant(world):
    territory, people = world
    target, attacker = people["metropole_publisher"], people["merignac_agent"]
    target.email = "dgs@bordeaux-metropole.fr"
    target.save()
    attacker.email = "alex.durand@merignac.fr"
    attacker.save()

    # The account page offers no address to change, and a posted one is ignored.
    agent = admin_client(attacker)
    html = page(agent, "/admin/account/")
    assert 'name="name_email-email"' not in html
    response = agent.post(
        "/admin/account/",
        {
            "name_email-first_name": "Alex",
            "name_email-last_name": "Durand",
            "name_email-email": "dgs@bordeaux-metropole.fr",
            "locale-preferred_language": "fr",
            "theme-theme": "system",
            "theme-density": "default",
            "theme-contrast": "system",
            "theme-keyboard_shortcuts": "true",
        },
    )
    assert response.status_code in (200, 302)
    attacker.refresh_from_db()
    assert attacker.email == "alex.durand@merignac.fr"

    # Whatever the addresses, the grant names an account, never an address.
    User.objects.filter(pk=attacker.pk).update(email="dgs@bordeaux-metropole.fr")
    client = admin_client(people["region_admin"])
    url = f"/admin/droits/collectivite/{territory['metropole'].pk}/"
    html = page(client, url, agent="dgs@bordeaux-metropole.fr", role="admin")
    assert "adresse électronique" in html and "Confirmer" not in html
    html = grant(client, url, target, agent="editeur-metropole", role="admin")
    assert (
        target.memberships.active().filter(authority=territory["metropole"], role="admin").exists()
    )
    assert not attacker.memberships.filter(role="admin").exists()


def test_an_agent_is_found_by_federated_subject(world):
    territory, people = world
    from identity.models import ExternalIdentity

    ExternalIdentity.objects.create(
        provider="oidc:gironde",
        issuer="https://idp.gironde.fr",
        subject="f:8842-11",
        user=people["toulouse_agent"],
    )
    client = admin_client(people["region_admin"])
    url = f"/admin/droits/collectivite/{territory['merignac'].pk}/"
    html = page(client, url, agent="f:8842-11", role="agent")
    assert "agent-toulouse" in html and "Confirmer l'attribution" in html
    grant(client, url, people["toulouse_agent"], agent="f:8842-11", role="agent")
    assert people["toulouse_agent"].memberships.filter(authority=territory["merignac"]).exists()


def test_a_group_member_is_added_by_login_never_by_address(world):
    territory, people = world
    client = admin_client(people["metropole_admin"])
    group = services.authority_group_create(
        actor=people["metropole_admin"], name="Commission", owner=territory["metropole"]
    )
    people["metropole_publisher"].email = "x@bordeaux-metropole.fr"
    people["metropole_publisher"].save()
    html = page(client, f"/admin/droits/groupes/{group.pk}/", agent="x@bordeaux-metropole.fr")
    assert "adresse électronique" in html
    assert not group.group.user_set.exists()


# --- Finding people, granting from a person's page, confirmations -----------------------------


def found(client: Client, text: str) -> str:
    return page(client, f"/admin/droits/?personne={text}")


def test_a_person_is_found_by_name_login_or_address_within_the_scope(world):
    _territory, people = world
    people["merignac_agent"].email = "alex.durand@merignac.fr"
    people["merignac_agent"].save()
    people["toulouse_agent"].first_name = "Alexandre"
    people["toulouse_agent"].email = "alex@toulouse.fr"
    people["toulouse_agent"].save()
    client = admin_client(people["region_admin"])
    person_url = f"/admin/droits/personne/{people['merignac_agent'].pk}/"
    for text in ("Durand", "alex durand", "agent-merig", "alex.durand@merignac", "ALEX"):
        html = found(client, text)
        assert f'href="{person_url}"' in html, text
        assert "Agent — Mérignac" in html  # the roles they hold, to tell namesakes apart
        assert "agent-toulouse" not in html and "Alexandre" not in html, text  # outside
    assert "Personne ne correspond" in found(client, "toulouse")
    assert "Personne ne correspond" in found(client, "citoyen")  # not an agent they manage
    # The authority administrator of the métropole reaches its own agents only.
    html = found(admin_client(people["metropole_admin"]), "agent")
    assert "agent-merignac" not in html and "Personne ne correspond" in html
    assert "editeur-metropole" in found(admin_client(people["metropole_admin"]), "editeur")


def test_a_role_is_granted_from_the_person_page_with_a_confirmation(world):
    territory, people = world
    alex = people["merignac_agent"]
    client = admin_client(people["region_admin"])
    url = f"/admin/droits/personne/{alex.pk}/"
    html = page(client, url)
    assert f'href="/admin/journal/?actor={alex.pk}"' in html  # their trail in the audit log
    assert f'<option value="{territory["bordeaux"].pk}">Bordeaux</option>' in html
    assert f'value="{territory["toulouse"].pk}"' not in html

    html = page(client, url, authority=territory["bordeaux"].pk, role="publisher")
    assert "Confirmer l&#x27;attribution" in html or "Confirmer l'attribution" in html
    assert "Alex Durand" in html and "agent-merignac" in html
    assert not Membership.objects.filter(user=alex, authority=territory["bordeaux"]).exists()
    response = client.post(
        f"/admin/droits/collectivite/{territory['bordeaux'].pk}/",
        {"agent": "agent-merignac", "role": "publisher", "confirmed": alex.pk, "back": "person"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == url
    html = response.content.decode()
    assert "Rôle « Éditeur » accordé à Alex Durand (agent-merignac) pour Bordeaux." in html
    assert (
        Membership.objects.active()
        .filter(user=alex, authority=territory["bordeaux"], role="publisher")
        .exists()
    )

    # Outside the scope, or above the administrator's own role: refused, in French.
    html = page(client, url, authority=territory["toulouse"].pk, role="agent")
    assert "Sélectionnez un choix valide" in html
    metropole_admin = admin_client(people["metropole_admin"])
    html = page(
        metropole_admin,
        f"/admin/droits/personne/{people['metropole_publisher'].pk}/",
        authority=territory["metropole"].pk,
        role="territory_admin",
    )
    assert "Confirmer" not in html
    assert not Membership.objects.filter(
        role="territory_admin", authority=territory["metropole"]
    ).exists()


def test_every_change_is_confirmed_naming_the_person_and_the_authority(world):
    territory, people = world
    client = admin_client(people["region_admin"])
    html = page(
        client,
        "/admin/droits/groupes/",
        name="Commission des finances",
        owner=territory["metropole"].pk,
    )
    assert "Groupe « Commission des finances » créé pour Bordeaux Métropole." in html
    group = AuthorityGroup.objects.get(group__name="Commission des finances")
    url = f"/admin/droits/groupes/{group.pk}/"
    html = page(client, url, agent="agent-merignac")
    assert (
        "Alex Durand (agent-merignac) ajouté(e) au groupe « Commission des finances » "
        "(Bordeaux Métropole)." in html
    )
    html = page(client, url, remove=people["merignac_agent"].pk)
    assert (
        "Alex Durand (agent-merignac) retiré(e) du groupe « Commission des finances » "
        "(Bordeaux Métropole)." in html
    )
    # A hand-made request with a bad member id is a message, not an error page.
    html = page(client, url, remove="abc")
    assert "Membre inconnu." in html
    assert client.post(url, {"remove": "999999"}).status_code == 404

"""Offboarding (issue 18 #18): someone whose every role has ended stops reading what was shared
with the commissions they sat on as an agent, even if nobody removed them from the group."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import Group
from django.utils import timezone
from guardian.shortcuts import assign_perm

from documents.models import Document
from documents.selectors import documents_visible_to
from identity.models import AuthorityGroup, Membership
from identity.selectors import forget_principals
from tests.factories import make_authority, make_user


def test_a_commission_stops_counting_when_the_last_role_ends(db):
    metropole = make_authority("epci", name="Bordeaux Métropole", siren="243300316")
    commune = make_authority(name="Mérignac", parent=metropole)
    elsewhere = make_authority(name="Brest")
    commission = AuthorityGroup.objects.create(
        group=Group.objects.create(name="Commission urbanisme"), owner=metropole
    )
    agent = make_user("agent-parti", kind="agent")
    last_year = timezone.localdate() - datetime.timedelta(days=365)
    role = Membership.objects.create(
        user=agent, authority=commune, role="agent", starts_on=last_year
    )
    agent.groups.add(commission.group)
    document = Document.objects.create(
        owner=metropole, title="PLUi — projet", audience="restricted", status="published"
    )
    assign_perm("documents.view_document", commission.group, document)
    assert documents_visible_to(agent).filter(pk=document.pk).exists()

    role.ends_on = timezone.localdate() - datetime.timedelta(days=1)
    role.save()
    forget_principals(agent)
    assert not documents_visible_to(agent).filter(pk=document.pk).exists()

    # A role outside the commission's territory does not revive it either.
    Membership.objects.create(user=agent, authority=elsewhere, role="agent")
    forget_principals(agent)
    assert not documents_visible_to(agent).filter(pk=document.pk).exists()


def test_the_person_rights_page_shows_a_membership_that_outlived_every_role(db):
    from identity.selectors import rights_of

    metropole = make_authority("epci", name="Bordeaux Métropole", siren="243300316")
    commission = AuthorityGroup.objects.create(
        group=Group.objects.create(name="Commission urbanisme"), owner=metropole
    )
    former = make_user("ancien-agent", kind="agent")
    former.groups.add(commission.group)
    rows = [(r.what, r.where) for r in rights_of(former)]
    assert ("Membre du groupe — sans effet", "Commission urbanisme") in rows

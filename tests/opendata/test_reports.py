"""Reports, the services: filing on public content only, handling by the owner's publishers
(and those who oversee it) only, the outcome told to the reporter after commit (mail, then the
address erased), withdrawing a document or a dataset, the audit rows; and a property test of
who handles which report over random territories and roles."""

from __future__ import annotations

import datetime
import os

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from audit.models import AuditEvent
from documents.models import Status
from identity.models import Authority, Membership, User
from opendata.models import Dataset, Report
from opendata.selectors import reports_handled_by
from opendata.services.reports import report_dismiss, report_file, report_resolve
from tests.factories import (
    make_agent,
    make_dataset,
    make_dataset_resource,
    make_open_document,
    make_report,
    make_territory,
    make_user,
)
from tests.strategies import territory_parents

EXAMPLES = int(os.environ.get("CIVIS_PROPERTY_EXAMPLES", "30"))
MESSAGE = "Le montant de la ligne 12 est faux : 1 200 € et non 12 000 €."


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }


@pytest.fixture
def places(db):
    places = make_territory()
    places["publisher"] = make_agent(roles=[(places["merignac"], Membership.Role.PUBLISHER)])
    places["bordeaux_publisher"] = make_agent(
        roles=[(places["bordeaux"], Membership.Role.PUBLISHER)]
    )
    places["metro_admin"] = make_agent(roles=[(places["metropole"], Membership.Role.ADMIN)])
    places["merignac_agent"] = make_agent(roles=[(places["merignac"], Membership.Role.AGENT)])
    return places


def _file(target, **kwargs):
    kwargs.setdefault("actor", None)
    kwargs.setdefault("reason", "data_error")
    kwargs.setdefault("message", MESSAGE)
    return report_file(target=target, **kwargs)


def test_an_anonymous_report_is_filed_under_the_owner_and_audited_without_ip(places):
    dataset = make_dataset(places["merignac"])
    report = _file(dataset, reporter_email="visiteur@example.org")
    assert report.authority == places["merignac"] and report.dataset == dataset
    assert report.status == Report.Status.OPEN and report.reporter is None
    event = AuditEvent.objects.get(action=AuditEvent.Action.REPORT)
    assert event.authority_id == places["merignac"].pk and event.ip_address is None
    assert event.actor is None
    assert event.detail == {
        "report": report.pk,
        "reason": "data_error",
        "dataset": str(dataset.identifier),
    }


def test_a_signed_in_reporter_keeps_no_address(places):
    citizen = make_user(email="habitant@example.org")
    document = make_open_document(places["merignac"])
    report = _file(document, actor=citizen, reporter_email="autre@example.org")
    assert report.reporter == citizen and report.reporter_email == ""
    assert AuditEvent.objects.get(action="report").document_id == document.pk


def test_a_resource_is_named_in_the_message(places):
    dataset = make_dataset(places["merignac"])
    resource = make_dataset_resource(dataset, title="Budget 2026 (CSV)")
    report = _file(dataset, resource=resource)
    assert report.message.startswith("Ressource « Budget 2026 (CSV) » : ")
    other = make_dataset_resource(make_dataset(places["merignac"]))
    with pytest.raises(ValidationError):
        _file(dataset, resource=other)


@pytest.mark.parametrize(
    "target",
    ["draft dataset", "withdrawn dataset", "internal document", "draft document"],
)
def test_only_public_content_can_be_reported(places, target):
    owner = places["merignac"]
    item = {
        "draft dataset": lambda: make_dataset(owner, status=Dataset.Status.DRAFT),
        "withdrawn dataset": lambda: make_dataset(owner, status=Dataset.Status.WITHDRAWN),
        "internal document": lambda: make_open_document(owner, audience="internal"),
        "draft document": lambda: make_open_document(owner, status="draft"),
    }[target]()
    with pytest.raises(PermissionDenied):
        _file(item)
    assert not Report.objects.exists() and not AuditEvent.objects.filter(action="report")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"message": "trop court"[:9]}, "message"),
        ({"message": "x" * 2001}, "message"),
        ({"reason": "boredom"}, "reason"),
        ({"reporter_email": "pas-une-adresse"}, "reporter_email"),
    ],
)
def test_bad_input_is_refused_in_french(places, fields, field):
    with pytest.raises(ValidationError) as caught:
        _file(make_dataset(places["merignac"]), **fields)
    assert field in caught.value.message_dict
    assert not Report.objects.exists()


def test_dismissing_tells_the_reporter_by_mail_then_erases_the_address(
    places, django_capture_on_commit_callbacks
):
    report = _file(make_dataset(places["merignac"], title="Budget"), reporter_email="v@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        report_dismiss(
            actor=places["publisher"], report=report, outcome="Les montants sont justes."
        )
    report.refresh_from_db()
    assert report.status == Report.Status.DISMISSED and report.reporter_email == ""
    assert report.handled_by == places["publisher"] and report.handled_at is not None
    (message,) = mail.outbox
    assert message.to == ["v@example.org"]
    assert message.subject == "Votre signalement sur « Budget » : classé sans suite"
    assert "Les montants sont justes." in message.body
    assert "Mérignac" in message.body and "effacée" in message.body
    event = AuditEvent.objects.get(action=AuditEvent.Action.MODERATE)
    assert event.actor == places["publisher"] and event.authority_id == places["merignac"].pk
    assert event.detail["status"] == "dismissed" and event.detail["report"] == report.pk


def test_no_mail_before_commit_nor_without_an_address(places, django_capture_on_commit_callbacks):
    report = _file(make_dataset(places["merignac"]))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report_resolve(actor=places["publisher"], report=report, outcome="Corrigé.", withdraw=False)
    assert callbacks == [] and mail.outbox == []


def test_resolving_with_withdrawal_withdraws_the_document(places):
    document = make_open_document(places["merignac"])
    report = _file(document, reason="personal_data")
    report_resolve(
        actor=places["publisher"],
        report=report,
        outcome="Retiré : données personnelles.",
        withdraw=True,
    )
    document.refresh_from_db()
    assert document.status == Status.WITHDRAWN
    withdraw = AuditEvent.objects.get(action=AuditEvent.Action.WITHDRAW, document=document)
    assert withdraw.detail == {"report": report.pk}
    moderate = AuditEvent.objects.get(action=AuditEvent.Action.MODERATE)
    assert moderate.detail["withdrawn"] is True and moderate.detail["status"] == "resolved"


def test_resolving_with_withdrawal_withdraws_the_dataset(places):
    dataset = make_dataset(places["merignac"])
    report = _file(dataset)
    report_resolve(actor=places["metro_admin"], report=report, outcome="Retiré.", withdraw=True)
    dataset.refresh_from_db()
    assert dataset.status == Dataset.Status.WITHDRAWN
    event = AuditEvent.objects.get(action=AuditEvent.Action.WITHDRAW)
    assert event.authority_id == places["merignac"].pk
    assert event.detail["dataset"] == str(dataset.identifier)
    assert event.detail["reason"] == f"signalement {report.pk} : Retiré."


@pytest.mark.parametrize("who", ["bordeaux_publisher", "merignac_agent"])
def test_others_cannot_handle_a_report(places, who):
    report = _file(make_dataset(places["merignac"]), reporter_email="v@example.org")
    with pytest.raises(PermissionDenied):
        report_dismiss(actor=places[who], report=report, outcome="Non.")
    with pytest.raises(PermissionDenied):
        report_resolve(actor=places[who], report=report, outcome="Non.", withdraw=True)
    report.refresh_from_db()
    assert report.status == Report.Status.OPEN and report.reporter_email == "v@example.org"
    assert not AuditEvent.objects.filter(action__in=["moderate", "withdraw"]).exists()


def test_a_handled_report_is_handled_once_and_an_outcome_is_required(places):
    report = _file(make_dataset(places["merignac"]))
    with pytest.raises(ValidationError) as caught:
        report_dismiss(actor=places["publisher"], report=report, outcome="   ")
    assert "outcome" in caught.value.message_dict
    report_dismiss(actor=places["publisher"], report=report, outcome="Vu.")
    with pytest.raises(ValidationError):
        report_resolve(actor=places["publisher"], report=report, outcome="Vu.", withdraw=True)
    assert AuditEvent.objects.filter(action="moderate").count() == 1


# --- who handles which report: the selector against a plain-Python oracle -------------------

ROLES = [r.value for r in Membership.Role]
TODAY = datetime.date.today()
PERIODS = {
    "current": (TODAY - datetime.timedelta(days=10), None),
    "ended": (TODAY - datetime.timedelta(days=10), TODAY - datetime.timedelta(days=1)),
    "future": (TODAY + datetime.timedelta(days=1), None),
}


@st.composite
def worlds(draw):
    parents = draw(territory_parents(max_size=6))
    n = len(parents)
    users = draw(
        st.lists(
            st.tuples(
                st.booleans(),  # superuser (rarely)
                st.lists(
                    st.tuples(
                        st.integers(0, n - 1),
                        st.sampled_from(ROLES),
                        st.sampled_from(["current", "current", "ended", "future"]),
                    ),
                    max_size=3,
                ),
            ),
            min_size=1,
            max_size=4,
        )
    )
    reports = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=8))
    return parents, users, reports


def _oracle(parent: dict[int, int | None], roles: set[tuple[int, str]], authority: int) -> bool:
    """A publisher or administrator of the owner; an administrator above it."""
    for place, role in roles:
        if place == authority and role in {"publisher", "admin", "territory_admin"}:
            return True
        if role in {"admin", "territory_admin"}:
            node: int | None = authority
            while node is not None:
                if node == place:
                    return True
                node = parent[node]
    return False


class ReportAccessPropertyTest(TestCase):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(worlds())
    def test_reports_handled_by_matches_the_rule(self, world):
        parents, user_specs, report_owners = world
        authorities: list[Authority] = []
        for index, parent in enumerate(parents):
            authorities.append(
                Authority.objects.create(
                    kind="commune",
                    name=f"A{index}",
                    insee_code=f"{index:05d}",
                    parent=authorities[parent] if parent is not None else None,
                )
            )
        datasets = {a.pk: make_dataset(a) for a in authorities}
        reports = [make_report(datasets[authorities[i].pk]) for i in report_owners]
        parent = {a.pk: a.parent_id for a in authorities}
        for index, (superuser, roles) in enumerate(user_specs):
            superuser = superuser and index == 0
            user = User.objects.create(username=f"u{index}", kind="agent", is_superuser=superuser)
            current: set[tuple[int, str]] = set()
            for place, role, period in roles:
                starts_on, ends_on = PERIODS[period]
                membership, _created = Membership.objects.get_or_create(
                    user=user,
                    authority=authorities[place],
                    role=role,
                    starts_on=starts_on,
                    defaults={"ends_on": ends_on},
                )
                # The row kept (a second one with the same start is not created): is it on today?
                if membership.starts_on <= TODAY and (
                    membership.ends_on is None or membership.ends_on >= TODAY
                ):
                    current.add((authorities[place].pk, role))
            expected = {
                r.pk for r in reports if superuser or _oracle(parent, current, r.authority_id)
            }
            fresh = User.objects.get(pk=user.pk)
            assert set(reports_handled_by(fresh).values_list("pk", flat=True)) == expected
            # The services follow the selector: a report outside the scope is refused.
            for report in reports:
                if report.pk not in expected:
                    with pytest.raises(PermissionDenied):
                        report_dismiss(actor=fresh, report=report, outcome="Hors périmètre.")
        assert set(reports_handled_by(None).values_list("pk", flat=True)) == set()

"""Reuse statistics without tracking anyone: downloads and API calls per resource and day,
counted server-side (an F() increment, race-safe creation of the day's row), read over 30
days, and exported as CSV per dataset."""

from __future__ import annotations

import csv
import datetime
import io
import threading
import uuid

import pytest
from django.db import connection, transaction
from django.utils import timezone

from opendata.models import Dataset, ResourceDailyStat
from opendata.services.stats import resource_hit, resources_hit
from opendata.stats import resource_counts
from tests.factories import (
    make_authority,
    make_dataset,
    make_dataset_resource,
    make_open_document,
)


@pytest.fixture
def resource(db):
    return make_dataset_resource(make_dataset(make_authority()))


def test_hits_add_up_on_todays_row(resource):
    resource_hit(resource=resource, kind="download")
    resource_hit(resource=resource, kind="download")
    resource_hit(resource=resource, kind="api")
    (stat,) = ResourceDailyStat.objects.filter(resource=resource)
    assert (stat.day, stat.downloads, stat.api_calls) == (timezone.localdate(), 2, 1)


def test_the_row_holds_two_numbers_and_nothing_about_the_visitor():
    fields = {f.name for f in ResourceDailyStat._meta.get_fields()}
    assert fields == {"id", "resource", "day", "downloads", "api_calls"}


def test_an_unknown_kind_is_a_programming_error(resource):
    with pytest.raises(ValueError):
        resource_hit(resource=resource, kind="view")


def test_a_hit_works_inside_a_transaction_and_is_undone_with_it(resource):
    with transaction.atomic():
        resource_hit(resource=resource, kind="download")
        assert ResourceDailyStat.objects.get(resource=resource).downloads == 1
    resource_hit(resource=resource, kind="download")
    assert ResourceDailyStat.objects.get(resource=resource).downloads == 2


def test_a_row_created_meanwhile_is_counted_not_duplicated(resource, monkeypatch):
    """The insert clashes with another request's: the increment is retried on its row."""
    from opendata.services import stats

    real_filter = ResourceDailyStat.objects.filter
    calls = {"n": 0}

    def racing_filter(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:  # between our look-up and our insert, someone else inserts
            ResourceDailyStat.objects.create(
                resource=resource, day=timezone.localdate(), downloads=5
            )
            return ResourceDailyStat.objects.none()
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(stats.ResourceDailyStat.objects, "filter", racing_filter)
    resource_hit(resource=resource, kind="download")
    monkeypatch.undo()
    assert ResourceDailyStat.objects.get(resource=resource).downloads == 6


def test_a_removed_resource_is_not_counted_and_breaks_nothing(resource):
    with transaction.atomic():
        resources_hit(resources=[resource], kind="download")
        ResourceDailyStat.objects.filter(resource=resource).delete()
        gone = type(resource)(pk=resource.pk + 10_000)
        resources_hit(resources=[gone], kind="download")  # no such resource: not counted
        assert Dataset.objects.exists()  # the transaction is still usable
    assert not ResourceDailyStat.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_are_all_counted():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs a server database")
    resource = make_dataset_resource(make_dataset(make_authority()))
    errors: list[BaseException] = []

    def hit() -> None:
        try:
            for _n in range(10):
                resource_hit(resource=resource, kind="api")
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=hit) for _n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert ResourceDailyStat.objects.get(resource=resource).api_calls == 40


def test_counts_cover_the_last_30_days(resource):
    other = make_dataset_resource(resource.dataset, "api")
    today = timezone.localdate()
    for days_ago, downloads, calls in ((0, 2, 1), (29, 3, 0), (30, 100, 100)):
        ResourceDailyStat.objects.create(
            resource=resource,
            day=today - datetime.timedelta(days=days_ago),
            downloads=downloads,
            api_calls=calls,
        )
    assert resource_counts([resource, other]) == {resource.pk: (5, 1), other.pk: (0, 0)}
    assert resource_counts([]) == {}


def test_the_csv_export_lists_the_public_resources_days(client, db):
    owner = make_authority()
    dataset = make_dataset(owner)
    shown = make_dataset_resource(dataset, title="=Écoles")
    hidden = make_dataset_resource(dataset, document=make_open_document(owner, audience="internal"))
    day = timezone.localdate()
    ResourceDailyStat.objects.create(resource=shown, day=day, downloads=3, api_calls=2)
    ResourceDailyStat.objects.create(resource=hidden, day=day, downloads=9, api_calls=9)
    response = client.get(f"/donnees/{dataset.identifier}/statistiques.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows == [
        ["jour", "ressource_id", "ressource", "telechargements", "appels_api"],
        [day.isoformat(), str(shown.pk), "'=Écoles", "3", "2"],
    ]
    again = client.get(
        f"/donnees/{dataset.identifier}/statistiques.csv", HTTP_IF_NONE_MATCH=response["ETag"]
    )
    assert again.status_code == 304


def test_the_csv_export_of_a_non_public_dataset_is_a_404(client, db):
    draft = make_dataset(make_authority(), status=Dataset.Status.DRAFT)
    assert client.get(f"/donnees/{draft.identifier}/statistiques.csv").status_code == 404
    assert client.get(f"/donnees/{uuid.uuid4()}/statistiques.csv").status_code == 404

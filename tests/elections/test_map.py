"""The SVG map of a round: one focusable link per bureau with its accessible name (leader and
share, participation, or « non dépouillé »), hatched bureaux not yet counted, colours from
the candidates or the participation scale, and a projection that keeps the shapes' aspect."""

from __future__ import annotations

import re

import pytest

from elections.map import (
    PARTICIPATION_SCALE,
    Projection,
    participation_colour,
    render_map,
)
from elections.selectors import round_summary
from tests.elections.test_public_pages import build_night

pytestmark = pytest.mark.django_db


@pytest.fixture
def summary():
    return round_summary(build_night().round)


def links(svg: str) -> list[tuple[str, str]]:
    return re.findall(r'<a href="([^"]+)" aria-label="([^"]+)"', svg)


def test_one_shape_and_one_link_per_bureau_with_its_accessible_name(summary):
    view = render_map(summary, link=lambda r: f"/bureau/{r.station.code}/")
    assert view.shapes == 5 and view.svg.count("<path ") == 5
    names = dict(links(view.svg))
    assert names["/bureau/33281_0003/"] == "Bureau n° 3 — École 3 (Mérignac) : non dépouillé"
    assert names["/bureau/33281_0002/"] == (
        "Bureau n° 2 — École 2 (Mérignac) : en tête Anne Martin, 47,3\u00a0%"
    )
    assert names["/bureau/33063_0001/"].endswith("en tête Luc Bernard, 55,6\u00a0%")
    assert 'role="group"' in view.svg and "<title" in view.svg


def test_bureaux_not_counted_are_hatched_and_counted_ones_take_the_leader_colour(summary):
    svg = render_map(summary).svg
    shape = re.search(r'<path[^>]*data-code="33281_0004"', svg).group(0)
    assert 'fill="url(#non-depouille-carte)"' in shape and "bureau-non-depouille" in shape
    led = re.search(r'<path[^>]*data-code="33281_0001"', svg).group(0)
    assert 'fill="#c0392b"' in led  # Anne Martin's colour
    assert "<pattern" in svg


def test_without_links_each_bureau_is_still_focusable_and_named(summary):
    svg = render_map(summary).svg
    assert svg.count('tabindex="0"') == 5 and svg.count('role="img"') == 5


def test_the_participation_map_uses_the_scale_and_names_the_rate(summary):
    view = render_map(summary, mode="participation")
    assert len(view.legend) == len(PARTICIPATION_SCALE) + 1
    assert view.legend[-1].hatched
    assert "participation 61,5\u00a0%" in view.svg  # 615 of 1000
    shape = re.search(r'<path[^>]*data-code="33281_0001"', view.svg).group(0)
    assert f'fill="{participation_colour(61.5)}"' in shape


@pytest.mark.parametrize(
    "rate, index", [(None, 0), (12.0, 0), (40.0, 1), (61.5, 2), (70.0, 3), (90.0, 4)]
)
def test_the_participation_scale_has_five_classes(rate, index):
    assert participation_colour(rate) == PARTICIPATION_SCALE[index][1]


def test_the_projection_scales_longitudes_by_the_cosine_of_the_latitude():
    # A square of 0.01° at 45° N is about 0.707 times as wide as it is tall.
    project = Projection([(0.0, 45.0), (0.01, 45.0), (0.01, 45.01), (0.0, 45.01)])
    (x0, y0), (x1, y1) = project(0.0, 45.01), project(0.01, 45.0)
    assert abs((x1 - x0) / (y1 - y0) - 0.7071) < 0.01
    assert y1 > y0  # north is up


def test_a_round_without_contours_has_no_map_but_says_which(summary):
    from elections.models import PollingStation

    PollingStation.objects.update(contour=None)
    view = render_map(round_summary(summary.round))
    assert view.shapes == 0 and str(view.svg) == "" and len(view.without_contour) == 5


def test_names_and_labels_are_escaped(summary):
    from elections.models import PollingStation

    PollingStation.objects.filter(code="33281_0001").update(name='Bureau <script>"x"')
    svg = render_map(round_summary(summary.round)).svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg

"""The map's optional background of tiles (CIVIS_ELECTIONS_TILE_URL): none by default; when
set, the tiles that cover the map at the zoom closest to their native size, numbered as every
tile server numbers them (checked against the slippy-map formula), lined up under the
bureaux, decorative, with the provider's credit; the setting is checked at start-up and its
origin joins the CSP's img-src."""

from __future__ import annotations

import math
import re

import pytest

from elections.map import Projection, render_map, tiles_covering
from elections.selectors import round_summary
from tests.elections.test_public_pages import build_night
from tests.support import run_manage

TEMPLATE = "https://tuiles.example.fr/osm/{z}/{x}/{y}.png"
CREDIT = "© les contributeurs d'OpenStreetMap"
IMAGE = re.compile(
    r'<image href="https://tuiles\.example\.fr/osm/(\d+)/(\d+)/(\d+)\.png" x="([-\d.]+)" '
    r'y="([-\d.]+)" width="([-\d.]+)" height="([-\d.]+)"'
)
# Around Mérignac: its town hall and two corners of a box.
POINTS = [(-0.656, 44.845), (-0.69, 44.8), (-0.60, 44.85)]


def slippy_tile(lon: float, lat: float, zoom: int) -> tuple[int, int]:
    """The OpenStreetMap wiki's formula (Slippy map tilenames), the oracle."""
    n = 2**zoom
    lat_rad = math.radians(lat)
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(lat_rad)) / math.pi) / 2.0 * n)
    return x, y


def test_the_tiles_are_numbered_as_tile_servers_number_them_and_lie_under_their_points():
    project = Projection(POINTS)
    tiles = tiles_covering(project)
    assert 1 <= len(tiles) <= 64
    zoom = tiles[0].z
    # Drawn near their native size: a tile is between half and twice TILE_SIZE units.
    assert 128 <= tiles[0].size <= 512
    for lon, lat in POINTS:
        x, y = slippy_tile(lon, lat, zoom)
        tile = next(t for t in tiles if (t.x, t.y) == (x, y))
        px, py = project(lon, lat)
        assert tile.left - 0.5 <= px <= tile.left + tile.size + 0.5
        assert tile.top - 0.5 <= py <= tile.top + tile.size + 0.5


def test_the_tiles_cover_the_whole_view_box():
    project = Projection(POINTS)
    tiles = tiles_covering(project)
    assert min(t.left for t in tiles) <= 0 and min(t.top for t in tiles) <= 0
    assert max(t.left + t.size for t in tiles) >= project.width
    assert max(t.top + t.size for t in tiles) >= project.height


@pytest.mark.django_db
def test_no_tile_server_is_asked_by_default():
    view = render_map(round_summary(build_night().round))
    assert "<image" not in view.svg and view.attribution == ""
    assert "fill-opacity" not in view.svg


@pytest.mark.django_db
def test_with_a_tile_server_the_map_is_drawn_over_its_tiles_with_its_credit(client, settings):
    settings.CIVIS_ELECTIONS_TILE_URL = TEMPLATE
    settings.CIVIS_ELECTIONS_TILE_ATTRIBUTION = CREDIT
    night = build_night()
    view = render_map(round_summary(night.round))
    images = IMAGE.findall(view.svg)
    assert images and len({(z, x, y) for z, x, y, *_rest in images}) == len(images)
    assert '<g class="map-tiles" aria-hidden="true">' in view.svg
    assert view.svg.index("map-tiles") < view.svg.index("<path ")  # under the bureaux
    assert view.svg.count('fill-opacity="0.75"') == view.shapes
    page = client.get("/elections/municipales-2026/tour-1/").content.decode()
    assert "Fond de carte : © les contributeurs d&#x27;OpenStreetMap" in page
    assert "tuiles.example.fr/osm/" in page


@pytest.mark.parametrize(
    ("url", "credit", "message"),
    [
        ("http://tuiles.example.fr/{z}/{x}/{y}.png", CREDIT, "must be an https:// URL"),
        ("https://tuiles.example.fr/{z}/{x}.png", CREDIT, "must be an https:// URL"),
        ("https://{s}.tuiles.example.fr/{z}/{x}/{y}.png", CREDIT, "must be an https:// URL"),
        (TEMPLATE, "", "CIVIS_ELECTIONS_TILE_ATTRIBUTION is required"),
    ],
)
def test_a_wrong_tile_setting_stops_the_start_with_a_clear_message(url, credit, message):
    env = {
        "CIVIS_DEBUG": "1",
        "CIVIS_ELECTIONS_TILE_URL": url,
        "CIVIS_ELECTIONS_TILE_ATTRIBUTION": credit,
    }
    result = run_manage(env, "check")
    assert result.returncode != 0 and message in result.stderr


def test_the_tile_servers_origin_is_allowed_for_images_only():
    env = {
        "CIVIS_DEBUG": "1",
        "CIVIS_ELECTIONS_TILE_URL": TEMPLATE,
        "CIVIS_ELECTIONS_TILE_ATTRIBUTION": CREDIT,
    }
    code = (
        "from django.conf import settings; "
        "print(settings.SECURE_CSP['img-src']); print(settings.SECURE_CSP['connect-src'])"
    )
    result = run_manage(env, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    img_src, connect_src = result.stdout.strip().splitlines()[-2:]
    assert "https://tuiles.example.fr" in img_src
    assert "tuiles.example.fr" not in connect_src

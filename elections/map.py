"""The map of a round's bureaux, drawn on the server as inline SVG from their GeoJSON contours:
no tile server, no script, readable by keyboard and screen reader.

- Projection: Web Mercator fitted to the contours' bounds — the projection of every tile
  server, so that a background of tiles lines up when one is set.
- Each bureau is a link (``<a href>`` to its page, focusable) around its shape, with an
  accessible name (« Bureau n° 4 — École … : en tête Liste X, 42,1 % »); a bureau not yet
  counted is hatched grey and named « non dépouillé ».
- Two colourings: by leading candidate (the candidate's colour) or by participation (a
  sequential scale in five classes, with its legend). The figures are never in the colour
  alone: they are in every shape's name, in the legend and in the table under the map.

- Background: none by default (nothing is fetched from anyone else). With
  ``CIVIS_ELECTIONS_TILE_URL`` (``https://…/{z}/{x}/{y}.png``), the map is drawn over the
  tiles that cover it, at the zoom whose tiles are closest to their native size, decorative
  (``aria-hidden``), the bureaux slightly transparent, the provider's credit
  (``CIVIS_ELECTIONS_TILE_ATTRIBUTION``) under the map.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from elections.models import BureauResult, Candidate, PollingStation
from elections.selectors import RoundSummary, Tally

WIDTH = 640.0
PADDING = 8.0
HATCH_ID = "non-depouille"
NOT_COUNTED_FILL = "#d5d8dc"
TIE_FILL = "#8c8c94"
# Participation classes (light to dark, WCAG-distinct steps), lower bounds in %.
PARTICIPATION_SCALE = [
    (0.0, "#e8f1f8"),
    (40.0, "#b7d3ea"),
    (55.0, "#6fa6d3"),
    (65.0, "#2f73b0"),
    (75.0, "#0b3d66"),
]
MODES = ("candidat", "participation")


TILE_SIZE = 256.0
MAX_ZOOM = 19
MAX_TILES = 64
MERCATOR_LIMIT = 85.05112878  # Web Mercator's latitude bound: the world is a square
TILED_FILL_OPACITY = "0.75"


def tile_url() -> str:
    return str(getattr(settings, "CIVIS_ELECTIONS_TILE_URL", ""))


def tile_attribution() -> str:
    return str(getattr(settings, "CIVIS_ELECTIONS_TILE_ATTRIBUTION", ""))


def mercator_y(lat: float) -> float:
    """Web Mercator's northing, in degrees of longitude (180 at the top of the world)."""
    lat = max(min(lat, MERCATOR_LIMIT), -MERCATOR_LIMIT)
    return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))


def decimal(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}f}".replace(".", ",") + "\u00a0%"


@dataclass
class LegendItem:
    colour: str
    label: str
    hatched: bool = False


@dataclass
class MapView:
    svg: SafeString
    mode: str
    legend: list[LegendItem] = field(default_factory=list)
    shapes: int = 0
    without_contour: list[str] = field(default_factory=list)  # station names
    attribution: str = ""  # the tile provider's credit, when the map is drawn over tiles


def _rings(geometry: dict[str, Any] | None) -> list[list[tuple[float, float]]]:
    """The rings of a Polygon or MultiPolygon as (longitude, latitude) pairs."""
    if not isinstance(geometry, dict):
        return []
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates") or []
    polygons = [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else []
    rings: list[list[tuple[float, float]]] = []
    for polygon in polygons:
        if not isinstance(polygon, list):
            continue
        for ring in polygon:
            points = []
            for point in ring if isinstance(ring, list) else []:
                try:
                    lon, lat = float(point[0]), float(point[1])
                except (TypeError, ValueError, IndexError):
                    continue
                if math.isfinite(lon) and math.isfinite(lat):
                    points.append((lon, lat))
            if len(points) >= 3:
                rings.append(points)
    return rings


class Projection:
    """Web Mercator, scaled so the contours' bounds fill WIDTH (less the padding)."""

    def __init__(self, points: Iterable[tuple[float, float]]) -> None:
        lons, lats = zip(*points, strict=True)
        self.west, self.east = min(lons), max(lons)
        self.south, self.north = min(lats), max(lats)
        self.top = mercator_y(self.north)
        span_x = self.east - self.west
        span_y = self.top - mercator_y(self.south)
        self.scale = (WIDTH - 2 * PADDING) / (span_x if span_x > 1e-9 else max(span_y, 1e-9))
        self.width = WIDTH
        self.height = max(span_y * self.scale, 1.0) + 2 * PADDING

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        x = PADDING + (lon - self.west) * self.scale
        y = PADDING + (self.top - mercator_y(lat)) * self.scale
        return round(x, 1), round(y, 1)


@dataclass(frozen=True)
class Tile:
    z: int
    x: int
    y: int
    left: float  # in the SVG's units
    top: float
    size: float

    def url(self, template: str) -> str:
        return (
            template.replace("{z}", str(self.z))
            .replace("{x}", str(self.x))
            .replace("{y}", str(self.y))
        )


def tiles_covering(project: Projection) -> list[Tile]:
    """The tiles (slippy-map numbering: x east from 180° W, y south from the top) that cover
    the map's view box, at the zoom whose tiles are drawn closest to TILE_SIZE units."""
    degrees_per_unit = 1 / project.scale
    lon_min = project.west - PADDING * degrees_per_unit
    lon_max = project.west + (project.width - PADDING) * degrees_per_unit
    y_max = project.top + PADDING * degrees_per_unit
    y_min = project.top - (project.height - PADDING) * degrees_per_unit
    zoom = round(math.log2(max(360 * project.scale / TILE_SIZE, 1.0)))
    zoom = max(0, min(zoom, MAX_ZOOM))
    while True:
        n = 2**zoom
        step = 360 / n  # a tile's side, in degrees of longitude and of northing
        xs = range(
            max(0, math.floor((lon_min + 180) / step)),
            min(n - 1, math.floor((lon_max + 180) / step)) + 1,
        )
        ys = range(
            max(0, math.floor((180 - y_max) / step)),
            min(n - 1, math.floor((180 - y_min) / step)) + 1,
        )
        if len(xs) * len(ys) <= MAX_TILES or zoom == 0:
            break
        zoom -= 1
    size = step * project.scale
    return [
        Tile(
            zoom,
            x,
            y,
            round(PADDING + (x * step - 180 - project.west) * project.scale, 2),
            round(PADDING + (project.top - (180 - y * step)) * project.scale, 2),
            round(size, 2),
        )
        for y in ys
        for x in xs
    ]


def _path(rings: list[list[tuple[float, float]]], project: Projection) -> str:
    parts = []
    for ring in rings:
        points = [project(lon, lat) for lon, lat in ring]
        head, *tail = points
        parts.append(f"M{head[0]:g} {head[1]:g}" + "".join(f"L{x:g} {y:g}" for x, y in tail) + "Z")
    return "".join(parts)


def participation_colour(value: float | None) -> str:
    colour = PARTICIPATION_SCALE[0][1]
    for low, fill in PARTICIPATION_SCALE:
        if value is not None and value >= low:
            colour = fill
    return colour


def participation_legend() -> list[LegendItem]:
    items = []
    for index, (low, fill) in enumerate(PARTICIPATION_SCALE):
        if index + 1 < len(PARTICIPATION_SCALE):
            high = PARTICIPATION_SCALE[index + 1][0]
            label = _("de %(low)s à moins de %(high)s") % {
                "low": decimal(low, 0),
                "high": decimal(high, 0),
            }
        else:
            label = _("%(low)s et plus") % {"low": decimal(low, 0)}
        items.append(LegendItem(fill, label))
    return items


def station_label(result: BureauResult, *, with_commune: bool = False) -> str:
    """« Bureau n° 4 — École … », and its commune when the round counts several."""
    station = result.station
    name = station.name or _("Bureau n° %(n)d") % {"n": station.number}
    if station.place_name and station.place_name not in name:
        name = f"{name} — {station.place_name}"
    if with_commune and station.commune.name not in name:
        name = f"{name} ({station.commune.name})"
    return name


def several_communes(summary: RoundSummary) -> bool:
    return len(summary.by_commune) > 1


def accessible_name(
    result: BureauResult,
    tally: Tally,
    candidates: dict[int, Candidate],
    mode: str,
    *,
    with_commune: bool = False,
) -> str:
    """« Bureau n° 4 — École … : en tête Liste X, 42,1 % »."""
    name = station_label(result, with_commune=with_commune)
    if result.published is None:
        return _("%(name)s : non dépouillé") % {"name": name}
    if mode == "participation":
        return _("%(name)s : participation %(value)s") % {
            "name": name,
            "value": decimal(tally.participation),
        }
    leader = candidates.get(tally.leader) if tally.leader is not None else None
    if leader is None:
        return _("%(name)s : pas de candidat seul en tête (égalité)") % {"name": name}
    return _("%(name)s : en tête %(leader)s, %(share)s") % {
        "name": name,
        "leader": leader.display_name,
        "share": decimal(tally.share(leader.panel)),
    }


def render_map(
    summary: RoundSummary,
    *,
    mode: str = "candidat",
    link: Callable[[BureauResult], str] | None = None,
    title: str = "",
    dom_id: str = "carte",
) -> MapView:
    """The SVG map of the round (``mode`` ``candidat`` or ``participation``)."""
    mode = mode if mode in MODES else "candidat"
    candidates = {c.panel: c for c in summary.candidates}
    communes = several_communes(summary)
    drawable = []
    without: list[str] = []
    for result, tally in summary.bureaux:
        rings = _rings(result.station.contour)
        if rings:
            drawable.append((result, tally, rings))
        else:
            without.append(station_label(result, with_commune=communes))
    if mode == "participation":
        legend = participation_legend()
    else:
        legend = [LegendItem(c.colour, c.display_name) for c in summary.candidates]
        if any(r.published is not None and t.leader is None for r, t, _x in drawable):
            legend.append(LegendItem(TIE_FILL, _("Égalité en tête")))
    legend.append(LegendItem(NOT_COUNTED_FILL, _("Non dépouillé"), hatched=True))
    if not drawable:
        return MapView(mark_safe(""), mode, legend, 0, without)
    project = Projection(point for _r, _t, rings in drawable for ring in rings for point in ring)
    title_id = f"{dom_id}-titre"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="election-map" id="{escape(dom_id)}" '
        f'viewBox="0 0 {project.width:g} {round(project.height, 1):g}" role="group" '
        f'aria-labelledby="{escape(title_id)}">',
        f'<title id="{escape(title_id)}">{escape(title or _("Carte des bureaux de vote"))}</title>',
        "<defs>",
        f'<pattern id="{HATCH_ID}-{escape(dom_id)}" width="6" height="6" '
        'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="{NOT_COUNTED_FILL}"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#5c5f66" stroke-width="2"/></pattern>',
        "</defs>",
    ]
    template = tile_url()
    if template:
        # Decorative: what the map says is in the bureaux' names and in the table.
        out.append('<g class="map-tiles" aria-hidden="true">')
        for tile in tiles_covering(project):
            # Half a unit more each way: no hairline seams between neighbouring tiles.
            out.append(
                f'<image href="{escape(tile.url(template))}" x="{tile.left:g}" '
                f'y="{tile.top:g}" width="{tile.size + 0.5:g}" height="{tile.size + 0.5:g}" '
                'preserveAspectRatio="none"/>'
            )
        out.append("</g>")
    opacity = f' fill-opacity="{TILED_FILL_OPACITY}"' if template else ""
    for result, tally, rings in drawable:
        name = accessible_name(result, tally, candidates, mode, with_commune=communes)
        if result.published is None:
            fill = f"url(#{HATCH_ID}-{dom_id})"
            state = "non-depouille"
        elif mode == "participation":
            fill = participation_colour(tally.participation)
            state = "depouille"
        else:
            leader = candidates.get(tally.leader) if tally.leader is not None else None
            fill = leader.colour if leader else TIE_FILL
            state = "depouille"
        shape = (
            f'<path d="{_path(rings, project)}" fill="{escape(fill)}"{opacity} fill-rule="evenodd" '
            f'class="bureau bureau-{state}" data-code="{escape(result.station.code)}">'
            f"<title>{escape(name)}</title></path>"
        )
        href = link(result) if link is not None else ""
        if href:
            out.append(
                f'<a href="{escape(href)}" aria-label="{escape(name)}" '
                f'data-code="{escape(result.station.code)}">{shape}</a>'
            )
        else:
            out.append(
                f'<g role="img" tabindex="0" aria-label="{escape(name)}" '
                f'data-code="{escape(result.station.code)}">{shape}</g>'
            )
    # The bureau numbers, for those who read the map by sight (the names carry them too).
    if len(drawable) <= 80:
        out.append('<g class="bureau-numbers" aria-hidden="true">')
        for result, _tally, rings in drawable:
            xs, ys = zip(*(project(lon, lat) for lon, lat in rings[0]), strict=True)
            cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
            out.append(
                f'<text x="{cx:.1f}" y="{cy:.1f}" text-anchor="middle" '
                f'dominant-baseline="central">{result.station.number}</text>'
            )
        out.append("</g>")
    out.append("</svg>")
    attribution = tile_attribution() if template else ""
    return MapView(
        mark_safe("".join(out)),  # noqa: S308 (every value above is escaped)
        mode,
        legend,
        len(drawable),
        without,
        attribution,
    )


def render_station_map(
    stations: Iterable[PollingStation], *, highlight: int, title: str, dom_id: str = "carte"
) -> MapView:
    """One bureau among its commune's: the chosen one (``highlight``, its number) filled,
    the others outlined, for "Où voter ?". Empty when the chosen one has no contour."""
    drawable = [(s, rings) for s in stations if (rings := _rings(s.contour))]
    chosen = [(s, rings) for s, rings in drawable if s.number == highlight]
    if not chosen:
        return MapView(mark_safe(""), "bureau")
    project = Projection(point for _s, rings in drawable for ring in rings for point in ring)
    title_id = f"{dom_id}-titre"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="election-map station-map" '
        f'id="{escape(dom_id)}" viewBox="0 0 {project.width:g} {round(project.height, 1):g}" '
        f'role="img" aria-labelledby="{escape(title_id)}">',
        f'<title id="{escape(title_id)}">{escape(title)}</title>',
    ]
    template = tile_url()
    if template:
        out.append('<g class="map-tiles" aria-hidden="true">')
        for tile in tiles_covering(project):
            out.append(
                f'<image href="{escape(tile.url(template))}" x="{tile.left:g}" '
                f'y="{tile.top:g}" width="{tile.size + 0.5:g}" height="{tile.size + 0.5:g}" '
                'preserveAspectRatio="none"/>'
            )
        out.append("</g>")
    for station, rings in drawable:
        if station.number == highlight:
            continue
        out.append(
            f'<path d="{_path(rings, project)}" fill="#f0f0f0" fill-opacity="0.6" '
            'stroke="#6a6a6a" stroke-width="1" fill-rule="evenodd" class="bureau-other"/>'
        )
    for _station, rings in chosen:
        out.append(
            f'<path d="{_path(rings, project)}" fill="#000091" fill-opacity="0.55" '
            'stroke="#000091" stroke-width="3" fill-rule="evenodd" class="bureau-chosen"/>'
        )
    out.append("</svg>")
    return MapView(
        mark_safe("".join(out)),  # noqa: S308 (every value above is escaped)
        "bureau",
        shapes=len(drawable),
        attribution=tile_attribution() if template else "",
    )

"""The public election pages as a reader sees them: the list, an election, a round's results
(participation, the whole territory, progress, provisional or final, last update in Paris
time, tables by commune / canton / circonscription / bureau, corrected bureaux, the map,
downloads and the embedding snippets), a bureau's page, and the widgets (frameable by any
site). Nothing entered, validated but not published, or awaiting a correction's validation
ever shows; unknown election, round or bureau answers 404 on every URL of elections.urls."""

from __future__ import annotations

import datetime
import itertools
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elections import urls as election_urls
from elections.models import BureauResult, Round, RoundStatus
from elections.services.results import result_enter, result_validate
from identity.models import Membership
from tests.elections.factories import count, make_election, make_station
from tests.factories import make_agent, make_territory

pytestmark = pytest.mark.django_db

# Figures that exist only in versions the public must never see.
SECRET_VOTES = (246813, 135792, 97531)
SECRET_INSCRITS = 999983
SECRETS = ("246813", "135792", "97531", "999983", "480136", "480160")


def secret_count() -> tuple[dict[str, int], dict[int, int]]:
    return count(inscrits=SECRET_INSCRITS, votes=SECRET_VOTES, blancs=11, nuls=13)


VALID_FROM = {
    "municipales-2026": datetime.date(2024, 3, 1),
    "municipales-2026-bis": datetime.date(2025, 3, 1),
}


@dataclass
class Night:
    territory: dict[str, Any]
    round: Round
    second: Round
    first_agent: Any
    second_agent: Any

    def result(self, code: str, round: Round | None = None) -> BureauResult:
        return BureauResult.objects.get(round=round or self.round, station__code=code)


def publish(night: Night, result: BureauResult, figures, votes, note: str = "") -> None:
    result_enter(actor=night.first_agent, result=result, figures=figures, votes=votes, note=note)
    result_validate(actor=night.second_agent, result=result)


def build_night(slug: str = "municipales-2026", territory: dict[str, Any] | None = None) -> Night:
    """Mérignac's bureaux 1 to 4 and Bordeaux's bureau 1; round 1 counting:
    - 33281_0001 published (1000 inscrits; 300/200/100), then a correction entered with the
      secret figures, awaiting validation (the public keeps reading version 1);
    - 33281_0002 published, then corrected (version 2: 900 inscrits; 250/250/50 → 260/240/50);
    - 33281_0003 entered with the secret figures, not validated;
    - 33281_0004 expected;
    - 33063_0001 published (1200 inscrits; 100/500/300), canton 2, 2e circonscription.
    Round 2 (publication by a publisher): 33281_0001 validated with the secret figures, not
    published."""
    territory = territory or make_territory()
    merignac, bordeaux = territory["merignac"], territory["bordeaux"]
    stations = [make_station(merignac, n, valid_from=VALID_FROM[slug]) for n in (1, 2, 3, 4)]
    stations.append(
        make_station(
            bordeaux,
            1,
            valid_from=VALID_FROM[slug],
            canton="Canton 2",
            circonscription="2e circonscription",
            contour={
                "type": "Polygon",
                "coordinates": [[[-0.58, 44.84], [-0.57, 44.84], [-0.57, 44.85], [-0.58, 44.84]]],
            },
        )
    )
    election = make_election(merignac, stations=stations, rounds=2, slug=slug)
    first, second = election.rounds.order_by("number")
    Round.objects.filter(pk=second.pk).update(publish_on_validation=False)
    roles = [(merignac, Membership.Role.AGENT), (bordeaux, Membership.Role.AGENT)]
    night = Night(
        territory,
        first,
        second,
        make_agent(f"{slug}-saisie", roles=roles),
        make_agent(f"{slug}-valide", roles=roles),
    )
    publish(night, night.result("33281_0001"), *count())
    result_enter(
        actor=night.first_agent,
        result=night.result("33281_0001"),
        figures=secret_count()[0],
        votes=secret_count()[1],
        note="Erreur de report",
    )
    publish(night, night.result("33281_0002"), *count(inscrits=900, votes=(250, 250, 50)))
    publish(
        night,
        night.result("33281_0002"),
        *count(inscrits=900, votes=(260, 240, 50)),
        note="Inversion de deux listes",
    )
    result_enter(
        actor=night.first_agent,
        result=night.result("33281_0003"),
        figures=secret_count()[0],
        votes=secret_count()[1],
    )
    publish(night, night.result("33063_0001"), *count(inscrits=1200, votes=(100, 500, 300)))
    second.refresh_from_db()
    publish(night, night.result("33281_0001", second), *secret_count())
    night.round.refresh_from_db()
    night.second.refresh_from_db()
    return night


@pytest.fixture
def night() -> Night:
    return build_night()


def text_of(response) -> str:
    return response.content.decode("utf-8")


def visible_text(html: str) -> str:
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html))


def round_url(round: Round, name: str = "elections:round", **extra: Any) -> str:
    return reverse(name, kwargs={"slug": round.election.slug, "number": round.number, **extra})


def test_the_results_page_shows_participation_progress_and_the_whole_territory(client, night):
    response = client.get(round_url(night.round))
    assert response.status_code == 200
    html = text_of(response)
    text = visible_text(html)
    # Published: 33281_0001 v1 (1000; 615 votants), 33281_0002 v2 (900; 565), 33063_0001
    # (1200; 915): 3100 inscrits, 2095 votants, 67,58 %.
    assert "3 bureaux sur 5 dépouillés" in text
    assert "3100" in text and "2095" in text and "67,58\u00a0%" in text
    # List 1: 300 + 260 + 100 = 660 of 2050 exprimés = 32,20 %.
    assert "660 voix" in text and "32,20\u00a0%" in text
    assert "Résultats provisoires" in text
    published_at = timezone.localtime(night.round.published_at)
    assert published_at.tzinfo is not None and str(published_at.tzinfo) == "Europe/Paris"
    assert f"{published_at:%H:%M:%S}" in text
    for secret in SECRETS:
        assert secret not in html


def test_the_last_update_is_in_paris_time_and_french(client, night):
    moment = datetime.datetime(2026, 3, 15, 19, 31, 7, tzinfo=datetime.UTC)
    Round.objects.filter(pk=night.round.pk).update(published_at=moment)
    text = visible_text(text_of(client.get(round_url(night.round))))
    assert "15 mars 2026 à 20:31:07" in text  # 19:31 UTC is 20:31 in Paris in March


def test_final_results_are_labelled_final(client, night):
    Round.objects.filter(pk=night.round.pk).update(status=RoundStatus.FINAL)
    text = visible_text(text_of(client.get(round_url(night.round))))
    assert "Résultats définitifs" in text and "Résultats provisoires" not in text


def test_tables_by_commune_canton_circonscription_and_bureau_are_accessible(client, night):
    html = text_of(client.get(round_url(night.round)))
    for table_id, caption in [
        ("tableau-commune", "Résultats par commune"),
        ("tableau-canton", "Résultats par canton"),
        ("tableau-circonscription", "Résultats par circonscription"),
        ("tableau-bureaux", "Résultats par bureau de vote"),
        ("tableau-carte", "Tableau de la carte"),
    ]:
        table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
        assert table is not None, table_id
        assert caption in table.group(0)
        assert 'scope="col"' in table.group(0) and 'scope="row"' in table.group(0)
    communes = re.search(r'id="tableau-commune".*?</table>', html, re.S).group(0)
    assert "Mérignac" in communes and "Bordeaux" in communes
    assert "2 sur 4" in visible_text(communes)  # Mérignac: 2 of its 4 bureaux counted


def test_each_bureau_links_to_its_page_and_corrections_show_their_version(client, night):
    html = text_of(client.get(round_url(night.round)))
    bureaux = re.search(r'id="tableau-bureaux".*?</table>', html, re.S).group(0)
    for code in ("33281_0001", "33281_0002", "33281_0003", "33281_0004", "33063_0001"):
        assert round_url(night.round, "elections:bureau", code=code) in bureaux
    row = re.search(r'<tr data-code="33281_0002">.*?</tr>', bureaux, re.S).group(0)
    assert "corrigé (version 2)" in row and ">260 <" in row
    pending = re.search(r'<tr data-code="33281_0003">.*?</tr>', bureaux, re.S).group(0)
    assert "non dépouillé" in pending
    first = re.search(r'<tr data-code="33281_0001">.*?</tr>', bureaux, re.S).group(0)
    assert "corrigé" not in first and ">300 <" in first  # the correction awaits validation


def test_the_page_links_the_downloads_and_gives_the_embedding_snippets(client, night):
    html = text_of(client.get(round_url(night.round)))
    kwargs = {"slug": night.round.election.slug, "number": 1}
    for name in ("election_round_results", "election_round_csv", "election_round_geojson"):
        assert f'href="{reverse(f"api:{name}", kwargs=kwargs)}"' in html
    assert "Intégrer ce résultat" in html
    assert re.search(
        r"&lt;iframe src=(\"|&quot;)http://testserver/elections/municipales-2026/tour-1/widget/"
        r"resume/\?refresh=30",
        html,
    )
    assert "&lt;civis-resultats src=" in html and "elections/embed.js" in html
    assert "<script>" not in html  # CSP: no inline script


def test_the_map_is_on_the_page_with_one_link_per_bureau(client, night):
    html = text_of(client.get(round_url(night.round)))
    svg = re.search(r"<svg[^>]*election-map.*?</svg>", html, re.S).group(0)
    assert svg.count("<path ") == 5
    assert 'aria-label="Bureau n° 3 — École 3 (Mérignac) : non dépouillé"' in svg
    assert 'aria-label="Bureau n° 1 — École 1 (Mérignac) : en tête Anne Martin, 50,0\u00a0%"' in svg
    assert 'aria-label="Bureau n° 1 — École 1 (Bordeaux) : en tête Luc Bernard, 55,6\u00a0%"' in svg


def test_the_map_by_participation_has_a_legend(client, night):
    html = text_of(client.get(round_url(night.round) + "?carte=participation"))
    assert "Par participation" in html and "75\u00a0% et plus" in html
    assert "participation 61,5\u00a0%" in html  # bureau 1: 615 / 1000


def test_the_bureau_page_shows_the_published_version_only(client, night):
    html = text_of(client.get(round_url(night.round, "elections:bureau", code="33281_0002")))
    text = visible_text(html)
    assert "corrigé (version 2)" in text and "Inversion de deux listes" in text
    assert "260 voix" in text and "250 voix" not in text
    pending = text_of(client.get(round_url(night.round, "elections:bureau", code="33281_0003")))
    assert "Les résultats de ce bureau ne sont pas encore publiés." in pending
    for secret in SECRETS:
        assert secret not in pending


def test_the_list_and_the_election_lead_to_the_results(client, night):
    html = text_of(client.get(reverse("elections:list")))
    assert "Municipales 2026" in html and round_url(night.round) in html
    response = client.get(reverse("elections:detail", kwargs={"slug": "municipales-2026"}))
    assert response.status_code == 302 and response["Location"] == round_url(night.round)


def test_an_election_without_results_lists_its_rounds(client, night):
    make_election(night.territory["arcachon"], slug="referendum-arcachon", title="Référendum")
    response = client.get(reverse("elections:detail", kwargs={"slug": "referendum-arcachon"}))
    assert response.status_code == 200 and "1er tour" in text_of(response)


def test_a_round_nothing_was_published_in_says_so(client, night):
    html = text_of(client.get(round_url(night.second)))
    assert "0 bureau sur 5 dépouillé" in html
    assert "Aucun bureau n'est encore dépouillé" in html
    for secret in SECRETS:
        assert secret not in html


# --- Widgets ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["resume", "carte", "participation", "bureau"])
def test_widgets_may_be_framed_by_any_site_and_refresh_themselves(client, night, kind):
    url = round_url(night.round, "elections:widget", kind=kind) + "?code=33281_0002&refresh=12"
    response = client.get(url)
    assert response.status_code == 200
    assert "X-Frame-Options" not in response or response["X-Frame-Options"] != "DENY"
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors *" in csp and "'unsafe-inline'" not in csp
    html = text_of(response)
    assert 'data-refresh="12"' in html and "elections/widget.js" in html
    assert "site-header" not in html and "<script>" not in html
    assert sorted(response["Cache-Control"].split(", ")) == ["max-age=5", "public"]
    assert response["Access-Control-Allow-Origin"] == "*"
    for secret in SECRETS:
        assert secret not in html


def test_other_pages_stay_unframeable(client, night):
    response = client.get(round_url(night.round))
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


@pytest.mark.parametrize("value, expected", [("", 30), ("3", 10), ("45", 45), ("99999", 3600)])
def test_a_widget_refreshes_every_ten_seconds_at_least(client, night, value, expected):
    url = round_url(night.round, "elections:widget", kind="resume") + f"?refresh={value}"
    assert f'data-refresh="{expected}"' in text_of(client.get(url))


def test_a_widget_refuses_a_refresh_that_is_not_a_number_in_french(client, night):
    url = round_url(night.round, "elections:widget", kind="resume") + "?refresh=vite"
    response = client.get(url)
    assert response.status_code == 400
    assert "« refresh » doit être un nombre entier" in text_of(response)


def test_the_widget_fragment_is_the_refreshed_part_only(client, night):
    url = round_url(night.round, "elections:widget", kind="resume") + "?fragment=1"
    html = text_of(client.get(url))
    assert html.lstrip().startswith('<div class="widget-content"') and "<html" not in html
    assert "660 voix" in html


def test_a_widget_answers_304_while_nothing_was_published(client, night):
    url = round_url(night.round, "elections:widget", kind="resume")
    first = client.get(url)
    again = client.get(url, headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304 and again.content == b""
    publish(night, night.result("33281_0004"), *count(inscrits=777, votes=(1, 2, 3)))
    after = client.get(url, headers={"if-none-match": first["ETag"]})
    assert after.status_code == 200 and after["ETag"] != first["ETag"]
    assert "4 bureaux sur 5 dépouillés" in text_of(after)


# --- 404 on every URL ---------------------------------------------------------------------------


def _patterns() -> list[URLPattern]:
    return [p for p in election_urls.urlpatterns if isinstance(p, URLPattern)]


def _kwargs_for(pattern: URLPattern, **values: Any) -> dict[str, Any]:
    names = list(pattern.pattern.converters)
    defaults = {"slug": "municipales-2026", "number": 1, "code": "33281_0001", "kind": "bureau"}
    defaults.update(values)
    return {name: defaults[name] for name in names}


def test_every_url_is_registered_and_answers_for_the_known_election(client, night):
    names = sorted(p.name for p in _patterns())
    assert names == ["bureau", "detail", "list", "round", "widget"]
    for pattern in _patterns():
        url = reverse(f"elections:{pattern.name}", kwargs=_kwargs_for(pattern))
        response = client.get(url + "?code=33281_0001")
        assert response.status_code in (200, 302), url


@pytest.mark.parametrize(
    "wrong",
    [{"slug": "inconnue-2026"}, {"number": 3}, {"code": "33281_0099"}, {"kind": "tout"}],
)
def test_every_url_answers_404_for_what_does_not_exist(client, night, wrong):
    for pattern in _patterns():
        names = set(pattern.pattern.converters)
        if not set(wrong) & names and not ("code" in wrong and pattern.name == "widget"):
            continue
        url = reverse(f"elections:{pattern.name}", kwargs=_kwargs_for(pattern, **wrong))
        query = f"?code={wrong.get('code', '33281_0001')}"
        assert client.get(url + query).status_code == 404, url


def test_the_bureau_widget_without_a_code_is_404(client, night):
    url = round_url(night.round, "elections:widget", kind="bureau")
    assert client.get(url).status_code == 404


def test_a_bureau_of_another_round_or_election_is_404(client, night):
    other = build_night(slug="municipales-2026-bis", territory=night.territory)
    url = round_url(other.round, "elections:bureau", code="33281_0001")
    assert client.get(url).status_code == 200
    station_elsewhere = make_station(night.territory["arcachon"], 9)
    url = round_url(night.round, "elections:bureau", code=station_elsewhere.code)
    assert client.get(url).status_code == 404


# --- Nothing unpublished, whatever the states -------------------------------------------------

_counter = itertools.count()

ACTIONS = st.lists(st.sampled_from(["enter", "validate"]), min_size=1, max_size=6)


def marked_count(k: int) -> tuple[dict[str, int], dict[int, int]]:
    """A count whose inscrits (7xxxxx) and first list's votes (3xxxxx) appear nowhere else."""
    return count(inscrits=700001 + 1013 * k, votes=(300007 + 1013 * k, 100, 50), blancs=1, nuls=2)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=ACTIONS, on_validation=st.booleans())
def test_no_page_or_widget_ever_shows_a_version_that_is_not_published(
    client, actions, on_validation
):
    """Whatever a bureau went through (entries, validations, corrections, with or without
    publication on validation), the public pages, widgets, API and exports show its published
    version and no other."""
    from django.core.exceptions import ValidationError

    from identity.models import Authority

    n = next(_counter)
    slug = f"propriete-{n}"
    merignac = Authority.objects.filter(insee_code="33281").first()
    if merignac is None:
        merignac = make_territory()["merignac"]
    station = make_station(merignac, 100 + n)
    election = make_election(merignac, stations=[station], slug=slug)
    round = election.rounds.get()
    Round.objects.filter(pk=round.pk).update(publish_on_validation=on_validation)
    roles = [(merignac, Membership.Role.AGENT)]
    first = make_agent(f"{slug}-a", roles=roles)
    second = make_agent(f"{slug}-b", roles=roles)
    result = BureauResult.objects.get(round=round)
    for k, action in enumerate(actions):
        result.refresh_from_db()
        try:
            if action == "validate":
                result_validate(actor=second, result=result)
            else:
                figures, votes = marked_count(k)
                note = "Correction" if result.published_id else ""
                result_enter(actor=first, result=result, figures=figures, votes=votes, note=note)
        except ValidationError:
            pass  # nothing to validate: the state does not change
    result.refresh_from_db()
    versions = {v.pk: v for v in result.versions.all()}
    pages = [
        round_url(round),
        round_url(round, "elections:bureau", code=station.code),
        round_url(round, "elections:widget", kind="resume"),
        round_url(round, "elections:widget", kind="carte"),
        round_url(round, "elections:widget", kind="bureau") + f"?code={station.code}",
        round_url(round, "api:election_round_results"),
        round_url(round, "api:election_round_csv"),
        round_url(round, "api:election_round_geojson"),
        round_url(round, "api:election_bureau_results", code=station.code),
    ]
    for url in pages:
        html = text_of(client.get(url))
        for pk, version in versions.items():
            shown = str(version.inscrits) in html
            assert shown == (pk == result.published_id), (url, actions, result.state)


def test_a_round_in_preparation_without_candidates_or_bureaux_still_answers(client, night):
    election = make_election(
        night.territory["arcachon"], slug="referendum-arcachon", title="Référendum", candidates=[]
    )
    round = election.rounds.get()
    for address in (
        round_url(round),
        round_url(round, "elections:widget", kind="resume"),
        round_url(round, "elections:widget", kind="carte"),
        round_url(round, "api:election_round_results"),
        round_url(round, "api:election_round_csv"),
        round_url(round, "api:election_round_geojson"),
    ):
        response = client.get(address)
        assert response.status_code == 200, address
    assert "En préparation" in text_of(client.get(round_url(round)))

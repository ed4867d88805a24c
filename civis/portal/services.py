"""Writes of the portal: the site's home page and the authority pages built from the territory."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from wagtail.models import Page, Site

from civis.portal.models import AuthorityPage, CitizenSpaceVisit, HomePage
from core.transactions import service
from identity.models import Authority, User


@transaction.atomic
def home_page_ensure(*, title: str, territory: Authority | None) -> HomePage:
    """The site's single home page, created on first run and made the default site's root."""
    home: HomePage | None = HomePage.objects.first()  # wagtail's Page is untyped
    if home is None:
        home = HomePage(title=title, slug="accueil", territory=territory)
        Page.get_first_root_node().add_child(instance=home)
    elif home.territory_id != (territory.pk if territory else None) or home.title != title:
        home.title = title
        home.territory = territory
        home.save()
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost", port=80, root_page=home, is_default_site=True, site_name=title
        )
    elif site.root_page_id != home.pk:
        previous_root = site.root_page
        site.root_page = home
        site.site_name = title
        site.save()
        # Wagtail's initial "Welcome" page is only a placeholder; drop it once replaced.
        if previous_root.specific_class is Page and previous_root.depth == 2:
            previous_root.delete()
    return home


def _unique_slug(authority: Authority, taken: set[str]) -> str:
    base = slugify(authority.name) or authority.kind
    slug = base if base not in taken else f"{base}-{authority.code}"
    taken.add(slug)
    return slug


def _top_down(authorities: Iterable[Authority]) -> list[Authority]:
    """Parents before children, so every page's parent page exists when it is placed."""
    by_depth: dict[int, list[Authority]] = {}
    for authority in authorities:
        depth, node = 0, authority
        while depth < 8 and (parent := node.parent) is not None:
            depth += 1
            node = parent
        by_depth.setdefault(depth, []).append(authority)
    return [a for depth in sorted(by_depth) for a in sorted(by_depth[depth], key=lambda a: a.name)]


@transaction.atomic
def authority_pages_sync(*, home: HomePage, authorities: Iterable[Authority]) -> dict[str, int]:
    """Create, rename or move one page per authority so the page tree mirrors the territory.

    Pages nest like the territory (région / EPCI / commune), under the home page. Idempotent:
    a second run changes nothing. Content written by agents on a page (its introduction) is kept.
    """
    counts = {"created": 0, "updated": 0, "moved": 0}
    ordered = _top_down(
        Authority.objects.filter(pk__in=[a.pk for a in authorities]).select_related(
            "parent__parent__parent"
        )
    )
    pages = {
        p.authority_id: p
        for p in AuthorityPage.objects.filter(authority__in=[a.pk for a in ordered])
    }
    slugs_by_parent: dict[int, set[str]] = {}

    def taken_slugs(parent: Page) -> set[str]:
        if parent.pk not in slugs_by_parent:
            slugs_by_parent[parent.pk] = set(parent.get_children().values_list("slug", flat=True))
        return slugs_by_parent[parent.pk]

    for authority in ordered:
        parent_page: Page = home
        if authority.parent_id is not None:
            parent_page = (
                pages.get(authority.parent_id)
                or AuthorityPage.objects.filter(authority_id=authority.parent_id).first()
                or home
            )
        page = pages.get(authority.pk)
        if page is None:
            description = _("Documents et services de %(name)s") % {"name": authority.name}
            page = AuthorityPage(
                title=authority.name,
                authority=authority,
                slug=_unique_slug(authority, taken_slugs(parent_page)),
                search_description=description,
            )
            parent_page.add_child(instance=page)
            pages[authority.pk] = page
            counts["created"] += 1
            continue
        if page.get_parent().pk != parent_page.pk:
            page.move(parent_page, pos="last-child")
            page.refresh_from_db()
            counts["moved"] += 1
        if page.title != authority.name:
            page.title = authority.name
            page.save()
            counts["updated"] += 1
    return counts


@service
def citizen_space_visit_record(
    *, actor: User, now: datetime.datetime | None = None
) -> datetime.datetime | None:
    """Remember that ``actor`` opened their space now; answer when they had come before.

    One row per person, only the time of the last visit (nothing about what was read): the
    least the "new since your last visit" message needs. Not audited: it is the person's own
    bookkeeping, not an access to anyone's data.
    """
    when = now or timezone.now()
    visit = CitizenSpaceVisit.objects.select_for_update().filter(user=actor).first()
    if visit is None:
        CitizenSpaceVisit.objects.create(user=actor, seen_at=when)
        return None
    previous = visit.seen_at
    visit.seen_at = when
    visit.save(update_fields=["seen_at"])
    return previous

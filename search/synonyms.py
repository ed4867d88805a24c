"""The French synonym list: equivalent expressions a search for one of them also finds
("cantine" finds "restauration scolaire"), built in (``BUILT_IN``) and extended by the
publishers in the admin (``SearchSynonym``, search/admin/).

Expansion happens at query time only (search.french.parse_query), the same way on every
backend: nothing is reindexed when the list changes. The stored list is read once per process
and kept ``CACHE_SECONDS``; a change made through ``synonym_save`` / ``synonym_delete`` is
seen at once by the process that made it, by the others within ``CACHE_SECONDS``.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from core.transactions import service
from documents.selectors import authorities_publishable_by
from identity.models import User
from search.french import SynonymIndex, analyse
from search.models import SearchSynonym

logger = logging.getLogger(__name__)

# French administrative vocabulary: what citizens type, and what the documents say.
BUILT_IN: tuple[tuple[str, ...], ...] = (
    ("cantine", "restauration scolaire", "restaurant scolaire"),
    ("mairie", "hôtel de ville"),
    ("PLU", "plan local d'urbanisme"),
    ("CCAS", "centre communal d'action sociale"),
    ("déchetterie", "déchèterie"),
    ("EHPAD", "maison de retraite"),
    ("centre de loisirs", "accueil de loisirs", "ALSH"),
    ("PMI", "protection maternelle et infantile"),
)
MAX_LENGTH = 300  # SearchSynonym.terms
SEPARATORS = re.compile(r"[,;\n]")
CACHE_SECONDS = 60

_lock = threading.Lock()
_cached: tuple[float, SynonymIndex] | None = None


def split_terms(terms: str) -> list[str]:
    """The expressions of a stored line, as written (blanks collapsed, empty ones out)."""
    return [" ".join(part.split()) for part in SEPARATORS.split(terms) if part.strip()]


def stored_groups() -> list[list[str]]:
    return [split_terms(terms) for terms in SearchSynonym.objects.values_list("terms", flat=True)]


def groups() -> list[list[str]]:
    """Every synonym group: the built-in ones, then the stored ones."""
    return [list(g) for g in BUILT_IN] + stored_groups()


def _merged(found: list[list[str]]) -> list[list[str]]:
    """Groups sharing an expression (by its analysed form) are one group: "mairie, hôtel de
    ville" and "mairie, maison commune" make "mairie" find both."""
    merged: list[tuple[set[tuple[str, ...]], list[str]]] = []
    for expressions in found:
        forms = {tuple(analyse(e)) for e in expressions} - {()}
        touching = [m for m in merged if m[0] & forms]
        keys, texts = set(forms), list(expressions)
        for m in touching:
            keys |= m[0]
            texts = [*m[1], *(t for t in texts if t not in m[1])]
            merged.remove(m)
        merged.append((keys, texts))
    return [texts for _keys, texts in merged]


def synonym_index() -> SynonymIndex:
    """The list, ready for parse_query: read at most every CACHE_SECONDS per process. When the
    stored list cannot be read (the table not migrated yet, no database here), the built-in
    list alone: a search never fails for its synonyms."""
    global _cached
    now = time.monotonic()
    cached = _cached
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    with _lock:
        try:
            with transaction.atomic():  # a savepoint: a failed read leaves the caller's intact
                found = groups()
        except DatabaseError as error:
            logger.warning("Search synonyms: the stored list is unreadable (%s)", error)
            found = [list(g) for g in BUILT_IN]
        except RuntimeError:  # no database access from here (a pure compilation, in tests)
            found = [list(g) for g in BUILT_IN]
        index = SynonymIndex(_merged(found))
        _cached = (now, index)
        return index


def clear_cache() -> None:
    global _cached
    _cached = None


# --- who may change the list, and the changes ------------------------------------------------


def may_edit_synonyms(user: Any) -> bool:
    """Publishers (of at least one authority) and superusers: "the publishers can extend"."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return authorities_publishable_by(user).exists()


def clean_terms(terms: str) -> str:
    """The line as stored ("a, b c"), or a French ValidationError on ``terms``."""
    expressions = split_terms(terms or "")
    stored = ", ".join(expressions)
    if len(stored) > MAX_LENGTH:
        raise ValidationError(
            {
                "terms": _("La liste est trop longue (%(max)d caractères au plus).")
                % {"max": MAX_LENGTH}
            }
        )
    empty = [e for e in expressions if not analyse(e)]
    if empty:
        raise ValidationError(
            {
                "terms": _(
                    "« %(expression)s » ne contient aucun mot recherchable (seulement des mots "
                    "trop courants ou de la ponctuation)."
                )
                % {"expression": empty[0]}
            }
        )
    if len({tuple(analyse(e)) for e in expressions}) < 2:
        raise ValidationError(
            {
                "terms": _(
                    "Indiquez au moins deux expressions différentes, séparées par des virgules "
                    "(par exemple « cantine, restauration scolaire »)."
                )
            }
        )
    return stored


def _check_may_edit(actor: User | AnonymousUser | None) -> None:
    if not may_edit_synonyms(actor):
        raise PermissionDenied(
            _("Seuls les agents qui publient pour une collectivité modifient les synonymes.")
        )


def _changed() -> None:
    # At once for this process (its next query re-reads the list inside this transaction), and
    # again after commit, for a read made meanwhile.
    clear_cache()
    transaction.on_commit(clear_cache)


@service
def synonym_save(
    *, actor: User | AnonymousUser | None, synonym: SearchSynonym | None = None, terms: str
) -> SearchSynonym:
    """Add a group of equivalent expressions (``synonym`` None) or change one."""
    _check_may_edit(actor)
    cleaned = clean_terms(terms)
    creating = synonym is None
    if synonym is None:
        synonym = SearchSynonym(created_by=actor if isinstance(actor, User) else None)
    previous = synonym.terms
    synonym.terms = cleaned
    synonym.save()
    detail: dict[str, Any] = {"synonym": synonym.pk, "terms": cleaned}
    if not creating:
        detail["previous"] = previous
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE if creating else AuditEvent.Action.UPDATE,
        what="search_synonym",
        **detail,
    )
    _changed()
    return synonym


@service
def synonym_delete(*, actor: User | AnonymousUser | None, synonym: SearchSynonym) -> None:
    _check_may_edit(actor)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.WITHDRAW,
        what="search_synonym",
        synonym=synonym.pk,
        terms=synonym.terms,
    )
    synonym.delete()
    _changed()

"""« Vouliez-vous dire … ? » and autocomplete, from the index's own vocabulary, trimmed.

The vocabulary is the database index's list of terms (SQLite: an ``fts5vocab`` view of
``search_fts``; PostgreSQL: ``ts_stat`` over the vectors), kept in memory per process for a
few minutes (``CIVIS_SEARCH_VOCABULARY_SECONDS``). It holds every document's terms, readable
or not, so it only *proposes*: a term is offered to a requester only through the words of
documents that requester may read, found by the same trimmed full-text match as the search
(search.principals) and loaded through documents.selectors.documents_visible_to, and every
corrected query is checked with the search itself. A word found only in an unreadable
document is therefore never shown, not even in its accented form.

Terms are analysed (search.french: folded, lightly stemmed; on PostgreSQL also through the
snowball stemmer, so "délibération" is "deliber"): the words shown are taken from the readable
documents' own text, with their accents, and the closest to what was typed is chosen.
No extension is needed (pg_trgm may be missing): edit distances are computed here, over the
terms of about the same length (or, for stems shorter than the word, over its beginning).
"""

from __future__ import annotations

import bisect
import re
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypedDict

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Count, Max

from documents.models import Document, DocumentType
from documents.selectors import documents_visible_to
from identity.models import Authority, User
from search.backends import database_backend
from search.french import STOP_WORDS, analyse, fold
from search.models import SearchEntry
from search.principals import requester_principals
from search.query import SearchQuery

MAX_SUGGESTIONS = 3
# A query with fewer results than this gets suggestions; a word in fewer readable documents
# than this is one to correct.
FEW_RESULTS = 3
MIN_WORD_LENGTH = 4  # shorter words are not corrected (too many neighbours)
MIN_PREFIX_LENGTH = 2
CANDIDATE_TERMS = 6  # index terms looked up (one trimmed query each) per word
DOCUMENTS_PER_TERM = 3  # readable documents read to find a term's written forms
MAX_AUTHORITIES = 3
AUTHORITY_KINDS = (
    Authority.Kind.COMMUNE,
    Authority.Kind.EPCI,
    Authority.Kind.DEPARTEMENT,
    Authority.Kind.REGION,
)
DEFAULT_VOCABULARY_SECONDS = 300
TERM = re.compile(r"[a-z]{2,}")  # vocabulary terms worth proposing (no numbers)
# A written word: letters (with accents) and digits; apostrophes and hyphens split words, as
# they do in search.french.
SURFACE_WORD = re.compile(r"[^\W_]+")
TYPE_LABELS = dict(DocumentType.choices)

type Requester = User | AnonymousUser | None


class AutocompleteItem(TypedDict):
    kind: str  # "word" | "authority"
    label: str
    value: str
    url: str | None
    detail: str  # the authority's kind ("Commune"), empty for a word


# --- edit distance ------------------------------------------------------------------------
def distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of ``a`` and ``b``, or ``limit + 1`` when it is above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return min(previous[-1], limit + 1)


def allowed_distance(word: str) -> int:
    return 0 if len(word) < MIN_WORD_LENGTH else 1 if len(word) == MIN_WORD_LENGTH else 2


# --- the vocabulary -----------------------------------------------------------------------
@dataclass
class Vocabulary:
    counts: dict[str, int]  # index term -> number of documents (all of them)
    by_length: dict[int, list[str]] = field(default_factory=dict)
    ordered: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for term in self.counts:
            self.by_length.setdefault(len(term), []).append(term)
        self.ordered = sorted(self.counts)

    def close_to(self, term: str) -> list[tuple[int, str]]:
        """(score, term) of the terms within reach of ``term``: whole terms within the allowed
        distance, then stems shorter than it that its beginning nearly spells (the
        stemmer strips suffixes of real words only: "deliberaton" stays whole, while
        "délibération" is indexed as "deliber")."""
        limit = allowed_distance(term)
        if not limit:
            return []
        found: list[tuple[int, str]] = []
        letters = set(term)
        for length in range(len(term) - limit, len(term) + limit + 1):
            for other in self.by_length.get(length, ()):
                # One edit changes at most two letters of the set: a cheap bound first.
                if (
                    other != term
                    and (other[0] == term[0] or other[1] == term[1])
                    and len(letters.symmetric_difference(other)) <= 2 * limit
                ):
                    d = distance(term, other, limit)
                    if d <= limit:
                        found.append((d, other))
        for length in range(max(MIN_WORD_LENGTH + 1, len(term) - 6), len(term) - limit):
            head = term[:length]
            for other in self.by_length.get(length, ()):
                if other[0] == head[0] and distance(head, other, 1) <= 1:
                    found.append((limit + 1 + distance(head, other, 1), other))
        return found

    def starting_with(self, prefix: str) -> list[str]:
        """Terms starting with ``prefix``, and terms ``prefix`` starts with (the stem of a word
        being typed is often shorter than what is already typed)."""
        out = [
            t for t in (prefix[:n] for n in range(MIN_WORD_LENGTH, len(prefix))) if t in self.counts
        ]
        lo = bisect.bisect_left(self.ordered, prefix)
        while lo < len(self.ordered) and self.ordered[lo].startswith(prefix):
            out.append(self.ordered[lo])
            lo += 1
        return out


_vocabularies: dict[str, tuple[float, tuple[int, int], Vocabulary]] = {}
_lock = threading.Lock()


def _stamp() -> tuple[int, int]:
    """Changes when documents are added to or removed from the index."""
    row = SearchEntry.objects.aggregate(n=Count("pk"), m=Max("document_id"))
    return int(row["n"] or 0), int(row["m"] or 0)


def _read_terms() -> dict[str, int]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT word, ndoc FROM ts_stat('SELECT vector FROM search_searchentry')"
            )
        else:
            # A view of the FTS5 table's own term index, per connection (no schema change).
            cursor.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_fts_vocab "
                "USING fts5vocab(main, search_fts, 'col')"
            )
            cursor.execute(
                "SELECT term, SUM(doc) FROM temp.search_fts_vocab "
                "WHERE col IN ('title', 'meta', 'body') GROUP BY term"
            )
        rows = cursor.fetchall()
    return {str(term): int(n) for term, n in rows if TERM.fullmatch(str(term))}


def vocabulary() -> Vocabulary:
    """The index's terms, rebuilt when the index changed and the copy is old enough."""
    seconds = getattr(settings, "CIVIS_SEARCH_VOCABULARY_SECONDS", DEFAULT_VOCABULARY_SECONDS)
    key = f"{connection.alias}:{connection.vendor}:{connection.settings_dict.get('NAME')}"
    stamp = _stamp()
    with _lock:
        kept = _vocabularies.get(key)
    if kept is not None:
        built_at, kept_stamp, vocab = kept
        if kept_stamp == stamp or time.monotonic() - built_at < seconds:
            return vocab
    vocab = Vocabulary(_read_terms())
    with _lock:
        _vocabularies[key] = (time.monotonic(), stamp, vocab)
    return vocab


# --- index terms of written words ---------------------------------------------------------
def index_terms(words: Iterable[str]) -> dict[str, str]:
    """The index term of each written word ("" for a stop word), as the database backend
    indexes it: search.french.analyse, then PostgreSQL's snowball stemmer there."""
    analysed = {}
    for word in set(words):
        terms = analyse(word)
        analysed[word] = terms[0] if len(terms) == 1 else ""
    if connection.vendor != "postgresql":
        return analysed
    plain = sorted({t for t in analysed.values() if t.isalpha()})
    stems: dict[str, str] = {}
    if plain:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT w, ts_lexize('french_stem', w) FROM unnest(%s::text[]) AS w", [plain]
            )
            for word, lexemes in cursor.fetchall():
                stems[word] = lexemes[0] if lexemes else ""
    return {w: stems.get(t, t) for w, t in analysed.items()}


# --- readable documents holding a term ----------------------------------------------------
def _documents_with_term(term: str, principals: frozenset[str] | None, limit: int) -> list[int]:
    """Ids of documents ``principals`` may read whose title, meta or body hold the index
    term ``term``, trimmed by the backend's own permission test."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from search.backends.postgres import PostgresBackend

            readable, params, _ranked = PostgresBackend()._matches(SearchQuery(), principals)
            cursor.execute(
                f"SELECT m.id FROM ({readable}) m JOIN search_searchentry v "  # noqa: S608
                "ON v.document_id = m.id WHERE v.vector @@ CAST(%s AS tsquery) LIMIT %s",
                [*params, f"'{term}'", limit],
            )
        else:
            from search.backends.sqlite import SqliteBackend

            expression = "{title meta body} : " + f'"{term}"'
            if trimming := SqliteBackend.match_expression(SearchQuery(), principals):
                expression += " AND " + trimming
            cursor.execute(
                "SELECT rowid FROM search_fts WHERE search_fts MATCH %s LIMIT %s",
                [expression, limit],
            )
        return [int(row[0]) for row in cursor.fetchall()]


@dataclass
class Reader:
    """One requester's view: their principals, and what was read for them in this call."""

    user: Requester
    principals: frozenset[str] | None
    forms: dict[str, Counter[str]] = field(default_factory=dict)

    def total(self, text: str) -> int:
        """Readable documents the search finds for ``text`` (the database index)."""
        query = SearchQuery(text=text, page_size=1)
        return database_backend().search(query, self.principals).total

    def written_forms(self, term: str) -> Counter[str]:
        """How the readable documents holding ``term`` write it ("Délibération": 2, …)."""
        if term in self.forms:
            return self.forms[term]
        ids = _documents_with_term(term, self.principals, DOCUMENTS_PER_TERM)
        words: Counter[str] = Counter()
        for text in _indexed_texts(self.user, ids):
            words.update(SURFACE_WORD.findall(text))
        head = term[:3]
        plausible = [w for w in words if _fold(w).startswith(head)]
        terms = index_terms(plausible)
        found = Counter({w: words[w] for w in plausible if terms.get(w) == term})
        self.forms[term] = found
        return found


def _fold(word: str) -> str:
    return fold(word)


def _indexed_texts(user: Requester, ids: list[int]) -> list[str]:
    """The indexed text (title, meta, body: search.indexing) of the documents among ``ids``
    that ``user`` may read."""
    if not ids:
        return []
    rows = list(
        documents_visible_to(user)
        .filter(pk__in=ids)
        .values_list("pk", "title", "summary", "extracted_text", "owner__name", "document_type")
    )
    tags: dict[int, list[str]] = {}
    for doc_id, name in Document.tags.through.objects.filter(
        content_object_id__in=[r[0] for r in rows]
    ).values_list("content_object_id", "tag__name"):
        tags.setdefault(doc_id, []).append(name)
    return [
        "\n".join(
            [title, owner, str(TYPE_LABELS.get(kind, "")), *tags.get(pk, []), summary, text or ""]
        )
        for pk, title, summary, text, owner, kind in rows
    ]


def display_form(forms: Counter[str]) -> str:
    """The usual way of writing one word: lower case when the documents ever write it so
    ("Délibération" in a title, "délibération" in the text), else its usual capitalisation
    ("Mérignac")."""
    lower = Counter({w: n for w, n in forms.items() if w == w.lower()})
    chosen = lower or forms
    return max(sorted(chosen), key=lambda w: chosen[w])


# --- « Vouliez-vous dire … ? » ------------------------------------------------------------
def _corrections(reader: Reader, vocab: Vocabulary, word: str, count: int) -> list[str]:
    """Written words of readable documents close to ``word``, best first."""
    typed = _fold(word)
    limit = allowed_distance(typed)
    own = index_terms([word]).get(word, "")
    if not limit or not own:
        return []
    candidates = sorted(vocab.close_to(own), key=lambda c: (c[0], -vocab.counts[c[1]], c[1]))
    scored: dict[str, tuple[int, int]] = {}
    for _score, term in candidates[:CANDIDATE_TERMS]:
        by_fold: dict[str, Counter[str]] = {}
        for form, n in reader.written_forms(term).items():
            by_fold.setdefault(_fold(form), Counter())[form] += n
        for folded, forms in by_fold.items():
            d = distance(typed, folded, limit)
            if folded != typed and d <= limit:
                shown = display_form(forms)
                best = scored.get(shown)
                rank = (d, -forms.total())
                if best is None or rank < best:
                    scored[shown] = rank
    ranked = sorted(scored, key=lambda w: (*scored[w], w))
    # A cut-off word of some text ("délibérati") is no suggestion beside the whole one.
    kept = [w for w in ranked if not any(o != w and _fold(o).startswith(_fold(w)) for o in ranked)]
    return [w for w in kept if reader.total(w) > count]


def suggest_query(user: Requester, text: str, *, total: int | None = None) -> list[str]:
    """Up to three corrected queries for a query with no or few results (``total``: its
    number of results when the caller knows it), each changing the rare words typed into
    words of documents the requester may read, and each finding at least one of them."""
    text = (text or "").strip()
    reader = Reader(user, requester_principals(user))
    if not text or (total if total is not None else reader.total(text)) >= FEW_RESULTS:
        return []
    vocab = vocabulary()
    replacements: list[tuple[re.Match[str], list[str]]] = []
    for match in SURFACE_WORD.finditer(text):
        word = match.group()
        if word == "OR" or _fold(word) in STOP_WORDS or len(word) < MIN_WORD_LENGTH:
            continue
        count = reader.total(word)
        if count >= FEW_RESULTS:
            continue
        if corrections := _corrections(reader, vocab, word, count):
            replacements.append((match, corrections))
    if not replacements:
        return []
    # Every rare word by its best correction, then the second and third best of each.
    variants = [[c[0] for _, c in replacements]]
    for index, (_match, corrections) in enumerate(replacements):
        for other in corrections[1:MAX_SUGGESTIONS]:
            variant = list(variants[0])
            variant[index] = other
            variants.append(variant)
    out: list[str] = []
    for variant in variants:
        corrected = _replace(text, [m for m, _ in replacements], variant)
        if corrected not in out and reader.total(corrected) > 0:
            out.append(corrected)
        if len(out) == MAX_SUGGESTIONS:
            break
    return out


def _replace(text: str, matches: list[re.Match[str]], words: list[str]) -> str:
    out, last = [], 0
    for match, word in zip(matches, words, strict=True):
        out += [text[last : match.start()], word]
        last = match.end()
    return "".join([*out, text[last:]])


# --- autocomplete -------------------------------------------------------------------------
def _portal_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())


def _authorities(text: str, prefix: str, limit: int) -> list[AutocompleteItem]:
    wanted = _portal_fold(text)
    if len(prefix) < MIN_PREFIX_LENGTH and len(wanted) < MIN_PREFIX_LENGTH:
        return []
    starts = {wanted, prefix} - {""}
    # Names are folded here (accents, hyphens), so the database only narrows by the first
    # letters, with and without an accent.
    firsts = "".join(sorted({s[0] + _ACCENTED.get(s[0], "") for s in starts}))
    rows = Authority.objects.filter(
        kind__in=AUTHORITY_KINDS, name__iregex=f"^[{re.escape(firsts)}]"
    )
    found: list[tuple[int, int, str, Authority]] = []
    for authority in rows.select_related("portal_page").order_by("name")[:5000]:
        name = _portal_fold(authority.name)
        if name.startswith(wanted):
            rank = 0
        elif prefix and name.startswith(prefix):
            rank = 1
        else:
            continue
        found.append((rank, -(authority.population or 0), name, authority))
    found.sort(key=lambda item: item[:3])
    kinds = dict(Authority.Kind.choices)
    return [
        AutocompleteItem(
            kind="authority",
            label=a.name,
            value=a.name,
            url=_authority_url(a),
            detail=str(kinds.get(a.kind, "")),
        )
        for _rank, _population, _name, a in found[:limit]
    ]


_ACCENTED = {
    "a": "àâäáãå",
    "c": "ç",
    "e": "éèêë",
    "i": "îïíì",
    "o": "ôöóòõ",
    "u": "ùûüú",
    "y": "ÿ",
}


def _authority_url(authority: Authority) -> str | None:
    page: Any = getattr(authority, "portal_page", None)
    if page is None:
        return None
    url = page.get_url()
    return str(url) if url else None


def autocomplete(user: Requester, text: str, limit: int = 8) -> list[AutocompleteItem]:
    """Words of documents the requester may read that start like the last word typed, then
    authorities whose name starts like the text (or its last word)."""
    text = (text or "")[:200]
    words = SURFACE_WORD.findall(text)
    prefix = _fold(words[-1]) if words and not text[-1:].isspace() else ""
    authorities = _authorities(text, prefix, min(MAX_AUTHORITIES, limit))
    items: list[AutocompleteItem] = []
    if len(prefix) >= MIN_PREFIX_LENGTH and prefix not in STOP_WORDS:
        reader = Reader(user, requester_principals(user))
        vocab = vocabulary()
        terms = vocab.starting_with(prefix)
        terms.sort(key=lambda t: (-vocab.counts[t], t))
        wanted = limit - len(authorities)
        shown: dict[str, int] = {}
        for term in terms[: wanted * 2]:
            by_fold: dict[str, Counter[str]] = {}
            for form, n in reader.written_forms(term).items():
                if _fold(form).startswith(prefix):
                    by_fold.setdefault(_fold(form), Counter())[form] += n
            for forms in by_fold.values():
                word = display_form(forms)
                shown[word] = shown.get(word, 0) + forms.total()
            if len(shown) >= wanted:
                break
        for word in sorted(shown, key=lambda w: (-shown[w], w))[:wanted]:
            items.append(AutocompleteItem(kind="word", label=word, value=word, url=None, detail=""))
    return items + authorities

"""Highlighted extracts: the passage of a document's text that best matches the query.

Built in Python from the analysed words (search.french), so every backend highlights the same
way, and escaped here: the result is safe HTML with <mark> around matching words only.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from search.french import ABBREVIATIONS, APOSTROPHES, ELISION, STOP_WORDS, fold, stem

TOKEN = re.compile(rf"\w+(?:[{APOSTROPHES}]\w+)?")
SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
WIDTH = 240
SCANNED = 20_000  # characters searched for the passage: enough, and bounded for big files


@lru_cache(maxsize=50_000)  # the same few thousand words recur in every document
def _stem_of(word: str) -> str:
    bare = ELISION.sub("", fold(word))
    bare = ABBREVIATIONS.get(bare, bare)
    return "" if bare in STOP_WORDS else stem(bare)


def snippet(text: str, stems: set[str], width: int = WIDTH) -> SafeString:
    """The best sentence (most distinct query words), trimmed to ``width``, words marked."""
    text = " ".join(text[:SCANNED].split())
    if not text:
        return mark_safe("")
    best, best_score = "", -1
    for sentence in SENTENCE.split(text):
        found = {_stem_of(m.group()) for m in TOKEN.finditer(sentence)} & stems
        if len(found) > best_score:
            best, best_score = sentence, len(found)
            if len(found) == len(stems):
                break
    if best_score <= 0:
        best = text
    if len(best) > width:
        first = next((m.start() for m in TOKEN.finditer(best) if _stem_of(m.group()) in stems), 0)
        start = max(0, min(first - width // 4, len(best) - width))
        best = ("…" if start else "") + best[start : start + width] + "…"
    out, last = [], 0
    for match in TOKEN.finditer(best):
        if _stem_of(match.group()) in stems:
            out += [escape(best[last : match.start()]), "<mark>", escape(match.group()), "</mark>"]
            last = match.end()
    out.append(escape(best[last:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece is escaped above

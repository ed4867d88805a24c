"""French text analysis shared by every backend: folding, elisions, stop words, a light stemmer.

SQLite's FTS5 knows no French, so the database backend indexes the output of ``analyse``; the
same function runs on queries, so both sides always agree. Snippets use it on every backend to
decide which words to highlight. The stemmer is deliberately light (plurals, feminine forms,
participles): aggressive stemming conflates unrelated administrative words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

APOSTROPHES = "'\u2019"  # straight and typographic
ELISION = re.compile(rf"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)[{APOSTROPHES}]")
WORD = re.compile(r"[0-9a-z]+")
PHRASE = re.compile(r'"([^"]*)"|«([^»]*)»|“([^”]*)”')

_STOP_WORDS = (  # folded, as the text they are removed from
    "a ai aie au aux avec ce ces cet cette ceci cela dans de "
    "des du elle elles en es est et etre eu eux il ils je la le les leur leurs lui ma mais "
    "me meme mes moi mon ne ni nos notre nous on ont ou par pas pour qu que quel quelle "
    "quelles quels qui sa sans se ses si son sont sur ta te tes toi ton tu un une vos "
    "votre vous y ete etaient etait etant c d j l m n s t"
)
STOP_WORDS = frozenset(_STOP_WORDS.split())

# Written short, meant long: "St-Médard-en-Jalles" is "Saint-Médard-en-Jalles".
ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
# Plurals the stemmer's rules miss ("-ail" → "-aux"); "-al" → "-aux" is a rule of stem().
IRREGULAR = {
    "travaux": "travail",
    "baux": "bail",
    "emaux": "email",
    "vitraux": "vitrail",
    "coraux": "corail",
    "soupiraux": "soupirail",
    "vantaux": "vantail",
    "yeux": "oeil",
}
# "P.L.U." is "PLU"; "PLUi" (an acronym and a lower-case suffix: intercommunal) is also "PLU";
# "n° 12", "n°12", "No 12" is one token "n12" (the "n" alone would be a stop word, and "12"
# alone matches every twelve).
DOTTED_ACRONYM = re.compile(r"\b(?:[A-Za-z]\.){2,}(?:[A-Za-z]\b)?")
SUFFIXED_ACRONYM = re.compile(r"\b([A-Z]{2,6})([a-z][A-Za-z]?)\b")
NUMERO = re.compile(r"\b[nN](?:°|º|o\b\.?|°\.)\s?(\d{1,9})\b")


def fold(text: str) -> str:
    """Lower case without accents or ligatures: 'Délibération' -> 'deliberation'."""
    text = text.lower().replace("œ", "oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=200_000)  # a corpus reuses a few tens of thousands of words
def stem(word: str) -> str:
    """A light French stemmer (plural, feminine and participle endings only)."""
    if len(word) < 4 or word.isdigit():
        return word
    if word in IRREGULAR:
        return IRREGULAR[word]
    # Feminine agent nouns: "électrice(s)" is "électeur", "directrice" is "directeur".
    if word.endswith("trices"):
        word = word[:-6] + "teurs"
    elif word.endswith("trice"):
        word = word[:-5] + "teur"
    if word.endswith("eaux"):
        word = word[:-1]
    elif word.endswith("aux") and len(word) > 4:
        word = word[:-3] + "al"
    elif word.endswith(("s", "x")) and not word.endswith("ss"):
        word = word[:-1]
    if word.endswith("ee"):
        word = word[:-1]
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    if word.endswith("er") and len(word) > 5:
        word = word[:-2]
    return word


def _prepare(text: str) -> str:
    """What must be read before case and punctuation go: acronyms and "n°"."""
    text = DOTTED_ACRONYM.sub(lambda m: m.group().replace(".", ""), text)
    text = SUFFIXED_ACRONYM.sub(lambda m: f"{m.group()} {m.group(1)}", text)
    return NUMERO.sub(lambda m: f" n{m.group(1)} ", text)


def words(text: str) -> list[str]:
    """Folded words with elisions removed, stop words kept (for phrase display); "St" is
    "saint", "n° 12" one word "n12"."""
    found = WORD.findall(ELISION.sub(" ", fold(_prepare(text))))
    return [ABBREVIATIONS.get(w, w) for w in found]


def analyse(text: str) -> list[str]:
    """Index terms of a text: folded, elisions and stop words removed, stemmed."""
    return [stem(w) for w in words(text) if w not in STOP_WORDS]


# An alternative: one analysed form of a synonym group (a term, or the words of a phrase).
type Form = tuple[str, ...]


@dataclass(frozen=True)
class ParsedQuery:
    """What the user typed: loose terms (all required), exact phrases (in quotes), and
    synonym groups (``alternatives``, each required: any one of its forms).

    A word or a run of consecutive words (outside quotes) that is an expression of the synonym
    list (search.synonyms) leaves ``terms`` for an alternative: "cantine Mérignac" is
    (cantine OR "restauration scolaire" OR "restaurant scolaire") AND merignac. Quoted
    passages are exact: never expanded."""

    terms: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    raw_words: tuple[str, ...] = field(default=())  # folded, for the database's own parser
    # Each group's analysed forms (one-word forms are terms, longer ones phrases) …
    alternatives: tuple[tuple[Form, ...], ...] = ()
    # … and the same group as written in the list, for an engine that analyses text itself.
    alternative_texts: tuple[tuple[str, ...], ...] = ()
    # The unquoted words (folded, stop words out) no group took, for such an engine too.
    loose_words: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.terms and not self.phrases and not self.alternatives

    def stems(self) -> set[str]:
        return (
            set(self.terms)
            | {t for p in self.phrases for t in p}
            | {t for group in self.alternatives for form in group for t in form}
        )


class SynonymIndex:
    """Synonym groups ready for matching: each analysed form to its group (forms and the
    expressions as written)."""

    def __init__(self, groups: list[list[str]]) -> None:
        self.groups: list[tuple[tuple[Form, ...], tuple[str, ...]]] = []
        self.by_form: dict[Form, int] = {}
        self.longest = 0
        for expressions in groups:
            forms: list[Form] = []
            texts: list[str] = []
            for expression in expressions:
                form = tuple(analyse(expression))
                if form and form not in forms:
                    forms.append(form)
                    texts.append(" ".join(expression.split()))
            if len(forms) < 2:
                continue
            index = len(self.groups)
            self.groups.append((tuple(forms), tuple(texts)))
            for form in forms:
                self.by_form.setdefault(form, index)
                self.longest = max(self.longest, len(form))


EMPTY_SYNONYMS = SynonymIndex([])


def parse_query(text: str, synonyms: SynonymIndex | None = None) -> ParsedQuery:
    """``synonyms``: the list to expand with; by default search.synonyms' (built in, and the
    publishers' from the database)."""
    if synonyms is None:
        from search.synonyms import synonym_index  # the list reads the database

        synonyms = synonym_index()
    phrases: list[tuple[str, ...]] = []

    def keep(match: re.Match[str]) -> str:
        inner = next(g for g in match.groups() if g is not None)
        terms = tuple(analyse(inner))
        if len(terms) > 1:
            phrases.append(terms)
            return " "
        return f" {inner} "  # a one-word "phrase" is just a word

    rest = PHRASE.sub(keep, text)
    typed = [w for w in words(rest.replace('"', " ")) if w not in STOP_WORDS]
    stems = [stem(w) for w in typed]
    terms: list[str] = []
    loose: list[str] = []
    chosen: list[int] = []
    i = 0
    while i < len(stems):
        for size in range(min(synonyms.longest, len(stems) - i), 0, -1):  # longest first
            group = synonyms.by_form.get(tuple(stems[i : i + size]))
            if group is not None:
                if group not in chosen:
                    chosen.append(group)
                i += size
                break
        else:
            if stems[i] not in terms:
                terms.append(stems[i])
            loose.append(typed[i])
            i += 1
    return ParsedQuery(
        tuple(terms),
        tuple(phrases),
        tuple(words(text)),
        alternatives=tuple(synonyms.groups[g][0] for g in chosen),
        alternative_texts=tuple(synonyms.groups[g][1] for g in chosen),
        loose_words=tuple(loose),
    )

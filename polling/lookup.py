"""The decision, given what is known of one street: which bureau, how sure, and why.

Pure functions over plain rows, so that the rule is read in one place; ``polling.selectors``
fetches the rows and calls ``decide``. The order is the issue's, from the most to the least
sure, and every step prefers no answer to a wrong one:

1. the exact address (number and repetition index) is in the commune's assignment, in one
   bureau → *certain* (unless an arrêté's street-range rule says otherwise: then no answer);
2. a street-range rule of an arrêté covers the number → *certain (arrêté)*;
3. the same number with another repetition index (12 for 12 bis), all in one bureau →
   *probable*;
4. the nearest known numbers on the same side of the street (same parity), on both sides of
   the number, all in one bureau → *probable*, with the numbers relied on; when they disagree,
   or when the number lies beyond the last known one, no answer, the candidate bureaux listed;
5. no number: the whole street in one bureau → *probable*; otherwise the candidates.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from polling.normalize import ParsedAddress

CERTAIN = "certain"
CERTAIN_RULE = "certain_arrete"
PROBABLE = "probable"
NONE = "none"

# How many known numbers on each side of an unknown one must agree.
NEIGHBOURS = 2


@dataclass(frozen=True)
class KnownAddress:
    number: int | None
    repetition: str
    bureau: int


@dataclass(frozen=True)
class RangeRule:
    number_from: int | None
    number_to: int | None
    parity: str  # "even", "odd", "all"
    bureau: int

    def covers(self, number: int) -> bool:
        if self.parity == "even" and number % 2:
            return False
        if self.parity == "odd" and not number % 2:
            return False
        low = self.number_from if self.number_from is not None else 0
        high = self.number_to if self.number_to is not None else 10**9
        return low <= number <= high


@dataclass
class Decision:
    confidence: str
    bureau: int | None = None
    reason: str = ""  # a code; polling.selectors words it
    relied_on: list[int] = field(default_factory=list)
    candidates: list[int] = field(default_factory=list)
    rule: RangeRule | None = None


def _one(bureaux: Iterable[int]) -> int | None:
    found = set(bureaux)
    return found.pop() if len(found) == 1 else None


def decide(
    address: ParsedAddress,
    known: Sequence[KnownAddress],
    rules: Sequence[RangeRule],
    *,
    reliable: bool = True,
) -> Decision:
    """The answer for ``address`` on a street whose known addresses and rules are given.
    ``reliable`` is False when the commune's list contradicts itself too often for any of its
    answers to be called certain (``polling.models.CommuneReference.reliable``)."""
    if address.number is None:
        every = [k.bureau for k in known] + [r.bureau for r in rules]
        single = _one(every)
        if single is not None:
            return Decision(PROBABLE, single, "whole_street")
        return Decision(NONE, reason="street_split", candidates=sorted(set(every)))

    number = address.number
    covering = [r for r in rules if r.covers(number)]
    rule_bureau = _one(r.bureau for r in covering)
    if covering and rule_bureau is None:
        return Decision(
            NONE, reason="rules_disagree", candidates=sorted({r.bureau for r in covering})
        )
    by_address: dict[tuple[int | None, str], set[int]] = {}
    by_number: dict[int, set[int]] = {}
    for k in known:
        by_address.setdefault((k.number, k.repetition), set()).add(k.bureau)
        if k.number is not None:
            by_number.setdefault(k.number, set()).add(k.bureau)
    side = sorted(n for n in by_number if n % 2 == number % 2 and n != number)
    at = bisect.bisect_left(side, number)
    below, above = side[max(0, at - NEIGHBOURS) : at], side[at : at + NEIGHBOURS]

    exact = by_address.get((number, address.repetition))
    if exact:
        if len(exact) > 1:
            return Decision(NONE, reason="address_split", candidates=sorted(exact))
        bureau = next(iter(exact))
        if rule_bureau is not None and rule_bureau != bureau:
            return Decision(NONE, reason="rule_conflict", candidates=sorted({bureau, rule_bureau}))
        around = by_number[below[-1]] | by_number[above[0]] if below and above else set()
        if len(around) == 1 and bureau not in around:
            # The list puts this address alone in another bureau than both its neighbours:
            # more often a slip in the list than a real exception. The mairie knows.
            return Decision(
                NONE,
                reason="island",
                relied_on=[below[-1], above[0]],
                candidates=sorted({bureau} | around),
            )
        if rule_bureau is None and not reliable:
            return Decision(PROBABLE, bureau, "exact_source_unsure")
        if rule_bureau is None and any(len(b) > 1 for b in by_address.values()):
            return Decision(PROBABLE, bureau, "exact_street_unsure")
        return Decision(CERTAIN, bureau, "exact")
    if rule_bureau is not None:
        return Decision(CERTAIN_RULE, rule_bureau, "rule", rule=covering[0])

    same_number = by_number.get(number)
    if same_number:
        if len(same_number) == 1:
            return Decision(
                PROBABLE, next(iter(same_number)), "other_repetition", relied_on=[number]
            )
        return Decision(NONE, reason="address_split", candidates=sorted(same_number))

    if below and above:
        nearest = by_number[below[-1]] | by_number[above[0]]
        if len(nearest) == 1:
            return Decision(PROBABLE, nearest.pop(), "neighbours", relied_on=[below[-1], above[0]])
        return Decision(
            NONE,
            reason="neighbours_disagree",
            relied_on=[below[-1], above[0]],
            candidates=sorted(nearest),
        )
    relied = below + above
    nearest = {b for n in relied for b in by_number[n]}
    if len(relied) >= NEIGHBOURS and len(nearest) == 1:
        # Before the first known number of this side or past the last one: the nearest ones
        # agree; the whole street too, or only this side of it.
        whole = {k.bureau for k in known}
        reason = "street_end" if whole == nearest else "street_end_side"
        return Decision(PROBABLE, nearest.pop(), reason, relied_on=relied)
    return Decision(
        NONE,
        reason="beyond_known",
        relied_on=relied,
        candidates=sorted(nearest or {k.bureau for k in known}),
    )

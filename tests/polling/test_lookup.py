"""The decision rule on one street, and the property that matters most: an answer is always a
bureau the street's own data names, and "certain" only ever comes from the address itself or
an arrêté's rule."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from polling.lookup import (
    CERTAIN,
    CERTAIN_RULE,
    NONE,
    PROBABLE,
    KnownAddress,
    RangeRule,
    decide,
)
from polling.normalize import ParsedAddress


def at(number: int | None, repetition: str = "") -> ParsedAddress:
    return ParsedAddress(number=number, repetition=repetition, street="RUE TEST")


def street(*pairs: tuple[int, int]) -> list[KnownAddress]:
    return [KnownAddress(n, "", b) for n, b in pairs]


def test_an_address_on_the_list_is_certain() -> None:
    decision = decide(at(12), street((10, 1), (12, 1), (14, 1)), [])
    assert (decision.confidence, decision.bureau) == (CERTAIN, 1)


def test_an_address_the_list_puts_in_two_bureaux_gets_no_answer() -> None:
    known = [KnownAddress(12, "", 1), KnownAddress(12, "", 2), KnownAddress(10, "", 1)]
    decision = decide(at(12), known, [])
    assert decision.confidence == NONE
    assert decision.candidates == [1, 2]


def test_an_address_alone_against_both_neighbours_gets_no_answer() -> None:
    decision = decide(at(12), street((10, 1), (12, 9), (14, 1)), [])
    assert decision.confidence == NONE
    assert decision.reason == "island"
    assert decision.candidates == [1, 9]


def test_a_rule_covering_the_number_is_certain_from_the_arrete() -> None:
    rule = RangeRule(2, 98, "even", 6)
    decision = decide(at(24), [], [rule, RangeRule(1, 99, "odd", 3)])
    assert (decision.confidence, decision.bureau) == (CERTAIN_RULE, 6)
    assert decide(at(25), [], [rule, RangeRule(1, 99, "odd", 3)]).bureau == 3


def test_the_list_and_the_arrete_disagreeing_gets_no_answer() -> None:
    decision = decide(at(12), street((12, 1)), [RangeRule(1, 50, "all", 2)])
    assert decision.confidence == NONE
    assert decision.candidates == [1, 2]


def test_an_unknown_number_between_neighbours_of_one_bureau_is_probable_with_them() -> None:
    decision = decide(at(16), street((12, 4), (14, 4), (18, 4), (20, 4), (15, 9)), [])
    assert (decision.confidence, decision.bureau) == (PROBABLE, 4)
    assert decision.relied_on == [14, 18]


def test_an_unknown_number_where_the_street_splits_gets_the_candidates() -> None:
    decision = decide(at(45), street((27, 1), (29, 1), (61, 4), (63, 4)), [])
    assert decision.confidence == NONE
    assert decision.candidates == [1, 4]
    assert decision.relied_on == [29, 61]


def test_the_other_side_of_the_street_is_not_evidence() -> None:
    # Odd numbers in bureau 1, even in bureau 2: 16 follows the even side only.
    known = street((13, 1), (15, 1), (17, 1), (14, 2), (18, 2))
    assert decide(at(16), known, []).bureau == 2


def test_no_number_answers_only_when_the_whole_street_is_one_bureau() -> None:
    assert decide(at(None), street((1, 3), (2, 3)), []).bureau == 3
    split = decide(at(None), street((1, 3), (2, 4)), [])
    assert (split.confidence, split.candidates) == (NONE, [3, 4])


streets = st.lists(
    st.tuples(st.integers(1, 60), st.sampled_from(["", "BIS"]), st.integers(1, 4)),
    max_size=30,
)
rules = st.lists(
    st.tuples(
        st.none() | st.integers(1, 30),
        st.none() | st.integers(30, 60),
        st.sampled_from(["all", "even", "odd"]),
        st.integers(1, 4),
    ),
    max_size=3,
)


@given(streets, rules, st.none() | st.integers(1, 70), st.sampled_from(["", "BIS"]))
def test_an_answer_is_always_a_bureau_of_the_street_and_certain_only_from_the_source(
    known_rows: list[tuple[int, str, int]],
    rule_rows: list[tuple[int | None, int | None, str, int]],
    number: int | None,
    repetition: str,
) -> None:
    known = [KnownAddress(n, r, b) for n, r, b in known_rows]
    ranges = [RangeRule(*row) for row in rule_rows]
    decision = decide(at(number, repetition if number else ""), known, ranges)
    named = {k.bureau for k in known} | {r.bureau for r in ranges}
    if decision.confidence == NONE:
        assert decision.bureau is None
        assert set(decision.candidates) <= named
        return
    assert decision.bureau in named
    if decision.confidence == CERTAIN:
        exact = {k.bureau for k in known if (k.number, k.repetition) == (number, repetition)}
        assert exact == {decision.bureau}
        covering = {r.bureau for r in ranges if number is not None and r.covers(number)}
        assert covering <= {decision.bureau}
    if decision.confidence == CERTAIN_RULE:
        assert number is not None
        assert {r.bureau for r in ranges if r.covers(number)} == {decision.bureau}

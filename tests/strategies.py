"""Hypothesis strategies shared by the property-based tests."""

from __future__ import annotations

from hypothesis import strategies as st

# identity.models.MAX_DEPTH bounds the tree the selectors walk; stay within it.
MAX_TEST_DEPTH = 3


@st.composite
def territory_parents(draw, max_size: int = 7) -> list[int | None]:
    """A random territory as a parent index per authority (None for a top authority)."""
    n_authorities = draw(st.integers(1, max_size))
    parents: list[int | None] = [None]
    depth = [0]
    for _i in range(1, n_authorities):
        candidates = [j for j in range(len(parents)) if depth[j] < MAX_TEST_DEPTH]
        parent = draw(st.one_of(st.none(), st.sampled_from(candidates)))
        parents.append(parent)
        depth.append(0 if parent is None else depth[parent] + 1)
    return parents

"""Top-level writes own their transaction.

A service is one durable transaction: wrapping it in another transaction is an error
(``RuntimeError``), because its side effects after commit (indexing, tasks, clean-up) and its
file clean-up on failure assume its commit is the real one. A service that is one step of a
larger service calls it with ``.step(…)``: the same write, as a savepoint of the caller's
transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.db import transaction


class Service[**P, R]:
    def __init__(self, func: Callable[P, R]) -> None:
        self.func = func
        functools.update_wrapper(self, func)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        with transaction.atomic(durable=True):
            return self.func(*args, **kwargs)

    def step(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """The same write inside the caller's transaction (another service's)."""
        with transaction.atomic():
            return self.func(*args, **kwargs)


def service[**P, R](func: Callable[P, R]) -> Service[P, R]:
    """Mark a top-level write: one durable transaction."""
    return Service(func)

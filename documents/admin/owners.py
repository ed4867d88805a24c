"""The "owner authority" field of the admin's creation forms (datasets, procedures,
elections): only the authorities the user publishes for, chosen already when there is one."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from documents.selectors import authorities_publishable_by
from identity.models import Authority


def limit_owner_choices(field: forms.Field, user: Any) -> None:
    owner_field = cast(forms.ModelChoiceField[Authority], field)
    owners = authorities_publishable_by(user).order_by("name")
    owner_field.queryset = owners
    first_two = list(owners[:2])
    if len(first_two) == 1:
        owner_field.initial = first_two[0]

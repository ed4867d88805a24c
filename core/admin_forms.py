"""Shared by the apps' Wagtail admin views: writes go through services, whose refusals become
form errors instead of 500s."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse


class ServiceFormMixin:
    """For Wagtail's generic create/edit views: ``save_instance`` calls a service; a
    ValidationError or PermissionDenied it raises is shown on the form (with Wagtail's error
    banner) and nothing is saved. ``field_aliases`` maps a service's field name to the form's."""

    field_aliases: dict[str, str] = {}

    def form_valid(self, form: forms.Form) -> HttpResponse:
        self.form = form
        try:
            self.object = self.save_instance()
        except ValidationError as error:
            self._add_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            return self.save_action()
        self.produced_error_message = self.get_error_message()
        return self.form_invalid(form)

    def _add_errors(self, form: forms.Form, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            form.add_error(None, error.messages)
            return
        for field, messages in error.message_dict.items():
            field = self.field_aliases.get(field, field)
            form.add_error(field if field in form.fields else None, messages)

    # Provided by Wagtail's generic views.
    save_instance: Any
    save_action: Any
    form_invalid: Any
    get_error_message: Any

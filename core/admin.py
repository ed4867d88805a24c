"""Shared by the apps' Wagtail admin: writes go through services, whose refusals become form
errors instead of 500s; permission policies answer from the apps' selectors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpResponse
from wagtail.permission_policies.base import BasePermissionPolicy


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

    # Provided by Wagtail's generic views (save_instance overridden with a service call).
    object: Any  # the instance the view creates or edits: its model is the subclass's
    save_instance: Callable[[], Model]
    save_action: Callable[[], HttpResponse]
    form_invalid: Callable[[forms.Form], HttpResponse]
    get_error_message: Callable[[], str | None]


class ScopedPermissionPolicy(BasePermissionPolicy):
    """Base of the apps' Wagtail permission policies: every answer comes from one queryset,
    ``instances_user_has_permission_for``, built on the app's selector, so a view Wagtail adds
    (history, usage, choosers, bulk actions…) cannot see more than the listing does. Nobody
    is listed as "users with permission": the selectors decide per request."""

    #: The actions this policy ever allows (Wagtail asks about add, change, view, delete…).
    actions: frozenset[str] = frozenset({"add", "change", "view"})
    #: Set by Wagtail's BasePermissionPolicy from its constructor argument.
    model: type[Model]

    def may_use(self, user: Any) -> bool:
        """Whether ``user`` has any business in this admin section at all."""
        raise NotImplementedError

    def scoped_instances(self, user: Any, action: str) -> QuerySet[Model]:
        """The instances ``user`` may act on with ``action`` (the app's selector)."""
        raise NotImplementedError

    def user_has_permission(self, user: Any, action: str) -> bool:
        return action in self.actions and bool(user.is_authenticated) and self.may_use(user)

    def instances_user_has_permission_for(self, user: Any, action: str) -> QuerySet[Model]:
        if action not in self.actions - {"add"} or not user.is_authenticated:
            return self.model._default_manager.none()
        return self.scoped_instances(user, action)

    def user_has_permission_for_instance(self, user: Any, action: str, instance: Any) -> bool:
        return self.instances_user_has_permission_for(user, action).filter(pk=instance.pk).exists()

    def users_with_permission(self, action: str) -> QuerySet[AbstractBaseUser]:
        return get_user_model()._default_manager.none()

    def users_with_permission_for_instance(
        self,
        action: str,
        instance: Any,
    ) -> QuerySet[AbstractBaseUser]:
        return get_user_model()._default_manager.none()

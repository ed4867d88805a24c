"""Forms of the access-rights administration (Wagtail admin)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from identity.models import Membership, User
from identity.selectors import ROLE_RANK


def find_agent(value: str) -> User | None:
    """An agent account by exact login or e-mail (never a citizen account)."""
    value = value.strip()
    if not value:
        return None
    found = User.objects.filter(Q(username=value) | Q(email__iexact=value),
                                kind=User.Kind.AGENT, is_active=True)
    return found.first() if found.count() == 1 else None


class AgentField(forms.CharField):
    def clean(self, value: Any) -> User:
        value = super().clean(value)
        user = find_agent(value)
        if user is None:
            raise forms.ValidationError(_("Aucun agent n'a exactement cet identifiant ou "
                                          "cette adresse."))
        return user


class GrantForm(forms.Form):
    agent = AgentField(label=_("Agent (identifiant ou adresse électronique)"))
    role = forms.ChoiceField(label=_("Rôle"))
    starts_on = forms.DateField(label=_("Début"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}),
                                help_text=_("Vide : aujourd'hui."))
    ends_on = forms.DateField(label=_("Fin"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}),
                              help_text=_("Vide : sans fin."))

    def __init__(self, *args: Any, ceiling: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the roles the administrator may give are offered (the service checks again).
        self.fields["role"].choices = [(value, label) for value, label in Membership.Role.choices
                                       if ROLE_RANK[value] <= ceiling]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("La fin doit suivre le début."))
        return data


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Nom du groupe"), max_length=150)
    owner = forms.ModelChoiceField(label=_("Collectivité responsable"), queryset=None)

    def __init__(self, *args: Any, authorities: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = authorities.order_by("name")


class MemberForm(forms.Form):
    agent = AgentField(label=_("Agent (identifiant ou adresse électronique)"))

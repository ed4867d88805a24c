"""Forms of the access-rights administration (Wagtail admin)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from identity.models import Authority, Membership, User
from identity.selectors import ROLE_RANK


def find_agent(value: str) -> User | None:
    """An active agent account by its login or its federated subject (the identifier its
    provider gives it) — never by e-mail address, which its holder may change. A subject
    shared by several agents (two providers) designates nobody."""
    value = value.strip()
    if not value:
        return None
    agents = User.objects.filter(kind=User.Kind.AGENT, is_active=True)
    user = agents.filter(username=value).first()
    if user is not None:
        return user
    found = list(agents.filter(identities__subject=value).distinct()[:2])
    return found[0] if len(found) == 1 else None


class AgentField(forms.CharField):
    """An agent designated by login or federated subject."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Agent (identifiant de connexion ou sujet fédéré)"))
        kwargs.setdefault(
            "help_text",
            _("L'adresse électronique n'est pas acceptée : son titulaire peut la changer."),
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> User:
        value = super().clean(value)
        user = find_agent(value)
        if user is None:
            messages = [
                _("Aucun agent n'a exactement cet identifiant de connexion ou ce sujet fédéré.")
            ]
            if "@" in value:
                messages.append(
                    _("Désignez l'agent par son identifiant, pas par son adresse électronique.")
                )
            raise forms.ValidationError(" ".join(str(m) for m in messages))
        return user


class RoleDatesForm(forms.Form):
    """The dates of a role being granted (every grant form has them)."""

    starts_on = forms.DateField(
        label=_("Début"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Vide : aujourd'hui."),
    )
    ends_on = forms.DateField(
        label=_("Fin"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Vide : sans fin."),
    )


class GrantForm(RoleDatesForm):
    """A role for one account. Applied only once ``confirmed`` carries the id of the account
    the administrator saw on the confirmation page (name, login, authorities, address)."""

    field_order = ["agent", "role", "starts_on", "ends_on"]

    agent = AgentField()
    role = forms.ChoiceField(label=_("Rôle"))
    confirmed = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, ceiling: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agent"].widget.attrs.update({"list": "civis-people", "autocomplete": "off"})
        # Only the roles the administrator may give are offered (the service checks again).
        role = cast(forms.ChoiceField, self.fields["role"])
        role.choices = [
            (value, label)
            for value, label in Membership.Role.choices
            if ROLE_RANK[value] <= ceiling
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean() returns
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("La fin doit suivre le début."))
        return data

    def is_confirmed(self) -> bool:
        """Whether the administrator confirmed this very account (call after is_valid)."""
        agent: User = self.cleaned_data["agent"]
        return bool(self.cleaned_data.get("confirmed") == agent.pk)


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Nom du groupe"), max_length=150)
    owner: forms.ModelChoiceField[Authority] = forms.ModelChoiceField(
        label=_("Collectivité responsable"), queryset=None
    )

    def __init__(self, *args: Any, authorities: QuerySet[Authority], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = cast("forms.ModelChoiceField[Authority]", self.fields["owner"])
        owner.queryset = authorities.order_by("name")


class MemberForm(forms.Form):
    agent = AgentField()

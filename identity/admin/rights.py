"""Access-rights administration in the Wagtail admin: the authorities an administrator
manages, their agents and roles, cross-authority groups, and everything a person holds.

Reads come from identity.selectors; every change goes through identity.services, which
checks the delegation rules again and writes the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST
from wagtail import hooks

from core.http import client_ip
from identity import services
from identity.forms import GrantForm, GroupForm, MemberForm, RoleDatesForm
from identity.models import Authority, Membership, User
from identity.selectors import (
    ADMIN_ROLES,
    ROLE_RANK,
    SUPERUSER_RANK,
    authorities_managed_by,
    groups_managed_by,
    rights_of,
    role_ceiling,
    users_managed_by,
)

# --- Sections other apps add to the person-rights page ----------------------------------------
# Identity knows no document: the apps above it say what a person reaches through them by
# registering ``@hooks.register(PERSON_RIGHTS_SECTIONS_HOOK)`` a function
# ``(viewer, person) -> list[PersonSection]`` (documents/wagtail_hooks.py does). A section holds
# only what ``viewer`` may read, and costs a fixed number of queries whatever ``person`` holds.
PERSON_RIGHTS_SECTIONS_HOOK = "civis_person_rights_sections"


@dataclass(frozen=True)
class SectionRow:
    text: str
    detail: str = ""


@dataclass(frozen=True)
class PersonSection:
    title: str
    intro: str = ""
    rows: list[SectionRow] = field(default_factory=list)


SectionProvider = Callable[[User | AnonymousUser, User], list[PersonSection]]


def person_sections(viewer: User | AnonymousUser, person: User) -> list[PersonSection]:
    """Every registered app's sections about ``person``, as ``viewer`` may see them."""
    providers: list[SectionProvider] = hooks.get_hooks(PERSON_RIGHTS_SECTIONS_HOOK)
    return [section for provider in providers for section in provider(viewer, person)]


def _actor(request: HttpRequest) -> User:
    """The signed-in requester, who acts in the services below. Wagtail lets only signed-in
    users into its admin URLs; anyone else is refused here too."""
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


def _require_administrator(request: HttpRequest) -> None:
    if not authorities_managed_by(request.user).exists():
        raise PermissionDenied


def _managed_authority(request: HttpRequest, pk: int) -> Authority:
    return get_object_or_404(authorities_managed_by(request.user), pk=pk)


def _report(request: HttpRequest, error: Exception, form: forms.Form | None = None) -> None:
    text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
    if form is not None:
        form.add_error(None, text)
    else:
        messages.error(request, text)


def person_label(user: User) -> str:
    """How messages name a person: "Jeanne Martin (jmartin)", or the login alone."""
    full = user.get_full_name()
    return f"{full} ({user.username})" if full else user.username


def _people_managed(request: HttpRequest) -> QuerySet[User]:
    """Everyone the requester manages (a superuser: every account)."""
    return User.objects.all() if request.user.is_superuser else users_managed_by(request.user)


PEOPLE_FOUND = 50


def people_search(request: HttpRequest, query: str) -> tuple[list[User], bool]:
    """The people the requester manages whose name, login or e-mail address holds every word
    of ``query`` (at most ``PEOPLE_FOUND``), each with their active roles; and whether there
    were more."""
    people = _people_managed(request)
    for word in query.split()[:6]:
        people = people.filter(
            Q(username__icontains=word)
            | Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
        )
    found: list[User] = list(
        people.order_by("last_name", "first_name", "username").prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.active()
                .select_related("authority")
                .order_by("authority__name", "role"),
                to_attr="active_roles",
            )
        )[: PEOPLE_FOUND + 1]
    )
    return found[:PEOPLE_FOUND], len(found) > PEOPLE_FOUND


class PersonGrantForm(RoleDatesForm):
    """A role for the person whose page this is: where, which role, when. Confirmed on the
    authority's grant page, as every grant is."""

    field_order = ["authority", "role", "starts_on", "ends_on"]

    authority: forms.ModelChoiceField[Authority] = forms.ModelChoiceField(
        label=_lazy("Collectivité"), queryset=Authority.objects.none()
    )
    role = forms.ChoiceField(label=_lazy("Rôle"))

    def __init__(
        self,
        *args: Any,
        viewer: User | AnonymousUser,
        authorities: QuerySet[Authority],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        field = cast("forms.ModelChoiceField[Authority]", self.fields["authority"])
        field.queryset = authorities.order_by("name")
        ceiling = max_ceiling(viewer)
        role = cast(forms.ChoiceField, self.fields["role"])
        role.choices = [
            (value, label)
            for value, label in Membership.Role.choices
            if ROLE_RANK[value] <= ceiling
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        authority, role = data.get("authority"), data.get("role")
        if (
            authority is not None
            and role
            and role_ceiling(self.viewer, authority) < ROLE_RANK[role]
        ):
            self.add_error(
                "role", _("Vous ne pouvez pas attribuer ce rôle dans cette collectivité.")
            )
        return data


def max_ceiling(user: User | AnonymousUser) -> int:
    """The highest role ``user`` grants anywhere (what the person page offers)."""
    if not user.is_authenticated:
        return 0
    if user.is_superuser:
        return SUPERUSER_RANK
    held = Membership.objects.active().filter(user_id=user.pk).values_list("role", flat=True)
    return max((ROLE_RANK[r] for r in held if r in ADMIN_ROLES), default=0)


def rights_index(request: HttpRequest) -> HttpResponse:
    """The authorities the requester manages, searchable; and the people they manage, found
    by name, login or e-mail address."""
    _require_administrator(request)
    authorities = authorities_managed_by(request.user).select_related("parent")
    query = request.GET.get("q", "").strip()[:100]
    if query:
        authorities = authorities.filter(
            Q(name__icontains=query) | Q(insee_code=query) | Q(siren=query)
        )
    page = Paginator(authorities.order_by("kind", "name"), 50).get_page(request.GET.get("p"))
    who = request.GET.get("personne", "").strip()[:100]
    people, more = people_search(request, who) if who else ([], False)
    return render(
        request,
        "identity/admin/index.html",
        {"page_obj": page, "query": query, "who": who, "people": people, "more_people": more},
    )


def authority_rights(request: HttpRequest, pk: int) -> HttpResponse:
    """An authority's agents and roles; grant a role with dates, after confirming whom."""
    authority = _managed_authority(request, pk)
    ceiling = role_ceiling(request.user, authority)
    form = GrantForm(request.POST or None, ceiling=ceiling)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not form.is_confirmed():
            return _grant_confirmation(request, authority, form)
        try:
            services.membership_grant(
                actor=_actor(request),
                user=data["agent"],
                authority=authority,
                role=data["role"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                ip_address=client_ip(request),
            )
        except (PermissionDenied, ValidationError) as error:
            _report(request, error, form)
        else:
            messages.success(
                request,
                _("Rôle « %(role)s » accordé à %(person)s pour %(authority)s.")
                % {
                    "role": dict(Membership.Role.choices)[data["role"]],
                    "person": person_label(data["agent"]),
                    "authority": authority.name,
                },
            )
            if request.POST.get("back") == "person":
                return HttpResponseRedirect(reverse("civis_rights_person", args=[data["agent"].pk]))
            return HttpResponseRedirect(request.path)
    memberships = authority.memberships.select_related("user").order_by(
        "user__last_name", "user__username", "role", "starts_on"
    )
    active = set(authority.memberships.active().values_list("pk", flat=True))
    return render(
        request,
        "identity/admin/authority.html",
        {
            "authority": authority,
            "form": form,
            "active": active,
            "people": _people_in_reach(request),
            "rows": [
                (
                    m,
                    m.pk in active
                    and m.user_id != request.user.pk
                    and ceiling >= ROLE_RANK[m.role],
                )
                for m in memberships
            ],
        },
    )


PEOPLE_OFFERED = 500


def _people_in_reach(request: HttpRequest) -> list[User]:
    """The agents of the authorities the requester manages, offered by login on the grant
    form (anyone else is designated by login or federated subject)."""
    people = (
        users_managed_by(request.user)
        if not request.user.is_superuser
        else User.objects.filter(kind=User.Kind.AGENT, is_active=True)
    )
    return list(
        people.order_by("last_name", "first_name", "username").only(
            "username", "first_name", "last_name"
        )[:PEOPLE_OFFERED]
    )


def _grant_confirmation(
    request: HttpRequest, authority: Authority, form: GrantForm, back: str = ""
) -> HttpResponse:
    """Whom the grant targets, shown before anything changes: the confirmation carries the
    account's id, so the role goes to the account seen here and to no other."""
    data = form.cleaned_data
    person = data["agent"]
    return render(
        request,
        "identity/admin/grant_confirm.html",
        {
            "authority": authority,
            "person": person,
            "role": dict(Membership.Role.choices)[data["role"]],
            "roles": (
                Membership.objects.active()
                .filter(user=person)
                .select_related("authority")
                .order_by("authority__name", "role")
            ),
            "identities": person.identities.order_by("pk"),
            "data": {
                "agent": person.username,
                "role": data["role"],
                "confirmed": person.pk,
                "starts_on": data["starts_on"].isoformat() if data["starts_on"] else "",
                "ends_on": data["ends_on"].isoformat() if data["ends_on"] else "",
                "back": back or request.POST.get("back", ""),
            },
            "starts_on": data["starts_on"],
            "ends_on": data["ends_on"],
        },
    )


@require_POST
def membership_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    membership = get_object_or_404(
        Membership.objects.filter(authority__in=authorities_managed_by(request.user)), pk=pk
    )
    try:
        services.membership_revoke(
            actor=_actor(request), membership=membership, ip_address=client_ip(request)
        )
    except PermissionDenied as error:
        _report(request, error)
    else:
        messages.success(
            request,
            _("Rôle « %(role)s » retiré à %(person)s pour %(authority)s.")
            % {
                "role": membership.get_role_display(),
                "person": person_label(membership.user),
                "authority": membership.authority.name,
            },
        )
    return HttpResponseRedirect(
        request.POST.get("next")
        or reverse("civis_rights_authority", args=[membership.authority_id])
    )


def person_rights(request: HttpRequest, pk: int) -> HttpResponse:
    """Every right a person holds, and why; what the other apps let them reach (sections the
    apps register, shown only as far as the requester may read them)."""
    _require_administrator(request)
    person = get_object_or_404(_people_managed(request), pk=pk)
    form = PersonGrantForm(
        request.POST or None, viewer=request.user, authorities=authorities_managed_by(request.user)
    )
    if request.method == "POST" and form.is_valid():
        authority = form.cleaned_data["authority"]
        # The grant itself goes through the authority's page: its form checks the role
        # against this authority, and its confirmation shows whom it targets.
        grant = GrantForm(
            {
                "agent": person.username,
                "role": form.cleaned_data["role"],
                "starts_on": request.POST.get("starts_on", ""),
                "ends_on": request.POST.get("ends_on", ""),
            },
            ceiling=role_ceiling(request.user, authority),
        )
        if grant.is_valid() and grant.cleaned_data["agent"].pk == person.pk:
            return _grant_confirmation(request, authority, grant, back="person")
        for errors in grant.errors.values():
            for error in errors:
                form.add_error(None, error)
        if not grant.errors:
            form.add_error(None, _("Ce compte ne peut pas recevoir de rôle d'agent."))
    return render(
        request,
        "identity/admin/person.html",
        {
            "person": person,
            "rights": rights_of(person),
            "sections": person_sections(request.user, person),
            "form": form,
            "audit_url": reverse("civis_audit_log") + f"?actor={person.pk}",
        },
    )


def group_index(request: HttpRequest) -> HttpResponse:
    _require_administrator(request)
    form = GroupForm(request.POST or None, authorities=authorities_managed_by(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            group = services.authority_group_create(
                actor=_actor(request),
                name=form.cleaned_data["name"],
                owner=form.cleaned_data["owner"],
                ip_address=client_ip(request),
            )
        except (PermissionDenied, ValidationError) as error:
            _report(request, error, form)
        else:
            messages.success(
                request,
                _("Groupe « %(group)s » créé pour %(authority)s.")
                % {"group": group.group.name, "authority": group.owner.name},
            )
            return HttpResponseRedirect(reverse("civis_rights_group", args=[group.pk]))
    groups = (
        groups_managed_by(request.user).select_related("group", "owner").order_by("group__name")
    )
    return render(request, "identity/admin/groups.html", {"groups": groups, "form": form})


def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    authority_group = get_object_or_404(
        groups_managed_by(request.user).select_related("group", "owner"), pk=pk
    )
    form = MemberForm(request.POST or None)
    group_name, owner_name = authority_group.group.name, authority_group.owner.name
    if request.method == "POST":
        remove = request.POST.get("remove", "")
        try:
            if remove:
                if not remove.isdigit():
                    raise PermissionDenied(_("Membre inconnu."))
                member = get_object_or_404(authority_group.group.user_set.all(), pk=int(remove))
                services.authority_group_member_remove(
                    actor=_actor(request),
                    authority_group=authority_group,
                    user=member,
                    ip_address=client_ip(request),
                )
                messages.success(
                    request,
                    _("%(person)s retiré(e) du groupe « %(group)s » (%(authority)s).")
                    % {
                        "person": person_label(member),
                        "group": group_name,
                        "authority": owner_name,
                    },
                )
                return HttpResponseRedirect(request.path)
            if form.is_valid():
                member = form.cleaned_data["agent"]
                services.authority_group_member_add(
                    actor=_actor(request),
                    authority_group=authority_group,
                    user=member,
                    ip_address=client_ip(request),
                )
                messages.success(
                    request,
                    _("%(person)s ajouté(e) au groupe « %(group)s » (%(authority)s).")
                    % {
                        "person": person_label(member),
                        "group": group_name,
                        "authority": owner_name,
                    },
                )
                return HttpResponseRedirect(request.path)
        except PermissionDenied as error:
            _report(request, error, form)
    members = authority_group.group.user_set.order_by("last_name", "username")
    return render(
        request,
        "identity/admin/group.html",
        {"authority_group": authority_group, "members": members, "form": form},
    )

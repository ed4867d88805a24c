"""The plumbing every JSON API router shares (civis/api.py puts it on the one NinjaAPI).

- ``IntParam`` / ``DateParam``: typed query and path parameters parsed by ``core.params``
  (ASCII digits, bounded; AAAA-MM-JJ). An empty value (``?page=``) is the field's default.
- ``install_error_handlers``: every refusal is ``{"error": <French message>, "field": <name>}``
  — 400 for a bad parameter (never django-ninja's default 422), 404, 429 with Retry-After.
- ``CivisPagination``: the envelope ``count, page, page_size, next, previous, results`` with
  absolute ``next``/``previous`` links; a page past the last one is a 400.
- ``AnonymousRateThrottle`` / ``SignedInRateThrottle``: per address / per account, rates from
  ``CIVIS_API_RATE_ANON`` / ``CIVIS_API_RATE_USER``, kept in Django's default cache.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError, Throttled, ValidationError
from ninja.pagination import PaginationBase
from ninja.renderers import JSONRenderer
from ninja.throttling import (
    AnonRateThrottle,
    AuthRateThrottle,
    BaseThrottle,
    SimpleRateThrottle,
)
from pydantic import Field, GetCoreSchemaHandler, GetJsonSchemaHandler, ValidationInfo
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticUseDefault, core_schema

from core.http import client_ip
from core.params import MAX_INT, BadParameter, parse_date, parse_int

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000


# --- Parameters ------------------------------------------------------------------------------


def _field(info: ValidationInfo) -> str:
    return info.field_name or "paramètre"


def _integer_member(json_schema: JsonSchemaValue) -> JsonSchemaValue:
    """The ``{"type": "integer"}`` part of ``int`` or ``int | None``'s JSON schema."""
    for member in json_schema.get("anyOf", []):
        if isinstance(member, dict) and member.get("type") == "integer":
            return member
    return json_schema


@dataclass(frozen=True)
class IntParam:
    """``Annotated[int, IntParam(1, 100)]`` (or ``int | None``): the raw text is parsed by
    ``core.params.parse_int`` and the OpenAPI description shows the bounds."""

    low: int = 0
    high: int = MAX_INT

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.with_info_before_validator_function(self._parse, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        _integer_member(json_schema).update(minimum=self.low, maximum=self.high)
        return json_schema

    def _parse(self, value: Any, info: ValidationInfo) -> Any:
        if value == "":
            raise PydanticUseDefault
        if isinstance(value, str):
            return parse_int(value, field=_field(info), low=self.low, high=self.high)
        if value is None or (type(value) is int and self.low <= value <= self.high):
            return value  # set in code, not from a request
        raise BadParameter(
            _field(info), f"« {_field(info)} » doit être un entier entre {self.low} et {self.high}."
        )


@dataclass(frozen=True)
class DateParam:
    """``Annotated[datetime.date | None, DateParam()]``: AAAA-MM-JJ only."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.with_info_before_validator_function(self._parse, handler(source))

    def _parse(self, value: Any, info: ValidationInfo) -> Any:
        if value == "":
            raise PydanticUseDefault
        if isinstance(value, str):
            return parse_date(value, field=_field(info))
        return value


# --- Errors ----------------------------------------------------------------------------------


class ErrorOut(Schema):
    error: str = Field(description="Ce qui ne va pas, en français.")
    field: str | None = Field(None, description="Le paramètre en cause, s'il y en a un.")


def error_responses(*statuses: int) -> dict[int, type[ErrorOut]]:
    """``response={200: …, **error_responses(400, 404)}``; 429 (throttled) is always added."""
    return {status: ErrorOut for status in (*statuses, 429)}


class CivisJSONRenderer(JSONRenderer):
    """UTF-8 JSON: accents as they are, not ``\\u00e9``."""

    json_dumps_params = {"ensure_ascii": False}


def _error(
    api: NinjaAPI, request: HttpRequest, status: int, message: str, field: str | None = None
) -> HttpResponse:
    body: dict[str, str] = {"error": message}
    if field:
        body["field"] = field
    return api.create_response(request, body, status=status)


def validation_message(error: dict[str, Any]) -> tuple[str | None, str]:
    """The field and a French message for one of django-ninja's validation errors."""
    names = [part for part in error.get("loc", ()) if isinstance(part, str)]
    field = names[-1] if len(names) > 1 else None  # names[0] is the source: query, path…
    context = error.get("ctx") or {}
    kind = error.get("type", "")
    subject = f"« {field} »" if field else "La requête"
    if kind == "value_error" and "error" in context:
        return field, str(context["error"])  # a BadParameter raised by a validator
    if kind == "missing":
        return field, f"{subject} est obligatoire."
    if kind == "string_too_long":
        return field, (f"{subject} est trop long ({context.get('max_length')} caractères au plus).")
    return field, f"{subject} n'est pas valide."


def _on_bad_parameter(request: HttpRequest, exc: BadParameter, *, api: NinjaAPI) -> HttpResponse:
    return _error(api, request, 400, exc.message, exc.field)


def _on_validation_error(
    request: HttpRequest, exc: ValidationError, *, api: NinjaAPI
) -> HttpResponse:
    field, message = (
        validation_message(exc.errors[0]) if exc.errors else (None, "La requête n'est pas valide.")
    )
    return _error(api, request, 400, message, field)


def _on_throttled(request: HttpRequest, exc: Throttled, *, api: NinjaAPI) -> HttpResponse:
    # django-ninja adds the Retry-After header (whole seconds) to this response.
    seconds = math.ceil(exc.wait) if exc.wait else None
    later = f"dans {seconds} s" if seconds else "dans un instant"
    return _error(api, request, 429, f"Trop de requêtes : réessayez {later}.")


def _on_http_error(request: HttpRequest, exc: HttpError, *, api: NinjaAPI) -> HttpResponse:
    return _error(api, request, exc.status_code, exc.message)


def _on_not_found(request: HttpRequest, exc: Http404, *, api: NinjaAPI) -> HttpResponse:
    return _error(api, request, 404, "Ressource introuvable.")


def install_error_handlers(api: NinjaAPI) -> None:
    """Replace django-ninja's English ``{"detail": …}`` answers by ours."""
    api.add_exception_handler(BadParameter, partial(_on_bad_parameter, api=api))
    api.add_exception_handler(ValidationError, partial(_on_validation_error, api=api))
    api.add_exception_handler(Throttled, partial(_on_throttled, api=api))
    api.add_exception_handler(HttpError, partial(_on_http_error, api=api))
    api.add_exception_handler(Http404, partial(_on_not_found, api=api))


# --- Pagination ------------------------------------------------------------------------------


class PageParams(Schema):
    page: Annotated[int, IntParam(1, MAX_PAGE)] = Field(
        1, description="Numéro de la page, à partir de 1."
    )
    page_size: Annotated[int, IntParam(1, MAX_PAGE_SIZE)] = Field(
        DEFAULT_PAGE_SIZE, description="Résultats par page."
    )


class PageOut(Schema):
    count: int = Field(description="Nombre total de résultats.")
    page: int
    page_size: int
    next: str | None = Field(description="Adresse absolue de la page suivante.")
    previous: str | None = Field(description="Adresse absolue de la page précédente.")
    results: list[Any]


class CivisPagination(PaginationBase):
    """The one pagination of the API. On a queryset: ``@paginate(CivisPagination,
    serialize=Schema.from_x)`` (``serialize(request, item)`` builds each result). A view
    that pages elsewhere (search) builds the same envelope with ``envelope``."""

    class Input(PageParams):
        pass

    class Output(PageOut):
        pass

    items_attribute = "results"

    def __init__(
        self, *, serialize: Callable[[HttpRequest, Any], Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.serialize = serialize

    @staticmethod
    def last_page(total: int, page_size: int) -> int:
        return max(1, -(-total // page_size))

    @classmethod
    def check_page(cls, page: int, page_size: int, total: int) -> None:
        last = cls.last_page(total, page_size)
        if page > last:
            raise BadParameter("page", f"La page {page} n'existe pas (dernière page : {last}).")

    @classmethod
    def envelope(
        cls, request: HttpRequest, *, page: int, page_size: int, total: int, results: list[Any]
    ) -> dict[str, Any]:
        cls.check_page(page, page_size, total)
        last = cls.last_page(total, page_size)

        def link(number: int) -> str | None:
            if not 1 <= number <= last or number == page:
                return None
            query = request.GET.copy()
            query["page"] = str(number)
            return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

        return {
            "count": total,
            "page": page,
            "page_size": page_size,
            "next": link(page + 1),
            "previous": link(page - 1),
            "results": results,
        }

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: PageParams, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        page, size = pagination.page, pagination.page_size
        total = self._items_count(queryset)
        self.check_page(page, size, total)
        window = list(queryset[(page - 1) * size : page * size])
        results = [self.serialize(request, item) for item in window] if self.serialize else window
        return self.envelope(request, page=page, page_size=size, total=total, results=results)


# --- Throttling ------------------------------------------------------------------------------


class _SettingsRateThrottle(SimpleRateThrottle):
    """django-ninja's rate throttle with three changes: the rate is a setting read at each
    request (so an operator's change, or a test's override, applies at once); the address is
    ``core.http.client_ip`` (REMOTE_ADDR: a forged X-Forwarded-For must not buy a fresh
    quota); and the state of a request is per thread (django-ninja keeps it on the shared
    instance, which threads would mix up)."""

    rate_setting = ""
    default_rate = ""

    def __init__(self) -> None:
        super().__init__(rate=self.default_rate)  # the setting is read at each request
        self._local = threading.local()

    def current_rate(self) -> str:
        """``"<requests>/<s|m|h|d>"``, or ``"off"`` (a gateway in front throttles already;
        the test suite, which makes thousands of calls from one address)."""
        return str(getattr(settings, self.rate_setting, self.default_rate))

    def ident(self, request: HttpRequest) -> str | None:
        """Who is counted, or None for a request this throttle does not count."""
        raise NotImplementedError

    def allow_request(self, request: HttpRequest) -> bool:
        self._local.wait = None
        rate = self.current_rate()
        if rate == "off":
            return True
        ident = self.ident(request)
        limit, duration = self.parse_rate(rate)
        if ident is None or limit is None or duration is None:
            return True
        key = self.cache_format % {"scope": self.scope, "ident": ident}
        now = type(self).timer()  # time.time; a test may set another clock
        history = [moment for moment in self.cache.get(key, []) if moment > now - duration]
        if len(history) >= limit:
            # The oldest request of the window leaves it first (the history is newest first).
            self._local.wait = max(1.0, history[-1] + duration - now)
            return False
        self.cache.set(key, [now, *history][:limit], duration)  # the newest `limit` matter
        return True

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)


class AnonymousRateThrottle(_SettingsRateThrottle, AnonRateThrottle):
    """Anonymous callers, per address, at ``CIVIS_API_RATE_ANON`` (default 120/m)."""

    scope = "civis-api-anon"
    rate_setting = "CIVIS_API_RATE_ANON"
    default_rate = "120/m"

    def ident(self, request: HttpRequest) -> str | None:
        if request.user.is_authenticated:
            return None
        return client_ip(request) or "unknown"


class SignedInRateThrottle(_SettingsRateThrottle, AuthRateThrottle):
    """Signed-in callers, per account whatever their address, at ``CIVIS_API_RATE_USER``
    (default 600/m)."""

    scope = "civis-api-user"
    rate_setting = "CIVIS_API_RATE_USER"
    default_rate = "600/m"

    def ident(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        return f"user-{request.user.pk}"


def api_throttles() -> list[BaseThrottle]:
    return [AnonymousRateThrottle(), SignedInRateThrottle()]

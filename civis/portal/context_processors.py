from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, str]:
    return {"site_name": settings.WAGTAIL_SITE_NAME}

"""Template helpers of the portal: file sizes as people say them ("240 Ko", "1,2 Mo")."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def file_size(size: int | None) -> str:
    """Decimal units, as the French administration writes them: o, Ko, Mo, Go."""
    if size is None:
        return ""
    value = float(size)
    units = [_("o"), _("Ko"), _("Mo"), _("Go")]
    for unit in units:
        if value < 1000 or unit == units[-1]:
            break
        value /= 1000
    if unit in (units[0], units[1]) or value >= 10:
        return f"{round(value):d} {unit}"
    return f"{number_format(round(value, 1), 1)} {unit}"

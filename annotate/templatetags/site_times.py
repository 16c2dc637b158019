"""Times on the pages, in the site's TIME_ZONE and naming it: `{% load site_times %}`, then
`{{ job.created_at|site_time }}`."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def site_time(moment: dt.datetime | None) -> str:
    """`moment` as "2026-11-01 01:30 EST": in the site's TIME_ZONE, with that zone's name at that moment.
    Django's `date` filter leaves "T" (and "e" and "O") empty for a time its clocks show twice, the one
    time that most needs the name."""
    if moment is None:
        return ""
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M %Z}"

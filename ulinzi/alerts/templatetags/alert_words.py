"""What the alert network stores in words, said in the reader's language.

Routing reasons are kept as written when the alert was routed (in English, the
language of the audit log); pages translate the known forms when they show them.
"""

from __future__ import annotations

import re

from django import template
from django.utils.translation import gettext as _

register = template.Library()

_IN_AREA = re.compile(r"^(?P<place>.+) is in the area of (?P<base>.+)$")
_NEAREST = re.compile(r"^nearest base \((?P<km>\d+) km\)$")
_KEPT = re.compile(r"^no place given: kept at (?P<base>.+), base of (?P<ref>A-\d+)$")


@register.filter
def routing_reason(text: str) -> str:
    """``Mbau is in the area of Oicha COB`` in the reader's language; unknown forms as
    they are."""
    if text == "no base is configured":
        return _("no base is configured")
    if text == "the place is unknown: no base chosen":
        return _("the place is unknown: no base chosen")
    found = _IN_AREA.match(text)
    if found:
        return _("%(place)s is in the area of %(base)s") % found.groupdict()
    found = _NEAREST.match(text)
    if found:
        return _("nearest base (%(km)s km)") % found.groupdict()
    found = _KEPT.match(text)
    if found:
        return _("no place given: kept at %(base)s, base of %(ref)s") % found.groupdict()
    return text

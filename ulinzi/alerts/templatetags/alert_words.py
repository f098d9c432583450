"""What the alert network stores in words, said in the reader's language.

Routing and grouping reasons are kept as written when the report came (in English, the
language of the audit log); pages translate the known forms when they show them.
"""

from __future__ import annotations

import re

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from ulinzi.alerts.models import THREAT_TYPES

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


# The words of a grouping reason (alerts/grouping.py writes them, in English, with the
# figures that decided), each form with its translation. A reason is a run of these
# forms; figures, alert references and unknown words pass through unchanged.
_TIME = r"\d+ min|[\d.]+ h|[\d.]+ days"
_REASON_FORMS: list[tuple[str, str]] = [
    (
        rf"(?P<km>[\d.]+) km and (?P<time>{_TIME}) from alert (?P<ref>A-\d+)",
        N_("%(km)s km and %(time)s from alert %(ref)s"),
    ),
    (
        rf"no coordinates to compare \(this report has none\), (?P<time>{_TIME}) from alert "
        r"(?P<ref>A-\d+)",
        N_("no coordinates to compare (this report has none), %(time)s from alert %(ref)s"),
    ),
    (
        rf"no coordinates to compare \(the alert's reports have none\), (?P<time>{_TIME}) "
        r"from alert (?P<ref>A-\d+)",
        N_(
            "no coordinates to compare (the alert's reports have none), %(time)s from alert %(ref)s"
        ),
    ),
    (r"same type \((?P<a>[a-z_]+)\)", N_("same type (%(a)s)")),
    (
        r"compatible types \((?P<a>[a-z_]+) ~ (?P<b>[a-z_]+)\)",
        N_("compatible types (%(a)s ~ %(b)s)"),
    ),
    (r"text similarity (?P<s>[\d.]+)", N_("text similarity %(s)s")),
    (r"farther than (?P<km>[\d.]+) km", N_("farther than %(km)s km")),
    (r"(?P<km>[\d.]+) km from the alert's centre", N_("%(km)s km from the alert's centre")),
    (r"same place #(?P<id>\d+)", N_("same place #%(id)s")),
    (r"other numbers", N_("other numbers")),
    (r"same number", N_("same number")),
    (r"same armed group", N_("same armed group")),
    (r"another armed group", N_("another armed group")),
    (r"names the alert's place", N_("names the alert's place")),
    (r"same reporter", N_("same reporter")),
    (
        r"evidence (?P<p>-?[\d.]+) \(joins from (?P<n>[\d.]+)\)",
        N_("evidence %(p)s (joins from %(n)s)"),
    ),
    (r"; also fits ", N_("; also fits ")),
    (r"(?P<ref>A-\d+) with evidence (?P<p>-?[\d.]+)", N_("%(ref)s with evidence %(p)s")),
    (r" and (?=A-\d+ with evidence)", N_(" and ")),
    (
        r" \(merges from (?P<n>[\d.]+)\): merged into (?P<ref>A-\d+)",
        N_(" (merges from %(n)s): merged into %(ref)s"),
    ),
    (r"new alert: ", N_("new alert: ")),
    (
        r"no open alert within (?P<km>[\d.]+) km and (?P<h>[\d.]+) h",
        N_("no open alert within %(km)s km and %(h)s h"),
    ),
    (
        r"no coordinates, and no open alert from the same reporter, place or armed group "
        r"within (?P<h>[\d.]+) h",
        N_(
            "no coordinates, and no open alert from the same reporter, place or armed group "
            "within %(h)s h"
        ),
    ),
    (
        rf"nearest open alert (?P<ref>A-\d+) is (?P<km>[\d.]+) km and (?P<time>{_TIME}) away, "
        r"but ",
        N_("nearest open alert %(ref)s is %(km)s km and %(time)s away, but "),
    ),
    (
        rf"nearest open alert (?P<ref>A-\d+) is (?P<time>{_TIME}) away, but ",
        N_("nearest open alert %(ref)s is %(time)s away, but "),
    ),
    (r"the evidence is at most (?P<p>-?[\d.]+)", N_("the evidence is at most %(p)s")),
    (r"the evidence is (?P<p>-?[\d.]+)", N_("the evidence is %(p)s")),
    (r", below (?P<n>[\d.]+)", N_(", below %(n)s")),
    (r"the limit is (?P<n>[\d.]+) h", N_("the limit is %(n)s h")),
    (r"the limit is (?P<n>[\d.]+) km", N_("the limit is %(n)s km")),
    (
        r"(?P<a>[a-z_]+) cannot be the same incident as (?P<b>[a-z_]+)",
        N_("%(a)s cannot be the same incident as %(b)s"),
    ),
    (
        r"there are no coordinates to compare and neither reporter, place nor armed group is "
        r"the same",
        N_(
            "there are no coordinates to compare and neither reporter, place nor armed group is "
            "the same"
        ),
    ),
    (
        r"it is (?P<km>[\d.]+) km away with text similarity (?P<s>[\d.]+) \(beyond "
        r"(?P<n>[\d.]+) km it takes (?P<s2>[\d.]+)\)",
        N_("it is %(km)s km away with text similarity %(s)s (beyond %(n)s km it takes %(s2)s)"),
    ),
    (
        r"the alert it fits, (?P<ref>A-\d+), was closed",
        N_("the alert it fits, %(ref)s, was closed"),
    ),
    (r"^new alert$", N_("new alert")),  # as a new alert's report said before
    (r"merged from (?P<ref>A-\d+)", N_("merged from %(ref)s")),
    (r"split from (?P<ref>A-\d+)", N_("split from %(ref)s")),
]
# One scan finds the forms (their groups unnamed: names repeat), then each is read alone.
_NAMED = re.compile(r"[(][?]P<\w+>")
_REASON = re.compile("|".join(_NAMED.sub("(?:", f"(?:{form})") for form, _said in _REASON_FORMS))
_FORMS = [(re.compile(form), said) for form, said in _REASON_FORMS]
_DAYS = re.compile(r"^(?P<n>[\d.]+) days$")


def _said(found: re.Match[str]) -> str:
    text = found.group(0)
    for form, said in _FORMS:
        match = form.fullmatch(text)
        if match is None:
            continue
        values = {k: v for k, v in match.groupdict().items() if v is not None}
        for name in ("a", "b"):
            if name in values:
                values[name] = str(_THREAT_LABELS.get(values[name], values[name]))
        days = _DAYS.match(values.get("time", ""))
        if days:
            values["time"] = _("%(n)s days") % days.groupdict()
        return _(said) % values
    return text


_THREAT_LABELS = dict(THREAT_TYPES)


@register.filter
def grouping_reason(text: str) -> str:
    """Why a report joined its alert (or opened one), in the reader's language: each
    known form of the words is translated, the figures kept as they are."""
    return _REASON.sub(_said, text or "")

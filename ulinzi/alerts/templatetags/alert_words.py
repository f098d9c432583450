"""What the alert network stores in words, said in the reader's language.

Routing and grouping reasons are kept as written when the report came (in English, the
language of the audit log); pages translate the known forms when they show them.
"""

from __future__ import annotations

import re

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from django.utils.translation import ngettext

from ulinzi.alerts.models import THREAT_TYPES, AlertStep, Severity
from ulinzi.lib.wording import with_decimal_mark

register = template.Library()

_IN_AREA = re.compile(r"^(?P<place>.+) is in the area of (?P<base>.+)$")
_NEAREST = re.compile(r"^nearest base \((?P<km>\d+) km\)$")
_KEPT = re.compile(r"^no place given: kept at (?P<base>.+), base of (?P<ref>A-\d+)$")
_ENTERED = re.compile(r"^the place is unknown: kept at (?P<base>.+), where it was entered$")


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
    found = _ENTERED.match(text)
    if found:
        return _("the place is unknown: kept at %(base)s, where it was entered") % found.groupdict()
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
_DAYS = re.compile(r"^(?P<n>[\d.,]+) days$")


def _said(found: re.Match[str]) -> str:
    text = found.group(0)
    for form, said in _FORMS:
        match = form.fullmatch(text)
        if match is None:
            continue
        values = {k: with_decimal_mark(v) for k, v in match.groupdict().items() if v is not None}
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
    known form of the words is translated, the figures kept (with the reader's decimal
    mark)."""
    return _REASON.sub(_said, text or "")


# The notes the alert network writes on a timeline (alerts/domain.py), by step. What a
# person typed (a verification note, a reporter's reply) has no form here and is shown
# as it is.
_CHANGE = re.compile(
    r"^(?:threat type (?P<ta>[a-z_]+) → (?P<tb>[a-z_]+))?"
    r"(?:(?:; )?severity (?P<sa>[a-z]+) → (?P<sb>[a-z]+))?"
    r"(?:(?:; )?place (?P<pa>.+?) → (?P<pb>.+?) \((?P<why>.+?)\))?"
    r"(?:\. (?P<note>.*))?$",
    re.DOTALL,
)
_RENAMED = re.compile(r"^(?P<a>[a-z_]+) → (?P<b>[a-z_]+) \((?P<source>.+)\)$")
_REPORT_SOURCE = re.compile(r"^report (?P<n>\d+)$")
_RELOCATED = re.compile(r"^to (?P<place>.+), where most of its reports are \((?P<why>.+)\)$")
_ANSWERED = re.compile(r"^(?P<place>.+) \(answer (?P<n>\d+)\)$")
_FEEDBACK = re.compile(r"^(?P<n>\d+) reporter\(s\)$")
_MERGED_INTO = re.compile(r"^into (?P<ref>A-\d+)(?: \((?P<why>.*)\))?$", re.DOTALL)
_MERGED_FROM = re.compile(
    r"^(?P<n>\d+) report\(s\) from (?P<ref>A-\d+)(?: \((?P<why>.*)\))?$", re.DOTALL
)
_SPLIT = re.compile(r"^report (?P<id>\d+) to (?P<ref>A-\d+)$")
_SEVERITIES = dict(Severity.choices)


@register.filter
def step_note(step: AlertStep) -> str:
    """The note of a timeline step in the reader's language; a form it does not know (what a
    person typed, a note written before its form changed) as it is."""
    note = step.note
    said = {
        "received": _received,
        "renamed": _renamed,
        "relocated": _relocated,
        "place_clarified": _answered,
        "corrected": _corrected,
        "feedback_sent": _feedback,
        "merged": _merged,
        "split": _split,
    }.get(step.step)
    return (said(note) if note and said else None) or note


def _received(note: str) -> str:
    return grouping_reason(note) if note.startswith("split from ") else routing_reason(note)


def _threat(code: str) -> str:
    return str(_THREAT_LABELS.get(code, code))


def _renamed(note: str) -> str | None:
    found = _RENAMED.match(note)
    if found is None:
        return None
    source = found["source"]
    by_report = _REPORT_SOURCE.match(source)
    if source == "a later report":
        source = _("a later report")
    elif by_report:
        source = _("report %(n)s") % by_report.groupdict()
    return f"{_threat(found['a'])} → {_threat(found['b'])} ({source})"


def _relocated(note: str) -> str | None:
    found = _RELOCATED.match(note)
    if found is None:
        return None
    return _("to %(place)s, where most of its reports are (%(why)s)") % {
        "place": found["place"],
        "why": routing_reason(found["why"]),
    }


def _answered(note: str) -> str | None:
    found = _ANSWERED.match(note)
    return None if found is None else _("%(place)s (answer %(n)s)") % found.groupdict()


def _corrected(note: str) -> str | None:
    found = _CHANGE.match(note)
    if found is None or not (found["ta"] or found["sa"] or found["pa"]):
        return None
    changes = []
    if found["ta"]:
        changes.append(
            _("threat type %(a)s → %(b)s") % {"a": _threat(found["ta"]), "b": _threat(found["tb"])}
        )
    if found["sa"]:
        severities = (str(_SEVERITIES.get(found[k], found[k])) for k in ("sa", "sb"))
        changes.append(_("severity %(a)s → %(b)s") % dict(zip("ab", severities, strict=True)))
    if found["pa"]:
        was = _("unknown") if found["pa"] == "unknown" else found["pa"]
        changes.append(
            _("place %(a)s → %(b)s (%(why)s)")
            % {"a": was, "b": found["pb"], "why": routing_reason(found["why"])}
        )
    text = "; ".join(changes)
    return f"{text}. {found['note']}" if found["note"] else text


def _feedback(note: str) -> str | None:
    found = _FEEDBACK.match(note)
    if found is None:
        return None
    n = int(found["n"])
    return ngettext("%(n)d reporter", "%(n)d reporters", n) % {"n": n}


def _merged(note: str) -> str | None:
    found = _MERGED_INTO.match(note)
    if found is not None:
        text = _("into %(ref)s") % {"ref": found["ref"]}
    else:
        found = _MERGED_FROM.match(note)
        if found is None:
            return None
        n = int(found["n"])
        text = ngettext("%(n)d report from %(ref)s", "%(n)d reports from %(ref)s", n) % {
            "n": n,
            "ref": found["ref"],
        }
    if not found["why"]:
        return text
    by_report = _REPORT_SOURCE.match(found["why"])  # the report whose evidence merged them
    why = _("report %(n)s") % by_report.groupdict() if by_report else grouping_reason(found["why"])
    return f"{text} ({why})"


def _split(note: str) -> str | None:
    found = _SPLIT.match(note)
    return None if found is None else _("report %(id)s to %(ref)s") % found.groupdict()

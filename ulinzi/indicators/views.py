from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from ulinzi.audit import domain as audit
from ulinzi.indicators import engine, impact
from ulinzi.indicators.models import Indicator, Initiative, InitiativeIndicator
from ulinzi.places.models import Community

MONTHS = 12


def need(request: HttpRequest, capability: str) -> None:
    if not request.user.can(capability):  # type: ignore[union-attr]
        raise PermissionDenied


def last_months(today: dt.date, n: int = MONTHS) -> list[str]:
    index = today.year * 12 + today.month - 1
    return [f"{m // 12}-{m % 12 + 1:02d}" for m in range(index - n + 1, index + 1)]


class TargetForm(forms.Form):
    target = forms.FloatField(label=gettext_lazy("Target"), required=False)
    baseline = forms.FloatField(label=gettext_lazy("Baseline"), required=False)


@require_http_methods(["GET", "POST"])
def dashboard(request: HttpRequest) -> HttpResponse:
    """Each indicator against its target, with its trend, every figure linked to the
    records behind it. M&E officers set targets and baselines here."""
    need(request, "indicators.view")
    if request.method == "POST":
        need(request, "indicators.manage")
        indicator = Indicator.objects.filter(code=request.POST.get("code", "")[:60]).first()
        form = TargetForm(request.POST)
        if indicator is None or not form.is_valid():
            from django.contrib import messages

            messages.error(request, _("Give numbers for the target and the baseline."))
        else:
            with transaction.atomic():
                before = {"target": indicator.target, "baseline": indicator.baseline}
                indicator.target = form.cleaned_data["target"]
                indicator.baseline = form.cleaned_data["baseline"]
                indicator.save(update_fields=["target", "baseline"])
                audit.record(
                    request.user,
                    "indicators.set_target",
                    indicator,
                    before=before,
                    after={"target": indicator.target, "baseline": indicator.baseline},
                )
        return redirect("indicators:dashboard")
    months = last_months(timezone.localdate())
    rows = []
    for indicator in Indicator.objects.filter(active=True):
        values = engine.compute(indicator, request.user, months)
        overall = [v for v in values if not v.group]
        latest = next((v for v in reversed(overall) if v.value is not None), None)
        met = None
        if latest is not None and indicator.target is not None and latest.value is not None:
            if indicator.polarity == Indicator.Polarity.HIGHER:
                met = latest.value >= indicator.target
            else:
                met = latest.value <= indicator.target
        rows.append(
            {
                "indicator": indicator,
                "values": overall[-MONTHS:],
                "groups": [v for v in values if v.group][-12:],
                "latest": latest,
                "met": met,
                "trend": engine.trend(values, indicator.polarity),
                "no_population": indicator.denominator == "population"
                and all(not v.denominator for v in overall),
            }
        )
    return render(request, "indicators/dashboard.html", {"rows": rows, "months": months})


class InitiativeForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    objectives = forms.CharField(label=gettext_lazy("Objectives"), widget=forms.Textarea)
    started = forms.DateField(
        label=gettext_lazy("Started"), widget=forms.DateInput(attrs={"type": "date"})
    )
    communities = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Communities covered"), queryset=Community.objects.order_by("name")
    )
    comparison = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Comparison communities (leave empty for suggestions)"),
        queryset=Community.objects.order_by("name"),
        required=False,
    )
    indicators = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Indicators"), queryset=Indicator.objects.filter(active=True)
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("name", "objectives"):
            if "\x00" in str(data.get(name) or ""):
                self.add_error(name, _("This field contains a character that is not allowed."))
        both = set(data.get("communities") or []) & set(data.get("comparison") or [])
        if both:
            self.add_error("comparison", _("A community cannot be covered and a comparison."))
        return data


@require_http_methods(["GET", "POST"])
def initiatives(request: HttpRequest) -> HttpResponse:
    need(request, "indicators.view")
    form = InitiativeForm(request.POST or None)
    if request.method == "POST":
        need(request, "indicators.manage")
        if form.is_valid():
            data = form.cleaned_data
            with transaction.atomic():
                initiative = Initiative.objects.create(
                    name=data["name"],
                    objectives=data["objectives"],
                    started=data["started"],
                    created_by=request.user,
                )
                initiative.communities.set(data["communities"])
                initiative.comparison.set(data["comparison"])
                for indicator in data["indicators"]:
                    InitiativeIndicator.objects.create(
                        initiative=initiative,
                        indicator=indicator,
                        baseline=indicator.baseline,
                        target=indicator.target,
                    )
                audit.record(
                    request.user,
                    "indicators.create_initiative",
                    initiative,
                    after={"name": initiative.name, "started": initiative.started.isoformat()},
                )
            return redirect("indicators:initiative", pk=initiative.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "indicators/initiatives.html",
        {"form": form, "initiatives": Initiative.objects.all()},
        status=status,
    )


def _svg(
    labels: list[str], treated: list[float | None], control: list[float | None], start: str
) -> str:
    """A small line chart of both groups' means (server-made SVG: no script, prints)."""
    from django.utils.html import escape

    width, height, pad = 640, 220, 30
    top = max([v for v in (*treated, *control) if v is not None] + [1e-9])
    n = max(1, len(labels) - 1)

    def xy(i: int, v: float) -> str:
        return f"{pad + i * (width - 2 * pad) / n:.1f},{height - pad - v / top * (height - 2 * pad):.1f}"

    def line(values: list[float | None], css: str) -> str:
        points = " ".join(xy(i, v) for i, v in enumerate(values) if v is not None)
        return f'<polyline class="{css}" fill="none" points="{points}"/>'

    k = labels.index(start) if start in labels else 0
    x = pad + k * (width - 2 * pad) / n
    return (
        f'<svg viewBox="0 0 {width} {height}" class="did-chart" role="img" '
        f'aria-label="{escape(_("Both groups over time"))}">'
        f'<line class="start" x1="{x:.1f}" x2="{x:.1f}" y1="{pad}" y2="{height - pad}"/>'
        + line(treated, "treated")
        + line(control, "control")
        + f'<text x="{pad}" y="{height - 8}">{escape(labels[0])}</text>'
        + f'<text x="{width - pad}" y="{height - 8}" text-anchor="end">{escape(labels[-1])}</text>'
        + "</svg>"
    )


@require_GET
def initiative(request: HttpRequest, pk: int) -> HttpResponse:
    """Before/after figures and, for indicators counted per community and month, a
    difference-in-differences estimate against the comparison communities."""
    need(request, "indicators.view")
    found = Initiative.objects.filter(pk=pk).first()
    if found is None:
        raise Http404("No such initiative.")
    from django.utils.safestring import mark_safe

    from ulinzi.indicators import did

    treated = list(found.communities.all())
    comparison = list(found.comparison.all())
    results = []
    for link in InitiativeIndicator.objects.filter(initiative=found).select_related("indicator"):
        indicator = link.indicator
        entry: dict[str, Any] = {"link": link, "indicator": indicator}
        if indicator.numerator not in impact.PANEL_MEASURES:
            entry["note"] = _(
                "Survey and ratio indicators have too few rounds or cases for a comparison over "
                "time: see the dashboard for their values."
            )
            results.append(entry)
            continue
        controls = comparison
        suggested = False
        if not controls:
            others = list(Community.objects.exclude(pk__in=[c.pk for c in treated]))
            _u, _p, _v, series = impact.panel(indicator.numerator, treated + others, found.started)
            chosen = did.suggest_controls(
                series, [str(c.pk) for c in treated], k=max(3, 2 * len(treated))
            )
            controls = [c for c in others if str(c.pk) in set(chosen)]
            suggested = True
        units, periods, values, _series = impact.panel(
            indicator.numerator, treated + controls, found.started
        )
        start = impact.month_index(found.started)
        entry["suggested"] = suggested
        entry["controls"] = controls
        entry["before_after"] = did.before_after(
            values, units, periods, [str(c.pk) for c in treated], start
        )
        try:
            result = did.did(values, units, periods, [str(c.pk) for c in treated], start)
        except ValueError as exc:
            entry["error"] = str(exc)
        else:
            entry["result"] = result
            labels = impact.period_labels(min(periods), max(periods))
            entry["chart"] = mark_safe(  # noqa: S308  (numbers and escaped labels only)
                _svg(
                    labels,
                    list(result.treated_means),
                    list(result.control_means),
                    impact.period_labels(start, start)[0],
                )
            )
        results.append(entry)
    return render(
        request,
        "indicators/initiative.html",
        {"initiative": found, "treated": treated, "comparison": comparison, "results": results},
    )

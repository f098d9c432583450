from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from ulinzi.audit import domain as audit
from ulinzi.indicators import engine, impact
from ulinzi.indicators.models import Indicator, Initiative, InitiativeIndicator
from ulinzi.lib.formfields import DateInput
from ulinzi.lib.wording import Translated
from ulinzi.lib.words import Refused
from ulinzi.places.models import Community
from ulinzi.places.queries import communities_for

MONTHS = 12


def need(request: HttpRequest, capability: str) -> None:
    if not request.user.can(capability):  # type: ignore[union-attr]
        raise PermissionDenied


def initiatives_for(user: Any) -> QuerySet[Initiative]:
    """The initiatives covering a community in the user's area (every one for the whole
    mission): one elsewhere is not theirs to see, as an alert elsewhere is not."""
    if user.scope().whole_mission:
        return Initiative.objects.all()
    return Initiative.objects.filter(communities__in=communities_for(user)).distinct()


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
    started = forms.DateField(label=gettext_lazy("Started"), widget=DateInput)
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

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the communities of the user's area can be chosen, covered or compared.
        for name in ("communities", "comparison"):
            self.fields[name].queryset = communities_for(user)  # type: ignore[attr-defined]
        self.fields["indicators"].label_from_instance = Indicator.label  # type: ignore[attr-defined]

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
    form = InitiativeForm(request.POST or None, user=request.user)
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
        {
            "form": form,
            "initiatives": initiatives_for(request.user),
            "whole_mission": request.user.scope().whole_mission,  # type: ignore[union-attr]
        },
        status=status,
    )


def _svg(
    periods: list[int], treated: list[float | None], control: list[float | None], start: int
) -> str:
    """A small line chart of both groups' means over time, the start as a vertical line
    (server-made SVG: no script, prints). Periods are months: sparse ones (survey rounds)
    are placed at their date, with a dot each."""
    from django.utils.html import escape

    width, height, pad = 640, 220, 30
    top = max([v for v in (*treated, *control) if v is not None] + [1e-9])
    first, last = min(*periods, start), max(*periods, start)
    span = max(1, last - first)

    def x(period: float) -> float:
        return pad + (period - first) * (width - 2 * pad) / span

    def y(value: float) -> float:
        return height - pad - value / top * (height - 2 * pad)

    def line(values: list[float | None], css: str) -> str:
        shown = [(x(p), y(v)) for p, v in zip(periods, values, strict=True) if v is not None]
        points = " ".join(f"{px:.1f},{py:.1f}" for px, py in shown)
        dots = "".join(
            f'<circle class="{css}" cx="{px:.1f}" cy="{py:.1f}" r="3"/>' for px, py in shown
        )
        return f'<polyline class="{css}" fill="none" points="{points}"/>' + dots

    labels = impact.period_labels([first, last])
    return (
        f'<svg viewBox="0 0 {width} {height}" class="did-chart" role="img" '
        f'aria-label="{escape(_("Both groups over time"))}">'
        f'<line class="start" x1="{x(start - 0.5):.1f}" x2="{x(start - 0.5):.1f}" y1="{pad}" '
        f'y2="{height - pad}"/>'
        + line(treated, "treated")
        + line(control, "control")
        + f'<text x="{pad}" y="{height - 8}">{escape(labels[0])}</text>'
        + f'<text x="{width - pad}" y="{height - 8}" text-anchor="end">{escape(labels[1])}</text>'
        + "</svg>"
    )


@require_GET
def initiative(request: HttpRequest, pk: int) -> HttpResponse:
    """Before/after figures and a difference-in-differences estimate against the
    comparison communities, for every indicator of the initiative."""
    need(request, "indicators.view")
    found = initiatives_for(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404("No such initiative.")
    from django.utils.safestring import mark_safe

    from ulinzi.indicators import did

    # Of its communities, covered and compared, only those in the user's area: the
    # figures are theirs alone.
    mine = communities_for(request.user)
    treated = list(mine.filter(pk__in=found.communities.values("pk")))
    treated_ids = [str(c.pk) for c in treated]
    comparison = list(mine.filter(pk__in=found.comparison.values("pk")))
    start = impact.month_index(found.started)
    results = []
    for link in InitiativeIndicator.objects.filter(initiative=found).select_related("indicator"):
        indicator = link.indicator
        entry: dict[str, Any] = {"link": link, "indicator": indicator}
        results.append(entry)
        if not impact.supported(indicator):
            entry["note"] = _(
                "This indicator's numerator and denominator are not counted over the same "
                "records, so no comparison over time can be estimated: see the dashboard."
            )
            continue
        controls = comparison
        suggested = False
        if controls:
            data = impact.observations(indicator, treated + controls, found.started)
        else:
            # Every other community is a candidate: read them all once, keep the chosen.
            others = list(mine.exclude(pk__in=[c.pk for c in treated]))
            everyone = impact.observations(indicator, treated + others, found.started)
            try:
                chosen = set(
                    did.suggest_controls(
                        everyone.pre_start_series(start), treated_ids, k=max(3, 2 * len(treated))
                    )
                )
            except ValueError as exc:
                entry["error"] = _("No comparison communities could be suggested: %(why)s") % {
                    "why": _said(exc)
                }
                continue
            controls = [c for c in others if str(c.pk) in chosen]
            data = everyone.only([*treated_ids, *chosen])
            if indicator.numerator in impact.COUNT_MEASURES:
                # Rates or counts, and the note on populations, for the communities compared.
                data = impact.observations(indicator, treated + controls, found.started)
            suggested = True
        entry.update(
            suggested=suggested,
            controls=controls,
            effect_unit=data.effect_unit,
            level_unit=data.level_unit,
        )
        entry["what"] = data.note
        arguments = (data.values, data.units, data.periods, treated_ids, start)
        try:
            entry["before_after"] = did.before_after(*arguments, weights=data.weights)
            result = did.did(*arguments, weights=data.weights)
        except ValueError as exc:
            entry["error"] = _said(exc)
            continue
        entry["result"] = result
        entry["cautions"] = result.said_cautions(Translated())
        entry["chart"] = mark_safe(  # noqa: S308  (numbers and escaped labels only)
            _svg(result.periods, list(result.treated_means), list(result.control_means), start)
        )
    return render(
        request,
        "indicators/initiative.html",
        {
            "initiative": found,
            "treated": treated,
            "comparison": comparison,
            "results": results,
            "whole_mission": request.user.scope().whole_mission,  # type: ignore[union-attr]
        },
    )


def _said(exc: ValueError) -> str:
    """Why the estimate could not be made, in the reader's language when it can say it."""
    return exc.said(Translated()) if isinstance(exc, Refused) else str(exc)

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from ulinzi.lib.formfields import DateInput
from ulinzi.lib.wording import Translated
from ulinzi.places.domain import ImportRefused
from ulinzi.surveys import domain
from ulinzi.surveys.models import SurveyForm, SurveyRound

STANDARD_FORM = Path(__file__).resolve().parent / "data" / "perception_of_safety.xlsx"
MAX_UPLOAD = 20 * 1024 * 1024


def need(request: HttpRequest, capability: str) -> None:
    if not request.user.can(capability):  # type: ignore[union-attr]
        raise PermissionDenied


#: What each common XLSForm type asks for, in words (other types are shown as written).
TYPE_WORDS = {
    "select_one": gettext_lazy("one choice"),
    "select_multiple": gettext_lazy("several choices"),
    "rank": gettext_lazy("a ranking"),
    "integer": gettext_lazy("a whole number"),
    "decimal": gettext_lazy("a number"),
    "range": gettext_lazy("a number in a range"),
    "text": gettext_lazy("text"),
    "date": gettext_lazy("a date"),
    "time": gettext_lazy("a time"),
    "datetime": gettext_lazy("a date and time"),
    "geopoint": gettext_lazy("a place on a map"),
    "note": gettext_lazy("a note (no answer)"),
    "calculate": gettext_lazy("worked out by the form (no answer)"),
    "acknowledge": gettext_lazy("an acknowledgement"),
    "image": gettext_lazy("a photo"),
    "audio": gettext_lazy("a recording"),
}


def questions_shown(questions: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    """A form's questions as a reader wants them: those asked, each with what it asks
    for in words, and the names of what the phone records by itself."""
    from ulinzi.surveys.xlsform import METADATA_TYPES  # (pyxform: loaded when needed)

    asked, recorded = [], []
    for q in questions:
        kind = q["type"].split()[0] if q["type"] else ""
        if kind.casefold() in METADATA_TYPES:
            recorded.append(q)
        else:
            asked.append({**q, "asks": str(TYPE_WORDS.get(kind.casefold(), kind))})
    return {"asked": asked, "recorded": recorded}


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("XLSForm (.xlsx)"))


class RoundForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=160)
    form = forms.ModelChoiceField(label=gettext_lazy("Form"), queryset=SurveyForm.objects.all())
    start = forms.DateField(label=gettext_lazy("First day"), widget=DateInput)
    end = forms.DateField(label=gettext_lazy("Last day"), widget=DateInput)
    stratum_question = forms.CharField(
        label=gettext_lazy("Stratum from question"), max_length=120, required=False
    )
    cluster_question = forms.CharField(
        label=gettext_lazy("Cluster (PSU) from question"), max_length=120, required=False
    )
    community_question = forms.CharField(
        label=gettext_lazy("Community from question"), max_length=120, initial="community"
    )


class ExportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Export from KoBoToolbox or ODK (CSV, XLSX, or ODK Central's ZIP)")
    )
    skip_bad = forms.BooleanField(
        label=gettext_lazy("Import the good rows and list the bad ones"), required=False
    )


@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    need(request, "indicators.view")
    action = request.POST.get("action")  # each form is checked only when it was sent
    upload = UploadForm(request.POST, request.FILES) if action == "upload" else UploadForm()
    round_form = RoundForm(request.POST) if action == "round" else RoundForm()
    failed = request.method == "POST"  # until the upload or the round is saved
    if request.method == "POST":
        need(request, "surveys.manage")
        if action == "upload" and upload.is_valid():
            content = upload.cleaned_data["file"].read(MAX_UPLOAD + 1)
            if len(content) > MAX_UPLOAD:
                messages.error(request, _("The file is larger than 20 MB."))
            else:
                from ulinzi.surveys.xlsform import FormError

                try:
                    saved = domain.upload_form(actor=request.user, content=content)
                except FormError as exc:
                    why = exc.said(Translated())
                    messages.error(request, _("This form cannot be used: %(why)s") % {"why": why})
                else:
                    messages.success(
                        request,
                        _("%(title)s: %(n)s questions.")
                        % {"title": saved.title, "n": len(saved.questions)},
                    )
                    return redirect("surveys:index")
        elif action == "round" and round_form.is_valid():
            try:
                survey = domain.create_round(actor=request.user, **round_form.cleaned_data)
            except ValueError as exc:
                round_form.add_error(None, str(exc))
            else:
                return redirect("surveys:round", pk=survey.pk)
    return render(
        request,
        "surveys/index.html",
        {
            "forms": SurveyForm.objects.all(),
            "rounds": SurveyRound.objects.all(),
            "upload": upload,
            "round_form": round_form,
        },
        status=400 if failed else 200,
    )


@require_GET
def standard_form(request: HttpRequest) -> FileResponse:
    need(request, "indicators.view")
    return FileResponse(
        STANDARD_FORM.open("rb"), as_attachment=True, filename="perception_of_safety.xlsx"
    )


@require_http_methods(["GET", "POST"])
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    need(request, "indicators.view")
    survey = SurveyRound.objects.filter(pk=pk).select_related("form").first()
    if survey is None:
        raise Http404("No such survey round.")
    form = ExportForm(request.POST or None, request.FILES or None)
    problems: list[Any] = []
    failed = False
    if request.method == "POST":
        need(request, "surveys.manage")
        if form.is_valid():
            from ulinzi.surveys.responses import ExportError

            upload = form.cleaned_data["file"]
            try:
                result = domain.import_responses(
                    actor=request.user,
                    survey=survey,
                    path=upload,
                    skip_bad=form.cleaned_data["skip_bad"],
                )
            except ExportError as exc:
                failed = True
                why = exc.said(Translated())
                messages.error(request, _("This file cannot be read: %(why)s") % {"why": why})
            except ImportRefused as exc:
                failed = True
                problems = exc.errors[:50]
                messages.error(
                    request,
                    _("%(n)s bad row(s); nothing was imported.") % {"n": len(exc.errors)},
                )
            else:
                messages.success(
                    request,
                    _(
                        "%(created)s new, %(updated)s updated, %(unchanged)s unchanged, %(skipped_bad)s bad rows skipped; %(repeat_entries)s repeat-group entries."
                    )
                    % result.summary(),
                )
                problems = result.errors[:50]
                if not problems:
                    return redirect("surveys:round", pk=survey.pk)
    return render(
        request,
        "surveys/round.html",
        {
            "survey": survey,
            "form": form,
            "problems": [p.said(Translated()) for p in problems],
            "responses": survey.responses.count(),
            "questions": questions_shown(
                survey.form.questions_in(translation.get_language() or "en")
            ),
        },
        status=400 if (problems or failed) and request.method == "POST" else 200,
    )

"""Perception-of-safety surveys: the XLSForm definitions, the survey rounds, and the
responses imported from KoBoToolbox or ODK exports.

A ``SurveyRound`` is one collection with one form (for example "Beni, March 2026"): its
responses, its sampling design (which answers give the stratum and the cluster) and
their weights. Responses are keyed on the export's submission id, so importing the same
export twice changes nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ulinzi.places.models import Community


class SurveyForm(models.Model):
    id_string = models.CharField(_("form id"), max_length=120)
    title = models.CharField(_("title"), max_length=200)
    version = models.CharField(_("version"), max_length=60, blank=True)
    languages = models.JSONField(default=list)
    questions = models.JSONField(default=list)
    xlsform = models.BinaryField(_("XLSForm file"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at"]
        constraints = [
            models.UniqueConstraint(fields=["id_string", "version"], name="survey_form_version")
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.version})" if self.version else self.title

    def questions_in(self, language: str) -> list[dict[str, str]]:
        """Each question's name, type and label in ``language`` (a code, "fr"; else in
        English or the form's one language; empty for a question without one)."""
        return [
            {
                "name": q.get("name", ""),
                "type": q.get("type", ""),
                "label": _in_language(q.get("labels") or {}, language),
            }
            for q in self.questions
        ]

    def choice_label(self, question: str, value: str, language: str) -> str:
        """How the form labels the answer ``value`` of ``question`` (a name or a path) in
        ``language`` (a code, "fr"), else in English or its one language; else the value."""
        for q in self.questions:
            if question not in (q.get("name"), q.get("path")):
                continue
            for name, labels in q.get("choices") or []:
                if name == value and labels:
                    return _in_language(labels, language) or value
        return value


def _in_language(labels: dict[str, str], language: str) -> str:
    """The label in ``language`` (a code, matched to "French (fr)"), else English, else the
    form's default or first label."""
    for code in (language, "en"):
        for name, label in labels.items():
            if (name == code or name.endswith(f"({code})")) and label:  # "fr", "French (fr)"
                return label
    return labels.get("default") or next(iter(labels.values()), "")


class SurveyRound(models.Model):
    name = models.CharField(_("name"), max_length=160, unique=True)
    form = models.ForeignKey(SurveyForm, on_delete=models.PROTECT, related_name="rounds")
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    stratum_question = models.CharField(_("stratum from"), max_length=120, blank=True)
    cluster_question = models.CharField(_("cluster (PSU) from"), max_length=120, blank=True)
    community_question = models.CharField(_("community from"), max_length=120, default="community")
    min_respondents = models.PositiveSmallIntegerField(
        _("flag estimates with fewer respondents than"), default=30
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start", "name"]

    def __str__(self) -> str:
        return self.name


class Response(models.Model):
    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="responses")
    submission_id = models.CharField(max_length=120)
    submitted_at = models.DateTimeField(null=True, blank=True)
    community = models.ForeignKey(
        Community, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    values = models.JSONField(default=dict)
    missing = models.JSONField(default=dict)
    # Repeat groups (household members, incidents...): repeat name -> its entries.
    repeats = models.JSONField(default=dict, blank=True)
    weight = models.FloatField(default=1.0)
    stratum = models.CharField(max_length=120, blank=True)
    cluster = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["round", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "submission_id"], name="response_once")
        ]

    def __str__(self) -> str:
        return self.submission_id

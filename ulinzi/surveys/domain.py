"""Every change to survey forms, rounds and responses (one transaction and one audit
entry each)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from ulinzi.audit import domain as audit
from ulinzi.places.domain import ImportRefused
from ulinzi.places.models import Community
from ulinzi.surveys.models import Response, SurveyForm, SurveyRound


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def upload_form(*, actor: Any, content: bytes) -> SurveyForm:
    """Validate an XLSForm (``xlsform.FormError`` with a clear message when it is broken)
    and keep it with its questions."""
    from ulinzi.surveys import xlsform

    form = xlsform.validate(content)
    with transaction.atomic():
        saved, created = SurveyForm.objects.update_or_create(
            id_string=form.id_string,
            version=form.version or "",
            defaults={
                "title": form.title,
                "languages": list(form.languages),
                "questions": _plain(list(form.questions)),
                "xlsform": content,
                "uploaded_by": actor if getattr(actor, "pk", None) else None,
            },
        )
        audit.record(
            actor,
            "surveys.upload_form",
            saved,
            after={"id": form.id_string, "questions": len(form.questions), "created": created},
        )
    return saved


def create_round(
    *,
    actor: Any,
    name: str,
    form: SurveyForm,
    start: dt.date,
    end: dt.date,
    stratum_question: str = "",
    cluster_question: str = "",
    community_question: str = "community",
) -> SurveyRound:
    if end < start:
        raise ValueError(_("The last day is before the first day."))
    with transaction.atomic():
        survey = SurveyRound.objects.create(
            name=name[:160],
            form=form,
            start=start,
            end=end,
            stratum_question=stratum_question,
            cluster_question=cluster_question,
            community_question=community_question,
        )
        audit.record(actor, "surveys.create_round", survey, after={"form": form.id_string})
    return survey


@dataclasses.dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_bad: int = 0
    unknown_communities: int = 0
    repeat_entries: int = 0
    errors: list[Any] = dataclasses.field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped_bad": self.skipped_bad,
            "unknown_communities": self.unknown_communities,
            "repeat_entries": self.repeat_entries,
        }


def _entries(repeats: dict[str, list[dict[str, Any]]]) -> int:
    """How many repeat-group entries a submission has, nested ones included."""
    return sum(
        1 + _entries(entry.get("repeats", {})) for entries in repeats.values() for entry in entries
    )


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return "" if value is None else str(value)


def import_responses(
    *, actor: Any, survey: SurveyRound, path: Path | Any, skip_bad: bool = False
) -> ImportResult:
    """Import a KoBo or ODK export into a round: new submissions are added, changed ones
    updated, the same ones left alone. Bad rows refuse the whole file unless
    ``skip_bad``."""
    from ulinzi.surveys import responses, xlsform

    # The round's own form, read again from the kept file: answers are checked against
    # its choices.
    form = xlsform.validate(bytes(survey.form.xlsform))
    export = responses.read_export(path, form)
    if export.errors and not skip_bad:
        raise ImportRefused(export.errors)
    result = ImportResult(skipped_bad=len(export.errors), errors=list(export.errors))
    communities = {c.name.casefold(): c for c in Community.objects.all()}
    with transaction.atomic():
        existing = {
            r.submission_id: r
            for r in Response.objects.filter(
                round=survey, submission_id__in=[row.submission_id for row in export.rows]
            )
        }
        for row in export.rows:
            values = _plain(row.values)
            result.repeat_entries += _entries(row.repeats)
            community_name = _text(values.get(survey.community_question)).strip().casefold()
            community = communities.get(community_name)
            if community_name and community is None:
                result.unknown_communities += 1
            fields = {
                "submitted_at": row.submitted_at,
                "values": values,
                "missing": _plain(row.missing_reasons),
                "repeats": _plain(row.repeats),
                "community": community,
                "stratum": _text(values.get(survey.stratum_question))[:120]
                if survey.stratum_question
                else "",
                "cluster": _text(values.get(survey.cluster_question))[:120]
                if survey.cluster_question
                else "",
            }
            found = existing.get(row.submission_id)
            if found is None:
                Response.objects.create(round=survey, submission_id=row.submission_id, **fields)
                result.created += 1
            elif any(getattr(found, k) != v for k, v in fields.items()):
                for k, v in fields.items():
                    setattr(found, k, v)
                found.save()
                result.updated += 1
            else:
                result.unchanged += 1
        audit.record(
            actor,
            "surveys.import_responses",
            survey,
            after={**result.summary(), "file": getattr(path, "name", str(path))[:120]},
        )
    return result

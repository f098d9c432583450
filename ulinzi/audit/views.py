from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_GET

from ulinzi.audit.models import AuditEntry


def _date(text: str) -> date | None:
    try:
        return parse_date(text)
    except ValueError:  # well-formed but impossible, such as 2026-02-30
        return None


@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """Administrators browse the audit log, filtered by actor, action, subject and date."""
    if not request.user.can("audit.view"):  # type: ignore[union-attr]
        raise PermissionDenied
    entries = AuditEntry.objects.select_related("actor")
    filters = {
        name: request.GET.get(name, "").replace("\x00", "").strip()[:100]
        for name in ("actor", "action", "subject", "since", "until")
    }
    if filters["actor"]:
        entries = entries.filter(actor_label__icontains=filters["actor"])
    if filters["action"]:
        entries = entries.filter(action__icontains=filters["action"])
    if filters["subject"]:
        entries = entries.filter(subject_label__icontains=filters["subject"]) | entries.filter(
            subject_type__icontains=filters["subject"]
        )
    since, until = _date(filters["since"]), _date(filters["until"])
    if since:
        entries = entries.filter(at__date__gte=since)
    if until:
        entries = entries.filter(at__date__lte=until)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in filters.items() if v})
    return render(request, "audit/log.html", {"page": page, "filters": filters, "query": query})

"""The v1 JSON API. One router per domain; each calls the same queries and domain
functions as the pages, and applies the caller's role and area scope."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from ulinzi.api.alerts import router as alerts_router
from ulinzi.api.auth import AUTH
from ulinzi.api.places import router as places_router
from ulinzi.api.threats import router as threats_router

api = NinjaAPI(
    title="Ulinzi API",
    version="1",
    description="Community alerts, places and protection data. Authenticate with "
    "`Authorization: Bearer <token>` (a token comes from `ulinzi api-token USERNAME`).",
    auth=AUTH,
    urls_namespace="api-v1",
)
api.add_router("/", places_router)
api.add_router("/", alerts_router)
api.add_router("/", threats_router)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = [
        {"where": ".".join(str(p) for p in e.get("loc", [])), "problem": e.get("msg", "")}
        for e in exc.errors
    ]
    return api.create_response(
        request, {"detail": "The request is not valid.", "errors": problems}, status=422
    )


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": "Authentication required: send 'Authorization: Bearer <token>'."},
        status=401,
    )

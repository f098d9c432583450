"""Fuzz every endpoint from the API's own OpenAPI document (schemathesis)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import phonenumbers
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from ulinzi.accounts.domain import issue_api_token
from ulinzi.alerts.models import Report

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
# A caller's number ("format": "phone"): written as people and systems write them, with
# or without the country code and spaces, in the ranges of Congolese mobile networks.
PHONE = r"(\+243 ?|0)(8[12459]|9[01789]) ?[0-9]{3} ?[0-9]{4}"
schemathesis.openapi.format("phone", st.from_regex(PHONE, fullmatch=True))


@pytest.fixture
def keep_test_connection() -> Iterator[None]:
    """Called as a WSGI app, Django closes its database connection after each request,
    which would end the test's transaction; Django's test client avoids this the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_no_input_breaks_the_api_or_its_contract(
    personas: dict[str, Any], keep_test_connection: None
) -> None:
    token = issue_api_token(actor="test", user=personas["alice"])
    headers = {"Authorization": f"Bearer {token}"}

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=schema.as_strategy())
    def check(case: Any) -> None:
        typed = _typed_phone(case)
        if typed is None:
            case.call_and_validate(headers=headers)
            return
        # Any other string given as the caller's number (most are words of the schema):
        # the schema cannot say which are numbers. Refused with a reason, or taken as the
        # number it spells and nothing else, and the answer keeps to the contract.
        latest = _latest_report()
        response = case.call(headers=headers)
        case.validate_response(response, excluded_checks=[positive_data_acceptance])
        _refused_or_taken_as_spelt(typed, response.status_code, response.json(), latest)

    check()


def test_a_callers_number_is_refused_with_a_reason_or_taken_as_it_is_spelt(
    personas: dict[str, Any],
) -> None:
    """Strings of every kind given as the caller's number, most of them near numbers."""
    token = issue_api_token(actor="test", user=personas["alice"])
    client = Client(headers={"Authorization": f"Bearer {token}"})
    numberish = st.text(alphabet="0123456789 +-().", min_size=1, max_size=24)
    others = st.sampled_from(["+1 202 555 0143", "+33 6 12 34 56 78", "0971234567x", "tel:"])

    @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
    @given(phone=st.one_of(numberish, st.from_regex(PHONE, fullmatch=True), others, st.text()))
    def check(phone: str) -> None:
        latest = _latest_report()
        response = client.post(
            "/api/v1/alerts",
            {"text": "Hommes armés vus près du marché de Mbau", "phone": phone},
            content_type="application/json",
        )
        _refused_or_taken_as_spelt(phone, response.status_code, response.json(), latest)
        if re.fullmatch(PHONE, phone):
            assert response.status_code in (201, 202), response.content

    check()


def _latest_report() -> int | None:
    return Report.objects.order_by("-id").values_list("id", flat=True).first()


def _refused_or_taken_as_spelt(
    typed: str, status: int, body: Any, latest_before: int | None
) -> None:
    """Refused with a reason a person reads and nothing stored, or stored as the valid
    number ``typed`` spells: no letters, the same digits."""
    if status == 422:
        assert body.get("detail"), body
        assert _latest_report() == latest_before, typed
        return
    assert status in (201, 202), body
    stored = Report.objects.latest("id").reporter.phone()
    assert not any(c.isalpha() for c in typed), (typed, stored)
    number = phonenumbers.parse(stored)
    assert phonenumbers.is_valid_number(number), (typed, stored)
    # The digits typed end with the number's own (after a country code or a leading 0).
    assert _digits(typed).endswith(str(number.national_number)), (typed, stored)


def _typed_phone(case: Any) -> str | None:
    """The caller's number given to ``POST /api/v1/alerts`` when it is a string that is
    none of the numbers generated from ``PHONE`` (and the schema itself takes); else None."""
    if (case.method.upper(), case.path) != ("POST", "/api/v1/alerts"):
        return None
    phone = case.body.get("phone") if isinstance(case.body, dict) else None
    if not isinstance(phone, str) or "\x00" in phone or len(phone) > 32:
        return None  # absent, or refused by the schema itself
    return None if re.fullmatch(PHONE, phone) else phone


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)

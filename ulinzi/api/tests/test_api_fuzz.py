"""Fuzz every endpoint from the API's own OpenAPI document (schemathesis)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from ulinzi.accounts.domain import issue_api_token
from ulinzi.lib.phone import InvalidPhoneNumber, typed_number

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
        if not _a_number_or_none(case):
            # The schema cannot list which numbers exist; any other string must be
            # refused with a reason, and nothing else go wrong.
            response = case.call_and_validate(
                headers=headers, excluded_checks=[positive_data_acceptance]
            )
            assert response.status_code == 422, response.text
            return
        case.call_and_validate(headers=headers)

    check()


def _a_number_or_none(case: Any) -> bool:
    """False when the case gives a caller's number ("format": "phone") that is not one."""
    if (case.method.upper(), case.path) != ("POST", "/api/v1/alerts"):
        return True
    phone = case.body.get("phone") if isinstance(case.body, dict) else None
    if not isinstance(phone, str) or "\x00" in phone or len(phone) > 32:
        return True  # absent, or refused by the schema itself
    if re.fullmatch(PHONE, phone):
        return True  # one of the numbers generated: it must be taken
    try:  # any other string (most are words of the schema): taken if it is a number
        typed_number(phone)
    except InvalidPhoneNumber:
        return False
    return True

"""Fuzz every endpoint from the API's own OpenAPI document (schemathesis)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings

from ulinzi.accounts.domain import issue_api_token

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


def test_no_input_breaks_the_api_or_its_contract(personas: dict[str, Any]) -> None:
    token = issue_api_token(actor="test", user=personas["alice"])
    headers = {"Authorization": f"Bearer {token}"}

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=schema.as_strategy())
    def check(case: Any) -> None:
        case.call_and_validate(headers=headers)

    check()

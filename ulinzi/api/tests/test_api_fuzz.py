"""Fuzz every endpoint from the API's own OpenAPI document (schemathesis)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings

from ulinzi.accounts.domain import issue_api_token

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


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
        case.call_and_validate(headers=headers)

    check()

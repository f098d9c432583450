"""Pages and files of the site as a whole."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_icon_is_found_where_browsers_look_without_a_login() -> None:
    answer = Client().get("/favicon.ico")
    assert answer.status_code == 301
    icon = Client().get(answer["Location"])
    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content if icon.streaming else [icon.content])

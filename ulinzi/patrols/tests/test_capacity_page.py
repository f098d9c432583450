"""The capacity page: a form per base, with fields of its own, for those who plan; the
values as text for the others. And the plan page's intro says what its boxes show."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from ulinzi.patrols import domain
from ulinzi.patrols.models import Patrol
from ulinzi.places.models import Base
from ulinzi.test import make_user, verified_client

pytestmark = pytest.mark.django_db
MONDAY = domain.week_of(timezone.localdate()) + dt.timedelta(days=7)
FIELDS = ("day_teams", "night_teams", "vehicles", "max_km", "unavailable_days")
INTRO = (
    "Each box is one team out: the requests it visits, in order, on foot or by vehicle. "
    "When a team visits several requests and one of them asked for hours, the box also "
    "gives the time it is due at each, within the hours asked for."
)


@pytest.fixture
def paul(personas: dict[str, Any]) -> Any:
    return make_user("paul", "patrol_planner", whole_mission=True)


def give_beni_capacity(
    personas: dict[str, Any], paul: Any, unavailable_days: list[dt.date] | None = None
) -> None:
    domain.save_capacity(
        actor=paul,
        base=personas["beni"],
        day_teams=3,
        night_teams=2,
        vehicles=4,
        max_km=55,
        unavailable_days=unavailable_days or [],
    )


def test_who_cannot_plan_reads_each_bases_capacity_as_text(
    personas: dict[str, Any], paul: Any
) -> None:
    give_beni_capacity(personas, paul, unavailable_days=[MONDAY])
    # A duty officer of the whole mission: sees every base, plans none.
    client = verified_client(make_user("dora", "duty_officer", whole_mission=True))
    page = client.get("/patrols/capacity/")
    assert page.status_code == 200
    html = page.content.decode()
    for name in FIELDS:
        assert not re.search(rf'<input[^>]*name="[^"]*{name}"', html), name
    table = html[html.index('<table class="board">') : html.index("</table>")]
    assert "<form" not in table and "<input" not in table and "<button" not in table
    beni = html[html.index('<th scope="row">Beni') :]
    beni = beni[: beni.index("</tr>")]
    assert "Patrol teams by day: <strong>3</strong>" in beni
    assert "Patrol teams by night: <strong>2</strong>" in beni
    assert "Vehicles: <strong>4</strong>" in beni
    assert "Farthest patrol (km): <strong>55</strong>" in beni
    assert f"Unavailable days: <strong>{MONDAY.isoformat()}</strong>" in beni
    goma = html[html.index('<th scope="row">Goma') :]
    goma = goma[: goma.index("</tr>")]
    assert "(defaults)" in goma and "Patrol teams by day: <strong>2</strong>" in goma
    assert "Unavailable days: <strong>—</strong>" in goma
    # Nor can a duty officer save one.
    posted = {"base": "beni", **{f"beni-{name}": "1" for name in FIELDS[:4]}}
    assert client.post("/patrols/capacity/", posted).status_code == 403
    assert domain.capacity_of(personas["beni"])["day_teams"] == 3


def test_each_bases_form_has_fields_of_its_own_and_saves_that_base(
    personas: dict[str, Any], paul: Any
) -> None:
    client = verified_client(paul)
    html = client.get("/patrols/capacity/").content.decode()
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for code in ("beni", "goma"):
        for name in FIELDS:
            assert f'name="{code}-{name}"' in html and f'id="id_{code}-{name}"' in html
    assert html.count("<button>Save</button>") == 2
    posted = {
        "base": "goma",
        "goma-day_teams": "4",
        "goma-night_teams": "3",
        "goma-vehicles": "2",
        "goma-max_km": "60",
        "goma-unavailable_days": (MONDAY + dt.timedelta(days=2)).isoformat(),
    }
    response = client.post("/patrols/capacity/", posted)
    assert response.status_code == 302
    goma, beni = Base.objects.get(code="goma"), Base.objects.get(code="beni")
    assert domain.capacity_of(goma) == {
        "day_teams": 4,
        "night_teams": 3,
        "vehicles": 2,
        "max_km": 60.0,
        "unavailable_days": [(MONDAY + dt.timedelta(days=2)).isoformat()],
    }
    assert getattr(beni, "capacity", None) is None  # the other base is untouched
    html = client.get("/patrols/capacity/").content.decode()
    assert 'name="goma-day_teams" value="4"' in html
    # Fields named for another base, or with no base at all, are not the posted base's:
    # its form is shown again, empty and with its errors.
    for prefix in ("beni-", ""):
        typed = {
            "base": "goma",
            **{f"{prefix}{k[len('goma-') :]}": "9" for k in posted if k != "base"},
        }
        page = client.post("/patrols/capacity/", typed)
        assert page.status_code == 400, prefix
        assert 'role="alert"' in page.content.decode()
        assert domain.capacity_of(Base.objects.get(code="goma"))["day_teams"] == 4
        assert getattr(Base.objects.get(code="beni"), "capacity", None) is None


def test_a_planner_of_one_base_sees_and_saves_that_bases_capacity_only(
    personas: dict[str, Any],
) -> None:
    client = verified_client(make_user("pia", "patrol_planner", bases=[personas["beni"]]))
    html = client.get("/patrols/capacity/").content.decode()
    assert 'name="beni-day_teams"' in html and "goma" not in html.casefold()
    posted = {"base": "goma", **{f"goma-{name}": "1" for name in FIELDS[:4]}}
    assert client.post("/patrols/capacity/", posted).status_code == 404
    assert getattr(Base.objects.get(code="goma"), "capacity", None) is None


def test_the_plan_intro_promises_a_time_only_where_the_box_gives_one(
    personas: dict[str, Any], paul: Any
) -> None:
    """One request with hours asked for, one team: the box shows the request, no time; the
    intro says when a time is given, in English and in French."""
    domain.save_capacity(
        actor=paul, base=personas["beni"], day_teams=1, night_teams=1, vehicles=1, max_km=80
    )
    domain.save_capacity(
        actor=paul, base=personas["goma"], day_teams=0, night_teams=0, vehicles=0, max_km=10
    )
    request = domain.create_request(
        actor=paul,
        community=personas["mbau"],
        kind="other",
        place=personas["mbau"].place,
        weekdays=[1],
        shift="night",
        start_time=dt.time(19),
        end_time=dt.time(21),
        valid_from=MONDAY,
        valid_until=MONDAY + dt.timedelta(days=6),
        per_week=1,
        priority=4,
        beneficiaries=1000,
    )
    domain.accept_request(actor=paul, request=request)
    domain.plan_week(actor=paul, week_start=MONDAY)
    (patrol,) = Patrol.objects.all()
    assert patrol.due_at is None  # a patrol to one request is not given a time
    html = verified_client(paul).get("/patrols/plan/", {"week": MONDAY.isoformat()})
    page = html.content.decode()
    assert 'class="patrol patrol-night outing"' in page and '<time class="due"' not in page
    assert INTRO in page
    assert "and when it is due at each within the hours the community asked for" not in page
    with translation.override("fr"):
        french = gettext(INTRO)
    assert french != INTRO and "Quand une équipe visite plusieurs demandes" in french
    pierre = make_user("pierre", "patrol_planner", whole_mission=True, language="fr")
    page = verified_client(pierre).get("/patrols/plan/", {"week": MONDAY.isoformat()})
    assert french in page.content.decode()


def test_in_french_a_label_and_its_value_are_set_apart_as_french_writes_them(
    personas: dict[str, Any], paul: Any
) -> None:
    give_beni_capacity(personas, paul)
    user = make_user("dorine", "duty_officer", whole_mission=True, language="fr")
    html = verified_client(user).get("/patrols/capacity/").content.decode()
    beni = html[html.index('<th scope="row">Beni') :]
    beni = beni[: beni.index("</tr>")]
    # A no-break space before the colon, as French puts it; never a bare colon.
    assert beni.count("\u00a0: <strong>") == len(FIELDS)
    assert not re.search(r"[^\u00a0]: <strong>", beni)
    assert "\u00a0: <strong>4</strong>" in beni

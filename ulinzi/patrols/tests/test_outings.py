"""One team, one outing: the requests a team visits in one shift are stored as one outing
(in the order visited, on foot or by vehicle), shown as one box of the plan, counted as one
team patrol in the figures, and kept through fixed patrols and re-planning."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from ulinzi.patrols import domain, planner
from ulinzi.patrols.figures import monthly
from ulinzi.patrols.models import Outing, Patrol, PatrolRequest
from ulinzi.places.models import Place
from ulinzi.test import make_community, make_user, verified_client

pytestmark = pytest.mark.django_db
# Next week's Monday: a plan is for days ahead (days past are not planned).
MONDAY = domain.week_of(timezone.localdate()) + dt.timedelta(days=7)
TUESDAY = MONDAY + dt.timedelta(days=1)


@pytest.fixture
def paul(personas: dict[str, Any]) -> Any:
    return make_user("paul", "patrol_planner", whole_mission=True)


@pytest.fixture
def one_night_team(personas: dict[str, Any], paul: Any) -> None:
    """Beni has one night team (and one vehicle); Goma has none, so Beni plans alone."""
    domain.save_capacity(
        actor=paul, base=personas["beni"], day_teams=1, night_teams=1, vehicles=1, max_km=80
    )
    domain.save_capacity(
        actor=paul, base=personas["goma"], day_teams=0, night_teams=0, vehicles=0, max_km=10
    )


@pytest.fixture
def kasanga(personas: dict[str, Any]) -> Any:
    """A second community a few km from Mbau, in reach of Beni's night team with Mbau."""
    mbau = personas["mbau"].place
    near = (
        Place.objects.exclude(pk=mbau.pk)
        .filter(lat__range=(mbau.lat - 0.05, mbau.lat + 0.05))
        .filter(lon__range=(mbau.lon - 0.05, mbau.lon + 0.05))
        .order_by("pk")
        .first()
    )
    assert near is not None
    return make_community("Kasanga", near)


def accepted(paul: Any, community: Any, **overrides: Any) -> PatrolRequest:
    values: dict[str, Any] = {
        "actor": paul,
        "community": community,
        "kind": "other",  # two hours with each community: one team has time for two a night
        "place": community.place,
        "weekdays": [1],
        "shift": "night",
        "start_time": dt.time(19),
        "end_time": dt.time(5),
        "valid_from": MONDAY,
        "valid_until": MONDAY + dt.timedelta(days=6),
        "per_week": 1,
        "priority": 4,
        "beneficiaries": 1000,
    }
    values.update(overrides)
    request = domain.create_request(**values)
    return domain.accept_request(actor=paul, request=request)


def plan_mbau_and_kasanga(
    personas: dict[str, Any], paul: Any, kasanga: Any
) -> tuple[PatrolRequest, PatrolRequest]:
    """Two night requests a few km apart on Tuesday, planned: Beni's one team visits both."""
    mbau = accepted(paul, personas["mbau"])
    other = accepted(paul, kasanga, priority=5)
    domain.plan_week(actor=paul, week_start=MONDAY)
    return mbau, other


def planner_routes() -> list[planner.Route]:
    """The routes the planner gives for the week's stored inputs (to compare with what the
    database kept)."""
    now = timezone.now()
    inputs = [
        domain._planner_request(r, MONDAY, [], now, {}) for r in domain.requests_for_week(MONDAY)
    ]
    plan = planner.plan_week(domain._capacities(MONDAY), inputs, time_limit_s=5)
    return list(plan.routes)


def test_two_requests_one_team_make_one_outing_in_the_planned_order(
    personas: dict[str, Any], paul: Any, one_night_team: None, kasanga: Any
) -> None:
    mbau, other = plan_mbau_and_kasanga(personas, paul, kasanga)
    patrols = list(Patrol.objects.filter(day=TUESDAY, shift="night").order_by("stop"))
    assert {p.request_id for p in patrols} == {mbau.pk, other.pk}
    outing = Outing.objects.get()  # one team: one outing, both requests in it
    assert [p.outing_id for p in patrols] == [outing.pk, outing.pk]
    assert [p.stop for p in patrols] == [0, 1]
    (route,) = planner_routes()
    assert [str(p.request_id) for p in patrols] == list(route.requests)
    assert (outing.base, outing.day, outing.shift) == (personas["beni"], TUESDAY, "night")
    assert outing.by_vehicle == route.vehicle
    assert outing.km == round(route.km, 1) and outing.km > 0
    assert outing.hours == round(route.hours, 1)


def test_the_plan_page_shows_a_box_per_team_with_its_requests_in_order(
    personas: dict[str, Any], paul: Any, one_night_team: None, kasanga: Any
) -> None:
    plan_mbau_and_kasanga(personas, paul, kasanga)
    response = verified_client(paul).get("/patrols/plan/", {"week": MONDAY.isoformat()})
    (row,) = response.context["rows"]
    tuesday_night = row["cells"][1][1]
    assert tuesday_night["teams"] == 1
    (outing,) = tuesday_night["outings"]
    names = [p.request.community.name for p in outing.stops]
    expected = [
        p.request.community.name for p in Patrol.objects.filter(day=TUESDAY).order_by("stop")
    ]
    assert names == expected and len(names) == 2
    page = response.content.decode()
    assert page.count('class="patrol patrol-night outing"') == 1
    assert "night team 1 of 1" in page
    box = page[page.index('class="patrol patrol-night outing"') :]
    box = box[: box.index("</div>")]
    assert box.index(expected[0]) < box.index(expected[1])
    assert ("by vehicle" if outing.by_vehicle else "on foot") in box
    assert box.count("/record/") == 2  # each request's visit is still recorded
    # In French too.
    pierre = make_user("pierre", "patrol_planner", whole_mission=True, language="fr")
    french = verified_client(pierre).get("/patrols/plan/", {"week": MONDAY.isoformat()})
    page = french.content.decode()
    assert "équipe de nuit 1 sur 1" in page
    box = page[page.index('class="patrol patrol-night outing"') :]
    box = box[: box.index("</div>")]
    assert ("en véhicule" if outing.by_vehicle else "à pied") in box
    assert ("à pied" if outing.by_vehicle else "en véhicule") not in box
    assert f"Enregistrer la patrouille vers {expected[0]} (P-" in page


def test_figures_count_a_team_patrol_once_and_each_request_it_visited(
    personas: dict[str, Any], paul: Any, one_night_team: None, kasanga: Any
) -> None:
    accepted(paul, personas["mbau"], kind="night")
    accepted(paul, kasanga, kind="water_point", priority=5)
    domain.plan_week(actor=paul, week_start=MONDAY)
    first, second = Patrol.objects.filter(day=TUESDAY).order_by("stop")
    domain.record_patrol(actor=paul, patrol=first, conducted=True)
    rows = monthly(PatrolRequest.objects.all())
    assert sum(r["night_patrols"] for r in rows) == 1
    assert sum(r["night_visits"] for r in rows) == 1
    domain.record_patrol(actor=paul, patrol=second, conducted=True, met_women=4)
    (row,) = [r for r in monthly(PatrolRequest.objects.all()) if r["night_patrols"]]
    assert (row["base"], row["month"]) == ("Beni", TUESDAY.strftime("%Y-%m"))
    assert row["night_patrols"] == 1 and row["day_patrols"] == 0  # one team went out
    assert row["night_visits"] == 2  # and met two requests
    # The outing counts under each kind it visited.
    assert row["patrols_by_kind_and_shift"] == {"night/night": 1, "water_point/night": 1}
    page = verified_client(paul).get("/patrols/figures/").content.decode()
    assert (
        '<td class="num">0 / 1</td><td>night patrol (night) 1 · water point patrol (night) 1'
        in page
    )
    assert '<td class="num">0 / 2</td>' in page


def test_a_team_that_did_not_go_out_is_no_team_patrol(
    personas: dict[str, Any], paul: Any, one_night_team: None, kasanga: Any
) -> None:
    plan_mbau_and_kasanga(personas, paul, kasanga)
    for patrol in Patrol.objects.all():
        domain.record_patrol(
            actor=paul, patrol=patrol, conducted=False, not_conducted_reason="road cut"
        )
    rows = monthly(PatrolRequest.objects.all())
    assert sum(r["night_patrols"] + r["night_visits"] for r in rows) == 0


def test_a_fixed_patrol_leads_its_outing_through_re_planning(
    personas: dict[str, Any], paul: Any, one_night_team: None, kasanga: Any
) -> None:
    mbau = accepted(paul, personas["mbau"])
    other = accepted(paul, kasanga, priority=5)
    fixed = domain.fix_patrol(
        actor=paul, request=mbau, base=personas["beni"], day=TUESDAY, shift="night"
    )
    outing = fixed.outing
    assert list(outing.patrols.all()) == [fixed] and outing.km is None
    for _run in range(2):
        domain.plan_week(actor=paul, week_start=MONDAY)
        # Kasanga joins the officer's patrol: still the one outing, the one team.
        assert list(Outing.objects.values_list("pk", flat=True)) == [outing.pk]
        joined = Patrol.objects.get(request=other)
        assert joined.outing_id == outing.pk and not joined.fixed
        fixed.refresh_from_db()
        assert fixed.fixed and fixed.outing_id == outing.pk
        assert sorted([fixed.stop, joined.stop]) == [0, 1]
    outing.refresh_from_db()
    assert outing.km is not None and outing.plan is not None
    # Removing the fixed patrol leaves the team with Kasanga; planning again keeps one.
    domain.unfix_patrol(actor=paul, patrol=fixed)
    assert list(Outing.objects.all()) == [outing]
    domain.plan_week(actor=paul, week_start=MONDAY)
    assert Outing.objects.count() == 1
    assert Patrol.objects.filter(day=TUESDAY).count() == 2
    # A new fixed patrol alone on another day is an outing of its own.
    friday = domain.fix_patrol(
        actor=paul,
        request=mbau,
        base=personas["beni"],
        day=MONDAY + dt.timedelta(days=4),
        shift="night",
    )
    assert friday.outing_id != outing.pk and friday.outing.patrols.count() == 1
    domain.unfix_patrol(actor=paul, patrol=friday)
    assert not Outing.objects.filter(pk=friday.outing_id).exists()


def test_outings_never_outnumber_the_teams(
    personas: dict[str, Any], paul: Any, kasanga: Any
) -> None:
    domain.save_capacity(
        actor=paul, base=personas["beni"], day_teams=2, night_teams=2, vehicles=2, max_km=80
    )
    domain.save_capacity(
        actor=paul, base=personas["goma"], day_teams=0, night_teams=0, vehicles=0, max_km=10
    )
    for k in range(4):
        accepted(paul, personas["mbau"], weekdays=[1, 3], per_week=2, priority=1 + k)
        accepted(paul, kasanga, weekdays=[1, 3], per_week=2, priority=5 - k)
    domain.plan_week(actor=paul, week_start=MONDAY)
    per_cell: dict[tuple[dt.date, str], set[int]] = {}
    for patrol in Patrol.objects.all():
        per_cell.setdefault((patrol.day, patrol.shift), set()).add(patrol.outing_id)
        assert (patrol.outing.day, patrol.outing.shift) == (patrol.day, patrol.shift)
    assert max(len(v) for v in per_cell.values()) == 2  # both teams out
    assert Patrol.objects.count() > 4  # more requests visited than teams: they share
    page = verified_client(paul).get("/patrols/plan/", {"week": MONDAY.isoformat()})
    assert (
        page.content.decode().count('class="patrol patrol-night outing"') == Outing.objects.count()
    )


def test_the_record_page_shows_the_teams_route(
    personas: dict[str, Any], paul: Any, one_night_team: None, kasanga: Any
) -> None:
    plan_mbau_and_kasanga(personas, paul, kasanga)
    first, second = Patrol.objects.order_by("stop")
    client = verified_client(paul)
    page = client.get(f"/patrols/{first.pk}/record/").content.decode()
    assert f'href="/patrols/{second.pk}/record/"' in page
    assert f'href="/patrols/{first.pk}/record/"' not in page  # this one is the current stop
    response = client.post(
        f"/patrols/{first.pk}/record/",
        {"conducted": "1", "met_women": "7", "met_men": "3", "met_girls": "0", "met_boys": "0"},
        follow=True,
    )
    assert "Patrol recorded." in response.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "conducted" and first.met_women == 7
    assert second.status == "planned"  # each request's visit has its own record
    request_page = client.get(f"/patrols/requests/{first.request_id}/").content.decode()
    assert ("by vehicle" if first.outing.by_vehicle else "on foot") in request_page


def test_the_migration_gives_each_existing_patrol_its_own_outing(
    live_db: None, personas: dict[str, Any]
) -> None:
    """Migrations change the schema: they run on a transactional database (``live_db``)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("patrols", "0001_initial")]
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("patrols")
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        request = old.get_model("patrols", "PatrolRequest").objects.create(
            community_id=personas["mbau"].pk,
            kind="night",
            place_id=personas["mbau"].place_id,
            weekdays=[1],
            shift="night",
            start_time=dt.time(19),
            end_time=dt.time(5),
            valid_from=MONDAY,
            valid_until=MONDAY,
            per_week=1,
            priority=3,
            received_at=timezone.now(),
        )
        old_patrol = old.get_model("patrols", "Patrol")
        for km, shift in ((3.0, "night"), (12.0, "night"), (12.0, "day")):
            old_patrol.objects.create(
                base_id=personas["beni"].pk,
                request=request,
                day=TUESDAY,
                shift=shift,
                kind="night",
                km=km,
                status="conducted",
                met_women=5,
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    patrols = list(Patrol.objects.select_related("outing").order_by("pk"))
    assert len({p.outing_id for p in patrols}) == 3 == Outing.objects.count()
    assert [p.outing.by_vehicle for p in patrols] == [False, True, True]
    assert [(p.outing.day, p.outing.shift) for p in patrols] == [
        (TUESDAY, "night"),
        (TUESDAY, "night"),
        (TUESDAY, "day"),
    ]
    assert all(p.stop == 0 and p.outing.km is None for p in patrols)
    assert all(p.status == "conducted" and p.met_women == 5 for p in patrols)


@pytest.mark.browser
def test_the_plan_from_the_keyboard(
    page: Any,
    live_server: Any,
    personas: dict[str, Any],
    paul: Any,
    one_night_team: None,
    kasanga: Any,
) -> None:
    from ulinzi.test import log_in_browser

    plan_mbau_and_kasanga(personas, paul, kasanga)
    first = Patrol.objects.order_by("stop").first()
    assert first is not None
    log_in_browser(page, live_server.url, "paul")
    page.goto(f"{live_server.url}/patrols/plan/?week={MONDAY.isoformat()}")
    box = page.locator("div.outing")
    assert box.count() == 1
    assert box.locator("ol.stops > li").count() == 2
    label = f"Record the patrol to {first.request.community.name} ({first.request.reference})"
    # Tab through the page until the first stop's record link has the focus, then Enter.
    for _press in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-label')") == label:
            break
    else:
        pytest.fail("the record link cannot be reached with the Tab key")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/patrols/{first.pk}/record/")
    assert "the team's route" in page.inner_text("main")


def test_the_plan_page_does_not_query_per_outing(
    personas: dict[str, Any], paul: Any, one_night_team: None, kasanga: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    plan_mbau_and_kasanga(personas, paul, kasanga)
    client = verified_client(paul)

    def queries() -> int:
        with CaptureQueriesContext(connection) as page:
            response = client.get("/patrols/plan/", {"week": MONDAY.isoformat()})
        assert response.status_code == 200
        return len(page)

    one = queries()
    for day in (0, 2, 3, 4):  # four more nights, each its own outing of two requests
        accepted(paul, personas["mbau"], weekdays=[day])
        accepted(paul, kasanga, weekdays=[day], priority=5)
    domain.plan_week(actor=paul, week_start=MONDAY)
    assert Outing.objects.count() == 5 and Patrol.objects.count() == 10
    assert queries() == one


def test_re_planning_counts_the_teams_already_out_on_recorded_patrols(
    personas: dict[str, Any], paul: Any, one_night_team: None, kasanga: Any
) -> None:
    """A patrol recorded (conducted or not) took its team out in its shift and covered
    its slot: planning the week again neither plans that slot a second time nor sends
    out more teams than the base has."""
    mbau = accepted(paul, personas["mbau"], weekdays=[1, 3])
    domain.plan_week(actor=paul, week_start=MONDAY)
    first = Patrol.objects.get(request=mbau)
    domain.record_patrol(actor=paul, patrol=first, conducted=True, met_women=4)
    # Kasanga asks too, on the same night, more urgently, with a place Beni's one team
    # could have joined to Mbau's had it been planned together.
    other = accepted(paul, kasanga, weekdays=[first.day.weekday()], priority=5)
    domain.plan_week(actor=paul, week_start=MONDAY)
    night = Patrol.objects.filter(day=first.day, shift="night")
    # The one team is out already (recorded): nothing more that night.
    assert list(night) == [first]
    assert Outing.objects.filter(day=first.day, shift="night").count() == 1
    assert not Patrol.objects.filter(request=other).exists()
    plan = domain.WeeklyPlan.objects.get(week_start=MONDAY)
    assert str(other.pk) in plan.explanations
    # Mbau had one patrol a week asked and has it: its other night is not planned.
    assert Patrol.objects.filter(request=mbau).count() == 1
    # A patrol that did not go out still used the shift: the same holds.
    domain.record_patrol(actor=paul, patrol=first, conducted=False, not_conducted_reason="rain")
    domain.plan_week(actor=paul, week_start=MONDAY)
    assert list(Patrol.objects.filter(day=first.day, shift="night")) == [first]


def test_an_outing_partly_recorded_keeps_its_other_stops_through_re_planning(
    personas: dict[str, Any], paul: Any, one_night_team: None, kasanga: Any
) -> None:
    """The team went out to Mbau and Kasanga; only Mbau's visit is recorded yet. Planning
    again keeps the outing whole: Kasanga's visit stays in it, and the one team is not
    counted twice (nor is Kasanga planned again)."""
    plan_mbau_and_kasanga(personas, paul, kasanga)
    first, second = Patrol.objects.order_by("stop")
    domain.record_patrol(actor=paul, patrol=first, conducted=True, met_women=2)
    domain.plan_week(actor=paul, week_start=MONDAY)
    assert list(Patrol.objects.order_by("stop")) == [first, second]
    assert Outing.objects.count() == 1
    domain.fix_patrol(
        actor=paul, request=second.request, base=second.base, day=TUESDAY, shift="night"
    )
    domain.plan_week(actor=paul, week_start=MONDAY)  # a fixed stop of it is no second team
    assert list(Patrol.objects.order_by("stop")) == [first, second]


def test_a_week_planned_again_mid_week_plans_from_today_on(
    personas: dict[str, Any], paul: Any, one_night_team: None
) -> None:
    """Planned and approved on Monday for a patrol every night, planned again on
    Thursday: Monday to Wednesday are past, their patrols (not recorded yet) stay,
    awaiting their record, and count towards the patrols asked for; nothing new is
    proposed before Thursday."""
    nightly = accepted(paul, personas["mbau"], weekdays=list(range(7)), per_week=7)
    # A proposal nobody approved did not happen: planned again on Wednesday, the
    # proposals of Monday and Tuesday go, and nothing is put on those days.
    wednesday = MONDAY + dt.timedelta(days=2)
    domain.plan_week(actor=paul, week_start=MONDAY, today=MONDAY)
    domain.plan_week(actor=paul, week_start=MONDAY, today=wednesday)
    assert sorted(p.day for p in Patrol.objects.filter(request=nightly)) == [
        wednesday + dt.timedelta(days=k) for k in range(5)
    ]
    Patrol.objects.all().delete()
    Outing.objects.all().delete()
    plan = domain.plan_week(actor=paul, week_start=MONDAY, today=MONDAY)
    domain.approve_plan(actor=paul, plan=plan)
    first = {p.day: p.pk for p in Patrol.objects.filter(request=nightly)}
    assert len(first) == 7  # the night team goes every night
    thursday = MONDAY + dt.timedelta(days=3)
    domain.plan_week(actor=paul, week_start=MONDAY, today=thursday)
    now = {p.day: p.pk for p in Patrol.objects.filter(request=nightly)}
    past = {day: pk for day, pk in first.items() if day < thursday}
    assert {day: pk for day, pk in now.items() if day < thursday} == past  # kept as they were
    assert len(now) == 7
    # Monday's did not go out, Tuesday's and Wednesday's did, Thursday's (approved, today)
    # is under way; Beni is away at the weekend.
    for day, pk in sorted(past.items()):
        patrol = Patrol.objects.get(pk=pk)
        if day == MONDAY:
            domain.record_patrol(
                actor=paul, patrol=patrol, conducted=False, not_conducted_reason="road cut"
            )
        else:
            domain.record_patrol(actor=paul, patrol=patrol, conducted=True, met_women=1)
    domain.save_capacity(
        actor=paul,
        base=personas["beni"],
        day_teams=1,
        night_teams=1,
        vehicles=1,
        max_km=80,
        unavailable_days=[MONDAY + dt.timedelta(days=5), MONDAY + dt.timedelta(days=6)],
    )
    plan = domain.plan_week(actor=paul, week_start=MONDAY, today=thursday)
    ahead = Patrol.objects.filter(request=nightly, day__gte=thursday)
    assert sorted(p.day.weekday() for p in ahead) == [3, 4]
    assert Patrol.objects.filter(request=nightly).count() == 5  # 3 recorded, 2 ahead
    assert Patrol.objects.get(request=nightly, day=thursday).pk == first[thursday]  # kept
    assert plan.explanations[str(nightly.pk)] == [
        "Mbau requested 3 more patrols (3 earlier in the week), 1 scheduled",
        "Beni is unavailable on Saturday and Sunday",
    ]


def test_a_week_over_is_not_planned_and_a_day_past_not_fixed(
    personas: dict[str, Any], paul: Any
) -> None:
    request = accepted(paul, personas["mbau"])
    with pytest.raises(ValueError, match="is over"):
        domain.plan_week(actor=paul, week_start=MONDAY, today=MONDAY + dt.timedelta(days=7))
    assert not domain.WeeklyPlan.objects.exists()
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(ValueError, match="is past"):
        domain.fix_patrol(
            actor=paul, request=request, base=personas["beni"], day=yesterday, shift="night"
        )
    assert not Patrol.objects.exists()
    # The page says so and changes nothing.
    client = verified_client(paul)
    page = client.post(
        "/patrols/plan/",
        {"action": "run", "week": domain.week_of(yesterday - dt.timedelta(days=7)).isoformat()},
        follow=True,
    )
    assert "is over: plan this week or a later one" in page.content.decode()
    assert not domain.WeeklyPlan.objects.exists()


def test_one_team_visits_two_requests_only_within_the_hours_each_asked_for(
    personas: dict[str, Any], paul: Any, one_night_team: None, kasanga: Any
) -> None:
    """Mbau and Kasanga both want the patrol from 19:00 to 21:00: the one team cannot be
    at both, so one is left out and told why. When Kasanga's hours run to 05:00, the team
    goes to Mbau first, then Kasanga, in one outing."""
    mbau = accepted(paul, personas["mbau"], end_time=dt.time(21), priority=5)
    other = accepted(paul, kasanga, end_time=dt.time(21))
    plan = domain.plan_week(actor=paul, week_start=MONDAY)
    assert [p.request_id for p in Patrol.objects.all()] == [mbau.pk]
    assert plan.explanations[str(other.pk)][0] == "Kasanga requested 1 patrol, none scheduled"
    PatrolRequest.objects.filter(pk=other.pk).update(end_time=dt.time(5))
    domain.plan_week(actor=paul, week_start=MONDAY)
    outing = Outing.objects.get()
    first, second = outing.patrols.order_by("stop")
    assert [first.request_id, second.request_id] == [mbau.pk, other.pk]
    assert outing.hours is not None and outing.hours <= planner.SHIFT_HOURS["night"]
    # The team is due at Mbau at 19:00 (two hours, all Mbau asked for), at Kasanga once it
    # has driven or walked there after 21:00; the plan and the record pages say so.
    assert first.due_at == dt.time(19, 0)
    assert second.due_at is not None and dt.time(21, 0) < second.due_at < dt.time(22, 0)
    client = verified_client(paul)
    plan_page = client.get("/patrols/plan/", {"week": MONDAY.isoformat()}).content.decode()
    due = second.due_at.strftime("%H:%M")
    assert (
        '<time class="due" datetime="19:00" title="due at">19:00</time>' in plan_page
        and due in plan_page
    )
    record = client.get(f"/patrols/{first.pk}/record/").content.decode()
    assert (
        '<time class="due" datetime="19:00" title="due at">19:00</time>' in record and due in record
    )


def test_approving_late_approves_only_the_days_ahead(
    personas: dict[str, Any], paul: Any, one_night_team: None
) -> None:
    """A plan proposed for days now past, approved late: no team was told to go on those
    days, so they stay unapproved (the next plan drops them), the days ahead are approved.
    A week that is over is not approved at all."""
    today = timezone.localdate()
    monday = domain.week_of(today) - dt.timedelta(days=7)  # last week: every day past
    accepted(
        paul,
        personas["mbau"],
        weekdays=list(range(7)),
        per_week=7,
        valid_from=monday,
        valid_until=today + dt.timedelta(days=14),
    )
    past = domain.plan_week(actor=paul, week_start=monday, today=monday)
    ahead = domain.plan_week(actor=paul, week_start=MONDAY)
    with pytest.raises(domain.TransitionRefused, match="is over: plan the days ahead"):
        domain.approve_plan(actor=paul, plan=past)
    domain.approve_plan(actor=paul, plan=ahead)
    assert Outing.objects.filter(day__lt=today).count() == 7
    assert not Outing.objects.filter(day__lt=today, approved_at__isnull=False).exists()
    assert not Outing.objects.filter(day__gte=MONDAY, approved_at__isnull=True).exists()

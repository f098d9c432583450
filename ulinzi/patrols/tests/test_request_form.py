"""The patrol request form as a liaison assistant or a planner uses it: places by name,
routes, the alerts and hotspots behind a request (only those the user may see), and the
form opened from an alert, a hotspot or a request by SMS waiting for its call-back."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from ulinzi.alerts import domain as alerts
from ulinzi.alerts.models import Alert, CallbackTask
from ulinzi.audit.models import AuditEntry
from ulinzi.messaging import domain as messaging
from ulinzi.messaging.models import Channel
from ulinzi.patrols import domain
from ulinzi.patrols.models import PatrolRequest
from ulinzi.places.models import Place
from ulinzi.places.queries import pick_place
from ulinzi.test import make_user, verified_client
from ulinzi.threats import domain as threats

pytestmark = pytest.mark.django_db
MONDAY = domain.week_of(domain.today()) + dt.timedelta(days=7)


def form(personas: dict[str, Any], **values: Any) -> dict[str, Any]:
    data = {
        "community": personas["mbau"].pk,
        "kind": "firewood",
        "weekdays": ["1", "3"],
        "shift": "day",
        "start_time": "06:00",
        "end_time": "11:00",
        "valid_from": MONDAY.isoformat(),
        "valid_until": (MONDAY + dt.timedelta(days=27)).isoformat(),
        "per_week": "2",
        "priority": "4",
        "beneficiaries": "600",
        "language": "sw",
    }
    data.update(values)
    return data


def hotspot_at_mbau(personas: dict[str, Any], actor: Any, community: str = "mbau") -> Any:
    place = personas[community].place
    cluster = {
        "lat": place.lat,
        "lon": place.lon,
        "radius_km": 6.0,
        "start": dt.date(2026, 9, 1),
        "end": dt.date(2026, 11, 30),
        "observed": 9,
        "expected": 2.1,
        "llr": 6.3,
        "p_value": 0.004,
        "recurrence_days": 685.0,
        "place_id": place.pk,
    }
    name = "Mbau-Oicha road" if community == "mbau" else f"{place.name} hotspot"
    return threats.save_hotspot(actor=actor, name=name, cluster=cluster, scan_settings={"seed": 1})


@pytest.fixture
def paul(personas: dict[str, Any]) -> Any:
    return make_user("paul", "patrol_planner", whole_mission=True)


def test_a_place_is_typed_by_name_and_namesakes_are_asked_about(gazetteer: None) -> None:
    majengo = {p.pk: p for p in Place.objects.filter(name="Majengo")}
    assert len(majengo) > 2  # villages of Oïcha, Beni, Lubero and Rutshuru
    found, choices = pick_place("Majengo")
    assert found is None
    assert len(choices) > 1 and all(c.startswith("Majengo: village, Nord-Kivu › ") for c in choices)
    assert {int(c.rsplit("(#", 1)[1].rstrip(")")) for c in choices} <= set(majengo)
    # Near Goma, Majengo is the one of Goma.
    found, choices = pick_place("Majengo", hint="Goma")
    assert found is not None and found.pk in majengo and choices == []
    assert found.territory is not None and found.territory.name == "Goma"
    # Areas named after a place are not other places: Beni is the town, Kokola the village
    # (in Kokola health area), Kibirizi the health area (in Kibirizi health zone).
    assert [
        (p.name, p.kind) for p in (pick_place(n)[0] for n in ("Beni", "Kokola", "Kibirizi"))
    ] == [("Beni", "town"), ("Kokola", "village"), ("Kibirizi", "health_area")]
    # An id is taken as such; a name nothing resembles offers nothing.
    some = next(iter(majengo))
    assert pick_place(f"#{some}") == (majengo[some], [])
    assert pick_place("Zzyxqville") == (None, [])


def test_place_and_route_by_name_alerts_and_hotspots(personas: dict[str, Any], paul: Any) -> None:
    alert = alerts.receive_report(
        source="hotline", text="Hommes armés à Mbau", place=personas["mbau"].place
    ).alert
    hotspot = hotspot_at_mbau(personas, paul)
    client = verified_client(paul)
    response = client.post(
        "/patrols/requests/new/",
        form(
            personas,
            place="Eringeti",
            route="Kokola, Mbau",
            alerts=f"{alert.reference}, {alert.pk}",
            hotspots=[str(hotspot.pk)],
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    request = PatrolRequest.objects.get()
    assert request.place.name == "Eringeti"
    assert [p.name for p in request.route_places()] == ["Kokola", "Mbau"]
    assert list(request.alerts.all()) == [alert]
    assert list(request.hotspots.all()) == [hotspot]
    entry = AuditEntry.objects.get(action="patrols.create_request")
    assert entry.after["alerts"] == [alert.pk] and entry.after["hotspots"] == [hotspot.pk]
    page = client.get(f"/patrols/requests/{request.pk}/").content.decode()
    assert f'<a href="/threats/hotspots/{hotspot.pk}/">Mbau-Oicha road</a>' in page
    # The hotspot's page lists the requests that give it as their reason.
    page = client.get(f"/threats/hotspots/{hotspot.pk}/").content.decode()
    assert f'<a href="/patrols/requests/{request.pk}/">{request.reference}</a>' in page
    mbau = personas["mbau"].place
    assert f'<a href="/places/{mbau.pk}/">Mbau</a>' in page  # where it is, by name
    # The place chosen in the list (its id) wins over the name left in the box.
    response = client.post(
        "/patrols/requests/new/",
        form(personas, place="Eringeti", place_id=str(personas["mbau"].place.pk)),
    )
    assert response.status_code == 302
    assert PatrolRequest.objects.latest("id").place == personas["mbau"].place


def test_unclear_places_and_alerts_out_of_sight_are_refused(
    personas: dict[str, Any], paul: Any
) -> None:
    goma_alert = alerts.receive_report(
        source="hotline", text="Tirs à Goma", place=personas["goma_ville"].place
    ).alert
    assert goma_alert.base == personas["goma"]
    alice = verified_client(personas["alice"])  # duty officer at Beni
    cases = [
        ({"place": "Matokeo"}, "place", "Matokeo may be several places; choose one"),
        ({"place": "Zzyxqville"}, "place", "No place is called Zzyxqville."),
        ({"route": "Kokola, Zzyxqville"}, "route", "No place is called Zzyxqville."),
        ({"alerts": goma_alert.reference}, "alerts", "is not an alert you can see."),
        ({"alerts": "A-99999"}, "alerts", "A-99999 is not an alert you can see."),
        ({"alerts": "A-²"}, "alerts", "A-² is not an alert you can see."),
    ]
    for values, field, message in cases:
        before = AuditEntry.objects.count()
        response = alice.post("/patrols/requests/new/", form(personas, **values))
        assert response.status_code == 400, values
        assert message in response.content.decode(), (values, message)
        assert field in response.context["form"].errors
        assert AuditEntry.objects.count() == before
    assert not PatrolRequest.objects.exists()


def test_the_form_starts_from_an_alert_or_a_hotspot(personas: dict[str, Any], paul: Any) -> None:
    alert = alerts.receive_report(
        source="hotline", text="Hommes armés à Mbau", place=personas["mbau"].place
    ).alert
    client = verified_client(paul)
    detail = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert f'href="/patrols/requests/new/?alert={alert.pk}"' in detail
    initial = client.get(f"/patrols/requests/new/?alert={alert.pk}").context["form"].initial
    assert initial["alerts"] == alert.reference
    assert initial["place_id"] == personas["mbau"].place.pk
    assert initial["community"] == personas["mbau"].pk  # the nearest community
    assert initial["reason"].startswith(f"Alert {alert.reference}: ")
    hotspot = hotspot_at_mbau(personas, paul)
    initial = client.get(f"/patrols/requests/new/?hotspot={hotspot.pk}").context["form"].initial
    assert initial["hotspots"] == [hotspot.pk] and initial["community"] == personas["mbau"].pk
    assert initial["reason"] == "Hotspot Mbau-Oicha road: 9 events 2026-09-01 – 2026-11-30"
    # An alert far from every community suggests none (Kisangani is 400 km from Mbau).
    far = alerts.receive_report(source="hotline", text="Tirs", place=None)
    Alert.objects.filter(pk=far.alert_id).update(lat=0.5153, lon=25.1910)
    initial = client.get(f"/patrols/requests/new/?alert={far.alert_id}").context["form"].initial
    assert initial["alerts"] == far.alert.reference and "community" not in initial
    # A link whose id no database holds is a form with nothing filled in, not an error.
    for key in ("alert", "hotspot", "callback"):
        odd = client.get(f"/patrols/requests/new/?{key}={'9' * 30}")
        assert odd.status_code == 200 and key not in odd.context["form"].initial
    # Bob, at Goma, does not see Mbau's alert: nothing of it is offered to him.
    bob = verified_client(personas["bob"])
    initial = bob.get(f"/patrols/requests/new/?alert={alert.pk}").context["form"].initial
    assert "alerts" not in initial and "place" not in initial


def test_a_request_by_sms_is_recorded_from_its_call_back(
    personas: dict[str, Any], paul: Any
) -> None:
    messaging.create_channel(actor="test", name="gateway", send_url="console:")
    channel = Channel.objects.get()
    sender = "+243971118899"
    Client().post(
        f"/channels/ext/{channel.uuid}/receive?token={channel.secret}",
        {
            "from": sender,
            "text": "DORIA Mbau, kuni wanawake wanaogopa " + "sana " * 60,
            "id": "gw-5",
        },
    )
    call_command("worker", "--once", stdout=StringIO())
    task = CallbackTask.objects.get()
    # The planner does not handle call-backs: the form does not take one from him.
    planner = verified_client(paul)
    initial = planner.get(f"/patrols/requests/new/?callback={task.pk}").context["form"].initial
    assert "callback" not in initial
    refused = planner.post("/patrols/requests/new/", form(personas, callback=str(task.pk)))
    assert refused.status_code == 400 and "not yours to handle" in refused.content.decode()
    liaison = make_user("lia", "liaison", whole_mission=True)
    client = verified_client(liaison)
    page = client.get("/alerts/callbacks/").content.decode()
    assert f"/patrols/requests/new/?callback={task.pk}" in page
    initial = client.get(f"/patrols/requests/new/?callback={task.pk}").context["form"].initial
    assert initial["callback"] == task.pk and initial["reason"] == task.note
    response = client.post(
        "/patrols/requests/new/", form(personas, callback=str(task.pk), reason=task.note)
    )
    assert response.status_code == 302
    request = PatrolRequest.objects.get()
    # The answers go to the one who asked by SMS, whose number nobody had to type.
    assert request.focal_point == task.reporter
    assert request.focal_point == messaging.find_reporter(sender)
    task.refresh_from_db()
    assert task.done_at is not None and task.done_by == liaison
    # A long SMS is shortened in the call-back's note, never what became of it.
    assert len(task.note) <= 300 and "kuni wanawake" in task.note
    assert task.note.endswith(f"… — recorded as patrol request {request.reference}")
    # The same call-back cannot make a second request.
    again = client.post("/patrols/requests/new/", form(personas, callback=str(task.pk)))
    assert again.status_code == 400
    assert "This call-back is done already" in again.content.decode()
    assert PatrolRequest.objects.count() == 1


def test_a_jpt_mission_takes_only_alerts_and_hotspots_the_user_sees(
    personas: dict[str, Any], paul: Any
) -> None:
    goma_alert = alerts.receive_report(
        source="hotline", text="Tirs à Goma", place=personas["goma_ville"].place
    ).alert
    beni_alert = alerts.receive_report(
        source="hotline", text="Hommes armés à Mbau", place=personas["mbau"].place
    ).alert
    hotspot = hotspot_at_mbau(personas, paul)
    lia = verified_client(make_user("lia", "liaison", bases=[personas["beni"]]))
    mission = {
        "purpose": "Listen to Mbau's displaced",
        "start": MONDAY.isoformat(),
        "end": (MONDAY + dt.timedelta(days=2)).isoformat(),
        "communities": [str(personas["mbau"].pk)],
        "team": "Amani; civil_affairs",
    }
    for values, message in [
        ({"alerts": goma_alert.reference}, "is not an alert you can see."),
        ({"hotspot": "99999"}, "No saved hotspot you can see has this id."),
    ]:
        response = lia.post("/engagement/jpt/", {**mission, **values})
        assert response.status_code == 400 and message in response.content.decode()
    initial = lia.get(f"/engagement/jpt/?hotspot={hotspot.pk}").context["form"].initial
    assert initial == {"hotspot": hotspot.pk, "purpose": "Mbau-Oicha road"}
    response = lia.post(
        "/engagement/jpt/", {**mission, "alerts": beni_alert.reference, "hotspot": hotspot.pk}
    )
    assert response.status_code == 302
    from ulinzi.engagement.models import JptMission

    saved = JptMission.objects.get()
    assert saved.hotspot == hotspot and list(saved.alerts.all()) == [beni_alert]


def test_hotspots_and_requests_out_of_sight_are_neither_offered_nor_taken(
    personas: dict[str, Any], paul: Any
) -> None:
    mbau = hotspot_at_mbau(personas, paul)
    goma = hotspot_at_mbau(personas, paul, community="goma_ville")
    alice = verified_client(personas["alice"])  # Beni: sees Mbau, not Goma
    offered = alice.get("/patrols/requests/new/").context["form"].fields["hotspots"].queryset
    assert list(offered) == [mbau]
    refused = alice.post("/patrols/requests/new/", form(personas, hotspots=[str(goma.pk)]))
    assert refused.status_code == 400 and "hotspots" in refused.context["form"].errors
    initial = alice.get(f"/patrols/requests/new/?hotspot={goma.pk}").context["form"].initial
    assert "hotspots" not in initial
    lia = verified_client(make_user("lia", "liaison", bases=[personas["beni"]]))
    jpt = lia.post(
        "/engagement/jpt/",
        {
            "purpose": "Goma",
            "start": MONDAY.isoformat(),
            "end": MONDAY.isoformat(),
            "communities": [str(personas["mbau"].pk)],
            "team": "Amani; civil_affairs",
            "hotspot": str(goma.pk),
        },
    )
    assert jpt.status_code == 400 and "No saved hotspot you can see has this id." in (
        jpt.content.decode()
    )
    # A request of Goma citing Mbau's hotspot is not listed on it for Alice.
    planner = verified_client(paul)
    response = planner.post(
        "/patrols/requests/new/",
        form(personas, community=personas["goma_ville"].pk, hotspots=[str(mbau.pk)]),
    )
    assert response.status_code == 302
    request = PatrolRequest.objects.get()
    assert list(alice.get(f"/threats/hotspots/{mbau.pk}/").context["requests"]) == []
    listed = planner.get(f"/threats/hotspots/{mbau.pk}/").context["requests"]
    assert list(listed) == [request]


def test_the_place_search_of_the_form_ranks_the_communitys_namesake_first(
    personas: dict[str, Any], paul: Any
) -> None:
    client = verified_client(paul)

    def first(community: Any) -> str:
        params = {"place": "Majengo"} | ({"community": community.pk} if community else {})
        result = client.get("/places/search/", params, HTTP_HX_REQUEST="true").context["result"]
        return str(result["candidates"][0]["admin_path"])

    assert "› Goma ›" in first(personas["goma_ville"])
    assert "› Goma ›" not in first(None)

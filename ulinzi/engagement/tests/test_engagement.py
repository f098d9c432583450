"""Engagement on the database: the roster and coverage page, focal points and test
messages, meetings and commitments, JPTs, broadcasts, keyword answers, and the
community's "you said, we did"."""

from __future__ import annotations

import csv
import datetime as dt
import io
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from ulinzi.audit.models import AuditEntry
from ulinzi.engagement import domain
from ulinzi.engagement.models import Broadcast, Commitment, FocalPoint, NetworkTest, StaffMember
from ulinzi.messaging import domain as messaging
from ulinzi.messaging.models import Channel, Message
from ulinzi.test import log_in_browser, make_user, verified_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(personas: dict[str, Any]) -> Channel:
    return messaging.create_channel(actor="test", name="gateway", send_url="console:")


@pytest.fixture
def liaison(personas: dict[str, Any]) -> Any:
    return make_user("lia", "liaison", whole_mission=True)


def inbound(channel: Channel, phone: str, text: str, gateway_id: str) -> None:
    response = Client().post(
        f"/channels/ext/{channel.uuid}/receive?token={channel.secret}",
        {"from": phone, "text": text, "id": gateway_id},
    )
    assert response.status_code == 200
    call_command("worker", "--once", stdout=StringIO())


def test_coverage_page_and_csv(personas: dict[str, Any], liaison: Any) -> None:
    mbau = personas["mbau"]  # languages ["sw"]
    domain.save_staff(
        actor=liaison,
        name="Jean",
        role="cla",
        sex="m",
        base=personas["beni"],
        speaks=["sw", "fr"],
        communities=[mbau],
    )
    client = verified_client(liaison)
    page = client.get("/engagement/coverage/")
    assert page.status_code == 200
    by_name = {(r["community"].name, r["gap"].language): r["gap"] for r in page.context["rows"]}
    assert by_name[("Mbau", "sw")].staff == 1 and by_name[("Mbau", "sw")].no_female
    assert by_name[("Goma ville", "sw")].no_interpreter  # nobody at Goma
    rows = list(
        csv.reader(io.StringIO(client.get("/engagement/coverage/?format=csv").content.decode()))
    )
    assert rows[0] == ["community", "language", "staff", "women", "no_interpreter", "no_female"]
    assert ["Mbau", "sw", "1", "0", "0", "1"] in rows
    # A woman at the Beni base (Beni and Oïcha territories) closes the gap at Mbau.
    domain.save_staff(
        actor=liaison,
        name="Aline",
        role="interpreter",
        sex="f",
        base=personas["beni"],
        speaks=["sw"],
    )
    gaps = {
        (r["community"].name, r["gap"].language): r["gap"]
        for r in client.get("/engagement/coverage/").context["rows"]
    }
    assert (gaps[("Mbau", "sw")].staff, gaps[("Mbau", "sw")].women) == (2, 1)
    assert not gaps[("Mbau", "sw")].no_female
    with pytest.raises(ValueError, match="language"):
        domain.save_staff(
            actor=liaison, name="X", role="cla", sex="f", base=personas["beni"], speaks=[]
        )


def test_a_base_sees_and_adds_only_its_own_staff(personas: dict[str, Any], liaison: Any) -> None:
    """Staff are listed by area like everything else: a liaison of the Beni base sees
    Beni's staff and whoever serves a Beni community, not Goma's, and cannot put
    someone on Goma's roster; the whole mission sees everyone."""
    beni, goma = personas["beni"], personas["goma"]
    for name, base, communities in [
        ("Jean", beni, []),
        ("Grace", goma, []),
        ("Musa", goma, [personas["mbau"]]),  # based at Goma, serves Mbau (Beni's area)
    ]:
        domain.save_staff(
            actor=liaison,
            name=name,
            role="cla",
            sex="m",
            base=base,
            speaks=["sw"],
            communities=communities,
        )
    at_beni = verified_client(make_user("lb", "liaison", bases=[beni]))
    page = at_beni.get("/engagement/staff/")
    assert sorted(m.name for m in page.context["members"]) == ["Jean", "Musa"]
    assert b"Grace" not in page.content
    assert [b.name for b in page.context["form"].fields["base"].queryset] == ["Beni"]
    refused = at_beni.post(
        "/engagement/staff/",
        {"name": "Zawadi", "role": "cla", "sex": "f", "base": goma.pk, "speaks": ["sw"]},
    )
    assert refused.status_code == 400 and "base" in refused.context["form"].errors
    everyone = verified_client(liaison).get("/engagement/staff/")
    assert sorted(m.name for m in everyone.context["members"]) == ["Grace", "Jean", "Musa"]
    assert not StaffMember.objects.filter(name="Zawadi").exists()


def test_test_messages_and_ok_replies(
    personas: dict[str, Any], channel: Channel, liaison: Any
) -> None:
    focal = domain.register_focal_point(
        actor=liaison,
        phone="+243970000111",
        community=personas["mbau"],
        role="women",
        language="sw",
    )
    other = domain.register_focal_point(
        actor=liaison,
        phone="+243970000222",
        community=personas["mbau"],
        role="chief",
        language="fr",
    )
    client = verified_client(liaison)
    page = client.get("/engagement/network/", {"days": "14"})
    rows = {r["focal"].pk: r for r in page.context["focal_points"]}
    assert not rows[focal.pk]["silent"]  # registered today
    response = client.post(
        "/engagement/network/?days=14", {"action": "test", "focal_point": [focal.pk, other.pk]}
    )
    assert response.status_code == 302
    sent = Message.objects.filter(purpose="network_test").order_by("id")
    assert sorted(m.text for m in sent) == [
        "Jaribio kutoka misheni: jibu OK",
        "Test de la mission: répondez OK",
    ]
    inbound(channel, "+243970000111", "ok", "gw-1")
    assert NetworkTest.objects.get(focal_point=focal).replied_at is not None
    assert NetworkTest.objects.get(focal_point=other).replied_at is None
    assert not Message.objects.filter(
        direction="in", reporter=focal.reporter, report__isnull=False
    ).exists()
    # Twenty days later without a word, both are silent; Mbau is a silent community.
    later = timezone.now() + dt.timedelta(days=20)
    from ulinzi.engagement import queries

    health = queries.network_health(liaison, 14, now=later)
    assert {r["focal"].pk for r in health["focal_points"] if r["silent"]} == {focal.pk, other.pk}
    assert [c.name for c in health["silent_communities"]] == ["Mbau"]


def test_meetings_commitments_and_reminders(personas: dict[str, Any], liaison: Any) -> None:
    alice = personas["alice"]
    today = timezone.localdate()
    client = verified_client(liaison)
    response = client.post(
        "/engagement/meetings/new/",
        {
            "community": personas["mbau"].pk,
            "kind": "consultation",
            "date": today.isoformat(),
            "women": "14",
            "men": "9",
            "girls": "0",
            "boys": "2",
            "concern_0_type": "abduction",
            "concern_0_text": "Enlèvements sur la route des champs",
            "commitment_0_what": "Patrouille de jour vers les champs le mardi",
            "commitment_0_owner": alice.pk,
            "commitment_0_due": (today - dt.timedelta(days=1)).isoformat(),
            "commitment_1_what": "Rencontre avec le chef de poste",
            "commitment_1_owner": alice.pk,
            "commitment_1_due": (today + dt.timedelta(days=3)).isoformat(),
            "commitment_2_what": "Without an owner",
        },
    )
    assert response.status_code == 400  # the third commitment has no owner: nothing saved
    assert "A commitment needs who and by when." in response.content.decode()
    assert not Commitment.objects.exists()
    data = response.wsgi_request.POST.copy()
    data["commitment_2_what"] = ""
    assert client.post("/engagement/meetings/new/", data).status_code == 302
    overdue, soon = Commitment.objects.order_by("due")
    alice_client = verified_client(alice)
    home = alice_client.get("/").content.decode()
    assert "Patrouille de jour vers les champs le mardi" in home and "overdue" in home
    assert "Rencontre avec le chef de poste" in home
    page = client.get("/engagement/commitments/")
    assert [c.pk for c in page.context["overdue"]] == [overdue.pk]
    refused = alice_client.post(
        "/engagement/commitments/", {"commitment": overdue.pk, "kept": "1", "note": ""}
    )
    assert refused.status_code == 302
    overdue.refresh_from_db()
    assert overdue.status == "open"
    alice_client.post(
        "/engagement/commitments/",
        {"commitment": overdue.pk, "kept": "1", "note": "Deux patrouilles faites"},
    )
    overdue.refresh_from_db()
    assert overdue.status == "kept" and overdue.closing_note == "Deux patrouilles faites"
    history = client.get(f"/engagement/communities/{personas['mbau'].pk}/").content.decode()
    assert "Enlèvements sur la route des champs" in history
    assert "ahadi 1 kati ya 2 zimetimizwa" in history  # Mbau's language is Swahili


def test_broadcast_targets_approval_and_opt_out(
    personas: dict[str, Any], channel: Channel, liaison: Any
) -> None:
    mbau, goma = personas["mbau"], personas["goma_ville"]
    a = domain.register_focal_point(
        actor=liaison, phone="+243970000301", community=mbau, role="chief", language="sw"
    )
    b = domain.register_focal_point(
        actor=liaison, phone="+243970000302", community=mbau, role="women", language="fr"
    )
    c = domain.register_focal_point(
        actor=liaison, phone="+243970000303", community=goma, role="chief", language="sw"
    )
    stopped = domain.register_focal_point(
        actor=liaison, phone="+243970000304", community=mbau, role="youth", language="sw"
    )
    messaging.set_opt_out(stopped.reporter, opted_out=True, source="test")
    beni_territory = mbau.place.territory
    broadcast = domain.save_broadcast(
        actor=liaison,
        title="Le mandat",
        texts={"fr": "La mission protege les civils.", "sw": "Misheni inalinda raia."},
        send_at=timezone.now(),
        communities=[mbau],
        areas=[beni_territory],  # Mbau again, through its territory
    )
    assert sorted(p for p, _o, _l in domain.recipients(broadcast)) == sorted(
        [a.reporter_id, b.reporter_id, stopped.reporter_id]
    )
    pio = make_user("pio", "public_information", whole_mission=True)
    lia_client, pio_client = verified_client(liaison), verified_client(pio)
    assert lia_client.post(f"/engagement/broadcasts/{broadcast.pk}/").status_code == 403
    assert pio_client.post(f"/engagement/broadcasts/{broadcast.pk}/").status_code == 302
    rows = Message.objects.filter(purpose=broadcast.purpose)
    assert rows.count() == 3  # one each, however many targets they match
    assert rows.get(reporter=stopped.reporter).status == "suppressed"
    assert rows.get(reporter=a.reporter).text == "Misheni inalinda raia."
    assert rows.get(reporter=b.reporter).text == "La mission protege les civils."
    assert not rows.filter(reporter=c.reporter).exists()
    broadcast.refresh_from_db()
    assert broadcast.status == "queued" and broadcast.recipients == 3
    assert pio_client.post(f"/engagement/broadcasts/{broadcast.pk}/").status_code == 302
    assert rows.count() == 3  # approving twice sends nothing more
    call_command("worker", "--once", stdout=StringIO())
    page = pio_client.get(f"/engagement/broadcasts/{broadcast.pk}/")
    assert page.context["figures"] == {"sent": 2, "suppressed": 1}
    # Targeting by language and role.
    only_women = domain.save_broadcast(
        actor=liaison,
        title="x",
        texts={"fr": "x"},
        send_at=timezone.now(),
        areas=[beni_territory],
        roles=["women"],
    )
    assert [p for p, _o, _l in domain.recipients(only_women)] == [b.reporter_id]
    assert AuditEntry.objects.filter(action="engagement.approve_broadcast").count() == 1


def test_broadcast_form_previews_parts_and_refuses_bad_input(
    personas: dict[str, Any], liaison: Any
) -> None:
    client = verified_client(liaison)
    bad = client.post(
        "/engagement/broadcasts/",
        {"title": "t", "send_at": "2026-12-01T08:00", "area_pcodes": "XX99"},
    )
    assert bad.status_code == 400
    text = bad.content.decode()
    assert (
        "Write the message in at least one language." in text
        and "No area has the P-code XX99." in text
    )
    assert not Broadcast.objects.exists()
    ok = client.post(
        "/engagement/broadcasts/",
        {
            "title": "Mandat",
            "text_ar": "بعثة الأمم المتحدة تحمي المدنيين " * 3,
            "text_fr": "a" * 161,
            "communities": [personas["mbau"].pk],
            "send_at": "2026-12-01T08:00",
        },
    )
    assert ok.status_code == 302
    page = client.get(ok["Location"])
    parts = {p["language"]: p["parts"] for p in page.context["preview"]}
    assert parts == {"fr": 2, "ar": 2}


def test_keyword_answers(personas: dict[str, Any], channel: Channel) -> None:
    pio = make_user("pio", "public_information", whole_mission=True)
    client = verified_client(pio)
    client.post(
        "/engagement/keywords/",
        {
            "keyword": "habari",
            "language": "sw",
            "text": "Misheni ya UN inalinda raia. Tuma TAHADHARI <mahali> <nini>.",
        },
    )
    client.post(
        "/engagement/keywords/",
        {"keyword": "MANDAT", "language": "fr", "text": "La mission protege les civils."},
    )
    inbound(channel, "+243970000401", "Habari", "gw-h")
    inbound(channel, "+243970000402", "MANDAT svp", "gw-m")
    inbound(channel, "+243970000403", "INFO", "gw-i")  # no answer kept for INFO: nothing sent
    replies = list(
        Message.objects.filter(purpose="auto_reply").order_by("id").values_list("text", flat=True)
    )
    assert replies == [
        "Misheni ya UN inalinda raia. Tuma TAHADHARI <mahali> <nini>.",
        "La mission protege les civils.",
    ]
    from ulinzi.alerts.models import Alert

    assert not Alert.objects.exists()


def test_you_said_we_did_for_a_community(
    personas: dict[str, Any], channel: Channel, liaison: Any
) -> None:
    from django.db import transaction

    from ulinzi.alerts import domain as alerts
    from ulinzi.places.models import Place

    with transaction.atomic():
        reporter = messaging.reporter_for_number("+243970000501")
    alert = alerts.receive_report(
        source="sms",
        text="Watu wenye silaha wameua watu Mbau",
        reporter=reporter,
        place=Place.objects.get(kind="health_area", name="Mbau"),
    ).alert
    alice = personas["alice"]
    company = alerts.save_responder(
        actor=personas["adam"], base=personas["beni"], name="Company B", kind="mission_company"
    )
    alerts.acknowledge_alert(actor=alice, alert=alert)
    alerts.verify_alert(actor=alice, alert=alert, result="verified")
    alerts.notify_responders(actor=alice, alert=alert, responders=[company])
    alerts.close_alert(actor=alice, alert=alert, outcome="mitigated")
    focal = domain.register_focal_point(
        actor=liaison,
        phone="+243970000502",
        community=personas["mbau"],
        role="chief",
        language="sw",
    )
    client = verified_client(liaison)
    page = client.get(f"/engagement/communities/{personas['mbau'].pk}/", {"lang": "en"})
    text = page.context["summary_text"]
    assert "1 alert(s) handled" in text
    assert (
        reporter.pseudonym
        not in page.content.decode().split("You said, we did")[1].split("</section>")[0]
    )
    response = client.post(f"/engagement/communities/{personas['mbau'].pk}/send/", {"lang": "sw"})
    assert response.status_code == 302
    sent = Message.objects.get(purpose="you_said_we_did")
    assert sent.reporter_id == focal.reporter_id and "tahadhari 1 zimeshughulikiwa" in sent.text


def test_the_jpt_form_helps_in_the_readers_language(personas: dict[str, Any]) -> None:
    for language, said in (
        ("fr", "Composantes : civil_affairs"),
        ("en", "Components: civil_affairs"),
    ):
        user = make_user(f"jpt-{language}", "liaison", whole_mission=True, language=language)
        assert said in verified_client(user).get("/engagement/jpt/").content.decode()


@pytest.mark.browser
def test_jpt_flow_in_the_browser(
    page: Any, live_server: Any, personas: dict[str, Any], liaison: Any
) -> None:
    log_in_browser(page, live_server.url, "lia")
    page.goto(f"{live_server.url}/engagement/jpt/")
    page.fill("#id_purpose", "Verifier les allegations d'attaques a Mbau")
    page.fill("#id_start", "2026-12-01")
    page.fill("#id_end", "2026-12-03")
    page.select_option("#id_communities", label="Mbau")
    page.fill("#id_team", "Amina; human_rights\nCapt. Diallo; military\nJoseph; child_protection")
    page.click("text=Plan the mission")
    page.wait_for_selector("text=Record a finding")
    page.select_option("#id_community", label="Mbau")
    page.fill("#id_finding", "Trois villages se sentent abandonnes la nuit")
    page.fill("#id_recommendation", "Patrouilles de nuit deux fois par semaine")
    page.select_option("#id_owner", label="alice")
    page.fill("#id_due", "2026-12-20")
    page.click("text=Record the finding")
    page.wait_for_selector("text=Finding recorded.")
    assert "Patrouilles de nuit deux fois par semaine" in page.inner_text("main")
    page.click("text=Printable report")
    page.wait_for_selector("text=Joint Protection Team mission report")
    body = page.inner_text("body")
    assert "Capt. Diallo" in body and "Trois villages" in body
    assert Commitment.objects.get().jpt is not None


@pytest.mark.browser
def test_approve_and_send_a_broadcast_in_the_browser(
    page: Any, live_server: Any, personas: dict[str, Any], liaison: Any
) -> None:
    import http.server
    import threading
    from urllib.parse import parse_qs

    received: list[dict[str, list[str]]] = []

    class Gateway(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            received.append(parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        messaging.create_channel(
            actor="test", name="gw", send_url=f"http://127.0.0.1:{server.server_port}/send"
        )
        domain.register_focal_point(
            actor=liaison,
            phone="+243970000601",
            community=personas["mbau"],
            role="chief",
            language="sw",
        )
        make_user("pio", "public_information", whole_mission=True)
        log_in_browser(page, live_server.url, "lia")
        page.goto(f"{live_server.url}/engagement/broadcasts/")
        page.fill("#id_title", "Mandat")
        page.fill("#id_text_sw", "Misheni inalinda raia. Tuma TAHADHARI.")
        page.select_option("#id_communities", label="Mbau")
        page.fill("#id_send_at", "2026-01-01T08:00")
        page.click("text=Save as draft")
        page.wait_for_selector("text=Waiting for the public information officer's approval.")
        page.click("text=Log out")
        log_in_browser(page, live_server.url, "pio")
        page.goto(f"{live_server.url}/engagement/broadcasts/{Broadcast.objects.get().pk}/")
        page.click("text=Approve and queue for sending")
        page.wait_for_selector("text=1 message(s) queued")
        call_command("worker", "--once", stdout=StringIO())
        assert [r["text"] for r in received] == [["Misheni inalinda raia. Tuma TAHADHARI."]]
        assert FocalPoint.objects.get().reporter.messages.filter(status="sent").count() == 1
    finally:
        server.shutdown()

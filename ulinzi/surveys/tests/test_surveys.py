"""Surveys on the database: upload the standard XLSForm, create a round, import a KoBo
export (idempotent, bad rows refused with their line), and the survey indicators on the
dashboard, with small cells never shown; in a browser, the whole path."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from ulinzi.indicators import engine
from ulinzi.indicators.models import Indicator
from ulinzi.lib.wording import Translated
from ulinzi.surveys.models import Response, SurveyForm, SurveyRound
from ulinzi.surveys.views import STANDARD_FORM
from ulinzi.test import log_in_browser, make_user, verified_client

pytestmark = pytest.mark.django_db
HEADER = [
    "_uuid",
    "_submission_time",
    "consent",
    "safety/safe_night",
    "alerts/knows_alert",
    "profile/sex",
    "profile/community",
]


def export(rows: list[list[str]]) -> bytes:
    lines = [",".join(HEADER)] + [",".join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def respondents(
    n_women: int, n_men: int, seed: int = 1
) -> tuple[list[list[str]], dict[str, float]]:
    """Answers of ``n_women`` women and ``n_men`` men at Mbau, and the true shares."""
    rng = random.Random(seed)
    rows, safe = [], {"female": 0, "male": 0}
    for i, sex in enumerate(["female"] * n_women + ["male"] * n_men):
        night = rng.choice(["very_safe", "fairly_safe", "fairly_unsafe", "very_unsafe"])
        safe[sex] += night in ("very_safe", "fairly_safe")
        rows.append(
            [
                f"uuid-{i}",
                "2026-11-01T10:00:00",
                "yes",
                night,
                rng.choice(["yes", "no"]),
                sex,
                "Mbau",
            ]
        )
    return rows, {
        "female": safe["female"] / n_women * 100 if n_women else 0,
        "male": safe["male"] / n_men * 100 if n_men else 0,
        "": (safe["female"] + safe["male"]) / (n_women + n_men) * 100,
    }


@pytest.fixture
def meo(personas: dict[str, Any]) -> Any:
    return make_user("meo", "me_officer", whole_mission=True)


def upload_and_round(client: Any) -> SurveyRound:
    response = client.post(
        "/surveys/",
        {"action": "upload", "file": SimpleUploadedFile("form.xlsx", STANDARD_FORM.read_bytes())},
    )
    assert response.status_code == 302
    form = SurveyForm.objects.get()
    names = {q["name"] for q in form.questions}
    assert {"safe_night", "knows_alert", "sex", "community"} <= names
    response = client.post(
        "/surveys/",
        {
            "action": "round",
            "name": "Mbau, November",
            "form": form.pk,
            "start": "2026-11-01",
            "end": "2026-11-15",
            "community_question": "community",
        },
    )
    assert response.status_code == 302
    return SurveyRound.objects.get()


def test_a_broken_form_is_refused_with_a_clear_message(meo: Any) -> None:
    client = verified_client(meo)
    response = client.post(
        "/surveys/", {"action": "upload", "file": SimpleUploadedFile("x.xlsx", b"not a workbook")}
    )
    assert response.status_code == 400
    assert "This form cannot be used:" in response.content.decode()
    assert not SurveyForm.objects.exists()
    # In the reader's language, the reason too.
    french = verified_client(make_user("mireille", "me_officer", whole_mission=True, language="fr"))
    refused = french.post(
        "/surveys/", {"action": "upload", "file": SimpleUploadedFile("x.xlsx", b"not a workbook")}
    ).content.decode()
    assert "Ce fichier n&#x27;est pas un classeur .xlsx." in refused, refused[-3000:]
    garbage = SimpleUploadedFile("x.csv", b"\x00\x01\x02")
    survey = upload_and_round(client)
    unread = french.post(f"/surveys/rounds/{survey.pk}/", {"file": garbage}).content.decode()
    assert "Ce fichier n&#x27;est ni un CSV ni un XLSX." in unread


def test_every_message_about_a_form_or_an_export_has_its_french() -> None:
    from ulinzi.surveys import responses, xlsform
    from ulinzi.test import untranslated, worded_messages

    for module, helpers in (
        (xlsform, {"worded": 0, "Said": 0}),
        (responses, {"worded": 0, "Said": 0}),
    ):
        texts, counts = worded_messages(module, helpers)
        assert len(texts) >= 10, module  # the parse found them
        assert not untranslated(texts, counts), module
    # A message within a message: each part in the reader's language.
    inner = responses.ExportError.worded("The file is empty.")
    with translation.override("fr"):
        said = responses._in_the_zip("a.csv", inner).said(Translated())
    assert said == "Le fichier 'a.csv' du ZIP : Le fichier est vide."


def test_a_round_refused_says_why_once_on_its_own_form(meo: Any) -> None:
    """A round ending before it starts: the reason once, in words, on the round's form;
    the upload form, not sent, shows no error; nothing is saved."""
    client = verified_client(meo)
    upload_and_round(client)
    response = client.post(
        "/surveys/",
        {
            "action": "round",
            "name": "Mbau, December",
            "form": SurveyForm.objects.get().pk,
            "start": "2026-12-15",
            "end": "2026-12-01",
            "community_question": "community",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count("The last day is before the first day") == 1, html
    assert "__all__" not in html and "This field is required." not in html
    assert SurveyRound.objects.count() == 1
    empty = client.post("/surveys/", {"action": "round"}).content.decode()
    # name, form, the two days and the community's question, each once beside its field
    assert empty.count("This field is required.") == 5
    assert "<li>name</li>" not in empty and ">name<" not in empty


def test_import_is_idempotent_and_feeds_the_indicators(meo: Any) -> None:
    client = verified_client(meo)
    survey = upload_and_round(client)
    rows, truth = respondents(40, 3)
    url = f"/surveys/rounds/{survey.pk}/"
    first = client.post(url, {"file": SimpleUploadedFile("kobo.csv", export(rows))})
    assert first.status_code == 302
    assert Response.objects.count() == 43
    assert Response.objects.filter(community__name="Mbau").count() == 43
    again = client.post(url, {"file": SimpleUploadedFile("kobo.csv", export(rows))})
    assert again.status_code == 302 and Response.objects.count() == 43

    values = engine.survey_values(Indicator.objects.get(code="safe-at-night"), meo)
    by_group = {v.group: v for v in values}
    assert by_group[""].value == pytest.approx(truth[""], abs=0.05)
    assert by_group["female"].value == pytest.approx(truth["female"], abs=0.05)
    assert by_group["female"].ci[0] < by_group["female"].value < by_group["female"].ci[1]
    male = by_group["male"]
    assert male.suppressed and male.value is None and male.ci is None  # 3 men: never shown
    dashboard = client.get("/indicators/").content.decode()
    assert "Mbau, November" in dashboard and "under 5" in dashboard
    assert "· Female: " in dashboard and "· female: " not in dashboard  # the form's labels
    # ...in the reader's language, as the form gives it.
    french = verified_client(make_user("mireille", "me_officer", whole_mission=True, language="fr"))
    assert "· Femme\u00a0: " in french.get("/indicators/").content.decode()
    # The round's questions by their labels in the reader's language, then their names.
    questions = french.get(url).content.decode()
    assert "Sexe <code>sex</code> <small>(un seul choix)</small>" in questions
    english = client.get(url).content.decode()
    assert "Sex <code>sex</code> <small>(one choice)</small>" in english
    # What the phone records by itself is named apart, never as a question.
    recorded = english.split("Recorded by the phone itself:")[1].split("</p>")[0]
    assert "<code>start</code>" in recorded and "<code>start</code> <small>" not in english


def test_bad_rows_refuse_the_file_unless_told(meo: Any) -> None:
    client = verified_client(meo)
    survey = upload_and_round(client)
    rows, _truth = respondents(5, 5)
    rows[2][3] = "terribly_safe"  # not a choice of safe_night
    rows[4][0] = ""  # no submission id
    url = f"/surveys/rounds/{survey.pk}/"
    refused = client.post(url, {"file": SimpleUploadedFile("kobo.csv", export(rows))})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "2 bad row(s); nothing was imported." in page
    assert "line 4" in page and "line 6" in page
    assert not Response.objects.exists()
    # Each row's reason in the reader's language, its values as written in the file.
    french = verified_client(make_user("mireille", "me_officer", whole_mission=True, language="fr"))
    lignes = french.post(url, {"file": SimpleUploadedFile("kobo.csv", export(rows))})
    said = lignes.content.decode()
    assert (
        "ligne 4 : &#x27;safe_night&#x27; vaut &#x27;terribly_safe&#x27;, qui n&#x27;est pas"
        in said
    )
    assert "ligne 6 : aucun identifiant de soumission (les colonnes" in said
    assert "line 4" not in said and not Response.objects.exists()
    skipped = client.post(
        url, {"file": SimpleUploadedFile("kobo.csv", export(rows)), "skip_bad": "on"}
    )
    assert skipped.status_code == 400  # the page lists what was left out
    assert Response.objects.count() == 8
    garbage = client.post(url, {"file": SimpleUploadedFile("x.csv", b"\x00\x01\x02")})
    assert garbage.status_code == 400
    assert "This file cannot be read:" in garbage.content.decode()
    assert Response.objects.count() == 8


def test_repeat_groups_are_kept_with_their_submission(meo: Any) -> None:
    from ulinzi.surveys import domain
    from ulinzi.surveys.tests.test_responses import (
        LONG,
        LONG_SHEET,
        kobo_sheets,
        roster_xlsform,
        workbook,
    )

    form = domain.upload_form(actor=meo, content=roster_xlsform())
    survey = domain.create_round(
        actor=meo,
        name="Roster",
        form=form,
        start=dt.date(2024, 7, 1),
        end=dt.date(2024, 7, 2),
    )
    client = verified_client(meo)
    url = f"/surveys/rounds/{survey.pk}/"

    # A bad answer deep in a nested repeat refuses the file: nothing is written.
    sheets = kobo_sheets()
    sheets[LONG_SHEET][2][0] = "perhaps"
    refused = client.post(url, {"file": SimpleUploadedFile("kobo.xlsx", workbook(sheets))})
    assert refused.status_code == 400 and not Response.objects.exists()
    assert f"sheet &#x27;{LONG_SHEET}&#x27; line 3" in refused.content.decode()

    done = client.post(url, {"file": SimpleUploadedFile("kobo.xlsx", workbook(kobo_sheets()))})
    assert done.status_code == 302
    first = Response.objects.get(submission_id="u-1")
    members = first.repeats["members"]
    assert [m["member_name"] for m in members] == ["Amani", "Baraka"]
    assert members[0]["member_threats"] == ["killing", "abduction"]
    assert [i["reported"] for i in members[0]["repeats"][LONG]] == ["yes", None]
    assert Response.objects.get(submission_id="u-3").repeats == {"members": []}
    assert first.values["community"] == "Kibumba" and "members" not in first.values


@pytest.mark.browser
def test_import_a_survey_export_and_open_the_dashboard(
    page: Any, live_server: Any, personas: dict[str, Any], tmp_path: Path
) -> None:
    import datetime as dt

    from ulinzi.surveys import domain

    meo = make_user("meo", "me_officer", whole_mission=True)
    form = domain.upload_form(actor=meo, content=STANDARD_FORM.read_bytes())
    domain.create_round(
        actor=meo,
        name="Mbau, November",
        form=form,
        start=dt.date(2026, 11, 1),
        end=dt.date(2026, 11, 15),
    )
    rows, truth = respondents(30, 30)
    path = tmp_path / "kobo.csv"
    path.write_bytes(export(rows))
    log_in_browser(page, live_server.url, "meo")
    page.goto(f"{live_server.url}/surveys/")
    page.click("text=Mbau, November")
    page.set_input_files("#id_file", str(path))
    page.click("button:has-text('Import')")
    page.wait_for_selector("text=60 new")
    page.click("text=Indicators")
    page.wait_for_selector("text=Share who feel safe at night, by sex")
    text = page.inner_text("main")
    assert f"{round(truth[''], 1)}%" in text
    assert Response.objects.count() == 60


def test_an_answer_is_labelled_in_the_readers_language_however_the_form_names_it() -> None:
    labels = {"English (en)": "Female", "fr": "Femme", "default": "F"}
    form = SurveyForm(questions=[{"name": "sex", "path": "p/sex", "choices": [["female", labels]]}])
    assert form.choice_label("sex", "female", "fr") == "Femme"  # "label::fr"
    assert form.choice_label("p/sex", "female", "sw") == "Female"  # none in Swahili: English
    assert form.choice_label("sex", "other", "fr") == "other"  # not a choice: as stored
    assert form.questions_in("fr") == [{"name": "sex", "type": "", "label": ""}]


def test_a_question_list_names_what_each_asks_and_puts_the_phones_own_fields_apart() -> None:
    from ulinzi.surveys.views import questions_shown

    shown = questions_shown(
        [
            {"name": "start", "type": "start", "label": ""},
            {"name": "sex", "type": "select_one sexes", "label": "Sex"},
            {"name": "score", "type": "calculate", "label": ""},
            {"name": "photo", "type": "barcode", "label": "Code"},
        ]
    )
    assert [q["name"] for q in shown["recorded"]] == ["start"]
    assert [(q["name"], q["asks"]) for q in shown["asked"]] == [
        ("sex", "one choice"),
        ("score", "worked out by the form (no answer)"),
        ("photo", "barcode"),
    ]

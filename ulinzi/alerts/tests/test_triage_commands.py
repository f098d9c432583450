"""``ulinzi train-triage`` and ``ulinzi triage``: JSON lines in, JSON lines out, clear errors."""

from __future__ import annotations

import json
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ulinzi.alerts.triage import Model

OUTPUT_KEYS = ["id", "language", "labels", "predicted", "threat_type", "severity", "because"]

TRAINING_CSV = """id,split,message,security,water
1,train,armed men attacked the village,1,0
2,train,we need clean water,0,1
3,train,gunmen looted the market,1,0
4,train,no water since monday,0,1
5,train,soldiers shooting near the camp,1,0
6,train,please bring water to the camp,0,1
7,train,armed group kidnapped two men,1,0
8,train,water point is broken,0,1
9,validation,armed men seen near the school,1,0
"""


def run_triage(lines: str, *args: str) -> list[dict[str, Any]]:
    out = StringIO()
    stdin = sys.stdin
    sys.stdin = StringIO(lines)
    try:
        call_command("triage", *args, stdout=out)
    finally:
        sys.stdin = stdin
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.fixture
def training_csv(tmp_path: Path) -> Path:
    path = tmp_path / "messages.csv"
    path.write_text(TRAINING_CSV, encoding="utf-8")
    return path


def test_triage_reads_json_lines_and_writes_one_line_each() -> None:
    results = run_triage(
        '{"id": "sms-1", "text": "Watu wenye silaha wameua watu watatu Mbau usiku huu"}\n'
        "\n"
        '{"id": 2, "text": "Des hommes armés ont enlevé 5 personnes à Kiwanja"}\n'
    )
    assert results == [
        {
            "id": "sms-1",
            "language": "sw",
            "labels": {"killing": 1.0, "armed_presence": 1.0},
            "predicted": ["killing", "armed_presence"],
            "threat_type": "killing",
            "severity": "critical",
            "because": ["wameua", "Watu wenye silaha"],
        },
        {
            "id": 2,
            "language": "fr",
            "labels": {"abduction": 1.0, "armed_presence": 1.0},
            "predicted": ["abduction", "armed_presence"],
            "threat_type": "abduction",
            "severity": "high",
            "because": ["enlevé", "hommes armés"],
        },
    ]
    assert all(list(r) == OUTPUT_KEYS for r in results)


def test_a_bad_line_gives_an_error_line_and_the_batch_goes_on() -> None:
    results = run_triage(
        'this is not json\n{"id": 2}\n["a list"]\n{"id": 4, "text": 42}\n{"id": 5, "text": ""}\n'
    )
    assert results[:4] == [
        {"id": None, "error": "line 1: not valid JSON (Expecting value: line 1 column 1 (char 0))"},
        {"id": 2, "error": "line 2: has no text"},
        {"id": None, "error": 'line 3: expected an object {"id", "text"}'},
        {"id": 4, "error": 'line 4: "text" is not a string'},
    ]
    assert results[4] == {
        "id": 5,
        "language": "und",
        "labels": {},
        "predicted": [],
        "threat_type": "other",
        "severity": "low",
        "because": [],
    }


def test_triage_reads_a_file_too(tmp_path: Path) -> None:
    path = tmp_path / "texts.jsonl"
    path.write_bytes(b'{"id": 1, "text": "Milio ya risasi Kanyabayonga"}\n{"id": 2, "te\xff\n')
    results = run_triage("", str(path))
    assert results[0]["threat_type"] == "armed_clash"
    assert results[1]["id"] is None and results[1]["error"].startswith("line 2: not valid JSON")


def test_train_then_triage_with_the_model(training_csv: Path, tmp_path: Path) -> None:
    model_path = tmp_path / "triage.model"
    err = StringIO()
    call_command(
        "train_triage",
        str(training_csv),
        "--text",
        "message",
        "--labels",
        "security,water",
        "--model",
        str(model_path),
        "--where",
        "split=train",
        stderr=err,
    )
    model = Model.load(model_path)
    assert model.label_names == ("security", "water")
    assert model.info["texts"] == 8  # the validation row was left out

    [result] = run_triage(
        '{"id": 1, "text": "armed men near the camp, we need water"}\n', "--model", str(model_path)
    )
    assert list(result) == OUTPUT_KEYS
    assert set(result["labels"]) == {"security", "water"}
    assert all(0.0 <= score <= 1.0 for score in result["labels"].values())
    assert set(result["predicted"]) <= {"security", "water"}
    assert result["threat_type"] == "armed_presence"
    assert result["because"][0] == "armed men"


def test_training_progress_goes_to_stderr(
    training_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = StringIO()
    call_command(
        "train_triage",
        str(training_csv),
        "--text=message",
        "--labels=security",
        f"--model={tmp_path / 'm'}",
        stdout=out,
    )
    assert out.getvalue() == ""
    progress = capsys.readouterr().err
    assert progress.startswith("train-triage: 9 texts, labels: security\n")
    assert "model written to" in progress


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (
            TRAINING_CSV,
            ["--text", "body", "--labels", "security,fire"],
            "has no column 'body', 'fire'; its columns are: id, split, message, security, water",
        ),
        ("", ["--text", "message", "--labels", "security"], "is empty"),
        ("message,security\n", ["--text", "message", "--labels", "security"], "has no data rows"),
        (
            TRAINING_CSV,
            ["--text", "message", "--labels", "security", "--where", "split=test"],
            "has no data rows matching split=test",
        ),
        (
            TRAINING_CSV,
            ["--text", "message", "--labels", "security", "--where", "split"],
            "--where 'split': write it as COLUMN=VALUE",
        ),
        (
            TRAINING_CSV,
            ["--text", "message", "--labels", "security", "--where", "kind=x"],
            "has no column 'kind'",
        ),
        (
            "message,security\n,1\n,0\n",
            ["--text", "message", "--labels", "security"],
            "no usable words",
        ),
    ],
)
def test_train_triage_explains_what_is_wrong(
    tmp_path: Path, content: str, args: list[str], message: str
) -> None:
    path = tmp_path / "in.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=message.replace("(", r"\(")) as caught:
        call_command("train_triage", str(path), *args, "--model", str(tmp_path / "m"))
    assert str(path) in str(caught.value) or "--where" in str(caught.value)


def test_train_triage_refuses_a_missing_or_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command(
            "train_triage", str(tmp_path / "nope.csv"), "--text=t", "--labels=a", "--model=m"
        )
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    with pytest.raises(CommandError, match="cannot read .* as a UTF-8 CSV file"):
        call_command("train_triage", str(binary), "--text=t", "--labels=a", "--model=m")


def test_triage_refuses_a_file_that_is_not_a_model(training_csv: Path, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="is not a triage model file"):
        run_triage("", "--model", str(training_csv))
    with pytest.raises(CommandError, match="no such model file"):
        run_triage("", "--model", str(tmp_path / "missing.model"))

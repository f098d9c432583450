"""Triage of report texts: what the duty officer sees for real-looking SMS.

Pure tests (no database, no Django): they also run with ``-p no:django``.
"""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ulinzi.alerts import triage_lexicon
from ulinzi.alerts.triage import (
    BASE_SEVERITY,
    LANGUAGES,
    SEVERITIES,
    THREAT_TYPES,
    TYPE_PRIORITY,
    Model,
    Triage,
    detect_language,
    triage,
)

SHARED_DATA = Path(
    os.environ.get("ULINZI_SHARED_DATA") or Path(__file__).resolve().parents[4] / "shared" / "data"
)
MESSAGES = SHARED_DATA / "messages" / "disaster_response_train_val.csv"
SMALL_LABELS = ["request", "food", "water", "medical_help", "death", "search_and_rescue"]


# -- the taxonomy -----------------------------------------------------------------------


def test_the_taxonomy_is_the_product_one() -> None:
    assert THREAT_TYPES == (
        "attack_on_civilians",
        "killing",
        "abduction",
        "sexual_violence",
        "looting_extortion",
        "arson_destruction",
        "armed_clash",
        "armed_presence",
        "threat_intimidation",
        "child_recruitment",
        "arbitrary_arrest",
        "displacement",
        "explosive_hazard",
        "intercommunal_tension",
        "other",
    )
    assert SEVERITIES == ("critical", "high", "medium", "low")
    assert sorted(TYPE_PRIORITY) == sorted(THREAT_TYPES)
    assert set(BASE_SEVERITY) == set(THREAT_TYPES)
    assert set(triage_lexicon.THREAT_WORDS) == set(THREAT_TYPES)
    assert {kind for _, kind, _ in triage_lexicon.SWAHILI_LINGALA_VERBS} <= set(THREAT_TYPES)
    assert {kind for _, kind in triage_lexicon.ARABIC_STEMS} <= set(THREAT_TYPES)


# -- one SMS in each language -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "threat_type", "severity", "because"),
    [
        (
            "Watu wenye silaha wameua watu watatu Mbau usiku huu",
            "sw",
            "killing",
            "critical",
            ["wameua", "Watu wenye silaha"],
        ),
        (
            "Des hommes armés ont enlevé 5 personnes à Kiwanja",
            "fr",
            "abduction",
            "high",
            ["enlevé", "hommes armés"],
        ),
        (
            "Bato ya mundoki babomi bato misato na Mbau",
            "ln",
            "killing",
            "critical",
            ["babomi", "Bato ya mundoki"],
        ),
        (
            "مسلحون قتلوا ثلاثة أشخاص في القرية",
            "ar",
            "killing",
            "critical",
            ["قتلوا", "مسلحون"],
        ),
        (
            "Armed men killed three people in Mbau tonight",
            "en",
            "killing",
            "critical",
            ["killed", "Armed men"],
        ),
        (
            "Wanawake wawili wamebakwa na wanamgambo karibu na Bunia",
            "sw",
            "sexual_violence",
            "high",
            ["wamebakwa", "wanamgambo"],
        ),
        (
            "Coups de feu entendus à Rutshuru depuis ce matin",
            "fr",
            "armed_clash",
            "high",
            ["Coups de feu"],
        ),
        (
            "Milio ya risasi Kanyabayonga tangu asubuhi",
            "sw",
            "armed_clash",
            "high",
            ["Milio ya risasi"],
        ),
        (
            "Les ADF ont attaqué le village de Mamove, plusieurs morts",
            "fr",
            "killing",
            "critical",
            ["morts", "ADF", "attaqué"],
        ),
        (
            "Nyumba zimechomwa moto Kitshanga na waasi",
            "sw",
            "arson_destruction",
            "high",
            ["Nyumba zimechomwa", "waasi"],
        ),
        (
            "Une mine a explosé près de l'école de Kamango",
            "fr",
            "explosive_hazard",
            "high",
            ["Une mine"],
        ),
        (
            "Ils recrutent des enfants soldats à Djugu",
            "fr",
            "child_recruitment",
            "high",
            ["recrutent", "enfants soldats"],
        ),
        (
            "Les militaires ont arrêté arbitrairement 10 jeunes à Kasindi",
            "fr",
            "arbitrary_arrest",
            "medium",
            ["arrêté arbitrairement", "militaires"],
        ),
        (
            "Wakimbizi wengi wanakimbia Masisi",
            "sw",
            "displacement",
            "medium",
            ["Wakimbizi", "wanakimbia"],
        ),
        (
            "Conflit foncier entre éleveurs et agriculteurs à Kalehe",
            "fr",
            "intercommunal_tension",
            "medium",
            ["Conflit foncier", "éleveurs et agriculteurs"],
        ),
        (
            "Menaces contre le chef de village de Lubero",
            "fr",
            "threat_intimidation",
            "medium",
            ["Menaces"],
        ),
        (
            "Vaches volées par des bandits armés à Fataki",
            "fr",
            "looting_extortion",
            "medium",
            ["Vaches volées", "bandits armés"],
        ),
        ("M23 wako Kibumba", "sw", "armed_presence", "medium", ["M23"]),
    ],
)
def test_real_looking_sms_in_each_language(
    text: str, language: str, threat_type: str, severity: str, because: list[str]
) -> None:
    result = triage(text)
    assert (result.language, result.threat_type, result.severity) == (
        language,
        threat_type,
        severity,
    )
    assert result.because == because


def test_without_a_model_labels_are_the_types_the_lexicon_found() -> None:
    result = triage("Des hommes armés ont enlevé 5 personnes à Kiwanja")
    assert result == Triage(
        language="fr",
        threat_type="abduction",
        severity="high",
        labels={"abduction": 1.0, "armed_presence": 1.0},
        predicted=["abduction", "armed_presence"],
        because=["enlevé", "hommes armés"],
    )
    assert result.as_dict() == {
        "language": "fr",
        "labels": {"abduction": 1.0, "armed_presence": 1.0},
        "predicted": ["abduction", "armed_presence"],
        "threat_type": "abduction",
        "severity": "high",
        "because": ["enlevé", "hommes armés"],
    }


# -- misspellings, word forms, mixed text ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "threat_type", "because"),
    [
        ("Pilage a Oicha par les Mai-Mai hier soir", "looting_extortion", "Pilage (~pillage)"),
        ("massacr a Eringeti", "killing", "massacr (~massacre)"),
        ("Kidnaping of 3 traders on Beni-Butembo road", "abduction", "Kidnaping (~kidnapping)"),
        ("DEPLACES NOMBREUX A NYIRAGONGO", "displacement", "DEPLACES"),
        ("wanauwa watu", "killing", "wanauwa"),
        ("walimuua mzee wa kijiji", "killing", "walimuua"),
        ("watoto wawili wametekwa jana", "abduction", "wametekwa"),
        ("babomaki bato mibale", "killing", "babomaki"),
        ("وقتلوا رجلين", "killing", "وقتلوا"),
        ("khatf 3 atfal", "abduction", "khatf"),
        ("l'attaque des rebelles a Kamango", "attack_on_civilians", "l'attaque"),
    ],
)
def test_misspellings_and_word_forms(text: str, threat_type: str, because: str) -> None:
    result = triage(text)
    assert result.threat_type == threat_type
    assert result.because[0] == because


def test_mixed_languages_in_one_sms() -> None:
    result = triage("Aidez-nous!! watu wenye silaha wanakuja Kalunguta sasa hivi")
    assert result.threat_type == "armed_presence"
    assert result.severity == "high"
    assert result.because == ["watu wenye silaha", "Aidez-nous", "wanakuja", "sasa hivi"]


@pytest.mark.parametrize(
    "text",
    [
        "We are looking for our families in Carrefour",  # looking/looting
        "Classes are closed since the earthquake",  # classes/clashes
        "Wamekua wakubwa sasa",  # they have grown up: not "wameua"
        "Habari za Masisi",  # the place, not "masasi" (bullets)
        "Please treat the water before drinking",  # treat/threat
        "Le pont est cassé sur la route de Butembo",
    ],
)
def test_ordinary_words_that_look_like_threat_words_are_not_threats(text: str) -> None:
    result = triage(text)
    assert result.threat_type == "other"
    assert result.labels == {}


# -- severity rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("Hommes armés vus près de Kanyabayonga", "medium"),
        ("Hommes armés à Kanyabayonga maintenant", "high"),
        ("Au secours, des hommes armés entrent au village", "high"),
        ("Attaque en cours à Mangina", "critical"),
        ("Wameshambulia kijiji sasa hivi", "critical"),
        ("Wameshambulia kijiji jana", "high"),
        ("Pillage du marché de Kiwanja hier", "medium"),
        ("Massacre à Eringeti", "critical"),
        ("Tusaidie", "medium"),
        ("Bonjour, la réunion est demain", "low"),
    ],
)
def test_severity_rules(text: str, severity: str) -> None:
    assert triage(text).severity == severity


def test_a_severity_cue_is_shown_only_when_it_changed_the_level() -> None:
    assert triage("Attaque en cours à Mangina").because == ["Attaque", "en cours"]
    # A killing is critical anyway: "sasa hivi" did not decide anything.
    assert triage("wameua watu sasa hivi").because == ["wameua"]


# -- language ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Watu wenye silaha wameua watu watatu Mbau usiku huu", "sw"),
        ("Des hommes armés ont enlevé 5 personnes à Kiwanja", "fr"),
        ("Bato ya mundoki babomi bato misato na Mbau", "ln"),
        ("مسلحون قتلوا ثلاثة أشخاص", "ar"),
        ("Armed men are in the village", "en"),
        ("Abantu bitwaje intwaro bishe abantu batatu", "rw"),
        # Very short texts: a lexicon word decides.
        ("wameua", "sw"),
        ("babomi", "ln"),
        ("qutila", "ar"),
        ("enlèvement Kiwanja", "fr"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["", "   ", "!!!", "12345 678", "asdfgh", "x", "ADF", "😀😀"])
def test_no_language_for_empty_text_noise_or_a_bare_name(text: str) -> None:
    assert detect_language(text) == "und"


@pytest.mark.parametrize("text", ["", "   \n\t", "?!", "0000000"])
def test_empty_or_garbage_text_is_other_and_low(text: str) -> None:
    assert triage(text) == Triage("und", "other", "low", {}, [], [])


def test_every_detected_language_is_a_mission_language() -> None:
    assert set(LANGUAGES) >= {"fr", "sw", "ln", "ar", "en"}
    assert detect_language("Bonjour à tous") in LANGUAGES


# -- properties -------------------------------------------------------------------------


def check(result: Triage, text: str) -> None:
    assert result.language in (*LANGUAGES, "und")
    assert result.threat_type in THREAT_TYPES
    assert result.severity in SEVERITIES
    assert all(0.0 <= score <= 1.0 for score in result.labels.values())
    assert set(result.predicted) <= set(result.labels)
    for word in result.because:
        assert word.split(" (~")[0] in text or word in text.encode("utf-8", "replace").decode()


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_triage_never_raises_and_stays_in_range(text: str) -> None:
    check(triage(text), text)


@given(
    st.lists(
        st.sampled_from(
            ["wameua", "hommes", "armés", "Mai-Mai", "قتلوا", "sasa", "pilage", "l'", "-", "ADF"]
        )
        | st.text(min_size=1, max_size=8),
        max_size=20,
    )
)
@settings(max_examples=200, deadline=None)
def test_triage_of_word_salad_never_raises(words: list[str]) -> None:
    text = " ".join(words)
    check(triage(text), text)


def test_triage_refuses_what_is_not_text() -> None:
    with pytest.raises(TypeError):
        triage(None)  # type: ignore[arg-type]


# -- the trainable model -------------------------------------------------------------------


def small_slice(split: str, limit: int) -> tuple[list[str], list[list[str]]]:
    if not MESSAGES.exists():
        if os.environ.get("ULINZI_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(f"the shared data is not at {SHARED_DATA}")
        pytest.skip(f"the shared data is not at {SHARED_DATA}")
    texts: list[str] = []
    labels: list[list[str]] = []
    with MESSAGES.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["split"] == split:
                texts.append(row["message"])
                labels.append([name for name in SMALL_LABELS if row[name] == "1"])
                if len(texts) == limit:
                    break
    return texts, labels


@pytest.fixture(scope="module")
def model() -> Model:
    """Trained on the first 2,000 training messages of the disaster-response set (tests
    only: the data's licence is unknown, so neither it nor this model is shipped)."""
    texts, labels = small_slice("train", 2000)
    return Model.train(texts, labels, SMALL_LABELS + ["offer"])


def test_the_model_learns_from_a_small_slice(model: Model) -> None:
    texts, labels = small_slice("validation", 400)
    about_food = [text for text, truth in zip(texts, labels, strict=True) if "food" in truth]
    found = sum("food" in model.predicted(model.predict(text)) for text in about_food)
    assert len(about_food) >= 20
    assert found / len(about_food) > 0.5
    assert model.info["texts"] == 2000 and model.info["held_out"] == 400


def test_model_scores_predictions_and_explanation(model: Model) -> None:
    text = "We need food and water in Leogane, please help"
    scores = model.predict(text)
    assert list(scores) == SMALL_LABELS + ["offer"]
    assert all(0.0 <= s <= 1.0 for s in scores.values())
    predicted = model.predicted(scores)
    assert "food" in predicted and "water" in predicted
    assert predicted == sorted(predicted, key=lambda name: -scores[name])
    because = model.explain(text, ["food"])
    assert because[0] == "food"
    assert model.assess(text) == (scores, predicted, model.explain(text))


def test_a_label_without_examples_is_never_predicted(model: Model) -> None:
    assert model.info["positives"]["offer"] == 0
    assert model.predict("We offer food, water and tents to everyone")["offer"] < 1e-9
    assert "offer" not in model.predicted({"offer": 0.99})


def test_triage_with_a_model_adds_labels_and_model_words(model: Model) -> None:
    result = triage("Watu wenye silaha wameua watu watatu, we need food", model)
    assert (result.threat_type, result.severity, result.language) == ("killing", "critical", "sw")
    assert set(result.labels) == set(SMALL_LABELS + ["offer"])
    assert "food" in result.predicted
    assert result.because[:2] == ["wameua", "Watu wenye silaha"]
    assert "food" in result.because[2:]


@given(st.text(max_size=200))
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_triage_with_a_model_never_raises(model: Model, text: str) -> None:
    check(triage(text, model), text)


def test_save_and_load_give_the_same_scores(model: Model, tmp_path: Path) -> None:
    path = tmp_path / "triage.model"
    model.save(path)
    again = Model.load(path)
    assert again.label_names == model.label_names
    assert again.info == model.info
    for text in ["We need food", "Hommes armés à Kiwanja", "", "mauaji"]:
        assert again.predict(text) == pytest.approx(model.predict(text), abs=1e-6)
        assert again.explain(text) == model.explain(text)
    np.testing.assert_array_equal(again.thresholds, model.thresholds)
    # A model file is plain arrays: it opens without pickle.
    with np.load(path, allow_pickle=False) as archive:
        assert {"meta", "vocabulary", "coef", "thresholds"} <= set(archive.files)


def test_loading_something_else_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("id,text\n1,hello\n", encoding="utf-8")
    with pytest.raises(ValueError, match="is not a triage model file"):
        Model.load(path)
    with pytest.raises(FileNotFoundError):
        Model.load(tmp_path / "missing.model")


@pytest.mark.parametrize(
    ("texts", "labels", "names", "message"),
    [
        (["a b", "c d"], [["x"]], ["x"], "2 texts but 1 label lists"),
        (["a b", "c d"], [["x"], ["y"]], ["x"], "has label 'y', not in label_names"),
        (["a b"], [["x"]], ["x"], "at least two texts"),
        (["a", "b"], [[], []], [], "non-empty list of distinct names"),
        (["", " ! "], [["x"], []], ["x"], "no usable words"),
    ],
)
def test_training_refuses_bad_input(
    texts: list[str], labels: list[list[str]], names: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Model.train(texts, labels, names)


def test_training_on_a_handful_of_texts_works() -> None:
    texts = ["armed men in the village", "we need water", "gunmen attacked", "water please"] * 3
    labels = [["security"], ["water"], ["security"], ["water"]] * 3
    tiny = Model.train(texts, labels, ["security", "water"])
    assert tiny.predicted(tiny.predict("armed gunmen")) == ["security"]


def test_single_message_triage_is_fast(model: Model) -> None:
    texts, _ = small_slice("validation", 200)
    triage(texts[0], model)
    start = time.perf_counter()
    for text in texts:
        triage(text, model)
    # Generous bound for a loaded test machine; the benchmark measures the real figure.
    assert (time.perf_counter() - start) / len(texts) < 0.01

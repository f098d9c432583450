"""The standard perception-of-safety questionnaire, written as an XLSForm in English,
French and Swahili, ready to upload to KoBoToolbox or ODK Central.

``build(path)`` writes the .xlsx; the copy shipped with Ulinzi,
``ulinzi/surveys/data/perception_of_safety.xlsx``, is regenerated with::

    python -m ulinzi.surveys.standard_form

Conventions:

* "Don't know" and "refused" are the choice names ``dk`` and ``refused`` in every list
  that offers them (never numeric codes such as -88/-99), so that an export reads the
  same in every language and ``ulinzi.surveys.responses`` maps them to a missing value
  with its reason.
* The questions sit in groups (``safety``, ``trust``, ``alerts``, ``profile``), so
  KoBo exports name the columns ``safety/safe_day`` and ODK Central ``safety-safe_day``.
* The threat choices are Ulinzi's threat taxonomy (``ulinzi.alerts.taxonomy``), so the
  answers line up with the alerts.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from ulinzi.alerts.taxonomy import THREAT_TYPES

FORM_ID = "ulinzi_perception_of_safety"
FORM_TITLE = "Perception of safety / Perception de la sécurité / Mtazamo wa usalama"
FORM_VERSION = "2025.1"
DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "perception_of_safety.xlsx"

LANGUAGES: tuple[str, ...] = ("English (en)", "French (fr)", "Swahili (sw)")
DEFAULT_LANGUAGE = "English (en)"
DONT_KNOW = "dk"
REFUSED = "refused"

Labels = tuple[str, str, str]  # English, French, Swahili

_DK: Labels = ("Don't know", "Ne sait pas", "Sijui")
_REFUSED: Labels = ("Refused to answer", "Refuse de répondre", "Amekataa kujibu")

THREAT_LABELS: dict[str, Labels] = {
    "attack_on_civilians": (
        "Attacks on civilians",
        "Attaques contre des civils",
        "Mashambulizi dhidi ya raia",
    ),
    "killing": ("Killings", "Meurtres", "Mauaji"),
    "abduction": ("Abductions, kidnapping", "Enlèvements", "Utekaji nyara"),
    "sexual_violence": ("Sexual violence", "Violences sexuelles", "Ukatili wa kingono"),
    "looting_extortion": (
        "Looting, extortion, illegal taxes",
        "Pillages, extorsion, taxes illégales",
        "Uporaji, unyang'anyi, ushuru haramu",
    ),
    "arson_destruction": (
        "Burning or destruction of houses and property",
        "Incendies ou destruction de maisons et de biens",
        "Kuchomwa au kuharibiwa kwa nyumba na mali",
    ),
    "armed_clash": (
        "Fighting between armed groups or forces",
        "Affrontements entre groupes ou forces armés",
        "Mapigano kati ya vikundi au vikosi vyenye silaha",
    ),
    "armed_presence": (
        "Presence of armed men",
        "Présence d'hommes armés",
        "Uwepo wa watu wenye silaha",
    ),
    "threat_intimidation": (
        "Threats and intimidation",
        "Menaces et intimidation",
        "Vitisho na kutishwa",
    ),
    "child_recruitment": (
        "Recruitment of children",
        "Recrutement d'enfants",
        "Kuandikishwa kwa watoto vitani",
    ),
    "arbitrary_arrest": (
        "Arbitrary arrests or detention",
        "Arrestations ou détentions arbitraires",
        "Kukamatwa au kufungwa bila sababu",
    ),
    "displacement": (
        "Forced displacement",
        "Déplacements forcés",
        "Kulazimishwa kuhama makazi",
    ),
    "explosive_hazard": (
        "Mines, explosives, unexploded ordnance",
        "Mines, explosifs, engins non explosés",
        "Mabomu ya ardhini, vilipuzi, mabomu ambayo hayajalipuka",
    ),
    "intercommunal_tension": (
        "Tensions or conflict between communities",
        "Tensions ou conflits entre communautés",
        "Mivutano au migogoro kati ya jamii",
    ),
    "other": ("Other", "Autre", "Nyingine"),
}

CHOICE_LISTS: dict[str, list[tuple[str, Labels]]] = {
    "consent": [
        ("yes", ("Yes, I agree to answer", "Oui, j'accepte de répondre", "Ndiyo, nakubali kujibu")),
        ("no", ("No", "Non", "Hapana")),
    ],
    "safety_scale": [
        ("very_safe", ("Very safe", "Très en sécurité", "Salama sana")),
        ("fairly_safe", ("Fairly safe", "Plutôt en sécurité", "Salama kiasi")),
        ("fairly_unsafe", ("Fairly unsafe", "Plutôt en insécurité", "Si salama kiasi")),
        ("very_unsafe", ("Very unsafe", "Très en insécurité", "Si salama hata kidogo")),
        (DONT_KNOW, _DK),
        (REFUSED, _REFUSED),
    ],
    "threats": [
        *((threat, THREAT_LABELS[threat]) for threat in THREAT_TYPES),
        (DONT_KNOW, _DK),
        (REFUSED, _REFUSED),
    ],
    "trust_scale": [
        ("a_lot", ("A lot", "Beaucoup", "Sana")),
        ("somewhat", ("Somewhat", "Assez", "Kiasi")),
        ("a_little", ("A little", "Un peu", "Kidogo")),
        ("not_at_all", ("Not at all", "Pas du tout", "Hata kidogo")),
        (DONT_KNOW, _DK),
        (REFUSED, _REFUSED),
    ],
    "yes_no_dk": [
        ("yes", ("Yes", "Oui", "Ndiyo")),
        ("no", ("No", "Non", "Hapana")),
        (DONT_KNOW, _DK),
        (REFUSED, _REFUSED),
    ],
    "sex": [
        ("female", ("Female", "Femme", "Mwanamke")),
        ("male", ("Male", "Homme", "Mwanaume")),
        (REFUSED, _REFUSED),
    ],
    "age_group": [
        ("age_18_24", ("18-24", "18-24 ans", "Miaka 18-24")),
        ("age_25_34", ("25-34", "25-34 ans", "Miaka 25-34")),
        ("age_35_49", ("35-49", "35-49 ans", "Miaka 35-49")),
        ("age_50_plus", ("50 or older", "50 ans ou plus", "Miaka 50 au zaidi")),
        (REFUSED, _REFUSED),
    ],
    "displacement": [
        ("resident", ("Resident", "Résident", "Mkazi")),
        (
            "idp_camp",
            (
                "Displaced, living in a camp or site",
                "Déplacé, vivant dans un camp ou un site",
                "Mkimbizi wa ndani, anaishi kambini",
            ),
        ),
        (
            "idp_host_family",
            (
                "Displaced, living with a host family",
                "Déplacé, vivant en famille d'accueil",
                "Mkimbizi wa ndani, anaishi na familia mwenyeji",
            ),
        ),
        ("returnee", ("Returnee", "Retourné", "Aliyerudi nyumbani")),
        ("refugee", ("Refugee", "Réfugié", "Mkimbizi")),
        (REFUSED, _REFUSED),
    ],
}

_NO_DK = "not(selected(., 'dk') or selected(., 'refused')) or count-selected(.) = 1"
_ASKED = "${consent} = 'yes'"

# (type, name, label, hint, required, relevant, constraint, constraint message)
SurveyRow = tuple[str, str, Labels | None, Labels | None, str, str, str, Labels | None]

SURVEY: list[SurveyRow] = [
    ("start", "start", None, None, "", "", "", None),
    ("end", "end", None, None, "", "", "", None),
    ("today", "today", None, None, "", "", "", None),
    (
        "select_one consent",
        "consent",
        (
            "We are asking people how safe they feel where they live. Your answers are "
            "anonymous and you can stop at any time. Do you agree to answer?",
            "Nous demandons aux habitants comment ils se sentent en sécurité là où ils "
            "vivent. Vos réponses sont anonymes et vous pouvez arrêter à tout moment. "
            "Acceptez-vous de répondre ?",
            "Tunawauliza watu jinsi wanavyojisikia salama mahali wanapoishi. Majibu yako "
            "hayatatajwa kwa jina na unaweza kuacha wakati wowote. Je, unakubali kujibu?",
        ),
        None,
        "yes",
        "",
        "",
        None,
    ),
    ("begin group", "safety", ("Safety", "Sécurité", "Usalama"), None, "", _ASKED, "", None),
    (
        "select_one safety_scale",
        "safe_day",
        (
            "How safe do you feel in your village or neighbourhood during the day?",
            "Comment vous sentez-vous en sécurité dans votre village ou quartier pendant la "
            "journée ?",
            "Unajisikia salama kiasi gani katika kijiji au mtaa wako wakati wa mchana?",
        ),
        None,
        "yes",
        "",
        "",
        None,
    ),
    (
        "select_one safety_scale",
        "safe_night",
        (
            "How safe do you feel in your village or neighbourhood at night?",
            "Comment vous sentez-vous en sécurité dans votre village ou quartier la nuit ?",
            "Unajisikia salama kiasi gani katika kijiji au mtaa wako wakati wa usiku?",
        ),
        None,
        "yes",
        "",
        "",
        None,
    ),
    (
        "select_one safety_scale",
        "safe_fields_market",
        (
            "How safe do you feel walking to your fields or to the market?",
            "Comment vous sentez-vous en sécurité en allant aux champs ou au marché ?",
            "Unajisikia salama kiasi gani ukienda shambani au sokoni?",
        ),
        None,
        "yes",
        "",
        "",
        None,
    ),
    (
        "select_one safety_scale",
        "safe_firewood",
        (
            "How safe do you feel collecting firewood?",
            "Comment vous sentez-vous en sécurité en allant chercher du bois de chauffe ?",
            "Unajisikia salama kiasi gani ukienda kutafuta kuni?",
        ),
        None,
        "yes",
        "",
        "",
        None,
    ),
    (
        "select_multiple threats",
        "main_threats",
        (
            "What are the main threats to your safety here?",
            "Quelles sont les principales menaces pour votre sécurité ici ?",
            "Ni vitisho gani vikuu kwa usalama wako hapa?",
        ),
        (
            "Do not read the list. Tick every threat mentioned.",
            "Ne pas lire la liste. Cocher toutes les menaces citées.",
            "Usisome orodha. Weka alama kwa kila tishio linalotajwa.",
        ),
        "yes",
        "",
        _NO_DK,
        (
            "'Don't know' and 'Refused' cannot be combined with other answers.",
            "« Ne sait pas » et « Refuse » ne peuvent pas être combinés à d'autres réponses.",
            "'Sijui' na 'Amekataa' haviwezi kuchanganywa na majibu mengine.",
        ),
    ),
    ("end group", "safety", None, None, "", "", "", None),
    ("begin group", "trust", ("Trust", "Confiance", "Imani"), None, "", _ASKED, "", None),
    (
        "select_one trust_scale",
        "trust_mission",
        (
            "How much do you trust the UN peacekeeping mission to protect you?",
            "Dans quelle mesure faites-vous confiance à la mission de maintien de la paix "
            "de l'ONU pour vous protéger ?",
            "Una imani kiasi gani kwamba kikosi cha kulinda amani cha Umoja wa Mataifa "
            "kitakulinda?",
        ),
        None,
        "yes",
        "",
        "",
        None,
    ),
    (
        "select_one trust_scale",
        "trust_police",
        (
            "How much do you trust the police to protect you?",
            "Dans quelle mesure faites-vous confiance à la police pour vous protéger ?",
            "Una imani kiasi gani kwamba polisi watakulinda?",
        ),
        None,
        "yes",
        "",
        "",
        None,
    ),
    ("end group", "trust", None, None, "", "", "", None),
    ("begin group", "alerts", ("Alerts", "Alertes", "Tahadhari"), None, "", _ASKED, "", None),
    (
        "select_one yes_no_dk",
        "knows_alert",
        (
            "Do you know how to raise an alert if your community is threatened?",
            "Savez-vous comment lancer une alerte si votre communauté est menacée ?",
            "Je, unajua jinsi ya kutoa tahadhari ikiwa jamii yako iko hatarini?",
        ),
        None,
        "yes",
        "",
        "",
        None,
    ),
    (
        "select_one yes_no_dk",
        "raised_alert",
        (
            "In the past 12 months, have you or your community raised an alert?",
            "Au cours des 12 derniers mois, vous ou votre communauté avez-vous lancé une alerte ?",
            "Katika miezi 12 iliyopita, wewe au jamii yako mlitoa tahadhari?",
        ),
        None,
        "yes",
        "",
        "",
        None,
    ),
    (
        "select_one yes_no_dk",
        "last_alert_answered",
        (
            "Was the last alert answered?",
            "La dernière alerte a-t-elle reçu une réponse ?",
            "Je, tahadhari ya mwisho ilijibiwa?",
        ),
        (
            "Someone came, called back or acted on it.",
            "Quelqu'un est venu, a rappelé ou a agi.",
            "Mtu alikuja, alipiga simu au alichukua hatua.",
        ),
        "yes",
        "${raised_alert} = 'yes'",
        "",
        None,
    ),
    ("end group", "alerts", None, None, "", "", "", None),
    (
        "begin group",
        "profile",
        ("About you", "À propos de vous", "Kuhusu wewe"),
        None,
        "",
        _ASKED,
        "",
        None,
    ),
    (
        "select_one sex",
        "sex",
        ("Sex", "Sexe", "Jinsia"),
        (
            "Record without asking if obvious.",
            "Noter sans demander si c'est évident.",
            "Andika bila kuuliza ikiwa ni wazi.",
        ),
        "yes",
        "",
        "",
        None,
    ),
    (
        "select_one age_group",
        "age_group",
        ("How old are you?", "Quel âge avez-vous ?", "Una umri gani?"),
        None,
        "yes",
        "",
        "",
        None,
    ),
    (
        "select_one displacement",
        "displacement_status",
        (
            "Which best describes your situation?",
            "Quelle situation vous décrit le mieux ?",
            "Ni hali ipi inayokuelezea vizuri zaidi?",
        ),
        None,
        "yes",
        "",
        "",
        None,
    ),
    (
        "text",
        "community",
        (
            "Name of the village, neighbourhood or displacement site",
            "Nom du village, du quartier ou du site de déplacés",
            "Jina la kijiji, mtaa au kambi ya wakimbizi wa ndani",
        ),
        (
            "Write the name as people say it locally.",
            "Écrire le nom tel qu'on le dit localement.",
            "Andika jina kama linavyotamkwa na wenyeji.",
        ),
        "yes",
        "",
        "",
        None,
    ),
    ("end group", "profile", None, None, "", "", "", None),
]


def _columns(prefix: str) -> list[str]:
    return [f"{prefix}::{lang}" for lang in LANGUAGES]


def _cells(labels: Labels | None) -> list[str | None]:
    return list(labels) if labels is not None else [None] * len(LANGUAGES)


def _append_all(sheet: Any, rows: Sequence[Sequence[str | None]]) -> None:
    for row in rows:
        sheet.append(list(row))


def build(path: str | PathLike[str] = DEFAULT_PATH) -> Path:
    """Write the questionnaire as an XLSForm .xlsx at ``path``; return the path."""
    missing = [t for t in THREAT_TYPES if t not in THREAT_LABELS]
    if missing:
        raise ValueError(f"threat types without labels in the standard form: {missing}")
    out = Path(path)
    wb = Workbook()
    survey = wb.active
    assert survey is not None
    survey.title = "survey"
    survey_rows: list[list[str | None]] = [
        [
            "type",
            "name",
            *_columns("label"),
            *_columns("hint"),
            "required",
            "relevant",
            "constraint",
            *_columns("constraint_message"),
        ]
    ]
    for qtype, name, label, hint, required, relevant, constraint, message in SURVEY:
        survey_rows.append(
            [
                qtype,
                name if qtype != "end group" else None,
                *_cells(label),
                *_cells(hint),
                required or None,
                relevant or None,
                constraint or None,
                *_cells(message),
            ]
        )
    _append_all(survey, survey_rows)

    choices = wb.create_sheet("choices")
    choice_rows: list[list[str | None]] = [["list_name", "name", *_columns("label")]]
    for list_name, items in CHOICE_LISTS.items():
        for name, labels in items:
            choice_rows.append([list_name, name, *labels])
    _append_all(choices, choice_rows)

    settings = wb.create_sheet("settings")
    _append_all(
        settings,
        [
            ["form_id", "form_title", "version", "default_language"],
            [FORM_ID, FORM_TITLE, FORM_VERSION, DEFAULT_LANGUAGE],
        ],
    )
    for sheet in (survey, choices):
        sheet.freeze_panes = "A2"
        for letter, width in (("A", 28), ("B", 22), ("C", 50), ("D", 50), ("E", 50)):
            sheet.column_dimensions[letter].width = width
    wb.properties.creator = "Ulinzi"
    wb.properties.title = FORM_TITLE
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    target = build(args[0] if args else DEFAULT_PATH)
    print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

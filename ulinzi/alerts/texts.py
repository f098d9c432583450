"""SMS texts sent to reporters, per language (no Django import).

Each fits one GSM-7 SMS where the language allows (``tests/test_texts.py`` checks).
The Lingala and Arabic versions should be reviewed by the mission's interpreters
before a deployment; the mission can override any text here.
"""

from __future__ import annotations

DEFAULT_LANGUAGE = "fr"

ACKNOWLEDGEMENT = {
    "fr": "Message reçu, la mission est informée. Réf {ref}",
    "sw": "Ujumbe umepokelewa, misheni imearifiwa. Kumb {ref}",
    "ln": "Nsango ekomi, misio eyebi. Ref {ref}",
    "en": "Message received, the mission is informed. Ref {ref}",
    "ar": "تم استلام رسالتك وتم إبلاغ البعثة. المرجع {ref}",
}

CLOSING = {
    "fr": "Réf {ref}: la mission a traité votre alerte. Merci. {note}",
    "sw": "Kumb {ref}: misheni imeshughulikia tahadhari yako. Asante. {note}",
    "ln": "Ref {ref}: misio esali likambo na yo. Matondo. {note}",
    "en": "Ref {ref}: the mission has acted on your alert. Thank you. {note}",
    "ar": "المرجع {ref}: عالجت البعثة بلاغك. شكرا. {note}",
}

# "Which Kiwanja? 1 Rutshuru 2 Beni - reply 1 or 2"
CLARIFY = {
    "fr": "Quel {name}? {options} - répondez {numbers}",
    "sw": "{name} ipi? {options} - jibu {numbers}",
    "ln": "{name} nini? {options} - yanola {numbers}",
    "en": "Which {name}? {options} - reply {numbers}",
    "ar": "أي {name}؟ {options} - أجب {numbers}",
}

# A report whose place could not be found: the reporter is asked, and a short reply that
# names a place puts the report there.
WHERE = {
    "fr": "Réf {ref}: où cela s'est-il passé? Répondez avec le nom du village ou du quartier.",
    "sw": "Kumb {ref}: imetokea wapi? Jibu kwa jina la kijiji au mtaa.",
    "ln": "Ref {ref}: esalemaki wapi? Yanola na nkombo ya mboka to ya quartier.",
    "en": "Ref {ref}: where did it happen? Reply with the name of the village or quarter.",
    "ar": "المرجع {ref}: أين حدث ذلك؟ أجب باسم القرية أو الحي.",
}

OR_WORD = {"fr": "ou", "sw": "au", "ln": "to", "en": "or", "ar": "أو"}


def pick(table: dict[str, str], language: str) -> str:
    return table.get(language) or table[DEFAULT_LANGUAGE]


#: The languages every reply above is written in.
REPLY_LANGUAGES = (
    frozenset(ACKNOWLEDGEMENT) & set(CLOSING) & set(CLARIFY) & set(WHERE) & set(OR_WORD)
)


def reply_language(*candidates: str | None) -> str:
    """The first of ``candidates`` (the report's language, then the reporter's) that the
    replies are written in, else the default: one rule for every reply to a reporter,
    so that the acknowledgement, a question and the closing message speak alike."""
    return next((c for c in candidates if c in REPLY_LANGUAGES), DEFAULT_LANGUAGE)


def clarifying_question(language: str, name: str, areas: list[str]) -> str:
    """``Which Kiwanja? 1 Rutshuru 2 Beni - reply 1 or 2``"""
    options = " ".join(f"{n} {area}" for n, area in enumerate(areas, start=1))
    numbers = [str(n) for n in range(1, len(areas) + 1)]
    joined = ", ".join(numbers[:-1]) + f" {pick(OR_WORD, language)} {numbers[-1]}"
    return pick(CLARIFY, language).format(name=name, options=options, numbers=joined)

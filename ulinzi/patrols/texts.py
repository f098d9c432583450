"""The SMS a requesting community gets at each step, per language (no Django import).

Each fits in one GSM-7 SMS (160 characters) with a short place name; the tests check
it. Placeholders: ``{ref}`` the request's reference, ``{kind}`` the kind of patrol in
the language, ``{place}``, ``{days}`` the dates planned, ``{reason}`` why it was
declined, ``{done}`` / ``{planned}`` patrols done and planned.
"""

from __future__ import annotations

DEFAULT_LANGUAGE = "fr"

KINDS: dict[str, dict[str, str]] = {
    "en": {
        "night": "night patrol",
        "market": "market patrol",
        "firewood": "firewood patrol",
        "water_point": "water point patrol",
        "route": "road patrol",
        "escort": "escort",
        "other": "patrol",
    },
    "fr": {
        "night": "patrouille de nuit",
        "market": "patrouille du marché",
        "firewood": "patrouille de ramassage de bois",
        "water_point": "patrouille de point d'eau",
        "route": "patrouille de route",
        "escort": "patrouille d'escorte",
        "other": "patrouille",
    },
    "sw": {
        "night": "doria ya usiku",
        "market": "doria ya soko",
        "firewood": "doria ya kuni",
        "water_point": "doria ya kisima",
        "route": "doria ya barabara",
        "escort": "msafara",
        "other": "doria",
    },
    "ln": {
        "night": "patrouille ya butu",
        "market": "patrouille ya zando",
        "firewood": "patrouille ya nkoni",
        "water_point": "patrouille ya libulu ya mai",
        "route": "patrouille ya nzela",
        "escort": "escorte",
        "other": "patrouille",
    },
}

ANSWERS: dict[str, dict[str, str]] = {
    "received": {
        "en": "Mission: we received your patrol request for {place}. A liaison assistant will call you back.",
        "fr": "Mission: votre demande de patrouille pour {place} est enregistrée. Un assistant vous rappellera.",
        "sw": "Misheni: tumepokea ombi lenu la doria {place}. Msaidizi atawapigia simu.",
        "ln": "Mission: tozui bosenga na bino ya patrouille na {place}. Mosungi akobenga bino.",
    },
    "received_no_place": {
        "en": "Mission: we received your patrol request. A liaison assistant will call you back.",
        "fr": "Mission: votre demande de patrouille est enregistrée. Un assistant vous rappellera.",
        "sw": "Misheni: tumepokea ombi lenu la doria. Msaidizi atawapigia simu.",
        "ln": "Mission: tozui bosenga na bino ya patrouille. Mosungi akobenga bino.",
    },
    "accepted": {
        "en": "Mission {ref}: your {kind} request at {place} is accepted. We will send the dates.",
        "fr": "Mission {ref}: votre demande de {kind} à {place} est acceptée. Nous enverrons les dates.",
        "sw": "Misheni {ref}: ombi lenu la {kind} {place} limekubaliwa. Tutatuma tarehe.",
        "ln": "Mission {ref}: bosenga na bino ya {kind} na {place} endimami. Tokotinda mikolo.",
    },
    "declined": {
        "en": "Mission {ref}: we cannot do the {kind} at {place}. Reason: {reason}",
        "fr": "Mission {ref}: nous ne pouvons pas faire la {kind} à {place}. Raison: {reason}",
        "sw": "Misheni {ref}: hatuwezi kufanya {kind} {place}. Sababu: {reason}",
        "ln": "Mission {ref}: tokoki kosala {kind} na {place} te. Ntina: {reason}",
    },
    "scheduled": {
        "en": "Mission {ref}: {kind} at {place} planned on {days}.",
        "fr": "Mission {ref}: {kind} à {place} prévue le {days}.",
        "sw": "Misheni {ref}: {kind} {place} imepangwa tarehe {days}.",
        "ln": "Mission {ref}: {kind} na {place} ebongisami mokolo {days}.",
    },
    "done": {
        "en": "Mission {ref}: {kind} at {place}, {done} of {planned} done. Thank you; tell us what changed.",
        "fr": "Mission {ref}: {kind} à {place}, {done} faite(s) sur {planned}. Merci; dites-nous ce qui a changé.",
        "sw": "Misheni {ref}: {done} kati ya {planned} {kind} {place} zimefanyika. Asante; tuambieni kilichobadilika.",
        "ln": "Mission {ref}: {done} na kati ya {planned} {kind} na {place} esalemi. Matondo; loba biso.",
    },
    "cancelled": {
        "en": "Mission {ref}: the {kind} at {place} on {days} is cancelled. We will tell you what comes next.",
        "fr": "Mission {ref}: la {kind} à {place} du {days} est annulée. Nous vous dirons la suite.",
        "sw": "Misheni {ref}: {kind} {place} ya tarehe {days} imefutwa. Tutawaambia hatua ijayo.",
        "ln": "Mission {ref}: {kind} na {place} ya mokolo {days} ekosalema te. Tokoyebisa bino nsima.",
    },
    "not_done": {
        "en": "Mission {ref}: we could not do the {kind} at {place}. Send a new request if you still need it.",
        "fr": "Mission {ref}: nous n'avons pas pu faire la {kind} à {place}. Refaites une demande si besoin.",
        "sw": "Misheni {ref}: hatukuweza kufanya {kind} {place}. Tumeni ombi jipya mkihitaji.",
        "ln": "Mission {ref}: tokokaki kosala {kind} na {place} te. Tindela biso bosenga ya sika soki esengeli.",
    },
}


def language_of(language: str) -> str:
    return language if language in ANSWERS["accepted"] else DEFAULT_LANGUAGE


def answer(step: str, language: str, **values: str) -> str:
    """The SMS of ``step`` (accepted, declined, scheduled, cancelled, done, not_done) in
    ``language`` (French when the language has no template)."""
    lang = language_of(language)
    kind = KINDS[lang].get(values.pop("kind", "other"), KINDS[lang]["other"])
    return ANSWERS[step][lang].format(kind=kind, **values)

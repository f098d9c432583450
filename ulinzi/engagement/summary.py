"""A community's "you said, we did" (no Django import).

Built from counts only: alerts closed (by kind of threat), patrol requests answered,
commitments kept. It names no reporter and no place finer than the community, so it
can be read aloud at a meeting or sent as an SMS: a sensitive incident (sexual
violence, child recruitment, abduction) is only ever counted in a general line
("other protection concerns"), never named by kind. The words avoid characters outside
GSM-7 (no accents, no dashes) so that the SMS takes as few parts as possible.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SENSITIVE = frozenset({"sexual_violence", "child_recruitment", "abduction"})

WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "{community} : vous avez dit, nous avons fait ({period})",
        "alerts": "{n} alerte(s) traitée(s)",
        "sensitive": "{n} autre(s) problème(s) de protection suivi(s)",
        "patrols": "{n} demande(s) de patrouille, {done} réalisée(s)",
        "commitments": "{n} engagement(s) tenu(s) sur {total}",
        "nothing": "rien à signaler",
    },
    "en": {
        "title": "{community}: you said, we did ({period})",
        "alerts": "{n} alert(s) handled",
        "sensitive": "{n} other protection concern(s) followed up",
        "patrols": "{n} patrol request(s), {done} done",
        "commitments": "{n} of {total} commitment(s) kept",
        "nothing": "nothing to report",
    },
    "sw": {
        "title": "{community}: mlisema, tulifanya ({period})",
        "alerts": "tahadhari {n} zimeshughulikiwa",
        "sensitive": "masuala mengine {n} ya ulinzi yamefuatiliwa",
        "patrols": "maombi {n} ya doria, {done} yamefanyika",
        "commitments": "ahadi {n} kati ya {total} zimetimizwa",
        "nothing": "hakuna cha kuripoti",
    },
}


@dataclass
class Facts:
    community: str
    period: str
    alerts_by_type: dict[str, int] = field(default_factory=dict)
    type_labels: dict[str, str] = field(default_factory=dict)
    patrol_requests: int = 0
    patrols_done: int = 0
    commitments_kept: list[str] = field(default_factory=list)
    commitments_total: int = 0


def lines(facts: Facts, language: str) -> list[str]:
    words = WORDS.get(language, WORDS["fr"])
    out = []
    open_types = {t: n for t, n in facts.alerts_by_type.items() if t not in SENSITIVE and n}
    sensitive = sum(n for t, n in facts.alerts_by_type.items() if t in SENSITIVE)
    if open_types:
        total = sum(open_types.values())
        kinds = ", ".join(
            f"{facts.type_labels.get(t, t)} {n}" for t, n in sorted(open_types.items())
        )
        out.append(words["alerts"].format(n=total) + f" ({kinds})")
    if sensitive:
        out.append(words["sensitive"].format(n=sensitive))
    if facts.patrol_requests:
        out.append(words["patrols"].format(n=facts.patrol_requests, done=facts.patrols_done))
    if facts.commitments_total:
        out.append(
            words["commitments"].format(
                n=len(facts.commitments_kept), total=facts.commitments_total
            )
        )
    return out or [words["nothing"]]


def text(facts: Facts, language: str) -> str:
    """The printable version: a title and one line per fact, then the kept commitments."""
    words = WORDS.get(language, WORDS["fr"])
    head = words["title"].format(community=facts.community, period=facts.period)
    body = [f"- {line}" for line in lines(facts, language)]
    body += [f"  * {c}" for c in facts.commitments_kept]
    return "\n".join([head, *body])


def sms(facts: Facts, language: str) -> str:
    """The SMS version: the title and the facts on one line (the kept commitments left out)."""
    words = WORDS.get(language, WORDS["fr"])
    head = words["title"].format(community=facts.community, period=facts.period)
    return f"{head}: " + "; ".join(lines(facts, language)) + "."

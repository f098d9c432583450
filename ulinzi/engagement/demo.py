"""Demonstration engagement data for ``make demo``: a small roster of liaison assistants
and interpreters (with a gap or two to see on the coverage page), one focal point per
community, and the keyword answers. Idempotent: everything is looked up before it is made.
The focal points' numbers are made up; the demo's SMS channel only prints to the console."""

from __future__ import annotations

from ulinzi.engagement import domain
from ulinzi.engagement.models import AutoReply, FocalPoint, StaffMember
from ulinzi.places.models import Base, Community

ACTOR = "demo setup"
# name, role, sex, base code, languages spoken, communities covered
STAFF = [
    ("Esperance K.", "cla", "f", "beni", ["sw", "fr"], ["Mbau", "Oicha", "Mangina"]),
    ("Jean-Paul M.", "cla", "m", "goma", ["sw", "fr", "rw"], ["Sake", "Kiwanja"]),
    ("Amani B.", "interpreter", "m", "bunia", ["sw", "ln", "fr"], ["Komanda", "Fataki"]),
    ("Riziki N.", "interpreter", "f", "bukavu", ["sw", "fr"], ["Minova"]),
    ("Patrick L.", "cla", "m", "uvira", ["sw", "fr"], ["Baraka", "Uvira centre"]),
]
ANSWERS = [
    (
        "INFO",
        "fr",
        "MONUSCO protege les civils. Pour une alerte: ALERTE <lieu> <quoi>. Appel gratuit: 1000.",
    ),
    (
        "MANDAT",
        "fr",
        "La mission protege les civils menaces et soutient l'Etat; elle ne remplace ni l'armee ni la police.",
    ),
    (
        "HABARI",
        "sw",
        "MONUSCO inalinda raia. Kutuma tahadhari: TAHADHARI <mahali> <nini>. Simu bure: 1000.",
    ),
    (
        "INFO",
        "sw",
        "MONUSCO inalinda raia. Kutuma tahadhari: TAHADHARI <mahali> <nini>. Simu bure: 1000.",
    ),
]


def load_demo_engagement() -> None:
    bases = {b.code: b for b in Base.objects.all()}
    for name, role, sex, base, speaks, covered in STAFF:
        if base not in bases or StaffMember.objects.filter(name=name).exists():
            continue
        domain.save_staff(
            actor=ACTOR,
            name=name,
            role=role,
            sex=sex,
            base=bases[base],
            speaks=speaks,
            reads=["fr"],
            communities=list(Community.objects.filter(name__in=covered)),
        )
    for n, community in enumerate(Community.objects.order_by("name")):
        if FocalPoint.objects.filter(community=community).exists():
            continue
        domain.register_focal_point(
            actor=ACTOR,
            phone=f"+24397999{n:04d}",
            community=community,
            role="chief" if n % 2 else "women",
            language=(community.languages or ["fr"])[0],
        )
    for keyword, language, text in ANSWERS:
        if not AutoReply.objects.filter(keyword=keyword, language=language).exists():
            domain.save_auto_reply(actor=ACTOR, keyword=keyword, language=language, text=text)

"""The interface speaks each user's language, and the French catalogue is complete."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from ulinzi.audit.models import AuditEntry
from ulinzi.test import make_user

pytestmark = pytest.mark.django_db

LC_MESSAGES = Path(__file__).resolve().parents[2] / "locale" / "fr" / "LC_MESSAGES"

LEAD_EN = "Ulinzi helps the mission hear the communities it protects"
LEAD_FR = "Ulinzi aide la mission à écouter les communautés"


def page(user: Any, path: str = "/") -> str:
    client = Client()
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200
    html: str = response.content.decode()
    return html


def test_a_french_speaking_user_gets_the_home_page_in_french() -> None:
    html = page(make_user("marie", "viewer", whole_mission=True, language="fr"))
    assert '<html lang="fr"' in html
    assert "Bienvenue, marie" in html
    assert LEAD_FR in html
    assert "Vous voyez l'ensemble de la mission." in html
    assert (
        "Vous pouvez suivre la situation dans votre zone sur la carte et dans les rapports." in html
    )
    assert "Lecteur" in html  # the role label
    assert "Accueil" in html and "Journal d'audit" not in html  # a viewer has no audit log
    # French plural rule: zero takes the singular.
    assert "0 communauté, 0 base." in html
    assert LEAD_EN not in html
    assert "Welcome, marie" not in html


def test_an_english_speaking_user_gets_the_home_page_in_english() -> None:
    html = page(make_user("mary", "viewer", whole_mission=True, language="en"))
    assert '<html lang="en"' in html
    assert "Welcome, mary" in html
    assert LEAD_EN in html
    assert "0 communities, 0 bases." in html
    assert LEAD_FR not in html
    assert "Bienvenue" not in html


def test_changing_the_language_switches_the_next_page_and_is_audited() -> None:
    user = make_user("amani", "duty_officer", whole_mission=True, language="en")
    client = Client()
    client.force_login(user)
    assert LEAD_EN in client.get("/").content.decode()

    response = client.post("/accounts/preferences/", {"language": "fr"})
    assert (response.status_code, response.url) == (302, "/accounts/preferences/")

    html = client.get("/").content.decode()
    assert '<html lang="fr"' in html
    assert LEAD_FR in html and LEAD_EN not in html
    assert "Officier de permanence" in html
    user.refresh_from_db()
    assert user.language == "fr"
    entry = AuditEntry.objects.get(action="accounts.set_language")
    assert entry.actor_id == user.pk
    assert (entry.before, entry.after) == ({"language": "en"}, {"language": "fr"})


def test_an_unknown_language_is_refused_and_not_audited() -> None:
    user = make_user("jean", "viewer", whole_mission=True, language="fr")
    client = Client()
    client.force_login(user)
    response = client.post("/accounts/preferences/", {"language": "xx"})
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.language == "fr"
    assert not AuditEntry.objects.filter(action="accounts.set_language").exists()


# --- The catalogue --------------------------------------------------------------


def read_po(path: Path) -> list[dict[str, Any]]:
    """The entries of a .po file: msgid, msgid_plural, msgstr (or msgstr[n]) and flags."""
    entries: list[dict[str, Any]] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry: dict[str, Any] = {"flags": set(), "msgstr": {}}
        key: tuple[str, Any] | None = None
        for line in block.splitlines():
            if line.startswith("#~"):
                key = None  # an obsolete entry: gettext ignores it
                entry = {}
                break
            if line.startswith("#,"):
                entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#") or not line.strip():
                continue
            elif line.startswith('"') and key is not None:
                value = ast.literal_eval(line)
                if key[0] == "msgstr":
                    entry["msgstr"][key[1]] += value
                else:
                    entry[key[0]] += value
            else:
                word, _, rest = line.partition(" ")
                match = re.fullmatch(r"msgstr\[(\d+)\]", word)
                if match:
                    key = ("msgstr", int(match.group(1)))
                    entry["msgstr"][key[1]] = ast.literal_eval(rest)
                elif word == "msgstr":
                    key = ("msgstr", None)
                    entry["msgstr"][None] = ast.literal_eval(rest)
                else:
                    key = (word, None)
                    entry[word] = ast.literal_eval(rest)
        if "msgid" in entry:
            entries.append(entry)
    return entries


def placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\(\w+\)[sd]", text))


def test_every_message_of_the_french_catalogue_is_translated() -> None:
    entries = read_po(LC_MESSAGES / "django.po")
    header = next(e for e in entries if e["msgid"] == "")
    assert "Language: fr\n" in header["msgstr"][None]
    assert "Plural-Forms: nplurals=2; plural=(n > 1);\n" in header["msgstr"][None]
    assert "charset=UTF-8" in header["msgstr"][None]
    messages = [e for e in entries if e["msgid"]]
    assert len(messages) > 100
    untranslated, fuzzy, broken = [], [], []
    for entry in messages:
        forms = entry["msgstr"]
        expected = {0, 1} if "msgid_plural" in entry else {None}
        if set(forms) != expected or not all(s.strip() for s in forms.values()):
            untranslated.append(entry["msgid"])
        if "fuzzy" in entry["flags"]:
            fuzzy.append(entry["msgid"])
        for form in forms.values():
            if form and placeholders(form) != placeholders(entry["msgid"]):
                broken.append(entry["msgid"])
    assert untranslated == [], f"untranslated in locale/fr: {untranslated}"
    assert fuzzy == [], f"fuzzy in locale/fr: {fuzzy}"
    assert broken == [], f"placeholders differ in locale/fr: {broken}"


def test_the_compiled_catalogue_matches_the_po_file() -> None:
    """django.mo is committed: it must have been recompiled after the last edit of django.po."""
    with (LC_MESSAGES / "django.mo").open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    stale = []
    for entry in read_po(LC_MESSAGES / "django.po"):
        if not entry["msgid"]:
            continue
        # gettext keys an entry with a context (pgettext) as "context\x04msgid".
        msgid = f"{entry['msgctxt']}\x04{entry['msgid']}" if "msgctxt" in entry else entry["msgid"]
        if "msgid_plural" in entry:
            compiled = {i: catalogue.get((msgid, i)) for i in entry["msgstr"]}
        else:
            compiled = {None: catalogue.get(msgid)}
        if compiled != entry["msgstr"]:
            stale.append(entry["msgid"])
    assert stale == [], f"run `ulinzi compilemessages -l fr`: django.mo lacks {stale}"

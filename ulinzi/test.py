"""Helpers for tests: a small slice of the real gazetteer, and make_* builders.

Tests build their data through the same domain functions the app uses, so every
fixture is also audited exactly as in production.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

from django.contrib.auth.hashers import Argon2PasswordHasher

from ulinzi.accounts import domain as accounts
from ulinzi.accounts.models import User
from ulinzi.places import domain as places
from ulinzi.places.gazetteer import BUNDLED_DIR
from ulinzi.places.models import Base, Community, Place
from ulinzi.places.sources import fold

PASSWORD = "a long test password 42"

# The real same-name cases tests care about, plus every village of Oicha health zone.
SMALL_SLICE_NAMES = {
    "goma",
    "beni",
    "majengo",
    "kiwanja",
    "kiwandja",
    "mbau",
    "mbau centre",
    "bukavu",
    "uvira",
}


def bench_module(name: str) -> ModuleType:
    """A module of ``bench/`` (a reference implementation the tests check against)."""
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parents[1] / "bench" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]  # not a half-loaded module for the next caller
        raise
    return module


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 8
    parallelism = 1


def write_small_grid3(directory: Path) -> Path:
    """A GRID3 file holding a real slice of the three provinces (about 170 settlements)."""
    features = []
    for name in ("grid3_ituri", "grid3_nord-kivu", "grid3_sud-kivu"):
        with gzip.open(BUNDLED_DIR / f"{name}.geojson.gz", "rt", encoding="utf-8") as handle:
            for feature in json.load(handle)["features"]:
                props = feature["properties"]
                if (
                    props.get("zonesante") == "Oicha"
                    or fold(props["localite"]) in SMALL_SLICE_NAMES
                ):
                    features.append(feature)
    path = directory / "grid3_slice.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def load_small_gazetteer(grid3_slice: Path) -> None:
    """Provinces, territories, GeoNames towns and a slice of GRID3, through the importer."""
    for path, fmt in (
        (BUNDLED_DIR / "cod_adm1_provinces.geojson.gz", "geojson"),
        (BUNDLED_DIR / "cod_adm2_territoires.geojson.gz", "geojson"),
        (BUNDLED_DIR / "geonames_cd_towns.tsv.gz", "geonames"),
        (grid3_slice, "grid3"),
    ):
        places.import_gazetteer(path, fmt, actor="test setup", country="CD")


def area(pcode: str) -> Place:
    return Place.objects.get(pcode=pcode)


def make_base(
    code: str, name: str, area_pcodes: Iterable[str], lat: float = 0.5, lon: float = 29.5
) -> Base:
    return places.save_base(
        actor="test setup",
        code=code,
        name=name,
        kind=Base.Kind.FIELD_OFFICE,
        lat=lat,
        lon=lon,
        areas=[area(p) for p in area_pcodes],
    )


def make_community(name: str, place: Place, languages: list[str] | None = None) -> Community:
    return places.save_community(
        actor="test setup", name=name, place=place, languages=languages or ["sw"]
    )


def make_user(
    username: str,
    role: str = "viewer",
    *,
    bases: Iterable[Base] = (),
    areas: Iterable[Place] = (),
    whole_mission: bool = False,
    language: str = "en",
) -> User:
    return accounts.save_user(
        actor="test setup",
        username=username,
        role=role,
        password=PASSWORD,
        bases=list(bases),
        areas=list(areas),
        whole_mission=whole_mission,
        language=language,
    )


def totp_code(device: Any) -> str:
    from django_otp.oath import totp

    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def verified_client(user: User) -> Any:
    """A test client logged in as ``user`` with a confirmed authenticator and a code given."""
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    client.force_login(user)
    response = client.post("/accounts/otp/", {"token": totp_code(device)})
    assert response.status_code == 302, "the second factor was refused"
    return client


def log_in_browser(page: Any, base_url: str, username: str) -> None:
    """Log ``username`` in through the login form of a live server."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{base_url}/")


def worded_messages(
    module: ModuleType, helpers: dict[str, int] | None = None
) -> tuple[set[str], set[tuple[str, str]]]:
    """The messages a module words through ``lib.words`` (``w.text(message, ...)`` and
    ``w.count(singular, plural, n, ...)``), read from its source: the texts, and the
    (singular, plural) pairs. ``helpers``: functions or methods (by name: ``_fix_refused``,
    ``worded``) that take a message (and, when given, its plural) at that positional
    index."""
    import ast

    texts: set[str] = set()
    counts: set[tuple[str, str]] = set()
    for node in ast.walk(ast.parse(Path(str(module.__file__)).read_text())):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name in (helpers or {}):
            # A message written there, or a constant of the module that holds one.
            said = [
                a.value if isinstance(a, ast.Constant) else getattr(module, a.id, None)
                for a in node.args[(helpers or {})[name] :][:2]
                if isinstance(a, ast.Constant | ast.Name)
            ]
            if not said or not all(isinstance(m, str) for m in said):
                continue  # the helper passing on a message it was given
            if len(said) == 1:
                texts.add(said[0])
            else:
                counts.add((said[0], said[1]))
        elif isinstance(func, ast.Attribute) and getattr(func.value, "id", None) == "w":
            if func.attr == "text":
                texts |= {
                    c.value
                    for c in ast.walk(node.args[0])
                    if isinstance(c, ast.Constant) and isinstance(c.value, str)
                }
            elif func.attr == "count" and all(isinstance(a, ast.Constant) for a in node.args[:2]):
                one, many = (ast.literal_eval(a) for a in node.args[:2])
                counts.add((one, many))
    return texts, counts


def untranslated(
    texts: Iterable[str], counts: Iterable[tuple[str, str]], language: str = "fr"
) -> list[str]:
    """The messages with no translation in ``language`` (a message of placeholders and
    punctuation alone needs none)."""
    import re

    from django.utils import translation

    def has_words(message: str) -> bool:
        return bool(re.search("[a-z]", re.sub(r"%\(\w+\)[sd]", "", message)))

    with translation.override(language):
        missing = [m for m in texts if translation.gettext(m) == m and has_words(m)]
        missing += [
            f"{one} / {many}"
            for one, many in counts
            if translation.ngettext(one, many, 1) == one
            or translation.ngettext(one, many, 2) == many
        ]
    return missing

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from ulinzi.audit import domain as audit


class Command(BaseCommand):
    help = (
        "Copy the database to a file while Ulinzi runs: SQLite through its online backup, "
        "then an integrity check of the copy; PostgreSQL with pg_dump (custom format, "
        "restored with pg_restore). Prints one JSON line: path, bytes. The copy is "
        "readable by its owner only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help="the file to write (default: VAR_DIR/backups/ulinzi-<date>-<time>.sqlite3 "
            "or .dump); never overwritten",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        vendor = connection.vendor
        suffix = ".sqlite3" if vendor == "sqlite" else ".dump"
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        path: Path = options["output"] or settings.VAR_DIR / "backups" / f"ulinzi-{stamp}{suffix}"
        if path.exists():
            raise CommandError(f"{path} exists already: a backup never overwrites a file")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"cannot write in {path.parent}: {exc}")
        partial = path.with_name(path.name + ".partial")
        try:
            # Readable by its owner only from its first byte.
            os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            raise CommandError(
                f"{partial} exists: another backup is being written, or one was stopped "
                "halfway (then remove it)"
            )
        except OSError as exc:
            raise CommandError(f"cannot write {partial}: {exc}")
        try:
            if vendor == "sqlite":
                self._sqlite(partial)
            elif vendor == "postgresql":
                self._postgres(partial)
            else:
                raise CommandError(f"no backup for a {vendor} database")
            os.chmod(partial, 0o600)
            partial.rename(path)
        finally:
            partial.unlink(missing_ok=True)
        size = path.stat().st_size
        written = {"path": str(path), "bytes": size, "database": vendor}
        with transaction.atomic():
            audit.record(None, "audit.backup", subject_type="backup", after=written)
        self.stdout.write(json.dumps(written))
        self.stderr.write(
            "Reporters' numbers in the copy are encrypted: they are read only with the keys "
            f"field.key and blind-index.key (in {settings.VAR_DIR}, or ULINZI_FIELD_KEY and "
            "ULINZI_BLIND_INDEX_KEY). Keep a copy of the keys, apart from the backups."
        )

    def _sqlite(self, target: Path) -> None:
        name = str(settings.DATABASES["default"]["NAME"])
        if connection.is_in_memory_db() or not Path(name).exists():
            raise CommandError(f"there is no database file to back up ({name})")
        source = sqlite3.connect(f"file:{name}?mode=ro", uri=True)
        copy = sqlite3.connect(target)
        try:
            # In one step, under one read transaction: a copy made in steps starts again
            # whenever the server or the worker writes, and may never end. In WAL mode
            # they go on writing meanwhile.
            source.backup(copy, pages=-1)
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.Error as exc:
            raise CommandError(f"the backup failed: {exc}")
        finally:
            copy.close()
            source.close()
        if verdict != "ok":
            raise CommandError(f"the copy fails SQLite's integrity check: {verdict}")

    def _postgres(self, target: Path) -> None:
        program = shutil.which("pg_dump")
        if program is None:
            raise CommandError("pg_dump is not installed (Debian: apt install postgresql-client)")
        db = settings.DATABASES["default"]
        argv = [program, "--format=custom", "--no-password", f"--file={target}"]
        for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
            if db.get(key):
                argv.append(f"{option}={db[key]}")
        argv.append(str(db["NAME"]))
        env = {**os.environ, **({"PGPASSWORD": str(db["PASSWORD"])} if db.get("PASSWORD") else {})}
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise CommandError(f"pg_dump failed: {done.stderr.strip()[:500]}")

"""The ``ulinzi`` console command: Django's management commands with Ulinzi's settings.

Command names are written with dashes on the command line (``ulinzi import-gazetteer``)
and map to Django commands with underscores (``import_gazetteer``).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ulinzi.settings")
    command_at = 2 if len(argv) > 2 and argv[1] == "help" else 1
    if len(argv) > command_at and not argv[command_at].startswith("-"):
        argv[command_at] = argv[command_at].replace("-", "_")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()

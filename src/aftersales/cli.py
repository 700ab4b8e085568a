"""`aftersales …`: a thin wrapper over Django's management commands (spec/api.md)."""

from __future__ import annotations

import os
import sys

# Contract names with dashes map to Django command modules.
ALIASES = {"verify-log": "verify_log"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    if len(args) > 1:
        args[1] = ALIASES.get(args[1], args[1])
    execute_from_command_line(["aftersales", *args[1:]])


if __name__ == "__main__":
    main()

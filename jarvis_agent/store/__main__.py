"""python -m jarvis_agent.store migrate | status | url

migrate  apply pending supabase/migrations to the configured (or embedded) database
status   list migrations and whether each is applied
url      print the database URL in use (starting the embedded server if needed)
"""

from __future__ import annotations

import argparse
import sys

from ..logs import setup_logging
from ..settings import get_settings
from .migrate import migrate, status
from .services import database_url, embedded_postgres


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jarvis_agent.store", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["migrate", "status", "url"])
    args = parser.parse_args(argv)
    settings = get_settings()
    setup_logging(settings.log_level)
    url = settings.database_url or embedded_postgres(settings).start()
    if args.command == "migrate":
        applied = migrate(url, settings.jarvis_migrations_dir)
        print(f"{len(applied)} migration(s) applied" + (": " + ", ".join(applied) if applied else ""))
    elif args.command == "status":
        for version, name, applied in status(url, settings.jarvis_migrations_dir):
            print(f"{'applied' if applied else 'pending'}  {version}_{name}")
    else:
        print(database_url(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())

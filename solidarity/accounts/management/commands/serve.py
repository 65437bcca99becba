from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _
from gunicorn.app.base import BaseApplication

from solidarity.accounts import services


def gunicorn_options(host: str, port: int, workers: int, threads: int) -> dict:
    """Gunicorn settings for Solidarity. Kept apart from ``serve`` so a test can read them."""
    return {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        # Threads let one process wait on a slow Argon2 login without blocking the others.
        "worker_class": "gthread",
        "threads": threads,
        # No access log: it would record client addresses and user agents (ARCHITECTURE.md,
        # "no IP addresses ... ever, including logs"). Errors go to stderr.
        "accesslog": None,
        "disable_redirect_access_to_syslog": True,
        "errorlog": "-",
        "loglevel": "warning",
        # No control socket: one less way into a running server.
        "control_socket_disable": True,
        "proc_name": "solidarity",
        # An upload may be 40 MiB over a slow link (Tor): give it time.
        "timeout": 120,
        "graceful_timeout": 30,
    }


class SolidarityServer(BaseApplication):
    """Gunicorn run from Python, so `solidarity serve` needs no separate configuration file."""

    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from solidarity.wsgi import application

        return application


class Command(BaseCommand):
    help = (
        "Serve Solidarity with gunicorn (threaded workers). Writes no access log, because it "
        "would hold client addresses; errors go to stderr. Refuses to start on an unmigrated "
        "database; applications need `solidarity init` (or `solidarity demo`) first."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, default=min(os.cpu_count() or 1, 4), help="Processes."
        )
        parser.add_argument("--threads", type=int, default=4, help="Threads per process.")

    def handle(self, *args, host: str, port: int, workers: int, threads: int, **options) -> None:
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError(_("The database needs migrating: run `solidarity migrate`."))
        if not services.organisation_exists():
            # Served anyway (the pages work, and tests start a server before init), but the
            # application form cannot seal anything until an intake key exists.
            self.stderr.write(
                _("No organisation yet: applications fail until `solidarity init` is run.")
            )
        connection.close()  # workers open their own connections after the fork
        shown_host = f"[{host}]" if ":" in host else host
        self.stdout.write(
            _("Serving on http://%(host)s:%(port)d/") % {"host": shown_host, "port": port}
        )
        self.stdout.write(
            _("Staff console: http://%(host)s:%(port)d/staff/") % {"host": shown_host, "port": port}
        )
        SolidarityServer(gunicorn_options(host, port, workers, threads)).run()

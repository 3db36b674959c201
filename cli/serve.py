"""``qbo-agent serve [--demo] [--host] [--port] [--workers N]``: the API, the console and the sync worker under uvicorn.

With ``--workers N`` uvicorn runs N processes on one socket. Nothing they share lives in a process: idempotency
keys and each chat thread's turn lease are rows in the database, and a stream is served whole by the process
that took its request.

``--demo`` is the embedded default: SQLite under ``./var``, the QBO sandbox on a loopback port connected through
the OAuth dance, the demo company imported, and the offline model unless an LLM is configured.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
import uvicorn

from api.middleware import configure_logging
from api.qbo_wiring import callback_url
from api.settings import DEV_SECRET, Settings
from demo.company import demo_clock
from demo.serve import WEBHOOK_PATH, DemoStartup, demo_sandbox, demo_settings


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        demo: Annotated[
            bool, typer.Option("--demo", help="Embedded demo: SQLite, QBO sandbox, offline model.")
        ] = False,
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
        today: Annotated[str | None, typer.Option(help="Demo only: pin today (YYYY-MM-DD).")] = None,
        workers: Annotated[
            int, typer.Option(min=1, max=64, help="Processes serving the API (not with --demo).")
        ] = 1,
    ) -> None:
        """Run the API, console and sync worker."""
        # FastAPI and the assistant it serves take seconds to import; only this command needs them.
        from api.app import create_app

        settings = Settings()
        configure_logging(settings.log_level)
        pinned = date.fromisoformat(today) if today else None
        if not demo:
            if settings.secret_key.get_secret_value() == DEV_SECRET:
                raise typer.BadParameter("set QBO_AGENT_SECRET_KEY (or use --demo)")
            if workers > 1:
                # Each worker process builds its own app from the same environment.
                uvicorn.run(
                    "api.app:create_app", factory=True, workers=workers, host=host, port=port, log_config=None
                )
                return
            uvicorn.run(create_app(settings), host=host, port=port, log_config=None)
            return
        if workers > 1:
            # The demo's QBO emulator and its freshly seeded company live inside the one process.
            raise typer.BadParameter(
                "--workers needs a deployment (QBO_AGENT_DATABASE_URL); the demo runs one process"
            )
        callback = callback_url(settings.model_copy(update={"base_url": f"http://{host}:{port}"}))
        webhook_url = f"http://{host}:{port}{WEBHOOK_PATH}"
        # One clock for the sandbox, the worker and the assistant, moved to a pinned --today if one is given.
        clock = demo_clock(pinned)
        with demo_sandbox(settings, callback=callback, clock=clock, webhook_url=webhook_url) as sandbox_url:
            typer.echo(f"QBO sandbox running at {sandbox_url}")
            settings = demo_settings(settings, host=host, port=port, sandbox_url=sandbox_url, today=pinned)
            application = create_app(
                settings, startup=DemoStartup(typer.echo), create_schema=True, clock=clock
            )
            uvicorn.run(application, host=host, port=port, log_config=None)

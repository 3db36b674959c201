"""``qbo-agent serve [--demo] [--host] [--port]``: the API, the console and the sync worker under uvicorn.

``--demo`` is the embedded default: SQLite under ``./var``, the QBO sandbox on a loopback port connected through
the OAuth dance, the demo company imported, and the offline model unless an LLM is configured.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated

import typer
from pydantic import SecretStr

from api.settings import DEV_SECRET, Settings
from api.state import AppState
from domain.clock import Clock

# The demo sandbox signs its webhooks with this token and the demo app verifies them with it.
DEMO_WEBHOOK_VERIFIER = "demo-webhook-verifier"
WEBHOOK_PATH = "/api/integrations/quickbooks/webhook"


def demo_settings(
    base: Settings, *, host: str, port: int, sandbox_url: str, today: date | None = None
) -> Settings:
    var = base.var_dir
    var.mkdir(parents=True, exist_ok=True)
    return base.model_copy(
        update={
            "demo": True,
            "database_url": f"sqlite:///{var / 'qbo_agent.sqlite'}",
            "base_url": f"http://{host}:{port}",
            "qbo_environment": "custom",
            "qbo_oauth_base": sandbox_url,
            "today": today,
            "qbo_webhook_verifier_token": SecretStr(DEMO_WEBHOOK_VERIFIER),
        }
    )


@contextmanager
def demo_sandbox(
    settings: Settings, *, callback: str, clock: Clock, webhook_url: str | None = None
) -> Iterator[str]:
    """The QBO emulator on a free loopback port, knowing our app's client id and callback.

    With ``webhook_url`` its change notifications go to our receiver, signed as QBO signs them, so edits made
    "in QuickBooks" reach the demo without waiting for the change-data-capture poll.
    """
    from agent.runtime import demo_sandbox_config
    from integrations.quickbooks.sandbox.app import create_sandbox_app
    from integrations.quickbooks.sandbox.config import OAuthClient, WebhookConfig
    from integrations.quickbooks.sandbox.server import run_sandbox_server

    client = OAuthClient(
        client_id=settings.qbo_client_id,
        client_secret=settings.qbo_client_secret.get_secret_value(),
        redirect_uris=[callback],
    )
    webhook = WebhookConfig(url=webhook_url, verifier_token=DEMO_WEBHOOK_VERIFIER)
    app = create_sandbox_app(demo_sandbox_config(clock, clients=[client], webhook=webhook), clock=clock)
    with run_sandbox_server(app, "127.0.0.1", 0) as url:
        yield url


def demo_startup(
    echo: Callable[[str], None], allowed_origins: list[str] | None = None
) -> Callable[[AppState], Awaitable[None]]:
    async def startup(state: AppState) -> None:
        from api.demo import bootstrap_demo
        from api.routes.qbo import qbo_of
        from domain.models import Role

        info = await bootstrap_demo(state, qbo_of(state), allowed_origins=allowed_origins)
        state.extras["demo"] = info
        base = state.settings.base_url.rstrip("/")
        echo(
            f"Demo company connected (QuickBooks company {info.realm_id}); imported {sum(info.imported.values())} records."
        )
        echo(f"Console:          {base}/console#key={info.keys[Role.OWNER]}")
        echo(f"Owner API key:    {info.keys[Role.OWNER]}")
        echo(f"Office API key:   {info.keys[Role.OFFICE]}")
        echo(f"Technician key:   {info.keys[Role.TECHNICIAN]}")
        echo(f"Try: curl -H 'Authorization: Bearer {info.keys[Role.OWNER]}' {base}/api/invoices?status=open")

    return startup


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        demo: Annotated[
            bool, typer.Option("--demo", help="Embedded demo: SQLite, QBO sandbox, offline model.")
        ] = False,
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
        today: Annotated[str | None, typer.Option(help="Demo only: pin today (YYYY-MM-DD).")] = None,
    ) -> None:
        """Run the API, console and sync worker."""
        import uvicorn

        from api.app import create_app
        from api.middleware import configure_logging
        from api.qbo_wiring import callback_url

        settings = Settings()
        configure_logging(settings.log_level)
        pinned = date.fromisoformat(today) if today else None
        if not demo:
            if settings.secret_key.get_secret_value() == DEV_SECRET:
                raise typer.BadParameter("set QBO_AGENT_SECRET_KEY (or use --demo)")
            uvicorn.run(create_app(settings), host=host, port=port, log_config=None)
            return
        callback = callback_url(settings.model_copy(update={"base_url": f"http://{host}:{port}"}))
        webhook_url = f"http://{host}:{port}{WEBHOOK_PATH}"
        from agent.runtime import demo_clock

        # One clock for the sandbox, the worker and the assistant, moved to a pinned --today if one is given.
        clock = demo_clock(pinned)
        with demo_sandbox(settings, callback=callback, clock=clock, webhook_url=webhook_url) as sandbox_url:
            typer.echo(f"QBO sandbox running at {sandbox_url}")
            settings = demo_settings(settings, host=host, port=port, sandbox_url=sandbox_url, today=pinned)
            application = create_app(
                settings, startup=demo_startup(typer.echo), create_schema=True, clock=clock
            )
            uvicorn.run(application, host=host, port=port, log_config=None)

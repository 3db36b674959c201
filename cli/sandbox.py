"""``qbo-agent sandbox``: serve the QuickBooks Online emulator on its own."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
import uvicorn

from demo.company import demo_clock, demo_sandbox_config
from integrations.quickbooks.sandbox.app import create_sandbox_app
from integrations.quickbooks.sandbox.config import WebhookConfig


def _parse_day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"expected YYYY-MM-DD, got {value!r}") from exc


def register(app: typer.Typer) -> None:
    @app.command("sandbox")
    def sandbox(
        host: Annotated[str, typer.Option(help="Interface to listen on (keep it loopback).")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
        today: Annotated[
            str | None, typer.Option(help="Pin today (YYYY-MM-DD); the demo company's dates shift to it.")
        ] = None,
        webhook_url: Annotated[
            str | None, typer.Option(help="Where to deliver change notifications.")
        ] = None,
        verifier_token: Annotated[
            str | None, typer.Option(help="Verifier token used to sign webhooks (intuit-signature).")
        ] = None,
        webhook_format: Annotated[str, typer.Option(help="legacy or cloudevents.")] = "legacy",
    ) -> None:
        """Run the QuickBooks Online emulator (v3 API, OAuth, webhooks) seeded with the demo company."""
        if webhook_format not in ("legacy", "cloudevents"):
            raise typer.BadParameter("--webhook-format must be legacy or cloudevents")
        webhook = WebhookConfig(url=webhook_url, format=webhook_format)
        if verifier_token:
            webhook.verifier_token = verifier_token
        clock = demo_clock(_parse_day(today))
        config = demo_sandbox_config(clock, webhook=webhook)
        application = create_sandbox_app(config, clock=clock)
        client = config.clients[0]
        realm = application.state.sandbox.default_realm_id
        typer.echo(
            f"QBO sandbox on http://{host}:{port}  (API base http://{host}:{port}/v3, company {realm})"
        )
        typer.echo(f"OAuth client_id={client.client_id} client_secret={client.client_secret}")
        typer.echo(f"Discovery: http://{host}:{port}/.well-known/openid-configuration")
        uvicorn.run(application, host=host, port=port, log_level="warning")

"""``serve --demo`` wiring: demo settings, the QBO emulator on a loopback port, and the startup that connects it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

from pydantic import SecretStr

from api.settings import Settings
from api.state import AppState
from demo.bootstrap import DemoInfo, bootstrap_demo
from demo.company import demo_sandbox_config
from domain.clock import Clock
from domain.models import Role
from integrations.quickbooks.sandbox.app import create_sandbox_app
from integrations.quickbooks.sandbox.config import OAuthClient, WebhookConfig
from integrations.quickbooks.sandbox.server import run_sandbox_server

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
    client = OAuthClient(
        client_id=settings.qbo_client_id,
        client_secret=settings.qbo_client_secret.get_secret_value(),
        redirect_uris=[callback],
    )
    webhook = WebhookConfig(url=webhook_url, verifier_token=DEMO_WEBHOOK_VERIFIER)
    app = create_sandbox_app(demo_sandbox_config(clock, clients=[client], webhook=webhook), clock=clock)
    with run_sandbox_server(app, "127.0.0.1", 0) as url:
        yield url


class DemoStartup:
    """The startup hook of ``serve --demo``: seed and connect the demo, print its keys; ``info`` is what it made."""

    def __init__(self, echo: Callable[[str], None], allowed_origins: list[str] | None = None) -> None:
        self.echo = echo
        self.allowed_origins = allowed_origins
        self.info: DemoInfo | None = None

    async def __call__(self, state: AppState) -> None:
        info = self.info = await bootstrap_demo(state, state.qbo, allowed_origins=self.allowed_origins)
        echo = self.echo
        base = state.settings.base_url.rstrip("/")
        echo(
            f"Demo company connected (QuickBooks company {info.realm_id}); imported {sum(info.imported.values())} records."
        )
        echo(f"Console:          {base}/console#key={info.keys[Role.OWNER]}")
        echo(f"Owner API key:    {info.keys[Role.OWNER]}")
        echo(f"Office API key:   {info.keys[Role.OFFICE]}")
        echo(f"Technician key:   {info.keys[Role.TECHNICIAN]}")
        echo(f"Try: curl -H 'Authorization: Bearer {info.keys[Role.OWNER]}' {base}/api/invoices?status=open")

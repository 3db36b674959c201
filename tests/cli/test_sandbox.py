"""``qbo-agent sandbox`` builds the emulator from its options and serves it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from cli import sandbox as cli_sandbox


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    calls: dict[str, Any] = {}

    def fake_run(app: Any, **kwargs: Any) -> None:
        calls["app"] = app
        calls.update(kwargs)

    import uvicorn

    monkeypatch.setattr(uvicorn, "run", fake_run)
    return calls


def cli() -> typer.Typer:
    app = typer.Typer()
    cli_sandbox.register(app)

    @app.command("noop")
    def noop() -> None:  # a second command keeps typer from collapsing the group
        """Nothing."""

    return app


def test_options_reach_the_emulator(served: dict[str, Any]) -> None:
    result = CliRunner().invoke(
        cli(),
        [
            "sandbox",
            "--host",
            "127.0.0.1",
            "--port",
            "9999",
            "--today",
            "2026-03-18",
            "--webhook-url",
            "http://127.0.0.1:1/hooks",
            "--verifier-token",
            "vt",
            "--webhook-format",
            "cloudevents",
        ],
    )
    assert result.exit_code == 0, result.output
    assert served["host"] == "127.0.0.1" and served["port"] == 9999
    sandbox = served["app"].state.sandbox
    assert sandbox.clock.today() == date(2026, 3, 18)  # the demo clock, moved to the pinned day
    assert sandbox.config.webhook.url == "http://127.0.0.1:1/hooks"
    assert sandbox.config.webhook.verifier_token == "vt" and sandbox.config.webhook.format == "cloudevents"
    assert "http://127.0.0.1:9999" in result.output
    assert sandbox.list_entities(sandbox.default_realm_id, "Invoice")  # seeded with the demo company


def test_bad_date_is_a_usage_error(served: dict[str, Any]) -> None:
    result = CliRunner().invoke(cli(), ["sandbox", "--today", "18/03/2026"])
    assert result.exit_code == 2 and "app" not in served

"""``qbo-agent serve``: registered, documented, and refuses to run outside the demo with the development secret."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from api.settings import Settings
from cli import serve as cli_serve
from demo.serve import demo_settings


@pytest.fixture()
def cli() -> typer.Typer:
    app = typer.Typer()
    cli_serve.register(app)

    @app.command("noop")
    def noop() -> None:  # a second command keeps typer from flattening "serve" into the root
        """Nothing."""

    return app


def test_serve_help_lists_the_demo_flag(cli: typer.Typer) -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--demo" in result.output and "--port" in result.output and "--host" in result.output


def test_serve_without_demo_needs_a_real_secret(cli: typer.Typer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QBO_AGENT_SECRET_KEY", raising=False)
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code != 0
    assert "QBO_AGENT_SECRET_KEY" in result.output


def test_demo_settings_keep_everything_under_var(tmp_path) -> None:
    settings = demo_settings(
        Settings(var_dir=tmp_path / "var"), host="127.0.0.1", port=8123, sandbox_url="http://127.0.0.1:9"
    )
    assert settings.demo and settings.database_url == f"sqlite:///{tmp_path / 'var' / 'qbo_agent.sqlite'}"
    assert settings.base_url == "http://127.0.0.1:8123" and settings.qbo_oauth_base == "http://127.0.0.1:9"
    assert (tmp_path / "var").is_dir()

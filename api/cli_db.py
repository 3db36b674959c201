"""``qbo-agent db upgrade|downgrade``: apply the schema migrations to the configured database."""

from __future__ import annotations

import os

import typer

from domain import migrate

DEFAULT_URL = "sqlite:///var/qbo_agent.sqlite"


def _database_url(url: str | None) -> str:
    resolved = url or os.environ.get("QBO_AGENT_DATABASE_URL") or DEFAULT_URL
    if resolved.startswith("sqlite:///") and not resolved.startswith("sqlite:////"):
        os.makedirs(os.path.dirname(resolved.removeprefix("sqlite:///")) or ".", exist_ok=True)
    return resolved


def register(app: typer.Typer) -> None:
    db = typer.Typer(help="Database schema migrations.", no_args_is_help=True)

    @db.command("upgrade")
    def upgrade(
        revision: str = typer.Argument("head"),
        url: str | None = typer.Option(None, help="Database URL (default: QBO_AGENT_DATABASE_URL or ./var)."),
    ) -> None:
        """Bring the database schema up to REVISION (default: the newest)."""
        migrate.upgrade(_database_url(url), revision)
        typer.echo(f"database at {revision}")

    @db.command("downgrade")
    def downgrade(
        revision: str = typer.Argument(..., help="Target revision, e.g. 'base' to drop every table."),
        url: str | None = typer.Option(None, help="Database URL."),
    ) -> None:
        """Take the database schema back to REVISION."""
        migrate.downgrade(_database_url(url), revision)
        typer.echo(f"database at {revision}")

    app.add_typer(db, name="db")

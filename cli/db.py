"""``qbo-agent db upgrade|downgrade``: apply the schema migrations to the configured database."""

from __future__ import annotations

import os

import typer

from domain import migrate
from domain.db import make_engine, make_sessionmaker, utcnow
from domain.services import idempotency

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

    @db.command("sweep-idempotency")
    def sweep_idempotency(url: str | None = typer.Option(None, help="Database URL.")) -> None:
        """Delete expired Idempotency-Key records (the server also does this hourly)."""
        engine = make_engine(_database_url(url))
        try:
            removed = idempotency.sweep(make_sessionmaker(engine), utcnow())
        finally:
            engine.dispose()
        typer.echo(f"removed {removed} expired idempotency records")

    app.add_typer(db, name="db")

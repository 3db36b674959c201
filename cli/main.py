"""The ``qbo-agent`` command line (DESIGN §3.2).

Each area registers its own commands from a small module (``cli/*.py``) so the entry point stays a list.
"""

from __future__ import annotations

import logging

import typer

from cli import agent, db, mcp, sandbox, serve, sync

app = typer.Typer(
    name="qbo-agent",
    help="qbo-agent: an assistant for the books of a trades business, on QuickBooks Online.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Modules that contribute commands; each exposes ``register(app: typer.Typer) -> None``.
COMMAND_MODULES = (db, serve, agent, sandbox, sync, mcp)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for module in COMMAND_MODULES:
        module.register(app)
    app()


if __name__ == "__main__":
    main()

"""The ``qbo-agent`` command line (DESIGN §3.2).

Each area registers its own commands from a small module (``api/cli_*.py``) so the entry point stays a list.
"""

from __future__ import annotations

import importlib
import logging

import typer

app = typer.Typer(
    name="qbo-agent",
    help="qbo-agent: an assistant for the books of a trades business, on QuickBooks Online.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Modules that contribute commands; each exposes ``register(app: typer.Typer) -> None``.
COMMAND_MODULES = (
    "api.cli_db",
    "api.cli_serve",
    "api.cli_agent",
    "api.cli_sandbox",
    "api.cli_sync",
    "api.cli_mcp",
)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # an area not installed in this build
        module.register(app)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _register_all()
    app()


if __name__ == "__main__":
    main()

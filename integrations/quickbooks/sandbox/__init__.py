"""A faithful QuickBooks Online v3 emulator for the demo and the tests (no internet needed).

Public entry points: :func:`create_sandbox_app`, :class:`SandboxConfig`, :func:`run_sandbox_server`,
:func:`load_demo_company`. Modules are imported lazily so importing the package builds nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from integrations.quickbooks.sandbox.app import create_sandbox_app
    from integrations.quickbooks.sandbox.config import SandboxConfig
    from integrations.quickbooks.sandbox.fixture import load_demo_company
    from integrations.quickbooks.sandbox.server import run_sandbox_server
    from integrations.quickbooks.sandbox.state import Sandbox

__all__ = ["Sandbox", "SandboxConfig", "create_sandbox_app", "load_demo_company", "run_sandbox_server"]

_HOMES = {
    "create_sandbox_app": "app",
    "SandboxConfig": "config",
    "load_demo_company": "fixture",
    "run_sandbox_server": "server",
    "Sandbox": "state",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(name)
    from importlib import import_module

    return getattr(import_module(f"integrations.quickbooks.sandbox.{_HOMES[name]}"), name)

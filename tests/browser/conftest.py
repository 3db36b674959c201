"""Browser tests: Debian's chromium driven by Playwright against the demo served by uvicorn on loopback ports.

The demo is the product as shipped: the QBO sandbox, the production agent wiring and the offline model.

Skipped with a visible reason when chromium or Playwright is missing; a browser is never downloaded.
A failing test leaves a screenshot under tests/artifacts/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from api.qbo_wiring import callback_url
from demo.company import demo_clock
from demo.serve import DemoStartup, demo_sandbox, demo_settings
from tests.api.conftest import make_settings
from tests.api.live import free_port, serve

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AS_OF = date(2026, 3, 18)


@dataclass
class Demo:
    base: str
    host_origin: str
    host_port: int
    info: Any


def _chromium() -> str:
    path = os.environ.get("QBO_AGENT_CHROMIUM", "/usr/bin/chromium")
    if not (os.path.exists(path) or shutil.which(path)):
        pytest.skip(f"browser tests skipped: no chromium at {path} (set QBO_AGENT_CHROMIUM)")
    return path


# Module scope, not session: Playwright's sync API keeps an event loop running while it is open, which would
# break every asyncio test that the same worker runs afterwards.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests skipped: playwright is not installed")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=executable, args=LAUNCH_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture()
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context()
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    _chromium()
    port, host_port = free_port(), free_port()
    base_url = f"http://127.0.0.1:{port}"
    host_origin = f"http://127.0.0.1:{host_port}"
    base = make_settings(var_dir=tmp_path_factory.mktemp("demo") / "var", base_url=base_url)

    with demo_sandbox(base, callback=callback_url(base), clock=demo_clock(AS_OF)) as sandbox_url:
        settings = demo_settings(base, host="127.0.0.1", port=port, sandbox_url=sandbox_url, today=AS_OF)
        app = create_app(
            settings,
            startup=(startup := DemoStartup(lambda _line: None, allowed_origins=[host_origin])),
            create_schema=True,
        )
        with serve(app, port) as url:
            yield Demo(base=url, host_origin=host_origin, host_port=host_port, info=startup.info)

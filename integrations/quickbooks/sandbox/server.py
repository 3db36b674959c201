"""Serve the emulator with uvicorn on a loopback port, in a background thread."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from integrations.quickbooks.sandbox.gateway import DroppedConnection


class _HideInjectedDrops(logging.Filter):
    """Injected dropped connections are intended; keep them out of the error log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DroppedConnection))


@contextmanager
def run_sandbox_server(
    app: FastAPI, host: str = "127.0.0.1", port: int = 0, *, startup_timeout: float = 10.0
) -> Iterator[str]:
    """Run ``app`` until the block ends and yield its base URL, e.g. ``http://127.0.0.1:53211``.

    ``port=0`` picks a free port; the socket is bound before uvicorn starts so the URL is known up front.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", http="h11", access_log=False)
    server = uvicorn.Server(config)
    log_filter = _HideInjectedDrops()
    error_log = logging.getLogger("uvicorn.error")
    error_log.addFilter(log_filter)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="qbo-sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            error_log.removeFilter(log_filter)
            raise RuntimeError("the QBO sandbox server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        error_log.removeFilter(log_filter)

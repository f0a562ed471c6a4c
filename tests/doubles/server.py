"""A Starlette app served by uvicorn on a free loopback port, in a thread: the base of the network doubles, and the
way tests serve a real app of the project to a real client (a browser)."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp


class LocalServer:
    def __init__(self, routes: list[Route] | None = None, *, app: ASGIApp | None = None) -> None:
        """`routes` of a double (no lifespan), or a whole `app` (its lifespan runs)."""
        self.app = app if app is not None else Starlette(routes=routes or [])
        self._lifespan = "on" if app is not None else "off"
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", lifespan=self._lifespan))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"{type(self).__name__} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

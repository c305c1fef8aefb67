"""What the fakes (fake_discord.py, fake_slack.py) share and nothing of either
platform's protocol: aiohttp sites on random loopback ports, the log and
violation records, polling waits for tests, the /_fake/* control endpoint's
plumbing and the CLI's serve-until-SIGTERM with --ready-file/--report-file.

A subclass's __init__ calls FakeBase.__init__ first; it owns its own
connections (self.connections) and closes each in _stop_conn().
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from typing import Any, Callable, Dict, List, Optional

from aiohttp import web


class FakeError(Exception):
    """A control request a fake cannot carry out (answered with 400)."""


class FakeBase:
    def __init__(self, host: str, log: Optional[Callable[[str], None]]) -> None:
        self.host = host
        self._log = log
        self.violations: List[str] = []
        self.connections: List[Any] = []
        self._runners: List[web.AppRunner] = []
        self._tasks: List[asyncio.Task] = []

    # --------------------------------------------------------------- lifecycle
    async def _serve(self, app: web.Application) -> int:
        # shutdown_timeout small: open websockets must not hold up a test's exit.
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, 0, shutdown_timeout=1.0)
        await site.start()
        self._runners.append(runner)
        return runner.addresses[0][1]

    async def start(self) -> "FakeBase":
        raise NotImplementedError

    async def _stop_conn(self, conn: Any) -> None:
        raise NotImplementedError

    @staticmethod
    async def _close_ws(ws: web.WebSocketResponse) -> None:
        try:
            await asyncio.wait_for(ws.close(code=1001, message=b"shutting down"), 1.0)
        except Exception:
            pass

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for conn in self.connections:
            await self._stop_conn(conn)
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()

    async def __aenter__(self) -> Any:
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    def log(self, msg: str) -> None:
        if self._log:
            self._log(msg)

    def violation(self, msg: str) -> None:
        self.violations.append(msg)
        self.log("VIOLATION " + msg)

    def _spawn(self, coro: Any) -> asyncio.Task:
        t = asyncio.ensure_future(coro)
        self._tasks.append(t)
        return t

    # ------------------------------------------------------------ waiting in tests
    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0,
                       interval: float = 0.01, what: Optional[str] = None) -> Any:
        """Poll until predicate() is truthy; return its value, or raise TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise asyncio.TimeoutError(f"timed out after {timeout}s waiting for {what or predicate}")
            await asyncio.sleep(interval)

    async def wait_connections(self, pick: Callable[[Any], bool], n: int, timeout: float, what: str) -> List[Any]:
        """Wait until at least n connections satisfy pick; return all that do."""
        return await self.wait_for(
            lambda: (lambda c: c if len(c) >= n else None)([c for c in self.connections if pick(c)]),
            timeout, what=what)

    # ------------------------------------------------------ control endpoints
    def _conn_by_id(self, cid: Any) -> Optional[Any]:
        raise NotImplementedError

    async def _control_action(self, action: str, args: Dict[str, Any], conn: Optional[Any]) -> Optional[web.Response]:
        """One /_fake/<action>; None for an action the fake does not know."""
        raise NotImplementedError

    async def _control(self, request: web.Request) -> web.Response:
        """/_fake/*: drive the fake from another process (kept out of the spec check and the records)."""
        action = request.path[len("/_fake/"):]
        args: Dict[str, Any] = {}
        if request.can_read_body:
            try:
                args = await request.json()
            except ValueError:
                return web.json_response({"error": "body must be JSON"}, status=400)
        conn = self._conn_by_id(args.pop("conn", None))
        try:
            res = await self._control_action(action, args, conn)
        except (FakeError, KeyError, TypeError, ValueError) as e:
            return web.json_response({"error": f"{type(e).__name__}: {e}"}, status=400)
        if res is None:
            return web.json_response({"error": f"unknown control action {action!r}"}, status=404)
        return res


# ----------------------------------------------------------------------- CLI

def add_cli_args(p: argparse.ArgumentParser, ready_help: str, report_help: str) -> None:
    p.add_argument("--ready-file", help=ready_help)
    p.add_argument("--report-file", help=report_help)
    p.add_argument("-v", "--verbose", action="store_true", help="log connections and violations to stderr")


def cli_log(args: argparse.Namespace) -> Optional[Callable[[str], None]]:
    return (lambda m: print(m, file=sys.stderr, flush=True)) if args.verbose else None


async def serve_until_signal(fake: FakeBase, args: argparse.Namespace, report: Callable[[], Dict[str, Any]]) -> int:
    """Starts fake, announces fake.info() as one JSON line (to --ready-file or
    stdout), serves until SIGTERM/SIGINT, then writes report() to --report-file."""
    await fake.start()
    line = json.dumps(fake.info()) + "\n"  # type: ignore[attr-defined]
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(line)
        os.replace(tmp, args.ready_file)  # readers never see half a line
    else:
        sys.stdout.write(line)
        sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    if args.report_file:
        with open(args.report_file, "w", encoding="utf-8") as f:
            json.dump(report(), f, indent=1)
    await fake.stop()
    return 0

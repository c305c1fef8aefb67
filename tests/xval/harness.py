"""What every cross-validation runner shares: installing the pinned npm set,
running the node client against a fake, reading the JSON lines it prints,
counting checks and printing the closing "N passed, M failed" line.

A runner supplies the fake (started and stopped here), the client's
environment, its steps and its platform-specific closing checks; the fake
must offer wait_for(), violations and a log callback the runner collected.
"""

import asyncio
import json
import os
import shutil
import sys
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional

from npm import NpmError, npm_ci

HERE = os.path.dirname(os.path.abspath(__file__))


def fail_setup(msg: str) -> None:
    """Missing prerequisites are a failure, not a skip: the check must run everywhere."""
    print(f"FAIL setup: {msg}")
    print("0 passed, 1 failed")
    sys.exit(1)


def prepare(build_dir: str, name: str) -> str:
    """A work directory under the build tree (xval-NAME) holding node_modules and
    client.js from the source directory NAME next to this file."""
    src = os.path.join(HERE, name)
    work = os.path.join(os.path.abspath(build_dir), f"xval-{name}")
    try:
        npm_ci(src, work, timeout=240, log=lambda m: print(m, flush=True))
    except NpmError as e:
        fail_setup(str(e))
    shutil.copyfile(os.path.join(src, "client.js"), os.path.join(work, "client.js"))
    return work


class Checks:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def check(self, name: str, ok: bool, detail: Any = "") -> bool:
        if ok:
            self.passed += 1
            print(f"ok   {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {name}: {detail}", flush=True)
        return ok


class Bot:
    """The node process and the JSON lines it prints."""

    def __init__(self) -> None:
        self.proc: Optional[asyncio.subprocess.Process] = None
        self.events: List[Dict[str, Any]] = []
        self.stderr: List[str] = []

    async def start(self, work: str, env: Dict[str, str]) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            shutil.which("node") or "node", "client.js", cwd=work, env=dict(os.environ, **env),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        asyncio.ensure_future(self._read(self.proc.stdout, self._on_line))
        asyncio.ensure_future(self._read(self.proc.stderr, self.stderr.append))

    async def _read(self, stream: Any, sink: Callable[[str], None]) -> None:
        while True:
            line = await stream.readline()
            if not line:
                return
            sink(line.decode(errors="replace").rstrip("\n"))

    def _on_line(self, line: str) -> None:
        try:
            ev = json.loads(line)
        except ValueError:
            self.stderr.append("stdout: " + line)
            return
        ev["at"] = time.monotonic()
        self.events.append(ev)

    def seen(self, event: str, **match: Any) -> List[Dict[str, Any]]:
        return [e for e in self.events if e["event"] == event and all(e.get(k) == v for k, v in match.items())]

    async def wait(self, fake: Any, event: str, timeout: float = 10.0, **match: Any) -> Optional[Dict[str, Any]]:
        try:
            return (await fake.wait_for(lambda: self.seen(event, **match), timeout, what=event))[0]
        except asyncio.TimeoutError:
            return None

    async def stop(self) -> Optional[int]:
        if self.proc is None or self.proc.returncode is not None:
            return self.proc.returncode if self.proc else None
        try:
            self.proc.stdin.write(b"quit\n")
            await self.proc.stdin.drain()
            return await asyncio.wait_for(self.proc.wait(), 10)
        except (asyncio.TimeoutError, ConnectionError):
            self.proc.kill()
            await self.proc.wait()
            return None


async def drive(work: str, fake: Any, fake_log: List[str], env: Callable[[Any], Dict[str, str]],
                steps: Callable[[Checks, Any, Bot], Awaitable[None]], exited: str,
                closing: Callable[[Checks, Any, Bot], None], dump: Callable[[Any], None]) -> int:
    """Starts the fake and the client, runs steps, then the closing checks
    (the exit check named `exited`, the fake's violations, then `closing`);
    on a failure prints the client's stderr, the fake's log and `dump`.
    Returns the exit status: 0 only if every check passed."""
    c = Checks()
    bot = Bot()
    await fake.start()
    try:
        await bot.start(work, env(fake))
        await steps(c, fake, bot)
    except Exception as e:  # a crash in a step is a failure, with the rest of the report intact
        c.check("driver ran to the end", False, repr(e))
    finally:
        code = await bot.stop()
        c.check(exited, code == 0, f"exit {code}")
        c.check("no violations recorded by the fake", fake.violations == [], "\n  " + "\n  ".join(fake.violations))
        closing(c, fake, bot)
        if c.failed:
            print("--- client stderr (tail) ---\n" + "\n".join(bot.stderr[-40:]))
            print("--- fake log (tail) ---\n" + "\n".join(fake_log[-40:]))
            dump(fake)
        await fake.stop()
    print(f"{c.passed} passed, {c.failed} failed")
    return 0 if c.failed == 0 else 1


def main(argv: List[str], usage: str, name: str, run: Callable[[str], Awaitable[int]]) -> int:
    """Usage: RUNNER BUILD_DIR; installs into BUILD_DIR/xval-NAME, then run(work)."""
    if len(argv) != 2:
        print(usage)
        return 2
    work = prepare(argv[1], name)
    return asyncio.run(run(work))

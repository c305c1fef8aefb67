"""Runs the real studybot binary for end-to-end tests and reads its logs.

The bot logs one logfmt line per event on stderr (SPEC §2); tests wait for
lines by message and fields instead of sleeping, so they do not depend on
how fast the machine is.
"""

import asyncio
import atexit
import os
import re
import signal
import sys
import tempfile

# Every bot started here, so that a test that fails half-way (an exception
# past its stop()) leaves no process behind.
_STARTED = []


@atexit.register
def _kill_leftovers():
    for bot in _STARTED:
        bot.kill()


_PAIR = re.compile(r'([A-Za-z0-9_.]+)=("(?:[^"\\]|\\.)*"|\S*)')


def parse_logfmt(line):
    """Returns a dict of a logfmt line's keys (quoted values unescaped)."""
    out = {}
    for key, val in _PAIR.findall(line):
        if val.startswith('"'):
            val = val[1:-1].encode().decode("unicode_escape")
        out[key] = val
    return out


class Bot:
    """One `studybot run` process with a config written for the test.

    ini: extra INI text appended after the generated [bot] and [discord]
    sections (e.g. channel sections). env: extra environment variables.
    questions: the bank folder (default: the repository's questions/).
    http_listen: the [bot] http_listen value; off by default, so that bots
    running side by side do not contend for one port (127.0.0.1:0 picks a
    free one, read from the "http listening" log line).
    """

    def __init__(self, binary, api_base, token, compress=True, ini="", env=None,
                 log_level="debug", repo=None, questions=None, http_listen="",
                 slack=None):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="studybot-e2e-")
        repo = repo or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
        self.config = os.path.join(self.dir, "studybot.ini")
        questions = questions or os.path.join(repo, "questions")
        # slack: {"app_token": …, "connections": N, "admins": "U1,U2"} runs the
        # bot on Slack; token is then the bot token (xoxb-…).
        if slack is not None:
            platform = f"""[slack]
app_token_env = STUDYBOT_TEST_APP_TOKEN
bot_token_env = STUDYBOT_TEST_TOKEN
api_base = {api_base}
connections = {slack.get("connections", 1)}
admins = {slack.get("admins", "")}
"""
        else:
            platform = f"""[discord]
token_env = STUDYBOT_TEST_TOKEN
api_base = {api_base}
compress = {"zlib-stream" if compress else "none"}
"""
        with open(self.config, "w") as f:
            f.write(f"""[bot]
platform = {"slack" if slack is not None else "discord"}
database = {self.dir}/studybot.db
questions = {questions}
log_level = {log_level}
http_listen = {http_listen}

{platform}
{ini}
""")
        self.env = dict(os.environ)
        self.env["STUDYBOT_TEST_TOKEN"] = token
        if slack is not None:
            self.env["STUDYBOT_TEST_APP_TOKEN"] = slack["app_token"]
        self.env.update(env or {})
        self.token = token
        self.app_token = slack["app_token"] if slack is not None else None
        self.proc = None
        self.lines = []  # raw stderr lines
        self.logs = []   # parsed
        self._reader = None
        self._changed = asyncio.Event()

    async def start(self):
        self.proc = await asyncio.create_subprocess_exec(
            self.binary, "run", "-c", self.config, env=self.env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE)
        _STARTED.append(self)
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self):
        while True:
            raw = await self.proc.stderr.readline()
            if not raw:
                break
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append(line)
            self.logs.append(parse_logfmt(line))
            self._changed.set()
        self._changed.set()

    def find(self, msg, **fields):
        """Log records whose msg contains `msg` and whose fields match."""
        out = []
        for rec in self.logs:
            if msg not in rec.get("msg", ""):
                continue
            if all(rec.get(k) == str(v) for k, v in fields.items()):
                out.append(rec)
        return out

    async def wait_log(self, msg, timeout=15, count=1, **fields):
        """Waits until `count` records match; returns them, or raises."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = self.find(msg, **fields)
            if len(found) >= count:
                return found
            if self.proc.returncode is not None and self._reader.done():
                raise AssertionError(f"bot exited ({self.proc.returncode}) before "
                                     f"logging {msg!r} {fields}\n" + self.tail())
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"no log {msg!r} {fields} x{count} in {timeout}s\n"
                                     + self.tail())
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(left, 0.5))
            except asyncio.TimeoutError:
                pass

    def tail(self, n=40):
        return "\n".join(self.lines[-n:])

    async def wait_exit(self, timeout=15):
        try:
            await asyncio.wait_for(self.proc.wait(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"bot still running after {timeout}s\n" + self.tail())
        await self._reader
        return self.proc.returncode

    async def stop(self, timeout=15):
        """SIGTERM, then the exit code (SIGKILL and fail if it hangs)."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return await self.wait_exit(timeout)
        except AssertionError:
            self.proc.kill()
            await self.proc.wait()
            raise

    def kill(self):
        if self.proc and self.proc.returncode is None:
            self.proc.kill()

    def assert_token_hidden(self):
        """The token, or any 8 characters of it, never reach the logs."""
        text = "\n".join(self.lines)
        for tok in [self.token] + ([self.app_token] if self.app_token else []):
            for i in range(0, max(1, len(tok) - 7)):
                piece = tok[i:i + 8]
                assert piece not in text, f"token fragment {piece!r} in the logs"


class Checks:
    """Counts named checks and prints the closing line ctest output shows."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self, cond, what):
        if cond:
            self.passed += 1
            print(f"ok   {what}")
        else:
            self.failed += 1
            print(f"FAIL {what}")

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed")
        return 0 if self.failed == 0 and self.passed > 0 else 1


def run_scenario(module_globals, scenarios, timeout=150):
    """The command line of every scenario script: `script.py STUDYBOT NAME`.

    Sets the script's BINARY, runs scenario NAME with a time limit, prints
    its checks and exits 0 only when they all passed."""
    module_globals["BINARY"] = os.path.abspath(sys.argv[1])

    async def main():
        checks = Checks()
        try:
            await asyncio.wait_for(scenarios[sys.argv[2]](checks), timeout)
        except (AssertionError, asyncio.TimeoutError) as e:
            checks.ok(False, f"{type(e).__name__}: {e}")
        return checks.finish()

    sys.exit(asyncio.run(main()))


# SPEC §3 [scoring] defaults, which every round scenario scores against.
SCORE = {"answer": 10, "peer_max": 10, "review": 1, "review_cap": 3, "mcq": 10, "streak": 1,
         "hint": -3, "key_points": 5}


def peer(avg):
    """SPEC §5: 5/5 earns peer_max, 1/5 nothing, linear between (rounded)."""
    x = SCORE["peer_max"] * (avg - 1) / 4
    return int(x + 0.5)


class RoundBase:
    """What every platform's round shares: a fake and a bot, stopped on the
    way out (with the bot's last lines when the scenario failed), and the
    scenario's checks."""

    async def __aexit__(self, *exc):
        if self.bot:
            if exc[0] is not None:
                print("--- the bot's last log lines\n" + self.bot.tail(60))
            self.bot.kill()
        await self.fake.stop()

    def ok(self, cond, what):
        self.checks.ok(cond, what)

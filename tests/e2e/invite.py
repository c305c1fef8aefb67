"""`studybot invite` as a user runs it (SPEC §2): the install URL with least
privilege, the application id from the config or asked from (the fake)
Discord, and the failures a user can fix.

    invite.py STUDYBOT
"""

import asyncio
import os
import sys
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))

from botproc import Checks  # noqa: E402
from fake_discord import FakeDiscord  # noqa: E402

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GiNvTe.qWeRtYuIoPaSdFgHjKlZxCvBnMqWeRtYuIoPaSdF"
# Discord's Permissions page: VIEW_CHANNEL, SEND_MESSAGES, EMBED_LINKS,
# READ_MESSAGE_HISTORY, CREATE_PUBLIC_THREADS, SEND_MESSAGES_IN_THREADS.
PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 35) | (1 << 38)
assert PERMISSIONS == 309237730304


CONFIGS = []


def config(text):
    fd, path = tempfile.mkstemp(suffix=".ini", prefix="studybot-invite-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    CONFIGS.append(path)
    return path


async def invite(cfg, env=None):
    """Runs `studybot invite -c cfg`; returns (exit code, stdout, stderr)."""
    e = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "STUDYBOT_TEST_TOKEN")}
    e.update(env or {})
    p = await asyncio.create_subprocess_exec(BINARY, "invite", "-c", cfg, env=e,
                                             stdout=asyncio.subprocess.PIPE,
                                             stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(p.communicate(), 60)
    return p.returncode, out.decode(), err.decode()


def check_url(checks, out, client_id, what):
    lines = out.splitlines()
    checks.ok(len(lines) == 1, f"{what}: stdout is the URL alone ({len(lines)} lines)")
    url = urllib.parse.urlsplit(lines[0] if lines else "")
    q = urllib.parse.parse_qs(url.query)
    checks.ok(f"{url.scheme}://{url.netloc}{url.path}" == "https://discord.com/oauth2/authorize",
              f"{what}: Discord's authorize URL ({url.netloc}{url.path})")
    checks.ok(q.get("client_id") == [client_id], f"{what}: client_id {q.get('client_id')}")
    checks.ok(q.get("scope") == ["bot applications.commands"], f"{what}: scopes {q.get('scope')}")
    checks.ok(q.get("permissions") == [str(PERMISSIONS)],
              f"{what}: permissions {q.get('permissions')} == {PERMISSIONS}")


async def run(checks):
    # The id from the config: no network at all.
    cfg = config("[discord]\napplication_id = 987654321098765432\n"
                 "api_base = http://127.0.0.1:9/api/v10\n")
    rc, out, err = await invite(cfg)
    checks.ok(rc == 0, f"configured id: exit {rc}")
    check_url(checks, out, "987654321098765432", "configured id")
    checks.ok(out.splitlines()[0] == "https://discord.com/oauth2/authorize?client_id=987654321098765432"
              "&scope=bot%20applications.commands&permissions=309237730304", "the exact URL")
    for name in ("View Channel", "Send Messages", "Embed Links", "Read Message History",
                 "Create Public Threads", "Send Messages in Threads"):
        checks.ok(name in err, f"says why it needs {name}")
    checks.ok("MESSAGE CONTENT" not in err, "no privileged intent asked for in modal mode")

    # Thread mode: the intent switch is named too.
    cfg = config("[discord]\napplication_id = 987654321098765432\n\n[channel \"s\"]\nid = 222222222222222222\n"
                 "schedule = 09:00\ntimezone = UTC\nanswer_mode = thread\n")
    rc, out, err = await invite(cfg)
    checks.ok(rc == 0 and "MESSAGE CONTENT INTENT" in err, "thread mode: names MESSAGE CONTENT INTENT")

    # Neither an id nor a token: exit 1 and how to fix it.
    cfg = config("[discord]\ntoken_env = STUDYBOT_TEST_TOKEN\n")
    rc, out, err = await invite(cfg)
    checks.ok(rc == 1, f"no id, no token: exit {rc} == 1")
    checks.ok(out == "", "no URL")
    checks.ok("application_id" in err and "$STUDYBOT_TEST_TOKEN" in err,
              f"says to set application_id or the token: {err.strip()!r}")

    async with FakeDiscord(token=TOKEN) as fake:
        # application_id 0: asked from Discord with the bot token.
        cfg = config(f"[discord]\ntoken_env = STUDYBOT_TEST_TOKEN\napplication_id = 0\n"
                     f"api_base = {fake.api_url}\n")
        rc, out, err = await invite(cfg, {"STUDYBOT_TEST_TOKEN": TOKEN})
        checks.ok(rc == 0, f"fetched id: exit {rc}")
        check_url(checks, out, fake.application["id"], "fetched id")
        got = fake.requests_to("GET", "/oauth2/applications/@me")
        checks.ok(len(got) == 1 and got[0].headers.get("authorization") == "Bot " + TOKEN,
                  "asked GET /oauth2/applications/@me with the bot token")
        checks.ok(TOKEN not in out + err and TOKEN[-12:] not in out + err, "token not printed")

        # A token Discord refuses: exit 3, the token not printed.
        bad = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GwRoNg.zXcVbNmAsDfGhJkLqWeRtYuIoPzXcVbNmAsD"
        rc, out, err = await invite(cfg, {"STUDYBOT_TEST_TOKEN": bad})
        checks.ok(rc == 3, f"refused token: exit {rc} == 3")
        checks.ok(out == "", "no URL")
        checks.ok("401" in err and "$STUDYBOT_TEST_TOKEN" in err, f"says so: {err.strip()!r}")
        checks.ok(all(bad[i:i + 8] not in out + err for i in range(len(bad) - 7)),
                  "no piece of the token printed")
        refused = [r for r in fake.requests_to("GET", "/oauth2/applications/@me") if r.status == 401]
        checks.ok(len(refused) == 1, f"a 401 is not retried ({len(refused)} requests)")
        # The fake counts a wrong token as a client error; it is what this case is about.
        checks.ok(all("Authorization is not" in v for v in fake.violations),
                  f"no other protocol violation: {fake.violations}")


async def main():
    checks = Checks()
    try:
        await asyncio.wait_for(run(checks), 150)
    except AssertionError as e:
        checks.ok(False, str(e))
    finally:
        for path in CONFIGS:
            os.unlink(path)
    return checks.finish()


if __name__ == "__main__":
    BINARY = os.path.abspath(sys.argv[1])
    sys.exit(asyncio.run(main()))

#!/usr/bin/python3
"""Cross-validation: Slack's own Node SDKs (Bolt, socket-mode, web-api) against the fake Slack.

If the SDKs Slack itself publishes work against the fake without tripping
any of its checks, the fake's Web API and Socket Mode behaviour is not
stricter (or looser) than Slack in the ways those SDKs exercise; where the
fake rejects something they do, either the fake is wrong or the docs say the
SDK is, and the difference gets written down in README.md.

Usage: run_slackjs.py BUILD_DIR
  Installs @slack/bolt and @slack/socket-mode (exact versions pinned in
  slackjs/package-lock.json) with `npm ci --ignore-scripts` into
  BUILD_DIR/xval-slackjs when missing, starts the fake in-process, runs
  slackjs/client.js under node and checks, step by step, what the app saw
  against what the fake recorded. The last line is "N passed, M failed";
  exit status 0 only if all passed.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any, List

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # run from the source tree: leave no __pycache__ there
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))
from fake_slack import FakeSlack  # noqa: E402
from harness import Bot, Checks, drive, main  # noqa: E402

APP_TOKEN = "xapp-1-A0STUDYBOT-1-xval"
BOT_TOKEN = "xoxb-1-2-xval"


async def acked(fake: FakeSlack, env: Any, timeout: float = 5.0) -> bool:
    try:
        await fake.wait_acked(env, timeout)
        return True
    except asyncio.TimeoutError:
        return False


async def steps(c: Checks, fake: FakeSlack, bot: Bot) -> None:
    # 1. Start: auth.test with the bot token, apps.connections.open with the app token, hello.
    ready = await bot.wait(fake, "ready", 20)
    if not c.check("Bolt started (auth.test, apps.connections.open, hello)", ready is not None,
                   bot.events + bot.stderr[-10:]):
        raise RuntimeError("Bolt never started")
    conns = await fake.wait_hello(1)
    auth = fake.calls("auth.test")
    opens = fake.calls("apps.connections.open")
    c.check("auth.test called with the bot token", bool(auth) and auth[0]["status"] == 200
            and auth[0]["response"]["ok"] and auth[0]["headers"].get("authorization") == f"Bearer {BOT_TOKEN}",
            auth[:1])
    c.check("apps.connections.open called with the app token", bool(opens) and opens[0]["response"]["ok"]
            and opens[0]["headers"].get("authorization") == f"Bearer {APP_TOKEN}", opens[:1])
    connected = await bot.wait(fake, "socket", 5, state="connected")
    c.check("the SDK saw hello (state connected)", connected is not None and conns[0].hello_at is not None,
            bot.events)

    # 2. chat.postMessage with blocks reaches the fake.
    posted = await bot.wait(fake, "posted", 10)
    msgs = fake.messages(fake.STUDY_ID)
    c.check("chat.postMessage received by the fake", posted is not None and posted["ok"] and len(msgs) == 1
            and msgs[0]["ts"] == posted["ts"] and msgs[0]["blocks"][1]["elements"][0]["action_id"] == "reveal",
            (posted, msgs))
    if msgs:
        pm = fake.calls("chat.postMessage")[0]
        c.check("chat.postMessage went as form-urlencoded POST to <api_base>/chat.postMessage",
                pm["http_method"] == "POST" and pm["content_type"].startswith("application/x-www-form-urlencoded"),
                pm["content_type"])

    # 3. A slash command, acked with a response payload.
    env = fake.slash("leaderboard week", user=fake.ALICE_ID, channel=fake.STUDY_ID)
    ok = await acked(fake, env)
    cmd = await bot.wait(fake, "command", 5)
    c.check("slash command acked with a response payload", ok and env.ack_payload == {"text": "got leaderboard week"}
            and not env.timed_out and cmd is not None and cmd["text"] == "leaderboard week",
            (env.acked, env.ack_payload, cmd))

    # 4. A block action on the bot's message.
    if msgs:
        env = fake.click(fake.BOB_ID, msgs[0], "reveal")
        ok = await acked(fake, env)
        act = await bot.wait(fake, "action", 5)
        c.check("block action acked (no payload content)", ok and not env.ack_payload and act is not None
                and act["value"] == "42" and act["user"] == fake.BOB_ID, (env.acked, env.ack_payload, act))

    # 5. A message event.
    env = fake.message(fake.STUDY_ID, "hello bot", fake.ALICE_ID)
    ok = await acked(fake, env)
    got = await bot.wait(fake, "message", 5, text="hello bot")
    c.check("events_api message acked and delivered to the app", ok and got is not None and env.deliveries == 1,
            (env.acked, env.deliveries, got))

    # 6. refresh_requested: the SDK opens a new connection and keeps receiving.
    first = fake.connections[-1]
    fake.disconnect("refresh_requested", first)
    try:
        await fake.wait_for(lambda: [x for x in fake.connections if x is not first and x.hello_at is not None
                                     and x.open], 15, what="a new connection after refresh_requested")
        reconnected = True
    except asyncio.TimeoutError:
        reconnected = False
    c.check("after refresh_requested the SDK reconnected (new ticket, hello)",
            reconnected and len(fake.calls("apps.connections.open")) >= 2, [repr(x) for x in fake.connections])
    await fake.wait_for(lambda: not first.open, fake.refresh_close_after + 5, what="old connection closed")
    env = fake.slash("after refresh")
    ok = await acked(fake, env)
    got = await bot.wait(fake, "command", 5, text="after refresh")
    c.check("a slash command after the refresh is acked", ok and got is not None and env.conns[-1] != first.id,
            (env.acked, env.conns, got))
    env = fake.message(fake.STUDY_ID, "still there?", fake.BOB_ID)
    ok = await acked(fake, env)
    c.check("a message event after the refresh is acked", ok and await bot.wait(fake, "message", 5,
                                                                               text="still there?") is not None,
            env.acked)
    # 7. Liveness: the SDK pings every 5 s and answers the server's pings.
    live = fake.connections[-1]
    try:
        await fake.wait_for(lambda: live.pings and live.pongs, 12, what="a client ping and a pong")
    except asyncio.TimeoutError:
        pass
    c.check("the SDK pings the server and answers the server's pings", bool(live.pings) and bool(live.pongs),
            (len(live.pings), len(live.pongs)))


def closing(c: Checks, fake: FakeSlack, bot: Bot) -> None:
    c.check("no 429 and no call inside a Retry-After", not fake.rate_limited and not fake.premature,
            (fake.rate_limited, fake.premature))
    c.check("no envelope timed out", not [e for e in fake.envelopes if e.timed_out],
            [(e.type, e.id) for e in fake.envelopes if e.timed_out])
    errors = bot.seen("error")
    c.check("the SDK reported no errors", not errors, errors)
    if fake.unknown_args:
        print(f"note: arguments the 2021 OpenAPI file does not list: {sorted(set(fake.unknown_args))}")


def dump(fake: FakeSlack) -> None:
    print("--- calls ---")
    for x in fake.calls():
        print(f"  {x['http_method']} {x['method']} -> {x['status']} {json.dumps(x['response'])[:120]}")


async def run(work: str) -> int:
    log: List[str] = []
    fake = FakeSlack(app_token=APP_TOKEN, bot_token=BOT_TOKEN, refresh_close_after=2.0, server_ping_interval=2.0,
                     log=log.append)
    env = lambda f: dict(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN,  # noqa: E731
                         FAKE_API_BASE=f.api_base, FAKE_STUDY_ID=f.STUDY_ID)
    return await drive(work, fake, log, env, steps, "the app stopped and exited 0", closing, dump)


if __name__ == "__main__":
    sys.exit(main(sys.argv, __doc__, "slackjs", run))

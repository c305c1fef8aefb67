#!/usr/bin/python3
"""Cross-validation: the real discord.js against the fake Discord.

If a mature, widely used client library works against the fake without
tripping any of its checks, the fake's REST and gateway behaviour is not
stricter (or looser) than Discord in the ways that library exercises; and if
the fake rejects something discord.js does, either the fake is wrong or the
docs say discord.js is, and the difference gets written down.

Usage: run_discordjs.py BUILD_DIR
  Installs discord.js (exact version pinned in discordjs/package-lock.json)
  with `npm ci --ignore-scripts` into BUILD_DIR/xval-discordjs when missing,
  starts the fake in-process, runs discordjs/client.js under node and checks,
  step by step, what the bot saw against what the fake recorded. The last
  line is "N passed, M failed"; exit status 0 only if all passed.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import List

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # run from the source tree: leave no __pycache__ there
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))
from fake_discord import GUILD_MESSAGES, GUILDS, MESSAGE_CONTENT, FakeDiscord  # noqa: E402
from harness import Bot, Checks, drive, main  # noqa: E402

TOKEN = "xval.discordjs.token"
HEARTBEAT_MS = 2000


def closing(c: Checks, fake: FakeDiscord, bot: Bot) -> None:
    c.check("no request hit an exhausted rate-limit bucket", fake.premature == [], fake.premature)
    if fake.unimplemented:
        print(f"note: routes answered without an implementation: {sorted(set(fake.unimplemented))}")
    errors = bot.seen("error")
    c.check("discord.js reported no errors", not errors, errors)


def dump(fake: FakeDiscord) -> None:
    print("--- requests ---")
    for r in fake.requests:
        print(f"  {r.method} {r.path} -> {r.status}")


async def run(work: str) -> int:
    log: List[str] = []
    fake = FakeDiscord(TOKEN, heartbeat_interval=HEARTBEAT_MS, allowed_privileged=MESSAGE_CONTENT,
                       reconnect_grace=10.0, log=log.append)
    env = lambda f: dict(DISCORD_TOKEN=TOKEN, FAKE_API_BASE=f.api_base, FAKE_GUILD_ID=f.guild_id)  # noqa: E731
    return await drive(work, fake, log, env, steps, "discord.js logged out and exited 0", closing, dump)


async def steps(c: Checks, fake: FakeDiscord, bot: Bot) -> None:
    # 1. Login: GET /gateway/bot, then connect to the URL it returned and IDENTIFY.
    ready = await bot.wait(fake, "ready", 20)
    if not c.check("discord.js became ready (READY + GUILD_CREATE)", ready is not None, bot.events):
        raise RuntimeError("discord.js never became ready")
    c.check("it asked GET /gateway/bot first", bool(fake.requests_to("GET", "/gateway/bot"))
            and fake.requests[0].template == "/gateway/bot", [r.path for r in fake.requests[:3]])
    conn = fake.connections[0]
    ident = conn.identify or {}
    c.check("IDENTIFY: intents Guilds|GuildMessages|MessageContent",
            ident.get("intents") == GUILDS | GUILD_MESSAGES | MESSAGE_CONTENT, ident.get("intents"))
    props = ident.get("properties", {})
    c.check("IDENTIFY: connection properties are strings, shard [0, 1]",
            all(isinstance(props.get(k), str) and props.get(k) for k in ("os", "browser", "device"))
            and ident.get("shard") == [0, 1], {k: v for k, v in ident.items() if k != "token"})
    c.check("connected on the base URL with v=10, encoding=json",
            conn.port_kind == "base" and conn.query.get("v") == "10" and conn.query.get("encoding") == "json",
            conn.query)
    c.check("ready: bot user, guild and its channels cached",
            ready["user_id"] == fake.BOT_ID and ready["guilds"] == [fake.guild_id]
            and {ch["id"] for ch in ready["channels"]} >= {fake.GENERAL_ID, fake.STUDY_ID}, ready)

    # 2. Slash command registration (bulk overwrite, guild scope).
    cmds = await bot.wait(fake, "commands", 10)
    registered = fake.commands.get(fake.guild_id, [])
    c.check("guild commands registered with PUT and ids returned",
            cmds is not None and [x["name"] for x in registered] == ["study"]
            and cmds["ids"] == [x["id"] for x in registered], (cmds, registered))

    # 3. Heartbeats: first one within the interval (jittered), ACKed; a requested one answered at once.
    await fake.wait_for(lambda: conn.heartbeats, HEARTBEAT_MS / 1000 + 2, what="first heartbeat")
    c.check("first heartbeat within heartbeat_interval of HELLO",
            conn.first_heartbeat_delay is not None and conn.first_heartbeat_delay <= HEARTBEAT_MS / 1000 + 0.2,
            conn.first_heartbeat_delay)
    fake.request_heartbeat(conn)
    try:
        await fake.wait_for(lambda: conn.heartbeat_requests and conn.heartbeat_requests[0]["delay"] is not None, 3)
        c.check("a requested heartbeat (op 1) is answered at once", conn.heartbeat_requests[0]["delay"] < 1.0,
                conn.heartbeat_requests)
    except asyncio.TimeoutError:
        c.check("a requested heartbeat (op 1) is answered at once", False, "no answer in 3 s")

    # 4. A member's message arrives with its content (MESSAGE_CONTENT granted).
    fake.message_create(fake.GENERAL_ID, "hello from the fake", author=fake.ALICE_ID)
    got = await bot.wait(fake, "messageCreate", 5, content="hello from the fake")
    c.check("MESSAGE_CREATE seen by discord.js with content", got is not None
            and got["author_id"] == fake.ALICE_ID and got["channel_id"] == fake.GENERAL_ID, got)

    # 5. Slash command -> interaction.reply(): one valid callback, within 3 s.
    inter = fake.interaction("command", name="study", options=[{"type": 1, "name": "today"}],
                             channel_id=fake.STUDY_ID)
    replied = await bot.wait(fake, "replied", 5, id=inter.id)
    seen = bot.seen("interactionCreate", id=inter.id)
    c.check("slash command seen as a chat-input command",
            bool(seen) and seen[0]["name"] == "study" and seen[0]["sub"] == "today", seen)
    cb = inter.callbacks[0] if inter.callbacks else {}
    c.check("interaction.reply() made one accepted type-4 callback within 3 s",
            replied is not None and len(inter.callbacks) == 1 and cb.get("accepted") and cb.get("type") == 4
            and cb.get("delay", 9) < 3.0 and (cb.get("data") or {}).get("content") == "pong: study", inter.callbacks)

    # 6. A question post: embed + buttons with nonce/enforce_nonce, a thread on it, an edit.
    fake.message_create(fake.STUDY_ID, "xval: post")
    posted = await bot.wait(fake, "posted", 5)
    post_req = fake.requests_to("POST", "/channels/{channel_id}/messages")
    c.check("channel.send with embed, buttons and nonce accepted",
            posted is not None and post_req and post_req[-1].status == 200
            and post_req[-1].json.get("enforce_nonce") is True and posted["nonce"] == "q1-2024-06-01",
            (posted, [(r.status, r.json) for r in post_req]))
    c.check("message.startThread(): the thread's id is the message's id",
            posted is not None and posted["thread_id"] == posted["message_id"]
            and fake.channels.get(posted["message_id"], {}).get("parent_id") == fake.STUDY_ID, posted)
    edited = await bot.wait(fake, "edited", 5)
    c.check("message.edit() accepted", edited is not None
            and edited["content"] == "Question of the day (answers open)", edited)

    # 6b. Rate limits: 7 sends at once against a 3-per-1.5 s bucket, the first
    #     answered with a 429. discord.js must wait out the Retry-After and then
    #     pace itself from X-RateLimit-* alone: nothing may reach `premature`.
    route = ("POST", "/channels/{channel_id}/messages")
    fake.rate_limits[route] = {"limit": 3, "window": 1.5}
    fake.inject_rest(429, route=route, retry_after=1.0)
    before = len(fake.requests_to(*route))
    fake.message_create(fake.GENERAL_ID, "xval: burst 7")
    burst = await bot.wait(fake, "burstDone", 15)
    reqs = fake.requests_to(*route)[before:]
    c.check("a burst of 7 sends completed despite a 429 and a 3-per-1.5 s bucket",
            burst is not None and len(burst["ids"]) == 7 and [r.status for r in reqs].count(429) == 1
            and [r.status for r in reqs].count(200) == 7, [r.status for r in reqs])
    if reqs:
        first_after = next((r for r in reqs[1:]), None)
        c.check("the retry after the 429 waited for Retry-After",
                first_after is not None and first_after.time - reqs[0].time >= 1.0,
                [round(r.time - reqs[0].time, 3) for r in reqs])
    fake.rate_limits[route] = {"limit": 5, "window": 5.0}

    # 7. Button -> showModal (type 9); modal submit -> ephemeral reply.
    msg = posted and fake._find_message(fake.STUDY_ID, posted["message_id"])
    btn = fake.interaction("button", custom_id="answer:q1", message=msg or None, channel_id=fake.STUDY_ID)
    shown = await bot.wait(fake, "modalShown", 5, id=btn.id)
    c.check("button -> showModal: an accepted type-9 callback",
            shown is not None and btn.callbacks and btn.callbacks[0]["accepted"] and btn.callbacks[0]["type"] == 9,
            btn.callbacks)
    sub = fake.interaction("modal", custom_id="answer-modal:q1", fields={"answer": "Virtual nodes even out load."},
                           channel_id=fake.STUDY_ID)
    done = await bot.wait(fake, "replied", 5, id=sub.id)
    seen = bot.seen("interactionCreate", id=sub.id)
    c.check("modal submit read and answered ephemerally",
            done is not None and seen and seen[0]["answer"] == "Virtual nodes even out load."
            and sub.callbacks and sub.callbacks[0]["accepted"]
            and ((sub.callbacks[0]["data"] or {}).get("flags", 0) & 64), (seen, sub.callbacks))

    # 8. op 7 Reconnect: discord.js must resume at resume_gateway_url with its last
    #    sequence; a dispatch sent while it is away is replayed once.
    old = conn
    fake.reconnect(old)
    await fake.wait_for(lambda: not old.open, 5, what="the old connection to close")
    last_seq = max((s["s"] for s in old.sent if s["s"] is not None), default=0)
    c.check("after op 7 the client closed without ending its session (not 1000/1001)",
            old.client_close_code not in (1000, 1001) and old.session is not None and old.session.valid,
            (old.client_close_code, old.close_code_sent))
    missed = fake.message_create(fake.GENERAL_ID, "missed while away", author=fake.BOB_ID)
    try:
        new, = [x for x in await fake.wait_resumed(1, 10)][-1:]
    except asyncio.TimeoutError:
        c.check("discord.js resumed", False, fake.connections)
        return
    c.check("resumed on the resume_gateway_url port", new.port_kind == "resume", new.port_kind)
    c.check("RESUME carried the session id and the last sequence received",
            (new.resume or {}).get("session_id") == old.session_id and (new.resume or {}).get("seq") == last_seq,
            ({k: v for k, v in (new.resume or {}).items() if k != "token"}, last_seq))
    c.check("the missed dispatch was replayed", len(new.replayed) == 1 and new.replayed[0] == last_seq + 1,
            new.replayed)
    got = await bot.wait(fake, "messageCreate", 5, content="missed while away")
    await asyncio.sleep(1.0)  # long enough for a duplicate to show up
    dupes = bot.seen("messageCreate", id=missed["id"])
    c.check("discord.js saw the missed message exactly once", got is not None and len(dupes) == 1, dupes)
    c.check("discord.js reported the resume", bool(bot.seen("shardResume")), bot.events[-5:])
    c.check("only one IDENTIFY in the whole run", fake.identify_count == 1, fake.identify_count)

    # 9. Live again after the resume.
    fake.message_create(fake.GENERAL_ID, "after resume")
    got = await bot.wait(fake, "messageCreate", 5, content="after resume")
    c.check("dispatches flow on the resumed connection", got is not None, bot.events[-3:])
    await fake.wait_for(lambda: len(new.heartbeats) >= 1, HEARTBEAT_MS / 1000 + 2, what="heartbeat after resume")
    c.check("heartbeats continue after the resume", bool(new.heartbeats) and new.acks_sent >= 1, new)

    # 10. A TCP reset (no close frame): the docs say resume; discord.js must.
    fake.reset(new)
    fake.message_create(fake.GENERAL_ID, "missed during the reset")
    try:
        again = (await fake.wait_resumed(2, 10))[-1]
        c.check("after a TCP reset discord.js resumed at the resume URL",
                again.port_kind == "resume" and len(again.replayed) == 1, (again.port_kind, again.replayed))
    except asyncio.TimeoutError:
        c.check("after a TCP reset discord.js resumed at the resume URL", False, fake.connections)
        return
    got = await bot.wait(fake, "messageCreate", 5, content="missed during the reset")
    c.check("the message missed during the reset arrived", got is not None, bot.events[-3:])

    # 11. Close 4009 (docs: reconnect, do not resume). discord.js tries a RESUME
    #     anyway; the fake answers op 9 false, as Discord does for a dead session,
    #     and discord.js must then identify afresh on the base URL.
    n_before = len(fake.connections)
    fake.close(again, 4009, "Session timed out")
    try:
        fresh = await fake.wait_for(lambda: [x for x in fake.connections[n_before:] if x.identified], 15,
                                    what="a new IDENTIFY")
    except asyncio.TimeoutError:
        c.check("after close 4009 discord.js identified again", False, fake.connections[n_before:])
        return
    tried = [x for x in fake.connections[n_before:] if x.resume is not None]
    c.check("after close 4009 discord.js identified again on the base URL",
            fresh[0].port_kind == "base" and fake.identify_count == 2,
            ([(x.port_kind, bool(x.resume), x.identified) for x in fake.connections[n_before:]]))
    if tried:
        print(f"note: after close 4009 discord.js first tried RESUME ({len(tried)} time(s)); "
              "the docs mark 4009 as not resumable")
    fake.message_create(fake.GENERAL_ID, "after re-identify")
    got = await bot.wait(fake, "messageCreate", 10, content="after re-identify")
    c.check("dispatches flow on the new session", got is not None, bot.events[-3:])


if __name__ == "__main__":
    sys.exit(main(sys.argv, __doc__, "discordjs", run))
